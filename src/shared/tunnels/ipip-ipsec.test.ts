import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('ipip-ipsec', () => {
  it("protects the IPIP device's protocol: 4 with IPv4 inside, 41 with IPv6 inside", () => {
    const v4 = build('ipip-ipsec');
    expect(connsOf(v4, v4.plan.hosts[0]!.name).get('overlab-n0')).toMatchObject({ type: 'transport', leftprotoport: '4/0', rightprotoport: '4/0' });
    expect(v4.bundles[0]!.up).toMatch(/ip link add olipips0 type ipip mode ipip local /);
    const v6 = build('ipip-ipsec', { pool6: true });
    expect(connsOf(v6, v6.plan.hosts[0]!.name).get('overlab-n0')).toMatchObject({ leftprotoport: '41/0', rightprotoport: '41/0' });
    expect(v6.bundles[0]!.up).toMatch(/type sit mode ip6ip /);
  });

  it('fits IPIP inside what ESP transport mode carries', () => {
    expect(build('ipip-ipsec').plan.links[0]!.mtu).toBe(1466 - 20);
    expect(build('ipip-ipsec', { mtu: 9000 }).plan.links[0]!.mtu).toBe(8966 - 20);
  });
});
