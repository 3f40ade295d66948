/**
 * The charts of a run and of a campaign — per link (RTT over time, its histogram with a density
 * curve, its CDF, throughput over time, CPU) and the paper's figures (Gentile et al. 2024:
 * sorted mean RTT with 95 % intervals, Fig. 7; RTT distributions by cluster, Figs. 8–13;
 * TCP/UDP bandwidth, Figs. 14–15 and 19–20; netperf, Figs. 17–18 and 21–22; RTT against MTU,
 * Fig. 16; MTU 1500 beside 9000; box plots; latency under load, transactions per second and
 * throughput both ways at once from the measurement tools' figures) — as small
 * library-neutral specs. Pure functions of results.json (and a campaign's analysis): the
 * renderer draws them with chart.js, the report prints the same specs. Every chart, category and
 * series is keyed by link, path or cell id.
 *
 * Invariants of a spec: units sit in the axis (`unit`), never in the numbers; a chart the data
 * cannot give is a `kind: 'empty'` spec that says why, never a chart of zeros (the opt-in
 * tools' charts too: a run or campaign without the tool gets the placeholder); `tone` is an
 * index into the renderer's categorical palette, chosen so that one kind, path or direction
 * keeps its colour across the charts of one view.
 */
import { quantileSorted } from 'simple-statistics';
import type { CampaignAnalysis, KindFigures } from '../measure/campaign.js';
import type { Direction, RunResults, TestRecord } from '../measure/results.js';
import type { MeasuredPath } from '../measure/targets.js';
import { cdf, density, describe, histogram } from '../stats/index.js';
import { runConditions, runConditionsText } from './conditions.js';
import { figuresOfRun, valueOf, type Metric } from './metrics.js';
import { toolOfTest } from '../measure/tools/index.js';
import { bulk } from '../measure/tools/iperf3-bidir.js';
import { rr } from '../measure/tools/netperf-rr.js';
import { phaseKey, RRUL_FLOWS, rrul } from '../measure/tools/rrul.js';
import type { AnyTool, Metric as ToolMetric } from '../measure/tools/tool.js';

// ---------------------------------------------------------------------------------------------
// The spec

export interface Axis {
  readonly label: string;
  /** Shown in the axis title: `RTT (ms)`. */
  readonly unit?: string;
  /** The scale starts at zero (rates, shares, counts). */
  readonly zero?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
  /** A 95 % interval of `y`, drawn as an error bar. */
  readonly low?: number;
  readonly high?: number;
}

export interface XYSeries {
  /** Stable within the chart: a path id, a repetition, a cell id or kind label. */
  readonly key: string;
  readonly label: string;
  readonly tone: number;
  /** `line` joins points in x order, `dashed` too (baselines), `points` does not, `step` holds each value until the next. */
  readonly style: 'line' | 'dashed' | 'points' | 'step';
  readonly points: readonly Point[];
}

export interface Category {
  /** The path, cell or test record id, or the kind label (MTU comparison). */
  readonly id: string;
  readonly label: string;
}

export interface Bar {
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
  /** The path, cell or test id the figure comes from. */
  readonly ref?: string;
}

export interface BarSeries {
  readonly key: string;
  readonly label: string;
  readonly tone: number;
  /** One per category, null where the category has no such figure. */
  readonly values: readonly (Bar | null)[];
}

/** Tukey's box: quartiles (R type 7), whiskers at the furthest samples within 1.5 IQR, the rest outliers. */
export interface Box {
  readonly n: number;
  readonly min: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  readonly max: number;
  readonly whiskerMin: number;
  readonly whiskerMax: number;
  readonly mean: number;
  readonly sd: number;
  readonly outliers: readonly number[];
  readonly ref?: string;
}

export interface BoxSeries {
  readonly key: string;
  readonly label: string;
  readonly tone: number;
  readonly boxes: readonly (Box | null)[];
}

export interface Bin {
  readonly start: number;
  /** Equal to `start` when every sample has one value. */
  readonly end: number;
  readonly count: number;
}

interface Drawn {
  /** Stable and unique within a view: `link:<linkId>:rtt-time`, `campaign:rtt-sorted@1500`. */
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly x: Axis;
  readonly y: Axis;
  /** How to read it, or what it leaves out. */
  readonly note?: string;
  /** What a bar's or point's `low`–`high` shows, where not the 95 % interval of the mean: `median to p95`. */
  readonly errorBars?: string;
  /** The figures the subtitle states (a cluster's μ and σ over its samples), for the report's tables. */
  readonly stats?: { readonly n?: number; readonly mean: number; readonly sd: number };
}

export interface LineChart extends Drawn {
  readonly kind: 'line' | 'scatter';
  readonly series: readonly XYSeries[];
}

export interface BarChart extends Drawn {
  readonly kind: 'bar';
  readonly categories: readonly Category[];
  readonly series: readonly BarSeries[];
}

export interface BoxplotChart extends Drawn {
  readonly kind: 'boxplot';
  readonly categories: readonly Category[];
  readonly series: readonly BoxSeries[];
}

export interface HistogramChart extends Drawn {
  readonly kind: 'histogram';
  readonly label: string;
  readonly tone: number;
  readonly bins: readonly Bin[];
  /** Samples counted (duplicates excluded): the bins' counts add up to it. */
  readonly n: number;
  /** Kernel density estimate scaled to counts per bin (density × n × bin width), where it exists. */
  readonly density?: readonly Point[];
}

export interface EmptyChart {
  readonly kind: 'empty';
  readonly id: string;
  readonly title: string;
  /** Why there is no chart. */
  readonly empty: string;
}

export type ChartSpec = LineChart | BarChart | BoxplotChart | HistogramChart | EmptyChart;

/** `RTT (ms)`. */
export const axisTitle = (a: Axis): string => (a.unit ? `${a.label} (${a.unit})` : a.label);

// ---------------------------------------------------------------------------------------------
// Helpers

const MS: Axis = { label: 'RTT', unit: 'ms' };
const MBPS: Axis = { label: 'Throughput', unit: 'Mbit/s', zero: true };

/** Three significant figures, for titles and labels (the data keep every digit). */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  return Number(v.toPrecision(3)).toString();
}

const empty = (id: string, title: string, why: string): EmptyChart => ({ kind: 'empty', id, title, empty: why });

/** RTTs of one test, duplicates left out (as analyse counts them). */
const rttsOf = (t: TestRecord): number[] => (t.ping ? t.ping.samples.filter((s) => !s.dup).map((s) => s.rtt) : []);

const pingsOf = (r: RunResults, pathId: string): TestRecord[] => r.tests.filter((t) => t.pathId === pathId && t.ping && t.ping.samples.some((s) => !s.dup)).sort((a, b) => a.repetition - b.repetition);

/** Every non-duplicate RTT sample of a path, over all its repetitions. */
export const pathRtts = (r: RunResults, pathId: string): number[] => pingsOf(r, pathId).flatMap(rttsOf);

const tunnelPaths = (r: RunResults): MeasuredPath[] => r.paths.filter((p) => p.type === 'tunnel');

/** A path as a category: `vxlan a → b`. */
const pathLabel = (p: MeasuredPath): string => (p.kind ? `${p.kind} ${p.label}` : p.label);

/** A tone per link, by its place among the run's links, so that a link keeps its colour. */
const linkTone = (r: RunResults, linkId: string | undefined): number => Math.max(0, r.links.findIndex((l) => l.id === linkId));

/**
 * The moment a test started (Unix seconds), for time axes: its `startedAt` when that is no later
 * than the first sample (the engine's clock and the host's agree), else the first sample's time
 * (a host whose clock runs behind the engine's would otherwise plot before zero).
 */
function startOf(t: TestRecord, firstSample: number | undefined): number | undefined {
  const started = Date.parse(t.startedAt) / 1000;
  if (firstSample === undefined) return Number.isFinite(started) ? started : undefined;
  return Number.isFinite(started) && started <= firstSample ? started : firstSample;
}

const mbps = (bps: number): number => bps / 1e6;

/** Reporting intervals shorter than this (iperf's trailing fragment) are left out, as analyse does: their rate is noise. */
const MIN_INTERVAL_S = 0.1;

/** `iperf3-tcp:forward` for people. */
function testKeyLabel(key: string): string {
  const [test = key, direction] = key.split(':');
  const m = /^(iperf[23])-(tcp|udp)$/.exec(test);
  const name = m ? `${m[1]} ${m[2]!.toUpperCase()}` : test;
  return direction ? `${name} ${direction}` : name;
}

const protocolOf = (key: string): string | undefined => /^iperf[23]-(tcp|udp):/.exec(key)?.[1];

/** Throughput keys in a stable order: iperf3 before iperf2, forward before reverse. */
const sortKeys = (keys: Iterable<string>): string[] => [...new Set(keys)].sort((a, b) => {
  const rank = (k: string) => [k.startsWith('iperf3') ? 0 : 1, k.endsWith(':forward') ? 0 : 1];
  const [ra, rb] = [rank(a), rank(b)];
  return ra[0]! - rb[0]! || ra[1]! - rb[1]! || a.localeCompare(b);
});

/** netperf's units for axis titles: `10^6bits/s` is Mbit/s. */
const netperfUnit = (u: string): string => (/^10\^6bits\/s$/i.test(u) ? 'Mbit/s' : /^trans\/s$/i.test(u) ? 'transactions/s' : u);

/** A Tukey box of a sample; undefined for an empty one. */
export function boxOf(xs: readonly number[], ref?: string): Box | undefined {
  const d = describe(xs);
  if (!d) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const lo = q1 - 1.5 * (q3 - q1);
  const hi = q3 + 1.5 * (q3 - q1);
  const inside = sorted.filter((x) => x >= lo && x <= hi);
  return {
    n: d.n,
    min: d.min,
    q1,
    median: d.p50,
    q3,
    max: d.max,
    whiskerMin: inside[0] ?? q1,
    whiskerMax: inside[inside.length - 1] ?? q3,
    mean: d.mean,
    sd: d.sd,
    outliers: sorted.filter((x) => x < lo || x > hi),
    ...(ref ? { ref } : {}),
  };
}

/** The histogram of a sample with its density curve, or why there is none. */
function histogramChart(id: string, title: string, label: string, tone: number, xs: readonly number[], x: Axis, subtitle?: string): HistogramChart | EmptyChart {
  const h = histogram(xs);
  const d = describe(xs);
  if (!h || !d) return empty(id, title, 'No RTT samples were measured.');
  const bins: Bin[] = h.counts.map((count, i) => ({ start: h.start + i * h.width, end: h.start + (i + 1) * h.width, count }));
  const kde = h.width > 0 ? density(xs) : undefined;
  return {
    kind: 'histogram',
    id,
    title,
    subtitle: subtitle ?? `n = ${d.n}, μ = ${fmt(d.mean)} ms, σ = ${fmt(d.sd)} ms`,
    x,
    y: { label: 'Samples per bin', unit: 'count', zero: true },
    label,
    tone,
    bins,
    n: d.n,
    stats: { n: d.n, mean: d.mean, sd: d.sd },
    ...(kde ? { density: kde.x.map((v, i) => ({ x: v, y: kde.y[i]! * d.n * h.width })) } : {}),
    note: kde ? 'The curve is a Gaussian kernel density estimate (Silverman bandwidth) scaled to samples per bin.' : 'Too few distinct values for a density curve.',
  };
}

/** Density curves of several samples on one chart (the cluster figures). */
function densitySeries(key: string, label: string, tone: number, xs: readonly number[]): XYSeries | undefined {
  const k = density(xs);
  if (!k) return undefined;
  return { key, label, tone, style: 'line', points: k.x.map((x, i) => ({ x, y: k.y[i]! })) };
}

// ---------------------------------------------------------------------------------------------
// The paper's figures, each one function of its data. A run (a row per tunnel path) and a
// campaign (a row per kind: a cell) adapt their data to these; the wording that differs
// between the two (what a row is, how the interval was taken) comes in `text`.

/** A mean with its 95 % interval, as the run's summary and the campaign's analysis both give it. */
type Figure = { readonly mean: number; readonly ci95?: { readonly low: number; readonly high: number } };

/**
 * A mean and its interval as a figure: the one adapter from the run's summary (`ms.mean`,
 * `ci95`) and the campaign's cells (`rtt.mean`, `rtt.ci95`) to the figures' rows.
 */
const figureOf = (mean: number, ci95: Figure['ci95'] | undefined): Figure => ({ mean, ...(ci95 ? { ci95 } : {}) });

/** A figure as a bar of the category `ref`. */
const barOf = (f: Figure, ref: string): Bar => ({ value: f.mean, ...(f.ci95 ? { low: f.ci95.low, high: f.ci95.high } : {}), ref });

/** The words of one figure: its id and title, what a category is (`Tunnel`, `Tunnel kind`), why it can be empty, how to read it. */
interface FigureText {
  readonly id: string;
  readonly title: string;
  readonly category: string;
  readonly empty: string;
  readonly note?: string;
}

/** Fig. 7: a bar per row in the given order, its mean RTT with the 95 % interval. */
function rttSortedFigure(rows: readonly { readonly id: string; readonly label: string; readonly rtt: Figure }[], text: FigureText): BarChart | EmptyChart {
  if (rows.length === 0) return empty(text.id, text.title, text.empty);
  return {
    kind: 'bar',
    id: text.id,
    title: text.title,
    x: { label: text.category },
    y: MS,
    categories: rows.map((c) => ({ id: c.id, label: c.label })),
    series: [{ key: 'rtt', label: 'Mean RTT', tone: 0, values: rows.map((c) => barOf(c.rtt, c.id)) }],
    ...(text.note ? { note: text.note } : {}),
  };
}

/** One cluster of Figs. 8–13: its members' RTT samples and the cluster's μ and σ (undefined: no sample). */
interface ClusterData {
  readonly members: readonly { readonly id: string; readonly label: string; readonly tone: number; readonly samples: readonly number[] }[];
  readonly stats?: { readonly n?: number; readonly mean: number; readonly sd: number };
  readonly subtitle: string;
}

/** Figs. 8–13: a chart per cluster, the density curve of each member's RTT samples. */
function rttClusterFigures(
  clusters: readonly ClusterData[],
  text: { readonly id: (i: number) => string; readonly title: (i: number, of: number) => string; readonly none: { readonly id: string; readonly title: string; readonly empty: string }; readonly note: string },
): (LineChart | EmptyChart)[] {
  if (clusters.length === 0) return [empty(text.none.id, text.none.title, text.none.empty)];
  return clusters.map((k, i) => {
    const id = text.id(i + 1);
    const title = text.title(i + 1, clusters.length);
    const series = k.members.map((m) => densitySeries(m.id, m.label, m.tone, m.samples)).filter((s): s is XYSeries => s !== undefined);
    if (!k.stats || series.length === 0) return empty(id, title, 'Too few distinct RTT values in this cluster for a density curve.');
    return { kind: 'line', id, title, subtitle: k.subtitle, stats: k.stats, x: MS, y: { label: 'Density', unit: '1/ms', zero: true }, series, note: text.note };
  });
}

/** Figs. 14–15 / 19–20: TCP or UDP bandwidth, a category per row that has one, a bar per test and direction. */
function bandwidthFigure(rows: readonly { readonly id: string; readonly label: string; readonly throughput: (key: string) => Figure | undefined; readonly keys: readonly string[] }[], protocol: 'tcp' | 'udp', text: FigureText): BarChart | EmptyChart {
  const keys = sortKeys(rows.flatMap((c) => c.keys).filter((k) => protocolOf(k) === protocol));
  const kept = rows.filter((c) => keys.some((k) => c.throughput(k)));
  if (kept.length === 0) return empty(text.id, text.title, text.empty);
  return {
    kind: 'bar',
    id: text.id,
    title: text.title,
    x: { label: text.category },
    y: MBPS,
    categories: kept.map((c) => ({ id: c.id, label: c.label })),
    series: keys.map((k, i) => ({
      key: k,
      label: testKeyLabel(k),
      tone: i,
      values: kept.map((c) => {
        const f = c.throughput(k);
        return f ? barOf(f, c.id) : null;
      }),
    })),
    ...(text.note ? { note: text.note } : {}),
  };
}

/** Figs. 17–18 / 21–22: a chart per netperf test, a bar per row that ran it. */
function netperfFigures(
  rows: readonly { readonly id: string; readonly label: string; readonly netperf: Readonly<Record<string, { readonly units: string; readonly throughput: Figure }>> }[],
  text: { readonly id: (test: string) => string; readonly title: (name: string) => string; readonly category: string; readonly none: { readonly id: string; readonly title: string; readonly empty: string } },
): (BarChart | EmptyChart)[] {
  const tests = [...new Set(rows.flatMap((c) => Object.keys(c.netperf)))].sort();
  if (tests.length === 0) return [empty(text.none.id, text.none.title, text.none.empty)];
  return tests.map((test) => {
    const kept = rows.filter((c) => c.netperf[test]);
    return {
      kind: 'bar',
      id: text.id(test),
      title: text.title(test.replace(/^netperf-/, '').toUpperCase()),
      x: { label: text.category },
      y: { label: 'Throughput', unit: netperfUnit(kept[0]!.netperf[test]!.units), zero: true },
      categories: kept.map((c) => ({ id: c.id, label: c.label })),
      series: [{ key: test, label: 'netperf', tone: 0, values: kept.map((c) => barOf(c.netperf[test]!.throughput, c.id)) }],
    };
  });
}

/** Fig. 16: mean RTT against MTU, a series per kind (series without a point are left out). */
function rttByMtuFigure(
  series: readonly { readonly key: string; readonly label: string; readonly tone: number; readonly points: readonly { readonly mtu: number; readonly rtt: Figure }[] }[],
  text: { readonly id: string; readonly title: string; readonly kind: 'line' | 'scatter'; readonly x: Axis; readonly empty: string },
): LineChart | EmptyChart {
  const drawn = series.filter((s) => s.points.length > 0).map((s): XYSeries => ({
    key: s.key,
    label: s.label,
    tone: s.tone,
    style: text.kind === 'scatter' ? 'points' : 'line',
    points: s.points.map((p) => ({ x: p.mtu, y: p.rtt.mean, ...(p.rtt.ci95 ? { low: p.rtt.ci95.low, high: p.rtt.ci95.high } : {}) })),
  }));
  if (drawn.length === 0) return empty(text.id, text.title, text.empty);
  return { kind: text.kind, id: text.id, title: text.title, x: text.x, y: MS, series: drawn };
}

/** RTT box plots: a box per row from its samples, and beside it the row's underlay where one was measured. */
function rttBoxplotFigure(
  rows: readonly { readonly id: string; readonly label: string; readonly samples: readonly number[]; readonly underlay?: { readonly id: string; readonly samples: readonly number[] } }[],
  text: FigureText & { readonly series: { readonly key: string; readonly label: string } },
): BoxplotChart | EmptyChart {
  const kept = rows.map((c) => ({ c, box: boxOf(c.samples, c.id) })).filter((x): x is { c: (typeof rows)[number]; box: Box } => x.box !== undefined);
  if (kept.length === 0) return empty(text.id, text.title, text.empty);
  const under = kept.map(({ c }) => (c.underlay ? (boxOf(c.underlay.samples, c.underlay.id) ?? null) : null));
  return {
    kind: 'boxplot',
    id: text.id,
    title: text.title,
    x: { label: text.category },
    y: MS,
    categories: kept.map(({ c }) => ({ id: c.id, label: c.label })),
    series: [
      { ...text.series, tone: 0, boxes: kept.map(({ box }) => box) },
      ...(under.some((b) => b) ? [{ key: 'underlay', label: 'underlay (same hosts)', tone: 1, boxes: under }] : []),
    ],
    ...(text.note ? { note: text.note } : {}),
  };
}

/** The points of a throughput test's reporting intervals (Mbit/s at each interval's midpoint), the trailing fragment left out. */
const intervalPoints = (t: TestRecord): Point[] => (t.throughput ? t.throughput.intervals.filter((i) => i.end - i.start > MIN_INTERVAL_S).map((i) => ({ x: (i.start + i.end) / 2, y: mbps(i.bitsPerSecond) })) : []);

/**
 * Throughput over time: a line per test's reporting intervals (tests without one are left
 * out). A line without a `tone` takes its place among the drawn lines.
 */
function throughputTimeFigure(lines: readonly { readonly key: string; readonly label: string; readonly tone?: number; readonly dashed?: boolean; readonly test: TestRecord }[], text: { readonly id: string; readonly title: string; readonly empty: string; readonly note: string }): LineChart | EmptyChart {
  const series: XYSeries[] = [];
  for (const l of lines) {
    const points = intervalPoints(l.test);
    if (points.length) series.push({ key: l.key, label: l.label, tone: l.tone ?? series.length, style: l.dashed ? 'dashed' : 'line', points });
  }
  if (series.length === 0) return empty(text.id, text.title, text.empty);
  return { kind: 'line', id: text.id, title: text.title, x: { label: 'Time since the test started (interval midpoint)', unit: 's', zero: true }, y: MBPS, series, note: text.note };
}

// ---------------------------------------------------------------------------------------------
// The measurement tools' figures (latency under load, transactions, both ways at once), each one
// function of its rows: a row's `metrics` are the analysis' `<test>:<direction>` → metric key →
// figure (a run: a tunnel path's summary; a campaign: a cell's, pooled over its tunnels). Series
// are labelled from the tools' metric descriptors.

/** A row of the tool figures: its tools' figures and its netperf tests (whose *_RR are transactions). */
interface ToolRow {
  readonly id: string;
  readonly label: string;
  readonly metrics: Readonly<Record<string, Readonly<Record<string, Figure>>>>;
  readonly netperf: Readonly<Record<string, { readonly units: string; readonly throughput: Figure }>>;
}

/** The `<test>:<direction>` keys of a tool's tests among the rows, sorted. */
const toolKeys = (rows: readonly ToolRow[], tool: AnyTool): string[] => [...new Set(rows.flatMap((c) => Object.keys(c.metrics)))].filter((k) => toolOfTest(k.split(':')[0]!)?.id === tool.id).sort();

/** A tool's metric of this key (labels come from its descriptor). */
const metricOf = (tool: AnyTool, key: string): ToolMetric | undefined => tool.metrics.find((m) => m.key === key);

/** One bar chart of tool figures: a series per (test key, metric), categories the rows that have one of them. */
function toolBars(
  rows: readonly ToolRow[],
  series: readonly { readonly key: string; readonly label: string; readonly pick: (c: ToolRow) => Figure | undefined; readonly whisker?: (c: ToolRow) => Figure | undefined }[],
  text: FigureText,
  y: Axis,
  errorBars?: string,
): BarChart | EmptyChart {
  const drawn = series.filter((s) => rows.some((c) => s.pick(c)));
  const kept = rows.filter((c) => drawn.some((s) => s.pick(c)));
  if (kept.length === 0) return empty(text.id, text.title, text.empty);
  return {
    kind: 'bar',
    id: text.id,
    title: text.title,
    x: { label: text.category },
    y,
    ...(errorBars ? { errorBars } : {}),
    categories: kept.map((c) => ({ id: c.id, label: c.label })),
    series: drawn.map((s, i) => ({
      key: s.key,
      label: s.label,
      tone: i,
      values: kept.map((c) => {
        const f = s.pick(c);
        if (!f) return null;
        if (!s.whisker) return barOf(f, c.id);
        const w = s.whisker(c);
        return { value: f.mean, ...(w ? { low: f.mean, high: Math.max(f.mean, w.mean) } : {}), ref: c.id };
      }),
    })),
    ...(text.note ? { note: text.note } : {}),
  };
}

/**
 * Latency under load (the rrul tool): a group per row, a bar per phase — idle, then 1, 4 and 8
 * flows loading both ways at once — its median RTT, the whisker up to its p95.
 */
function latencyUnderLoadFigure(rows: readonly ToolRow[], text: FigureText): BarChart | EmptyChart {
  const figsOf = (c: ToolRow) => { const k = toolKeys([c], rrul).find((x) => x.endsWith(':forward')); return k ? c.metrics[k] : undefined; };
  const phases = [
    { median: 'idleRttMedian', p95: 'idleRttP95' },
    ...RRUL_FLOWS.map((n) => ({ median: phaseKey('loadedRttMedian', 'both', n), p95: phaseKey('loadedRttP95', 'both', n) })),
  ].flatMap((ph) => {
    const m = metricOf(rrul, ph.median);
    return m && metricOf(rrul, ph.p95) ? [{ key: ph.median, label: m.label, pick: (c: ToolRow) => figsOf(c)?.[ph.median], whisker: (c: ToolRow) => figsOf(c)?.[ph.p95] }] : [];
  });
  return toolBars(rows, phases, {
    ...text,
    note: `Tool: ${rrul.id} (${rrul.label}) — pings idle, then while ${RRUL_FLOWS.join(', ')} iperf3 TCP flows load the tunnel both ways at once (iperf3 --bidir). Bars: median RTT; whiskers: up to the p95. ${text.note ?? ''} Upload-only and download-only phases are in the per-link table.`.replace(/ {2,}/g, ' '),
  }, { ...MS, zero: true }, 'median to p95');
}

/** netperf's request/response tests (`*_RR`: a transaction rate) among the rows, sorted. */
const rrNetperfTests = (rows: readonly ToolRow[]): string[] => [...new Set(rows.flatMap((c) => Object.entries(c.netperf).filter(([, n]) => netperfUnit(n.units) === 'transactions/s').map(([t]) => t)))].sort();

/** Transactions per second: a series per request/response test (the rr tool's, then netperf's own *_RR), a bar per row that ran it. */
function transactionsFigure(rows: readonly ToolRow[], text: FigureText): BarChart | EmptyChart {
  const rate = rr.metrics.find((m) => m.unit === 'trans/s');
  const fromTool = rate ? toolKeys(rows, rr).map((k) => ({ key: k, label: `${rate.label}, ${k.split(':')[0]}`, pick: (c: ToolRow) => c.metrics[k]?.[rate.key] })) : [];
  const fromNetperf = rrNetperfTests(rows).map((t) => ({ key: t, label: `netperf ${t.replace(/^netperf-/, '').toUpperCase()}`, pick: (c: ToolRow) => c.netperf[t]?.throughput }));
  return toolBars(rows, [...fromTool, ...fromNetperf], text, { label: 'Transaction rate', unit: 'transactions/s', zero: true });
}

/** Both ways at once (the bulk tool's --bidir tests): a bar per way and one for their sum, per test. */
function bidirFigure(rows: readonly ToolRow[], text: FigureText): BarChart | EmptyChart {
  // A --bidir test is the one with a backward figure (without --bidir the sum is the one way).
  const keys = toolKeys(rows, bulk).filter((k) => rows.some((c) => c.metrics[k]?.['backwardMbps'] && c.metrics[k]?.['sumMbps']));
  const series = keys.flatMap((k) => ['forwardMbps', 'backwardMbps', 'sumMbps'].flatMap((mk) => {
    const m = metricOf(bulk, mk);
    return m ? [{ key: `${k}:${mk}`, label: keys.length > 1 ? `${m.label} (${k.split(':')[0]})` : m.label, pick: (c: ToolRow) => c.metrics[k]?.[mk] }] : [];
  }));
  return toolBars(rows, series, text, MBPS);
}

// ---------------------------------------------------------------------------------------------
// Per link

/** The tunnel path of a link and its underlay baseline, those the run measured. */
function linkPaths(r: RunResults, linkId: string): MeasuredPath[] {
  return r.paths.filter((p) => p.linkId === linkId && (p.type === 'tunnel' || p.type === 'underlay')).sort((a, b) => (a.type === 'tunnel' ? 0 : 1) - (b.type === 'tunnel' ? 0 : 1));
}

const linkName = (r: RunResults, linkId: string): string => {
  const l = r.links.find((x) => x.id === linkId);
  return l ? `${l.label || `${l.a} — ${l.b}`} (${l.kind})` : linkId;
};

const pathRole = (p: MeasuredPath): string => (p.type === 'underlay' ? 'underlay' : p.kind === 'clean' ? 'clean (underlay)' : `${p.kind ?? 'tunnel'} tunnel`);

/** RTT of every ping sample against seconds since its test's start, tunnel and underlay on one chart, a series per repetition. */
export function rttOverTime(r: RunResults, linkId: string): LineChart | EmptyChart {
  const id = `link:${linkId}:rtt-time`;
  const title = `RTT over time — ${linkName(r, linkId)}`;
  const series: XYSeries[] = [];
  for (const p of linkPaths(r, linkId)) {
    const tests = pingsOf(r, p.id);
    for (const t of tests) {
      const samples = t.ping!.samples.filter((s) => !s.dup);
      const t0 = startOf(t, Math.min(...samples.map((s) => s.t)));
      if (t0 === undefined) continue;
      series.push({
        key: `${p.id}#${t.repetition}`,
        label: tests.length > 1 ? `${pathRole(p)} #${t.repetition}` : pathRole(p),
        tone: series.length,
        style: p.type === 'underlay' ? 'dashed' : 'line',
        points: [...samples].sort((a, b) => a.t - b.t).map((s) => ({ x: s.t - t0, y: s.rtt })),
      });
    }
  }
  if (series.length === 0) return empty(id, title, 'The run measured no RTT on this link.');
  return { kind: 'line', id, title, x: { label: 'Time since the test started', unit: 's', zero: true }, y: MS, series, note: 'Duplicate replies are left out.' };
}

/** The RTT histogram of one path (every repetition pooled) with its density curve. */
export function rttHistogram(r: RunResults, pathId: string): HistogramChart | EmptyChart {
  const p = r.paths.find((x) => x.id === pathId);
  const title = `RTT distribution — ${p ? pathLabel(p) : pathId}`;
  return histogramChart(`path:${pathId}:rtt-histogram`, title, p ? pathRole(p) : pathId, p?.type === 'underlay' ? 1 : 0, pathRtts(r, pathId), MS);
}

/** The empirical CDF of RTT, tunnel and underlay on one chart. */
export function rttCdf(r: RunResults, linkId: string): LineChart | EmptyChart {
  const id = `link:${linkId}:rtt-cdf`;
  const title = `RTT CDF — ${linkName(r, linkId)}`;
  const series: XYSeries[] = [];
  linkPaths(r, linkId).forEach((p, i) => {
    const xs = pathRtts(r, p.id);
    if (xs.length === 0) return;
    const c = cdf(xs);
    series.push({ key: p.id, label: pathRole(p), tone: i, style: p.type === 'underlay' ? 'dashed' : 'step', points: c.x.map((x, j) => ({ x, y: 100 * c.p[j]! })) });
  });
  if (series.length === 0) return empty(id, title, 'The run measured no RTT on this link.');
  return { kind: 'line', id, title, x: MS, y: { label: 'Samples at or below', unit: '%', zero: true, min: 0, max: 100 }, series };
}

/** The throughput keys (`<test>:<direction>`) measured on a link, in a stable order. */
export function linkThroughputKeys(r: RunResults, linkId: string): string[] {
  const ids = new Set(linkPaths(r, linkId).map((p) => p.id));
  return sortKeys(r.tests.filter((t) => ids.has(t.pathId) && t.throughput && t.throughput.intervals.length > 0).map((t) => `${t.test}:${t.direction}`));
}

/** Throughput per reporting interval of one test and direction on a link: a series per path and repetition. */
export function throughputOverTime(r: RunResults, linkId: string, key: string): LineChart | EmptyChart {
  const [test, direction] = key.split(':') as [string, Direction];
  const lines = linkPaths(r, linkId).flatMap((p) => {
    const tests = r.tests.filter((t) => t.pathId === p.id && t.test === test && t.direction === direction && t.throughput && t.throughput.intervals.length > 0).sort((a, b) => a.repetition - b.repetition);
    return tests.map((t) => ({ key: `${p.id}#${t.repetition}`, label: tests.length > 1 ? `${pathRole(p)} #${t.repetition}` : pathRole(p), dashed: p.type === 'underlay', test: t }));
  });
  return throughputTimeFigure(lines, {
    id: `link:${linkId}:throughput:${key}`,
    title: `${testKeyLabel(key)} throughput over time — ${linkName(r, linkId)}`,
    empty: `The run has no ${testKeyLabel(key)} reporting intervals on this link.`,
    note: `Each point is one reporting interval; intervals under ${MIN_INTERVAL_S} s (the tool's trailing fragment) are left out.`,
  });
}

/** Busy % of each end's CPUs during each throughput test on a link. */
export function cpuChart(r: RunResults, linkId: string): BarChart | EmptyChart {
  const id = `link:${linkId}:cpu`;
  const title = `CPU during throughput tests — ${linkName(r, linkId)}`;
  const paths = linkPaths(r, linkId);
  const tests = paths.flatMap((p) => r.tests.filter((t) => t.pathId === p.id && (t.cpu?.src || t.cpu?.dst)).map((t) => ({ p, t })));
  if (tests.length === 0) return empty(id, title, 'No CPU figures were taken on this link (they are read during throughput tests).');
  const reps = new Set(tests.map(({ t }) => t.repetition)).size > 1;
  const categories = tests.map(({ p, t }) => ({ id: t.id, label: `${p.type === 'underlay' ? 'underlay' : 'tunnel'} ${testKeyLabel(`${t.test}:${t.direction}`)}${reps ? ` #${t.repetition}` : ''}` }));
  const end = (which: 'src' | 'dst', name: string): BarSeries => ({
    key: which,
    label: name,
    tone: which === 'src' ? 0 : 1,
    values: tests.map(({ t }) => (t.cpu?.[which] ? { value: t.cpu[which]!.busyPercent, ref: t.id } : null)),
  });
  const p0 = paths[0]!;
  return {
    kind: 'bar',
    id,
    title,
    x: { label: 'Test' },
    y: { label: 'CPU busy', unit: '%', zero: true, max: 100 },
    categories,
    series: [end('src', `${p0.src.host} (client end)`), end('dst', `${p0.dst.host} (server end)`)],
    note: r.sharedMachine ? 'Every host runs on one machine (the embedded lab): these are that machine\'s CPUs, shared by both ends.' : 'Busy share of all of the host\'s CPUs, from /proc/stat during the test.',
  };
}

/** Every chart of one link: RTT over time, histograms, CDF, throughput over time per test and direction, CPU. */
export function linkCharts(r: RunResults, linkId: string): ChartSpec[] {
  const keys = linkThroughputKeys(r, linkId);
  return [
    rttOverTime(r, linkId),
    ...linkPaths(r, linkId).map((p) => rttHistogram(r, p.id)),
    rttCdf(r, linkId),
    ...(keys.length ? keys.map((k) => throughputOverTime(r, linkId, k)) : [empty(`link:${linkId}:throughput`, `Throughput over time — ${linkName(r, linkId)}`, 'The run has no throughput test on this link.')]),
    cpuChart(r, linkId),
  ];
}

// ---------------------------------------------------------------------------------------------
// A run's figures ("per kind" is per tunnel path: each link with its kind)

/** A tunnel path as a figure's row. */
const pathRow = (p: MeasuredPath): { id: string; label: string } => ({ id: p.id, label: pathLabel(p) });

/** Fig. 7: mean RTT of each tunnel path, sorted, with its 95 % interval from the run's summary. */
export function runRttSorted(r: RunResults): BarChart | EmptyChart {
  const rows = tunnelPaths(r)
    .map((p) => ({ p, s: r.summary.paths[p.id]?.rtt }))
    .filter((x) => x.s)
    .sort((a, b) => a.s!.ms.mean - b.s!.ms.mean)
    .map(({ p, s }) => ({ ...pathRow(p), rtt: figureOf(s!.ms.mean, s!.ci95) }));
  return rttSortedFigure(rows, {
    id: 'run:rtt-sorted',
    title: 'Mean RTT per tunnel, sorted (cf. paper Fig. 7)',
    category: 'Tunnel',
    empty: 'The run measured no RTT on a tunnel.',
    note: 'Error bars: 95 % confidence interval of the mean (Student t; across repetitions when the suite repeated, else across samples).',
  });
}

/** Figs. 8–13: the RTT distributions of the tunnels of each cluster (ckmeans on mean RTT), with the cluster's μ and σ over all its samples. */
export function runRttClusters(r: RunResults): (LineChart | EmptyChart)[] {
  const clusters = r.summary.clusters.map((c): ClusterData => {
    const members = c.pathIds.map((pid) => {
      const p = r.paths.find((x) => x.id === pid);
      return { id: pid, label: p ? pathLabel(p) : pid, tone: linkTone(r, p?.linkId), samples: pathRtts(r, pid) };
    });
    const pooled = describe(members.flatMap((m) => m.samples));
    return {
      members,
      ...(pooled ? { stats: { n: pooled.n, mean: pooled.mean, sd: pooled.sd } } : {}),
      subtitle: pooled ? `μ = ${fmt(pooled.mean)} ms, σ = ${fmt(pooled.sd)} ms over ${pooled.n} samples of ${members.length} tunnel${members.length > 1 ? 's' : ''}${c.tie && r.summary.noise ? ` — tie: within noise ±${fmt(r.summary.noise.ms)} ms` : ''}` : '',
    };
  });
  return rttClusterFigures(clusters, {
    id: (i) => `run:rtt-cluster:${i}`,
    title: (i, of) => `Cluster ${i} of ${of}: RTT distributions (cf. paper Figs. 8–13)`,
    none: { id: 'run:rtt-cluster', title: 'RTT distributions by cluster (cf. paper Figs. 8–13)', empty: 'The run measured no RTT on a tunnel.' },
    note: `Gaussian kernel density estimates (Silverman bandwidth); tunnels grouped by mean RTT with optimal 1-D k-means, ${r.summary.noise ? `groups closer than the noise floor (${fmt(r.summary.noise.ms)} ms: spread between repetitions and of the underlay) kept as one` : 'no noise floor (repeat the suite to judge separation)'}.`,
  });
}

/** Figs. 14–15 / 19–20: TCP or UDP bandwidth per tunnel, a bar per test and direction, with 95 % intervals from the summary. */
export function runBandwidth(r: RunResults, protocol: 'tcp' | 'udp'): BarChart | EmptyChart {
  const rows = tunnelPaths(r).map((p) => {
    const t = r.summary.paths[p.id]?.throughput ?? {};
    return { ...pathRow(p), keys: Object.keys(t), throughput: (k: string) => t[k]?.mbps };
  });
  return bandwidthFigure(rows, protocol, {
    id: `run:bandwidth:${protocol}`,
    title: `${protocol.toUpperCase()} bandwidth per tunnel (cf. paper Figs. ${protocol === 'tcp' ? '14, 19' : '15, 20'})`,
    category: 'Tunnel',
    empty: `The run has no ${protocol.toUpperCase()} throughput figure on a tunnel.`,
    note: 'Receiver\'s rate. Error bars: 95 % interval across repetitions, or across one test\'s reporting intervals.',
  });
}

/** Figs. 17–18 / 21–22: netperf throughput per tunnel, a chart per netperf test. */
export function runNetperf(r: RunResults): (BarChart | EmptyChart)[] {
  const rows = tunnelPaths(r).map((p) => ({ ...pathRow(p), netperf: r.summary.paths[p.id]?.netperf ?? {} }));
  return netperfFigures(rows, {
    id: (test) => `run:netperf:${test}`,
    title: (name) => `netperf ${name} per tunnel (cf. paper Figs. 17–18, 21–22)`,
    category: 'Tunnel',
    none: { id: 'run:netperf', title: 'netperf throughput per tunnel (cf. paper Figs. 17–18, 21–22)', empty: 'The run has no netperf test.' },
  });
}

/** Fig. 16: mean RTT against the tunnel's MTU, a series per kind; needs links of two MTUs or more. */
export function runRttByMtu(r: RunResults): LineChart | EmptyChart {
  const id = 'run:rtt-mtu';
  const title = 'RTT against MTU (cf. paper Fig. 16)';
  const rows = tunnelPaths(r).filter((p) => p.mtu !== undefined && r.summary.paths[p.id]?.rtt);
  const mtus = new Set(rows.map((p) => p.mtu));
  if (mtus.size < 2) return empty(id, title, rows.length ? `Every tunnel of this run carries the same MTU (${[...mtus][0]} bytes); a campaign over MTUs gives this figure.` : 'The run measured no RTT on a tunnel.');
  const kinds = [...new Set(rows.map((p) => p.kind ?? 'tunnel'))];
  const series = kinds.map((k, i) => ({
    key: k,
    label: k,
    tone: i,
    points: rows.filter((p) => (p.kind ?? 'tunnel') === k).map((p) => {
      const s = r.summary.paths[p.id]!.rtt!;
      return { mtu: p.mtu!, rtt: figureOf(s.ms.mean, s.ci95) };
    }),
  }));
  return rttByMtuFigure(series, { id, title, kind: 'scatter', x: { label: 'Tunnel MTU', unit: 'bytes' }, empty: 'The run measured no RTT on a tunnel.' });
}

/** Box plots of RTT per tunnel path (and its underlay, where measured). */
export function runRttBoxplot(r: RunResults): BoxplotChart | EmptyChart {
  const rows = tunnelPaths(r).map((p) => {
    const u = r.paths.find((x) => x.type === 'underlay' && x.linkId === p.linkId);
    return { ...pathRow(p), samples: pathRtts(r, p.id), ...(u ? { underlay: { id: u.id, samples: pathRtts(r, u.id) } } : {}) };
  });
  return rttBoxplotFigure(rows, {
    id: 'run:rtt-box',
    title: 'RTT per tunnel — box plots',
    category: 'Tunnel',
    empty: 'The run measured no RTT on a tunnel.',
    series: { key: 'tunnel', label: 'tunnel' },
    note: 'Boxes: quartiles; whiskers: furthest samples within 1.5 IQR; dots: the samples beyond.',
  });
}

/** A tunnel path's tool figures as a row of the tool figures. */
const pathToolRow = (r: RunResults, p: MeasuredPath): ToolRow => ({ ...pathRow(p), metrics: r.summary.paths[p.id]?.metrics ?? {}, netperf: r.summary.paths[p.id]?.netperf ?? {} });

/** Latency under load per tunnel (the rrul tool): idle and each both-ways phase, median with a whisker to the p95. */
export function runLatencyUnderLoad(r: RunResults): BarChart | EmptyChart {
  return latencyUnderLoadFigure(tunnelPaths(r).map((p) => pathToolRow(r, p)), {
    id: 'run:latency-under-load',
    title: 'Latency under load per tunnel',
    category: 'Tunnel',
    empty: `The run has no ${rrul.label.toLowerCase()} figures on a tunnel: its suite ran no ${rrul.id} test (the thorough suite has one).`,
    note: 'Each tunnel\'s own figures (means over repetitions).',
  });
}

/** Request/response transactions per second per tunnel (the rr tool, netperf's own *_RR tests). */
export function runTransactions(r: RunResults): BarChart | EmptyChart {
  return transactionsFigure(tunnelPaths(r).map((p) => pathToolRow(r, p)), {
    id: 'run:transactions',
    title: 'Transactions per second per tunnel',
    category: 'Tunnel',
    empty: `The run has no transaction rate on a tunnel: its suite ran no ${rr.id} test or netperf TCP_RR/UDP_RR (the thorough suite has them).`,
    note: 'Error bars: 95 % interval across repetitions, where the suite repeated.',
  });
}

/** Throughput both ways at once per tunnel (the bulk tool's --bidir tests): each way and their sum. */
export function runBidir(r: RunResults): BarChart | EmptyChart {
  return bidirFigure(tunnelPaths(r).map((p) => pathToolRow(r, p)), {
    id: 'run:bidir',
    title: 'Throughput both ways at once per tunnel (iperf3 --bidir)',
    category: 'Tunnel',
    empty: `The run has no both-ways throughput on a tunnel: its suite ran no ${bulk.id} test with --bidir (the thorough suite has one).`,
    note: 'Error bars: 95 % interval across repetitions, where the suite repeated.',
  });
}

/** The paper's figures for one run, then the new tools' (latency under load, transactions, both ways at once). */
export function runFigures(r: RunResults): ChartSpec[] {
  return [runRttSorted(r), ...runRttClusters(r), runRttBoxplot(r), runBandwidth(r, 'tcp'), runBandwidth(r, 'udp'), ...runNetperf(r), runLatencyUnderLoad(r), runTransactions(r), runBidir(r), runRttByMtu(r)];
}
// ---------------------------------------------------------------------------------------------
// Two runs side by side (the run comparison's charts)

/**
 * Two runs' per-link figures side by side: RTT mean (with its 95 % interval) and TCP/UDP each
 * way, a bar per run, the links of the later run matched to the earlier's by id, else by their
 * two hosts (as the drawing's comparison matches them). Each series names its run and the
 * conditions it was measured under; each link's label names its conditions where they changed.
 */
export function runsCompared(before: RunResults, after: RunResults): (BarChart | EmptyChart)[] {
  const fb = figuresOfRun(before);
  const fa = figuresOfRun(after);
  const cb = runConditions(before);
  const ca = runConditions(after);
  const pair = (x: { hostIds: { a: string; b: string } }): string => [x.hostIds.a, x.hostIds.b].sort().join('|');
  const rows = after.links.map((l) => ({ l, old: before.links.find((x) => x.id === l.id) ?? before.links.find((x) => pair(x) === pair(l)) }));
  const label = (r: RunResults): string => `run ${r.runId} (conditions ${runConditionsText(r)})`;
  const chart = (metric: Metric, direction: Direction, id: string, title: string, y: Axis): BarChart | EmptyChart => {
    const v = (r: RunResults, f: ReturnType<typeof figuresOfRun>, linkId: string | undefined) => (linkId ? valueOf(f.get(`${linkId}.tunnel`), metric, direction) : undefined);
    const bar = (x: ReturnType<typeof v>, ref: string): Bar | null => (x ? { value: x.value, ...(x.low !== undefined && x.high !== undefined ? { low: x.low, high: x.high } : {}), ref } : null);
    const kept = rows.filter((x) => v(after, fa, x.l.id) || v(before, fb, x.old?.id));
    if (kept.length === 0) return empty(id, title, 'Neither run has this figure.');
    return {
      kind: 'bar',
      id,
      title,
      x: { label: 'Link' },
      y,
      categories: kept.map(({ l, old }) => {
        const was = old ? cb.get(old.id)?.badge : undefined;
        const now = ca.get(l.id)?.badge;
        return { id: l.id, label: `${l.a} — ${l.b}${(was ?? '') !== (now ?? '') ? ` (${was || 'none'} → ${now || 'none'})` : now ? ` (${now})` : ''}` };
      }),
      series: [
        { key: 'before', label: label(before), tone: 0, values: kept.map(({ old }) => bar(v(before, fb, old?.id), `${old?.id}.tunnel`)) },
        { key: 'after', label: label(after), tone: 1, values: kept.map(({ l }) => bar(v(after, fa, l.id), `${l.id}.tunnel`)) },
      ],
      note: 'Each link\'s tunnel in the two runs; error bars: 95 % intervals where the run has them. Conditions are those read back from tc when each run started.',
    };
  };
  return [
    chart('rtt-mean', 'forward', 'compare:rtt', 'Mean RTT per link, the two runs side by side', MS),
    chart('tcp', 'forward', 'compare:tcp:forward', 'TCP throughput a → b per link, the two runs side by side', MBPS),
    chart('tcp', 'reverse', 'compare:tcp:reverse', 'TCP throughput b → a per link, the two runs side by side', MBPS),
    chart('udp', 'forward', 'compare:udp:forward', 'UDP throughput a → b per link, the two runs side by side', MBPS),
  ];
}

// ---------------------------------------------------------------------------------------------
// A campaign's figures (a kind is a cell: one kind with its options at one underlay MTU)

/** Each kind label's tone: its place among the campaign's labels in cell order, the same at every MTU. */
function kindTones(a: CampaignAnalysis): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of a.cells) if (!m.has(c.label)) m.set(c.label, m.size);
  return m;
}

/**
 * A campaign's conditions dimension in the charts: kinds are compared under one set of
 * conditions at a time (`cond`, default none, a campaign without the dimension). A chart under
 * conditions says so in its title, and its id gains `~<conditions>` (none's ids are unchanged).
 */
const under = (cond: string): string => (cond === 'none' ? '' : ` under ${cond}`);
const idUnder = (cond: string): string => (cond === 'none' ? '' : `~${cond}`);
const condsOf = (a: CampaignAnalysis): string[] => [...new Set(a.cells.map((c) => c.conditions ?? 'none'))];
const groupOf = (a: CampaignAnalysis, mtu: number, cond: string) => a.byMtu.find((b) => b.mtu === mtu && (b.conditions ?? 'none') === cond);
const cellsAt = (a: CampaignAnalysis, mtu: number, cond = 'none'): KindFigures[] => a.cells.filter((c) => c.mtu === mtu && (c.conditions ?? 'none') === cond);
const mtusOf = (a: CampaignAnalysis): number[] => [...new Set(a.cells.map((c) => c.mtu))].sort((x, y) => x - y);

/** A cell as a figure's row. */
const cellRow = (c: KindFigures): { id: string; label: string } => ({ id: c.cell, label: c.label });
const cellsIn = (a: CampaignAnalysis, ids: readonly string[]): KindFigures[] => ids.map((cid) => a.cells.find((c) => c.cell === cid)).filter((c): c is KindFigures => c !== undefined);
/** A cell's netperf figures as the figures read them (a mean without interval: one per cell). */
const cellNetperf = (c: KindFigures): ToolRow['netperf'] => Object.fromEntries(Object.entries(c.netperf).map(([test, n]) => [test, { units: n.units, throughput: { mean: n.throughput } }]));
const rttFigure = (c: KindFigures): Figure | undefined => (c.rtt ? figureOf(c.rtt.mean, c.rtt.ci95) : undefined);

/** Fig. 7 at one MTU: the kinds in the analysis' sorted order, mean RTT with its 95 % interval. */
export function campaignRttSorted(a: CampaignAnalysis, mtu: number, cond = 'none'): BarChart | EmptyChart {
  const rows = cellsIn(a, groupOf(a, mtu, cond)?.sorted ?? []).filter((c) => c.rtt !== undefined).map((c) => ({ ...cellRow(c), rtt: rttFigure(c)! }));
  return rttSortedFigure(rows, {
    id: `campaign:rtt-sorted@${mtu}${idUnder(cond)}`,
    title: `Mean RTT per kind at MTU ${mtu}${under(cond)}, sorted (cf. paper Fig. 7)`,
    category: 'Tunnel kind',
    empty: `No kind measured RTT at MTU ${mtu}${under(cond)}.`,
    note: 'Error bars: 95 % confidence interval of the mean over every RTT sample of the kind\'s tunnels.',
  });
}

/** Figs. 8–13 at one MTU: the RTT distribution of each kind of a cluster, with the cluster's μ and σ from the analysis. */
export function campaignRttClusters(a: CampaignAnalysis, mtu: number, cond = 'none'): (LineChart | EmptyChart)[] {
  const tones = kindTones(a);
  const at = groupOf(a, mtu, cond);
  const clusters = (at?.clusters ?? []).map((k): ClusterData => {
    const cells = cellsIn(a, k.cells);
    return {
      members: cells.map((c) => ({ ...cellRow(c), tone: tones.get(c.label) ?? 0, samples: c.rttSamples })),
      stats: { mean: k.mean, sd: k.sd },
      subtitle: `${cells.map((c) => c.label).join(', ')}: μ = ${fmt(k.mean)} ms, σ = ${fmt(k.sd)} ms${k.tie && at?.noise ? ` — tie: within noise ±${fmt(at.noise.ms)} ms` : ''}`,
    };
  });
  return rttClusterFigures(clusters, {
    id: (i) => `campaign:rtt-cluster@${mtu}${idUnder(cond)}:${i}`,
    title: (i, of) => `Cluster ${i} of ${of} at MTU ${mtu}${under(cond)}: RTT distributions (cf. paper Figs. 8–13)`,
    none: { id: `campaign:rtt-cluster@${mtu}${idUnder(cond)}`, title: `RTT distributions by cluster at MTU ${mtu}${under(cond)} (cf. paper Figs. 8–13)`, empty: `No kind measured RTT at MTU ${mtu}${under(cond)}.` },
    note: `Gaussian kernel density estimates (Silverman bandwidth) of every RTT sample of each kind; μ and σ pool the cluster's samples; ${at?.noise ? `kinds closer than the noise floor (${fmt(at.noise.ms)} ms: spread of the cells' underlay baselines and repetitions) share a cluster` : 'no noise floor'}.`,
  });
}

/** Figs. 14–15 / 19–20 at one MTU: TCP or UDP bandwidth per kind, a bar per test and direction. */
export function campaignBandwidth(a: CampaignAnalysis, mtu: number, protocol: 'tcp' | 'udp', cond = 'none'): BarChart | EmptyChart {
  const rows = cellsAt(a, mtu, cond).map((c) => ({ ...cellRow(c), keys: Object.keys(c.throughput), throughput: (k: string) => c.throughput[k] }));
  return bandwidthFigure(rows, protocol, {
    id: `campaign:bandwidth:${protocol}@${mtu}${idUnder(cond)}`,
    title: `${protocol.toUpperCase()} bandwidth per kind at MTU ${mtu}${under(cond)} (cf. paper Figs. ${protocol === 'tcp' ? '14, 19' : '15, 20'})`,
    category: 'Tunnel kind',
    empty: `No kind has a ${protocol.toUpperCase()} throughput figure at MTU ${mtu}${under(cond)}.`,
    note: 'Mean over the kind\'s tunnels. Error bars: 95 % interval across tunnels, or across one tunnel\'s repetitions or reporting intervals.',
  });
}

/** Figs. 17–18 / 21–22 at one MTU: netperf throughput per kind, a chart per netperf test. */
export function campaignNetperf(a: CampaignAnalysis, mtu: number, cond = 'none'): (BarChart | EmptyChart)[] {
  const rows = cellsAt(a, mtu, cond).map((c) => ({ ...cellRow(c), netperf: cellNetperf(c) }));
  return netperfFigures(rows, {
    id: (test) => `campaign:netperf:${test}@${mtu}${idUnder(cond)}`,
    title: (name) => `netperf ${name} per kind at MTU ${mtu}${under(cond)} (cf. paper Figs. 17–18, 21–22)`,
    category: 'Tunnel kind',
    none: { id: `campaign:netperf@${mtu}${idUnder(cond)}`, title: `netperf throughput per kind at MTU ${mtu}${under(cond)} (cf. paper Figs. 17–18, 21–22)`, empty: 'The campaign\'s suite has no netperf test.' },
  });
}

/** A cell's tool figures as a row of the tool figures. */
const cellToolRow = (c: KindFigures): ToolRow => ({ ...cellRow(c), metrics: c.metrics ?? {}, netperf: cellNetperf(c) });

/** What every kind's tool figure says at one MTU under one set of conditions. */
const pooledNote = 'Each kind: the mean over its tunnels (error bars: 95 % interval across them, or across one tunnel\'s repetitions).';

/** Latency under load per kind at one MTU (the rrul tool): idle and each both-ways phase, median with a whisker to the p95. */
export function campaignLatencyUnderLoad(a: CampaignAnalysis, mtu: number, cond = 'none'): BarChart | EmptyChart {
  return latencyUnderLoadFigure(cellsAt(a, mtu, cond).map(cellToolRow), {
    id: `campaign:latency-under-load@${mtu}${idUnder(cond)}`,
    title: `Latency under load per kind at MTU ${mtu}${under(cond)}`,
    category: 'Tunnel kind',
    empty: `No kind has ${rrul.label.toLowerCase()} figures at MTU ${mtu}${under(cond)}: the campaign's suite ran no ${rrul.id} test (the thorough suite has one).`,
    note: 'Each kind: the mean of its tunnels\' figures.',
  });
}

/** Transactions per second per kind at one MTU (the rr tool, netperf's own *_RR tests). */
export function campaignTransactions(a: CampaignAnalysis, mtu: number, cond = 'none'): BarChart | EmptyChart {
  return transactionsFigure(cellsAt(a, mtu, cond).map(cellToolRow), {
    id: `campaign:transactions@${mtu}${idUnder(cond)}`,
    title: `Transactions per second per kind at MTU ${mtu}${under(cond)}`,
    category: 'Tunnel kind',
    empty: `No kind has a transaction rate at MTU ${mtu}${under(cond)}: the campaign's suite ran no ${rr.id} test or netperf TCP_RR/UDP_RR (the thorough suite has them).`,
    note: pooledNote,
  });
}

/** Throughput both ways at once per kind at one MTU (the bulk tool's --bidir tests). */
export function campaignBidir(a: CampaignAnalysis, mtu: number, cond = 'none'): BarChart | EmptyChart {
  return bidirFigure(cellsAt(a, mtu, cond).map(cellToolRow), {
    id: `campaign:bidir@${mtu}${idUnder(cond)}`,
    title: `Throughput both ways at once per kind at MTU ${mtu}${under(cond)} (iperf3 --bidir)`,
    category: 'Tunnel kind',
    empty: `No kind has both-ways throughput at MTU ${mtu}${under(cond)}: the campaign's suite ran no ${bulk.id} test with --bidir (the thorough suite has one).`,
    note: pooledNote,
  });
}

/** Fig. 16: mean RTT of each kind against the underlay MTU; needs two MTUs or more. */
export function campaignRttByMtu(a: CampaignAnalysis): LineChart | EmptyChart {
  const id = 'campaign:rtt-mtu';
  const title = 'RTT against underlay MTU (cf. paper Fig. 16)';
  const mtus = mtusOf(a);
  if (mtus.length < 2) return empty(id, title, `The campaign ran at one MTU only (${mtus[0] ?? 'none'}).`);
  const tones = kindTones(a);
  const series = condsOf(a).flatMap((cond, ci) =>
    [...tones.keys()].map((label) => ({
      key: `${label}${idUnder(cond)}`,
      label: `${label}${under(cond)}`,
      tone: tones.get(label)! + ci * tones.size,
      points: a.cells.filter((c) => c.label === label && (c.conditions ?? 'none') === cond && c.rtt).sort((x, y) => x.mtu - y.mtu).map((c) => ({ mtu: c.mtu, rtt: rttFigure(c)! })),
    })),
  );
  return rttByMtuFigure(series, { id, title, kind: 'line', x: { label: 'Underlay MTU', unit: 'bytes' }, empty: 'No kind measured RTT.' });
}

/**
 * Kinds side by side over one of the campaign's dimensions (MTU, conditions): a bar chart per
 * figure (RTT, then each throughput key), a category per kind, a series per value of the
 * dimension, each bar the cell's mean with its interval.
 */
function kindsSideBySide<V>(
  a: CampaignAnalysis,
  values: readonly V[],
  series: (v: V) => { key: string; label: string },
  cell: (label: string, v: V) => KindFigures | undefined,
  keys: readonly string[],
  chart: { rtt: { id: string; title: string }; throughput: (k: string) => { id: string; title: string }; note?: string },
): (BarChart | EmptyChart)[] {
  const labels = [...kindTones(a).keys()];
  const one = (id: string, title: string, y: Axis, pick: (c: KindFigures) => Figure | undefined): BarChart | EmptyChart => {
    const rows = labels.filter((l) => values.some((v) => { const c = cell(l, v); return c && pick(c); }));
    if (rows.length === 0) return empty(id, title, 'No kind has this figure.');
    return {
      kind: 'bar',
      id,
      title,
      x: { label: 'Tunnel kind' },
      y,
      categories: rows.map((l) => ({ id: l, label: l })),
      series: values.map((v, i) => ({
        ...series(v),
        tone: i,
        values: rows.map((l) => {
          const c = cell(l, v);
          const f = c ? pick(c) : undefined;
          return c && f ? barOf(f, c.cell) : null;
        }),
      })),
      ...(chart.note ? { note: chart.note } : {}),
    };
  };
  return [
    one(chart.rtt.id, chart.rtt.title, MS, rttFigure),
    ...keys.map((k) => { const t = chart.throughput(k); return one(t.id, t.title, MBPS, (c) => c.throughput[k]); }),
  ];
}

/** MTU 1500 beside 9000: RTT and each throughput figure per kind, a bar per MTU; needs two MTUs or more. Under one set of conditions. */
export function campaignMtuCompare(a: CampaignAnalysis, cond = 'none'): (BarChart | EmptyChart)[] {
  const mtus = mtusOf(a);
  if (mtus.length < 2) return [empty(`campaign:mtu-compare${idUnder(cond)}`, 'MTUs side by side', `The campaign ran at one MTU only (${mtus[0] ?? 'none'}).`)];
  const vs = `MTU ${mtus.join(' vs ')}${under(cond)}`;
  return kindsSideBySide(
    a,
    mtus,
    (m) => ({ key: `mtu-${m}`, label: `MTU ${m}` }),
    (label, mtu) => a.cells.find((c) => c.label === label && c.mtu === mtu && (c.conditions ?? 'none') === cond),
    sortKeys(a.cells.flatMap((c) => Object.keys(c.throughput))),
    {
      rtt: { id: `campaign:mtu-compare:rtt${idUnder(cond)}`, title: `Mean RTT per kind, ${vs}` },
      throughput: (k) => ({ id: `campaign:mtu-compare:${k}${idUnder(cond)}`, title: `${testKeyLabel(k)} bandwidth per kind, ${vs}` }),
    },
  );
}

/**
 * The kinds under each of the campaign's conditions side by side, at one MTU: RTT and each
 * throughput figure per kind, a bar per conditions (what the path costs each kind); needs two
 * conditions or more.
 */
export function campaignConditionsCompare(a: CampaignAnalysis, mtu: number): (BarChart | EmptyChart)[] {
  const conds = condsOf(a);
  if (conds.length < 2) return [empty(`campaign:conditions-compare@${mtu}`, 'Conditions side by side', `The campaign ran under one set of conditions only (${conds[0] ?? 'none'}).`)];
  const vs = `at MTU ${mtu}, ${conds.join(' vs ')}`;
  return kindsSideBySide(
    a,
    conds,
    (k) => ({ key: `conditions-${k}`, label: k }),
    (label, cond) => a.cells.find((c) => c.label === label && c.mtu === mtu && (c.conditions ?? 'none') === cond),
    sortKeys(a.cells.filter((c) => c.mtu === mtu).flatMap((c) => Object.keys(c.throughput))),
    {
      rtt: { id: `campaign:conditions-compare:rtt@${mtu}`, title: `Mean RTT per kind ${vs}` },
      throughput: (k) => ({ id: `campaign:conditions-compare:${k}@${mtu}`, title: `${testKeyLabel(k)} bandwidth per kind ${vs}` }),
      note: 'Each bar: the kind measured with that conditions preset on every link (read back from tc before the first test).',
    },
  );
}

/** Box plots of RTT per kind at one MTU, from every RTT sample of the kind's tunnels. */
export function campaignRttBoxplot(a: CampaignAnalysis, mtu: number, cond = 'none'): BoxplotChart | EmptyChart {
  const rows = cellsIn(a, groupOf(a, mtu, cond)?.sorted ?? []).map((c) => ({ ...cellRow(c), samples: c.rttSamples }));
  return rttBoxplotFigure(rows, {
    id: `campaign:rtt-box@${mtu}${idUnder(cond)}`,
    title: `RTT per kind at MTU ${mtu}${under(cond)} — box plots`,
    category: 'Tunnel kind',
    empty: `No kind measured RTT at MTU ${mtu}${under(cond)}.`,
    series: { key: 'rtt', label: 'RTT' },
    note: 'Boxes: quartiles; whiskers: furthest samples within 1.5 IQR; dots: the samples beyond. Kinds in order of mean RTT.',
  });
}

/**
 * TCP throughput over time per kind at one MTU, from the cells' runs (Flent's "combine"): each
 * kind's first tunnel, first repetition, forward direction.
 */
export function campaignThroughputOverTime(a: CampaignAnalysis, runs: readonly RunResults[], mtu: number, key: string, cond = 'none'): LineChart | EmptyChart {
  const [test, direction] = key.split(':');
  const tones = kindTones(a);
  const lines = cellsAt(a, mtu, cond).flatMap((c) => {
    const r = runs.find((x) => x.runId === c.runId);
    const p = r ? tunnelPaths(r)[0] : undefined;
    const t = r && p ? r.tests.filter((x) => x.pathId === p.id && x.test === test && x.direction === direction && x.throughput).sort((x, y) => x.repetition - y.repetition)[0] : undefined;
    return t ? [{ key: c.cell, label: c.label, tone: tones.get(c.label) ?? 0, test: t }] : [];
  });
  return throughputTimeFigure(lines, {
    id: `campaign:throughput:${key}@${mtu}${idUnder(cond)}`,
    title: `${testKeyLabel(key)} throughput over time per kind at MTU ${mtu}${under(cond)}`,
    empty: `No run of this campaign at MTU ${mtu}${under(cond)} has ${testKeyLabel(key)} reporting intervals.`,
    note: `Each kind's first tunnel, first repetition; intervals under ${MIN_INTERVAL_S} s are left out.`,
  });
}

/** The paper's figures for a campaign, MTU by MTU, then across MTUs. `runs` (the cells' results) add throughput over time. */
export function campaignFigures(a: CampaignAnalysis, runs: readonly RunResults[] = []): ChartSpec[] {
  const mtus = mtusOf(a);
  if (mtus.length === 0) return [empty('campaign', 'Campaign figures', 'No cell of the campaign has finished with results.')];
  const tcpKey = sortKeys(a.cells.flatMap((c) => Object.keys(c.throughput)).filter((k) => protocolOf(k) === 'tcp'))[0];
  const conds = condsOf(a);
  return [
    ...mtus.flatMap((m) => [
      ...conds.flatMap((k) => [
        campaignRttSorted(a, m, k),
        ...campaignRttClusters(a, m, k),
        campaignRttBoxplot(a, m, k),
        campaignBandwidth(a, m, 'tcp', k),
        campaignBandwidth(a, m, 'udp', k),
        ...campaignNetperf(a, m, k),
        campaignLatencyUnderLoad(a, m, k),
        campaignTransactions(a, m, k),
        campaignBidir(a, m, k),
        ...(runs.length && tcpKey ? [campaignThroughputOverTime(a, runs, m, tcpKey, k)] : []),
      ]),
      ...(conds.length > 1 ? campaignConditionsCompare(a, m) : []),
    ]),
    campaignRttByMtu(a),
    ...conds.flatMap((k) => campaignMtuCompare(a, k)),
  ];
}
