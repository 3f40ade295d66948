import { describe, expect, it } from 'vitest';
import { geneve } from './geneve.js';
import { after, itPassesShellcheck, kindHarness, linkAdd } from './testing/kind-harness.js';
import { liveProof } from './testing/live-proof.js';

const h = kindHarness(geneve);
const { topology, planOf, bundles } = h;

describe('geneve', () => {
  it('gives both ends of a link one VNI, port and df setting, each pointed at the other', () => {
    const p = planOf(topology('mesh', 4));
    const b = bundles(p);
    const vnis = new Set<string>();
    for (const net of p.networks) {
      const seen = new Set<string>();
      for (const [i, m] of net.members.entries()) {
        const x = b.find((y) => y.host === m.host)!;
        const words = linkAdd(x.up, m.ifname);
        expect(after(words, 'type')).toBe('geneve');
        expect(after(words, 'remote')).toBe(net.members[1 - i]!.underlay);
        // iproute2 has no local/dev for geneve: the source comes from the route to remote.
        expect(words).not.toContain('local');
        seen.add(`${after(words, 'id')} ${after(words, 'dstport')} ${after(words, 'df')}`);
        expect(x.up).toContain(`addr replace ${m.address} dev ${m.ifname}`);
        expect(x.down).toContain(`ip link del dev ${m.ifname} 2>/dev/null`);
      }
      expect([...seen]).toEqual([`${String(net.params.vni)} 6081 unset`]);
      vnis.add(String(net.params.vni));
    }
    // One VNI per link: a device is found by VNI and remote, and distinct VNIs keep captures readable.
    expect(vnis.size).toBe(p.networks.length);
  });

  it('uses the vni, port and df options', () => {
    for (const x of bundles(planOf(topology('site-to-site', 2, { options: { vni: 0, port: 6082, df: 'set' } })))) {
      const words = linkAdd(x.up, 'olgnv0');
      expect([after(words, 'id'), after(words, 'dstport'), after(words, 'df')]).toEqual(['0', '6082', 'set']);
    }
  });

  it.each([
    // Ethernet inside: outer IP + UDP 8 + Geneve 8 + inner Ethernet 14
    [false, 1500, 1450],
    [false, 9000, 8950],
    [true, 1500, 1430],
    [true, 9000, 8930],
  ] as const)('on an IPv6 underlay %s with MTU %i leaves %i', (v6Underlay, mtu, expected) => {
    const l = planOf(topology('site-to-site', 2, { v6Underlay, mtu })).links[0]!;
    expect([l.mtu, l.mss]).toEqual([expected, expected - 40]);
  });

  it('reports bad options at their path', () => {
    for (const [options, field] of [
      [{ vni: 16777216 }, 'vni'],
      [{ vni: -1 }, 'vni'],
      [{ port: 0 }, 'port'],
      [{ df: 'yes' }, 'df'],
      [{ local: '198.18.0.1' }, 'local'],
    ] as const) {
      h.expectOptionErrors(options, field);
    }
  });

  it('renders the same bytes twice', () => {
    const t = topology('hub-spoke', 4);
    expect(bundles(planOf(t))).toEqual(bundles(planOf(t)));
  });

  itPassesShellcheck(h, [
    ['site-to-site', 2, {}],
    ['hub-spoke', 3, { mtu: 9000, options: { df: 'inherit' } }],
    ['mesh', 3, { v6Underlay: true }],
  ]);
});

liveProof(h, [{}, { mtu: 9000 }, { options: { df: 'set' } }, { options: { df: 'inherit' } }]);
