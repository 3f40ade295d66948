import { describe, expect, it } from 'vitest';
import { parsePrefix, prefixContains, parseAddress, type Prefix } from './net.js';
import { optionsParser, plan, type Plan } from './plan.js';
import { TopologySchema, type Topology, type TopologyInput } from './schema.js';
import { makeTemplate } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';

const registry = defaultRegistry;

function topo(template: 'site-to-site' | 'multi-site' | 'hub-spoke' | 'mesh', hosts: number, kind: string, mtu = 1500): Topology {
  const t = makeTemplate({ template, hosts, kind, underlayMtu: mtu }, registry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  return t.value;
}

function mustPlan(t: Topology): Plan {
  const p = plan(t, registry);
  if (!p.value) throw new Error(JSON.stringify(p.diagnostics));
  return p.value;
}

const inPrefix = (text: string, p: Prefix): boolean => {
  const a = parseAddress(text.split('/')[0]!);
  return typeof a !== 'string' && prefixContains(p, a.family, a.value);
};

describe('plan: addresses', () => {
  it('gives each end of a point-to-point link the two addresses of its own /31, inside the pool', () => {
    const p = mustPlan(topo('mesh', 5, 'vxlan'));
    const pool = parsePrefix('198.19.0.0/16') as Prefix;
    const seen = new Set<string>();
    for (const l of p.links) {
      expect(l.addresses.a.endsWith('/31')).toBe(true);
      expect(l.addresses.b.endsWith('/31')).toBe(true);
      const subnet = parsePrefix(`${l.addresses.a.split('/')[0]}/31`);
      expect(typeof subnet).not.toBe('string');
      expect(inPrefix(l.addresses.b, subnet as Prefix)).toBe(true);
      expect(inPrefix(l.addresses.a, pool)).toBe(true);
      for (const a of [l.addresses.a, l.addresses.b]) {
        expect(seen.has(a)).toBe(false);
        seen.add(a);
      }
    }
    expect(seen.size).toBe(2 * 10);
  });

  it('puts a mesh-native kind on one subnet with one address per host', () => {
    const p = mustPlan(topo('mesh', 6, 'wireguard'));
    expect(p.networks).toHaveLength(1);
    const net = p.networks[0]!;
    expect(net.members.map((m) => m.host)).toEqual(p.hosts.map((h) => h.name));
    const subnet = parsePrefix(net.subnet) as Prefix;
    expect(new Set(net.members.map((m) => m.address)).size).toBe(6);
    for (const m of net.members) expect(inPrefix(m.address, subnet)).toBe(true);
    // Every link's two ends agree with the network's members.
    for (const l of p.links) {
      expect(net.members.find((m) => m.host === l.a)!.address).toBe(l.addresses.a);
      expect(net.members.find((m) => m.host === l.b)!.address).toBe(l.addresses.b);
    }
  });

  it('plans underlay addresses for lab hosts inside the underlay subnet, keeping explicit ones', () => {
    const t = topo('mesh', 3, 'vxlan');
    const withExplicit = TopologySchema.parse({
      ...t,
      hosts: t.hosts.map((h, i) => (i === 1 ? { ...h, underlay: { ...h.underlay, address: '198.18.0.1' } } : h)),
    } satisfies TopologyInput);
    const p = mustPlan(withExplicit);
    const addrs = p.hosts.map((h) => h.underlay.address);
    expect(addrs[1]).toBe('198.18.0.1');
    expect(new Set(addrs).size).toBe(3);
    for (const a of addrs) expect(inPrefix(a, parsePrefix('198.18.0.0/20') as Prefix)).toBe(true);
  });

  it('names interfaces uniquely per host, at most 15 bytes', () => {
    const p = mustPlan(topo('mesh', 12, 'vxlan'));
    for (const h of p.hosts) {
      const names = p.networks.flatMap((n) => n.members.filter((m) => m.host === h.name).map((m) => m.ifname));
      expect(new Set(names).size).toBe(names.length);
      for (const n of names) expect(Buffer.byteLength(n)).toBeLessThanOrEqual(15);
    }
  });

  it('reports an exhausted pool at pools.tunnels', () => {
    const t = TopologySchema.parse({ ...topo('mesh', 6, 'vxlan'), pools: { tunnels: '198.19.0.0/28' } });
    const p = plan(t, registry);
    expect(p.value).toBeUndefined();
    expect(p.diagnostics.map((d) => [d.code, d.path])).toContainEqual(['pool-exhausted', 'pools.tunnels']);
  });

  it('fits a 200-host VXLAN mesh (19,900 links) in the default /16 pool', () => {
    const hosts = Array.from({ length: 200 }, (_, i) => ({ name: `h${i}` }));
    const links = [];
    for (let i = 0; i < 200; i++) for (let j = i + 1; j < 200; j++) links.push({ a: `h${i}`, b: `h${j}`, kind: 'vxlan' });
    const t = TopologySchema.parse({ schemaVersion: 5, name: 'big', shape: 'mesh', hosts, links });
    const p = mustPlan(t);
    expect(p.links).toHaveLength(19900);
    expect(new Set(p.links.map((l) => l.addresses.a)).size).toBe(19900);
  });
});

describe('plan: MTU and MSS follow the overhead', () => {
  for (const kind of registry.kinds) {
    for (const mtu of [1500, 9000]) {
      const template = kind.shapes.includes('site-to-site') ? 'site-to-site' : kind.shapes[0]!;
      it(`${kind.id} on a ${mtu}-byte underlay: inner MTU = ${mtu} − overhead, MSS = MTU − 40`, () => {
        const t = topo(template, template === 'site-to-site' ? 2 : 3, kind.id, mtu);
        const p = mustPlan(t);
        for (const l of p.links) {
          const expected = mtu - kind.overhead(kind.options.parse(t.links[l.index]!.options), 4, mtu);
          expect(l.overheadBytes).toBe(mtu - expected);
          expect(l.mtu).toBe(expected);
          expect(l.mss).toBe(expected - 40);
          expect(l.mtuSource).toBe('computed');
        }
      });
    }
  }

  it('lets a link MTU override win, with a warning when it exceeds what fits', () => {
    const t = topo('site-to-site', 2, 'vxlan');
    const over = TopologySchema.parse({ ...t, links: [{ ...t.links[0]!, mtu: 1480 }] });
    const p = plan(over, registry);
    expect(p.value!.links[0]!.mtu).toBe(1480);
    expect(p.value!.links[0]!.mtuSource).toBe('override');
    expect(p.diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', code: 'mtu-override-too-large', path: 'links[0].mtu' }));
    const under = TopologySchema.parse({ ...t, links: [{ ...t.links[0]!, mtu: 1400 }] });
    const q = plan(under, registry);
    expect(q.value!.links[0]!.mtu).toBe(1400);
    expect(q.diagnostics).toHaveLength(0);
  });
});

describe('plan: routes', () => {
  it('sends a spoke’s traffic for another spoke’s LAN through the hub', () => {
    const p = mustPlan(topo('hub-spoke', 4, 'vxlan'));
    const lanOf = (h: string): string => p.hosts.find((x) => x.name === h)!.lan!;
    const routes = p.networks.flatMap((n) => n.routes);
    const r = routes.find((x) => x.host === 'spoke-1' && x.dst === lanOf('spoke-2'));
    expect(r?.viaHost).toBe('hub');
    // And the hub reaches each spoke directly.
    for (const s of ['spoke-1', 'spoke-2', 'spoke-3']) expect(routes.find((x) => x.host === 'hub' && x.dst === lanOf(s))?.viaHost).toBe(s);
    // Every host has a route to every other host's LAN, and none to its own.
    for (const h of p.hosts) {
      const mine = routes.filter((x) => x.host === h.name).map((x) => x.dst).sort();
      expect(mine).toEqual(p.hosts.filter((o) => o.name !== h.name).map((o) => o.lan!).sort());
    }
  });

  it('marks hubs and LAN hosts as forwarding', () => {
    const p = mustPlan(topo('hub-spoke', 3, 'vxlan'));
    expect(p.hosts.every((h) => h.forwards)).toBe(true);
  });
});

describe('plan: determinism', () => {
  it('gives the same plan for the same topology, byte for byte', () => {
    const t = topo('mesh', 7, 'wireguard');
    expect(JSON.stringify(mustPlan(t))).toBe(JSON.stringify(mustPlan(structuredClone(t))));
  });

  it('does not move addresses when links are listed in another order', () => {
    const t = topo('mesh', 4, 'wireguard');
    const reversed = TopologySchema.parse({ ...t, links: [...t.links].reverse() });
    const a = mustPlan(t).networks[0]!.members.map((m) => m.address);
    const b = mustPlan(reversed).networks[0]!.members.map((m) => m.address);
    expect(b).toEqual(a);
  });
});

describe('plan: options parsed once per distinct value', () => {
  const kind = (id: string) => defaultRegistry.kinds.find((k) => k.id === id)!;
  const counting = (id: string): { kind: typeof defaultRegistry.kinds[number]; calls: () => number } => {
    const k = kind(id);
    let n = 0;
    const options = { parse: (raw: unknown) => (n++, k.options.parse(raw)) } as unknown as typeof k.options;
    return { kind: { ...k, options }, calls: () => n };
  };
  it('parses equal flat options once and gives what the schema gives', () => {
    const { kind: vx, calls } = counting('vxlan');
    const parse = optionsParser();
    const a = parse(vx, {});
    expect(parse(vx, {})).toBe(a);
    expect(a).toEqual(kind('vxlan').options.parse({}));
    const b = parse(vx, { port: 8472 });
    expect(b).toEqual({ port: 8472 });
    expect(parse(vx, { port: 8472 })).toBe(b);
    expect(calls()).toBe(2);
  });
  it('keeps kinds apart, and parses every time what JSON cannot tell apart', () => {
    const { kind: vx, calls } = counting('vxlan');
    const { kind: gre, calls: greCalls } = counting('gre');
    const parse = optionsParser();
    parse(vx, {});
    parse(gre, {});
    expect([calls(), greCalls()]).toEqual([1, 1]);
    parse(vx, { vni: undefined });
    parse(vx, { vni: undefined });
    expect(calls()).toBe(3);
    parse(gre, { key: -0 });
    parse(gre, { key: -0 });
    expect(greCalls()).toBe(3);
  });
  it('lets a bad value fail as the schema does', () => {
    const parse = optionsParser();
    expect(() => parse(kind('vxlan'), { port: 0 })).toThrow();
    expect(() => parse(kind('vxlan'), { port: 0 })).toThrow();
  });
});
