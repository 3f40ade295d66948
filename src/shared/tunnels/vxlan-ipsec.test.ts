import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('vxlan-ipsec', () => {
  it("protects UDP to each host's VXLAN port, from any port: one transport SA per direction, named after the listener", () => {
    const built = build('vxlan-ipsec');
    const [a, b] = built.plan.hosts;
    const conns = connsOf(built, a!.name);
    expect([...conns.keys()].sort()).toEqual([`overlab-n0-to-${a!.name}`, `overlab-n0-to-${b!.name}`]);
    expect(conns.get(`overlab-n0-to-${b!.name}`)).toMatchObject({ type: 'transport', leftprotoport: 'udp/0', rightprotoport: 'udp/4789' });
    expect(conns.get(`overlab-n0-to-${a!.name}`)).toMatchObject({ type: 'transport', leftprotoport: 'udp/4789', rightprotoport: 'udp/0' });
  });

  it('blocks what each SA carries, in both directions, until the SA is up', () => {
    const up = build('vxlan-ipsec').bundles[0]!.up;
    const blocks = up.split('\n').filter((l) => l.includes('action block')).map((l) => l.replace(/^ip xfrm policy update (.*) mark 0 mask 1 priority 4294967295 action block$/, '$1'));
    expect(blocks.sort()).toEqual(
      [
        'src 198.18.0.1/32 dst 198.18.0.2/32 proto udp dport 4789 dir out',
        'src 198.18.0.2/32 dst 198.18.0.1/32 proto udp sport 4789 dir in',
        'src 198.18.0.1/32 dst 198.18.0.2/32 proto udp sport 4789 dir out',
        'src 198.18.0.2/32 dst 198.18.0.1/32 proto udp dport 4789 dir in',
      ].sort(),
    );
  });

  it("follows the vxlan kind's port and VNI options into the device and the selectors", () => {
    const built = build('vxlan-ipsec', { options: { port: 4790, vni: 5000 } });
    expect(built.bundles[0]!.up).toMatch(/type vxlan id 5000 .* dstport 4790 /);
    const b = built.plan.hosts[1]!.name;
    expect(connsOf(built, built.plan.hosts[0]!.name).get(`overlab-n0-to-${b}`)!.rightprotoport).toBe('udp/4790');
  });

  it('fits VXLAN (outer IP + UDP + VXLAN + inner Ethernet: 50) inside what ESP transport mode carries', () => {
    expect(build('vxlan-ipsec').plan.links[0]!.mtu).toBe(1466 - 50);
    expect(build('vxlan-ipsec', { mtu: 9000 }).plan.links[0]!.mtu).toBe(8966 - 50);
  });
});
