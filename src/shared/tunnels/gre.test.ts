import { describe, expect, it } from 'vitest';
import { gre } from './gre.js';
import { after, itPassesShellcheck, kindHarness, linkAdd } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';

const h = kindHarness(gre);
const { topology, planOf, bundles } = h;

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
        expect(up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(up).toContain(`link set dev ${m.ifname} mtu ${net.mtu}`);
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
    expect(up).toContain(`addr replace ${p.networks[0]!.members[0]!.address} dev olgre0`);
  });

  it('reports bad options at their path', () => {
    for (const [options, field] of [
      [{ key: -1 }, 'key'],
      [{ key: 4294967296 }, 'key'],
      [{ key: 'abc' }, 'key'],
      [{ csum: 'yes' }, 'csum'],
      [{ seq: 1 }, 'seq'],
      [{ ttl: 3 }, 'ttl'],
    ] as const) {
      h.expectOptionErrors(options, field);
    }
  });

  it('renders the same bytes twice', () => {
    const t = topology('hub-spoke', 4, { options: { key: 9 } });
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000, options: { key: 1, csum: true, seq: true } }],
    ['mesh', 3, { v6Underlay: true }],
  ]);
});

liveProof(h, [{}, { mtu: 9000 }, { options: { key: 42, csum: true, seq: true } }, { mtu: 9000, options: { key: 42, csum: true, seq: true } }]);
