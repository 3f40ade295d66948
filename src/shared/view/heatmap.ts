/**
 * The heatmap on the drawing: a run's figures turned into what each edge and host shows —
 * colour on an absolute scale in the metric's unit (viridis, readable with colour-blindness),
 * an optional width by throughput, one or two figures per edge (each direction on its own half,
 * or two metrics), a marker where an edge's 95 % interval overlaps its neighbour's on the scale,
 * failed tests with their reasons, each host's CPU during throughput tests; and the legend that
 * goes with it. Keyed by link and host id. Pure: the renderer, the SVG export and the report
 * draw from the same view.
 */
import { scaleDiverging, scaleLinear, scaleSequential } from 'd3-scale';
import { interpolateInferno, interpolatePuOr, interpolateViridis } from 'd3-scale-chromatic';
import { hostTestsOf, sparkOf, testsByPath } from '../measure/figures.js';
import type { Direction, RunResults } from '../measure/results.js';
import { conditionsChange, runConditions, type LinkConditionsPaint } from './conditions.js';
import { figuresAt, figuresOfRun, formatValue, linkFigure, METRICS, valueOf, type Metric, type PathFigures, type Value } from './metrics.js';

/** What the second half of each edge shows: the other direction, or another metric. */
export type Second = 'none' | 'reverse' | Metric;

export interface HeatmapOptions {
  readonly metric: Metric;
  readonly second?: Second;
  /** Show what each tunnel adds over the underlay between the same hosts. */
  readonly relative?: boolean;
  /** Edge width by TCP throughput (a→b), whatever the colour shows. */
  readonly widthByThroughput?: boolean;
  /** Replay: the figures as they stood at this moment (ms since the epoch). */
  readonly at?: number;
}

export interface Half {
  readonly metric: Metric;
  /** `a → b` / `b → a` for directional figures. */
  readonly direction?: Direction;
  readonly value?: number;
  readonly low?: number;
  readonly high?: number;
  /** The figure for people, with its unit (or why there is none). */
  readonly text: string;
  readonly colour: string;
}

export interface EdgePaint {
  readonly linkId: string;
  readonly label: string;
  /** One half per figure: [a side, b side] when there are two. */
  readonly halves: readonly Half[];
  /** Stroke width, px. */
  readonly width: number;
  /** The interval of this edge's (first) figure overlaps its neighbour's on the scale: their order is not established. */
  readonly uncertain?: { readonly neighbour: string; readonly interval: readonly [number, number]; readonly neighbourInterval: readonly [number, number] };
  readonly failures: readonly string[];
  /** Lines for the tooltip: the figures, their intervals, failures. */
  readonly details: readonly string[];
  /** The tunnel path's RTT over the run (ms), for a sparkline; at most 60 points. */
  readonly spark: readonly number[];
  /** The link conditions the run was measured under (in force, read back): the edge's badge. Absent: none. */
  readonly conditions?: LinkConditionsPaint;
}

export interface HostPaint {
  readonly hostId: string;
  /** The highest busy % of the host's CPUs during the run's throughput tests. */
  readonly cpu?: number;
  readonly failed?: string;
}

export interface Legend {
  readonly title: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  readonly domain: readonly [number, number];
  /** Colours from the domain's low end to its high end (for a gradient). */
  readonly stops: readonly string[];
  readonly ticks: readonly { readonly value: number; readonly label: string; readonly colour: string }[];
  /** The colour of an edge with no figure. */
  readonly missing: string;
  readonly diverging?: boolean;
}

export interface HeatmapView {
  readonly runId: string;
  readonly edges: ReadonlyMap<string, EdgePaint>;
  readonly hosts: ReadonlyMap<string, HostPaint>;
  /** One legend per metric shown (two when the halves show two metrics). */
  readonly legends: readonly Legend[];
  readonly relative: boolean;
  readonly at?: number;
}

export const MISSING = '#b7bcc6';

/**
 * Where a tick sits along its legend's bar (0 to 1), and how its label aligns: centred on the
 * tick, except near the ends, where a label starts (or ends) at its tick so that it stays
 * inside the legend. The app's legend and the SVG drawing place their ticks with this.
 */
export function tickPlace(legend: Legend, tick: Legend['ticks'][number]): { at: number; align: 'start' | 'middle' | 'end' } {
  const [lo, hi] = legend.domain;
  const at = hi === lo ? 0 : (tick.value - lo) / (hi - lo);
  return { at, align: at < 0.12 ? 'start' : at > 0.88 ? 'end' : 'middle' };
}
const WIDTH = { min: 2, max: 10, plain: 3.5 };

/** A sequential scale over the figures (from 0 where the metric's scale starts there), and its legend. */
export function legendFor(title: string, unit: string, better: 'lower' | 'higher', zero: boolean, values: readonly number[], interpolate: (t: number) => string = interpolateViridis): { legend: Legend; colour: (v: number) => string } {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (zero) lo = Math.min(0, lo);
  if (hi === lo) [lo, hi] = lo === 0 ? [0, 1] : [Math.min(0, lo * 0.9, lo * 1.1), Math.max(lo * 0.9, lo * 1.1)];
  const lin = scaleLinear().domain([lo, hi]).nice(5);
  const [a, b] = lin.domain() as [number, number];
  const s = scaleSequential(interpolate).domain([a, b]).clamp(true);
  const colour = (v: number): string => s(v);
  return {
    colour,
    legend: {
      title,
      unit,
      better,
      domain: [a, b],
      stops: Array.from({ length: 11 }, (_, i) => interpolate(i / 10)),
      ticks: lin.ticks(4).map((v) => ({ value: v, label: formatValue(v, unit), colour: colour(v) })),
      missing: MISSING,
    },
  };
}

interface Figure {
  readonly linkId: string;
  readonly label: string;
  readonly metric: Metric;
  readonly direction?: Direction;
  readonly v?: Value;
}

/** Lookups by id over one run, made once per run (a 2,000-link run has 12,000 tests). */
interface RunIndex {
  readonly links: ReadonlyMap<string, RunResults['links'][number]>;
  readonly tests: ReadonlyMap<string, RunResults['tests'][number][]>;
}
const indexes = new WeakMap<RunResults, RunIndex>();
function indexOf(r: RunResults): RunIndex {
  let x = indexes.get(r);
  if (!x) {
    x = { links: new Map(r.links.map((l) => [l.id, l])), tests: testsByPath(r.tests) };
    indexes.set(r, x);
  }
  return x;
}

const figureFor = (r: RunResults, figs: ReadonlyMap<string, PathFigures>, linkId: string, metric: Metric, d: Direction, relative: boolean): Value | undefined => linkFigure(figs, indexOf(r).links.get(linkId), linkId, metric, d, relative);

const unitOf = (m: Metric, relative: boolean): string => (relative ? METRICS[m].relative.unit : METRICS[m].unit);
const titleOf = (m: Metric, relative: boolean): string => (relative ? METRICS[m].relative.label : METRICS[m].label);
const betterOf = (m: Metric, relative: boolean): 'lower' | 'higher' => (relative ? METRICS[m].relative.better : METRICS[m].better);
const zeroOf = (m: Metric, relative: boolean): boolean => (relative ? METRICS[m].relative.zero : METRICS[m].zero);

/** The run's heatmap with these options. */
export function heatmap(r: RunResults, opts: HeatmapOptions): HeatmapView {
  const relative = !!opts.relative;
  const figs = opts.at !== undefined ? figuresAt(r, opts.at) : figuresOfRun(r);
  const second: Second = opts.second ?? 'none';
  const m1 = opts.metric;
  const twoDirections = second === 'reverse' && METRICS[m1].directional;
  const m2 = second !== 'none' && second !== 'reverse' && second !== m1 ? second : undefined;

  const first: Figure[] = [];
  const other: Figure[] = [];
  for (const l of r.links) {
    first.push({ linkId: l.id, label: `${l.a} → ${l.b}`, metric: m1, ...(METRICS[m1].directional ? { direction: 'forward' as const } : {}), v: figureFor(r, figs, l.id, m1, 'forward', relative) });
    if (twoDirections) other.push({ linkId: l.id, label: `${l.b} → ${l.a}`, metric: m1, direction: 'reverse', v: figureFor(r, figs, l.id, m1, 'reverse', relative) });
    if (m2) other.push({ linkId: l.id, label: `${l.a} → ${l.b}`, metric: m2, ...(METRICS[m2].directional ? { direction: 'forward' as const } : {}), v: figureFor(r, figs, l.id, m2, 'forward', relative) });
  }
  const scale1 = legendFor(titleOf(m1, relative), unitOf(m1, relative), betterOf(m1, relative), zeroOf(m1, relative), [...first, ...(twoDirections ? other : [])].map((f) => f.v?.value).filter((x): x is number => x !== undefined));
  const scale2 = m2 ? legendFor(titleOf(m2, relative), unitOf(m2, relative), betterOf(m2, relative), zeroOf(m2, relative), other.map((f) => f.v?.value).filter((x): x is number => x !== undefined), interpolateInferno) : undefined;

  const half = (f: Figure, colour: (v: number) => string): Half => {
    const unit = unitOf(f.metric, relative);
    return {
      metric: f.metric,
      ...(f.direction ? { direction: f.direction } : {}),
      ...(f.v ? { value: f.v.value, ...(f.v.low !== undefined ? { low: f.v.low, high: f.v.high! } : {}) } : {}),
      text: f.v ? formatValue(f.v.value, unit) : 'not measured',
      colour: f.v ? colour(f.v.value) : MISSING,
    };
  };

  // Width by TCP a→b throughput, on a scale from 0 to the fastest link's.
  const tcp = new Map(r.links.map((l) => [l.id, valueOf(figs.get(`${l.id}.tunnel`), 'tcp', 'forward')?.value]));
  const fastest = Math.max(0, ...[...tcp.values()].filter((x): x is number => x !== undefined));
  const widthOf = (id: string): number => {
    const v = tcp.get(id);
    if (!opts.widthByThroughput || v === undefined || fastest <= 0) return WIDTH.plain;
    return WIDTH.min + ((WIDTH.max - WIDTH.min) * v) / fastest;
  };

  const overlaps = uncertainty(first);
  const conditions = runConditions(r);
  const edges = new Map<string, EdgePaint>();
  const otherOf = new Map(other.map((x) => [x.linkId, x]));
  for (const f of first) {
    const halves = [half(f, scale1.colour)];
    const o = otherOf.get(f.linkId);
    if (o) halves.push(half(o, o.metric === m1 ? scale1.colour : scale2!.colour));
    const tunnel = figs.get(`${f.linkId}.tunnel`);
    const failures = [...(tunnel?.failures ?? []), ...(figs.get(`${f.linkId}.underlay`)?.failures ?? []).map((x) => `underlay ${x}`)];
    const u = overlaps.get(f.linkId);
    const details = halves.map((h) => {
      const dir = h.direction ? ` ${h.direction === 'forward' ? f.label : f.label.split(' → ').reverse().join(' → ')}` : '';
      const ci = h.low !== undefined && h.high !== undefined ? ` (95 % CI ${formatValue(h.low, unitOf(h.metric, relative))} – ${formatValue(h.high, unitOf(h.metric, relative))})` : '';
      return `${titleOf(h.metric, relative)}${dir}: ${h.text}${ci}`;
    });
    if (u) details.push(`interval overlaps ${u.neighbour}'s: their order on the scale is not established`);
    for (const x of failures) details.push(`failed: ${x}`);
    const c = conditions.get(f.linkId);
    if (c) details.push(...c.details.map((x) => `conditions ${x}`), ...c.mismatch.map((x) => `conditions not as asked: ${x}`));
    edges.set(f.linkId, {
      linkId: f.linkId,
      label: f.label,
      halves,
      width: widthOf(f.linkId),
      ...(u ? { uncertain: u } : {}),
      failures,
      details,
      spark: sparkFor(r, `${f.linkId}.tunnel`, opts.at),
      ...(c ? { conditions: c } : {}),
    });
  }

  return { runId: r.runId, edges, hosts: hostPaint(r, figs), legends: [scale1.legend, ...(scale2 ? [scale2.legend] : [])], relative, ...(opts.at !== undefined ? { at: opts.at } : {}) };
}

/**
 * Edges whose 95 % interval overlaps the interval of the edge next to it when all are sorted by
 * the figure: the colours differ, the measurement does not show that they do.
 */
function uncertainty(figs: readonly Figure[]): Map<string, NonNullable<EdgePaint['uncertain']>> {
  const withCi = figs.filter((f) => f.v && f.v.low !== undefined && f.v.high !== undefined).sort((a, b) => a.v!.value - b.v!.value);
  const out = new Map<string, NonNullable<EdgePaint['uncertain']>>();
  for (let i = 0; i < withCi.length; i++) {
    const me = withCi[i]!;
    for (const j of [i - 1, i + 1]) {
      const n = withCi[j];
      if (!n) continue;
      if (me.v!.low! <= n.v!.high! && n.v!.low! <= me.v!.high!) {
        out.set(me.linkId, { neighbour: n.label, interval: [me.v!.low!, me.v!.high!], neighbourInterval: [n.v!.low!, n.v!.high!] });
        break;
      }
    }
  }
  return out;
}

/** The sparkline of a path: from a lean read's digest, else from its tests' series. */
function sparkFor(r: RunResults, pathId: string, at?: number): readonly number[] {
  if (r.digest && at === undefined) return r.digest.spark[pathId] ?? [];
  return sparkOf(indexOf(r).tests.get(pathId) ?? [], at);
}

function hostPaint(r: RunResults, figs: ReadonlyMap<string, PathFigures>): Map<string, HostPaint> {
  const cpu = new Map<string, number>();
  const tests = r.digest ? new Map(Object.entries(r.digest.hostTests)) : hostTestsOf(r);
  for (const p of r.paths) {
    const f = figs.get(p.id);
    for (const [end, v] of [[p.src.hostId, f?.cpu?.src], [p.dst.hostId, f?.cpu?.dst]] as const) {
      if (v !== undefined) cpu.set(end, Math.max(cpu.get(end) ?? 0, v));
    }
  }
  const reached = new Set(r.environment.map((e) => e.hostId));
  const out = new Map<string, HostPaint>();
  for (const h of r.topology.hosts) {
    const id = h.id!;
    const n = tests.get(id);
    const gone = !reached.has(id);
    // A host is marked failed when it was not reached at all, or every test it took part in failed.
    const failed = gone && n ? 'not reached: no environment read from it' : n && n.all > 0 && n.failed === n.all ? `every test failed (${n.why})` : undefined;
    out.set(id, { hostId: id, ...(cpu.has(id) ? { cpu: cpu.get(id)! } : {}), ...(failed ? { failed } : {}) });
  }
  return out;
}

// ---- two runs compared ----

export interface DiffEdge {
  readonly linkId: string;
  readonly label: string;
  readonly before?: number;
  readonly after?: number;
  /** after − before, in the metric's unit. */
  readonly delta?: number;
  readonly percent?: number;
  readonly text: string;
  readonly colour: string;
  /** What changed on the link between the runs: its kind, its MTU, its conditions (in force). */
  readonly changed: readonly string[];
}

export interface DiffView {
  readonly before: string;
  readonly after: string;
  readonly metric: Metric;
  readonly edges: ReadonlyMap<string, DiffEdge>;
  readonly legend: Legend;
}

/**
 * What changed from one run to another, per link of the later run (matched by id, else by its
 * two hosts' ids): the difference of the metric, on a diverging scale centred on no change
 * (purple–orange, readable with colour-blindness), and what changed on the link.
 */
export function diff(before: RunResults, after: RunResults, opts: { metric: Metric; relative?: boolean }): DiffView {
  const relative = !!opts.relative;
  const fb = figuresOfRun(before);
  const fa = figuresOfRun(after);
  const pair = (x: { hostIds: { a: string; b: string } }): string => [x.hostIds.a, x.hostIds.b].sort().join('|');
  const cb = runConditions(before);
  const ca = runConditions(after);
  const beforeByPair = new Map<string, RunResults['links'][number]>();
  for (const b of before.links) if (!beforeByPair.has(pair(b))) beforeByPair.set(pair(b), b);
  const rows = after.links.map((l) => {
    const old = indexOf(before).links.get(l.id) ?? beforeByPair.get(pair(l));
    const a = figureFor(after, fa, l.id, opts.metric, 'forward', relative)?.value;
    const b = old ? figureFor(before, fb, old.id, opts.metric, 'forward', relative)?.value : undefined;
    const cond = old ? conditionsChange(cb.get(old.id), ca.get(l.id)) : undefined;
    const changed = old ? [...(old.kind !== l.kind ? [`kind ${old.kind} → ${l.kind}`] : []), ...(old.mtu !== l.mtu ? [`MTU ${old.mtu} → ${l.mtu}`] : []), ...(cond ? [cond] : [])] : ['not in the earlier run'];
    return { l, a, b, changed };
  });
  const unit = unitOf(opts.metric, relative);
  const deltas = rows.map((x) => (x.a !== undefined && x.b !== undefined ? x.a - x.b : undefined));
  const m = Math.max(0, ...deltas.filter((x): x is number => x !== undefined).map(Math.abs));
  const lin = scaleLinear().domain([-(m || 1), m || 1]).nice(4);
  const [lo, hi] = lin.domain() as [number, number];
  const bound = Math.max(Math.abs(lo), Math.abs(hi));
  // Better is purple whichever way the metric improves: lower RTT, higher throughput.
  const sign = betterOf(opts.metric, relative) === 'lower' ? 1 : -1;
  const s = scaleDiverging(interpolatePuOr).domain([-bound * sign, 0, bound * sign]).clamp(true);
  const colour = (v: number): string => s(v);
  const edges = new Map<string, DiffEdge>();
  rows.forEach((x, i) => {
    const d = deltas[i];
    edges.set(x.l.id, {
      linkId: x.l.id,
      label: `${x.l.a} → ${x.l.b}`,
      ...(x.b !== undefined ? { before: x.b } : {}),
      ...(x.a !== undefined ? { after: x.a } : {}),
      ...(d !== undefined ? { delta: d, ...(x.b ? { percent: (100 * d) / Math.abs(x.b) } : {}) } : {}),
      text: d !== undefined ? `${d > 0 ? '+' : ''}${formatValue(d, unit)}${x.b ? ` (${d > 0 ? '+' : ''}${((100 * d) / Math.abs(x.b)).toFixed(0)} %)` : ''}` : 'not in both runs',
      colour: d !== undefined ? colour(d) : MISSING,
      changed: x.changed,
    });
  });
  // Its ends and no change: five signed labels in the unit do not fit the legend's width.
  const ticks = [-bound, 0, bound];
  return {
    before: before.runId,
    after: after.runId,
    metric: opts.metric,
    edges,
    legend: {
      title: `${titleOf(opts.metric, relative)}: change`,
      unit,
      better: betterOf(opts.metric, relative),
      domain: [-bound, bound],
      stops: Array.from({ length: 11 }, (_, i) => colour(-bound + (2 * bound * i) / 10)),
      ticks: ticks.map((v) => ({ value: v, label: `${v > 0 ? '+' : ''}${formatValue(v, unit)}`, colour: colour(v) })),
      missing: MISSING,
      diverging: true,
    },
  };
}
