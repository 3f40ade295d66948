/**
 * Secrets out of everything a report shows. The bundles a report's appendix prints are rendered
 * with the real key material (that is what was deployed), so every value in the project's
 * secret store — private keys, PSKs, and their public halves and certificates too, since a
 * report is handed to people outside the lab — is replaced by `«redacted: NAME»` before any
 * text leaves the engine. Multi-line values (PEM) are also redacted line by line, so a value
 * that was re-wrapped or quoted in part is caught as well.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readText } from '../safe-fs.js';
import { SECRET_FILE_MAX } from '../secrets/store.js';
import { SECRETS_DIR } from '../store/project.js';

/** Shorter values would redact innocent text (every secret here is far longer). */
const MIN_VALUE = 8;
/** A line of a PEM block or of a multi-line value that is worth hunting for alone. */
const MIN_LINE = 16;

export interface SecretValue {
  /** The secret's name as the report shows it: its ref and part, `wg/l1/a/private`. */
  readonly name: string;
  readonly value: string;
}

/** Values at least this long are also found with white space anywhere inside (re-wrapped by a renderer). */
const MIN_WRAPPED = 24;

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class ReportRedactor {
  private readonly values: { value: string; name: string; wrapped?: RegExp }[] = [];

  constructor(secrets: readonly SecretValue[]) {
    const seen = new Set<string>();
    const add = (value: string, name: string): void => {
      if (value.length < MIN_VALUE || seen.has(value)) return;
      seen.add(value);
      // A kind may print a value in its own line lengths (OpenVPN's static key: 16 lines of 32
      // hex digits from one stored line): match it with any white space between its characters.
      const bare = value.replace(/\s+/g, '');
      const wrapped = bare.length >= MIN_WRAPPED ? new RegExp([...bare].map(escapeRe).join('\\s*'), 'g') : undefined;
      this.values.push({ value, name, ...(wrapped ? { wrapped } : {}) });
    };
    for (const s of secrets) {
      add(s.value, s.name);
      add(s.value.trim(), s.name);
      if (s.value.includes('\n')) for (const line of s.value.split('\n')) if (line.trim().length >= MIN_LINE && !line.startsWith('-----')) add(line.trim(), s.name);
    }
    // Longest first: a value that contains another is replaced whole, not in pieces.
    this.values.sort((a, b) => b.value.length - a.value.length);
  }

  /** How many values it hunts for (whole values and their lines). */
  get size(): number {
    return this.values.length;
  }

  redact(text: string): string {
    let out = text;
    for (const { value, name, wrapped } of this.values) {
      const label = `«redacted: ${name}»`;
      if (out.includes(value)) out = out.split(value).join(label);
      if (wrapped) out = out.replace(wrapped, label);
    }
    return out;
  }
}

/**
 * Every value in `.overlab/secrets/` (each `<ref>/<part>` file; `spec.json` says how the secret
 * was made, not what it is). A project with no store has no secrets.
 */
export async function readSecretValues(projectDir: string): Promise<SecretValue[]> {
  const root = path.join(projectDir, SECRETS_DIR);
  const out: SecretValue[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name !== 'spec.json') {
        const value = await readText(p, { maxBytes: SECRET_FILE_MAX });
        if (value !== undefined) out.push({ name: path.relative(root, p).split(path.sep).join('/'), value });
      }
    }
  };
  await walk(root);
  return out;
}

export async function projectRedactor(projectDir: string): Promise<ReportRedactor> {
  return new ReportRedactor(await readSecretValues(projectDir));
}
