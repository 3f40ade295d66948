import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSecrets } from '../../engine/secrets/store.js';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import { placeholderSecrets } from '../secrets.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { openvpn } from './openvpn.js';
import type { Registry, SecretLookup } from './types.js';

const registry: Registry = { kinds: [openvpn] };
const have = (bin: string, ...args: string[]): boolean => spawnSync(bin, args).error === undefined;
const isRoot = process.getuid?.() === 0;

function topology(template: Shape, hosts: number, mtu = 1500, options: Record<string, unknown> = {}): Topology {
  const t = makeTemplate({ template, hosts, kind: 'openvpn', underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return { ...t.value, links: t.value.links.map((l) => ({ ...l, options })) };
}

function planOf(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

const bundles = (p: Plan, secret: SecretLookup = placeholderSecrets): HostBundle[] => render(p, registry, secret);
const file = (b: HostBundle, suffix: string): string => {
  const f = b.files.find((x) => x.path.endsWith(suffix));
  if (!f) throw new Error(`${b.host} has no file ${suffix}: ${b.files.map((x) => x.path).join(', ')}`);
  return f.content;
};
/** Values of a directive in an OpenVPN config (`name value…`), one entry per occurrence. */
const directive = (conf: string, name: string): string[] =>
  conf
    .split('\n')
    .filter((l) => l.split(' ')[0] === name)
    .map((l) => l.slice(name.length + 1));

describe('openvpn plan', () => {
  it('makes one star per hub: the hub is the server, every spoke a client, with the planned addresses', () => {
    const p = planOf(topology('hub-spoke', 4));
    expect(p.networks).toHaveLength(1);
    const net = p.networks[0]!;
    expect(net.members.map((m) => [m.host, m.role])).toEqual([
      ['hub', 'server'],
      ['spoke-1', 'client'],
      ['spoke-2', 'client'],
      ['spoke-3', 'client'],
    ]);
    const b = bundles(p);
    const server = file(b[0]!, '/etc/openvpn/server/olovpn0.conf');
    const [addr, mask] = directive(server, 'ifconfig')[0]!.split(' ');
    expect(`${addr}/${net.subnet.split('/')[1]}`).toBe(net.members[0]!.address);
    expect(directive(server, 'local')).toEqual([net.members[0]!.underlay]);
    for (const [i, m] of net.members.entries()) {
      if (i === 0) continue;
      // The server's file for this client gives it exactly its planned address, and routes its LAN to it.
      const ccd = file(b[0]!, `/ccd/${m.host}`);
      expect(directive(ccd, 'ifconfig-push')).toEqual([`${m.address.split('/')[0]} ${mask}`]);
      const lan = p.hosts.find((h) => h.name === m.host)!.lan!;
      expect(directive(ccd, 'iroute')).toEqual([`${lan.split('/')[0]} 255.255.255.0`]);
      // The client dials the server's underlay address and port, with the same MTU and cipher.
      const client = file(b[i]!, '/etc/openvpn/client/olovpn0.conf');
      expect(directive(client, 'remote')).toEqual([`${net.members[0]!.underlay} 1194`]);
      expect(directive(client, 'verify-x509-name')).toEqual(['hub name']);
      for (const d of ['tun-mtu', 'data-ciphers', 'proto', 'dev', 'topology']) expect(directive(client, d)).toEqual(directive(server, d));
      // The client's own device carries its planned address.
      expect(b[i]!.up).toContain(`addr replace ${m.address} dev olovpn0`);
    }
  });

  it('puts a site-to-site link on a server at link.a and a client at link.b', () => {
    const t = topology('site-to-site', 2);
    const net = planOf(t).networks[0]!;
    expect(net.members.map((m) => [m.host, m.role])).toEqual([
      [t.links[0]!.a, 'server'],
      [t.links[0]!.b, 'client'],
    ]);
  });

  it('asks for a CA before the certificates it signs, a server certificate naming its address, a client certificate per spoke', () => {
    const net = planOf(topology('multi-site', 3)).networks[0]!;
    const refs = net.secrets.map((s) => s.ref);
    expect(net.secrets[0]!.kind.type).toBe('x509-ca');
    const certs = net.secrets.filter((s) => s.kind.type === 'x509-cert').map((s) => s.kind);
    expect(certs).toEqual(
      net.members.map((m) =>
        m.role === 'server'
          ? { type: 'x509-cert', ca: refs[0], commonName: m.host, usage: 'server', sans: [m.underlay] }
          : { type: 'x509-cert', ca: refs[0], commonName: m.host, usage: 'client' },
      ),
    );
    expect(net.secrets.find((s) => s.kind.type === 'random')?.kind).toEqual({ type: 'random', bytes: 256, encoding: 'hex' });
  });

  it.each([
    [1500, 4, 1448],
    [9000, 4, 8948],
    [1500, 6, 1428],
    [9000, 6, 8928],
  ])('on a %i-byte IPv%i underlay leaves an MTU of %i, and the configs and device say so', (mtu, family, expected) => {
    let t = topology('site-to-site', 2, mtu);
    if (family === 6) t = { ...t, underlay: { ...t.underlay, subnet: '2001:db8:0:1::/64' } };
    const p = planOf(t);
    expect(p.links[0]!.mtu).toBe(expected);
    expect(p.links[0]!.mss).toBe(expected - 40);
    const b = bundles(p);
    for (const [i, bundle] of b.entries()) {
      const conf = file(bundle, 'olovpn0.conf');
      expect(directive(conf, 'tun-mtu')).toEqual([String(expected)]);
      expect(directive(conf, 'proto')).toEqual([family === 4 ? 'udp4' : 'udp6']);
      expect(bundle.up).toContain(`link set dev olovpn0 mtu ${expected}`);
      if (i > 0 && family === 6) expect(directive(conf, 'remote')).toEqual([`${p.networks[0]!.members[0]!.underlay} 1194`]);
    }
  });

  it('turns off 2.6’s default mssfix, which would clamp TCP to ~1400 bytes even on a 9000-byte underlay', () => {
    for (const b of bundles(planOf(topology('site-to-site', 2, 9000)))) expect(directive(file(b, 'olovpn0.conf'), 'mssfix')).toEqual(['0']);
  });

  it('gives an IPv6 tunnel pool its addresses with ifconfig-ipv6 and ifconfig-ipv6-push', () => {
    const t = topology('hub-spoke', 3);
    const p = planOf({ ...t, pools: { tunnels: 'fd00:198:19::/48' } });
    const net = p.networks[0]!;
    const b = bundles(p);
    const server = file(b[0]!, 'server/olovpn0.conf');
    expect(directive(server, 'ifconfig')).toEqual([]);
    expect(directive(server, 'ifconfig-ipv6')[0]!.split(' ')[0]).toBe(net.members[0]!.address);
    expect(directive(file(b[0]!, '/ccd/spoke-1'), 'ifconfig-ipv6-push')[0]!.split(' ')[0]).toBe(net.members[1]!.address);
  });

  it('uses the port and cipher options on both ends', () => {
    const b = bundles(planOf(topology('site-to-site', 2, 1500, { port: 11940, cipher: 'CHACHA20-POLY1305' })));
    expect(directive(file(b[0]!, 'olovpn0.conf'), 'port')).toEqual(['11940']);
    expect(directive(file(b[1]!, 'olovpn0.conf'), 'remote')[0]).toMatch(/ 11940$/);
    for (const x of b) expect(directive(file(x, 'olovpn0.conf'), 'data-ciphers')).toEqual(['CHACHA20-POLY1305']);
  });

  it('renders the same bytes twice', () => {
    const t = topology('hub-spoke', 4);
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });
});

describe('openvpn validation', () => {
  it('refuses a mesh, saying why', () => {
    const t = makeTemplate({ template: 'mesh', hosts: 3, kind: 'openvpn' }, registry);
    expect(t.value).toBeUndefined();
    expect(t.diagnostics.map((d) => [d.code, d.path])).toContainEqual(['shape-unsupported', 'kind']);
    expect(t.diagnostics.find((d) => d.code === 'shape-unsupported')!.message).toMatch(/supports site-to-site, multi-site, hub-spoke/);
    expect(openvpn.capabilities.shapes.mesh).toMatchObject({ no: expect.stringMatching(/mesh/) });
    expect(openvpn.shapes).not.toContain('mesh');
  });

  it('reports bad options at their path', () => {
    const t = topology('site-to-site', 2);
    const bad = { ...t, links: [{ ...t.links[0]!, options: { cipher: 'BF-CBC', port: 0 } }] };
    const r = validateTopology(bad, registry);
    const paths = r.diagnostics.map((d) => d.path);
    expect(paths).toContain('links[0].options.cipher');
    expect(paths).toContain('links[0].options.port');
  });
});

describe('openvpn scripts', () => {
  const cases: [Shape, number, number][] = [
    ['site-to-site', 2, 1500],
    ['hub-spoke', 4, 9000],
    ['multi-site', 3, 1500],
  ];

  it('keep secrets in 0600 files and the rest readable by the unprivileged daemon', () => {
    const b = bundles(planOf(topology('hub-spoke', 3)));
    for (const f of b.flatMap((x) => x.files)) {
      if (f.content.includes('<secret:')) expect([f.mode, f.secret]).toEqual([0o600, true]);
      if (f.path.includes('/ccd/')) expect(f.mode).toBe(0o644);
    }
  });

  it('stop exactly the daemon they started and remove the device and log', () => {
    const b = bundles(planOf(topology('site-to-site', 2)));
    for (const x of b) {
      expect(x.up).toMatch(/ol_running \/run\/overlab\/olovpn0\.pid openvpn \|\| \{ openvpn --config /);
      expect(x.down).toContain('ol_stop /run/overlab/olovpn0.pid openvpn');
      expect(x.down).toContain('ip link del dev olovpn0 2>/dev/null');
      expect(x.down).toContain('rm -f /var/log/overlab/openvpn-olovpn0.log');
    }
  });

  it.skipIf(!have('shellcheck', '--version')).each(cases)('pass shellcheck (%s, %i hosts, MTU %i)', (shape, n, mtu) => {
    for (const b of bundles(planOf(topology(shape, n, mtu)))) {
      for (const s of [b.up, b.down]) {
        const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: s, encoding: 'utf8' });
        expect(r.stdout + r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    }
  });
});

/**
 * OpenVPN has no config-check mode for TLS configs (`--test-crypto` wants static-key mode), so
 * the check is the real thing: the rendered server and client, with real generated secrets,
 * in two network namespaces on a veth pair, must finish their handshake and carry a ping.
 */
describe.skipIf(!isRoot || !have('openvpn', '--version') || !existsSync('/dev/net/tun'))('openvpn accepts the rendered configs', () => {
  const tag = `olt${process.pid % 100000}`;
  const ns = [`${tag}s`, `${tag}c`];
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'overlab-ovpn-'));
  });
  const procs: ChildProcess[] = [];
  afterAll(async () => {
    // Wait for each daemon to be gone (and reaped) before its namespace goes.
    await Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => (p.once('exit', r), p.kill('SIGTERM'))))));
    for (const n of ns) spawnSync('ip', ['netns', 'del', n]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const sh = (...args: string[]): void => {
    const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  };

  it('server and client complete the TLS handshake and carry a ping', async () => {
    const p = planOf(topology('site-to-site', 2));
    const secrets = await ensureSecrets(dir, p.secrets);
    const b = bundles(p, secrets.lookup);
    const net = p.networks[0]!;
    // The daemon drops to nobody and reads client-config-dir then: the test tree must be readable.
    chmodSync(dir, 0o755);
    for (const n of ns) sh('ip', 'netns', 'add', n);
    sh('ip', 'link', 'add', `${tag}a`, 'netns', ns[0]!, 'type', 'veth', 'peer', 'name', `${tag}b`, 'netns', ns[1]!);
    const logs: string[] = [];
    for (const [i, m] of net.members.entries()) {
      const x = (...a: string[]): void => sh('ip', 'netns', 'exec', ns[i]!, ...a);
      x('ip', 'addr', 'add', `${m.underlay}/24`, 'dev', `${tag}${i === 0 ? 'a' : 'b'}`);
      x('ip', 'link', 'set', `${tag}${i === 0 ? 'a' : 'b'}`, 'up');
      x('ip', 'tuntap', 'add', 'dev', m.ifname, 'mode', 'tun');
      x('ip', 'link', 'set', 'dev', m.ifname, 'mtu', String(net.mtu));
      x('ip', 'addr', 'add', m.address, 'dev', m.ifname);
      x('ip', 'link', 'set', 'dev', m.ifname, 'up');
      const host = path.join(dir, m.host);
      let ccd: string | undefined;
      for (const f of b[i]!.files) {
        const target = path.join(host, f.path);
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
        writeFileSync(target, f.content, { mode: f.mode });
        if (f.path.includes('/ccd/')) ccd = path.dirname(target);
      }
      const extra = ccd ? ['--client-config-dir', ccd] : [];
      const log = path.join(host, 'openvpn.log');
      logs.push(log);
      const conf = path.join(host, b[i]!.files[0]!.path);
      // Later options win: the log and client-config-dir move into the test's tree.
      procs.push(spawn('ip', ['netns', 'exec', ns[i]!, 'openvpn', '--config', conf, '--log', log, ...extra], { stdio: 'ignore' }));
    }
    const deadline = Date.now() + 15_000;
    const done = (): boolean => logs.every((l) => existsSync(l) && readFileSync(l, 'utf8').includes('Initialization Sequence Completed'));
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const clientLog = readFileSync(logs[1]!, 'utf8');
    expect(done(), `server log:\n${readFileSync(logs[0]!, 'utf8')}\nclient log:\n${clientLog}`).toBe(true);
    expect(clientLog).toContain(`Data Channel: cipher 'AES-256-GCM'`);
    const ping = spawnSync('ip', ['netns', 'exec', ns[1]!, 'ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(net.mtu - 28), net.members[0]!.address.split('/')[0]!], { encoding: 'utf8' });
    expect(ping.status, ping.stdout + ping.stderr).toBe(0);
  }, 30_000);
});
