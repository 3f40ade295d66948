/**
 * The project's stated needs (`advice:` in overlab.yaml, schema version 5): each field's bad value
 * is refused at its path with the fix; a file with the section reads back to the same needs; a
 * version 4 file (without it) still opens; the Advisor tab's edit keeps the document valid.
 */
import { describe, expect, it } from 'vitest';
import { parseProject, serializeProject } from './document.js';
import { setNeeds } from './edit.js';
import { SCHEMA_VERSION, type Topology } from './schema.js';
import { makeTemplate } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';

const file = (advice: string, version = SCHEMA_VERSION): string => `schemaVersion: ${version}\nname: n\nshape: site-to-site\nhosts: [{ name: a }, { name: b }]\nlinks: [{ a: a, b: b, kind: vxlan }]\n${advice}`;
const errorsOf = (text: string) => parseProject(text, defaultRegistry).diagnostics.filter((d) => d.severity === 'error');

describe('the advice section of the project file', () => {
  it('reads every need back to the same model, and serialises it', () => {
    const r = parseProject(file('advice: { encrypted: true, layer: L3, nat: true, minMtu: 1280, pathMtu: 1500, priority: latency, cpuBudget: 40 }\n'), defaultRegistry);
    expect(errorsOf(file(''))).toEqual([]);
    const t = r.value!.topology;
    expect(t.advice).toEqual({ encrypted: true, layer: 'L3', nat: true, minMtu: 1280, pathMtu: 1500, priority: 'latency', cpuBudget: 40 });
    expect(parseProject(serializeProject(t), defaultRegistry).value!.topology).toEqual(t);
    // A version 4 file has no section; it opens, migrated.
    const old = parseProject(file('', 4), defaultRegistry);
    expect(old.value!.fromVersion).toBe(4);
    expect(old.value!.topology.advice).toBeUndefined();
  });

  it.each([
    ['priority: fast', 'priority', /must be latency, bulk, balanced/],
    ['layer: L4', 'layer', /must be L2, L3, any/],
    ['encrypted: yes please', 'encrypted', /must be true .* or false/],
    ['minMtu: 40', 'minMtu', /below 68.*leave it out for any/],
    ['cpuBudget: 150', 'cpuBudget', /percentage from 0 to 100/],
    ['pathMtu: 100000', 'pathMtu', /above 9216/],
    ['speed: 10', 'speed', /unknown field "speed"; remove it/],
  ])('advice: { %s } is refused at advice.%s with the fix', (bad, field, fix) => {
    const ds = errorsOf(file(`advice: { ${bad} }\n`));
    expect(ds).toHaveLength(1);
    expect(ds[0]!.path).toBe(`advice.${field}`);
    expect(ds[0]!.message).toMatch(fix);
  });

  it('setNeeds: one need changed, a bad one refused naming the field, the last one removed drops the section', () => {
    const t: Topology = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'vxlan' }, defaultRegistry).value!;
    const enc = setNeeds(t, { encrypted: true }) as Topology;
    expect(enc.advice).toEqual({ encrypted: true });
    expect(setNeeds(enc, { cpuBudget: 101 })).toMatch(/^advice\.cpuBudget must be a percentage from 0 to 100/);
    const both = setNeeds(enc, { priority: 'bulk' }) as Topology;
    expect(both.advice).toEqual({ encrypted: true, priority: 'bulk' });
    expect('advice' in (setNeeds(setNeeds(both, { priority: undefined }) as Topology, { encrypted: undefined }) as Topology)).toBe(false);
    expect(parseProject(serializeProject(both), defaultRegistry).value!.topology.advice).toEqual(both.advice);
  });
});
