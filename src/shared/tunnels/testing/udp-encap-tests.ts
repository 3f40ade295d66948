/**
 * The tests FOU and GUE share: both render IPIP (or sit/ip6tnl) with `encap fou|gue` to the
 * peer's UDP port and a receive-side listener per host (fou.ts's renderUdpEncap), and take the
 * same port option, so what they are checked for is one list, run by fou.test.ts and
 * gue.test.ts with each kind's words, port and MTU figures. Used by tests only.
 */
import { expect, it } from 'vitest';
import { after, itPassesShellcheck, linkAdd, type KindHarness } from './kind-harness.js';

export interface UdpEncapSpec {
  /** The device of the two-host project. */
  readonly ifname: string;
  /** iproute2's `encap` word for the kind. */
  readonly encap: string;
  /** The default port. */
  readonly port: number;
  /** What the listener carries, in `ip fou show`'s words, when the packets inside are IPv4 or IPv6. */
  readonly carries: (inner: 4 | 6) => string;
  /** MTU on a 1500 / 9000 underlay, IPv4 and IPv6 underlay (the inner family costs nothing). */
  readonly mtu: { readonly v4: readonly [number, number]; readonly v6: readonly [number, number] };
}

/** The receive side of `port` on a host, as up.sh lists it with `ip fou show`'s words. */
const listener = (port: number, what: string, v6 = false): string => `port ${port} ${what}${v6 ? ' -6' : ''}`;

/** The tests, for the `describe` of the kind they are called in. */
export function udpEncapTests(h: KindHarness, s: UdpEncapSpec): void {
  const { topology, planOf, bundles } = h;
  const { ifname, encap, port, carries } = s;

  it('sends every link to the peer\'s port and listens on the same port on both ends', () => {
    const p = planOf(topology('hub-spoke', 3));
    const b = bundles(p);
    for (const net of p.networks) {
      for (const [i, m] of net.members.entries()) {
        const x = b.find((y) => y.host === m.host)!;
        const words = linkAdd(x.up, m.ifname);
        expect([after(words, 'type'), after(words, 'local'), after(words, 'remote')]).toEqual(['ipip', m.underlay, net.members[1 - i]!.underlay]);
        expect([after(words, 'encap'), after(words, 'encap-sport'), after(words, 'encap-dport')]).toEqual([encap, 'auto', String(port)]);
        expect(x.up).toContain(`ip fou add ${listener(port, carries(4))}`);
        expect(x.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(x.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
        expect(x.down).toContain(`ip fou del port ${port} 2>/dev/null`);
      }
    }
  });

  it('adds a host\'s listener only when that exact listener is missing, so links sharing it can be brought up in any order', () => {
    // In a mesh of 4 every host has three links on one port: three guarded adds, each a no-op once the first ran.
    for (const x of bundles(planOf(topology('mesh', 4)))) {
      const adds = x.up.split('\n').filter((l) => l.includes('ip fou add'));
      expect(adds).toHaveLength(3);
      for (const l of adds) expect(l).toBe(`ip fou show 2>/dev/null | grep -qx '${listener(port, carries(4))}' || ip fou add ${listener(port, carries(4))}`);
      // down.sh takes the whole host down: deleting the shared listener once is enough, the rest find nothing and stay quiet.
      expect(x.down.split('\n').filter((l) => l.startsWith('ip fou del'))).toEqual(Array(3).fill(`ip fou del port ${port} 2>/dev/null`));
    }
  });

  it('uses the port option on both ends', () => {
    for (const x of bundles(planOf(topology('site-to-site', 2, { options: { port: 7777 } })))) {
      expect(after(linkAdd(x.up, ifname), 'encap-dport')).toBe('7777');
      expect(x.up).toContain(`ip fou add ${listener(7777, carries(4))}`);
    }
  });

  it.each([
    // underlay, pool, device, mode, MTU on 1500, on 9000
    [4, 4, 'ipip', 'ipip', ...s.mtu.v4],
    [4, 6, 'sit', 'ip6ip', ...s.mtu.v4],
    [6, 4, 'ip6tnl', 'ipip6', ...s.mtu.v6],
    [6, 6, 'ip6tnl', 'ip6ip6', ...s.mtu.v6],
  ] as const)('IPv%i underlay, IPv%i inside: %s mode %s, MTU %i / %i', (under, inner, device, mode, mtu, jumbo) => {
    const variant = { v6Underlay: under === 6, v6Pool: inner === 6 };
    const p = planOf(topology('site-to-site', 2, variant));
    expect([p.links[0]!.mtu, p.links[0]!.mss]).toEqual([mtu, mtu - (inner === 4 ? 40 : 60)]);
    expect(planOf(topology('site-to-site', 2, { ...variant, mtu: 9000 })).links[0]!.mtu).toBe(jumbo);
    for (const x of bundles(p)) {
      const words = linkAdd(x.up, ifname);
      expect([after(words, 'type'), after(words, 'mode'), after(words, 'encap')]).toEqual([device, mode, encap]);
      expect(after(words, 'encaplimit')).toBe(under === 6 ? 'none' : undefined);
      expect(x.up).toContain(`ip fou add ${listener(port, carries(inner), under === 6)}`);
      expect(x.down).toContain(`ip fou del port ${port}${under === 6 ? ' -6' : ''} 2>/dev/null`);
      // ip6tnl's FOU/GUE encapsulation is fou6's: without it the device is refused (EINVAL).
      const load = x.up.split('\n').find((l) => l.startsWith('modprobe '));
      expect(load).toBe(under === 6 ? 'modprobe -q -a fou fou6 2>/dev/null || true' : 'modprobe -q fou 2>/dev/null || true');
      expect(x.up.indexOf(load!)).toBeLessThan(x.up.indexOf(`type ${device}`));
    }
  });

  it('reports bad options at their path', () => {
    for (const [options, field] of [
      [{ port: 0 }, 'port'],
      [{ port: 65536 }, 'port'],
      [{ port: '5555' }, 'port'],
      [{ ipproto: 4 }, 'ipproto'],
    ] as const) {
      h.expectOptionErrors(options, field);
    }
  });

  it('renders the same bytes twice', () => {
    const t = topology('mesh', 4);
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000, options: { port: 4000 } }],
    ['mesh', 3, { v6Underlay: true }],
  ]);
}
