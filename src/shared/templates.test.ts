import { describe, expect, it } from 'vitest';
import { parsePrefix, prefixesOverlap, type Prefix } from './net.js';
import { SHAPES, type Shape } from './schema.js';
import { makeTemplate, TEMPLATE_MAX_HOSTS } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';
import { validateTopology } from './validate.js';

const make = (template: Shape, hosts: number, kind = 'clean') => makeTemplate({ template, hosts, kind }, defaultRegistry);

const expectedLinks: Record<Shape, (n: number) => number> = {
  'site-to-site': () => 1,
  'multi-site': (n) => n - 1,
  'hub-spoke': (n) => n - 1,
  mesh: (n) => (n * (n - 1)) / 2,
};

const cases: [Shape, number][] = [
  ['site-to-site', 2],
  ...(['multi-site', 'hub-spoke', 'mesh'] as const).flatMap((s) => Array.from({ length: 11 }, (_, i): [Shape, number] => [s, i + 2])),
];

describe.each(cases)('%s with %i hosts', (shape, n) => {
  const r = make(shape, n);
  const t = r.value!;

  it('is valid with no diagnostics at all', () => {
    expect(r.diagnostics).toEqual([]);
    // Valid by an independent check too, not only by what makeTemplate reports.
    expect(validateTopology(t, defaultRegistry).diagnostics).toEqual([]);
    expect(t.shape).toBe(shape);
  });

  it(`has ${n} hosts and the shape's number of links`, () => {
    expect(t.hosts).toHaveLength(n);
    expect(t.links).toHaveLength(expectedLinks[shape](n));
  });

  it('has unique host names, on the embedded lab', () => {
    expect(new Set(t.hosts.map((h) => h.name)).size).toBe(n);
    for (const h of t.hosts) expect(h.target).toEqual({ type: 'lab' });
  });

  it('gives every host its own LAN, disjoint from the others and from the pools', () => {
    const lans = t.hosts.map((h) => parsePrefix(h.lan!) as Prefix);
    const pools = [t.underlay.subnet, t.pools.tunnels, t.lab.management].map((p) => parsePrefix(p) as Prefix);
    for (let i = 0; i < lans.length; i++) {
      for (let j = 0; j < i; j++) expect(prefixesOverlap(lans[i]!, lans[j]!), `${lans[i]!.text} vs ${lans[j]!.text}`).toBe(false);
      for (const p of pools) expect(prefixesOverlap(lans[i]!, p)).toBe(false);
    }
  });

  it('links distinct pairs of hosts that exist', () => {
    const names = new Set(t.hosts.map((h) => h.name));
    const pairs = new Set(t.links.map((l) => [l.a, l.b].sort().join(' ')));
    expect(pairs.size).toBe(t.links.length);
    for (const l of t.links) {
      expect(names.has(l.a) && names.has(l.b)).toBe(true);
      expect(l.a).not.toBe(l.b);
      expect(l.kind).toBe('clean');
    }
  });

  it('gives every host a distinct canvas position', () => {
    expect(new Set(t.hosts.map((h) => `${h.position?.x},${h.position?.y}`)).size).toBe(n);
  });
});

describe('hub shapes', () => {
  it.each(['multi-site', 'hub-spoke'] as const)('%s has one hub and every link ends at it', (shape) => {
    const t = make(shape, 6).value!;
    const hubs = t.hosts.filter((h) => h.role === 'hub');
    expect(hubs).toHaveLength(1);
    for (const l of t.links) expect([l.a, l.b]).toContain(hubs[0]!.name);
  });
});

describe('the largest template', () => {
  it(`builds a valid hub-spoke of ${TEMPLATE_MAX_HOSTS} hosts`, () => {
    const r = make('hub-spoke', TEMPLATE_MAX_HOSTS);
    expect(r.diagnostics).toEqual([]);
    expect(r.value?.hosts).toHaveLength(TEMPLATE_MAX_HOSTS);
  });
});

describe('requests that are refused', () => {
  it.each([1, 3, 12, TEMPLATE_MAX_HOSTS + 1])('site-to-site with %i hosts is refused at hosts', (n) => {
    const r = make('site-to-site', n);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['out-of-range', 'hosts']]);
  });

  it.each([
    ['mesh', 1],
    ['hub-spoke', 0],
    ['multi-site', TEMPLATE_MAX_HOSTS + 1],
    ['mesh', 2.5],
    ['mesh', Number.NaN],
  ] as const)('%s with %s hosts is refused at hosts and says the range', (shape, n) => {
    const r = make(shape, n);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['out-of-range', 'hosts']]);
    expect(r.diagnostics[0]!.message).toContain(`2 to ${TEMPLATE_MAX_HOSTS}`);
  });

  it('refuses an unknown kind once, at kind, listing the supported kinds', () => {
    const r = make('mesh', 5, 'no-such-kind');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['unknown-kind', 'kind']]);
    for (const k of defaultRegistry.kinds) expect(r.diagnostics[0]!.message).toContain(k.id);
  });

  it('refuses an unknown template and lists the four', () => {
    const r = makeTemplate({ template: 'star' as Shape, hosts: 3, kind: 'clean' }, defaultRegistry);
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([['unknown-template', 'template']]);
    for (const s of SHAPES) expect(r.diagnostics[0]!.message).toContain(s);
  });
});
