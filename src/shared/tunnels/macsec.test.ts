import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import { placeholderSecrets, type SecretSpec } from '../secrets.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { macsec } from './macsec.js';
import type { Registry, SecretLookup, TunnelKind } from './types.js';

const registry: Registry = { kinds: [macsec] };
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

interface Variant {
  readonly mtu?: number;
  readonly options?: Record<string, unknown>;
  readonly v6Underlay?: boolean;
  readonly v6Pool?: boolean;
}
function topology(template: Shape, hosts: number, v: Variant = {}): Topology {
  const t = makeTemplate({ template, hosts, kind: 'macsec', underlayMtu: v.mtu ?? 1500 }, registry);
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
const bundles = (p: Plan, secret: SecretLookup = placeholderSecrets): HostBundle[] => render(p, registry, secret);
const after = (words: readonly string[], key: string): string | undefined => (words.includes(key) ? words[words.indexOf(key) + 1] : undefined);

/** A lookup that gives every reference its own value, so that swapped keys show. */
const distinct = (ref: string, part = 'value'): string => `${ref.replace(/[^a-z0-9]/g, '')}${part}`;
const saFile = (b: HostBundle, ifname: string) => b.files.find((f) => f.path === `/etc/overlab/macsec/${ifname}.batch`)!;
/** `macsec add DEV …` lines of an SA file, as word lists after the device. */
const saLines = (b: HostBundle, ifname: string): string[][] =>
  saFile(b, ifname)
    .content.trim()
    .split('\n')
    .map((l) => {
      const w = l.split(' ');
      expect(w.slice(0, 3)).toEqual(['macsec', 'add', ifname]);
      return w.slice(3);
    });

describe('macsec', () => {
  it('names each end by its planned MAC and the peer’s channel by the peer’s MAC, on every link of a mesh', () => {
    const p = planOf(topology('mesh', 4));
    const b = bundles(p, distinct);
    const macs = new Set<string>();
    for (const net of p.networks) {
      for (const [i, m] of net.members.entries()) {
        const peer = net.members[1 - i]!;
        const mine = b.find((x) => x.host === m.host)!;
        const theirs = b.find((x) => x.host === peer.host)!;
        const create = mine.up.split('\n').find((l) => l.includes(`name ${m.ifname} `))!;
        const mac = after(create.split(' '), 'address')!;
        const peerMac = after(theirs.up.split('\n').find((l) => l.includes(`name ${peer.ifname} `))!.split(' '), 'address')!;
        expect(create).toContain(`ip link add link ${m.underlayDev} name ${m.ifname} address ${mac} type macsec port 1 encrypt on cipher gcm-aes-128`);
        // Locally administered, unicast.
        expect(mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
        macs.add(mac);
        const [tx, rxSc, rxSa] = saLines(mine, m.ifname);
        expect(tx!.slice(0, 6)).toEqual(['tx', 'sa', '0', 'pn', '1', 'on']);
        // The receive channel is the peer's SCI: its MAC and port 1.
        expect(rxSc).toEqual(['rx', 'port', '1', 'address', peerMac]);
        expect(rxSa!.slice(0, 11)).toEqual(['rx', 'port', '1', 'address', peerMac, 'sa', '0', 'pn', '1', 'on', 'key']);
        expect(mine.up).toContain(`ip addr replace ${m.address} dev ${m.ifname}`);
        expect(mine.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
    }
    // Every device of the project on the one segment has its own MAC, hence its own SCI.
    expect(macs.size).toBe(p.networks.length * 2);
  });

  it('receives with exactly the key the peer sends with, and sends with its own', () => {
    const p = planOf(topology('hub-spoke', 3));
    const b = bundles(p, distinct);
    for (const net of p.networks) {
      const [a, c] = net.members.map((m) => saLines(b.find((x) => x.host === m.host)!, m.ifname));
      const key = (words: string[]) => words.slice(words.indexOf('key') + 1);
      // [key id, key]
      expect(key(a![2]!)).toEqual(key(c![0]!));
      expect(key(c![2]!)).toEqual(key(a![0]!));
      expect(key(a![0]!)).not.toEqual(key(c![0]!));
    }
  });

  it('asks for one 16-byte hex key per end (GCM-AES-128) and keeps the keys out of the scripts, in 0600 files', () => {
    const p = planOf(topology('site-to-site', 2));
    const specs: SecretSpec[] = [...p.secrets];
    expect(specs.map((s) => s.kind)).toEqual([
      { type: 'random', bytes: 16, encoding: 'hex' },
      { type: 'random', bytes: 16, encoding: 'hex' },
    ]);
    expect(new Set(specs.map((s) => s.ref)).size).toBe(2);
    for (const x of bundles(p, distinct)) {
      const f = saFile(x, 'olms0');
      expect([f.mode, f.secret]).toEqual([0o600, true]);
      for (const s of specs) {
        expect(f.content).toContain(distinct(s.ref));
        expect(x.up).not.toContain(distinct(s.ref));
        expect(x.down).not.toContain(distinct(s.ref));
      }
      // Device and SAs together: if the SAs fail, the device goes, so a rerun starts afresh.
      expect(x.up).toContain('if ! ip link show dev olms0 >/dev/null 2>&1; then ip link add link eth0 name olms0 address ');
      expect(x.up).toContain('; ip -batch /etc/overlab/macsec/olms0.batch || { ip link del dev olms0 2>/dev/null; exit 1; }; fi');
    }
  });

  it.each([
    // SecTAG with SCI (16) + ICV (16), whatever the underlay family
    [{}, 1468],
    [{ mtu: 9000 }, 8968],
    [{ v6Underlay: true }, 1468],
    [{ v6Underlay: true, mtu: 9000 }, 8968],
  ] as const)('%j leaves an MTU of %i', (variant, expected) => {
    const l = planOf(topology('site-to-site', 2, variant)).links[0]!;
    expect([l.mtu, l.mss, l.overheadBytes]).toEqual([expected, expected - 40, 32]);
  });

  it('says it needs hosts on one Ethernet segment', () => {
    expect(macsec.label).toMatch(/one L2 segment/);
    expect(macsec.shapeNote).toMatch(/one Ethernet segment/);
    expect(macsec.encrypted).toBe(true);
  });

  it('takes no options, and says which one is unknown', () => {
    const t = topology('site-to-site', 2);
    const r = validateTopology({ ...t, links: [{ ...t.links[0]!, options: { cipher: 'gcm-aes-256' } }] }, registry);
    expect(r.diagnostics.map((d) => d.path)).toContain('links[0].options.cipher');
  });

  it('renders the same bytes twice', () => {
    const t = topology('mesh', 4);
    expect(bundles(planOf(t), distinct)).toEqual(bundles(planOf(t), distinct));
  });

  it.skipIf(!hasShellcheck).each([
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000 }],
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

liveSuite(macsec, [{}, { mtu: 9000 }]);
