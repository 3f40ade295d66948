import { describe, expect, it } from 'vitest';
import { gretap } from './gretap.js';
import { after, itPassesShellcheck, kindHarness, linkAdd } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';

const h = kindHarness(gretap);
const { topology, planOf, bundles } = h;

describe('gretap', () => {
  it('points the two ends of every link at each other, with the planned addresses on the Ethernet device', () => {
    const p = planOf(topology('hub-spoke', 4));
    const b = bundles(p);
    for (const net of p.networks) {
      for (const [i, m] of net.members.entries()) {
        const x = b.find((y) => y.host === m.host)!;
        const words = linkAdd(x.up, m.ifname);
        expect(after(words, 'type')).toBe('gretap');
        expect(after(words, 'local')).toBe(m.underlay);
        expect(after(words, 'remote')).toBe(net.members[1 - i]!.underlay);
        expect(x.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(x.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
    }
  });

  it.each([
    // options, IPv4 1500, IPv4 9000, IPv6 1500: outer IP + GRE 4 (+4 per option) + inner Ethernet 14
    [{}, 1462, 8962, 1442],
    [{ key: 7 }, 1458, 8958, 1438],
    [{ key: 7, csum: true, seq: true }, 1450, 8950, 1430],
  ])('with options %j leaves MTU %i / %i on IPv4 1500 / 9000 and %i on IPv6 1500', (options, v4, v4jumbo, v6) => {
    expect(planOf(topology('site-to-site', 2, { options })).links[0]!.mtu).toBe(v4);
    expect(planOf(topology('site-to-site', 2, { options, mtu: 9000 })).links[0]!.mtu).toBe(v4jumbo);
    const l6 = planOf(topology('site-to-site', 2, { options, v6Underlay: true })).links[0]!;
    expect([l6.mtu, l6.mss]).toEqual([v6, v6 - 40]);
  });

  it('puts the same header options on both ends', () => {
    for (const x of bundles(planOf(topology('site-to-site', 2, { options: { key: 7, seq: true } })))) {
      const words = linkAdd(x.up, 'olgtap0');
      expect(after(words, 'key')).toBe('7');
      expect(words).toContain('seq');
      expect(words).not.toContain('csum');
    }
  });

  it('uses ip6gretap without the encapsulation limit option on an IPv6 underlay', () => {
    for (const x of bundles(planOf(topology('site-to-site', 2, { v6Underlay: true })))) {
      const words = linkAdd(x.up, 'olgtap0');
      expect(after(words, 'type')).toBe('ip6gretap');
      expect(after(words, 'encaplimit')).toBe('none');
    }
  });

  it('reports bad options at their path', () => {
    h.expectOptionErrors({ key: 1.5, csum: 'on', vni: 3 }, 'key', 'csum', 'vni');
  });

  it('renders the same bytes twice', () => {
    const t = topology('mesh', 4);
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['multi-site', 3, { mtu: 9000, options: { key: 1, csum: true } }],
    ['hub-spoke', 3, { v6Underlay: true }],
  ]);
});

liveProof(h, [{}, { mtu: 9000 }, { options: { key: 7, csum: true, seq: true } }]);
