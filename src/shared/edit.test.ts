import { describe, expect, it } from 'vitest';
import { addHost, connect, copy, fittingShape, freeLan, moveHosts, paste, remove, renameHost, setLinkKind, updateHost, updateLink, type Edit } from './edit.js';
import type { Topology } from './schema.js';
import { makeTemplate } from './templates.js';
import { defaultRegistry } from './tunnels/index.js';
import { validateTopology } from './validate.js';

const hubSpoke = (): Topology => makeTemplate({ template: 'hub-spoke', hosts: 3, kind: 'vxlan' }, defaultRegistry).value!;
const ok = (e: Edit): Topology => {
  if ('error' in e) throw new Error(e.error);
  return e.topology;
};
const errors = (t: Topology) => validateTopology(t, defaultRegistry).diagnostics.filter((d) => d.severity === 'error');

describe('edit operations', () => {
  it('adds a lab host with a fresh id, a unique name and a LAN nothing overlaps', () => {
    const t = hubSpoke();
    const { topology, hostId } = addHost(t, { role: 'spoke', position: { x: 10.4, y: 20.6 } });
    const h = topology.hosts.find((x) => x.id === hostId)!;
    expect(t.hosts.map((x) => x.id)).not.toContain(hostId);
    expect(h).toMatchObject({ name: 'spoke-3', role: 'spoke', target: { type: 'lab' }, lan: '198.18.19.0/24', position: { x: 10, y: 21 } });
    expect(errors({ ...topology, links: [...topology.links, ...ok(connect(topology, t.hosts[0]!.id, hostId, 'vxlan')).links.slice(-1)] })).toEqual([]);
    expect(freeLan(topology)).toBe('198.18.20.0/24');
  });

  it('removes a host with its links, and a link alone', () => {
    const t = hubSpoke();
    const spoke = t.hosts[1]!;
    const r = remove(t, [spoke.id]);
    expect(r.hosts.map((h) => h.name)).toEqual(['hub', 'spoke-2']);
    expect(r.links.map((l) => l.b)).toEqual(['spoke-2']);
    const r2 = remove(t, [t.links[0]!.id]);
    expect(r2.hosts).toHaveLength(3);
    expect(r2.links.map((l) => l.id)).toEqual([t.links[1]!.id]);
  });

  it('renames a host: its links follow, ids stay, and a taken name is refused', () => {
    const t = hubSpoke();
    const hub = t.hosts[0]!;
    const r = ok(renameHost(t, hub.id, 'core'));
    expect(r.hosts[0]).toMatchObject({ id: hub.id, name: 'core' });
    expect(r.links.map((l) => [l.id, l.a])).toEqual(t.links.map((l) => [l.id, 'core']));
    expect(errors(r)).toEqual([]);
    expect(renameHost(t, hub.id, 'spoke-1')).toEqual({ error: expect.stringContaining('already the name') });
  });

  it('connects two hosts once, never a host to itself', () => {
    const t = hubSpoke();
    const [hub, s1, s2] = t.hosts;
    const c = connect(t, s1!.id, s2!.id, 'wireguard');
    expect('linkId' in c && c.linkId).toMatch(/^l/);
    const linked = ok(c);
    expect(linked.links.at(-1)).toMatchObject({ a: 'spoke-1', b: 'spoke-2', kind: 'wireguard', options: {} });
    expect(connect(linked, s2!.id, s1!.id, 'gre')).toEqual({ error: expect.stringContaining('already linked') });
    expect(connect(t, hub!.id, hub!.id, 'gre')).toEqual({ error: expect.stringContaining('itself') });
  });

  it('sets a kind (its options start from the defaults), options and an MTU override, and clears it', () => {
    const t = hubSpoke();
    const id = t.links[0]!.id;
    const withOpts = updateLink(t, id, { options: { port: 4790 }, mtu: 1400 });
    expect(withOpts.links[0]).toMatchObject({ options: { port: 4790 }, mtu: 1400 });
    const k = setLinkKind(withOpts, id, 'wireguard');
    expect(k.links[0]).toMatchObject({ id, kind: 'wireguard', options: {} });
    const cleared = updateLink(k, id, { mtu: undefined });
    expect('mtu' in cleared.links[0]!).toBe(false);
  });

  it('updates a host’s fields, removing the ones set to undefined', () => {
    const t = hubSpoke();
    const h = t.hosts[1]!;
    const r = updateHost(t, h.id, { lan: undefined, target: { type: 'ssh', address: '10.0.0.5', port: 22, user: 'root', sudo: false, password: false } });
    expect('lan' in r.hosts[1]!).toBe(false);
    expect(r.hosts[1]!.target).toMatchObject({ type: 'ssh', address: '10.0.0.5' });
  });

  it('moves hosts by id', () => {
    const t = hubSpoke();
    const r = moveHosts(t, new Map([[t.hosts[2]!.id, { x: 1.2, y: -3.7 }]]));
    expect(r.hosts[2]!.position).toEqual({ x: 1, y: -4 });
    expect(r.hosts[0]).toBe(t.hosts[0]);
  });

  it('pastes with fresh ids, names and LANs, the links among the copied hosts kept', () => {
    const t = hubSpoke();
    const clip = copy(t, [t.hosts[0]!.id, t.hosts[1]!.id]);
    expect(clip.links).toHaveLength(1);
    const { topology, ids } = paste(t, clip, { x: 40, y: 40 });
    expect(ids).toHaveLength(3);
    const added = topology.hosts.slice(3);
    expect(added.map((h) => h.name)).toEqual(['hub-1', 'spoke-3']);
    for (const id of ids) expect([...t.hosts, ...t.links].map((x) => x.id)).not.toContain(id);
    expect(topology.links.at(-1)).toMatchObject({ a: 'hub-1', b: 'spoke-3', kind: 'vxlan' });
    expect(added[0]!.position).toEqual({ x: t.hosts[0]!.position!.x + 40, y: t.hosts[0]!.position!.y + 40 });
    // Only the shape (two hubs) is wrong now; names, LANs and ids are all unique.
    expect(errors(topology).map((d) => d.code)).toEqual(['shape-mismatch']);
  });

  it('says which shape a drawing fits', () => {
    const t = hubSpoke();
    expect(fittingShape(t)).toBe('hub-spoke');
    const third = ok(connect(t, t.hosts[1]!.id, t.hosts[2]!.id, 'vxlan'));
    expect(fittingShape(third)).toBe('mesh');
    const s2s = makeTemplate({ template: 'site-to-site', hosts: 2, kind: 'clean' }, defaultRegistry).value!;
    expect(fittingShape(s2s)).toBe('site-to-site');
    expect(fittingShape(addHost(s2s, { role: 'peer', position: { x: 0, y: 0 } }).topology)).toBe('mesh');
  });
});
