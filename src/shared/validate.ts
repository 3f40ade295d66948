/**
 * Validation of the project document: the schema (structure, types, ranges, name rules)
 * then semantic checks (references, uniqueness, overlaps, shape rules). Every problem is
 * collected with its field path; nothing stops at the first one.
 */
import type { z } from 'zod';
import { describeValue, error, formatPath, hasErrors, shown, warning, withSubjects, type Diagnostic, type PathSegment, type Result } from './diagnostics.js';
import { fillIds } from './ids.js';
import { validateConditions } from './conditions-plan.js';
import { BUILTIN_SUITES } from './measure/suites.js';
import { parseAddress, parsePrefix, prefixContains, prefixesOverlap, type Family, type Prefix } from './net.js';
import {
  HostSchema,
  LinkSchema,
  TopologyFields,
  TopologySchema,
  type Topology,
} from './schema.js';

/** A host or link as the schema reads it (its id may still be missing). */
type Host = z.output<typeof HostSchema>;
type Link = z.output<typeof LinkSchema>;
import { hostFamily } from './tunnels/capabilities.js';
import { familyKey, lookupKind, refusal, type Registry } from './tunnels/types.js';

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

const describe = describeValue;

/** Turns a zod issue into a diagnostic whose message says how to fix it. */
export function issueToDiagnostic(issue: z.core.$ZodIssue, input: unknown, base: readonly PathSegment[] = []): Diagnostic[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const actual = valueAt(input, issue.path as PathSegment[]);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) =>
        error('unknown-field', [...path, k], `unknown field ${shown(k)}; remove it or check its spelling`),
      );
    case 'invalid_type':
      if (actual === undefined) return [error('required', path, `is required; add it (expected ${issue.expected})`)];
      if (issue.message.startsWith('Invalid input')) {
        return [error('invalid-type', path, `must be ${issue.expected}, not ${describe(actual)}`)];
      }
      return [error('invalid-type', path, `${issue.message} (got ${describe(actual)})`)];
    case 'invalid_value':
      // A missing enum or literal field is reported as missing, not as the value "undefined".
      if (actual === undefined) {
        const allowed = issue.message.startsWith('Invalid input') ? `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}` : issue.message;
        return [error('required', path, `is required; add it (${allowed})`)];
      }
      if (issue.message.startsWith('Invalid input')) {
        return [error('invalid-value', path, `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, not ${describe(actual)}`)];
      }
      return [error('invalid-value', path, `${issue.message}, not ${describe(actual)}`)];
    case 'too_small':
    case 'too_big': {
      if (!issue.message.startsWith('Too ')) return [error('out-of-range', path, issue.message)];
      const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
      const what = issue.origin === 'array' ? 'items' : issue.origin === 'string' ? 'characters' : '';
      return [error('out-of-range', path, `must be ${bound}${what ? ` ${what}` : ''}, not ${describe(actual)}`)];
    }
    case 'invalid_format':
      return [error('invalid-format', path, issue.message.startsWith('Invalid') ? `has the wrong format (${issue.format})` : `${issue.message}; got ${describe(actual)}`)];
    case 'invalid_key': {
      // A key of a record (a suite's name) that its rule refuses: the rule's own words, not zod's "Invalid key in record".
      const rule = issue.issues.map((i) => i.message).find((m) => !m.startsWith('Invalid')) ?? 'is not an allowed name here';
      return [error('invalid-key', path, `${rule}, not ${shown(String(issue.path.at(-1) ?? ''))}`)];
    }
    case 'invalid_union':
      if (actual === undefined) return [error('required', path, `is required; add it (${issue.message})`)];
      return [error('invalid-value', path, issue.message)];
    default:
      return [error(issue.code === 'custom' ? 'invalid-value' : issue.code, path, issue.message)];
  }
}

interface Indexed<T> {
  readonly index: number;
  readonly item: T;
}

/** What the semantic checks see: every part of the document that passed the schema, at its original index. */
interface Parts {
  readonly shape?: Topology['shape'];
  readonly underlay?: { subnet: Prefix; mtu: number };
  readonly tunnelPool?: Prefix;
  readonly management?: Prefix;
  readonly hosts: readonly Indexed<Host>[];
  readonly links: readonly Indexed<Link>[];
}

/**
 * Rebuilds an object field by field, replacing a bad field by its default (or dropping it
 * when optional), so that one bad field does not hide the semantic problems of the rest.
 * Returns undefined when a required field has no usable value.
 */
function salvage<T>(schema: z.ZodObject, v: unknown): T | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const raw = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    let r = field.safeParse(raw[key]);
    if (!r.success) r = field.safeParse(undefined);
    if (!r.success) return undefined;
    if (r.data !== undefined) out[key] = r.data;
  }
  return out as T;
}

function schemaPass(input: unknown): { parts: Parts; diagnostics: Diagnostic[]; topology?: Topology } {
  const whole = TopologySchema.safeParse(input);
  if (whole.success) {
    const t = whole.data;
    return {
      topology: t,
      diagnostics: [],
      parts: {
        shape: t.shape,
        underlay: { subnet: parsePrefix(t.underlay.subnet) as Prefix, mtu: t.underlay.mtu },
        tunnelPool: parsePrefix(t.pools.tunnels) as Prefix,
        management: parsePrefix(t.lab.management) as Prefix,
        hosts: t.hosts.map((item, index) => ({ index, item })),
        links: t.links.map((item, index) => ({ index, item })),
      },
    };
  }
  const diagnostics = whole.error.issues.flatMap((i) => issueToDiagnostic(i, input));
  // Keep what parses on its own so semantic problems elsewhere are still reported.
  const doc = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const pick = <T>(schema: z.ZodObject, v: unknown): T | undefined => {
    const r = schema.safeParse(v);
    return r.success ? (r.data as T) : salvage<T>(schema, v);
  };
  const hosts: Indexed<Host>[] = [];
  if (Array.isArray(doc.hosts)) doc.hosts.forEach((h, index) => { const item = pick<Host>(HostSchema, h); if (item) hosts.push({ index, item }); });
  const links: Indexed<Link>[] = [];
  if (Array.isArray(doc.links)) doc.links.forEach((l, index) => { const item = pick<Link>(LinkSchema, l); if (item) links.push({ index, item }); });
  const shapeR = TopologyFields.shape.shape.safeParse(doc.shape);
  const sub = <T>(schema: z.ZodType<T>, v: unknown): { success: true; data: T } | { success: false } => {
    const r = schema.safeParse(v);
    if (r.success) return r;
    const inner = (schema as unknown as { unwrap?: () => z.ZodObject }).unwrap?.();
    const data = inner ? salvage<T>(inner, v) : undefined;
    return data === undefined ? { success: false } : { success: true, data };
  };
  const underlayR = sub(TopologyFields.shape.underlay, doc.underlay);
  const poolsR = sub(TopologyFields.shape.pools, doc.pools);
  const labR = sub(TopologyFields.shape.lab, doc.lab);
  return {
    diagnostics,
    parts: {
      ...(shapeR.success ? { shape: shapeR.data } : {}),
      ...(underlayR.success ? { underlay: { subnet: parsePrefix(underlayR.data.subnet) as Prefix, mtu: underlayR.data.mtu } } : {}),
      ...(poolsR.success ? { tunnelPool: parsePrefix(poolsR.data.tunnels) as Prefix } : {}),
      ...(labR.success ? { management: parsePrefix(labR.data.management) as Prefix } : {}),
      hosts,
      links,
    },
  };
}

/** Ids name one thing each: two hosts, two links, or a host and a link never share one. */
function checkIds(p: Parts, out: Diagnostic[]): void {
  const first = new Map<string, string>();
  const items = [...p.hosts.map((h) => ['hosts', h] as const), ...p.links.map((l) => ['links', l] as const)];
  for (const [list, { index, item }] of items) {
    if (item.id === undefined) continue;
    const prev = first.get(item.id);
    if (prev !== undefined) out.push(error('duplicate-id', [list, index, 'id'], `"${item.id}" is already the id of ${prev}; ids must be unique — delete this id to have a new one generated`));
    else first.set(item.id, `${list}[${index}]`);
  }
}

function checkHosts(p: Parts, out: Diagnostic[]): void {
  const firstByName = new Map<string, number>();
  for (const { index, item } of p.hosts) {
    const prev = firstByName.get(item.name);
    if (prev !== undefined) {
      out.push(error('duplicate-host-name', ['hosts', index, 'name'], `"${item.name}" is already the name of hosts[${prev}]; host names must be unique, rename one`));
    } else firstByName.set(item.name, index);
  }

  const firstByUnderlay = new Map<string, number>();
  for (const { index, item } of p.hosts) {
    const addr = item.underlay.address;
    const path = ['hosts', index, 'underlay', 'address'];
    if (addr === undefined) {
      if (item.target.type === 'ssh') {
        out.push(error('underlay-address-required', path, 'is required for a host reached over SSH: give the address its peers reach it at on the underlay'));
      }
      continue;
    }
    const prev = firstByUnderlay.get(addr);
    if (prev !== undefined) out.push(error('duplicate-underlay-address', path, `${addr} is already the underlay address of hosts[${prev}]; each host needs its own`));
    else firstByUnderlay.set(addr, index);
    const a = parseAddress(addr);
    if (typeof a === 'string') continue;
    if (item.target.type === 'lab' && p.underlay && !prefixContains(p.underlay.subnet, a.family, a.value)) {
      out.push(error('underlay-address-outside', path, `${addr} is outside the lab underlay ${p.underlay.subnet.text}; pick an address inside it or leave it out to have one planned`));
    }
  }
}

function checkAddressing(p: Parts, out: Diagnostic[]): void {
  const pools: { label: string; path: PathSegment[]; prefix: Prefix }[] = [];
  if (p.underlay) pools.push({ label: 'the underlay subnet', path: ['underlay', 'subnet'], prefix: p.underlay.subnet });
  if (p.tunnelPool) pools.push({ label: 'the tunnel pool', path: ['pools', 'tunnels'], prefix: p.tunnelPool });
  if (p.management) pools.push({ label: 'the lab management network', path: ['lab', 'management'], prefix: p.management });
  for (let i = 0; i < pools.length; i++) {
    for (let j = 0; j < i; j++) {
      const [a, b] = [pools[i]!, pools[j]!];
      if (prefixesOverlap(a.prefix, b.prefix)) {
        out.push(error('pool-overlap', a.path, `${a.prefix.text} overlaps ${b.label} ${b.prefix.text} (${formatPath(b.path)}); give them disjoint ranges`));
      }
    }
  }
  const lans: { index: number; prefix: Prefix }[] = [];
  for (const { index, item } of p.hosts) {
    if (item.lan === undefined) continue;
    const lan = parsePrefix(item.lan);
    if (typeof lan === 'string') continue;
    const path = ['hosts', index, 'lan'];
    for (const pool of pools) {
      if (prefixesOverlap(lan, pool.prefix)) {
        out.push(error('lan-overlap', path, `${lan.text} overlaps ${pool.label} ${pool.prefix.text} (${formatPath(pool.path)}); choose a LAN outside it`));
      }
    }
    for (const other of lans) {
      if (prefixesOverlap(lan, other.prefix)) {
        out.push(error('lan-overlap', path, `${lan.text} overlaps the LAN of hosts[${other.index}] (${other.prefix.text}); each site needs its own LAN`));
      }
    }
    lans.push({ index, prefix: lan });
  }
}

function checkLinks(p: Parts, registry: Registry, out: Diagnostic[]): void {
  const names = new Set(p.hosts.map((h) => h.item.name));
  const familyOf = underlayFamilies(p);
  const seen = new Map<string, number>();
  for (const { index, item } of p.links) {
    for (const end of ['a', 'b'] as const) {
      if (!names.has(item[end])) {
        const known = [...names].slice(0, 12).join(', ');
        out.push(error('unknown-host', ['links', index, end], `"${item[end]}" is not a host of this project; use one of: ${known || '(no hosts yet)'}`));
      }
    }
    if (item.a === item.b) {
      out.push(error('self-link', ['links', index, 'b'], `links ${item.a} to itself; a tunnel needs two different hosts`));
    } else {
      const key = [item.a, item.b].sort().join('\u0000');
      const prev = seen.get(key);
      if (prev !== undefined) {
        out.push(error('duplicate-link', ['links', index], `${item.a} and ${item.b} are already linked by links[${prev}]; a pair of hosts takes one link (change that link's kind instead, or compare kinds with \`overlab campaign\`)`));
      } else seen.set(key, index);
    }

    const found = lookupKind(registry, item.kind);
    if (!found.ok) {
      out.push(error('unknown-kind', ['links', index, 'kind'], found.message));
      continue;
    }
    const kind = found.kind;
    const opts = kind.options.safeParse(item.options);
    if (!opts.success) {
      out.push(...opts.error.issues.flatMap((i) => issueToDiagnostic(i, item.options, ['links', index, 'options'])));
    }
    const noShape = p.shape ? refusal(kind.capabilities.shapes[p.shape]) : undefined;
    if (p.shape && noShape) {
      const others = registry.kinds.filter((k) => !refusal(k.capabilities.shapes[p.shape!])).map((k) => k.id);
      out.push(error('shape-unsupported', ['links', index, 'kind'], `${kind.id} cannot build a ${p.shape} topology (${noShape}); it supports ${kind.shapes.join(', ')} — pick a kind that builds a ${p.shape} (${others.slice(0, 6).join(', ')}${others.length > 6 ? ', …' : ''}) or change the shape`));
    }
    // The family of the underlay between the two ends (each end's own address, or the lab subnet's).
    const families = new Set([item.a, item.b].map((h) => familyOf.get(h)).filter((f): f is Family => f !== undefined));
    for (const f of families) {
      const no = refusal(kind.capabilities.underlay[familyKey(f)]);
      if (!no) continue;
      const others = registry.kinds.filter((k) => !refusal(k.capabilities.underlay[familyKey(f)])).map((k) => k.id);
      out.push(error('family-unsupported', ['links', index, 'kind'], `${kind.id} cannot run over an IPv${f} underlay (${no}); pick a kind that can (${others.slice(0, 6).join(', ')}${others.length > 6 ? ', …' : ''}) or give the hosts IPv${f === 4 ? 6 : 4} underlay addresses (underlay.subnet, hosts[].underlay.address)`));
    }
  }
}

/** Each host's underlay family (hostFamily: its own address's, else the lab subnet's). */
function underlayFamilies(p: Parts): Map<string, Family> {
  const out = new Map<string, Family>();
  for (const { item } of p.hosts) {
    const f = hostFamily(item.underlay.address, p.underlay?.subnet.text);
    if (f) out.set(item.name, f);
  }
  return out;
}

function checkShape(p: Parts, out: Diagnostic[]): void {
  if (!p.shape) return;
  const hubs = p.hosts.filter((h) => h.item.role === 'hub');
  switch (p.shape) {
    case 'site-to-site':
      if (p.links.length !== 1) out.push(error('shape-mismatch', ['links'], `a site-to-site project has exactly one link, this one has ${p.links.length}; use multi-site, hub-spoke or mesh for more`));
      break;
    case 'multi-site':
    case 'hub-spoke': {
      const what = p.shape === 'multi-site' ? 'the main site' : 'the hub';
      if (hubs.length === 0) {
        out.push(error('shape-mismatch', ['hosts'], `a ${p.shape} project needs exactly one host with role "hub" (${what}); it has none`));
        break;
      }
      if (hubs.length > 1) {
        // Each role that makes one hub too many is named, so that the designer marks those hosts.
        const first = hubs[0]!;
        for (const h of hubs.slice(1)) {
          out.push(error('shape-mismatch', ['hosts', h.index, 'role'], `a ${p.shape} project needs exactly one host with role "hub" (${what}); it has ${hubs.length}, and hosts[${first.index}] (${first.item.name}) is already the hub — make this one a spoke`));
        }
        break;
      }
      const hub = hubs[0]!.item.name;
      for (const { index, item } of p.links) {
        if (item.a !== hub && item.b !== hub) {
          out.push(error('shape-mismatch', ['links', index], `${item.a}–${item.b} does not touch ${what} "${hub}"; in ${p.shape} every link ends at it`));
        }
      }
      break;
    }
    case 'mesh': {
      const n = p.hosts.length;
      const missing = (n * (n - 1)) / 2 - p.links.length;
      if (missing > 0) out.push(warning('mesh-incomplete', ['links'], `a full mesh of ${n} hosts has ${(n * (n - 1)) / 2} links; ${missing} pairs are not linked`));
      break;
    }
  }
}

/** The ids a raw document's hosts and links have, or will have once read (ids.ts). */
function idsOf(input: unknown): { hosts: (string | undefined)[]; links: (string | undefined)[] } {
  const doc = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v : []);
  const filled = fillIds(list(doc.hosts), list(doc.links));
  const idOf = (x: unknown): string | undefined => {
    const id = (x as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  };
  return { hosts: filled.hosts.map(idOf), links: filled.links.map(idOf) };
}

/** Validates a parsed (already migrated) document. */
export function validateTopology(input: unknown, registry: Registry): Result<Topology> {
  const { parts, diagnostics, topology } = schemaPass(input);
  const out = [...diagnostics];
  checkIds(parts, out);
  checkHosts(parts, out);
  checkAddressing(parts, out);
  checkLinks(parts, registry, out);
  checkShape(parts, out);
  if (topology) out.push(...validateConditions(topology));
  for (const name of Object.keys(topology?.measurement.suites ?? {})) {
    if ((BUILTIN_SUITES as readonly string[]).includes(name)) out.push(error('suite-name-taken', ['measurement', 'suites', name], `"${name}" is a built-in suite (${BUILTIN_SUITES.join(', ')}); give yours another name`));
  }
  const placed = withSubjects(out, topology ? { hosts: topology.hosts.map((h) => h.id), links: topology.links.map((l) => l.id) } : idsOf(input));
  return hasErrors(placed) || !topology ? { diagnostics: placed } : { value: topology, diagnostics: placed };
}
