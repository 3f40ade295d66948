/**
 * Host-key pinning against the project's `.overlab/known_hosts` (OpenSSH format, plain
 * host names: `address[:port] keytype base64`). Unknown keys are refused until the user
 * accepts their SHA256 fingerprint; a changed key is always refused. Nothing is trusted
 * silently.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../store/atomic.js';

export const fingerprint = (key: Buffer): string => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

/** `[addr]:port` for non-22 ports, as OpenSSH writes it. */
export const knownHostsName = (address: string, port: number): string => (port === 22 ? address : `[${address}]:${port}`);

export type HostKeyVerdict =
  | { readonly status: 'trusted' }
  | { readonly status: 'unknown'; readonly fingerprint: string; readonly keyType: string }
  | { readonly status: 'changed'; readonly fingerprint: string; readonly expected: readonly string[] };

/** SSH wire format: string keytype, then the key material. */
function keyType(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const n = key.readUInt32BE(0);
  return key.subarray(4, 4 + n).toString('ascii');
}

export class KnownHosts {
  private constructor(
    private readonly file: string,
    private readonly lines: string[],
  ) {}

  static async load(file: string): Promise<KnownHosts> {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    return new KnownHosts(file, text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')));
  }

  private entries(name: string): Buffer[] {
    return this.lines
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 3 && f[0]!.split(',').includes(name))
      .map((f) => Buffer.from(f[2]!, 'base64'));
  }

  verify(name: string, key: Buffer): HostKeyVerdict {
    const known = this.entries(name);
    if (known.some((k) => k.equals(key))) return { status: 'trusted' };
    const fp = fingerprint(key);
    if (known.length === 0) return { status: 'unknown', fingerprint: fp, keyType: keyType(key) };
    return { status: 'changed', fingerprint: fp, expected: known.map(fingerprint) };
  }

  async accept(name: string, key: Buffer): Promise<void> {
    this.lines.push(`${name} ${keyType(key)} ${key.toString('base64')}`);
    await writeFileAtomic(this.file, `${this.lines.join('\n')}\n`, 0o644);
  }
}
