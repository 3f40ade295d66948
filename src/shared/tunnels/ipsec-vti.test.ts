import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('ipsec-vti', () => {
  it("marks the SA with the VTI's key, on both ends, and selects everything", () => {
    const built = build('ipsec-vti');
    for (const [i, m] of built.plan.networks[0]!.members.entries()) {
      const key = String(built.plan.networks[0]!.params.key);
      const up = built.bundles[i]!.up;
      expect(up).toMatch(new RegExp(`ip link add ${m.ifname} type vti local ${m.underlay} remote \\S+ key ${key}$`, 'm'));
      expect(up).toContain(`sysctl -qw net.ipv4.conf.${m.ifname}.disable_policy=1`);
      const c = connsOf(built, m.host).get('overlab-n0')!;
      expect(c).toMatchObject({ type: 'tunnel', mark: `${key}/0xffffffff`, leftsubnet: '0.0.0.0/0', rightsubnet: '0.0.0.0/0' });
    }
  });

  it('gives every VTI network of a host its own key; the key option wins', () => {
    const hub = build('ipsec-vti', { shape: 'hub-spoke' });
    const keys = hub.plan.networks.map((n) => n.params.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(build('ipsec-vti', { options: { key: 42 } }).plan.networks[0]!.params.key).toBe(42);
  });

  it('sets the planned MTU (the VTI would follow the underlay) and uses vti6 on an IPv6 underlay', () => {
    expect(build('ipsec-vti', { mtu: 9000 }).bundles[0]!.up).toContain('link set dev olvti0 mtu 8946');
    const v6 = build('ipsec-vti', { v6: true });
    expect(v6.bundles[0]!.up).toMatch(/ip link add olvti0 type vti6 local 2001:db8/);
    expect(v6.plan.links[0]!.mtu).toBe(1426);
  });
});
