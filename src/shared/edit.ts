/**
 * The designer's edit operations: pure functions from a topology to the next one. Hosts and
 * links are addressed by id; a rename changes the host's name and the links that name it, and
 * nothing else (everything else refers to the id). Operations never validate the whole
 * document — the designer shows the shared validator's problems as you type — but they refuse
 * what can never be right (a link from a host to itself, a second link between two hosts).
 */
import { newId } from './ids.js';
import { formatAddress, parsePrefix, prefixesOverlap, type Prefix } from './net.js';
import { AdviceSchema, type Host, type Link, type Role, type Shape, type StatedNeeds, type Topology } from './schema.js';
import { HOST_NAME_RE } from './names.js';

export type Edit = { readonly topology: Topology } | { readonly error: string };

const takenIds = (t: Topology): Set<string> => new Set([...t.hosts.map((h) => h.id), ...t.links.map((l) => l.id)]);

/** A name no host has: `base`, else `base-2`, `base-3` … (kept within 15 characters). */
export function freeName(t: Pick<Topology, 'hosts'>, base: string): string {
  const names = new Set(t.hosts.map((h) => h.name));
  const stem = base.replace(/-\d+$/, '').slice(0, 11) || 'host';
  if (!names.has(base) && HOST_NAME_RE.test(base)) return base;
  for (let i = 1; ; i++) {
    const n = `${stem}-${i}`;
    if (!names.has(n)) return n;
  }
}

/** LANs come from 198.18.16.0/24 upwards, like the templates'; the first /24 nothing overlaps. */
export function freeLan(t: Topology): string | undefined {
  const used: Prefix[] = [t.underlay.subnet, t.pools.tunnels, t.lab.management, ...t.hosts.map((h) => h.lan).filter((l): l is string => !!l)]
    .map((p) => parsePrefix(p))
    .filter((p): p is Prefix => typeof p !== 'string');
  const base = parsePrefix('198.18.16.0/24') as Prefix;
  for (let i = 0; i < 224; i++) {
    const cand = parsePrefix(`${formatAddress(4, base.network + BigInt(i) * 256n)}/24`) as Prefix;
    if (!used.some((u) => prefixesOverlap(u, cand))) return cand.text;
  }
  return undefined;
}

const defaultName = (role: Role): string => (role === 'hub' ? 'hub' : role === 'spoke' ? 'spoke-1' : 'host-1');

export interface NewHost {
  readonly role: Role;
  readonly position: { readonly x: number; readonly y: number };
  readonly name?: string;
}

/** A lab host with a LAN of its own, at `position`. */
export function addHost(t: Topology, h: NewHost): { topology: Topology; hostId: string } {
  const id = newId('h', takenIds(t));
  const lan = freeLan(t);
  const host: Host = {
    id,
    name: freeName(t, h.name ?? defaultName(h.role)),
    role: h.role,
    target: { type: 'lab' },
    ...(lan ? { lan } : {}),
    underlay: { interface: 'eth0' },
    os: { firewall: 'nftables' },
    position: { x: Math.round(h.position.x), y: Math.round(h.position.y) },
  };
  return { topology: { ...t, hosts: [...t.hosts, host] }, hostId: id };
}

/** Removes hosts and links; a removed host takes its links with it. */
export function remove(t: Topology, ids: Iterable<string>): Topology {
  const gone = new Set(ids);
  const hosts = t.hosts.filter((h) => !gone.has(h.id));
  const names = new Set(hosts.map((h) => h.name));
  return { ...t, hosts, links: t.links.filter((l) => !gone.has(l.id) && names.has(l.a) && names.has(l.b)) };
}

export function renameHost(t: Topology, id: string, name: string): Edit {
  const h = t.hosts.find((x) => x.id === id);
  if (!h) return { error: `no host ${id}` };
  if (h.name === name) return { topology: t };
  if (t.hosts.some((x) => x.id !== id && x.name === name)) return { error: `"${name}" is already the name of another host; host names must be unique` };
  const old = h.name;
  return {
    topology: {
      ...t,
      hosts: t.hosts.map((x) => (x.id === id ? { ...x, name } : x)),
      links: t.links.map((l) => (l.a === old || l.b === old ? { ...l, a: l.a === old ? name : l.a, b: l.b === old ? name : l.b } : l)),
    },
  };
}

/** Replaces fields of a host (not its id or name: see renameHost). */
export function updateHost(t: Topology, id: string, patch: Partial<Omit<Host, 'id' | 'name'>>): Topology {
  return { ...t, hosts: t.hosts.map((h) => (h.id === id ? stripUndefined({ ...h, ...patch }) : h)) };
}

export function updateLink(t: Topology, id: string, patch: Partial<Omit<Link, 'id' | 'a' | 'b'>>): Topology {
  return { ...t, links: t.links.map((l) => (l.id === id ? stripUndefined({ ...l, ...patch }) : l)) };
}

/** A new kind starts from its defaults: options belong to the kind they were set for. */
export const setLinkKind = (t: Topology, id: string, kind: string): Topology => updateLink(t, id, { kind, options: {} });

/** A field set to undefined is gone from the document (YAML has no "undefined"). */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function connect(t: Topology, aId: string, bId: string, kind: string): Edit & { linkId?: string } {
  const a = t.hosts.find((h) => h.id === aId);
  const b = t.hosts.find((h) => h.id === bId);
  if (!a || !b) return { error: 'both ends must be hosts of the project' };
  if (a.id === b.id) return { error: `a tunnel needs two different hosts; ${a.name} cannot be linked to itself` };
  if (t.links.some((l) => (l.a === a.name && l.b === b.name) || (l.a === b.name && l.b === a.name))) return { error: `${a.name} and ${b.name} are already linked; change that link's kind instead` };
  const id = newId('l', takenIds(t));
  return { topology: { ...t, links: [...t.links, { id, a: a.name, b: b.name, kind, options: {} }] }, linkId: id };
}

export function moveHosts(t: Topology, positions: ReadonlyMap<string, { x: number; y: number }>): Topology {
  if (positions.size === 0) return t;
  return { ...t, hosts: t.hosts.map((h) => (positions.has(h.id) ? { ...h, position: { x: Math.round(positions.get(h.id)!.x), y: Math.round(positions.get(h.id)!.y) } } : h)) };
}

/** What copy puts on the clipboard: hosts and the links among them (plain data, by name). */
export interface Clip {
  readonly hosts: readonly Host[];
  readonly links: readonly Link[];
}

export function copy(t: Topology, ids: Iterable<string>): Clip {
  const want = new Set(ids);
  const hosts = t.hosts.filter((h) => want.has(h.id));
  const names = new Set(hosts.map((h) => h.name));
  return { hosts, links: t.links.filter((l) => names.has(l.a) && names.has(l.b)) };
}

/**
 * Pastes a clip with fresh ids and names (and a fresh LAN for every host that had one, and no
 * underlay address: those must be unique), shifted by `offset`. Returns the new ids.
 */
export function paste(t: Topology, clip: Clip, offset: { x: number; y: number }): { topology: Topology; ids: string[] } {
  let next = t;
  const rename = new Map<string, string>();
  const ids: string[] = [];
  for (const h of clip.hosts) {
    const taken = takenIds(next);
    const id = newId('h', taken);
    const name = freeName(next, h.name);
    rename.set(h.name, name);
    const lan = h.lan ? freeLan(next) : undefined;
    const { lan: _lan, underlay, ...rest } = h;
    const host: Host = {
      ...rest,
      id,
      name,
      ...(lan ? { lan } : {}),
      underlay: { interface: underlay.interface },
      ...(h.position ? { position: { x: h.position.x + offset.x, y: h.position.y + offset.y } } : {}),
    };
    next = { ...next, hosts: [...next.hosts, host] };
    ids.push(id);
  }
  for (const l of clip.links) {
    const id = newId('l', takenIds(next));
    next = { ...next, links: [...next.links, { ...l, id, a: rename.get(l.a)!, b: rename.get(l.b)! }] };
    ids.push(id);
  }
  return { topology: next, ids };
}

/**
 * The shape a drawing fits: two hosts and one link → site-to-site; one hub that every link
 * touches → hub-spoke (or multi-site when the project said so); otherwise mesh.
 */
export function fittingShape(t: Topology): Shape {
  if (t.hosts.length === 2 && t.links.length === 1) return 'site-to-site';
  const hubs = t.hosts.filter((h) => h.role === 'hub');
  if (hubs.length === 1 && t.links.length > 0 && t.links.every((l) => l.a === hubs[0]!.name || l.b === hubs[0]!.name)) return t.shape === 'multi-site' ? 'multi-site' : 'hub-spoke';
  return 'mesh';
}

/** The project's own fields (name, shape, underlay, pools, lab, measurement). */
export const updateProject = (t: Topology, patch: Partial<Pick<Topology, 'name' | 'shape' | 'underlay' | 'pools' | 'lab' | 'measurement'>>): Topology => ({ ...t, ...patch });

/**
 * The needs the advisor ranks kinds for (the document's `advice`), some changed: each value
 * checked by the schema's own rule (the error names the field and the fix), `undefined` removes
 * the need (back to the advisor's default), and no need left removes the section.
 */
export function setNeeds(t: Topology, patch: { readonly [K in keyof StatedNeeds]?: unknown }): Topology | string {
  const next: Record<string, unknown> = { ...t.advice };
  for (const [k, v] of Object.entries(patch)) {
    const rule = AdviceSchema.shape[k as keyof StatedNeeds];
    if (!rule) return `advice.${k} is not a need; the needs are ${Object.keys(AdviceSchema.shape).join(', ')}`;
    if (v === undefined) {
      delete next[k];
      continue;
    }
    const r = rule.safeParse(v);
    if (!r.success) return `advice.${k} ${r.error.issues[0]?.message ?? 'is not valid'}`;
    next[k] = r.data;
  }
  const { advice: _old, ...rest } = t;
  return Object.keys(next).length ? { ...rest, advice: next as StatedNeeds } : rest;
}
