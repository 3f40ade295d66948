import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProject, serializeProject } from './document.js';
import { migrate } from './migrations.js';
import { SCHEMA_VERSION } from './schema.js';
import { defaultRegistry } from './tunnels/index.js';

const fixture = (name: string): string => readFileSync(new URL(`../../tests/fixtures/projects/${name}/overlab.yaml`, import.meta.url), 'utf8');
const parse = (text: string) => parseProject(text, defaultRegistry);

describe('schema version 1', () => {
  const r = parse(fixture('v1'));

  it('migrates to a valid current model and says where it came from', () => {
    expect(r.diagnostics).toEqual([]);
    expect(r.value?.fromVersion).toBe(1);
    expect(r.value?.topology.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('turns each link tunnel into kind and keeps the rest of the link', () => {
    expect(r.value!.topology.links.map((l) => [l.a, l.b, l.kind, l.mtu])).toEqual([
      ['hq', 'branch-1', 'clean', undefined],
      ['hq', 'branch-2', 'clean', 1380],
      ['hq', 'branch-3', 'clean', undefined],
    ]);
  });

  it('moves the top-level mtu into the underlay, next to the underlay fields the file had', () => {
    expect(r.value!.topology.underlay.mtu).toBe(1400);
    expect(r.value!.topology.hosts[1]!.underlay.address).toBe('203.0.113.7');
  });

  it('reads each ssh string as a typed target', () => {
    const targets = r.value!.topology.hosts.map((h) => h.target);
    expect(targets[0]).toEqual({ type: 'lab' });
    expect(targets[1]).toMatchObject({ type: 'ssh', user: 'admin', address: '203.0.113.7', port: 2222 });
    // No user or port written: the current defaults apply.
    expect(targets[2]).toMatchObject({ type: 'ssh', user: 'root', address: 'r2.example.net', port: 22 });
    // A bracketed IPv6 address with a port.
    expect(targets[3]).toMatchObject({ type: 'ssh', address: '2001:db8::9', port: 2200 });
  });

  it('keeps the fields version 1 already had', () => {
    const t = r.value!.topology;
    expect(t.name).toBe('branch offices (v1)');
    expect(t.shape).toBe('hub-spoke');
    expect(t.hosts.map((h) => [h.name, h.role, h.lan])).toEqual([
      ['hq', 'hub', '10.10.0.0/24'],
      ['branch-1', 'spoke', '10.10.1.0/24'],
      ['branch-2', 'spoke', '10.10.2.0/24'],
      ['branch-3', 'spoke', undefined],
    ]);
  });

  it('saves as the current version, with none of the version 1 fields', () => {
    const text = serializeProject(r.value!.topology);
    expect(text).toMatch(new RegExp(`^schemaVersion: ${SCHEMA_VERSION}$`, 'm'));
    expect(text).not.toMatch(/^\s*(tunnel|ssh):/m);
    expect(text).not.toMatch(/^mtu:/m);
    const again = parse(text);
    expect(again.value?.fromVersion).toBe(SCHEMA_VERSION);
    expect(again.value?.topology).toEqual(r.value!.topology);
  });

  it('does not change the input document', () => {
    const doc = { schemaVersion: 1, name: 'x', shape: 'site-to-site', mtu: 1400, hosts: [{ name: 'a', ssh: 'lab' }], links: [{ a: 'a', b: 'b', tunnel: 'clean' }] };
    const copy = structuredClone(doc);
    migrate(doc);
    expect(doc).toEqual(copy);
  });

  it('reports an ssh string it cannot read as migration-failed at hosts[i].ssh', () => {
    const ds = parse(fixture('v1-bad-ssh')).diagnostics;
    expect(ds.map((d) => [d.code, d.path])).toEqual([['migration-failed', 'hosts[1].ssh']]);
    expect(ds[0]!.message).toContain('root@r1 example:22');
    expect(ds[0]!.message).toContain('hosts[1].target');
    expect(parse(fixture('v1-bad-ssh')).value).toBeUndefined();
  });
});

describe('the current version', () => {
  it('passes through migrate unchanged', () => {
    const doc = { schemaVersion: SCHEMA_VERSION, name: 'x' };
    const r = migrate(doc);
    expect(r.value?.document).toBe(doc);
    expect(r.value?.fromVersion).toBe(SCHEMA_VERSION);
  });
});

describe('versions that cannot be read', () => {
  it('refuses a newer version and says to upgrade Overlab', () => {
    const ds = parse(`schemaVersion: ${SCHEMA_VERSION + 1}\nname: future\n`).diagnostics;
    expect(ds.map((d) => [d.code, d.path])).toEqual([['unknown-schema-version', 'schemaVersion']]);
    expect(ds[0]!.message).toMatch(/upgrade Overlab/);
    expect(ds[0]!.line).toBe(1);
  });

  it.each([['"x"'], ['0'], ['1.5'], ['-1'], ['[2]']])('refuses schemaVersion: %s and says which versions it reads', (v) => {
    const ds = parse(`schemaVersion: ${v}\nname: y\n`).diagnostics;
    expect(ds.map((d) => [d.code, d.path])).toEqual([['unknown-schema-version', 'schemaVersion']]);
    expect(ds[0]!.message).toContain(`versions 1 to ${SCHEMA_VERSION}`);
  });

  it('asks for a missing schemaVersion, naming the line to add', () => {
    const ds = parse('name: y\nshape: mesh\n').diagnostics;
    expect(ds.map((d) => [d.code, d.path])).toEqual([['required', 'schemaVersion']]);
    expect(ds[0]!.message).toContain(`schemaVersion: ${SCHEMA_VERSION}`);
  });
});
