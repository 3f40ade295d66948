import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('ipsec-xfrmi', () => {
  it('the SA and the interface carry the same if_id on both ends; the device is ipsec<if_id> with the planned name as altname', () => {
    const built = build('ipsec-xfrmi');
    const net = built.plan.networks[0]!;
    const ifId = String(net.params.ifId);
    for (const [i, m] of net.members.entries()) {
      const up = built.bundles[i]!.up;
      expect(up).toContain(`ip link add ipsec${ifId} type xfrm dev ${m.underlayDev} if_id ${ifId}`);
      expect(up).toContain(`ip link property add dev ipsec${ifId} altname ${m.ifname}`);
      expect(connsOf(built, m.host).get('overlab-n0')).toMatchObject({ 'ipsec-interface': ifId, leftsubnet: '0.0.0.0/0', rightsubnet: '0.0.0.0/0' });
      // The device must exist before the connection is added, or pluto makes (and later deletes) its own.
      expect(up.indexOf('ip link add ipsec')).toBeLessThan(up.indexOf('ipsec addconn'));
      expect(up).toMatch(new RegExp(`ip route replace \\S+ via \\S+ dev ipsec${ifId}`));
      expect(built.bundles[i]!.down).toContain(`ip link del dev ipsec${ifId} 2>/dev/null`);
    }
  });

  it('sets the MTU itself: an XFRM interface stays at 1500 on a 9000-byte underlay', () => {
    expect(build('ipsec-xfrmi', { mtu: 9000 }).bundles[0]!.up).toContain('link set dev ipsec100 mtu 8946');
  });

  it('gives every XFRMi network of a host its own if_id; the ifId option wins', () => {
    const hub = build('ipsec-xfrmi', { shape: 'mesh' });
    const ids = hub.plan.networks.map((n) => n.params.ifId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(build('ipsec-xfrmi', { options: { ifId: 7 } }).bundles[0]!.up).toContain('ip link add ipsec7 type xfrm');
  });
});
