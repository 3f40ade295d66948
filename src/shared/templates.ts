/**
 * The four starting shapes of `overlab new`. Each yields a valid topology on the embedded lab:
 * hosts with their own LAN (198.18.16.0/24, 198.18.17.0/24, …) and positions for the canvas.
 */
import { error, shown, type Result } from './diagnostics.js';
import { formatAddress, parsePrefix, type Prefix } from './net.js';
import { SCHEMA_VERSION, SHAPES, TopologySchema, type Host, type Shape, type Topology, type TopologyInput } from './schema.js';
import type { Registry } from './tunnels/types.js';
import { issueToDiagnostic, validateTopology } from './validate.js';

export interface TemplateRequest {
  readonly template: Shape;
  readonly hosts: number;
  readonly kind: string;
  readonly name?: string;
  /** Underlay MTU (the paper measured 1500 and 9000). */
  readonly underlayMtu?: number;
  /**
   * The underlay network the lab hosts take their WAN addresses from (default 198.18.0.0/20);
   * an IPv6 prefix (such as LAB_IPV6_UNDERLAY) gives an IPv6 underlay. Tunnel (inner) addresses
   * and LANs stay IPv4 either way.
   */
  readonly underlaySubnet?: string;
}

/**
 * The lab's own IPv6 range: one RFC 4193 unique local /48 (global ID f6:15da:557d, drawn at
 * random once), so that lab underlays never collide with a ULA range a site already uses by
 * the common guesses (fd00::/48 …). `overlab new --family 6` takes its first /64.
 */
export const LAB_ULA = 'fdf6:15da:557d::/48';
export const LAB_IPV6_UNDERLAY = 'fdf6:15da:557d::/64';
/** An underlay subnet's family, or what is wrong with the text (the fix included). */
export const underlayFamily = (text: string): 4 | 6 | string => {
  const p = parsePrefix(text);
  return typeof p === 'string' ? p : p.family;
};
/** The default underlay subnet for an address family (4: the schema's own default). */
export const underlayForFamily = (family: 4 | 6): string => (family === 6 ? LAB_IPV6_UNDERLAY : '198.18.0.0/20');

/** LANs come from here, one /24 per host: 198.18.16.0/24 … 198.18.239.0/24. */
const LAN_BASE = parsePrefix('198.18.16.0/24') as Prefix;
export const TEMPLATE_MAX_HOSTS = 224;

const lanOf = (i: number): string => `${formatAddress(4, LAN_BASE.network + BigInt(i) * 256n)}/24`;

function names(shape: Shape, n: number): { name: string; role: Host['role'] }[] {
  switch (shape) {
    case 'site-to-site':
      return [{ name: 'site-a', role: 'peer' }, { name: 'site-b', role: 'peer' }];
    case 'multi-site':
      return [{ name: 'main', role: 'hub' }, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `site-${i + 1}`, role: 'spoke' as const }))];
    case 'hub-spoke':
      return [{ name: 'hub', role: 'hub' }, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `spoke-${i + 1}`, role: 'spoke' as const }))];
    case 'mesh':
      return Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}`, role: 'peer' as const }));
  }
}

function positions(shape: Shape, n: number): { x: number; y: number }[] {
  const r = Math.max(220, n * 45);
  const round = (v: number): number => Math.round(v);
  if (shape === 'site-to-site') return [{ x: 0, y: 0 }, { x: 420, y: 0 }];
  if (shape === 'mesh') return Array.from({ length: n }, (_, i) => ({ x: round(r * Math.cos((2 * Math.PI * i) / n)), y: round(r * Math.sin((2 * Math.PI * i) / n)) }));
  // Hub in the centre, the others on a circle around it.
  return [{ x: 0, y: 0 }, ...Array.from({ length: n - 1 }, (_, i) => ({ x: round(r * Math.cos((2 * Math.PI * i) / (n - 1))), y: round(r * Math.sin((2 * Math.PI * i) / (n - 1))) }))];
}

export function makeTemplate(req: TemplateRequest, registry: Registry): Result<Topology> {
  if (!SHAPES.includes(req.template)) {
    return { diagnostics: [error('unknown-template', ['template'], `${shown(String(req.template))} is not a template; use one of ${SHAPES.join(', ')}`)] };
  }
  const n = req.hosts;
  if (!Number.isInteger(n) || n < 2 || n > TEMPLATE_MAX_HOSTS) {
    return { diagnostics: [error('out-of-range', ['hosts'], `must be a whole number from 2 to ${TEMPLATE_MAX_HOSTS}, not ${String(n)}`)] };
  }
  if (req.template === 'site-to-site' && n !== 2) {
    return { diagnostics: [error('out-of-range', ['hosts'], `a site-to-site project has exactly 2 hosts, not ${n}; use multi-site, hub-spoke or mesh for more`)] };
  }
  const who = names(req.template, n);
  const pos = positions(req.template, n);
  const hosts = who.map((h, i) => ({ name: h.name, role: h.role, target: { type: 'lab' as const }, lan: lanOf(i), position: pos[i]! }));
  const links: { a: string; b: string; kind: string }[] = [];
  if (req.template === 'mesh') {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) links.push({ a: who[i]!.name, b: who[j]!.name, kind: req.kind });
  } else {
    for (let i = 1; i < n; i++) links.push({ a: who[0]!.name, b: who[i]!.name, kind: req.kind });
  }
  const input: TopologyInput = {
    schemaVersion: SCHEMA_VERSION,
    name: req.name ?? `${req.template} (${req.kind}, ${n} hosts)`,
    shape: req.template,
    ...(req.underlayMtu !== undefined || req.underlaySubnet !== undefined
      ? { underlay: { ...(req.underlayMtu !== undefined ? { mtu: req.underlayMtu } : {}), ...(req.underlaySubnet !== undefined ? { subnet: req.underlaySubnet } : {}) } }
      : {}),
    hosts,
    links,
  };
  const parsed = TopologySchema.safeParse(input);
  // Only a request value (such as an MTU out of range) can fail here; report it at the option's name.
  const option: Record<string, string> = { 'underlay.mtu': 'mtu', 'underlay.subnet': 'underlay' };
  if (!parsed.success) {
    return { diagnostics: parsed.error.issues.flatMap((i) => issueToDiagnostic(i, input)).map((d) => (option[d.path] ? { ...d, path: option[d.path]!, segments: [option[d.path]!] } : d)) };
  }
  // Validation catches what a template cannot know by itself, such as an unknown --kind.
  // Problems with --kind show once, at `kind`, rather than once per link.
  const checked = validateTopology(parsed.data, registry);
  if (checked.value) return { value: checked.value, diagnostics: checked.diagnostics };
  const seen = new Set<string>();
  const diagnostics = checked.diagnostics
    .map((d) => (/^links\[\d+\]\.kind$/.test(d.path) ? { ...d, path: 'kind', segments: ['kind'] } : d))
    .filter((d) => {
      const key = `${d.path}\u0000${d.message}`;
      return seen.has(key) ? false : (seen.add(key), true);
    });
  return { diagnostics };
}
