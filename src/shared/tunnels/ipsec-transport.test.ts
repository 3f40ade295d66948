import { describe, expect, it } from 'vitest';
import { plan } from '../plan.js';
import { makeTemplate } from '../templates.js';
import { build, connsOf } from './ipsec-testkit.js';
import { defaultRegistry } from './index.js';

describe('ipsec-transport', () => {
  it('measures between the underlay addresses, and protects all IP between them with one transport SA', () => {
    const built = build('ipsec-transport');
    const [a, b] = built.plan.hosts;
    expect(built.plan.links[0]!.addresses).toEqual({ a: `${a!.underlay.address}/32`, b: `${b!.underlay.address}/32` });
    const conns = connsOf(built, a!.name);
    expect([...conns.keys()]).toEqual(['overlab-n0']);
    const c = conns.get('overlab-n0')!;
    expect(c).toMatchObject({ type: 'transport', left: a!.underlay.address, right: b!.underlay.address });
    expect(c.leftsubnet).toBeUndefined();
    expect(c.leftprotoport).toBeUndefined();
  });

  it('blocks all IP between the two hosts, both ways, wherever the SA does not carry it', () => {
    const built = build('ipsec-transport');
    const [a, b] = built.plan.hosts.map((h) => h.underlay.address);
    expect(built.bundles[0]!.up).toContain(`ip xfrm policy update src ${a}/32 dst ${b}/32 dir out mark 0 mask 1 priority 4294967295 action block`);
    expect(built.bundles[0]!.up).toContain(`ip xfrm policy update src ${b}/32 dst ${a}/32 dir in mark 0 mask 1 priority 4294967295 action block`);
    expect(built.bundles[0]!.down).toContain(`ip xfrm policy deleteall src ${a}/32 dst ${b}/32 dir out priority 4294967295 action block 2>/dev/null`);
  });

  it('creates no device and routes no LAN (transport mode cannot carry them; never in clear)', () => {
    const built = build('ipsec-transport', { shape: 'hub-spoke' });
    for (const b of built.bundles) {
      expect(b.up).not.toMatch(/ip (link add|route replace|addr)/);
      expect(b.files.some((f) => f.path === '/etc/overlab/mss.nft')).toBe(false);
    }
  });

  it('costs 34 bytes with AES-GCM on IPv4 (the IP header stays), 1466 and 8966 inner', () => {
    expect(build('ipsec-transport').plan.links[0]!.mtu).toBe(1466);
    expect(build('ipsec-transport', { mtu: 9000 }).plan.links[0]!.mtu).toBe(8966);
    // IPv6: the same 1466 (40-byte header kept, the payload pads from an aligned start), MSS from the IPv6 header.
    const v6 = build('ipsec-transport', { v6: true }).plan.links[0]!;
    expect([v6.mtu, v6.mss]).toEqual([1466, 1406]);
  });

  it('plans no LAN route over its links and warns, per link, that the LANs are not joined', () => {
    const t = makeTemplate({ template: 'hub-spoke', hosts: 3, kind: 'ipsec-transport' }, defaultRegistry).value!;
    const p = plan(t, defaultRegistry);
    expect(p.value!.networks.flatMap((n) => n.routes)).toEqual([]);
    const warned = p.diagnostics.filter((d) => d.code === 'lans-not-routed');
    expect(warned.map((d) => [d.severity, d.path])).toEqual([
      ['warning', 'links[0].kind'],
      ['warning', 'links[1].kind'],
    ]);
    expect(warned[0]!.message).toMatch(/^ipsec-transport joins hub and spoke-1 only: the LANs of hub and spoke-1 are not routed over it; to join LANs use .*gre-ipsec/);
  });

  it('leaves LAN routes to the other kinds of a mixed topology (a LAN is reached around the transport link)', () => {
    const t = makeTemplate({ template: 'mesh', hosts: 3, kind: 'gre' }, defaultRegistry).value!;
    const links = t.links.map((l, i) => (i === 0 ? { ...l, kind: 'ipsec-transport' } : l));
    const p = plan({ ...t, links }, defaultRegistry).value!;
    const [a, b, c] = t.hosts.map((h) => h.name);
    const routes = p.networks.flatMap((n) => n.routes.map((r) => ({ ...r, kind: n.kind })));
    // links[0] joins a and b: a reaches b's LAN through c, over GRE.
    expect(routes.filter((r) => r.host === a && r.dst === t.hosts[1]!.lan)).toEqual([expect.objectContaining({ viaHost: c, kind: 'gre' })]);
    expect(routes.every((r) => r.kind === 'gre')).toBe(true);
    expect(routes.filter((r) => r.host === b).length).toBe(2);
  });
});
