/**
 * The statistics of a run, from its test records alone: per path, RTT (mean, σ, percentiles,
 * RFC 3550 jitter, loss, a 95 % confidence interval of the mean — across repetitions when the
 * suite repeated, else across the samples), throughput per tool and direction (Mbit/s, with its
 * interval — across repetitions, else across the tool's reporting intervals), UDP loss and
 * jitter, netperf figures, CPU; per link, what the tunnel adds over the underlay between the
 * same hosts; and the tunnels grouped by mean RTT (ckmeans), as the paper does.
 */
import { clusterBy, describe, meanInterval, rfc3550Jitter, type Describe, type Interval } from '../stats/index.js';
import type { TestRecord } from './records.js';
import { metricsOfTest } from './tools/index.js';
import type { MeasuredPath } from './targets.js';

export interface Figure {
  readonly mean: number;
  readonly ci95?: Interval;
  /** The values the mean is of (one per repetition, or per reporting interval). */
  readonly values: readonly number[];
  readonly unit: string;
  /** What `values` are: repetitions or intervals of one test. */
  readonly over: 'repetitions' | 'intervals' | 'samples';
}

export interface RttSummary {
  readonly ms: Describe;
  readonly ci95?: Interval;
  readonly jitterMs?: number;
  readonly lossPercent: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly sent: number;
  readonly received: number;
}

export interface ThroughputSummary {
  readonly mbps: Figure;
  /** UDP: receiver's loss and jitter (means over repetitions). */
  readonly lossPercent?: number;
  readonly jitterMs?: number;
  readonly retransmits?: number;
  /** The tool's own CPU figures (% of a host's CPUs), client and server end. */
  readonly toolCpu?: { readonly local: number; readonly remote: number };
}

export interface NetperfSummary {
  readonly throughput: Figure;
  readonly units: string;
  readonly localCpu?: number;
  readonly remoteCpu?: number;
  readonly localSd?: number;
  readonly remoteSd?: number;
  readonly sdUnits?: string;
  readonly meanLatencyUs?: number;
}

export interface PathSummary {
  readonly pathId: string;
  readonly type: MeasuredPath['type'];
  readonly linkId?: string;
  readonly kind?: string;
  readonly rtt?: RttSummary;
  /** `<test>:<direction>` → figures, e.g. `iperf3-tcp:forward`. */
  readonly throughput: Readonly<Record<string, ThroughputSummary>>;
  readonly netperf: Readonly<Record<string, NetperfSummary>>;
  /**
   * Figures of tools that give `values` (tools/<tool>.ts declares their metrics): `<test>:<direction>`
   * → metric key → figure, across repetitions. Absent when no test gave any.
   */
  readonly metrics?: Readonly<Record<string, Readonly<Record<string, Figure>>>>;
  /** Busy % of each end's CPUs during this path's throughput tests (mean). */
  readonly cpu?: { readonly src?: number; readonly dst?: number };
  /** CPU busy % per Gbit/s moved (the cost of the tunnel's bandwidth), from the first TCP test: see CPU_PER_GBPS. */
  readonly cpuPerGbps?: number;
  readonly failures: readonly { readonly test: string; readonly error: string }[];
}

/** What a link's tunnel costs over the underlay between the same two hosts. */
export interface Relative {
  readonly linkId: string;
  readonly rttAddedMs?: number;
  /** Whether the two RTT intervals overlap: then the added RTT is not shown to be real. */
  readonly rttAddedSignificant?: boolean;
  /** `<test>:<direction>` → % of the underlay's throughput the tunnel kept. */
  readonly throughputKeptPercent: Readonly<Record<string, number>>;
}

/**
 * The smallest difference of mean RTT the measurement can resolve (ms): below it, two paths or
 * kinds are a tie. The larger of the spread between repeated runs of the same path and the
 * underlay's own spread. Absent when neither could be seen (one repetition, one underlay path).
 */
export interface NoiseFloor {
  readonly ms: number;
  /** Median over the paths of the range of their repetitions' mean RTT (the suite repeated). */
  readonly repetitionsMs?: number;
  /**
   * The underlay's own spread: in a run on one machine, the range of the underlay paths' mean RTT
   * (the same wire, so their differences are the machine's); in a campaign, the range of the cells'
   * baseline RTT (the same underlay measured in each cell's run).
   */
  readonly underlayMs?: number;
}

export interface RunSummary {
  readonly paths: Readonly<Record<string, PathSummary>>;
  readonly relative: Readonly<Record<string, Relative>>;
  /**
   * Tunnel paths grouped by mean RTT; groups closer than the noise floor are one, and `tie` says
   * its members lie within the floor of each other. Files written before the floor have neither.
   */
  readonly clusters: readonly { readonly mean: number; readonly sd: number; readonly min: number; readonly max: number; readonly pathIds: readonly string[]; readonly tie?: boolean }[];
  readonly noise?: NoiseFloor;
}

const mbps = (bps: number): number => bps / 1e6;

/**
 * What `PathSummary.cpuPerGbps` is, for every table that shows it: the busier end's busy share
 * of all its CPUs (%, from /proc/stat) during the path's first TCP test, divided by that test's
 * throughput in Gbit/s — percent of a host's CPUs per Gbit/s (%·s/Gbit). Not the bulk tool's
 * cores per Gbit/s (tools/cpu-cost.ts): multiply by the host's CPU count ÷ 100 to get that.
 */
export const CPU_PER_GBPS = {
  label: 'CPU per Gbit/s',
  unit: '% CPU per Gbit/s',
  /** A column header that states the unit. */
  header: 'CPU % per Gbit/s',
  explain: 'the busier end\'s busy share of all its CPUs during the first TCP test, divided by that test\'s throughput in Gbit/s',
} as const;

/**
 * A mean with its 95 % interval: across repetitions when there are several, else across the
 * one test's reporting intervals (its spread over time), centred on the test's own figure.
 */
function figure(values: number[], unit: string, intervals: number[] = []): Figure | undefined {
  if (values.length === 0) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length > 1) {
    const ci = meanInterval(values);
    return { mean, ...(ci ? { ci95: ci } : {}), values, unit, over: 'repetitions' };
  }
  const ci = meanInterval(intervals);
  if (ci) return { mean, ci95: { ...ci, low: mean - ci.halfWidth, high: mean + ci.halfWidth }, values: intervals, unit, over: 'intervals' };
  return { mean, values, unit, over: 'repetitions' };
}

function rttOf(records: readonly TestRecord[]): RttSummary | undefined {
  const pings = records.filter((r) => r.ping && r.ping.samples.length > 0);
  const all = records.filter((r) => r.ping);
  if (all.length === 0) return undefined;
  const samples = pings.flatMap((r) => r.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt));
  const ms = describe(samples);
  if (!ms) return undefined;
  const repMeans = pings.map((r) => {
    const xs = r.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  });
  const ci = repMeans.length > 1 ? meanInterval(repMeans) : meanInterval(samples);
  const jitters = pings.map((r) => rfc3550Jitter([...r.ping!.samples].filter((s) => !s.dup).sort((a, b) => a.seq - b.seq).map((s) => s.rtt))).filter((j): j is number => j !== undefined);
  const sent = all.reduce((n, r) => n + r.ping!.transmitted, 0);
  const received = all.reduce((n, r) => n + r.ping!.received, 0);
  return {
    ms,
    ...(ci ? { ci95: ci } : {}),
    ...(jitters.length ? { jitterMs: jitters.reduce((a, b) => a + b, 0) / jitters.length } : {}),
    lossPercent: sent > 0 ? (100 * (sent - received)) / sent : 100,
    duplicates: all.reduce((n, r) => n + r.ping!.duplicates, 0),
    reordered: all.reduce((n, r) => n + r.ping!.reordered, 0),
    sent,
    received,
  };
}

/** The receiver's rate when the tool gives it, else the sender's. */
const rateOf = (r: TestRecord): number | undefined => {
  const t = r.throughput!;
  const bps = t.received?.bitsPerSecond ?? t.sent?.bitsPerSecond;
  return bps !== undefined && !t.error ? mbps(bps) : undefined;
};

function throughputOf(records: readonly TestRecord[]): ThroughputSummary | undefined {
  const ok = records.filter((r) => r.throughput && rateOf(r) !== undefined);
  const values = ok.map((r) => rateOf(r)!);
  const intervals = ok.length === 1 ? ok[0]!.throughput!.intervals.filter((i) => i.end - i.start > 0.1).map((i) => mbps(i.bitsPerSecond)) : [];
  const f = figure(values, 'Mbit/s', intervals);
  if (!f) return undefined;
  const udp = ok.map((r) => r.throughput!.udp).filter((u) => u !== undefined);
  const avg = (xs: number[]): number | undefined => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const retrans = ok.map((r) => r.throughput!.sent?.retransmits).filter((x): x is number => x !== undefined);
  const cpus = ok.map((r) => r.throughput!.cpu).filter((c) => c !== undefined);
  const loss = avg(udp.map((u) => u.lostPercent));
  const jitter = avg(udp.map((u) => u.jitterMs));
  return {
    mbps: f,
    ...(loss !== undefined ? { lossPercent: loss } : {}),
    ...(jitter !== undefined ? { jitterMs: jitter } : {}),
    ...(retrans.length ? { retransmits: avg(retrans)! } : {}),
    ...(cpus.length ? { toolCpu: { local: avg(cpus.map((c) => c.local))!, remote: avg(cpus.map((c) => c.remote))! } } : {}),
  };
}

function netperfOf(records: readonly TestRecord[]): NetperfSummary | undefined {
  const ok = records.filter((r) => r.netperf && !r.netperf.error);
  const f = figure(ok.map((r) => r.netperf!.throughput), ok[0]?.netperf!.units ?? '');
  if (!f) return undefined;
  const avg = (k: 'localCpu' | 'remoteCpu' | 'localSd' | 'remoteSd' | 'meanLatencyUs'): number | undefined => {
    const xs = ok.map((r) => r.netperf![k]).filter((x): x is number => x !== undefined);
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
  };
  const opt = (k: 'localCpu' | 'remoteCpu' | 'localSd' | 'remoteSd' | 'meanLatencyUs') => (avg(k) !== undefined ? { [k]: avg(k)! } : {});
  return { throughput: f, units: f.unit, ...opt('localCpu'), ...opt('remoteCpu'), ...opt('localSd'), ...opt('remoteSd'), ...opt('meanLatencyUs'), ...(ok[0]!.netperf!.sdUnits ? { sdUnits: ok[0]!.netperf!.sdUnits } : {}) };
}

/** Each `<test>:<direction>`'s declared metrics (else every key its records give), across repetitions. */
function metricsOf(records: readonly TestRecord[]): Record<string, Record<string, Figure>> {
  const out: Record<string, Record<string, Figure>> = {};
  const byKey = new Map<string, TestRecord[]>();
  for (const r of records.filter((x) => x.values && !x.error)) byKey.set(`${r.test}:${r.direction}`, [...(byKey.get(`${r.test}:${r.direction}`) ?? []), r]);
  for (const [k, rs] of byKey) {
    const declared = metricsOfTest(rs[0]!.test);
    const keys = declared.length ? declared.map((m) => m.key) : [...new Set(rs.flatMap((r) => Object.keys(r.values!)))];
    const figs: Record<string, Figure> = {};
    for (const key of keys) {
      const f = figure(rs.map((r) => r.values![key]).filter((x): x is number => x !== undefined && Number.isFinite(x)), declared.find((m) => m.key === key)?.unit ?? '');
      if (f) figs[key] = f;
    }
    if (Object.keys(figs).length) out[k] = figs;
  }
  return out;
}

export function summarisePath(path: MeasuredPath, records: readonly TestRecord[]): PathSummary {
  const mine = records.filter((r) => r.pathId === path.id);
  const byKey = new Map<string, TestRecord[]>();
  for (const r of mine) {
    if (!r.throughput) continue;
    const k = `${r.test}:${r.direction}`;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  const throughput: Record<string, ThroughputSummary> = {};
  for (const [k, rs] of byKey) {
    const s = throughputOf(rs);
    if (s) throughput[k] = s;
  }
  const netperf: Record<string, NetperfSummary> = {};
  for (const test of new Set(mine.filter((r) => r.netperf).map((r) => r.test))) {
    const s = netperfOf(mine.filter((r) => r.test === test));
    if (s) netperf[test] = s;
  }
  const cpuRecs = mine.filter((r) => r.cpu);
  const avg = (xs: number[]): number | undefined => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const src = avg(cpuRecs.map((r) => r.cpu?.src?.busyPercent).filter((x): x is number => x !== undefined));
  const dst = avg(cpuRecs.map((r) => r.cpu?.dst?.busyPercent).filter((x): x is number => x !== undefined));
  // CPU per Gbit/s: the busy share during the first TCP test over the rate it moved.
  const tcp = mine.find((r) => r.throughput?.protocol === 'tcp' && r.cpu && rateOf(r));
  const cpuPerGbps = tcp && tcp.cpu?.src ? (Math.max(tcp.cpu.src.busyPercent, tcp.cpu.dst?.busyPercent ?? 0) / (rateOf(tcp)! / 1000)) : undefined;
  const rtt = rttOf(mine);
  const metrics = metricsOf(mine);
  return {
    pathId: path.id,
    type: path.type,
    ...(path.linkId ? { linkId: path.linkId } : {}),
    ...(path.kind ? { kind: path.kind } : {}),
    ...(rtt ? { rtt } : {}),
    throughput,
    netperf,
    ...(Object.keys(metrics).length ? { metrics } : {}),
    ...(src !== undefined || dst !== undefined ? { cpu: { ...(src !== undefined ? { src } : {}), ...(dst !== undefined ? { dst } : {}) } } : {}),
    ...(cpuPerGbps !== undefined && Number.isFinite(cpuPerGbps) ? { cpuPerGbps } : {}),
    failures: mine.filter((r) => r.error).map((r) => ({ test: `${r.test}:${r.direction}#${r.repetition}`, error: r.error! })),
  };
}

/** How a tunnel's figure is set against its underlay baseline's: what it adds, the share of it it keeps, or the multiple it costs. */
export type RelativeHow = 'difference' | 'percent' | 'ratio';

/** A figure with its 95 % interval where it has one (the views' Value). */
export interface Bounded {
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
}

/**
 * A tunnel's figure against its underlay baseline's, its interval shifted or scaled with it.
 * The one place "relative to the underlay" is computed: this summary's `relative`, the
 * heatmap, the matrix and the links table all come through here. Undefined where either figure
 * is missing, or a share or multiple of a baseline that is not above zero.
 */
export function relativeTo(how: RelativeHow, tunnel: Bounded | undefined, underlay: Bounded | undefined): Bounded | undefined {
  if (!tunnel || !underlay) return undefined;
  const interval = tunnel.low !== undefined && tunnel.high !== undefined;
  if (how === 'difference') return { value: tunnel.value - underlay.value, ...(interval ? { low: tunnel.low! - underlay.value, high: tunnel.high! - underlay.value } : {}) };
  if (underlay.value <= 0) return undefined;
  const k = how === 'percent' ? 100 : 1;
  return { value: (k * tunnel.value) / underlay.value, ...(interval ? { low: (k * tunnel.low!) / underlay.value, high: (k * tunnel.high!) / underlay.value } : {}) };
}

/** The baseline a link's tunnel is set against: the underlay between the same hosts; for clean (no tunnel: its path is the underlay) the path itself, which adds nothing to itself. */
export const baselineOf = <T>(tunnel: T | undefined, underlay: T | undefined, clean: boolean): T | undefined => (clean ? tunnel : underlay);

const median = (xs: readonly number[]): number | undefined => {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const range = (xs: readonly number[]): number | undefined => (xs.length > 1 ? Math.max(...xs) - Math.min(...xs) : undefined);

/** The larger of the parts given, or undefined when there is none. */
export function noiseFloor(repetitionsMs: number | undefined, underlayMs: number | undefined): NoiseFloor | undefined {
  const parts = [repetitionsMs, underlayMs].filter((x): x is number => x !== undefined);
  if (!parts.length) return undefined;
  return { ms: Math.max(...parts), ...(repetitionsMs !== undefined ? { repetitionsMs } : {}), ...(underlayMs !== undefined ? { underlayMs } : {}) };
}

/**
 * A run's noise floor for mean RTT (see NoiseFloor). `sameWire`: every host on one machine (the
 * embedded lab), so the underlay paths are one wire and their spread is noise; on real hosts
 * underlay paths may differ for real, and only repetitions count.
 */
export function runNoise(paths: readonly MeasuredPath[], records: readonly TestRecord[], sameWire: boolean): NoiseFloor | undefined {
  const reps: number[] = [];
  for (const p of paths) {
    const means = records
      .filter((r) => r.pathId === p.id && r.ping)
      .map((r) => r.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt))
      .filter((xs) => xs.length > 0)
      .map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
    const r = range(means);
    if (r !== undefined) reps.push(r);
  }
  const under = sameWire
    ? range(paths.filter((p) => p.type === 'underlay').map((p) => rttOf(records.filter((r) => r.pathId === p.id))?.ms.mean).filter((x): x is number => x !== undefined))
    : undefined;
  return noiseFloor(median(reps), under);
}

export function analyse(paths: readonly MeasuredPath[], records: readonly TestRecord[], opts: { sameWire?: boolean } = {}): RunSummary {
  const summaries: Record<string, PathSummary> = {};
  for (const p of paths) summaries[p.id] = summarisePath(p, records);
  const relative: Record<string, Relative> = {};
  for (const p of paths.filter((x) => x.type === 'tunnel' && x.linkId)) {
    const t = summaries[p.id]!;
    const base = baselineOf(t, summaries[`${p.linkId}.underlay`], p.kind === 'clean');
    if (!base) continue;
    const kept: Record<string, number> = {};
    for (const [k, s] of Object.entries(t.throughput)) {
      const b = base.throughput[k];
      const v = b ? relativeTo('percent', { value: s.mbps.mean }, { value: b.mbps.mean }) : undefined;
      if (v) kept[k] = v.value;
    }
    const added = t.rtt && base.rtt ? relativeTo('difference', { value: t.rtt.ms.mean }, { value: base.rtt.ms.mean })!.value : undefined;
    const overlap = t.rtt?.ci95 && base.rtt?.ci95 ? t.rtt.ci95.low <= base.rtt.ci95.high && base.rtt.ci95.low <= t.rtt.ci95.high : undefined;
    relative[p.linkId!] = { linkId: p.linkId!, ...(added !== undefined ? { rttAddedMs: added } : {}), ...(overlap !== undefined ? { rttAddedSignificant: !overlap } : {}), throughputKeptPercent: kept };
  }
  const withRtt = paths.filter((p) => p.type === 'tunnel' && summaries[p.id]!.rtt);
  const noise = runNoise(paths, records, opts.sameWire ?? false);
  const { clusters } = clusterBy(withRtt, (p) => summaries[p.id]!.rtt!.ms.mean, noise ? { noise: noise.ms } : {});
  return {
    paths: summaries,
    relative,
    clusters: clusters.map((c) => ({ mean: c.mean, sd: c.sd, min: c.min, max: c.max, pathIds: c.members.map((m) => m.id), ...(c.tie !== undefined ? { tie: c.tie } : {}) })),
    ...(noise ? { noise } : {}),
  };
}
