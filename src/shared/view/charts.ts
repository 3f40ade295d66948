/**
 * The charts of a run and of a campaign — per link (RTT over time, its histogram with a density
 * curve, its CDF, throughput over time, CPU) and the paper's figures (Gentile et al. 2024:
 * sorted mean RTT with 95 % intervals, Fig. 7; RTT distributions by cluster, Figs. 8–13;
 * TCP/UDP bandwidth, Figs. 14–15 and 19–20; netperf, Figs. 17–18 and 21–22; RTT against MTU,
 * Fig. 16; MTU 1500 beside 9000; box plots) — as small library-neutral specs. Pure functions of
 * results.json (and a campaign's analysis): the renderer draws them with chart.js, the report
 * prints the same specs. Every chart, category and series is keyed by link, path or cell id.
 *
 * Invariants of a spec: units sit in the axis (`unit`), never in the numbers; a chart the data
 * cannot give is a `kind: 'empty'` spec that says why, never a chart of zeros; `tone` is an index
 * into the renderer's categorical palette, chosen so that one kind, path or direction keeps its
 * colour across the charts of one view.
 */
import { quantileSorted } from 'simple-statistics';
import type { CampaignAnalysis, KindFigures } from '../measure/campaign.js';
import type { Direction, RunResults, TestRecord } from '../measure/results.js';
import type { MeasuredPath } from '../measure/targets.js';
import { cdf, density, describe, histogram } from '../stats/index.js';
import { runConditions, runConditionsText } from './conditions.js';
import { figuresOfRun, valueOf, type Metric } from './metrics.js';

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
  const id = `link:${linkId}:throughput:${key}`;
  const title = `${testKeyLabel(key)} throughput over time — ${linkName(r, linkId)}`;
  const series: XYSeries[] = [];
  for (const p of linkPaths(r, linkId)) {
    const tests = r.tests.filter((t) => t.pathId === p.id && t.test === test && t.direction === direction && t.throughput && t.throughput.intervals.length > 0).sort((a, b) => a.repetition - b.repetition);
    for (const t of tests) {
      const points = t.throughput!.intervals.filter((i) => i.end - i.start > MIN_INTERVAL_S).map((i) => ({ x: (i.start + i.end) / 2, y: mbps(i.bitsPerSecond) }));
      if (points.length === 0) continue;
      series.push({ key: `${p.id}#${t.repetition}`, label: tests.length > 1 ? `${pathRole(p)} #${t.repetition}` : pathRole(p), tone: series.length, style: p.type === 'underlay' ? 'dashed' : 'line', points });
    }
  }
  if (series.length === 0) return empty(id, title, `The run has no ${testKeyLabel(key)} reporting intervals on this link.`);
  return { kind: 'line', id, title, x: { label: 'Time since the test started (interval midpoint)', unit: 's', zero: true }, y: MBPS, series, note: `Each point is one reporting interval; intervals under ${MIN_INTERVAL_S} s (the tool's trailing fragment) are left out.` };
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

/** Fig. 7: mean RTT of each tunnel path, sorted, with its 95 % interval from the run's summary. */
export function runRttSorted(r: RunResults): BarChart | EmptyChart {
  const id = 'run:rtt-sorted';
  const title = 'Mean RTT per tunnel, sorted (cf. paper Fig. 7)';
  const rows = tunnelPaths(r).map((p) => ({ p, s: r.summary.paths[p.id]?.rtt })).filter((x) => x.s).sort((a, b) => a.s!.ms.mean - b.s!.ms.mean);
  if (rows.length === 0) return empty(id, title, 'The run measured no RTT on a tunnel.');
  return {
    kind: 'bar',
    id,
    title,
    x: { label: 'Tunnel' },
    y: MS,
    categories: rows.map(({ p }) => ({ id: p.id, label: pathLabel(p) })),
    series: [{ key: 'rtt', label: 'Mean RTT', tone: 0, values: rows.map(({ p, s }) => ({ value: s!.ms.mean, ...(s!.ci95 ? { low: s!.ci95.low, high: s!.ci95.high } : {}), ref: p.id })) }],
    note: 'Error bars: 95 % confidence interval of the mean (Student t; across repetitions when the suite repeated, else across samples).',
  };
}

/** Figs. 8–13: the RTT distributions of the tunnels of each cluster (ckmeans on mean RTT), with the cluster's μ and σ over all its samples. */
export function runRttClusters(r: RunResults): (LineChart | EmptyChart)[] {
  const clusters = r.summary.clusters;
  if (clusters.length === 0) return [empty('run:rtt-cluster', 'RTT distributions by cluster (cf. paper Figs. 8–13)', 'The run measured no RTT on a tunnel.')];
  return clusters.map((c, i) => {
    const id = `run:rtt-cluster:${i + 1}`;
    const members = c.pathIds.map((pid) => ({ p: r.paths.find((x) => x.id === pid), xs: pathRtts(r, pid), pid }));
    const pooled = describe(members.flatMap((m) => m.xs));
    const title = `Cluster ${i + 1} of ${clusters.length}: RTT distributions (cf. paper Figs. 8–13)`;
    const series = members.map((m) => densitySeries(m.pid, m.p ? pathLabel(m.p) : m.pid, linkTone(r, m.p?.linkId), m.xs)).filter((s): s is XYSeries => s !== undefined);
    if (!pooled || series.length === 0) return empty(id, title, 'Too few distinct RTT values in this cluster for a density curve.');
    return {
      kind: 'line',
      id,
      title,
      subtitle: `μ = ${fmt(pooled.mean)} ms, σ = ${fmt(pooled.sd)} ms over ${pooled.n} samples of ${members.length} tunnel${members.length > 1 ? 's' : ''}${c.tie && r.summary.noise ? ` — tie: within noise ±${fmt(r.summary.noise.ms)} ms` : ''}`,
      stats: { n: pooled.n, mean: pooled.mean, sd: pooled.sd },
      x: MS,
      y: { label: 'Density', unit: '1/ms', zero: true },
      series,
      note: `Gaussian kernel density estimates (Silverman bandwidth); tunnels grouped by mean RTT with optimal 1-D k-means, ${r.summary.noise ? `groups closer than the noise floor (${fmt(r.summary.noise.ms)} ms: spread between repetitions and of the underlay) kept as one` : 'no noise floor (repeat the suite to judge separation)'}.`,
    };
  });
}

/** Figs. 14–15 / 19–20: TCP or UDP bandwidth per tunnel, a bar per test and direction, with 95 % intervals from the summary. */
export function runBandwidth(r: RunResults, protocol: 'tcp' | 'udp'): BarChart | EmptyChart {
  const id = `run:bandwidth:${protocol}`;
  const title = `${protocol.toUpperCase()} bandwidth per tunnel (cf. paper Figs. ${protocol === 'tcp' ? '14, 19' : '15, 20'})`;
  const paths = tunnelPaths(r);
  const keys = sortKeys(paths.flatMap((p) => Object.keys(r.summary.paths[p.id]?.throughput ?? {})).filter((k) => protocolOf(k) === protocol));
  const rows = paths.filter((p) => keys.some((k) => r.summary.paths[p.id]?.throughput[k]));
  if (rows.length === 0) return empty(id, title, `The run has no ${protocol.toUpperCase()} throughput figure on a tunnel.`);
  return {
    kind: 'bar',
    id,
    title,
    x: { label: 'Tunnel' },
    y: MBPS,
    categories: rows.map((p) => ({ id: p.id, label: pathLabel(p) })),
    series: keys.map((k, i) => ({
      key: k,
      label: testKeyLabel(k),
      tone: i,
      values: rows.map((p) => {
        const f = r.summary.paths[p.id]?.throughput[k]?.mbps;
        return f ? { value: f.mean, ...(f.ci95 ? { low: f.ci95.low, high: f.ci95.high } : {}), ref: p.id } : null;
      }),
    })),
    note: 'Receiver\'s rate. Error bars: 95 % interval across repetitions, or across one test\'s reporting intervals.',
  };
}

/** Figs. 17–18 / 21–22: netperf throughput per tunnel, a chart per netperf test. */
export function runNetperf(r: RunResults): (BarChart | EmptyChart)[] {
  const paths = tunnelPaths(r);
  const tests = [...new Set(paths.flatMap((p) => Object.keys(r.summary.paths[p.id]?.netperf ?? {})))].sort();
  if (tests.length === 0) return [empty('run:netperf', 'netperf throughput per tunnel (cf. paper Figs. 17–18, 21–22)', 'The run has no netperf test.')];
  return tests.map((test) => {
    const rows = paths.filter((p) => r.summary.paths[p.id]?.netperf[test]);
    const unit = netperfUnit(r.summary.paths[rows[0]!.id]!.netperf[test]!.units);
    return {
      kind: 'bar',
      id: `run:netperf:${test}`,
      title: `netperf ${test.replace(/^netperf-/, '').toUpperCase()} per tunnel (cf. paper Figs. 17–18, 21–22)`,
      x: { label: 'Tunnel' },
      y: { label: 'Throughput', unit, zero: true },
      categories: rows.map((p) => ({ id: p.id, label: pathLabel(p) })),
      series: [{
        key: test,
        label: 'netperf',
        tone: 0,
        values: rows.map((p) => {
          const f = r.summary.paths[p.id]!.netperf[test]!.throughput;
          return { value: f.mean, ...(f.ci95 ? { low: f.ci95.low, high: f.ci95.high } : {}), ref: p.id };
        }),
      }],
    };
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
  return {
    kind: 'scatter',
    id,
    title,
    x: { label: 'Tunnel MTU', unit: 'bytes' },
    y: MS,
    series: kinds.map((k, i) => ({
      key: k,
      label: k,
      tone: i,
      style: 'points',
      points: rows.filter((p) => (p.kind ?? 'tunnel') === k).map((p) => {
        const s = r.summary.paths[p.id]!.rtt!;
        return { x: p.mtu!, y: s.ms.mean, ...(s.ci95 ? { low: s.ci95.low, high: s.ci95.high } : {}) };
      }),
    })),
  };
}

/** Box plots of RTT per tunnel path (and its underlay, where measured). */
export function runRttBoxplot(r: RunResults): BoxplotChart | EmptyChart {
  const id = 'run:rtt-box';
  const title = 'RTT per tunnel — box plots';
  const rows = tunnelPaths(r).map((p) => ({ p, box: boxOf(pathRtts(r, p.id), p.id), under: r.paths.find((u) => u.type === 'underlay' && u.linkId === p.linkId) })).filter((x) => x.box);
  if (rows.length === 0) return empty(id, title, 'The run measured no RTT on a tunnel.');
  const under = rows.map(({ under: u }) => (u ? (boxOf(pathRtts(r, u.id), u.id) ?? null) : null));
  return {
    kind: 'boxplot',
    id,
    title,
    x: { label: 'Tunnel' },
    y: MS,
    categories: rows.map(({ p }) => ({ id: p.id, label: pathLabel(p) })),
    series: [
      { key: 'tunnel', label: 'tunnel', tone: 0, boxes: rows.map(({ box }) => box!) },
      ...(under.some((b) => b) ? [{ key: 'underlay', label: 'underlay (same hosts)', tone: 1, boxes: under }] : []),
    ],
    note: 'Boxes: quartiles; whiskers: furthest samples within 1.5 IQR; dots: the samples beyond.',
  };
}

/** The paper's figures for one run. */
export function runFigures(r: RunResults): ChartSpec[] {
  return [runRttSorted(r), ...runRttClusters(r), runRttBoxplot(r), runBandwidth(r, 'tcp'), runBandwidth(r, 'udp'), ...runNetperf(r), runRttByMtu(r)];
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
const cellCategory = (c: KindFigures): Category => ({ id: c.cell, label: c.label });

/** Fig. 7 at one MTU: the kinds in the analysis' sorted order, mean RTT with its 95 % interval. */
export function campaignRttSorted(a: CampaignAnalysis, mtu: number, cond = 'none'): BarChart | EmptyChart {
  const id = `campaign:rtt-sorted@${mtu}${idUnder(cond)}`;
  const title = `Mean RTT per kind at MTU ${mtu}${under(cond)}, sorted (cf. paper Fig. 7)`;
  const order = groupOf(a, mtu, cond)?.sorted ?? [];
  const rows = order.map((cid) => a.cells.find((c) => c.cell === cid)).filter((c): c is KindFigures => c?.rtt !== undefined);
  if (rows.length === 0) return empty(id, title, `No kind measured RTT at MTU ${mtu}${under(cond)}.`);
  return {
    kind: 'bar',
    id,
    title,
    x: { label: 'Tunnel kind' },
    y: MS,
    categories: rows.map(cellCategory),
    series: [{ key: 'rtt', label: 'Mean RTT', tone: 0, values: rows.map((c) => ({ value: c.rtt!.mean, ...(c.rtt!.ci95 ? { low: c.rtt!.ci95.low, high: c.rtt!.ci95.high } : {}), ref: c.cell })) }],
    note: 'Error bars: 95 % confidence interval of the mean over every RTT sample of the kind\'s tunnels.',
  };
}

/** Figs. 8–13 at one MTU: the RTT distribution of each kind of a cluster, with the cluster's μ and σ from the analysis. */
export function campaignRttClusters(a: CampaignAnalysis, mtu: number, cond = 'none'): (LineChart | EmptyChart)[] {
  const at = groupOf(a, mtu, cond);
  const tones = kindTones(a);
  if (!at || at.clusters.length === 0) return [empty(`campaign:rtt-cluster@${mtu}${idUnder(cond)}`, `RTT distributions by cluster at MTU ${mtu}${under(cond)} (cf. paper Figs. 8–13)`, `No kind measured RTT at MTU ${mtu}${under(cond)}.`)];
  return at.clusters.map((k, i) => {
    const id = `campaign:rtt-cluster@${mtu}${idUnder(cond)}:${i + 1}`;
    const title = `Cluster ${i + 1} of ${at.clusters.length} at MTU ${mtu}${under(cond)}: RTT distributions (cf. paper Figs. 8–13)`;
    const cells = k.cells.map((cid) => a.cells.find((c) => c.cell === cid)).filter((c): c is KindFigures => c !== undefined);
    const series = cells.map((c) => densitySeries(c.cell, c.label, tones.get(c.label) ?? 0, c.rttSamples)).filter((s): s is XYSeries => s !== undefined);
    if (series.length === 0) return empty(id, title, 'Too few distinct RTT values in this cluster for a density curve.');
    return {
      kind: 'line',
      id,
      title,
      subtitle: `${cells.map((c) => c.label).join(', ')}: μ = ${fmt(k.mean)} ms, σ = ${fmt(k.sd)} ms${k.tie && at.noise ? ` — tie: within noise ±${fmt(at.noise.ms)} ms` : ''}`,
      stats: { mean: k.mean, sd: k.sd },
      x: MS,
      y: { label: 'Density', unit: '1/ms', zero: true },
      series,
      note: `Gaussian kernel density estimates (Silverman bandwidth) of every RTT sample of each kind; μ and σ pool the cluster's samples; ${at.noise ? `kinds closer than the noise floor (${fmt(at.noise.ms)} ms: spread of the cells' underlay baselines and repetitions) share a cluster` : 'no noise floor'}.`,
    };
  });
}

/** Figs. 14–15 / 19–20 at one MTU: TCP or UDP bandwidth per kind, a bar per test and direction. */
export function campaignBandwidth(a: CampaignAnalysis, mtu: number, protocol: 'tcp' | 'udp', cond = 'none'): BarChart | EmptyChart {
  const id = `campaign:bandwidth:${protocol}@${mtu}${idUnder(cond)}`;
  const title = `${protocol.toUpperCase()} bandwidth per kind at MTU ${mtu}${under(cond)} (cf. paper Figs. ${protocol === 'tcp' ? '14, 19' : '15, 20'})`;
  const cells = cellsAt(a, mtu, cond);
  const keys = sortKeys(cells.flatMap((c) => Object.keys(c.throughput)).filter((k) => protocolOf(k) === protocol));
  const rows = cells.filter((c) => keys.some((k) => c.throughput[k]));
  if (rows.length === 0) return empty(id, title, `No kind has a ${protocol.toUpperCase()} throughput figure at MTU ${mtu}${under(cond)}.`);
  return {
    kind: 'bar',
    id,
    title,
    x: { label: 'Tunnel kind' },
    y: MBPS,
    categories: rows.map(cellCategory),
    series: keys.map((k, i) => ({
      key: k,
      label: testKeyLabel(k),
      tone: i,
      values: rows.map((c) => {
        const f = c.throughput[k];
        return f ? { value: f.mean, ...(f.ci95 ? { low: f.ci95.low, high: f.ci95.high } : {}), ref: c.cell } : null;
      }),
    })),
    note: 'Mean over the kind\'s tunnels. Error bars: 95 % interval across tunnels, or across one tunnel\'s repetitions or reporting intervals.',
  };
}

/** Figs. 17–18 / 21–22 at one MTU: netperf throughput per kind, a chart per netperf test. */
export function campaignNetperf(a: CampaignAnalysis, mtu: number, cond = 'none'): (BarChart | EmptyChart)[] {
  const cells = cellsAt(a, mtu, cond);
  const tests = [...new Set(cells.flatMap((c) => Object.keys(c.netperf)))].sort();
  if (tests.length === 0) return [empty(`campaign:netperf@${mtu}${idUnder(cond)}`, `netperf throughput per kind at MTU ${mtu}${under(cond)} (cf. paper Figs. 17–18, 21–22)`, 'The campaign\'s suite has no netperf test.')];
  return tests.map((test) => {
    const rows = cells.filter((c) => c.netperf[test]);
    return {
      kind: 'bar',
      id: `campaign:netperf:${test}@${mtu}${idUnder(cond)}`,
      title: `netperf ${test.replace(/^netperf-/, '').toUpperCase()} per kind at MTU ${mtu}${under(cond)} (cf. paper Figs. 17–18, 21–22)`,
      x: { label: 'Tunnel kind' },
      y: { label: 'Throughput', unit: netperfUnit(rows[0]!.netperf[test]!.units), zero: true },
      categories: rows.map(cellCategory),
      series: [{ key: test, label: 'netperf', tone: 0, values: rows.map((c) => ({ value: c.netperf[test]!.throughput, ref: c.cell })) }],
    };
  });
}

/** Fig. 16: mean RTT of each kind against the underlay MTU; needs two MTUs or more. */
export function campaignRttByMtu(a: CampaignAnalysis): LineChart | EmptyChart {
  const id = 'campaign:rtt-mtu';
  const title = 'RTT against underlay MTU (cf. paper Fig. 16)';
  const mtus = mtusOf(a);
  if (mtus.length < 2) return empty(id, title, `The campaign ran at one MTU only (${mtus[0] ?? 'none'}).`);
  const tones = kindTones(a);
  const conds = condsOf(a);
  const series = conds.flatMap((cond, ci) =>
    [...tones.keys()].map((label): XYSeries => ({
      key: `${label}${idUnder(cond)}`,
      label: `${label}${under(cond)}`,
      tone: tones.get(label)! + ci * tones.size,
      style: 'line',
      points: a.cells.filter((c) => c.label === label && (c.conditions ?? 'none') === cond && c.rtt).sort((x, y) => x.mtu - y.mtu).map((c) => ({ x: c.mtu, y: c.rtt!.mean, ...(c.rtt!.ci95 ? { low: c.rtt!.ci95.low, high: c.rtt!.ci95.high } : {}) })),
    })),
  ).filter((s) => s.points.length > 0);
  if (series.length === 0) return empty(id, title, 'No kind measured RTT.');
  return { kind: 'line', id, title, x: { label: 'Underlay MTU', unit: 'bytes' }, y: MS, series };
}

type Figure = { mean: number; ci95?: { low: number; high: number } };
const rttFigure = (c: KindFigures): Figure | undefined => (c.rtt ? { mean: c.rtt.mean, ...(c.rtt.ci95 ? { ci95: c.rtt.ci95 } : {}) } : undefined);

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
          return c && f ? { value: f.mean, ...(f.ci95 ? { low: f.ci95.low, high: f.ci95.high } : {}), ref: c.cell } : null;
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
  const id = `campaign:rtt-box@${mtu}${idUnder(cond)}`;
  const title = `RTT per kind at MTU ${mtu}${under(cond)} — box plots`;
  const order = groupOf(a, mtu, cond)?.sorted ?? [];
  const rows = order.map((cid) => a.cells.find((c) => c.cell === cid)).filter((c): c is KindFigures => c !== undefined && c.rttSamples.length > 0);
  if (rows.length === 0) return empty(id, title, `No kind measured RTT at MTU ${mtu}${under(cond)}.`);
  return {
    kind: 'boxplot',
    id,
    title,
    x: { label: 'Tunnel kind' },
    y: MS,
    categories: rows.map(cellCategory),
    series: [{ key: 'rtt', label: 'RTT', tone: 0, boxes: rows.map((c) => boxOf(c.rttSamples, c.cell)!) }],
    note: 'Boxes: quartiles; whiskers: furthest samples within 1.5 IQR; dots: the samples beyond. Kinds in order of mean RTT.',
  };
}

/**
 * TCP throughput over time per kind at one MTU, from the cells' runs (Flent's "combine"): each
 * kind's first tunnel, first repetition, forward direction.
 */
export function campaignThroughputOverTime(a: CampaignAnalysis, runs: readonly RunResults[], mtu: number, key: string, cond = 'none'): LineChart | EmptyChart {
  const id = `campaign:throughput:${key}@${mtu}${idUnder(cond)}`;
  const title = `${testKeyLabel(key)} throughput over time per kind at MTU ${mtu}${under(cond)}`;
  const [test, direction] = key.split(':');
  const tones = kindTones(a);
  const series: XYSeries[] = [];
  for (const c of cellsAt(a, mtu, cond)) {
    const r = runs.find((x) => x.runId === c.runId);
    const p = r ? tunnelPaths(r)[0] : undefined;
    const t = r && p ? r.tests.filter((x) => x.pathId === p.id && x.test === test && x.direction === direction && x.throughput).sort((x, y) => x.repetition - y.repetition)[0] : undefined;
    const points = t ? t.throughput!.intervals.filter((i) => i.end - i.start > MIN_INTERVAL_S).map((i) => ({ x: (i.start + i.end) / 2, y: mbps(i.bitsPerSecond) })) : [];
    if (points.length) series.push({ key: c.cell, label: c.label, tone: tones.get(c.label) ?? 0, style: 'line', points });
  }
  if (series.length === 0) return empty(id, title, `No run of this campaign at MTU ${mtu}${under(cond)} has ${testKeyLabel(key)} reporting intervals.`);
  return { kind: 'line', id, title, x: { label: 'Time since the test started (interval midpoint)', unit: 's', zero: true }, y: MBPS, series, note: `Each kind's first tunnel, first repetition; intervals under ${MIN_INTERVAL_S} s are left out.` };
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
        ...(runs.length && tcpKey ? [campaignThroughputOverTime(a, runs, m, tcpKey, k)] : []),
      ]),
      ...(conds.length > 1 ? campaignConditionsCompare(a, m) : []),
    ]),
    campaignRttByMtu(a),
    ...conds.flatMap((k) => campaignMtuCompare(a, k)),
  ];
}
