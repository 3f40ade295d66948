/**
 * The editable canvas (React Flow): drag a role from the palette to add a host, drag from a
 * host's dot to another host to link them (the tunnel picker opens), drag hosts to move them
 * (one undo step when the drag ends), Shift+drag to select a box, Shift+click to add to the
 * selection. Positions live in the document; during a drag only the canvas's own copy moves.
 * Large drawings render only what is visible and draw light edges.
 */
import {
  Background,
  ConnectionMode,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStore as useFlowStore,
  useStoreApi,
  ViewportPortal,
  applyEdgeChanges,
  applyNodeChanges,
  type EdgeChange,
  type Connection,
  type Edge,
  type Node,
  type NodeChange,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type DragEvent, type MouseEvent as ReactMouseEvent, type ReactNode, type SetStateAction } from 'react';
import { addHost, moveHosts } from '../../../shared/edit';
import type { Role, Topology } from '../../../shared/schema';
import { useChecked } from '../checker';
import { EdgeCard, HeatLegend } from '../results/Legend';
import { paintOf } from '../results/paint';
import { useStore } from '../store/hooks';
import { lockReason } from '../store/index';
import { store } from '../store/hooks';
import { LITE_ZOOM, nodeTypes } from './HostNode';
import { edgeTypes } from './LinkEdge';
import { derivedFrom, LARGE, LITE_BOX, toFlow, type HostNodeData, type LinkEdgeData } from './toFlow';

const NODE_ORIGIN: [number, number] = [0.5, 0.5];
const SNAP: [number, number] = [10, 10];
// A small project is not blown up to fill the window: text stays at reading size.
const FIT = { padding: 0.2, maxZoom: 1.2 };
// Low enough for "fit" to show a 200-host full mesh (its template circle needs about 0.045).
const MIN_ZOOM = 0.02;
export const ROLE_MIME = 'application/x-overlab-role';

/**
 * `next`, but where an element is the one a current copy was made from, the copy. A changed
 * node keeps its copy's measured size: React Flow then keeps its handles' places (and the
 * edges drawn) until it measures the node again, instead of dropping every edge of the host
 * for a frame each time its state or paint changes.
 */
function keepUnchanged<T extends { id: string; measured?: unknown }>(current: readonly T[], next: readonly T[]): T[] {
  const byId = new Map(current.map((x) => [x.id, x]));
  return next.map((x) => {
    const copy = byId.get(x.id);
    if (!copy) return x;
    if (derivedFrom(copy, x)) return copy;
    return copy.measured && !x.measured ? { ...x, measured: copy.measured } : x;
  });
}

/**
 * A large drawing's host as it first mounts: a plain box (zoomed out, without handles) of a
 * size known from the stylesheet, given as already measured with no handles — React Flow then
 * has nothing to measure and does not draw all 1,000 nodes a second time with their sizes.
 * Zoomed in, a host becomes the full node and is measured then (HostNode); changed hosts come
 * without these and are measured as usual.
 */
function premeasured(n: Node<HostNodeData>): Node<HostNodeData> {
  return n.data.light ? { ...n, measured: { ...LITE_BOX }, handles: [] } : n;
}

function withoutHandles(n: Node<HostNodeData>): Node<HostNodeData> {
  const { handles: _h, ...rest } = n;
  return rest;
}

/** Above this many links the drawing's edges are one SVG layer, not React Flow edges (see BulkEdges). */
export const BULK_LINKS = 3000;
const NO_EDGES: Edge<LinkEdgeData>[] = [];

/**
 * Edges of a very large drawing (a 200-host full mesh has 19,900), and of a large one while it
 * is zoomed out: straight centre-to-centre lines in a few SVG paths (one per colour and width
 * with a heatmap, each half of an edge in its own colour), under the nodes. Thousands of edge
 * components cost seconds to mount and their lines cannot be told apart or clicked at that size
 * anyway; zoomed in, a large drawing's visible edges are React Flow edges again.
 */
function BulkEdges({ nodes, edges }: { nodes: readonly Node<HostNodeData>[]; edges: readonly Edge<LinkEdgeData>[] }) {
  // While hosts are dragged, only their own edges are drawn again each frame: the rest stay one
  // layer built from the positions the drag started from (theirs left out of it).
  const moving = nodes.filter((n) => n.dragging).map((n) => n.id);
  const key = moving.join('\0');
  const [frozen, setFrozen] = useState<{ key: string; nodes: readonly Node<HostNodeData>[] }>();
  if ((frozen?.key ?? '') !== key) setFrozen(key ? { key, nodes } : undefined);
  const base = key && frozen?.key === key ? frozen.nodes : nodes;
  const [still, live] = useMemo(() => {
    if (!key) return [edges, []] as const;
    const ids = new Set(key.split('\0'));
    const touched = (e: Edge<LinkEdgeData>): boolean => ids.has(e.source) || ids.has(e.target);
    return [edges.filter((e) => !touched(e)), edges.filter(touched)] as const;
  }, [edges, key]);
  const stillPaths = useMemo(() => bulkPaths(base, still), [base, still]);
  const livePaths = useMemo(() => bulkPaths(nodes, live), [nodes, live]);
  return (
    <ViewportPortal>
      <svg className="bulk-edges" data-links={edges.length} data-painted={stillPaths.painted + livePaths.painted} aria-hidden="true">
        {[...stillPaths.paths.map((p) => ['still', p] as const), ...livePaths.paths.map((p) => ['live', p] as const)].map(([layer, p]) => (
          <path key={`${layer} ${p.colour} ${p.width}`} d={p.d} className={p.colour ? 'bulk-path heat-stroke' : 'bulk-path'} {...(p.colour ? { stroke: p.colour, strokeWidth: p.width } : {})} />
        ))}
      </svg>
    </ViewportPortal>
  );
}

/** `edges` as straight lines between their hosts' centres, one path per colour and width (each half of a two-figure edge in its own). */
function bulkPaths(nodes: readonly Node<HostNodeData>[], edges: readonly Edge<LinkEdgeData>[]): { paths: { colour: string; width: number; d: string }[]; painted: number } {
  if (!edges.length) return { paths: [], painted: 0 };
  const at = new Map(nodes.map((n) => [n.id, n.position]));
  const groups = new Map<string, { colour: string; width: number; d: string[] }>();
  const add = (colour: string, width: number, d: string): void => {
    const key = `${colour} ${width}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { colour, width, d: [] }));
    g.d.push(d);
  };
  const xy = (p: { x: number; y: number }): string => `${p.x.toFixed(1)} ${p.y.toFixed(1)}`;
  let painted = 0;
  for (const e of edges) {
    const a = at.get(e.source);
    const b = at.get(e.target);
    if (!a || !b) continue;
    const look = e.data?.look;
    if (!look) {
      add('', 1, `M${xy(a)}L${xy(b)}`);
      continue;
    }
    painted++;
    if (look.halves.length === 2) {
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      add(look.halves[0]!.colour, look.width, `M${xy(a)}L${xy(mid)}`);
      add(look.halves[1]!.colour, look.width, `M${xy(mid)}L${xy(b)}`);
    } else add(look.halves[0]!.colour, look.width, `M${xy(a)}L${xy(b)}`);
  }
  return { paths: [...groups.values()].map((g) => ({ ...g, d: g.d.join('') })), painted };
}

/** What the ≋ badge on an edge means: shown while any link has conditions. */
function ConditionsLegend() {
  return (
    <section className="conditions-legend" aria-label="Conditions legend">
      <span className="link-conditions design sample">≋ 20 ms ±1 · 0.1 % · 50M</span> link conditions: delay ± jitter (one way) · loss · rate (M = Mbit/s); <span className="nowrap">a→b | b→a</span> where the directions differ
    </section>
  );
}

const sameSet = (a: ReadonlySet<string>, b: readonly string[]): boolean => a.size === b.length && b.every((x) => a.has(x));

/**
 * The canvas of the open document, in a React Flow store of its own that starts with the
 * document's nodes: React mounts 1,000 nodes with their container instead of inserting them one
 * by one into an empty one (each insertion looks for its next sibling: quadratic).
 */
export function Canvas({ children }: { children?: ReactNode }) {
  const topology = useStore((s) => s.topology);
  const selected = useStore((s) => s.selected);
  const hostState = useStore((s) => s.hostState);
  const verified = useStore((s) => s.verified);
  const locked = useStore((s) => !!lockReason(s));
  const results = useStore((s) => s.results);
  const compare = useStore((s) => s.compare);
  const heat = useStore((s) => s.heat);
  const highlight = useStore((s) => s.highlight);
  const paint = paintOf(results, compare, heat);
  const checked = useChecked(topology);
  const flow = useMemo(
    () => (topology ? toFlow(topology, checked?.plan, checked?.severity ?? new Map(), hostState, verified, selected, paint, highlight) : { nodes: [], edges: [] }),
    [topology, checked, hostState, verified, selected, paint, highlight],
  );
  const large = (topology?.hosts.length ?? 0) + (topology?.links.length ?? 0) > LARGE;
  // The canvas's own copy of the nodes: it moves while a drag lasts, the document when it ends.
  // A large drawing's first nodes come measured (see premeasured).
  const [nodes, setNodes] = useState(() => (large ? flow.nodes.map(premeasured) : flow.nodes));
  const [edges, setEdges] = useState(flow.edges);
  const [from, setFrom] = useState(flow);
  if (from !== flow) {
    // A new document version (or selection, or state): the canvas starts again from it,
    // keeping React Flow's copies (with their measured sizes) of what did not change.
    setFrom(flow);
    setNodes((prev) => keepUnchanged(prev, flow.nodes));
    setEdges((prev) => keepUnchanged(prev, flow.edges));
  }
  const [first] = useState(nodes);
  // A large drawing starts fitted to about the canvas's size (the window less the side panel;
  // the real fit follows once it is laid out): its hosts mount as the plain boxes they will be.
  const [size] = useState(() => ({ width: Math.max(400, window.innerWidth - 380), height: Math.max(300, window.innerHeight - 100) }));
  return (
    <ReactFlowProvider
      initialNodes={first}
      nodeOrigin={NODE_ORIGIN}
      {...(large ? { fitView: true, initialWidth: size.width, initialHeight: size.height, initialMinZoom: MIN_ZOOM, initialMaxZoom: FIT.maxZoom, initialFitViewOptions: { padding: FIT.padding } } : {})}
    >
      <CanvasView topology={topology} large={large} nodes={nodes} edges={edges} setNodes={setNodes} setEdges={setEdges} paint={paint} locked={locked} />
      {children}
    </ReactFlowProvider>
  );
}

interface ViewProps {
  readonly topology: Topology | undefined;
  /** More hosts and links than LARGE: drawn lighter (see Canvas). */
  readonly large: boolean;
  readonly nodes: Node<HostNodeData>[];
  readonly edges: Edge<LinkEdgeData>[];
  readonly setNodes: Dispatch<SetStateAction<Node<HostNodeData>[]>>;
  readonly setEdges: Dispatch<SetStateAction<Edge<LinkEdgeData>[]>>;
  readonly paint: ReturnType<typeof paintOf>;
  readonly locked: boolean;
}

/**
 * How light the drawing is drawn: a large drawing zoomed out (or not yet fitted, its zoom
 * unknown) has its edges as one layer; the viewport the store starts with.
 */
function useLightness(topology: Topology | undefined, large: boolean) {
  const flowStore = useStoreApi();
  // Before its first fit a large drawing's zoom is not known yet: its edges start as one layer.
  const [fittedOnce, setFittedOnce] = useState(false);
  // ...and its nodes start as plain boxes: the fit would make them so a frame later anyway,
  // after the full nodes (with handles to measure) had cost their mounting.
  const [initialViewport] = useState(() => {
    // Where the store starts (fitted, for a large drawing; see Canvas).
    const [x, y, zoom] = flowStore.getState().transform;
    return { x, y, zoom };
  });
  const zoomedOut = useFlowStore((st) => st.transform[2] < LITE_ZOOM);
  const bulk = (topology?.links.length ?? 0) > BULK_LINKS || (large && (zoomedOut || !fittedOnce));
  return { bulk, zoomedOut, initialViewport, setFittedOnce };
}

/**
 * While the view moves (a pan, a wheel zoom, a fit), the drawing is one composited layer that
 * the compositor moves: no repaint of 1,000 nodes and 2,000 lines per frame. Set on the element,
 * not in React state: a re-render per gesture would cost more than it saves.
 */
function useMoving() {
  const root = useRef<HTMLDivElement>(null);
  const onMoveStart = useCallback(() => root.current?.classList.add('moving'), []);
  const onMoveEnd = useCallback(() => root.current?.classList.remove('moving'), []);
  return { root, onMoveStart, onMoveEnd };
}

/** What React Flow reports of the user's gestures, into the flow's state and the document (moves, selection). */
function useFlowChanges(setNodes: ViewProps['setNodes'], setEdges: ViewProps['setEdges']) {
  const onNodesChange = useCallback(
    (changes: NodeChange<Node<HostNodeData>>[]) =>
      setNodes((ns) => {
        const next = applyNodeChanges(changes, ns);
        // A node React Flow has measured keeps the handles it found, not premeasured's none.
        const measured = new Set(changes.flatMap((c) => (c.type === 'dimensions' ? [c.id] : [])));
        return measured.size ? next.map((n) => (n.handles && measured.has(n.id) ? withoutHandles(n) : n)) : next;
      }),
    [setNodes],
  );
  // Edges are not moved or removed here, but React Flow (de)selects them.
  const onEdgesChange = useCallback((changes: EdgeChange<Edge<LinkEdgeData>>[]) => setEdges((es) => applyEdgeChanges(changes, es)), [setEdges]);
  const onNodeDragStop = useCallback((_e: unknown, _n: Node, dragged: Node[]) => {
    store.getState().edit((t) => moveHosts(t, new Map(dragged.map((n) => [n.id, n.position]))));
  }, []);
  const onSelectionChange = useCallback(({ nodes: ns, edges: es }: OnSelectionChangeParams) => {
    const ids = [...ns.map((n) => n.id), ...es.map((e) => e.id)];
    if (!sameSet(store.getState().selected, ids)) store.getState().select(ids);
  }, []);
  return { onNodesChange, onEdgesChange, onNodeDragStop, onSelectionChange };
}

/** The edge under the pointer (its card, with a run painted), and a click on one opening its charts. */
function useEdgePointer() {
  const [hover, setHover] = useState<{ linkId: string; x: number; y: number }>();
  const onEdgeMouseEnter = useCallback((e: ReactMouseEvent, edge: Edge) => setHover({ linkId: edge.id, x: e.clientX, y: e.clientY }), []);
  const onEdgeMouseMove = useCallback((e: ReactMouseEvent, edge: Edge) => setHover({ linkId: edge.id, x: e.clientX, y: e.clientY }), []);
  const onEdgeMouseLeave = useCallback(() => setHover(undefined), []);
  // With a run painted, a click on an edge opens that link's charts as well as selecting it.
  const onEdgeClick = useCallback((_e: ReactMouseEvent, edge: Edge) => {
    const s = store.getState();
    if (s.results && s.heat.on) s.showResults('charts', { type: 'link', linkId: edge.id });
  }, []);
  return { hover, onEdgeMouseEnter, onEdgeMouseMove, onEdgeMouseLeave, onEdgeClick };
}

/** Drawing: a link dragged between two hosts opens the kind picker; a role dropped from the palette adds a host there. */
function useDrawing(rf: ReturnType<typeof useReactFlow<Node<HostNodeData>, Edge<LinkEdgeData>>>) {
  const onConnect = useCallback((c: Connection) => {
    if (c.source && c.target && c.source !== c.target) store.getState().setDialog({ type: 'picker', a: c.source, b: c.target });
  }, []);
  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(ROLE_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      const role = e.dataTransfer.getData(ROLE_MIME) as Role;
      if (!role) return;
      e.preventDefault();
      const position = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      let id = '';
      if (store.getState().edit((t) => { const r = addHost(t, { role, position }); id = r.hostId; return r.topology; })) store.getState().select([id]);
    },
    [rf],
  );
  return { onConnect, onDragOver, onDrop };
}

/** The view commands (fit, zoom) through the store, and the fits: the first, and when the results panel opens or closes. */
function useFitting(rf: ReturnType<typeof useReactFlow<Node<HostNodeData>, Edge<LinkEdgeData>>>, nodeCount: number, setFittedOnce: (v: boolean) => void) {
  const fitted = useRef(false);
  useEffect(() => {
    store.getState().setView({
      fit: (ids) => void rf.fitView({ ...FIT, ...(ids?.length ? { nodes: ids.map((id) => ({ id })) } : {}), duration: ids?.length ? 200 : 0 }),
      zoomIn: () => void rf.zoomIn(),
      zoomOut: () => void rf.zoomOut(),
    });
    return () => store.getState().setView(undefined);
  }, [rf]);
  // The results panel takes the lower part of the window: fit the drawing into what is left
  // when it opens or closes (a flow node under the legend or the panel helps nobody).
  const panelOpen = useStore((st) => st.resultsTab !== undefined);
  useEffect(() => {
    if (fitted.current) requestAnimationFrame(() => void rf.fitView({ ...FIT, duration: 150 }));
  }, [panelOpen, rf]);
  useEffect(() => {
    if (!fitted.current && nodeCount) {
      fitted.current = true;
      requestAnimationFrame(() => void rf.fitView(FIT).then(() => setFittedOnce(true)));
    }
  }, [nodeCount, rf, setFittedOnce]);
}

function CanvasView({ topology, large, nodes, edges, setNodes, setEdges, paint, locked }: ViewProps) {
  const rf = useReactFlow<Node<HostNodeData>, Edge<LinkEdgeData>>();
  const { bulk, zoomedOut, initialViewport, setFittedOnce } = useLightness(topology, large);
  const { root, onMoveStart, onMoveEnd } = useMoving();
  const { onNodesChange, onEdgesChange, onNodeDragStop, onSelectionChange } = useFlowChanges(setNodes, setEdges);
  const { hover, onEdgeMouseEnter, onEdgeMouseMove, onEdgeMouseLeave, onEdgeClick } = useEdgePointer();
  const { onConnect, onDragOver, onDrop } = useDrawing(rf);
  useFitting(rf, nodes.length, setFittedOnce);

  return (
    <ReactFlow
      ref={root}
      nodes={nodes}
      edges={bulk ? NO_EDGES : edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      nodeOrigin={NODE_ORIGIN}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onNodeDragStop={onNodeDragStop}
      onSelectionChange={onSelectionChange}
      onConnect={onConnect}
      onEdgeMouseEnter={onEdgeMouseEnter}
      onEdgeMouseMove={onEdgeMouseMove}
      onEdgeMouseLeave={onEdgeMouseLeave}
      onEdgeClick={onEdgeClick}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onMoveStart={onMoveStart}
      onMoveEnd={onMoveEnd}
      connectionMode={ConnectionMode.Loose}
      nodesDraggable={!locked}
      nodesConnectable={!locked}
      elementsSelectable
      // Deleting, copying and undoing are the app's commands, with the app's shortcuts.
      deleteKeyCode={null}
      selectionKeyCode="Shift"
      multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
      snapToGrid
      snapGrid={SNAP}
      onlyRenderVisibleElements={large}
      defaultViewport={initialViewport}
      minZoom={MIN_ZOOM}
      maxZoom={2.5}
    >
      {/* Zoomed out, the grid's dots would be a fraction of a pixel apart and wide: noise that costs a full repaint per frame of a pan. */}
      {zoomedOut ? null : <Background gap={24} />}
      {bulk ? <BulkEdges nodes={nodes} edges={edges} /> : null}
      <Controls showInteractive={false} />
      {large ? null : <MiniMap pannable zoomable ariaLabel="Minimap" style={{ width: 150, height: 100 }} nodeColor="#c9d3e6" />}
      {paint ? <HeatLegend paint={paint} /> : null}
      {edges.some((e) => e.data?.conditions) ? <ConditionsLegend /> : null}
      {paint && hover && paint.edges.get(hover.linkId) ? <EdgeCard look={paint.edges.get(hover.linkId)!} label={topology?.links.find((l) => l.id === hover.linkId)} x={hover.x} y={hover.y} /> : null}
    </ReactFlow>
  );
}
