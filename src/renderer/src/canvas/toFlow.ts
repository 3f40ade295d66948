/** The canvas is a projection of the document (and its plan), never a second source of truth. */
import type { Edge, Node } from '@xyflow/react';
import { linkDirections, type LinkConditions } from '../../../shared/conditions';
import type { Severity } from '../../../shared/diagnostics';
import { conditionsBadge, sameCondition } from '../../../shared/view/conditions';
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
  /** A large drawing: plain boxes when zoomed out (see HostNode). */
  readonly light?: boolean;
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
  /** The link's conditions as set in the project, as a badge ("20 ms ±1 · 0.1 % · 50M", or `a→b | b→a`); absent: none. */
  readonly conditions?: string;
}

/** The badge a link's conditions get on the edge: one text when both directions agree, else a→b | b→a; '' for none. */
export function designBadge(c: LinkConditions | undefined): string {
  if (!c) return '';
  const d = linkDirections(c);
  const [ab, ba] = [conditionsBadge(d.aToB), conditionsBadge(d.bToA)];
  if (!ab && !ba) return '';
  return sameCondition(d.aToB, d.bToA) ? ab : `${ab || 'none'} | ${ba || 'none'}`;
}

export const targetText = (t: Topology['hosts'][number]['target']): string => (t.type === 'lab' ? 'lab' : `${t.user}@${t.address}`);

/** Above this many elements the canvas draws light edges (no labels) and only what is visible. */
export const LARGE = 400;
/** The plain box a large drawing's host is when zoomed out, border included (styles.css, `.host-node.lite`). */
export const LITE_BOX = { width: 150, height: 64 } as const;

/**
 * The previous call's nodes and edges by id: an element whose inputs did not change is returned
 * as the same object, so React Flow re-renders only what changed (a selection or one host's
 * state no longer redraws 1,000 nodes).
 */
const lastNodes = new Map<string, { key: unknown[]; node: Node<HostNodeData> }>();
const lastEdges = new Map<string, { key: unknown[]; edge: Edge<LinkEdgeData> }>();
const sameKey = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Each element made here carries itself under this key. React Flow's own copies (measured
 * sizes, a drag in progress) keep it (object spread copies symbol keys), so the canvas can tell
 * a copy of an element that did not change from one that did, and keep the copy.
 */
export const ORIGIN: unique symbol = Symbol('toFlow element');
type Tagged = { [ORIGIN]?: unknown };
export const derivedFrom = (copy: object | undefined, element: object): boolean => !!copy && (copy as Tagged)[ORIGIN] === element;
const tag = <T extends object>(x: T): T => {
  (x as Tagged)[ORIGIN] = x;
  return x;
};

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
  const nodes = t.hosts.map((h, i): Node<HostNodeData> => {
    const hp = paint?.hosts.get(h.id);
    // "not deployed" is what a host without a state shows: the first dry run's answer for a
    // 1,000-host lab that is down then changes no node (it redrew all of them: 1.5 s).
    const state = hostState[h.id] === 'not-deployed' ? undefined : hostState[h.id];
    const key = [h, severity.get(h.id), state, selected.has(h.id), hp?.cpu, hp?.failed, light];
    const prev = lastNodes.get(h.id);
    if (prev && sameKey(prev.key, key)) return prev.node;
    const node: Node<HostNodeData> = {
      id: h.id,
      type: 'host',
      position: h.position ?? { x: (i % 6) * 200, y: Math.floor(i / 6) * 160 },
      selected: selected.has(h.id),
      // A large drawing's hosts are plain boxes of this size at the zoom that shows them all: the
      // canvas can fit the view before anything is measured, so nodes mount as boxes from the start.
      ...(light ? { initialWidth: LITE_BOX.width, initialHeight: LITE_BOX.height } : {}),
      data: {
        name: h.name,
        role: h.role,
        ...(h.lan ? { lan: h.lan } : {}),
        target: targetText(h.target),
        ...(severity.get(h.id) ? { problem: severity.get(h.id)! } : {}),
        ...(state ? { state } : {}),
        ...(hp?.cpu !== undefined ? { cpu: hp.cpu } : {}),
        ...(hp?.failed ? { failed: hp.failed } : {}),
        ...(light ? { light: true } : {}),
      },
    };
    lastNodes.set(h.id, { key, node: tag(node) });
    return node;
  });
  const edges = t.links.map((l): Edge<LinkEdgeData> => {
    const mtu = mtuOf.get(l.id);
    const look = paint?.edges.get(l.id);
    const lit = highlight.size ? highlight.has(l.id) : undefined;
    const source = idOf.get(l.a) ?? l.a;
    const target = idOf.get(l.b) ?? l.b;
    const key = [l, source, target, mtu, severity.get(l.id), verified.has(l.id), selected.has(l.id), look, lit, light];
    const prev = lastEdges.get(l.id);
    if (prev && sameKey(prev.key, key)) return prev.edge;
    const badge = designBadge(l.conditions);
    const edge: Edge<LinkEdgeData> = {
      id: l.id,
      source,
      target,
      type: 'link',
      selected: selected.has(l.id),
      data: { kind: l.kind, ...(mtu !== undefined ? { mtu } : {}), ...(severity.get(l.id) ? { problem: severity.get(l.id)! } : {}), ...(verified.has(l.id) ? { verified: true } : {}), ...(light ? { light: true } : {}), ...(look ? { look } : {}), ...(lit === undefined ? {} : lit ? { lit: true } : { dim: true }), ...(badge ? { conditions: badge } : {}) },
    };
    lastEdges.set(l.id, { key, edge: tag(edge) });
    return edge;
  });
  // Forget what is no longer drawn.
  if (lastNodes.size > nodes.length) {
    const ids = new Set(t.hosts.map((h) => h.id));
    for (const id of [...lastNodes.keys()]) if (!ids.has(id)) lastNodes.delete(id);
  }
  if (lastEdges.size > edges.length) {
    const ids = new Set(t.links.map((l) => l.id));
    for (const id of [...lastEdges.keys()]) if (!ids.has(id)) lastEdges.delete(id);
  }
  return { nodes, edges };
}
