/**
 * plan(topology) → Plan: every derived decision, once, deterministically — underlay
 * addresses of lab hosts, networks (how links group per kind), tunnel subnets and
 * addresses, interface names, MTU and MSS from the stack's overhead, LAN routes, and each
 * kind's own numbers and secret references. Render only prints what is decided here.
 * Same topology ⇒ the same plan, byte for byte.
 */
import { error, hasErrors, warning, withSubjects, type Diagnostic, type Result } from './diagnostics.js';
import { formatAddress, parseAddress, parsePrefix, subnetAt, type Family, type Prefix } from './net.js';
import type { Shape, Topology } from './schema.js';
import type { SecretSpec } from './secrets.js';
import { requireKind, type Member, type NetRoute, type Network, type NetworkDraft, type Registry, type TunnelKind } from './tunnels/types.js';

export interface PlanHost {
  /** The host's stable id (the document's). */
  readonly id: string;
  readonly name: string;
  readonly underlay: { readonly address: string; readonly interface: string; readonly family: Family };
  readonly lan?: string;
  readonly firewall: 'nftables' | 'iptables';
  /** Forwards packets (has a LAN, or carries transit between peers). */
  readonly forwards: boolean;
}

/** Per link of the topology: what `overlab plan --json` shows. */
export interface PlanLink {
  /** The link's stable id (the document's): results and the canvas key on it. */
  readonly id: string;
  /** `a--b`, for people. */
  readonly label: string;
  /** Position of the link in the topology this plan was made from. */
  readonly index: number;
  readonly kind: string;
  /** The ends, by host name (as in the document) and by host id. */
  readonly a: string;
  readonly b: string;
  readonly hostIds: { readonly a: string; readonly b: string };
  readonly network: string;
  readonly mtu: number;
  readonly mss: number;
  readonly overheadBytes: number;
  readonly mtuSource: 'computed' | 'override';
  readonly addresses: { readonly a: string; readonly b: string };
  readonly interfaces: { readonly a: string; readonly b: string };
}

export interface Plan {
  readonly name: string;
  readonly shape: Shape;
  readonly underlayMtu: number;
  readonly family: Family;
  readonly hosts: readonly PlanHost[];
  readonly links: readonly PlanLink[];
  readonly networks: readonly Network<unknown>[];
  readonly secrets: readonly SecretSpec[];
}

const innerHeader = (f: Family): number => (f === 4 ? 40 : 60);

interface Group {
  kind: TunnelKind;
  links: number[];
  hosts: string[];
  server?: string;
}

function groupLinks(t: Topology, registry: Registry): Group[] {
  const groups: Group[] = [];
  const byKey = new Map<string, Group>();
  const hubs = new Set(t.hosts.filter((h) => h.role === 'hub').map((h) => h.name));
  t.links.forEach((l, i) => {
    const kind = requireKind(registry, l.kind);
    let key: string;
    let server: string | undefined;
    if (kind.model === 'p2p') key = `${i}`;
    else if (kind.model === 'mesh') key = kind.id;
    else {
      server = hubs.has(l.b) && !hubs.has(l.a) ? l.b : l.a;
      key = `${kind.id}\u0000${server}`;
    }
    let g = byKey.get(key);
    if (!g) {
      g = { kind, links: [], hosts: [], ...(server ? { server } : {}) };
      byKey.set(key, g);
      groups.push(g);
    }
    g.links.push(i);
    for (const h of [l.a, l.b]) if (!g.hosts.includes(h)) g.hosts.push(h);
  });
  // Members in host order (server first in a star), so that addresses do not depend on link order.
  const order = new Map(t.hosts.map((h, i) => [h.name, i]));
  for (const g of groups) g.hosts.sort((x, y) => (x === g.server ? -1 : y === g.server ? 1 : order.get(x)! - order.get(y)!));
  return groups;
}

function planHosts(t: Topology, out: Diagnostic[]): PlanHost[] | undefined {
  const subnet = parsePrefix(t.underlay.subnet) as Prefix;
  const taken = new Set(t.hosts.map((h) => h.underlay.address).filter((a): a is string => !!a));
  let next = subnet.network + 1n;
  const last = subnet.network + (1n << BigInt((subnet.family === 4 ? 32 : 128) - subnet.length)) - 2n;
  const linked = new Map<string, number>();
  for (const l of t.links) for (const h of [l.a, l.b]) linked.set(h, (linked.get(h) ?? 0) + 1);
  const hosts: PlanHost[] = [];
  for (const [i, h] of t.hosts.entries()) {
    let address = h.underlay.address;
    if (!address) {
      while (next <= last && taken.has(formatAddress(subnet.family, next))) next++;
      if (next > last) {
        out.push(error('underlay-exhausted', ['underlay', 'subnet'], `${subnet.text} has no free address left for hosts[${i}] (${h.name}); use a larger underlay subnet`));
        return undefined;
      }
      address = formatAddress(subnet.family, next++);
    }
    const parsed = parseAddress(address);
    const family = typeof parsed === 'string' ? 4 : parsed.family;
    hosts.push({
      id: h.id,
      name: h.name,
      underlay: { address, interface: h.underlay.interface, family },
      ...(h.lan ? { lan: h.lan } : {}),
      firewall: h.os.firewall,
      forwards: !!h.lan || (linked.get(h.name) ?? 0) > 1,
    });
  }
  return hosts;
}

/** Carves networks' subnets out of the pool in order, each aligned to its own size. */
class PoolCursor {
  private cursor: bigint;
  constructor(private readonly pool: Prefix) {
    this.cursor = pool.network;
  }

  take(members: number, p2p: boolean): Prefix | undefined {
    const bits = this.pool.family === 4 ? 32 : 128;
    let length: number;
    if (p2p && members === 2) length = bits - 1;
    else {
      // Network and broadcast addresses stay unused: room for members + 2, at least a /29 (/125).
      let size = 8n;
      while (size < BigInt(members + 2)) size *= 2n;
      length = bits - (size.toString(2).length - 1);
    }
    const size = 1n << BigInt(bits - length);
    const aligned = ((this.cursor + size - 1n) / size) * size;
    const index = Number((aligned - this.pool.network) / size);
    const p = subnetAt(this.pool, length, index);
    if (!p) return undefined;
    this.cursor = aligned + size;
    return p;
  }
}

export function plan(t: Topology, registry: Registry): Result<Plan> {
  const r = planSteps(t, registry);
  return { ...r, diagnostics: withSubjects(r.diagnostics, { hosts: t.hosts.map((h) => h.id), links: t.links.map((l) => l.id) }) };
}

/** The link → network mapping that the LAN routing step needs: the network and both ends' member indices. */
type LinkNet = Map<number, { net: Network<unknown>; a: number; b: number }>;

function planSteps(t: Topology, registry: Registry): Result<Plan> {
  const out: Diagnostic[] = [];
  const hosts = planHosts(t, out);
  if (!hosts) return { diagnostics: out };
  const families = new Set(hosts.map((h) => h.underlay.family));
  if (families.size > 1) {
    out.push(error('mixed-underlay-family', ['hosts'], 'hosts mix IPv4 and IPv6 underlay addresses; every tunnel needs both ends in one family — give all hosts addresses of one family'));
    return { diagnostics: out };
  }
  const family: Family = hosts[0]?.underlay.family ?? 4;
  const built = planNetworks(t, registry, hosts, family, out);
  if (!built || hasErrors(out)) return { diagnostics: out };
  const routesByNet = planRoutes(t, registry, hosts, built.links, built.linkNet, out);
  const networks = built.networks.map((n) => ({ ...n, routes: routesByNet.get(n.id) ?? [] }));
  return {
    value: { name: t.name, shape: t.shape, underlayMtu: t.underlay.mtu, family, hosts, links: built.links, networks, secrets: built.secrets },
    diagnostics: out,
  };
}

/** The inner MTU of a network: computed from the kind's overhead, or the links' override (the smallest). */
function mtuOf(t: Topology, g: Group, overheadBytes: number, out: Diagnostic[]): { mtu: number; mtuSource: PlanLink['mtuSource'] } {
  const computed = t.underlay.mtu - overheadBytes;
  let mtu = computed;
  let mtuSource: PlanLink['mtuSource'] = 'computed';
  for (const li of g.links) {
    const o = t.links[li]!.mtu;
    if (o === undefined) continue;
    if (o > computed) {
      out.push(warning('mtu-override-too-large', ['links', li, 'mtu'], `${o} exceeds the ${computed} bytes that fit in a ${t.underlay.mtu}-byte underlay after ${g.kind.id}'s ${overheadBytes} bytes of headers; packets will fragment or be dropped — use ${computed} or less`));
    }
    if (mtuSource === 'computed' || o < mtu) mtu = o;
    mtuSource = 'override';
  }
  return { mtu, mtuSource };
}

/** The text that identifies a flat options object (strings, finite numbers, booleans, null), else undefined. */
function flatOptionsKey(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const v of Object.values(raw)) {
    const flat = v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0));
    if (!flat) return undefined;
  }
  return JSON.stringify(raw);
}

/**
 * `kind.options.parse`, once per kind and distinct options value: a 200-host mesh has 19,900
 * networks of one kind, nearly all with the same options (`{}`), and a schema's parse costs
 * microseconds. Networks with equal options share the parsed object (a plan is read-only).
 * Options that are not flat (nested, or values JSON cannot tell apart) are parsed every time.
 */
export function optionsParser(): (kind: TunnelKind, raw: unknown) => unknown {
  const cache = new Map<TunnelKind, Map<string, unknown>>();
  return (kind, raw) => {
    const key = flatOptionsKey(raw);
    if (key === undefined) return kind.options.parse(raw);
    let byKey = cache.get(kind);
    if (!byKey) cache.set(kind, (byKey = new Map()));
    if (!byKey.has(key)) byKey.set(key, kind.options.parse(raw));
    return byKey.get(key);
  };
}

/**
 * Networks, in the order of the links that make them: a subnet from the pool, each member's
 * interface and address, the MTU, then the kind's own numbers and secrets; and the plan's row
 * for each link. Undefined when the pool runs out.
 */
function planNetworks(
  t: Topology,
  registry: Registry,
  hosts: readonly PlanHost[],
  family: Family,
  out: Diagnostic[],
): { networks: Network<unknown>[]; links: PlanLink[]; secrets: SecretSpec[]; linkNet: LinkNet } | undefined {
  const hostByName = new Map(hosts.map((h) => [h.name, h]));
  const pool = parsePrefix(t.pools.tunnels) as Prefix;
  const cursor = new PoolCursor(pool);
  const ifCounters = new Map<string, number>();
  const networks: Network<unknown>[] = [];
  const links: PlanLink[] = [];
  const ordinals = new Map<string, number>();
  const secrets: SecretSpec[] = [];
  const linkNet: LinkNet = new Map();
  const parseOptions = optionsParser();

  for (const [gi, g] of groupLinks(t, registry).entries()) {
    const id = `n${gi}`;
    const kind = g.kind;
    const options = parseOptions(kind, t.links[g.links[0]!]!.options);
    const onUnderlay = kind.addressing === 'underlay';
    const subnet = onUnderlay ? pool : cursor.take(g.hosts.length, kind.model === 'p2p');
    if (!subnet) {
      out.push(error('pool-exhausted', ['pools', 'tunnels'], `${pool.text} has no room left for the tunnel addresses of links[${g.links[0]}] and after; use a larger pool (e.g. a /16)`));
      return undefined;
    }
    const members: Member[] = g.hosts.map((name, mi) => {
      const h = hostByName.get(name)!;
      const n = ifCounters.get(`${name}\u0000${kind.ifPrefix}`) ?? 0;
      ifCounters.set(`${name}\u0000${kind.ifPrefix}`, n + 1);
      const offset = subnet.length === (pool.family === 4 ? 31 : 127) ? BigInt(mi) : BigInt(mi + 1);
      const hostBits = h.underlay.family === 4 ? 32 : 128;
      return {
        host: name,
        ifname: onUnderlay ? h.underlay.interface : `ol${kind.ifPrefix}${n}`,
        address: onUnderlay ? `${h.underlay.address}/${hostBits}` : `${formatAddress(pool.family, subnet.network + offset)}/${subnet.length}`,
        underlay: h.underlay.address,
        underlayDev: h.underlay.interface,
        ...(h.lan ? { lan: h.lan } : {}),
        role: kind.model === 'star' ? (name === g.server ? 'server' : 'client') : 'peer',
      };
    });
    const memberIndex = new Map(g.hosts.map((h, i) => [h, i]));
    const edges = g.links.map((li) => {
      const l = t.links[li]!;
      return [memberIndex.get(l.a)!, memberIndex.get(l.b)!] as const;
    });

    const overheadBytes = kind.overhead(options, family, t.underlay.mtu);
    const { mtu, mtuSource } = mtuOf(t, g, overheadBytes, out);
    if (mtu < 576) {
      out.push(error('mtu-too-small', ['links', g.links[0]!, 'kind'], `${kind.id} leaves ${mtu} bytes of inner MTU on a ${t.underlay.mtu}-byte underlay; raise underlay.mtu`));
      continue;
    }
    const draft: NetworkDraft<unknown> = {
      id,
      ordinal: ordinals.get(kind.id) ?? 0,
      options,
      family,
      members,
      edges,
      subnet: onUnderlay ? t.underlay.subnet : subnet.text,
      mtu,
      mss: mtu - innerHeader(onUnderlay ? family : pool.family),
    };
    ordinals.set(kind.id, draft.ordinal + 1);
    const own = kind.plan(draft);
    secrets.push(...own.secrets);
    const net: Network<unknown> = { ...draft, kind: kind.id, params: own.params, routes: [], secrets: own.secrets };
    networks.push(net);
    for (const [k, li] of g.links.entries()) {
      const [a, b] = edges[k]!;
      linkNet.set(li, { net, a, b });
      const l = t.links[li]!;
      links.push({
        id: l.id,
        label: `${l.a}--${l.b}`,
        index: li,
        kind: kind.id,
        a: l.a,
        b: l.b,
        hostIds: { a: hostByName.get(l.a)!.id, b: hostByName.get(l.b)!.id },
        network: id,
        mtu,
        mss: draft.mss,
        overheadBytes,
        mtuSource,
        addresses: { a: members[a]!.address, b: members[b]!.address },
        interfaces: { a: members[a]!.ifname, b: members[b]!.ifname },
      });
    }
  }
  links.sort((x, y) => x.index - y.index);
  return { networks, links, secrets, linkNet };
}

/**
 * LAN routes: for each host, the first hop of a shortest path over the links to each other
 * host's LAN (a spoke reaches another spoke's LAN via the hub), grouped by the network that
 * carries it. Links of kinds that join the hosts only carry no LAN (warned about).
 */
function planRoutes(t: Topology, registry: Registry, hosts: readonly PlanHost[], links: readonly PlanLink[], linkNet: LinkNet, out: Diagnostic[]): Map<string, NetRoute[]> {
  const hostByName = new Map(hosts.map((h) => [h.name, h]));
  const adj = new Map<string, { peer: string; li: number }[]>();
  const neighbours = (h: string): { peer: string; li: number }[] => {
    let list = adj.get(h);
    if (!list) adj.set(h, (list = []));
    return list;
  };
  for (const l of links) {
    if (requireKind(registry, l.kind).hostsOnly) {
      const withLan = [l.a, l.b].filter((h) => hostByName.get(h)?.lan);
      if (withLan.length > 0) {
        out.push(
          warning(
            'lans-not-routed',
            ['links', l.index, 'kind'],
            `${l.kind} joins ${l.a} and ${l.b} only: the LAN${withLan.length > 1 ? 's' : ''} of ${withLan.join(' and ')} ${withLan.length > 1 ? 'are' : 'is'} not routed over it; to join LANs use an overlay over IPsec (gre-ipsec, vxlan-ipsec, …) or ipsec-tunnel`,
          ),
        );
      }
      continue;
    }
    neighbours(l.a).push({ peer: l.b, li: l.index });
    neighbours(l.b).push({ peer: l.a, li: l.index });
  }
  const routesByNet = new Map<string, NetRoute[]>();
  // Routes lead to LANs only: a search from every host (N × (N + links)) is for nothing
  // without any, and a search may stop once every LAN's host is reached.
  const lanHosts = hosts.filter((h) => h.lan).length;
  if (lanHosts === 0) return routesByNet;
  for (const src of hosts) {
    let toFind = lanHosts - (src.lan ? 1 : 0);
    const firstHop = new Map<string, number>([[src.name, -1]]);
    const queue = [src.name];
    for (let qi = 0; qi < queue.length && toFind > 0; qi++) {
      const cur = queue[qi]!;
      for (const { peer, li } of adj.get(cur) ?? []) {
        if (firstHop.has(peer)) continue;
        firstHop.set(peer, cur === src.name ? li : firstHop.get(cur)!);
        queue.push(peer);
        if (hostByName.get(peer)?.lan) toFind--;
      }
    }
    for (const dst of hosts) {
      if (dst.name === src.name || !dst.lan) continue;
      const li = firstHop.get(dst.name);
      if (li === undefined || li < 0) continue;
      const { net, a, b } = linkNet.get(li)!;
      const l = t.links[li]!;
      const peer = net.members[l.a === src.name ? b : a]!;
      const route: NetRoute = { host: src.name, dst: dst.lan, viaHost: peer.host, via: peer.address.split('/')[0]! };
      let list = routesByNet.get(net.id);
      if (!list) routesByNet.set(net.id, (list = []));
      list.push(route);
    }
  }
  return routesByNet;
}
