import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('gretap-ipsec', () => {
  it('protects GREtap (IP protocol 47) with one transport-mode SA, and counts the inner Ethernet header', () => {
    const built = build('gretap-ipsec');
    expect(connsOf(built, built.plan.hosts[1]!.name).get('overlab-n0')).toMatchObject({ type: 'transport', leftprotoport: '47/0', rightprotoport: '47/0' });
    expect(built.bundles[0]!.up).toMatch(/ip link add olgtaps0 type gretap local /);
    expect(built.plan.links[0]!.mtu).toBe(1466 - 20 - 4 - 14);
    expect(build('gretap-ipsec', { mtu: 9000 }).plan.links[0]!.mtu).toBe(8966 - 38);
  });
});
