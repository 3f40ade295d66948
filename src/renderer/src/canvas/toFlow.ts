/** The canvas is a projection of the topology, never a second source of truth. */
import type { Edge, Node } from '@xyflow/react';
import type { Topology } from '../../../shared/schema';

export interface HostNodeData extends Record<string, unknown> {
  readonly name: string;
  readonly role: string;
  readonly lan?: string;
  readonly target: string;
}

export function toFlow(t: Topology): { nodes: Node<HostNodeData>[]; edges: Edge[] } {
  const nodes = t.hosts.map((h, i): Node<HostNodeData> => ({
    id: h.name,
    type: 'host',
    position: h.position ?? { x: (i % 6) * 200, y: Math.floor(i / 6) * 160 },
    data: { name: h.name, role: h.role, ...(h.lan ? { lan: h.lan } : {}), target: h.target.type === 'lab' ? 'lab' : `${h.target.user}@${h.target.address}` },
  }));
  const edges = t.links.map((l, i): Edge => ({
    id: `link-${i}`,
    source: l.a,
    target: l.b,
    label: l.kind,
  }));
  return { nodes, edges };
}
