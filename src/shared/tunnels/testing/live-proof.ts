/**
 * The real thing, where the kernel can carry the kind (here for MACVLAN; in the full-kernel
 * runner for the rest): the kind's own lines between two namespaces joined by veth, with the
 * plan's underlay addresses (198.18.0.0/15). A don't-fragment ping that fills the planned MTU
 * crosses, one byte more does not, the sender fragments nothing, and with the device one byte
 * larger that packet does not cross whole (the overhead is exact); running the up lines twice
 * changes nothing; the down lines leave the namespaces as they were and succeed again.
 *
 * Test support shared by the kernel encapsulation kinds' tests; it runs `ip` and `ping` through
 * node:child_process, so it is outside the src/shared layer rule and the browser-side typechecks.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TunnelKind } from '../types.js';
import type { KindHarness, Variant } from './kind-harness.js';

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

/**
 * `describe('KIND on this kernel')`, skipped unless running as root on a kernel whose probe for
 * the kind succeeds, with one live test per variant of the two-host (site-to-site) project.
 */
export function liveProof(h: KindHarness, variants: readonly Variant[]): void {
  const { kind, topology, planOf } = h;
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
