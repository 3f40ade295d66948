import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('gre-ipsec', () => {
  it('protects GRE (IP protocol 47) between the underlay addresses with one transport-mode SA', () => {
    const built = build('gre-ipsec');
    const [a, b] = built.plan.hosts;
    const conns = connsOf(built, a!.name);
    expect([...conns.keys()]).toEqual(['overlab-n0']);
    expect(conns.get('overlab-n0')).toMatchObject({ type: 'transport', left: a!.underlay.address, right: b!.underlay.address, leftprotoport: '47/0', rightprotoport: '47/0' });
    // …and GRE never passes in clear: blocked both ways wherever the SA does not take it.
    expect(built.bundles[0]!.up).toContain(`ip xfrm policy update src ${a!.underlay.address}/32 dst ${b!.underlay.address}/32 proto 47 dir out mark 0 mask 1`);
    expect(built.bundles[0]!.up).toContain(`ip xfrm policy update src ${b!.underlay.address}/32 dst ${a!.underlay.address}/32 proto 47 dir in mark 0 mask 1`);
  });

  it("is the gre kind's device with its options, inside ESP's MTU", () => {
    const built = build('gre-ipsec', { options: { key: 7, csum: true } });
    const m = built.plan.networks[0]!.members[0]!;
    expect(built.bundles[0]!.up).toContain(`ip link add ${m.ifname} type gre local ${m.underlay} remote ${built.plan.networks[0]!.members[1]!.underlay} key 7 csum`);
    // ESP transport carries 1466 bytes on 1500; GRE with key and checksum takes 20 + 12 of them.
    expect(built.plan.links[0]!.mtu).toBe(1466 - 32);
    expect(build('gre-ipsec', { mtu: 9000 }).plan.links[0]!.mtu).toBe(8966 - 24);
  });
});
