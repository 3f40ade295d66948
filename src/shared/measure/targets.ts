/**
 * What a run measures, from the plan: every link between its tunnel endpoints, the underlay
 * between the same two hosts (the baseline every tunnel figure is compared with), and LAN to
 * LAN where the plan routes LANs — which in a hub-spoke includes spoke to spoke through the
 * hub. Every path is keyed by the ids of its link and hosts.
 */
import type { Plan, PlanHost } from '../plan.js';

export type { MeasuredPath, PathEnd, PathType } from './records.js';
import type { MeasuredPath } from './records.js';

const bare = (a: string): string => a.split('/')[0]!;

/** The LAN gateway address of a host: the first address of its LAN (where the lab puts lan0). */
export function lanGateway(h: PlanHost): string | undefined {
  if (!h.lan) return undefined;
  const [net, len] = h.lan.split('/');
  if (!net || net.includes(':')) return undefined;
  const q = net.split('.').map(Number);
  if (q.length !== 4 || Number(len) > 30) return undefined;
  const n = ((q[0]! << 24) >>> 0) + (q[1]! << 16) + (q[2]! << 8) + q[3]! + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface TargetOptions {
  readonly baseline: boolean;
  readonly lan: boolean;
  /** Only paths between these hosts (by name), e.g. the hosts of a partial deploy. */
  readonly hosts?: readonly string[];
}

export function measuredPaths(plan: Plan, opts: TargetOptions): MeasuredPath[] {
  const byName = new Map(plan.hosts.map((h) => [h.name, h]));
  const keep = (a: string, b: string): boolean => !opts.hosts || (opts.hosts.includes(a) && opts.hosts.includes(b));
  const out: MeasuredPath[] = [];
  for (const l of plan.links) {
    if (!keep(l.a, l.b)) continue;
    const a = byName.get(l.a)!;
    const b = byName.get(l.b)!;
    out.push({
      id: `${l.id}.tunnel`,
      type: 'tunnel',
      linkId: l.id,
      kind: l.kind,
      label: `${l.a} → ${l.b}`,
      src: { hostId: a.id, host: a.name, address: bare(l.addresses.a) },
      dst: { hostId: b.id, host: b.name, address: bare(l.addresses.b) },
      mtu: l.mtu,
    });
    if (opts.baseline && l.kind !== 'clean') {
      out.push({
        id: `${l.id}.underlay`,
        type: 'underlay',
        linkId: l.id,
        label: `${l.a} → ${l.b} (underlay)`,
        src: { hostId: a.id, host: a.name, address: a.underlay.address },
        dst: { hostId: b.id, host: b.name, address: b.underlay.address },
        mtu: plan.underlayMtu,
      });
    }
  }
  if (opts.lan) {
    // One direction per pair of LANs (RTT is a round trip), where the plan routes the far LAN.
    const routes = plan.networks.flatMap((n) => n.routes);
    const hosts = plan.hosts.filter((h) => lanGateway(h));
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        const s = hosts[i]!;
        const d = hosts[j]!;
        if (!keep(s.name, d.name)) continue;
        const first = routes.find((r) => r.host === s.name && r.dst === d.lan);
        if (!first) continue;
        // The hosts the route passes through: follow next hops until the destination.
        const via: string[] = [];
        let at = first.viaHost;
        for (let hops = 0; at !== d.name && hops < plan.hosts.length; hops++) {
          via.push(at);
          const next = routes.find((r) => r.host === at && r.dst === d.lan);
          if (!next) break;
          at = next.viaHost;
        }
        out.push({
          id: `lan.${s.id}.${d.id}`,
          type: 'lan',
          label: `LAN ${s.name} → LAN ${d.name}${via.length ? ` (via ${via.join(', ')})` : ''}`,
          src: { hostId: s.id, host: s.name, address: lanGateway(s)! },
          dst: { hostId: d.id, host: d.name, address: lanGateway(d)! },
          ...(via.length ? { via } : {}),
        });
      }
    }
  }
  return out;
}
