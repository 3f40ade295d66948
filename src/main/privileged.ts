/**
 * `lab.up` and `lab.down` need root (network namespaces, bridges, sshd), but the app runs as
 * the user: Chromium refuses to run as root. So when main is not root, these two operations
 * run in a root process of the CLI, started with pkexec (the desktop's own password dialog):
 *   /usr/bin/pkexec /usr/bin/env ELECTRON_RUN_AS_NODE=1 <electron> <app>/out/cli/overlab.mjs lab up|down <dir> --json
 * Both programs are named by absolute path (a PATH the user's session controls must not choose
 * what runs as root), and the two files root will run — the Electron binary and the CLI — are
 * checked first: each, and every folder above it, owned by root and writable by root alone
 * (`checkRunAsRoot`). Otherwise whoever could change them (any program running as the user, in
 * a home-folder install or an AppImage) would get root the next time the person types their
 * password. No shell: the folder is one argv element. Where pkexec is missing, refused or
 * cancelled, or the files fail the check, the error says what to type in a terminal instead.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { LabUpResult } from '../shared/api.js';
import { ApiError, type Handlers } from '../engine/engine.js';
import { knownHostsPath } from '../engine/lab/lab.js';
import { checkRunAsRoot, UnsafePathError, type LinkIo } from '../engine/safe-fs.js';

/** `child_process.spawn`'s shape, so a test can hand in a fake child. */
export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => Pick<ChildProcess, 'stdout' | 'stderr' | 'on'>;

export interface PrivilegedOptions {
  readonly spawn: SpawnFn;
  /** `process.getuid` (absent on Windows, where there is no lab). */
  readonly getuid?: () => number;
  /** The Electron binary: run as Node with ELECTRON_RUN_AS_NODE. */
  readonly execPath: string;
  /** The bundled CLI, `<app dir>/out/cli/overlab.mjs`. */
  readonly cliPath: string;
  readonly now?: () => number;
  /** How the two files are looked at (default: `asarBlindIo`). */
  readonly io?: LinkIo;
}

/** Absolute: pkexec itself and the `env` it runs are never looked up in PATH. */
export const PKEXEC = '/usr/bin/pkexec';
export const ENV = '/usr/bin/env';

/**
 * The file system as it is, also under Electron: there Node's fs shows the inside of an `.asar`
 * archive as folders and files owned by the *running user*, which is not what is on disk.
 * `process.noAsar` turns that off for the calls made while it is set (a plain property in Node).
 */
export const asarBlindIo: LinkIo = {
  lstat: (p) => Promise.resolve(withoutAsar(() => lstatSync(p))),
  readlink: (p) => Promise.resolve(withoutAsar(() => readlinkSync(p))),
};

function withoutAsar<T>(f: () => T): T {
  const proc = process as NodeJS.Process & { noAsar?: boolean };
  const was = proc.noAsar;
  proc.noAsar = true;
  try {
    return f();
  } finally {
    proc.noAsar = was;
  }
}

/**
 * pkexec's own exit codes: 126 the person dismissed the dialog or is not authorised, 127 the
 * authentication failed or pkexec could not run the command.
 */
const PKEXEC_REFUSED = new Set([126, 127]);

/** The CLI's `--json` lines. `lab up` prints the fields below; the rest of LabUpResult is taken when present. */
const UP_JSON = z.object({
  id: z.string(),
  hosts: z.array(z.string()),
  created: z.array(z.string()),
  removed: z.array(z.string()),
  management: z.string().optional(),
  knownHosts: z.string().optional(),
  durationMs: z.number().optional(),
});
const DOWN_JSON = z.object({ removed: z.array(z.string()) });

/** A folder as a terminal user can paste it inside double quotes (bash and sh alike). */
const doubleQuoted = (s: string): string => `"${s.replace(/["\\$`]/g, '\\$&')}"`;

const terminalCommand = (verb: 'up' | 'down', dir: string): string => `sudo overlab lab ${verb} ${doubleQuoted(dir)}`;

export const needsTerminalMessage = (verb: 'up' | 'down', dir: string): string =>
  `The embedded lab needs root. Run in a terminal: ${terminalCommand(verb, dir)} — then press Lab ${verb} again.`;

/**
 * Refuses a file root would run that someone else could have changed: which file, why, and
 * the terminal command that does the same without trusting it.
 */
async function checkRunnable(what: string, file: string, verb: 'up' | 'down', dir: string, io: LinkIo): Promise<void> {
  const instead = `run \`${terminalCommand(verb, dir)}\` in a terminal instead`;
  try {
    await checkRunAsRoot(file, io);
  } catch (e) {
    if (e instanceof UnsafePathError) {
      const part = e.path === path.resolve(file) ? 'it' : e.path;
      throw new ApiError('failed', `Overlab will not run ${what} as root: ${file}: ${part} ${e.reason}, so someone other than root could change what runs as root. Reinstall Overlab where only root can write (the .deb does), or ${instead}.`);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApiError('failed', `Overlab will not run ${what} as root: ${(e as NodeJS.ErrnoException).path ?? file} does not exist; ${instead}.`);
    throw new ApiError('failed', `Overlab could not check ${what} ${file} before running it as root (${(e as Error).message}); ${instead}.`);
  }
}

/** The child's outcome: its exit code and output, or the spawn error (ENOENT: no pkexec). */
function runChild(spawn: SpawnFn, command: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    let child: ReturnType<SpawnFn>;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    } catch (e) {
      resolve({ error: e as NodeJS.ErrnoException });
      return;
    }
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => (stdout += d));
    child.stderr?.on('data', (d: string) => (stderr += d));
    let settled = false;
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (!settled) resolve({ error });
      settled = true;
    });
    child.on('close', (code: number | null) => {
      if (!settled) resolve({ code, stdout, stderr });
      settled = true;
    });
  });
}

const lastJsonLine = (out: string): unknown => {
  const line = out.trim().split('\n').reverse().find((l) => l.trim().startsWith('{'));
  if (!line) return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
};

/** The CLI's own error, from its stderr (`overlab: …` or diagnostics, one per line). */
const cliError = (stderr: string, code: number | null): string => {
  const lines = stderr.trim().split('\n').map((l) => l.replace(/^overlab: /, '').trim()).filter(Boolean);
  return lines.length ? lines.slice(-5).join('\n') : `the root process ended with ${code === null ? 'a signal' : `exit code ${code}`}`;
};

/** The handlers, with `lab.up` and `lab.down` run as root through pkexec when this process is not root. */
export function privilegedLab(engine: Handlers, options: PrivilegedOptions): Handlers {
  const uid = options.getuid?.();
  if (uid === undefined || uid === 0) return engine;
  const now = options.now ?? Date.now;
  const io = options.io ?? asarBlindIo;

  async function asRoot(verb: 'up' | 'down', dir: string): Promise<unknown> {
    // Absolute: pkexec's process may start elsewhere, and a folder never reads as an option.
    const abs = path.resolve(dir);
    // Checked on every call, right before the spawn: no cache an attacker could outlive.
    await checkRunnable('the Electron binary', options.execPath, verb, abs, io);
    await checkRunnable("Overlab's command-line program", options.cliPath, verb, abs, io);
    const args = [ENV, 'ELECTRON_RUN_AS_NODE=1', options.execPath, options.cliPath, 'lab', verb, abs, '--json'];
    const r = await runChild(options.spawn, PKEXEC, args);
    if ('error' in r) {
      if (r.error.code === 'ENOENT') throw new ApiError('failed', needsTerminalMessage(verb, abs));
      throw new ApiError('failed', `could not start pkexec: ${r.error.message}`);
    }
    if (r.code !== null && PKEXEC_REFUSED.has(r.code)) throw new ApiError('failed', needsTerminalMessage(verb, abs));
    if (r.code !== 0) throw new ApiError('failed', `lab ${verb}: ${cliError(r.stderr, r.code)}`);
    const json = lastJsonLine(r.stdout);
    if (json === undefined) throw new ApiError('failed', `lab ${verb}: the root process printed no JSON result`);
    return json;
  }

  return {
    ...engine,
    'lab.up': async ({ dir }) => {
      const started = now();
      const parsed = UP_JSON.safeParse(await asRoot('up', dir));
      if (!parsed.success) throw new ApiError('failed', 'lab up: the root process printed an unexpected result');
      const r = parsed.data;
      const result: LabUpResult = {
        id: r.id,
        hosts: r.hosts,
        created: r.created,
        removed: r.removed,
        // The CLI's --json line has no management address; empty says "not known here".
        management: r.management ?? '',
        knownHosts: r.knownHosts ?? knownHostsPath(path.resolve(dir)),
        durationMs: r.durationMs ?? now() - started,
      };
      return result;
    },
    'lab.down': async ({ dir }) => {
      const parsed = DOWN_JSON.safeParse(await asRoot('down', dir));
      if (!parsed.success) throw new ApiError('failed', 'lab down: the root process printed an unexpected result');
      return { removed: parsed.data.removed };
    },
  };
}
