import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generators } from '../../engine/secrets/generate.js';
import { hasErrors } from '../diagnostics.js';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import type { SecretSpec } from '../secrets.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { defaultRegistry } from './index.js';
import { firstHops, wireguard } from './wireguard.js';

const registry = defaultRegistry;
const work = mkdtempSync(path.join(tmpdir(), 'overlab-wireguard-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const has = (bin: string, ...args: string[]): boolean => spawnSync(bin, args).status === 0;
const hasShellcheck = has('shellcheck', '--version');

function topology(shape: Shape, hosts: number, options: Record<string, unknown> = {}, mtu = 1500): Topology {
  const t = makeTemplate({ template: shape, hosts, kind: 'wireguard', underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return { ...t.value, links: t.value.links.map((l) => ({ ...l, options })) };
}

function planned(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value || hasErrors(p.diagnostics)) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

/** Real keys from the main process' generators, so that `wg` can load what is rendered. */
async function secretsFor(specs: readonly SecretSpec[]): Promise<(ref: string, part?: string) => string> {
  const store = new Map<string, Record<string, string>>();
  const lookup = (ref: string, part = 'value'): string => store.get(ref)![part]!;
  for (const s of specs) store.set(s.ref, await generators[s.kind.type]!(s.kind, lookup));
  return lookup;
}

async function bundles(p: Plan): Promise<{ bundles: HostBundle[]; secret: (ref: string, part?: string) => string }> {
  const secret = await secretsFor(p.secrets);
  return { bundles: render(p, registry, secret), secret };
}

interface Peer {
  host: string;
  publicKey: string;
  endpoint: string;
  allowed: string[];
  psk?: string;
}

function parseConf(text: string): { privateKey: string; port: string; peers: Peer[] } {
  let privateKey = '';
  let port = '';
  const peers: Peer[] = [];
  let cur: Peer | undefined;
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' = ', 2) as [string, string | undefined];
    if (line.startsWith('# ')) peers.push((cur = { host: line.slice(2), publicKey: '', endpoint: '', allowed: [] }));
    else if (k === 'PrivateKey') privateKey = v!;
    else if (k === 'ListenPort') port = v!;
    else if (k === 'PublicKey') cur!.publicKey = v!;
    else if (k === 'Endpoint') cur!.endpoint = v!;
    else if (k === 'AllowedIPs') cur!.allowed = v!.split(', ');
    else if (k === 'PresharedKey') cur!.psk = v!;
  }
  return { privateKey, port, peers };
}

const conf = (b: HostBundle): string => b.files.find((f) => f.path.startsWith('/etc/wireguard/'))!.content;

describe('wireguard: overhead', () => {
  /** WireGuard pads the plaintext to 16 bytes but never past the interface MTU (kernel and wireguard-go alike). */
  const outer = (inner: number, mtu: number, family: 4 | 6): number => (family === 4 ? 20 : 40) + 8 + 16 + Math.min(Math.ceil(inner / 16) * 16, mtu) + 16;

  it('every packet up to the planned MTU fits the underlay, padding included, and the MTU is the largest that does', () => {
    for (const family of [4, 6] as const) {
      for (const underlay of [1280, 1500, 1501, 9000, 9001]) {
        const mtu = underlay - wireguard.overhead(wireguard.options.parse({}), family, underlay);
        for (let inner = mtu - 40; inner <= mtu; inner++) expect(outer(inner, mtu, family), `IPv${family} ${underlay}: ${inner}`).toBeLessThanOrEqual(underlay);
        expect(outer(mtu + 1, mtu + 1, family)).toBeGreaterThan(underlay);
      }
    }
  });

  it('plans the figures proven with DF pings: 1440 on 1500, 8940 on 9000; 1420 on an IPv6 underlay', () => {
    expect(planned(topology('site-to-site', 2)).links[0]).toMatchObject({ mtu: 1440, mss: 1400 });
    expect(planned(topology('site-to-site', 2, {}, 9000)).links[0]).toMatchObject({ mtu: 8940, mss: 8900 });
    const t = topology('site-to-site', 2);
    expect(planned({ ...t, underlay: { ...t.underlay, subnet: '2001:db8::/64' } }).links[0]!.mtu).toBe(1420);
  });
});

describe('wireguard: the ends of every link agree', () => {
  for (const [shape, n] of [
    ['site-to-site', 2],
    ['multi-site', 4],
    ['hub-spoke', 4],
    ['mesh', 4],
  ] as const) {
    it(`${shape}: keys, endpoints, ports, pre-shared keys, and allowed addresses that never overlap`, async () => {
      const p = planned(topology(shape, n, { port: 51999, presharedKey: true }));
      const net = p.networks[0]!;
      const { bundles: all, secret } = await bundles(p);
      const confs = new Map(all.map((b) => [b.host, parseConf(conf(b))]));
      for (const [i, m] of net.members.entries()) {
        const c = confs.get(m.host)!;
        expect(c.privateKey).toBe(secret(`wireguard/${net.id}/${m.host}`, 'private'));
        expect(c.port).toBe('51999');
        const linked = net.edges.filter(([a, b]) => a === i || b === i).map(([a, b]) => net.members[a === i ? b : a]!.host);
        expect(c.peers.map((x) => x.host).sort()).toEqual([...linked].sort());
        const seen = new Set<string>();
        for (const peer of c.peers) {
          const other = net.members.find((x) => x.host === peer.host)!;
          const back = confs.get(peer.host)!.peers.find((x) => x.host === m.host)!;
          expect(peer.publicKey).toBe(secret(`wireguard/${net.id}/${peer.host}`, 'public'));
          expect(peer.endpoint).toBe(`${other.underlay}:51999`);
          expect(peer.allowed).toContain(`${other.address.split('/')[0]}/32`);
          expect(peer.psk).toBeDefined();
          expect(peer.psk).toBe(back.psk);
          for (const a of peer.allowed) {
            expect(seen.has(a), `${m.host}: ${a} allowed twice`).toBe(false);
            seen.add(a);
          }
        }
        // Every other member's tunnel address and every other LAN is reachable through some peer.
        for (const other of net.members.filter((x) => x.host !== m.host)) expect(seen.has(`${other.address.split('/')[0]}/32`), `${m.host} reaches ${other.host}`).toBe(true);
        for (const h of p.hosts.filter((x) => x.name !== m.host)) expect(seen.has(h.lan!), `${m.host} reaches ${h.lan}`).toBe(true);
      }
    });
  }

  it('hub-spoke: a spoke reaches the other spokes (tunnel addresses and LANs) through the hub', async () => {
    const p = planned(topology('hub-spoke', 4));
    const { bundles: all } = await bundles(p);
    const spoke = parseConf(conf(all.find((b) => b.host === 'spoke-2')!));
    expect(spoke.peers).toHaveLength(1);
    expect(spoke.peers[0]!.allowed).toEqual(['198.19.0.1/32', '198.19.0.2/32', '198.19.0.4/32', '198.18.16.0/24', '198.18.17.0/24', '198.18.19.0/24']);
    const hub = parseConf(conf(all.find((b) => b.host === 'hub')!));
    expect(hub.peers.map((x) => x.allowed)).toEqual([
      ['198.19.0.2/32', '198.18.17.0/24'],
      ['198.19.0.3/32', '198.18.18.0/24'],
      ['198.19.0.4/32', '198.18.19.0/24'],
    ]);
  });

  it('first hops follow the links breadth-first', () => {
    // 0 — 1 — 2 — 3, and 0 — 4
    const edges = [
      [0, 1],
      [1, 2],
      [2, 3],
      [0, 4],
    ] as const;
    expect(firstHops(5, edges, 0)).toEqual([-1, 1, 1, 1, 4]);
    expect(firstHops(5, edges, 2)).toEqual([1, 1, -1, 3, 1]);
    expect(firstHops(3, [[0, 1]], 0)).toEqual([-1, 1, -1]);
  });
});

describe('wireguard: implementations, options and scripts', () => {
  it('kernel: creates the device once; go: starts wireguard-go in the foreground once, its socket directory recorded for down.sh', async () => {
    const [k] = (await bundles(planned(topology('site-to-site', 2)))).bundles;
    expect(k!.up).toContain('ip link show dev olwg0 >/dev/null 2>&1 || ip link add olwg0 type wireguard');
    expect(k!.up).toContain('wg setconf olwg0 /etc/wireguard/olwg0.conf');
    expect(k!.down).toContain('ip link del dev olwg0 2>/dev/null');
    const [g] = (await bundles(planned(topology('site-to-site', 2, { implementation: 'go' })))).bundles;
    const lines = g!.up.split('\n');
    const mk = lines.indexOf('ol_mkdir /run/wireguard');
    const start = lines.findIndex((l) => l.startsWith('ol_running /run/overlab/olwg0.pid wireguard-go || { WG_PROCESS_FOREGROUND=1 wireguard-go -f olwg0'));
    expect(mk).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(mk);
    expect(g!.down).toContain('ol_stop /run/overlab/olwg0.pid wireguard-go');
    // down.sh removes the directories up.sh recorded, after the daemon is gone.
    expect(g!.down.indexOf('created-dirs')).toBeGreaterThan(g!.down.indexOf('ol_stop'));
  });

  it('refuses bad option values at the option', () => {
    const bad = (options: Record<string, unknown>): string[] =>
      validateTopology(topology('site-to-site', 2, options), registry).diagnostics.filter((d) => d.severity === 'error').map((d) => d.path);
    expect(bad({ implementation: 'boringtun' })).toEqual(['links[0].options.implementation']);
    expect(bad({ port: 70000 })).toEqual(['links[0].options.port']);
    expect(bad({ persistentKeepalive: -1 })).toEqual(['links[0].options.persistentKeepalive']);
  });

  it.skipIf(!hasShellcheck)('rendered scripts pass shellcheck -s sh with no finding (both implementations)', async () => {
    for (const implementation of ['kernel', 'go']) {
      for (const b of (await bundles(planned(topology('hub-spoke', 3, { implementation })))).bundles) {
        for (const [which, text] of [['up', b.up], ['down', b.down]] as const) {
          const f = path.join(work, `${implementation}-${b.host}-${which}.sh`);
          writeFileSync(f, text);
          const r = spawnSync('shellcheck', ['-s', 'sh', f], { encoding: 'utf8' });
          expect(r.stdout, f).toBe('');
          expect(r.status).toBe(0);
        }
      }
    }
  });

  // `wg setconf` needs a real interface: a throwaway wireguard-go device in scratch mount and
  // network namespaces (its control socket lands in a private /run).
  const canRun = process.getuid?.() === 0 && has('wg', '--version') && has('wireguard-go', '--version') && has('unshare', '--version') && spawnSync('test', ['-c', '/dev/net/tun']).status === 0;
  it.skipIf(!canRun)('wg loads every rendered configuration and reports back the same peers', async () => {
    const p = planned(topology('hub-spoke', 3, { presharedKey: true, persistentKeepalive: 25 }));
    for (const b of (await bundles(p)).bundles) {
      const text = conf(b);
      const file = path.join(work, `${b.host}.conf`);
      writeFileSync(file, text, { mode: 0o600 });
      const script = [
        'set -e',
        'mount -t tmpfs none /run',
        'WG_PROCESS_FOREGROUND=1 wireguard-go olwgt0 >/dev/null 2>&1 & pid=$!',
        'i=0; while [ ! -S /run/wireguard/olwgt0.sock ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done',
        'wg setconf olwgt0 "$1"',
        'wg showconf olwgt0',
        'kill $pid',
      ].join('\n');
      const r = spawnSync('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script, 'sh', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const shown = parseConf(r.stdout.replace(/\[Peer\]\n/g, '# ?\n'));
      const want = parseConf(text);
      expect(shown.privateKey).toBe(want.privateKey);
      expect(shown.port).toBe(want.port);
      const key = (x: Peer): string => `${x.publicKey} ${x.endpoint} ${[...x.allowed].sort().join(',')} ${x.psk ?? ''}`;
      expect(shown.peers.map(key).sort()).toEqual(want.peers.map(key).sort());
    }
  });
});
