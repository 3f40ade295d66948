import { describe, expect, it } from 'vitest';
import { build, connsOf } from './ipsec-testkit.js';

describe('geneve-ipsec', () => {
  it("protects UDP to each host's GENEVE port, one transport SA per direction", () => {
    const built = build('geneve-ipsec', { options: { port: 6082 } });
    const [a, b] = built.plan.hosts;
    const conns = connsOf(built, b!.name);
    expect(conns.get(`overlab-n0-to-${a!.name}`)).toMatchObject({ type: 'transport', leftprotoport: 'udp/0', rightprotoport: 'udp/6082' });
    expect(conns.get(`overlab-n0-to-${b!.name}`)).toMatchObject({ type: 'transport', leftprotoport: 'udp/6082', rightprotoport: 'udp/0' });
    expect(built.bundles[0]!.up).toMatch(/type geneve id \d+ remote \S+ dstport 6082 /);
  });

  it('fits GENEVE (outer IP + UDP + GENEVE + inner Ethernet: 50) inside what ESP transport mode carries', () => {
    expect(build('geneve-ipsec').plan.links[0]!.mtu).toBe(1416);
    expect(build('geneve-ipsec', { mtu: 9000 }).plan.links[0]!.mtu).toBe(8916);
  });
});
