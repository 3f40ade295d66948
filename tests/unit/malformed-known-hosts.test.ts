/**
 * A damaged .overlab/known_hosts: garbage lines never pin a key nor throw (a key is trusted only
 * by a well-formed line for its address), and a 100 MB file stops `overlab lab up` before
 * anything is made on the machine, naming the file (root only: lab up needs it).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { KnownHosts } from '../../src/engine/deploy/hostkeys.js';

/** An ssh-ed25519 public key in SSH wire format (string "ssh-ed25519", string key). */
function sshKey(): Buffer {
  const raw = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

let root = '';
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-bad-known-hosts-'));
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('garbage lines in known_hosts', () => {
  it('pin nothing and throw nothing; the well-formed line still pins its key', async () => {
    const pinned = sshKey();
    const other = sshKey();
    const file = path.join(root, 'known_hosts');
    const garbage = [
      '198.18.0.2',
      '198.18.0.3 ssh-ed25519',
      '198.18.0.4 ssh-ed25519 !!!not-base64!!!',
      '198.18.0.5 ssh-ed25519 AAAA',
      `198.18.0.6 ssh-rsa ${other.toString('base64').slice(0, 20)}`,
      '\u0000\u0001\u0002 \u00ff\u00fe',
      '@revoked * ssh-ed25519 AAAA',
      '|1|hashed|name ssh-ed25519 AAAA',
      ' '.repeat(5000),
      '#'.repeat(5000),
      `198.18.0.7 ${'x'.repeat(100_000)}`,
    ];
    await fs.writeFile(file, `${garbage.join('\n')}\n198.18.0.9 ssh-ed25519 ${pinned.toString('base64')}\n\r\n`);
    const kh = await KnownHosts.load(file);
    expect(kh.verify('198.18.0.9', pinned).status).toBe('trusted');
    expect(kh.verify('198.18.0.9', other).status).toBe('changed');
    for (const name of ['198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5', '198.18.0.6', '198.18.0.7', '@revoked', '*', '|1|hashed|name', '']) {
      const v = kh.verify(name, other);
      expect(v.status, name).not.toBe('trusted');
    }
  });
});

describe.skipIf(process.getuid?.() !== 0)('a 100 MB known_hosts', () => {
  it('stops overlab lab up before anything is made, naming the file', async () => {
    const dir = path.join(root, 'p');
    let err = '';
    const io = { out: () => undefined, err: (t: string) => void (err += t) };
    expect(await runCli(['new', dir, '--template', 'site-to-site', '--kind', 'clean'], io)).toBe(0);
    const file = path.join(dir, '.overlab', 'known_hosts');
    await fs.writeFile(file, '');
    await fs.truncate(file, 100 << 20);
    const netnsBefore = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    const projectBefore = (await fs.readdir(dir, { recursive: true })).sort();
    const t0 = Date.now();
    err = '';
    expect(await runCli(['lab', 'up', dir], io)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    const lines = err.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${file} is 100 MiB, more than the 1.0 MiB Overlab reads from such a file`);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toBe(netnsBefore);
    expect((await fs.stat(file)).size).toBe(100 << 20);
    // No lab key, host key or anything else made in the project.
    expect((await fs.readdir(dir, { recursive: true })).sort()).toEqual(projectBefore);
  });
});
