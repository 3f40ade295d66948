import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import { placeholderSecrets } from '../secrets.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { gre } from './gre.js';
import type { Registry, TunnelKind } from './types.js';

const registry: Registry = { kinds: [gre] };
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

interface Variant {
  readonly mtu?: number;
  readonly options?: Record<string, unknown>;
  readonly v6Underlay?: boolean;
  readonly v6Pool?: boolean;
}
function topology(template: Shape, hosts: number, v: Variant = {}): Topology {
  const t = makeTemplate({ template, hosts, kind: 'gre', underlayMtu: v.mtu ?? 1500 }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return {
    ...t.value,
    ...(v.v6Underlay ? { underlay: { ...t.value.underlay, subnet: '2001:db8:0:1::/64' } } : {}),
    ...(v.v6Pool ? { pools: { tunnels: 'fd00:198:19::/48' } } : {}),
    links: t.value.links.map((l) => ({ ...l, options: v.options ?? {} })),
  };
}
function planOf(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}
const bundles = (p: Plan): HostBundle[] => render(p, registry, placeholderSecrets);
/** The words of the line of `script` that creates `ifname`, from `ip link add` on. */
function linkAdd(script: string, ifname: string): string[] {
  const line = script.split('\n').find((l) => l.includes(`ip link add ${ifname} `));
  if (!line) throw new Error(`no ip link add ${ifname} in:\n${script}`);
  return line.slice(line.indexOf('ip link add')).split(' ');
}
const after = (words: readonly string[], key: string): string | undefined => (words.includes(key) ? words[words.indexOf(key) + 1] : undefined);

describe('gre', () => {
  it('points the two ends of every link at each other, each with its planned address', () => {
    const p = planOf(topology('mesh', 4));
    const b = bundles(p);
    expect(p.networks).toHaveLength(6);
    for (const net of p.networks) {
      expect(net.members).toHaveLength(2);
      for (const [i, m] of net.members.entries()) {
        const peer = net.members[1 - i]!;
        const up = b.find((x) => x.host === m.host)!.up;
        const words = linkAdd(up, m.ifname);
        expect(after(words, 'type')).toBe('gre');
        expect(after(words, 'local')).toBe(m.underlay);
        expect(after(words, 'remote')).toBe(peer.underlay);
        expect(up).toContain(`ip addr replace ${m.address} dev ${m.ifname}`);
        expect(up).toContain(`ip link set dev ${m.ifname} mtu ${net.mtu}`);
        expect(b.find((x) => x.host === m.host)!.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
    }
  });

  it.each([
    // options, IPv4 1500, IPv4 9000, IPv6 1500 (outer IP + 4-byte GRE header + 4 per option)
    [{}, 1476, 8976, 1456],
    [{ key: 42 }, 1472, 8972, 1452],
    [{ csum: true }, 1472, 8972, 1452],
    [{ seq: true }, 1472, 8972, 1452],
    [{ key: 0, csum: true, seq: true }, 1464, 8964, 1444],
  ])('with options %j leaves MTU %i / %i on IPv4 1500 / 9000 and %i on IPv6 1500, MSS 40 less', (options, v4, v4jumbo, v6) => {
    for (const [variant, expected] of [
      [{ options }, v4],
      [{ options, mtu: 9000 }, v4jumbo],
      [{ options, v6Underlay: true }, v6],
    ] as const) {
      const l = planOf(topology('site-to-site', 2, variant)).links[0]!;
      expect(l.mtu).toBe(expected);
      expect(l.mss).toBe(expected - 40);
    }
  });

  it('puts the same key, csum and seq on both ends', () => {
    const b = bundles(planOf(topology('site-to-site', 2, { options: { key: 4294967295, csum: true, seq: true } })));
    for (const x of b) {
      const words = linkAdd(x.up, 'olgre0');
      expect(after(words, 'key')).toBe('4294967295');
      expect(words).toContain('csum');
      expect(words).toContain('seq');
    }
  });

  it('uses ip6gre without the 8-byte encapsulation limit option on an IPv6 underlay', () => {
    const p = planOf(topology('site-to-site', 2, { v6Underlay: true }));
    for (const [i, x] of bundles(p).entries()) {
      const words = linkAdd(x.up, 'olgre0');
      expect(after(words, 'type')).toBe('ip6gre');
      expect(after(words, 'encaplimit')).toBe('none');
      expect(after(words, 'remote')).toBe(p.networks[0]!.members[1 - i]!.underlay);
    }
  });

  it('carries an IPv6 tunnel pool on the same device, with an IPv6 MSS', () => {
    const p = planOf(topology('site-to-site', 2, { v6Pool: true }));
    expect(p.links[0]!.mss).toBe(1476 - 60);
    const up = bundles(p)[0]!.up;
    expect(after(linkAdd(up, 'olgre0'), 'type')).toBe('gre');
    expect(up).toContain(`ip addr replace ${p.networks[0]!.members[0]!.address} dev olgre0`);
  });

  it('reports bad options at their path', () => {
    const t = topology('site-to-site', 2);
    for (const [options, field] of [
      [{ key: -1 }, 'key'],
      [{ key: 4294967296 }, 'key'],
      [{ key: 'abc' }, 'key'],
      [{ csum: 'yes' }, 'csum'],
      [{ seq: 1 }, 'seq'],
      [{ ttl: 3 }, 'ttl'],
    ] as const) {
      const r = validateTopology({ ...t, links: [{ ...t.links[0]!, options }] }, registry);
      expect(r.diagnostics.map((d) => d.path)).toContain(`links[0].options.${field}`);
    }
  });

  it('renders the same bytes twice', () => {
    const t = topology('hub-spoke', 4, { options: { key: 9 } });
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });

  it.skipIf(!hasShellcheck).each([
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000, options: { key: 1, csum: true, seq: true } }],
    ['mesh', 3, { v6Underlay: true }],
  ] as const)('scripts pass shellcheck (%s, %i hosts, %j)', (shape, n, variant) => {
    for (const b of bundles(planOf(topology(shape, n, variant)))) {
      for (const s of [b.up, b.down]) {
        const r = spawnSync('shellcheck', ['-s', 'sh', '-'], { input: s, encoding: 'utf8' });
        expect(r.stdout + r.stderr).toBe('');
      }
    }
  });
});

/**
 * The real thing, where the kernel can carry the kind (here for MACVLAN; in the full-kernel
 * runner for the rest): the kind's own lines between two namespaces joined by veth, with the
 * plan's underlay addresses (198.18.0.0/15). A don't-fragment ping that fills the planned MTU
 * crosses, one byte more does not, the sender fragments nothing, and with the device one byte
 * larger that packet does not cross whole (the overhead is exact); running the up lines twice
 * changes nothing; the down lines leave the namespaces as they were and succeed again.
 */
const isRoot = process.getuid?.() === 0;
const FALLBACK = /^(gre0|gretap0|erspan0|tunl0|ip6tnl0|ip6gre0|sit0|ip_vti0|ip6_vti0)$/;
/** Runs a script in a namespace: `-uc` as down.sh runs (every line tried), `-euc` as up.sh (stop at the first failure). */
const nsRun = (ns: string, script: string, flags = '-uc') => spawnSync('ip', ['netns', 'exec', ns, 'sh', flags, script], { encoding: 'utf8' });
function kernelCarries(kind: TunnelKind): boolean {
  const probe = kind.requirements(kind.options.parse({})).probe;
  if (!isRoot || !probe) return false;
  const ns = `oltp${process.pid % 100000}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) return false;
  try {
    const setup = 'ip link add olprobe0 type veth peer name olprobe1; ip addr add 198.18.255.1/30 dev olprobe0; ip addr add 198.18.255.2/30 dev olprobe1; ip link set olprobe0 up; ip link set olprobe1 up';
    return nsRun(ns, `${setup}\n${probe}`, '-euc').status === 0;
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
}
function snapshot(ns: string): string {
  const links = nsRun(ns, 'ip -br link').stdout.split('\n').map((l) => l.split(/[\s@]/)[0]!).filter((n) => n && !FALLBACK.test(n));
  const addrs = nsRun(ns, 'ip -br addr').stdout.split('\n').filter((l) => !FALLBACK.test(l.split(/[\s@]/)[0]!)).map((l) => l.split(/\s+/).filter((w, i) => i !== 1 && !w.startsWith('fe80:')).join(' '));
  // MACsec's packet numbers count traffic (IPv6 neighbour discovery too), not configuration.
  const rest = nsRun(ns, 'ip route show table all | grep -v fe80:: ; ip fou show 2>/dev/null; ip macsec show 2>/dev/null | sed "s/PN [0-9]*,/PN _,/"; true').stdout;
  return [...links.sort(), ...addrs.sort(), rest].join('\n');
}
const fragCreates = (ns: string): number => {
  const snmp = nsRun(ns, 'cat /proc/net/snmp').stdout.split('\n').filter((l) => l.startsWith('Ip:'));
  return Number(snmp[1]!.split(/\s+/)[snmp[0]!.split(/\s+/).indexOf('FragCreates')]);
};
/** A fixed 16-byte hex value per secret reference: the live test needs real keys, not placeholders. */
const testSecret = (ref: string, part = 'value'): string => createHash('sha256').update(`${ref}:${part}`).digest('hex').slice(0, 32);

function liveSuite(kind: TunnelKind, variants: readonly Variant[]): void {
  describe.skipIf(!kernelCarries(kind))(`${kind.id} on this kernel`, () => {
    it.each(variants)('carries DF pings that fill the planned MTU and no more, brought up twice and down twice (%j)', (variant) => {
      const p = planOf(topology('site-to-site', 2, variant));
      const net = p.networks[0]!;
      const tag = `olt${process.pid % 100000}`;
      const ns = [`${tag}a`, `${tag}b`];
      const dir = mkdtempSync(path.join(tmpdir(), 'overlab-live-'));
      try {
        for (const n of ns) expect(spawnSync('ip', ['netns', 'add', n]).status).toBe(0);
        expect(spawnSync('ip', ['link', 'add', 'eth0', 'netns', ns[0]!, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns[1]!]).status).toBe(0);
        const parts = net.members.map((m, self) => {
          expect(nsRun(ns[self]!, `ip link set lo up; ip link set eth0 mtu ${p.underlayMtu} up; ip addr add ${m.underlay}/20 dev eth0`).status).toBe(0);
          const part = kind.render({ net, self, secret: testSecret, runDir: dir });
          let up = part.up.join('\n');
          // Files land in the test's directory, not in /etc.
          for (const f of part.files) {
            const local = path.join(dir, m.host, f.path);
            mkdirSync(path.dirname(local), { recursive: true });
            writeFileSync(local, f.content, { mode: f.mode });
            up = up.split(f.path).join(local);
          }
          return { up, down: part.down.join('\n') };
        });
        const before = ns.map(snapshot);
        for (const [i, n] of ns.entries()) {
          const r = nsRun(n, parts[i]!.up, '-euc');
          expect(r.status, r.stderr).toBe(0);
        }
        const once = ns.map(snapshot);
        for (const [i, n] of ns.entries()) expect(nsRun(n, parts[i]!.up, '-euc').status).toBe(0);
        expect(ns.map(snapshot)).toEqual(once);
        for (const [from, to] of [[0, 1], [1, 0]] as const) {
          const dst = net.members[to]!.address.split('/')[0]!;
          const ping = (size: number, count = 3) => nsRun(ns[from]!, `ping -c ${count} -i 0.2 -W 2 -M do -s ${size} ${dst}`);
          // Warm-up (ARP across Ethernet kinds), then the proof.
          ping(56, 1);
          const f0 = fragCreates(ns[from]!);
          const fits = ping(net.mtu - 28);
          expect(fits.status, fits.stdout + fits.stderr).toBe(0);
          expect(fragCreates(ns[from]!)).toBe(f0);
          expect(ping(net.mtu - 27, 1).status).not.toBe(0);
          // And the plan's MTU is the largest that works: one byte more on the device, and the
          // packet that fills it is refused, dropped or fragmented on the way out.
          const dev = net.members[from]!.ifname;
          if (nsRun(ns[from]!, `ip link set dev ${dev} mtu ${net.mtu + 1}`).status === 0) {
            const f1 = fragCreates(ns[from]!);
            const over = ping(net.mtu - 27, 1);
            expect(over.status !== 0 || fragCreates(ns[from]!) > f1, `a ${net.mtu + 1}-byte packet crossed whole: the overhead is overstated`).toBe(true);
            expect(nsRun(ns[from]!, `ip link set dev ${dev} mtu ${net.mtu}`).status).toBe(0);
          }
        }
        for (const [i, n] of ns.entries()) expect(nsRun(n, parts[i]!.down).stderr).toBe('');
        expect(ns.map(snapshot)).toEqual(before);
        // Again, with nothing left to remove: not a word on stderr (down.sh goes on past failures anyway).
        for (const [i, n] of ns.entries()) expect(nsRun(n, parts[i]!.down).stderr).toBe('');
      } finally {
        for (const n of ns) spawnSync('ip', ['netns', 'del', n]);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
}

liveSuite(gre, [{}, { mtu: 9000 }, { options: { key: 42, csum: true, seq: true } }, { mtu: 9000, options: { key: 42, csum: true, seq: true } }]);
