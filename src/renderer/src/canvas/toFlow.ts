/** The canvas is a projection of the document (and its plan), never a second source of truth. */
import type { Edge, Node } from '@xyflow/react';
import type { Severity } from '../../../shared/diagnostics';
import type { Plan } from '../../../shared/plan';
import type { Topology } from '../../../shared/schema';
import type { EdgeLook, Paint } from '../results/paint';
import type { HostState } from '../store/index';

export interface HostNodeData extends Record<string, unknown> {
  readonly name: string;
  readonly role: string;
  readonly lan?: string;
  readonly target: string;
  readonly problem?: Severity;
  readonly state?: HostState;
  /** Heatmap: the host's CPU during throughput tests (busy %). */
  readonly cpu?: number;
  /** Heatmap: why the host's tests failed. */
  readonly failed?: string;
}

export interface LinkEdgeData extends Record<string, unknown> {
  readonly kind: string;
  /** Planned inner MTU; absent until the document plans. */
  readonly mtu?: number;
  readonly problem?: Severity;
  readonly verified?: boolean;
  /** Light rendering for large drawings: no HTML label. */
  readonly light?: boolean;
  /** Heatmap: the edge's colours, figures and marks. */
  readonly look?: EdgeLook;
  /** On a highlighted path (a matrix cell's), or off it while one is lit. */
  readonly lit?: boolean;
  readonly dim?: boolean;
}

export const targetText = (t: Topology['hosts'][number]['target']): string => (t.type === 'lab' ? 'lab' : `${t.user}@${t.address}`);

/** Above this many elements the canvas draws light edges (no labels) and only what is visible. */
export const LARGE = 400;

/** Nodes are keyed by host id and edges by link id: an insert, a delete or a rename moves nothing else. */
export function toFlow(
  t: Topology,
  plan: Plan | undefined,
  severity: ReadonlyMap<string, Severity>,
  hostState: Readonly<Record<string, HostState>>,
  verified: ReadonlySet<string>,
  selected: ReadonlySet<string>,
  paint?: Paint,
  highlight: ReadonlySet<string> = new Set(),
): { nodes: Node<HostNodeData>[]; edges: Edge<LinkEdgeData>[] } {
  const idOf = new Map(t.hosts.map((h) => [h.name, h.id]));
  const mtuOf = new Map(plan?.links.map((l) => [l.id, l.mtu]));
  const light = t.hosts.length + t.links.length > LARGE;
  const nodes = t.hosts.map((h, i): Node<HostNodeData> => ({
    id: h.id,
    type: 'host',
    position: h.position ?? { x: (i % 6) * 200, y: Math.floor(i / 6) * 160 },
    selected: selected.has(h.id),
    data: {
      name: h.name,
      role: h.role,
      ...(h.lan ? { lan: h.lan } : {}),
      target: targetText(h.target),
      ...(severity.get(h.id) ? { problem: severity.get(h.id)! } : {}),
      ...(hostState[h.id] ? { state: hostState[h.id]! } : {}),
      ...(paint?.hosts.get(h.id)?.cpu !== undefined ? { cpu: paint.hosts.get(h.id)!.cpu! } : {}),
      ...(paint?.hosts.get(h.id)?.failed ? { failed: paint.hosts.get(h.id)!.failed! } : {}),
    },
  }));
  const edges = t.links.map((l): Edge<LinkEdgeData> => {
    const mtu = mtuOf.get(l.id);
    const look = paint?.edges.get(l.id);
    return {
      id: l.id,
      source: idOf.get(l.a) ?? l.a,
      target: idOf.get(l.b) ?? l.b,
      type: 'link',
      selected: selected.has(l.id),
      data: { kind: l.kind, ...(mtu !== undefined ? { mtu } : {}), ...(severity.get(l.id) ? { problem: severity.get(l.id)! } : {}), ...(verified.has(l.id) ? { verified: true } : {}), ...(light ? { light: true } : {}), ...(look ? { look } : {}), ...(highlight.size ? (highlight.has(l.id) ? { lit: true } : { dim: true }) : {}) },
    };
  });
  return { nodes, edges };
}
