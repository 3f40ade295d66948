/**
 * The project folder: `overlab.yaml` (the topology), `runs/<id>/`, `reports/` and
 * `.overlab/secrets/` (0700, files 0600). Writes are atomic; nothing is saved that does
 * not validate.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ProjectSnapshot } from '../../shared/api.js';
import { error, hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import { parseProject, PROJECT_FILE, serializeProject, type ParseOptions } from '../../shared/document.js';
import type { Topology } from '../../shared/schema.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { validateTopology } from '../../shared/validate.js';
import { ensureDir, readFile, readText, statFile, TooLargeError, UnsafePathError, writeFile } from '../safe-fs.js';
import type { AtomicWriteHooks } from './atomic.js';

export const SECRETS_DIR = path.join('.overlab', 'secrets');

export const projectFile = (dir: string): string => path.join(dir, PROJECT_FILE);

/**
 * The largest overlab.yaml read: a 200-host full mesh (19,900 links) is about 3 MB; anything far
 * larger is not a project Overlab wrote, and parsing it would hold the engine.
 */
export const PROJECT_FILE_MAX = 32 << 20;

/** Creates the folder layout with its permissions; safe to call on an existing project. */
export async function ensureLayout(dir: string): Promise<void> {
  await ensureDir(dir, 0o755);
  for (const sub of ['runs', 'reports']) await ensureDir(path.join(dir, sub), 0o755);
  // .overlab holds the secrets: private, whoever made it (checked: no link, a trusted owner).
  await ensureDir(path.join(dir, SECRETS_DIR), 0o700);
  for (const d of [path.join(dir, '.overlab'), path.join(dir, SECRETS_DIR)]) {
    const st = await statFile(d);
    if (st && (st.mode & 0o077) !== 0) await fs.chmod(d, 0o700);
  }
  // The ignore rule lives inside .overlab/, so it holds whatever the user's own .gitignore says.
  // Written only when it is not already so: a save writes overlab.yaml and nothing else (on a
  // full disk, the error is then about the file being saved).
  const ignore = path.join(dir, '.overlab', '.gitignore');
  const rule = '# Generated keys and PSKs never leave this machine.\nsecrets/\n';
  if ((await readText(ignore, { maxBytes: 4096 }).catch(() => undefined)) !== rule) await writeFile(ignore, rule, { mode: 0o644 });
}

/** Why a project file cannot be read, as a diagnostic (unsafe, too large, absent …). */
function unreadable(file: string, dir: string, e: unknown): Diagnostic {
  if (e instanceof UnsafePathError) return error('unsafe-path', [], e.message);
  if (e instanceof TooLargeError) return error('too-large', [], e.message);
  const code = (e as NodeJS.ErrnoException).code;
  const msg =
    code === 'ENOENT'
      ? `there is no ${PROJECT_FILE} in ${dir}; create a project with \`overlab new ${dir} --template site-to-site\``
      : code === 'EACCES'
        ? `cannot read ${file}: permission denied`
        : code === 'EISDIR'
          ? `${file} is a directory, not a project file`
          : `cannot read ${file} (${code ?? 'error'})`;
  return error('cannot-read', [], msg);
}

/** The project file's bytes (undefined when absent); refuses links, foreign owners and oversized files. */
const readProjectFile = (dir: string): Promise<Buffer | undefined> => readFile(projectFile(dir), { maxBytes: PROJECT_FILE_MAX });

export interface CreateOptions {
  /** Overwrite an existing overlab.yaml. */
  readonly force?: boolean;
}

export async function createProject(dir: string, topology: Topology, registry: Registry, opts: CreateOptions = {}): Promise<ProjectSnapshot> {
  const file = projectFile(dir);
  if (!opts.force && (await statFile(file))) {
    return { dir, diagnostics: [error('project-exists', [], `${file} already exists; pick another folder or pass --force to overwrite it`)] };
  }
  await ensureLayout(dir);
  return saveProject(dir, topology, registry);
}

/** The revision of a project file: the SHA-256 of its bytes (what a save checks it still has). */
export const revisionOf = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** The file's current revision, or undefined when there is none. */
export async function currentRevision(dir: string): Promise<string | undefined> {
  const bytes = await readProjectFile(dir).catch(() => undefined);
  return bytes === undefined ? undefined : revisionOf(bytes);
}

/**
 * Where a file's bytes stop being UTF-8, as a diagnostic (undefined when they are UTF-8). Read
 * on regardless, a stray byte would become U+FFFD and a save would write that instead of it.
 */
function notUtf8(bytes: Buffer, text: string): Diagnostic | undefined {
  const again = Buffer.from(text, 'utf8');
  if (again.equals(bytes)) return undefined;
  let at = 0;
  while (at < bytes.length && bytes[at] === again[at]) at++;
  const before = bytes.subarray(0, at);
  const line = before.filter((b) => b === 10).length + 1;
  const column = at - (before.lastIndexOf(10) + 1) + 1;
  return { ...error('not-utf8', [], `this file is not UTF-8 text (byte 0x${bytes[at]!.toString(16).padStart(2, '0')} cannot start or continue a character here): Overlab reads project files as UTF-8; save it as UTF-8, or restore it from a copy`), line, column };
}

export async function openProject(dir: string, registry: Registry, opts: ParseOptions = {}): Promise<ProjectSnapshot> {
  const file = projectFile(dir);
  let bytes: Buffer | undefined;
  try {
    bytes = await readProjectFile(dir);
    if (bytes === undefined) throw Object.assign(new Error('absent'), { code: 'ENOENT' });
  } catch (e) {
    return { dir, diagnostics: [unreadable(file, dir, e)] };
  }
  const text = bytes.toString('utf8');
  const bad = notUtf8(bytes, text);
  if (bad) return { dir, revision: revisionOf(bytes), diagnostics: [bad] };
  const parsed = parseProject(text, registry, opts);
  const revision = revisionOf(text);
  if (!parsed.value) return { dir, revision, diagnostics: parsed.diagnostics };
  return { dir, topology: parsed.value.topology, fromVersion: parsed.value.fromVersion, revision, diagnostics: parsed.diagnostics };
}

/** The file changed on disk since the caller read it (another editor, `overlab new --force`). */
export class SaveConflict extends Error {
  constructor(readonly file: string) {
    super(`${file} changed on disk since it was opened; reopen it to see the other change, or save again to overwrite it`);
  }
}

/**
 * Validates, then writes atomically. An invalid topology is not written; its diagnostics are
 * returned. With `expectedRevision`, a file whose bytes are no longer those is not overwritten
 * (SaveConflict), unless `force`.
 */
export async function saveProject(dir: string, topology: Topology, registry: Registry, hooks?: AtomicWriteHooks, guard: { expectedRevision?: string; force?: boolean } = {}): Promise<ProjectSnapshot> {
  const checked = validateTopology(topology, registry);
  const diagnostics: Diagnostic[] = [...checked.diagnostics];
  if (!checked.value || hasErrors(diagnostics)) return { dir, diagnostics };
  if (guard.expectedRevision !== undefined && !guard.force) {
    const now = await currentRevision(dir);
    if (now !== undefined && now !== guard.expectedRevision) throw new SaveConflict(projectFile(dir));
  }
  await ensureLayout(dir);
  const text = serializeProject(checked.value);
  await writeFile(projectFile(dir), text, { mode: 0o644, ...(hooks?.beforeRename ? { beforeRename: hooks.beforeRename } : {}) });
  return { dir, topology: checked.value, revision: revisionOf(text), diagnostics };
}
