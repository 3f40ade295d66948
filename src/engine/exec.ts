/**
 * Running local programs without a shell: arguments are passed as an array, so no value
 * is ever interpreted. Failures carry the command and its stderr (never its stdin).
 */
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no output'}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  /** Exit codes that count as success (default: only 0). */
  readonly okCodes?: readonly number[];
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('bug: empty command'));
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      if (code !== null && (code === 0 || opts.okCodes?.includes(code))) resolve({ stdout, stderr, code });
      else reject(new CommandError(argv, code, stderr || (err?.message ?? '')));
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** True when the command exits 0. */
export const succeeds = (argv: readonly string[]): Promise<boolean> => run(argv).then(() => true, () => false);
