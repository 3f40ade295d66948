/**
 * Small pieces kinds share. Only formatting helpers live here: each kind keeps its own
 * decisions in its own file.
 */
import type { Family } from '../net.js';
import { cmd, q } from '../shell.js';
import type { Member, NetRoute, Network } from './types.js';

/** Outer IP header size for an underlay family. */
export const ipHeader = (f: Family): number => (f === 4 ? 20 : 40);
export const UDP_HEADER = 8;
export const ETH_HEADER = 14;

/** `ip link show dev X >/dev/null 2>&1 || <create>`: creation guarded, so up.sh can run twice. */
export const guardLink = (ifname: string, ...create: (string | number)[]): string => `ip link show dev ${q(ifname)} >/dev/null 2>&1 || ${cmd(...create)}`;

/**
 * Address, MTU and state of a kernel interface, idempotent: one `ip` process for the three
 * (`-batch` stops at the first error, as set -e would). Each process costs milliseconds, and a
 * hub configures a device per spoke while every spoke does the same on the same cores.
 */
export const configureLink = (m: Member, mtu: number): string[] => {
  const steps = [['link', 'set', 'dev', m.ifname, 'mtu', mtu], ['addr', 'replace', m.address, 'dev', m.ifname], ['link', 'set', 'dev', m.ifname, 'up']];
  // Batch lines are split on blanks, unquoted: only words that need no quoting go there (all do).
  const lines = steps.map((s) => s.join(' '));
  if (steps.flat().some((w) => q(w) !== String(w))) return steps.map((s) => cmd('ip', ...s));
  return [`printf '%s\\n' ${lines.map((l) => q(l)).join(' ')} | ip -batch -`];
};

export const deleteLink = (ifname: string): string => `ip link del dev ${q(ifname)} 2>/dev/null`;

/** `host:port`, bracketing IPv6 literals. */
export const endpoint = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** The address without its prefix length. */
export const bare = (address: string): string => address.split('/')[0]!;

export const port = (min = 1) => ({ min, max: 65535 });

/**
 * Indexes over a network's routes and edges, built once per network (keyed on the plan's own
 * arrays) and shared by every member's render: a kind that filtered the whole route list for
 * each peer of each member made a 200-host mesh take O(N⁴) (34 s for WireGuard).
 */
interface RouteIndex {
  readonly byHost: Map<string, NetRoute[]>;
  readonly byHostVia: Map<string, NetRoute[]>;
  readonly byHostDst: Map<string, NetRoute>;
}
const routeIndexes = new WeakMap<readonly NetRoute[], RouteIndex>();
const key2 = (a: string, b: string): string => `${a}\u0000${b}`;

function routeIndex(routes: readonly NetRoute[]): RouteIndex {
  let ix = routeIndexes.get(routes);
  if (ix) return ix;
  ix = { byHost: new Map(), byHostVia: new Map(), byHostDst: new Map() };
  for (const r of routes) {
    const push = (m: Map<string, NetRoute[]>, k: string): void => {
      const list = m.get(k);
      if (list) list.push(r);
      else m.set(k, [r]);
    };
    push(ix.byHost, r.host);
    push(ix.byHostVia, key2(r.host, r.viaHost));
    if (!ix.byHostDst.has(key2(r.host, r.dst))) ix.byHostDst.set(key2(r.host, r.dst), r);
  }
  routeIndexes.set(routes, ix);
  return ix;
}

/** The routes `host` installs in this network, in plan order. */
export const routesOf = (net: Pick<Network, 'routes'>, host: string): readonly NetRoute[] => routeIndex(net.routes).byHost.get(host) ?? [];
/** The routes `host` sends through member `viaHost`, in plan order. */
export const routesVia = (net: Pick<Network, 'routes'>, host: string, viaHost: string): readonly NetRoute[] => routeIndex(net.routes).byHostVia.get(key2(host, viaHost)) ?? [];
/** The first route `host` has to `dst`, if any. */
export const routeTo = (net: Pick<Network, 'routes'>, host: string, dst: string): NetRoute | undefined => routeIndex(net.routes).byHostDst.get(key2(host, dst));

const adjacencies = new WeakMap<readonly (readonly [number, number])[], number[][]>();

/** Each member's neighbours over the network's edges, in increasing index order. */
export function neighbours(members: number, edges: readonly (readonly [number, number])[]): readonly (readonly number[])[] {
  let adj = adjacencies.get(edges);
  if (adj && adj.length === members) return adj;
  adj = Array.from({ length: members }, (): number[] => []);
  for (const [a, b] of edges) {
    adj[a]!.push(b);
    adj[b]!.push(a);
  }
  for (const list of adj) list.sort((x, y) => x - y);
  adjacencies.set(edges, adj);
  return adj;
}

const incidents = new WeakMap<readonly (readonly [number, number])[], number[][]>();

/** Each member's peers in the order of the network's edges (the order of the topology's links). */
export function peersInLinkOrder(members: number, edges: readonly (readonly [number, number])[]): readonly (readonly number[])[] {
  let inc = incidents.get(edges);
  if (inc && inc.length === members) return inc;
  inc = Array.from({ length: members }, (): number[] => []);
  for (const [a, b] of edges) {
    inc[a]!.push(b);
    inc[b]!.push(a);
  }
  incidents.set(edges, inc);
  return inc;
}
