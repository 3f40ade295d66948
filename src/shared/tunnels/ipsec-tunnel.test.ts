import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('ipsec-tunnel', () => {
  it('selects tunnel addresses and LANs: one tunnel-mode SA per pair, mirrored on the two ends', () => {
    const built = build('ipsec-tunnel');
    const [a, b] = built.plan.networks[0]!.members;
    const lanA = built.plan.hosts[0]!.lan!;
    const lanB = built.plan.hosts[1]!.lan!;
    const ca = connsOf(built, a!.host);
    const pairs = [...ca.values()].map((c) => `${c.leftsubnet} ${c.rightsubnet}`).sort();
    const tunA = `${a!.address.split('/')[0]}/32`;
    const tunB = `${b!.address.split('/')[0]}/32`;
    expect(pairs).toEqual([`${tunA} ${tunB}`, `${tunA} ${lanB}`, `${lanA} ${tunB}`, `${lanA} ${lanB}`].sort());
    for (const c of ca.values()) expect(c.type).toBe('tunnel');
    // The tunnel addresses' own SA keeps the plain name.
    expect(ca.get('overlab-n0')).toMatchObject({ leftsubnet: tunA, rightsubnet: tunB });
  });

  it('in a hub-spoke, the spokes reach each other through the hub: the hub–spoke SAs cover the other spokes\' LANs', () => {
    const built = build('ipsec-tunnel', { shape: 'hub-spoke' });
    const [hub, s1, s2] = built.plan.hosts;
    const net = built.plan.networks.find((n) => n.members.some((m) => m.host === s1!.name))!;
    const spokeSide = [...connsOf(built, s1!.name, net.id).values()].map((c) => c.rightsubnet);
    expect(spokeSide).toContain(s2!.lan);
    expect(spokeSide).toContain(hub!.lan);
    const hubSide = [...connsOf(built, hub!.name, net.id).values()].map((c) => c.leftsubnet);
    expect(hubSide).toContain(s2!.lan);
  });

  it('puts the tunnel address on a dummy at the planned MTU and routes the LANs through it', () => {
    for (const mtu of [1500, 9000]) {
      const built = build('ipsec-tunnel', { mtu });
      const me = built.plan.networks[0]!.members[0]!;
      const up = built.bundles[0]!.up;
      expect(up).toContain(`ip link add ${me.ifname} type dummy`);
      expect(up).toContain(`link set dev ${me.ifname} mtu ${mtu - 54}`);
      expect(up).toContain(`addr replace ${me.address} dev ${me.ifname}`);
      expect(up).toMatch(new RegExp(`ip route replace \\S+ via \\S+ dev ${me.ifname}`));
      expect(built.bundles[0]!.down).toContain(`ip link del dev ${me.ifname} 2>/dev/null`);
    }
  });

  it('selects /128s on an IPv6 tunnel pool, and its overhead follows the underlay family only', () => {
    const built = build('ipsec-tunnel', { pool6: true });
    const [a, b] = built.plan.networks[0]!.members;
    expect(connsOf(built, a!.host).get('overlab-n0')).toMatchObject({ leftsubnet: `${a!.address.split('/')[0]}/128`, rightsubnet: `${b!.address.split('/')[0]}/128` });
    expect([built.plan.links[0]!.mtu, built.plan.links[0]!.mss]).toEqual([1446, 1386]);
    expect(build('ipsec-tunnel', { v6: true }).plan.links[0]!.mtu).toBe(1426);
  });
});
