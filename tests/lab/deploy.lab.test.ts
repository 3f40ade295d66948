/**
 * Deploy and teardown over real SSH against the embedded lab (real sshd in namespaces, real
 * kernel VXLAN), with the faults a user meets: a host whose sshd is down, up.sh failing on
 * one host of four, a changed host key, an unknown host key, a second deploy.
 * Needs root; skipped otherwise.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, teardown } from '../../src/engine/deploy/deploy.js';
import { fingerprint } from '../../src/engine/deploy/hostkeys.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, knownHostsPath, labDown, labExecArgv, labSshdPid, labUp, type LabLayout } from '../../src/engine/lab/lab.js';
import { createProject, openProject, saveProject } from '../../src/engine/store/project.js';
import { plan } from '../../src/shared/plan.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
let dir = '';
let L: LabLayout;

const inHost = async (host: string, ...argv: string[]): Promise<string> => (await run(labExecArgv(L, host, argv), { okCodes: [0, 1, 2] })).stdout;
const state = async (host: string): Promise<string> =>
  [
    await inHost(host, 'sh', '-c', 'ip -br link | cut -d" " -f1 | sed "s/@.*//" | sort'),
    // IPv6 link-local routes come and go with address autoconfiguration, not with Overlab.
    await inHost(host, 'sh', '-c', 'ip route show table all | grep -v fe80::'),
    await inHost(host, 'sh', '-c', 'nft list ruleset 2>/dev/null'),
    await inHost(host, 'sh', '-c', 'ls -A /var/lib/overlab /etc/overlab 2>&1 || true'),
  ].join('\n');
const bundlePresent = async (host: string): Promise<boolean> => (await inHost(host, 'sh', '-c', 'test -d /var/lib/overlab && echo yes')).includes('yes');

describe.skipIf(!root)('deploy over SSH to the embedded lab', () => {
  const hosts = ['hub', 'spoke-1', 'spoke-2', 'spoke-3'];
  const before = new Map<string, string>();

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-deploy-'));
    const made = makeTemplate({ template: 'hub-spoke', hosts: 4, kind: 'vxlan' }, registry).value!;
    // Not the default management range, so that this lab never meets a user's lab on the same machine.
    const t = { ...made, lab: { management: '198.18.224.0/20' } };
    await createProject(dir, t, registry);
    L = await chooseLabLayout(dir, t, plan(t, registry).value!);
    await labUp(dir, L);
    for (const h of hosts) before.set(h, await state(h));
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('changes nothing in a dry run, and says what would change', async () => {
    const r = await deploy(dir, registry, { dryRun: true });
    expect(r.ok).toBe(true);
    expect(r.hosts.map((h) => h.status)).toEqual(['would-change', 'would-change', 'would-change', 'would-change']);
    expect(r.hosts[0]!.changes!.some((c) => c.includes('type vxlan'))).toBe(true);
    for (const h of hosts) expect(await state(h)).toBe(before.get(h));
  });

  it('deploys every host, LANs reach each other through the hub, and a second deploy changes nothing', async () => {
    const first = await deploy(dir, registry);
    expect(first.hosts.map((h) => [h.host, h.status, h.error])).toEqual(hosts.map((h) => [h, 'applied', undefined]));
    const lan = await run(labExecArgv(L, 'spoke-1', ['ping', '-c', '1', '-W', '2', '-I', '198.18.17.1', '198.18.18.1']), { okCodes: [0, 1] });
    expect(lan.code).toBe(0);
    const mid = await state('spoke-1');
    const second = await deploy(dir, registry);
    expect(second.ok).toBe(true);
    expect(second.hosts.map((h) => h.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(await state('spoke-1')).toBe(mid);
  }, 60_000);

  it('a re-deploy that fails brings the replaced bundles back up, and leaves the hosts whose bundle did not change', async () => {
    const snap = await openProject(dir, registry);
    const t = snap.topology!;
    const deployedStates = new Map<string, string>();
    for (const h of hosts) deployedStates.set(h, await state(h));
    // A new VXLAN port on hub--spoke-3 changes the hub's and spoke-3's bundles only; spoke-3
    // drops that port, so the new tunnel never answers and verify fails.
    const li = t.links.findIndex((l) => [l.a, l.b].includes('spoke-3'));
    const moved = { ...t, links: t.links.map((l, i) => (i === li ? { ...l, options: { ...l.options, port: 4790 } } : l)) };
    expect((await saveProject(dir, moved, registry)).topology).toBeDefined();
    await inHost('spoke-3', 'nft', 'add table inet oltest; add chain inet oltest in { type filter hook input priority -10; }; add rule inet oltest in udp dport 4790 drop');
    try {
      const r = await deploy(dir, registry, { verifyTimeout: 3 });
      expect(r.ok).toBe(false);
      const by = new Map(r.hosts.map((h) => [h.host, h]));
      expect(by.get('spoke-3')!.failedStep ?? by.get('hub')!.failedStep).toBe('verify');
      expect(by.get('spoke-1')!.status).toBe('unchanged');
      expect(by.get('spoke-2')!.status).toBe('unchanged');
    } finally {
      await inHost('spoke-3', 'nft', 'delete table inet oltest');
      await saveProject(dir, t, registry);
    }
    // Every host is as it was after the last good deploy, and the old tunnel works again.
    for (const h of hosts) expect(await state(h), h).toBe(deployedStates.get(h));
    const spoke3 = (await run(labExecArgv(L, 'spoke-3', ['sh', '-c', "ip -4 -br addr show | awk '/^olvx/ {print $3}' | cut -d/ -f1"]))).stdout.trim();
    expect(spoke3).toMatch(/^198\./);
    expect((await run(labExecArgv(L, 'hub', ['ping', '-c', '1', '-W', '2', spoke3]), { okCodes: [0, 1] })).code).toBe(0);
    expect((await deploy(dir, registry)).hosts.map((h) => h.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
  }, 90_000);

  it('teardown leaves every host as it was', async () => {
    const r = await teardown(dir, registry);
    expect(r.ok).toBe(true);
    expect(r.hosts.map((h) => h.status)).toEqual(['removed', 'removed', 'removed', 'removed']);
    for (const h of hosts) expect(await state(h)).toBe(before.get(h));
  }, 60_000);

  it('rolls the other three hosts back when up.sh fails on one, and names the host, step and error', async () => {
    // A file where up.sh needs a directory makes its install step fail.
    await inHost('spoke-2', 'touch', '/etc/overlab');
    try {
      const r = await deploy(dir, registry);
      expect(r.ok).toBe(false);
      const failed = r.hosts.find((h) => h.host === 'spoke-2')!;
      expect(failed.status).toBe('failed');
      expect(failed.failedStep).toBe('apply');
      expect(failed.error).toMatch(/up\.sh exited \d+: .*\/etc\/overlab/s);
      expect(r.hosts.filter((h) => h.host !== 'spoke-2').map((h) => h.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
      for (const h of hosts.filter((x) => x !== 'spoke-2')) expect(await state(h)).toBe(before.get(h));
    } finally {
      await inHost('spoke-2', 'rm', '-f', '/etc/overlab');
    }
    expect(await state('spoke-2')).toBe(before.get('spoke-2'));
  }, 60_000);

  it('stops before any change when one host’s sshd is down, with a clear error for that host', async () => {
    const pid = (await labSshdPid(L, 'spoke-3'))!;
    process.kill(pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    try {
      const r = await deploy(dir, registry);
      expect(r.ok).toBe(false);
      const down = r.hosts.find((h) => h.host === 'spoke-3')!;
      expect(down.failedStep).toBe('connect');
      expect(down.error).toMatch(/spoke-3: cannot connect to root@198\.18\.\d+\.\d+:22: .*(ECONNREFUSED|refused)/);
      for (const h of hosts) expect(await bundlePresent(h)).toBe(false);
    } finally {
      await labUp(dir, L);
    }
  }, 60_000);

  it('stops before any change when a port the kind listens on is taken on one host, and names it and its holder', async () => {
    // A process in spoke-2 holds VXLAN's UDP port.
    const [exe, ...args] = labExecArgv(L, 'spoke-2', ['node', '-e', "require('dgram').createSocket('udp4').bind(4789, () => console.log('bound'))"]);
    const holder = spawn(exe!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('bound') && resolve());
        holder.on('exit', (code) => reject(new Error(`the port holder exited (${String(code)})`)));
      });
      const r = await deploy(dir, registry);
      expect(r.ok).toBe(false);
      const failed = r.hosts.filter((h) => h.status === 'failed');
      expect(failed.map((h) => [h.host, h.failedStep])).toEqual([['spoke-2', 'preflight']]);
      expect(failed[0]!.error).toMatch(/UDP port 4789 free for vxlan \(in use by node: stop it, or choose another port/);
      for (const h of hosts) expect(await bundlePresent(h)).toBe(false);
    } finally {
      holder.kill();
    }
  }, 60_000);

  it('refuses a host whose key changed, and changes nothing anywhere', async () => {
    const file = knownHostsPath(dir);
    const original = await fs.readFile(file, 'utf8');
    const lines = original.trim().split('\n');
    const hub = lines.findIndex((l) => l.startsWith(`${L.hosts[0]!.mgmtAddress} `));
    const other = lines.find((l, i) => i !== hub)!;
    lines[hub] = `${L.hosts[0]!.mgmtAddress} ${other.split(' ').slice(1).join(' ')}`;
    await fs.writeFile(file, `${lines.join('\n')}\n`);
    try {
      // Even an accept with the key's own fingerprint does not override a pin.
      const real = Buffer.from(original.split('\n')[hub]!.split(' ')[2]!, 'base64');
      const r = await deploy(dir, registry, { acceptHostKeys: [{ host: 'hub', fingerprint: fingerprint(real) }] });
      expect(r.ok).toBe(false);
      const hubResult = r.hosts.find((h) => h.host === 'hub')!;
      expect(hubResult.failedStep).toBe('connect');
      expect(hubResult.error).toMatch(/host key at \S+ CHANGED: it presents SHA256:[A-Za-z0-9+/]{43}/);
      for (const h of hosts) expect(await bundlePresent(h)).toBe(false);
    } finally {
      await fs.writeFile(file, original);
    }
  }, 60_000);

  it('clamps TCP MSS with iptables on hosts that ask for it, and removes the rules on teardown', async () => {
    const snap = await openProject(dir, registry);
    const t = snap.topology!;
    const iptablesHosts = { ...t, hosts: t.hosts.map((h) => ({ ...h, os: { firewall: 'iptables' as const } })) };
    expect((await saveProject(dir, iptablesHosts, registry)).topology).toBeDefined();
    try {
      const r = await deploy(dir, registry);
      expect(r.ok).toBe(true);
      const rules = await inHost('hub', 'iptables', '-t', 'mangle', '-S', 'OVERLAB-MSS');
      // One rule per direction per tunnel interface of the hub (3 spokes), at the planned MSS.
      expect(rules.match(/TCPMSS --set-mss 1410/g)?.length).toBe(6);
      expect(await inHost('hub', 'sh', '-c', 'nft list table inet overlab_mss 2>&1 || true')).toMatch(/No such file|does not exist/);
      expect((await teardown(dir, registry)).ok).toBe(true);
      expect(await inHost('hub', 'sh', '-c', 'iptables -t mangle -S 2>&1 | grep -c OVERLAB || true')).toBe('0\n');
    } finally {
      await saveProject(dir, t, registry);
    }
  }, 60_000);

  it('refuses an unknown host key until it is accepted, then pins it', async () => {
    const file = knownHostsPath(dir);
    const original = await fs.readFile(file, 'utf8');
    const hubLine = original.split('\n').find((l) => l.startsWith(`${L.hosts[0]!.mgmtAddress} `))!;
    await fs.writeFile(file, original.split('\n').filter((l) => l !== hubLine).join('\n'));
    const refused = await deploy(dir, registry);
    expect(refused.ok).toBe(false);
    const hubKey = refused.hosts.find((h) => h.host === 'hub')!.hostKey!;
    expect(refused.hosts.find((h) => h.host === 'hub')!.error).toMatch(/unknown host key at \S+: SHA256:\S+ \(ssh-ed25519\); .*--accept-host-key hub=SHA256:/);
    const accepted = await deploy(dir, registry, { acceptHostKeys: [{ host: 'hub', fingerprint: hubKey.fingerprint }] });
    expect(accepted.ok).toBe(true);
    // The same line as lab up wrote: the key, with the host and fingerprint in the comment field.
    expect(hubLine).toContain(` overlab:host=hub overlab:fingerprint=${hubKey.fingerprint}`);
    expect((await fs.readFile(file, 'utf8')).split('\n')).toContain(hubLine.trim());
    expect((await teardown(dir, registry)).ok).toBe(true);
  }, 60_000);
});
