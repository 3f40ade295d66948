import { describe, expect, it } from 'vitest';
import { ipip } from './ipip.js';
import { after, itPassesShellcheck, kindHarness, linkAdd } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';

const h = kindHarness(ipip);
const { topology, planOf, bundles } = h;

describe('ipip', () => {
  it('points the two ends of every link at each other, each with its planned address', () => {
    const p = planOf(topology('mesh', 4));
    const b = bundles(p);
    for (const net of p.networks) {
      for (const [i, m] of net.members.entries()) {
        const x = b.find((y) => y.host === m.host)!;
        const words = linkAdd(x.up, m.ifname);
        expect([after(words, 'type'), after(words, 'mode')]).toEqual(['ipip', 'ipip']);
        expect(after(words, 'local')).toBe(m.underlay);
        expect(after(words, 'remote')).toBe(net.members[1 - i]!.underlay);
        expect(x.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(x.up).toContain(`link set dev ${m.ifname} mtu ${net.mtu}`);
        expect(x.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
    }
  });

  it.each([
    // underlay, pool, device, mode, IP protocol, MTU on 1500, on 9000, MSS on 1500
    [4, 4, 'ipip', 'ipip', 4, 1480, 8980, 1440],
    [4, 6, 'sit', 'ip6ip', 41, 1480, 8980, 1420],
    [6, 4, 'ip6tnl', 'ipip6', 4, 1460, 8960, 1420],
    [6, 6, 'ip6tnl', 'ip6ip6', 41, 1460, 8960, 1400],
  ] as const)('IPv%i underlay, IPv%i inside: %s mode %s (proto %i), MTU %i / %i, MSS %i', (under, inner, device, mode, proto, mtu, jumbo, mss) => {
    const variant = { v6Underlay: under === 6, v6Pool: inner === 6 };
    const p = planOf(topology('site-to-site', 2, variant));
    expect([p.links[0]!.mtu, p.links[0]!.mss]).toEqual([mtu, mss]);
    expect(planOf(topology('site-to-site', 2, { ...variant, mtu: 9000 })).links[0]!.mtu).toBe(jumbo);
    // The inner protocol number is what FOU's receive side and IPsec's selectors name.
    expect(p.networks[0]!.params.ipproto).toBe(proto);
    for (const x of bundles(p)) {
      const words = linkAdd(x.up, 'olipip0');
      expect([after(words, 'type'), after(words, 'mode')]).toEqual([device, mode]);
      // ip6tnl's default encapsulation limit would add an 8-byte destination-options header.
      expect(after(words, 'encaplimit')).toBe(under === 6 ? 'none' : undefined);
    }
  });

  it('takes no options, and says which one is unknown', () => {
    h.expectOptionErrors({ key: 1 }, 'key');
  });

  it('renders the same bytes twice', () => {
    const t = topology('hub-spoke', 4);
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000 }],
    ['mesh', 3, { v6Underlay: true, v6Pool: true }],
  ]);
});

liveProof(h, [{}, { mtu: 9000 }]);
