/**
 * Host-key consent over real SSH (the embedded lab: real sshd in network namespaces), through
 * the CLI as a person uses it: a host whose key is not pinned is refused with its fingerprint;
 * accepting with another fingerprint is refused; the line the refusal printed connects and pins
 * (with the host's name recorded); a host key re-created for the same address is refused with
 * both fingerprints, even when the new one is "accepted". Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Io } from '../../src/cli/main.js';
import { teardown } from '../../src/engine/deploy/deploy.js';
import { fingerprint } from '../../src/engine/deploy/hostkeys.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, knownHostsPath, labDown, labUp, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject } from '../../src/engine/store/project.js';
import type { DeployRun } from '../../src/shared/deploy.js';
import { plan } from '../../src/shared/plan.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
let dir = '';
let L: LabLayout;
/** site-a's and site-b's host keys as the lab made them (what `ssh-keygen -lf` shows on each host). */
let keyA: Buffer;
let keyB: Buffer;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  return { code: await runCli(argv, io, registry), out, err };
}
/** `overlab deploy DIR --json …`: the run as the CLI prints it. */
async function deployJson(...extra: string[]): Promise<{ code: number; run: DeployRun; err: string }> {
  const r = await cli('deploy', dir, '--json', ...extra);
  return { code: r.code, run: JSON.parse(r.out) as DeployRun, err: r.err };
}
const pinned = async (): Promise<string[]> => (await fs.readFile(knownHostsPath(dir), 'utf8')).split('\n').filter(Boolean);
const addrA = (): string => L.hosts.find((h) => h.name === 'site-a')!.mgmtAddress;
const pubKey = async (host: string): Promise<Buffer> => Buffer.from((await fs.readFile(path.join(dir, '.overlab', 'secrets', 'lab', 'hostkeys', `${host}.pub`), 'utf8')).split(' ')[1]!, 'base64');

describe.skipIf(!root)('host-key consent over real SSH', () => {
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-hostkeys-'));
    const made = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'clean' }, registry).value!;
    // A management range of its own, clear of the other tests' labs.
    const t = { ...made, lab: { management: '198.18.197.0/24' } };
    await createProject(dir, t, registry);
    L = await chooseLabLayout(dir, t, plan(t, registry).value!);
    await labUp(dir, L);
    keyA = await pubKey('site-a');
    keyB = await pubKey('site-b');
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await teardown(dir, registry).catch(() => undefined);
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('lab up pinned each host with its name and fingerprint in the comment field', async () => {
    expect(await pinned()).toContain(`${addrA()} ssh-ed25519 ${keyA.toString('base64')} overlab:host=site-a overlab:fingerprint=${fingerprint(keyA)}`);
  });

  it('refuses a host whose key is not pinned, printing its fingerprint and the option to accept it', async () => {
    await fs.writeFile(knownHostsPath(dir), `${(await pinned()).filter((l) => !l.startsWith(`${addrA()} `)).join('\n')}\n`);
    const { code, run: r } = await deployJson();
    expect(code).toBe(1);
    const a = r.hosts.find((h) => h.host === 'site-a')!;
    expect(a.failedStep).toBe('connect');
    expect(a.hostKey).toEqual({ status: 'unknown', host: 'site-a', address: addrA(), keyType: 'ssh-ed25519', fingerprint: fingerprint(keyA) });
    expect(a.error).toContain(`unknown host key at ${addrA()}: ${fingerprint(keyA)} (ssh-ed25519)`);
    expect(a.error).toContain(`--accept-host-key site-a=${fingerprint(keyA)}`);
    expect((await pinned()).some((l) => l.startsWith(`${addrA()} `))).toBe(false);
  }, 60_000);

  it('refuses a bare host name or "all" before connecting to anything', async () => {
    for (const v of ['site-a', 'all']) {
      const r = await cli('deploy', dir, '--accept-host-key', v);
      expect(r.code).toBe(2);
      expect(r.err).toContain('--accept-host-key HOST=SHA256:');
    }
  });

  it('refuses the key when the fingerprint accepted is another one, and pins nothing', async () => {
    const { code, run: r } = await deployJson('--accept-host-key', `site-a=${fingerprint(keyB)}`);
    expect(code).toBe(1);
    const a = r.hosts.find((h) => h.host === 'site-a')!;
    expect(a.hostKey).toMatchObject({ status: 'unknown', fingerprint: fingerprint(keyA), accepted: fingerprint(keyB) });
    expect(a.error).toContain(`is ${fingerprint(keyA)} (ssh-ed25519), not ${fingerprint(keyB)}, the one accepted for it; refused`);
    expect((await pinned()).some((l) => l.startsWith(`${addrA()} `))).toBe(false);
  }, 60_000);

  it('connects with the fingerprint the refusal printed, and pins the key with the host name', async () => {
    const refused = await deployJson();
    const option = /--accept-host-key (site-a=SHA256:\S+)/.exec(refused.run.hosts.find((h) => h.host === 'site-a')!.error!)![1]!;
    const { code, run: r } = await deployJson('--accept-host-key', option);
    expect(code).toBe(0);
    expect(r.hosts.map((h) => h.status)).toEqual(['applied', 'applied']);
    expect(await pinned()).toContain(`${addrA()} ssh-ed25519 ${keyA.toString('base64')} overlab:host=site-a overlab:fingerprint=${fingerprint(keyA)}`);
    // Pinned: the next deploy needs no consent.
    expect((await deployJson()).code).toBe(0);
  }, 90_000);

  it('refuses a host key re-created for the same address, with both fingerprints, even when the new one is accepted', async () => {
    // The host re-created: a new key in the file its sshd serves (read again for each connection).
    const served = path.join(L.state, 'site-a', 'run', 'overlab-lab', 'ssh_host_ed25519_key');
    const saved = await fs.readFile(served);
    const fresh = path.join(dir, 'recreated');
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'recreated', '-f', fresh]);
    const newKey = Buffer.from((await fs.readFile(`${fresh}.pub`, 'utf8')).split(' ')[1]!, 'base64');
    await fs.copyFile(fresh, served);
    try {
      const before = await pinned();
      const { code, run: r } = await deployJson('--accept-host-key', `site-a=${fingerprint(newKey)}`);
      expect(code).toBe(1);
      const a = r.hosts.find((h) => h.host === 'site-a')!;
      expect(a.hostKey).toEqual({ status: 'changed', host: 'site-a', address: addrA(), keyType: 'ssh-ed25519', fingerprint: fingerprint(newKey), pinned: [{ keyType: 'ssh-ed25519', fingerprint: fingerprint(keyA), host: 'site-a' }] });
      expect(a.error).toContain(`site-a: the host key at ${addrA()} CHANGED: it presents ${fingerprint(newKey)} (ssh-ed25519), but ${fingerprint(keyA)} (ssh-ed25519, pinned for site-a) is pinned for that address; refusing to connect.`);
      expect(a.error).toContain(`ssh-keygen -R '${addrA()}' -f .overlab/known_hosts`);
      expect(await pinned()).toEqual(before);
    } finally {
      await fs.writeFile(served, saved, { mode: 0o600 });
    }
  }, 60_000);
});
