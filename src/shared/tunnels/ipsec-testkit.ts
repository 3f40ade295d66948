/**
 * Helpers for the IPsec kinds' tests (libreswan.test.ts and each kind's own): a project from a
 * template, planned and rendered with recognisable fake secrets, and a reader for Libreswan's
 * conn files. Not used by the application.
 */
import { hasErrors } from '../diagnostics.js';
import { plan, type Plan } from '../plan.js';
import { render, type HostBundle } from '../render.js';
import type { Shape, Topology } from '../schema.js';
import { makeTemplate } from '../templates.js';
import { validateTopology } from '../validate.js';
import { defaultRegistry } from './index.js';

const sizes: Record<Shape, number> = { 'site-to-site': 2, 'multi-site': 3, 'hub-spoke': 4, mesh: 4 };

/** A distinct, recognisable value per secret reference, as the store would give. */
export const fakeSecrets = (ref: string, part = 'value'): string => `S3CR3T-${ref.replace(/\//g, '_')}-${part}`;

export interface Built {
  readonly topology: Topology;
  readonly plan: Plan;
  readonly bundles: HostBundle[];
}

/** A template project of `kind` (options on every link; `v6`: an IPv6 underlay, `pool6`: IPv6 tunnel addresses), planned and rendered. */
export function build(kind: string, o: { options?: Record<string, unknown>; mtu?: number; shape?: Shape; v6?: boolean; pool6?: boolean } = {}): Built {
  const shape = o.shape ?? 'site-to-site';
  const t = makeTemplate({ template: shape, hosts: sizes[shape], kind, underlayMtu: o.mtu ?? 1500 }, defaultRegistry);
  if (!t.value) throw new Error(JSON.stringify(t.diagnostics));
  const input = {
    ...t.value,
    ...(o.v6 ? { underlay: { ...t.value.underlay, subnet: '2001:db8:0:1::/64' } } : {}),
    ...(o.pool6 ? { pools: { ...t.value.pools, tunnels: '2001:db8:0:2::/64' } } : {}),
    links: t.value.links.map((l) => ({ ...l, options: o.options ?? {} })),
  };
  const v = validateTopology(input, defaultRegistry);
  if (!v.value) throw new Error(JSON.stringify(v.diagnostics));
  const p = plan(v.value, defaultRegistry);
  if (!p.value || hasErrors(p.diagnostics)) throw new Error(JSON.stringify(p.diagnostics));
  return { topology: v.value, plan: p.value, bundles: render(p.value, defaultRegistry, fakeSecrets) };
}

/** `conn NAME` sections of a Libreswan file: name → key → value. */
export function parseConns(text: string): Map<string, Record<string, string>> {
  const conns = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const head = /^conn (\S+)$/.exec(line);
    if (head) conns.set(head[1]!, (cur = {}));
    else if (cur && /^\t\S+=/.test(line)) {
      const [k, ...v] = line.trim().split('=');
      cur[k!] = v.join('=');
    }
  }
  return conns;
}

export const fileOf = (b: HostBundle, p: string): string | undefined => b.files.find((f) => f.path === p)?.content;

/** The conns of network `net` on host `host`. */
export function connsOf(built: Built, host: string, net = 'n0'): Map<string, Record<string, string>> {
  const b = built.bundles.find((x) => x.host === host)!;
  return parseConns(fileOf(b, `/etc/ipsec.d/overlab-${net}.conf`)!);
}
