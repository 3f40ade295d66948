import { describe, expect, it } from 'vitest';
import { macvlan } from './macvlan.js';
import { itPassesShellcheck, kindHarness } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';

const h = kindHarness(macvlan);
const { topology, planOf, bundles } = h;

describe('macvlan', () => {
  it('hangs a bridge-mode macvlan off the underlay device of each end, with the planned address', () => {
    const p = planOf(topology('hub-spoke', 4));
    const b = bundles(p);
    for (const net of p.networks) {
      for (const m of net.members) {
        const x = b.find((y) => y.host === m.host)!;
        const line = x.up.split('\n').find((l) => l.includes(`name ${m.ifname} `))!;
        expect(line).toContain(`ip link add link ${m.underlayDev} name ${m.ifname} type macvlan mode bridge`);
        expect(x.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(x.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
    }
    // The hub's three links are three macvlans on its one underlay device, told apart by their MACs and subnets.
    expect(new Set(p.networks.map((n) => n.members[0]!.ifname)).size).toBe(3);
  });

  it('costs no bytes, on either underlay family, so no MSS clamping is rendered', () => {
    for (const [variant, mtu] of [
      [{}, 1500],
      [{ mtu: 9000 }, 9000],
      [{ v6Underlay: true }, 1500],
    ] as const) {
      const p = planOf(topology('site-to-site', 2, variant));
      expect([p.links[0]!.mtu, p.links[0]!.overheadBytes]).toEqual([mtu, 0]);
      for (const x of bundles(p)) expect(x.up).not.toContain('maxseg');
    }
  });

  it('says it needs hosts on one Ethernet segment', () => {
    expect(macvlan.label).toMatch(/one L2 segment/);
    expect(macvlan.capabilities.underlay.ipv4).toMatchObject({ how: expect.stringMatching(/one Ethernet segment/) });
  });

  it('takes no options, and says which one is unknown', () => {
    h.expectOptionErrors({ mode: 'vepa' }, 'mode');
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['mesh', 3, { mtu: 9000 }],
  ]);
});

liveProof(h, [{}, { mtu: 9000 }]);
