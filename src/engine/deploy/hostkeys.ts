/**
 * Host-key pinning against the project's `.overlab/known_hosts`, an OpenSSH known_hosts file
 * (plain names: `address[:port] keytype base64 [comment]`). Overlab's lines carry the host they
 * were pinned for and the key's fingerprint in the comment field, which OpenSSH ignores:
 *
 *   198.18.240.2 ssh-ed25519 AAAAC3Nz… overlab:host=hub overlab:fingerprint=SHA256:…
 *
 * Lines without that comment (older files, lines a person pasted) are trusted all the same.
 * Nothing is trusted silently: an unknown key is let in only with a consent carrying its exact
 * fingerprint for that host and address (`consentMatches`); a key other than the one pinned
 * for an address is always refused.
 *
 * Several engines may pin at once (two deploys, a deploy and a `lab up`, the app and the CLI),
 * so every write takes a lock file beside known_hosts (O_EXCL), re-reads the file, merges and
 * writes it atomically: a pin made by someone else since this copy was loaded is never lost.
 * Every read and write goes through safe-fs (Overlab may be root in a user's folder).
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { normalizeFingerprint, type HostKeyConsent, type HostKeyReport, type PinnedKeyInfo, hostKeyMessage, cliAcceptHint } from '../../shared/hostkeys.js';
import { HOST_NAME_RE } from '../../shared/names.js';
import { createFile, readText, writeFile } from '../safe-fs.js';

export const fingerprint = (key: Buffer): string => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/** `[addr]:port` for non-22 ports, as OpenSSH writes it. */
export const knownHostsName = (address: string, port: number): string => (port === 22 ? address : `[${address}]:${port}`);

export type HostKeyVerdict =
  | { readonly status: 'trusted'; readonly fingerprint: string; readonly keyType: string }
  | { readonly status: 'unknown'; readonly fingerprint: string; readonly keyType: string }
  | { readonly status: 'changed'; readonly fingerprint: string; readonly keyType: string; readonly pinned: readonly PinnedKeyInfo[] };

/** A refused host key: the host, where it was met, the verdict and (unknown keys) the fingerprint that had been accepted for it. */
export class HostKeyError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly verdict: Exclude<HostKeyVerdict, { status: 'trusted' }>,
    readonly accepted?: string,
  ) {
    super(hostKeyMessageOf(host, address, verdict, accepted));
    this.name = 'HostKeyError';
  }

  /** What the doors show (the deploy result's `hostKey`, an API error's `hostKeys`). */
  report(): HostKeyReport {
    return reportOf(this.host, this.address, this.verdict, this.accepted);
  }
}

function reportOf(host: string, address: string, v: Exclude<HostKeyVerdict, { status: 'trusted' }>, accepted: string | undefined): HostKeyReport {
  return {
    status: v.status,
    host,
    address,
    keyType: v.keyType,
    fingerprint: v.fingerprint,
    ...(v.status === 'changed' ? { pinned: v.pinned } : {}),
    ...(v.status === 'unknown' && accepted !== undefined ? { accepted } : {}),
  };
}

const hostKeyMessageOf = (host: string, address: string, v: Exclude<HostKeyVerdict, { status: 'trusted' }>, accepted: string | undefined): string => hostKeyMessage(reportOf(host, address, v, accepted), cliAcceptHint);

/** Whether a consent lets in this unknown key for `host` at `name`: same host, same address (when the consent names one), same fingerprint. */
export const consentMatches = (c: HostKeyConsent, host: string, name: string, fp: string): boolean =>
  c.host === host && (c.address === undefined || c.address === name) && normalizeFingerprint(c.fingerprint) === fp;

/** SSH wire format: string keytype, then the key material. */
function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return key.subarray(4, 4 + n).toString('ascii');
}

/** A host name as recorded in a comment: only the characters a host name has (the comment is text anyone could have edited, and it is printed). */
const RECORDED_HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

interface Entry {
  readonly names: readonly string[];
  readonly keyType: string;
  readonly key: Buffer;
  readonly host?: string;
}

/**
 * One line of known_hosts, or undefined for lines Overlab does not trust: comments, blank lines,
 * `@cert-authority`/`@revoked` markers and hashed names (Overlab writes neither and matches
 * neither), and lines whose key does not decode.
 */
function parseLine(line: string): Entry | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#') || t.startsWith('@')) return undefined;
  const f = t.split(/\s+/);
  if (f.length < 3) return undefined;
  const key = Buffer.from(f[2]!, 'base64');
  if (key.length < 8 || keyTypeOf(key) !== f[1]) return undefined;
  const host = f
    .slice(3)
    .map((w) => /^overlab:host=(.*)$/.exec(w)?.[1])
    .find((h) => h !== undefined && RECORDED_HOST_RE.test(h));
  return { names: f[0]!.split(','), keyType: f[1]!, key, ...(host ? { host } : {}) };
}

/** The line Overlab writes: the OpenSSH fields, then the host and fingerprint in the comment field. */
export function knownHostsLine(name: string, key: Buffer, host: string | undefined): string {
  // Only a well-formed host name goes into the file: nothing that could break the line apart.
  const tag = host !== undefined && HOST_NAME_RE.test(host) ? ` overlab:host=${host}` : '';
  return `${name} ${keyTypeOf(key)} ${key.toString('base64')}${tag} overlab:fingerprint=${fingerprint(key)}`;
}

/** known_hosts is small; a file far past this is not one Overlab wrote. */
const MAX_BYTES = 4 << 20;

/** known_hosts as it is ('' when absent), read through safe-fs: for hand-offs (the Ansible export, a campaign cell's copy). */
export const readKnownHostsText = async (file: string): Promise<string> => (await readText(file, { maxBytes: MAX_BYTES })) ?? '';

const readLines = async (file: string): Promise<string[]> => (await readKnownHostsText(file)).split('\n').filter((l) => l.trim() !== '');

function verdictOf(lines: readonly string[], name: string, key: Buffer): HostKeyVerdict {
  const fp = fingerprint(key);
  const keyType = keyTypeOf(key);
  const known = lines.map(parseLine).filter((e): e is Entry => e !== undefined && e.names.includes(name));
  if (known.some((e) => e.key.equals(key))) return { status: 'trusted', fingerprint: fp, keyType };
  if (known.length === 0) return { status: 'unknown', fingerprint: fp, keyType };
  return { status: 'changed', fingerprint: fp, keyType, pinned: known.map((e) => ({ keyType: e.keyType, fingerprint: fingerprint(e.key), ...(e.host ? { host: e.host } : {}) })) };
}

export class KnownHosts {
  private constructor(
    private readonly file: string,
    private lines: string[],
  ) {}

  static async load(file: string): Promise<KnownHosts> {
    return new KnownHosts(file, await readLines(file));
  }

  /** Against the copy loaded (or last merged): the key is checked while the connection waits. */
  verify(name: string, key: Buffer): HostKeyVerdict {
    return verdictOf(this.lines, name, key);
  }

  /**
   * Pins an unknown key the person accepted for `host` at `name`. Under the lock, against the file
   * as it is now: if someone pinned this very key meanwhile, nothing is written; if someone pinned
   * another key for the address meanwhile, it is refused like any changed key.
   */
  async accept(name: string, key: Buffer, host: string): Promise<void> {
    await withLock(this.file, async () => {
      const now = await readLines(this.file);
      const v = verdictOf(now, name, key);
      if (v.status === 'changed') {
        this.lines = now;
        throw new HostKeyError(host, name, v);
      }
      if (v.status === 'unknown') {
        now.push(knownHostsLine(name, key, host));
        await writeFile(this.file, `${now.join('\n')}\n`, { mode: 0o644 });
      }
      this.lines = now;
    });
  }

  /**
   * Pins keys Overlab itself made (the lab's hosts, whose keys `lab up` generated): each entry's
   * address gets exactly this key, replacing what was pinned for it. Other lines are kept as they
   * are, under the same lock as `accept`.
   */
  static async pinOwn(file: string, entries: readonly { name: string; key: Buffer; host: string }[]): Promise<void> {
    const names = new Set(entries.map((e) => e.name));
    await withLock(file, async () => {
      const kept = (await readLines(file)).filter((l) => !names.has(l.trim().split(/\s+/)[0]!));
      await writeFile(file, `${[...kept, ...entries.map((e) => knownHostsLine(e.name, e.key, e.host))].join('\n')}\n`, { mode: 0o644 });
    });
  }
}

// ---- the lock ------------------------------------------------------------------------------

/** A lock older than this is stale whoever holds it: a pin takes milliseconds, not half a minute. */
const STALE_MS = 30_000;
/** How long to wait for another holder before giving up with a message. */
const WAIT_MS = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, it is just not ours to signal.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the lock at `lock` is stale: its holder (pid on this machine) is gone, or it is older
 * than STALE_MS. An empty lock file is judged by age only: its holder may be between making the
 * file and writing its line.
 */
async function stale(lock: string, text: string): Promise<boolean> {
  const st = await fs.lstat(lock).catch(() => undefined);
  if (!st) return false;
  if (Date.now() - st.mtimeMs > STALE_MS) return true;
  const [pid, host] = text.split(' ');
  return !!pid && /^\d+$/.test(pid) && host === os.hostname() && !alive(Number(pid));
}

/**
 * Breaks a stale lock: it is moved aside first and removed only if what was moved is the lock
 * judged stale, so that two processes breaking the same stale lock cannot remove a fresh one
 * a third process has just taken.
 */
async function breakStale(lock: string, text: string): Promise<void> {
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(lock, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readText(aside, { maxBytes: 4096 }).catch(() => undefined);
  if (moved !== text) await fs.link(aside, lock).catch(() => undefined); // a fresh lock: put it back (unless yet another was taken)
  await fs.unlink(aside).catch(() => undefined);
}

async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const token = `${process.pid} ${os.hostname()} ${new Date().toISOString()} ${randomBytes(6).toString('hex')}\n`;
  const deadline = Date.now() + WAIT_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    if (await createFile(lock, token, { mode: 0o600, dirMode: 0o700 })) break;
    const text = (await readText(lock, { maxBytes: 4096 }).catch(() => undefined)) ?? '';
    if (await stale(lock, text)) {
      await breakStale(lock, text);
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${file}: another Overlab process holds ${path.basename(lock)} (${text.trim() || 'being written'}) and has for over ${WAIT_MS / 1000} s; if no Overlab is running, remove ${lock}`);
    }
    await sleep(pause + Math.random() * pause);
  }
  try {
    return await work();
  } finally {
    // Only our own lock: if it was broken as stale meanwhile, the one there now is someone else's.
    const now = await readText(lock, { maxBytes: 4096 }).catch(() => undefined);
    if (now === token) await fs.unlink(lock).catch(() => undefined);
  }
}
