/**
 * Host-key pinning on real files with real keys (ed25519 keys made by node:crypto, in SSH wire
 * format; fingerprints and the file format checked against OpenSSH's own ssh-keygen): the three
 * verdicts, consent bound to a fingerprint, the comment field, old lines, and concurrent accepts
 * in one process and in two.
 */
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsafePathError } from '../safe-fs.js';
import { consentMatches, fingerprint, HostKeyError, KnownHosts, knownHostsLine, knownHostsName } from './hostkeys.js';

const exec = promisify(execFile);

/** A fresh ed25519 public key in SSH wire format (string "ssh-ed25519", string key). */
function newKey(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const sshString = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  return Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-hostkeys-'));
  file = path.join(dir, '.overlab', 'known_hosts');
  await fs.mkdir(path.dirname(file), { mode: 0o700 });
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const lines = async (): Promise<string[]> => (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean);

describe('fingerprints and names', () => {
  it('gives the fingerprint ssh-keygen -lf prints for the same key', async () => {
    const key = newKey();
    const pub = path.join(dir, 'k.pub');
    await fs.writeFile(pub, `ssh-ed25519 ${key.toString('base64')} test\n`);
    const { stdout } = await exec('ssh-keygen', ['-lf', pub]);
    expect(stdout.split(' ')[1]).toBe(fingerprint(key));
  });

  it('names non-22 ports as OpenSSH does', () => {
    expect(knownHostsName('198.18.0.5', 22)).toBe('198.18.0.5');
    expect(knownHostsName('198.18.0.5', 2222)).toBe('[198.18.0.5]:2222');
  });
});

describe('verdicts', () => {
  it('calls a key unknown when nothing is pinned for the address, trusted once accepted, changed when another key comes', async () => {
    const a = newKey();
    const b = newKey();
    const known = await KnownHosts.load(file);
    expect(known.verify('198.18.0.5', a)).toEqual({ status: 'unknown', fingerprint: fingerprint(a), keyType: 'ssh-ed25519' });
    await known.accept('198.18.0.5', a, 'hub');
    expect(known.verify('198.18.0.5', a).status).toBe('trusted');
    const again = await KnownHosts.load(file);
    expect(again.verify('198.18.0.5', a).status).toBe('trusted');
    expect(again.verify('198.18.0.5', b)).toEqual({ status: 'changed', fingerprint: fingerprint(b), keyType: 'ssh-ed25519', pinned: [{ keyType: 'ssh-ed25519', fingerprint: fingerprint(a), host: 'hub' }] });
    // Another address, or the same address on another port, is another name.
    expect(again.verify('198.18.0.6', a).status).toBe('unknown');
    expect(again.verify('[198.18.0.5]:2222', a).status).toBe('unknown');
  });

  it('writes the host and fingerprint in the comment field, and OpenSSH reads the line', async () => {
    const a = newKey();
    await (await KnownHosts.load(file)).accept('[198.18.0.5]:2222', a, 'spoke-1');
    expect(await lines()).toEqual([`[198.18.0.5]:2222 ssh-ed25519 ${a.toString('base64')} overlab:host=spoke-1 overlab:fingerprint=${fingerprint(a)}`]);
    const { stdout } = await exec('ssh-keygen', ['-F', '[198.18.0.5]:2222', '-f', file]);
    expect(stdout).toContain(`ssh-ed25519 ${a.toString('base64')}`);
    const listed = await exec('ssh-keygen', ['-lf', file]);
    expect(listed.stdout).toContain(fingerprint(a));
  });

  it('still trusts lines of the old format (no comment), and reports a change against them without a host', async () => {
    const a = newKey();
    const b = newKey();
    await fs.writeFile(file, `# pinned by hand\n198.18.0.5 ssh-ed25519 ${a.toString('base64')}\n`);
    const known = await KnownHosts.load(file);
    expect(known.verify('198.18.0.5', a).status).toBe('trusted');
    expect(known.verify('198.18.0.5', b)).toEqual({ status: 'changed', fingerprint: fingerprint(b), keyType: 'ssh-ed25519', pinned: [{ keyType: 'ssh-ed25519', fingerprint: fingerprint(a) }] });
  });

  it('does not take a host name from a comment that is not one', async () => {
    const a = newKey();
    await fs.writeFile(file, `198.18.0.5 ssh-ed25519 ${a.toString('base64')} overlab:host=\u001b[31mx\n`);
    const b = newKey();
    expect((await KnownHosts.load(file)).verify('198.18.0.5', b)).toEqual({ status: 'changed', fingerprint: fingerprint(b), keyType: 'ssh-ed25519', pinned: [{ keyType: 'ssh-ed25519', fingerprint: fingerprint(a) }] });
  });

  it('trusts nothing from a marker line or a line whose key does not match its type', async () => {
    const a = newKey();
    await fs.writeFile(file, `@cert-authority 198.18.0.5 ssh-ed25519 ${a.toString('base64')}\n198.18.0.6 ssh-rsa ${a.toString('base64')}\n`);
    const known = await KnownHosts.load(file);
    expect(known.verify('198.18.0.5', a).status).toBe('unknown');
    expect(known.verify('198.18.0.6', a).status).toBe('unknown');
  });

  it('keeps the host name out of the file unless it is a well-formed one', () => {
    const a = newKey();
    expect(knownHostsLine('198.18.0.5', a, 'evil\n198.18.0.9 ssh-ed25519 AAAA')).not.toContain('\n');
    expect(knownHostsLine('198.18.0.5', a, 'evil\n198.18.0.9')).not.toContain('overlab:host=');
  });

  it('refuses a known_hosts that is a symbolic link (read through safe-fs)', async () => {
    const elsewhere = path.join(dir, 'elsewhere');
    await fs.writeFile(elsewhere, '');
    await fs.symlink(elsewhere, file);
    await expect(KnownHosts.load(file)).rejects.toBeInstanceOf(UnsafePathError);
  });
});

describe('consent is bound to the fingerprint', () => {
  const a = newKey();
  const fa = fingerprint(a);
  const fb = fingerprint(newKey());

  it('matches the host, the address (when named) and the exact fingerprint only', () => {
    expect(consentMatches({ host: 'hub', fingerprint: fa }, 'hub', '198.18.0.5', fa)).toBe(true);
    expect(consentMatches({ host: 'hub', fingerprint: fa, address: '198.18.0.5' }, 'hub', '198.18.0.5', fa)).toBe(true);
    // A different key for the same host: refused.
    expect(consentMatches({ host: 'hub', fingerprint: fb }, 'hub', '198.18.0.5', fa)).toBe(false);
    // The same key offered for another host (a rename), or met at another address: refused.
    expect(consentMatches({ host: 'spoke-1', fingerprint: fa }, 'hub', '198.18.0.5', fa)).toBe(false);
    expect(consentMatches({ host: 'hub', fingerprint: fa, address: '198.18.0.6' }, 'hub', '198.18.0.5', fa)).toBe(false);
  });

  it('takes a fingerprint as people paste it (base64 padding, sha256: in small letters)', () => {
    expect(consentMatches({ host: 'hub', fingerprint: `sha256:${fa.slice(7)}=` }, 'hub', '198.18.0.5', fa)).toBe(true);
  });
});

describe('concurrent accepts', () => {
  it('keeps both lines when two copies loaded before either accepts pin at once', async () => {
    const [k1, k2] = [newKey(), newKey()];
    const [one, two] = await Promise.all([KnownHosts.load(file), KnownHosts.load(file)]);
    await Promise.all([one.accept('198.18.0.5', k1, 'hub'), two.accept('198.18.0.6', k2, 'spoke-1')]);
    const fresh = await KnownHosts.load(file);
    expect(fresh.verify('198.18.0.5', k1).status).toBe('trusted');
    expect(fresh.verify('198.18.0.6', k2).status).toBe('trusted');
    expect(await lines()).toHaveLength(2);
    await expect(fs.stat(`${file}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps every line when many copies accept at once, and keeps what was in the file before', async () => {
    await fs.writeFile(file, '# the person\'s own note\n');
    const keys = Array.from({ length: 12 }, () => newKey());
    const copies = await Promise.all(keys.map(() => KnownHosts.load(file)));
    await Promise.all(copies.map((c, i) => c.accept(`198.18.1.${i + 1}`, keys[i]!, `h${i}`)));
    const fresh = await KnownHosts.load(file);
    for (const [i, k] of keys.entries()) expect(fresh.verify(`198.18.1.${i + 1}`, k).status).toBe('trusted');
    expect(await lines()).toHaveLength(13);
    expect((await lines())[0]).toBe("# the person's own note");
  });

  it('refuses to pin a key when another was pinned for the address since this copy was loaded', async () => {
    const [k1, k2] = [newKey(), newKey()];
    const [one, two] = await Promise.all([KnownHosts.load(file), KnownHosts.load(file)]);
    await one.accept('198.18.0.5', k1, 'hub');
    const e = await two.accept('198.18.0.5', k2, 'hub').then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(HostKeyError);
    expect((e as HostKeyError).message).toContain(fingerprint(k1));
    expect((e as HostKeyError).message).toContain(fingerprint(k2));
    expect(await lines()).toHaveLength(1);
  });

  it('keeps every line when two processes accept at once', async () => {
    // The module bundled (it imports node built-ins only), run by two plain Node processes.
    const bundle = path.join(dir, 'hostkeys.mjs');
    await build({ entryPoints: [path.join(import.meta.dirname, 'hostkeys.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
    const script = path.join(dir, 'accept.mjs');
    await fs.writeFile(
      script,
      `import { KnownHosts } from ${JSON.stringify(bundle)};
const [file, prefix, n] = process.argv.slice(2);
const keys = JSON.parse(process.env.KEYS);
// Each accept loads its own copy first, as each deploy does: the file on disk changes under it.
await Promise.all(keys.map(async (k, i) => (await KnownHosts.load(file)).accept(prefix + (i + 1), Buffer.from(k, 'base64'), 'h' + i)));
`,
    );
    const keysOf = (n: number): Buffer[] => Array.from({ length: n }, () => newKey());
    const sets = [keysOf(10), keysOf(10)];
    const runOne = (prefix: string, keys: Buffer[]): Promise<void> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [script, file, prefix], { env: { ...process.env, KEYS: JSON.stringify(keys.map((k) => k.toString('base64'))) }, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${err}`))));
      });
    await Promise.all([runOne('198.18.2.', sets[0]!), runOne('198.18.3.', sets[1]!)]);
    const fresh = await KnownHosts.load(file);
    for (const [i, k] of sets[0]!.entries()) expect(fresh.verify(`198.18.2.${i + 1}`, k).status).toBe('trusted');
    for (const [i, k] of sets[1]!.entries()) expect(fresh.verify(`198.18.3.${i + 1}`, k).status).toBe('trusted');
    expect(await lines()).toHaveLength(20);
  });

  it('waits for a lock held by a live process, and breaks one whose process is gone', async () => {
    const k1 = newKey();
    const lock = `${file}.lock`;
    // Held by this very (live) process: the accept waits until it is released.
    await fs.writeFile(lock, `${process.pid} ${os.hostname()} now held\n`, { mode: 0o600 });
    const pending = (await KnownHosts.load(file)).accept('198.18.0.5', k1, 'hub');
    await new Promise((r) => setTimeout(r, 300));
    await expect(fs.stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.unlink(lock);
    await pending;
    expect(await lines()).toHaveLength(1);

    // Left by a process that has exited: stale, broken, and the accept goes on.
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    await fs.writeFile(lock, `${pid} ${os.hostname()} crashed\n`, { mode: 0o600 });
    const k2 = newKey();
    await (await KnownHosts.load(file)).accept('198.18.0.6', k2, 'spoke-1');
    expect(await lines()).toHaveLength(2);
    await expect(fs.stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('pins Overlab made itself (the lab)', () => {
  it('replaces the line of each address given and keeps the others', async () => {
    const [old, lab, other] = [newKey(), newKey(), newKey()];
    await fs.writeFile(file, `198.18.0.5 ssh-ed25519 ${old.toString('base64')}\n# note\n198.18.0.9 ssh-ed25519 ${other.toString('base64')} overlab:host=far\n`);
    await KnownHosts.pinOwn(file, [{ name: '198.18.0.5', key: lab, host: 'hub' }]);
    const known = await KnownHosts.load(file);
    expect(known.verify('198.18.0.5', lab).status).toBe('trusted');
    expect(known.verify('198.18.0.5', old).status).toBe('changed');
    expect(known.verify('198.18.0.9', other).status).toBe('trusted');
    expect(await lines()).toEqual(['# note', `198.18.0.9 ssh-ed25519 ${other.toString('base64')} overlab:host=far`, knownHostsLine('198.18.0.5', lab, 'hub')]);
  });
});
