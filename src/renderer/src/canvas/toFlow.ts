/** The canvas is a projection of the topology (and its plan), never a second source of truth. */
import type { Edge, Node } from '@xyflow/react';
import type { Topology } from '../../../shared/schema';
import type { PlannedLink } from '../store';
import type { LinkEdgeData } from './LinkEdge';

export interface HostNodeData extends Record<string, unknown> {
  readonly name: string;
  readonly role: string;
  readonly lan?: string;
  readonly target: string;
}

export const targetText = (t: Topology['hosts'][number]['target']): string => (t.type === 'lab' ? 'lab' : `${t.user}@${t.address}`);

/** Nodes are keyed by host id and edges by link id: an insert, a delete or a rename moves nothing else. */
export function toFlow(t: Topology, planned?: ReadonlyMap<string, PlannedLink>): { nodes: Node<HostNodeData>[]; edges: Edge<LinkEdgeData>[] } {
  const idOf = new Map(t.hosts.map((h) => [h.name, h.id]));
  const nodes = t.hosts.map((h, i): Node<HostNodeData> => ({
    id: h.id,
    type: 'host',
    position: h.position ?? { x: (i % 6) * 200, y: Math.floor(i / 6) * 160 },
    data: { name: h.name, role: h.role, ...(h.lan ? { lan: h.lan } : {}), target: targetText(h.target) },
  }));
  const edges = t.links.map((l): Edge<LinkEdgeData> => {
    const mtu = planned?.get(l.id)?.mtu;
    return { id: l.id, source: idOf.get(l.a) ?? l.a, target: idOf.get(l.b) ?? l.b, type: 'link', data: { kind: l.kind, ...(mtu !== undefined ? { mtu } : {}) } };
  });
  return { nodes, edges };
}
