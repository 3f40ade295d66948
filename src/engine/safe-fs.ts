/**
 * The one way Overlab touches the file system when it may be root. OpenSSH's StrictModes and
 * systemd-tmpfiles are the model: root opens nothing another user could have made first.
 *
 *  - A folder is trusted when it is a real folder (not a link), owned by root or by the person
 *    running Overlab (the invoking user behind sudo or pkexec), and nobody else can write it
 *    (no group/other write bit, except a user-private group; a sticky folder of root's such
 *    as /tmp is allowed, since its entries can only be replaced by their owners and every
 *    entry Overlab uses must itself have a trusted owner).
 *    Every folder from / down is checked on every call: no cache an attacker could outlive.
 *  - Within a path, no symbolic link is followed; the one exception is `resolvePath`, which
 *    the engine uses once on a folder the person named (and on the folder above a file or
 *    output folder they named, never on its own name), and which follows only links root made
 *    (the system's own, such as /lib -> usr/lib) or, run as a user, that user's own.
 *  - Files are opened with O_NOFOLLOW (and O_NONBLOCK, so a planted FIFO cannot hang a read),
 *    must be regular files with one link, a trusted owner and no write bit for others, and are
 *    read up to a stated size.
 *  - Files are written atomically: a temporary file made with O_CREAT|O_EXCL|O_NOFOLLOW in the
 *    checked folder, fsynced, renamed over the target. An existing target is replaced only when
 *    it is a regular file with a trusted owner (and, where a caller says so, one Overlab made:
 *    `replaceIf`).
 *  - A folder tree is removed only when it holds Overlab's marker file (`removeTree`).
 *  - A file root is to run (`checkRunAsRoot`) is held to a stricter rule: it and every folder
 *    above it owned by root and writable by root alone.
 *
 * Errors are `UnsafePathError`s that name the path, what is wrong and what to do; a write the
 * system refuses (a full disk, a read-only file system) is a `WriteFailedError` that names the
 * file, says why in words and that the file is as it was.
 */
import { randomBytes } from 'node:crypto';
import { constants, readFileSync, type Stats, promises as fs } from 'node:fs';
import path from 'node:path';

export class UnsafePathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly fix: string,
  ) {
    super(`${path} ${reason}: Overlab runs as root and refuses it; ${fix}`);
    this.name = 'UnsafePathError';
  }
}

/** A file larger than a reader accepts. */
export class TooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`${path} is ${formatBytes(size)}, more than the ${formatBytes(maxBytes)} Overlab reads from such a file; it is not one Overlab wrote (check it, or move it away)`);
    this.name = 'TooLargeError';
  }
}

/** Why the system refused a write, in words, with what to do. */
const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full (no space left on device); free some space and try again',
  EDQUOT: 'the disk quota is used up; free some space and try again',
  EROFS: 'the file system is read-only; save the project somewhere writable',
  EIO: 'the disk reported an input/output error; check the disk',
  EFBIG: 'the file is too large for this file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EMFILE: 'too many files are open; close some programs and try again',
};

/**
 * A write or a folder the system refused (a full disk, a read-only file system…): names the
 * file, says why and that nothing was changed. `code` is the system's (ENOSPC…), for callers
 * that act on it.
 */
export class WriteFailedError extends Error {
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
    what: 'write' | 'make' = 'write',
    kept: 'as it was' | 'not made' = 'as it was',
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why = (code && WRITE_FAILURES[code]) ?? (cause instanceof Error ? cause.message : String(cause)).replace(/\s+/g, ' ');
    super(`cannot ${what} ${path}: ${why}; ${kept === 'as it was' ? `${path} is as it was` : 'nothing was made'}`);
    this.code = code;
    this.name = 'WriteFailedError';
    if (cause instanceof Error) this.cause = cause;
  }
}

const formatBytes = (n: number): string => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(n >= 10 << 20 ? 0 : 1)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`);

const uidFromEnv = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,10}$/.test(v) ? Number(v) : undefined);

/**
 * Who may own what Overlab reads and writes: root, this process's user and, when this process
 * is root, the user who started it through sudo or pkexec (their project folder).
 */
export function trustedUids(): ReadonlySet<number> {
  const me = process.getuid?.() ?? 0;
  const out = new Set<number>([0, me]);
  if (me === 0) {
    for (const v of [process.env.SUDO_UID, process.env.PKEXEC_UID]) {
      const uid = uidFromEnv(v);
      if (uid !== undefined) out.add(uid);
    }
  }
  return out;
}

let accounts: { users: Map<number, { name: string; gid: number }>; groups: Map<number, { name: string; members: string[] }> } | undefined;

/** /etc/passwd and /etc/group, read once (names in messages, user-private groups). */
function accountsDb(): NonNullable<typeof accounts> {
  if (accounts) return accounts;
  const read = (f: string): string[] => {
    try {
      return readFileSync(f, 'utf8').split('\n');
    } catch {
      return [];
    }
  };
  const users = new Map<number, { name: string; gid: number }>();
  for (const l of read('/etc/passwd')) {
    const f = l.split(':');
    if (f.length >= 4 && /^\d+$/.test(f[2]!)) users.set(Number(f[2]), { name: f[0]!, gid: Number(f[3]) });
  }
  const groups = new Map<number, { name: string; members: string[] }>();
  for (const l of read('/etc/group')) {
    const f = l.split(':');
    if (f.length >= 4 && /^\d+$/.test(f[2]!)) groups.set(Number(f[2]), { name: f[0]!, members: f[3]!.split(',').filter(Boolean) });
  }
  return (accounts = { users, groups });
}

const userName = (uid: number): string => {
  const u = accountsDb().users.get(uid);
  return u ? `${u.name} (uid ${uid})` : `uid ${uid}`;
};

/** A user-private group (Debian's default with umask 002): named after its owner, their primary group, no other member. */
function privateGroupOf(st: Stats): boolean {
  const { users, groups } = accountsDb();
  const u = users.get(st.uid);
  const g = groups.get(st.gid);
  return !!u && !!g && u.gid === st.gid && g.name === u.name && g.members.every((m) => m === u.name);
}

/**
 * Whom a check trusts. OURS: what Overlab reads and writes (root, you, the sudo/pkexec user;
 * a user-private group may write). ROOT_ONLY: what root is to *run* — a program started through
 * pkexec is as trustworthy as the least trusted person who could have changed it or any folder
 * above it, so there only root may own or write (no group write at all).
 */
interface Trust {
  readonly owners: () => ReadonlySet<number>;
  readonly ownersText: string;
  readonly privateGroupMayWrite: boolean;
}

const OURS: Trust = { owners: trustedUids, ownersText: 'not by root or by you', privateGroupMayWrite: true };
const ROOT_ONLY: Trust = { owners: () => new Set([0]), ownersText: 'not by root', privateGroupMayWrite: false };

/**
 * Why a folder on the way to a path cannot be trusted, or undefined. A sticky folder of root's
 * (/tmp) may be world-writable: its entries can be replaced only by their owners, and every entry
 * Overlab reads or replaces must itself have a trusted owner; new files are made with O_EXCL.
 * For what root is to run (ROOT_ONLY), only *above* the file's own folder: anyone could add
 * files beside a program in a sticky folder.
 */
function folderProblem(st: Stats, trust: Trust = OURS, above = true): { reason: string; fix: string } | undefined {
  if (st.isSymbolicLink()) return { reason: 'is a symbolic link', fix: 'give the real folder instead (a link here could have been made by someone else)' };
  if (!st.isDirectory()) return { reason: 'is not a folder', fix: 'give a folder' };
  if (!trust.owners().has(st.uid)) return { reason: `is owned by ${userName(st.uid)}, ${trust.ownersText}`, fix: 'copy the project into a folder of your own' };
  const sticky = (st.mode & 0o1000) !== 0;
  if (sticky && st.uid === 0 && (above || trust === OURS)) return undefined;
  if ((st.mode & 0o002) !== 0) return { reason: 'can be written by every user', fix: 'remove that permission (chmod o-w) or use another folder' };
  if ((st.mode & 0o020) !== 0 && !(trust.privateGroupMayWrite && privateGroupOf(st))) return { reason: `can be written by the group ${accountsDb().groups.get(st.gid)?.name ?? st.gid}`, fix: 'remove that permission (chmod g-w) or use another folder' };
  return undefined;
}

/** Why a file cannot be trusted, or undefined. */
function fileProblem(st: Stats, trust: Trust = OURS): { reason: string; fix: string } | undefined {
  if (!st.isFile()) return { reason: st.isDirectory() ? 'is a folder, not a file' : 'is not a regular file', fix: 'move it away' };
  if (!trust.owners().has(st.uid)) return { reason: `is owned by ${userName(st.uid)}, ${trust.ownersText}`, fix: 'remove it (Overlab makes it again) or copy the project into a folder of your own' };
  if (st.nlink > 1) return { reason: 'has other hard links', fix: 'replace it with a copy of its own (cp, then mv)' };
  if ((st.mode & 0o002) !== 0 || ((st.mode & 0o020) !== 0 && !(trust.privateGroupMayWrite && privateGroupOf(st)))) return { reason: 'can be written by other users', fix: 'chmod go-w it' };
  return undefined;
}

const lstatOrUndefined = (p: string): Promise<Stats | undefined> =>
  fs.lstat(p).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });

const components = (abs: string): string[] => abs.split('/').filter(Boolean);

/**
 * Checks every folder from / down to `dir` (which must exist unless `createMode` is given; the
 * missing ones are then made with that mode, each checked after it is made). No link is followed.
 */
export async function ensureDir(dir: string, createMode?: number): Promise<void> {
  const abs = path.resolve(dir);
  let at = '/';
  const root = await fs.lstat('/');
  const bad = folderProblem(root);
  if (bad) throw new UnsafePathError('/', bad.reason, bad.fix);
  const parts = components(abs);
  for (let i = 0; i < parts.length; i++) {
    at = path.join(at, parts[i]!);
    let st = await lstatOrUndefined(at);
    if (!st) {
      if (createMode === undefined) throw Object.assign(new Error(`${at} does not exist`), { code: 'ENOENT', path: at });
      try {
        await fs.mkdir(at, { mode: createMode });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new WriteFailedError(at, e, 'make', 'not made');
      }
      st = await fs.lstat(at);
    }
    const problem = folderProblem(st);
    if (problem) throw new UnsafePathError(at, problem.reason, problem.fix);
  }
}

/** `ensureDir` without making anything. */
export const checkDir = (dir: string): Promise<void> => ensureDir(dir);

/**
 * The real path of a folder or file the person named (the door's argument), following only
 * links root made (or, run as a user, that user's) in trusted folders; parts that do not exist
 * yet are kept as given.
 */
export async function resolvePath(p: string): Promise<string> {
  let todo = components(path.resolve(p));
  let at = '/';
  let hops = 0;
  while (todo.length) {
    const name = todo.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      at = path.dirname(at);
      continue;
    }
    const next = path.join(at, name);
    const st = await lstatOrUndefined(next);
    if (!st) return path.join(next, ...todo);
    if (st.isSymbolicLink()) {
      // Root follows only links root made (the system's own, /lib → usr/lib), or, run as a
      // user, that user's: never one of the sudo/pkexec user's, however trusted their files.
      if (st.uid !== 0 && st.uid !== (process.getuid?.() ?? 0)) throw new UnsafePathError(next, `is a symbolic link made by ${userName(st.uid)}`, 'give the real path instead');
      if (++hops > 40) throw new UnsafePathError(p, 'has too many symbolic links', 'give the real path instead');
      const target = await fs.readlink(next);
      todo = [...components(target), ...todo];
      if (path.isAbsolute(target)) at = '/';
      continue;
    }
    if (st.isDirectory()) {
      const problem = folderProblem(st);
      if (problem) throw new UnsafePathError(next, problem.reason, problem.fix);
    } else if (todo.length) {
      throw new UnsafePathError(next, 'is not a folder', 'give a path through folders');
    }
    at = next;
  }
  return at;
}

/** How `checkRunAsRoot` looks at the file system: Node's own calls, or ones a host process (Electron) must adjust. */
export interface LinkIo {
  lstat(p: string): Promise<Stats>;
  readlink(p: string): Promise<string>;
}

const NODE_IO: LinkIo = { lstat: (p) => fs.lstat(p), readlink: (p) => fs.readlink(p) };

/**
 * A file root is about to *run* (a program, a script started through pkexec): it and every folder
 * from / down to it must be owned by root and writable by nobody else (a root-owned sticky folder
 * such as /tmp is allowed above its parent, as in `ensureDir`), or whoever could change them
 * would get root. A symbolic link on the way is followed only when root made it. An Electron
 * archive on the way (`….asar/out/cli/overlab.mjs`) is checked as the file: what is inside it is
 * as trusted as the archive. Returns the real path; throws `UnsafePathError` naming the part
 * at fault (or an ENOENT error when a part is missing).
 */
export async function checkRunAsRoot(file: string, io: LinkIo = NODE_IO): Promise<string> {
  const fix = 'only files and folders that root owns and only root can change may run as root';
  let todo = components(path.resolve(file));
  let at = '/';
  let hops = 0;
  const rootProblem = folderProblem(await io.lstat('/'), ROOT_ONLY, true);
  if (rootProblem) throw new UnsafePathError('/', rootProblem.reason, fix);
  while (todo.length) {
    const name = todo.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      at = path.dirname(at);
      continue;
    }
    const next = path.join(at, name);
    let st: Stats;
    try {
      st = await io.lstat(next);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw Object.assign(new Error(`${next} does not exist`), { code: 'ENOENT', path: next });
      throw e;
    }
    if (st.isSymbolicLink()) {
      if (st.uid !== 0) throw new UnsafePathError(next, `is a symbolic link made by ${userName(st.uid)}, not by root`, fix);
      if (++hops > 40) throw new UnsafePathError(file, 'has too many symbolic links', fix);
      const target = await io.readlink(next);
      todo = [...components(target), ...todo];
      if (path.isAbsolute(target)) at = '/';
      continue;
    }
    if (st.isDirectory() && todo.length) {
      // The folder that holds the file may not be a shared sticky one: anyone could add files beside it.
      const problem = folderProblem(st, ROOT_ONLY, todo.length > 1);
      if (problem) throw new UnsafePathError(next, problem.reason, fix);
      at = next;
      continue;
    }
    if (st.isFile() && todo.length && !name.endsWith('.asar')) throw new UnsafePathError(next, 'is not a folder', fix);
    const problem = fileProblem(st, ROOT_ONLY);
    if (problem) throw new UnsafePathError(next, problem.reason, fix);
    return path.join(next, ...todo);
  }
  throw new UnsafePathError(file, 'is a folder, not a file', fix);
}

export interface ReadOptions {
  /** Largest file accepted (TooLargeError past it). */
  readonly maxBytes: number;
}

/** O_NONBLOCK: opening a FIFO planted in place of a file must not wait for a writer. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

async function openChecked(file: string, flags: number): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, flags);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UnsafePathError(file, 'is a symbolic link', 'replace it with the file itself (a link here could point anywhere on this machine)');
    throw e;
  }
}

/**
 * A file's bytes, or undefined when it does not exist. The folders on the way are checked, the
 * file is opened without following a link and must be a regular, single-linked file of a
 * trusted owner that others cannot write, of at most `maxBytes`.
 */
export async function readFile(file: string, opts: ReadOptions): Promise<Buffer | undefined> {
  const abs = path.resolve(file);
  await checkDir(path.dirname(abs)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return;
    throw e;
  });
  let h: fs.FileHandle;
  try {
    h = await openChecked(abs, READ_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = await h.stat();
    if (st.isDirectory()) throw Object.assign(new Error(`${abs} is a folder, not a file`), { code: 'EISDIR', path: abs });
    const problem = fileProblem(st);
    if (problem) throw new UnsafePathError(abs, problem.reason, problem.fix);
    if (st.size > opts.maxBytes) throw new TooLargeError(abs, st.size, opts.maxBytes);
    // Read at most maxBytes + 1: a file that grows while read is still refused.
    const buf = Buffer.alloc(Math.min(st.size, opts.maxBytes) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await h.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        if (n > opts.maxBytes) throw new TooLargeError(abs, n, opts.maxBytes);
        break;
      }
    }
    return buf.subarray(0, n);
  } finally {
    await h.close();
  }
}

/** `readFile` as UTF-8 text. */
export const readText = async (file: string, opts: ReadOptions): Promise<string | undefined> => (await readFile(file, opts))?.toString('utf8');

/** A file's metadata without following a link (undefined when absent); the folders on the way are checked. */
export async function statFile(file: string): Promise<Stats | undefined> {
  const abs = path.resolve(file);
  try {
    await checkDir(path.dirname(abs));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return lstatOrUndefined(abs);
}

/** An existing file that a write may replace (its stat), undefined when absent; else the reason it may not. */
async function replaceable(abs: string): Promise<Stats | undefined> {
  const existing = await lstatOrUndefined(abs);
  if (!existing) return undefined;
  if (existing.isSymbolicLink()) throw new UnsafePathError(abs, 'is a symbolic link', 'remove the link (Overlab writes the file itself, never through a link)');
  const problem = fileProblem(existing);
  if (problem) throw new UnsafePathError(abs, problem.reason, problem.fix);
  return existing;
}

/**
 * Checks, without writing, that `writeFile` could write `file`: the folders on the way (those
 * that exist) and the file if it is there. For refusing early, before anything else is made.
 */
export async function checkWritable(file: string): Promise<void> {
  const abs = path.resolve(file);
  try {
    await checkDir(path.dirname(abs));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  await replaceable(abs);
}

export interface WriteOptions {
  /** The file's mode (set exactly, whatever the umask). */
  readonly mode: number;
  /** Mode for folders made on the way (default: the parent must exist). */
  readonly dirMode?: number;
  /**
   * An existing file is replaced only when this says yes, given its first and last bytes (up to
   * 64 KiB each): for files at a path a person named, "it is one Overlab wrote". Without it any
   * regular file of a trusted owner is replaced (the project's own files).
   */
  readonly replaceIf?: (head: Buffer, tail: Buffer) => boolean;
  /** What to say when `replaceIf` says no. */
  readonly notOurs?: string;
  /** Test seam: called between the fsync of the temporary file and the rename (a crash there). */
  readonly beforeRename?: (tempPath: string) => void | Promise<void>;
}

/**
 * Writes `data` to `file` so that readers see the old content or the new, never a mix, and so
 * that nothing but `file` itself is ever written: a temporary file made exclusively in the
 * checked folder, fsynced, renamed over the target, the folder fsynced. On failure the temporary
 * file is removed and the target is untouched.
 */
export async function writeFile(file: string, data: string | Uint8Array, opts: WriteOptions): Promise<void> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  await ensureDir(dir, opts.dirMode);
  const existing = await replaceable(abs);
  if (existing) {
    if (opts.replaceIf) {
      const h = await openChecked(abs, READ_FLAGS);
      let head: Buffer;
      let tail: Buffer;
      try {
        const n = Math.min(existing.size, 64 * 1024);
        const buf = Buffer.alloc(n);
        head = buf.subarray(0, (await h.read(buf, 0, n, 0)).bytesRead);
        const end = Buffer.alloc(n);
        tail = end.subarray(0, (await h.read(end, 0, n, Math.max(0, existing.size - n))).bytesRead);
      } finally {
        await h.close();
      }
      if (!opts.replaceIf(head, tail)) throw new UnsafePathError(abs, 'exists and was not written by Overlab', opts.notOurs ?? 'pick a new file name, or remove the file first');
    }
  }
  const temp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let h: fs.FileHandle;
  try {
    h = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, opts.mode & 0o777);
  } catch (e) {
    throw new WriteFailedError(abs, e, 'write', existing ? 'as it was' : 'not made');
  }
  try {
    try {
      await h.writeFile(data);
      await h.chmod(opts.mode);
      await h.sync();
    } finally {
      await h.close();
    }
    await opts.beforeRename?.(temp);
    await fs.rename(temp, abs);
  } catch (e) {
    await fs.rm(temp, { force: true });
    // The temporary file is gone and the target untouched: say so, naming the target (the
    // system's own message names neither: "ENOSPC: no space left on device, write").
    throw new WriteFailedError(abs, e, 'write', existing ? 'as it was' : 'not made');
  }
  const dh = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Creates `file` only if it does not exist (O_EXCL, no link followed), in a checked folder.
 * Returns false when it was already there. For files written once and appended to never.
 */
export async function createFile(file: string, data: string | Uint8Array, opts: { mode: number; dirMode?: number }): Promise<boolean> {
  const abs = path.resolve(file);
  await ensureDir(path.dirname(abs), opts.dirMode);
  let h: fs.FileHandle;
  try {
    h = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, opts.mode & 0o777);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WriteFailedError(abs, e, 'write', 'not made');
  }
  try {
    try {
      await h.writeFile(data);
      await h.chmod(opts.mode);
      await h.sync();
    } finally {
      await h.close();
    }
  } catch (e) {
    // Made by this call (O_EXCL) and not whole: a later read would take the part written.
    await fs.rm(abs, { force: true });
    throw new WriteFailedError(abs, e, 'write', 'not made');
  }
  return true;
}

/** The names in a checked folder (undefined when it does not exist). */
export async function listDir(dir: string): Promise<string[] | undefined> {
  const abs = path.resolve(dir);
  try {
    await checkDir(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return fs.readdir(abs);
}

/** The marker file that says "Overlab made this folder and may replace it". */
export const MARKER = '.overlab-made';

/** A marker's text: what made the folder, so a person reading it knows what may replace it. */
export const markerText = (what: string): string => `This folder was written by ${what}; Overlab replaces it when asked to write here again. Remove this file to keep Overlab from touching the folder.\n`;

/**
 * Removes a folder tree Overlab made: a real folder (not a link) in a checked parent, of a trusted
 * owner, holding `MARKER`. Absent: nothing to do. Links inside are removed, never followed.
 */
export async function removeTree(dir: string, what: string): Promise<void> {
  const abs = path.resolve(dir);
  await checkDir(path.dirname(abs));
  const st = await lstatOrUndefined(abs);
  if (!st) return;
  const problem = folderProblem(st);
  if (problem) throw new UnsafePathError(abs, problem.reason, problem.fix);
  const marker = await readFile(path.join(abs, MARKER), { maxBytes: 4096 }).catch(() => undefined);
  if (marker === undefined) {
    const empty = (await fs.readdir(abs)).length === 0;
    if (!empty) throw new UnsafePathError(abs, `exists and was not written by ${what}`, `pick another folder, or remove ${abs} first`);
  }
  await fs.rm(abs, { recursive: true, force: true });
}

/** Marks a folder as Overlab's (written after its contents). */
export const writeMarker = (dir: string, what: string): Promise<void> => writeFile(path.join(dir, MARKER), markerText(what), { mode: 0o644 });

/**
 * A folder only root may use, made exclusively or checked as found: a real folder, owned by
 * root, mode exactly `mode`. For machine-wide state (the lab's), which nobody else may plant.
 */
export async function ensureRootDir(dir: string, mode = 0o700): Promise<void> {
  const abs = path.resolve(dir);
  await ensureDir(path.dirname(abs), 0o755);
  try {
    await fs.mkdir(abs, { mode });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = await fs.lstat(abs);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UnsafePathError(abs, 'is not a folder Overlab made (it is a link or a file)', `remove it (rm ${abs}) and try again`);
  if (st.uid !== 0) throw new UnsafePathError(abs, `is owned by ${userName(st.uid)}, not by root`, `remove it (rm -r ${abs}) and try again: another user made it first`);
  if ((st.mode & 0o7777) !== mode) throw new UnsafePathError(abs, `has mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, not ${mode.toString(8).padStart(4, '0')}`, `remove it (rm -r ${abs}) and try again`);
}
