/**
 * The metrics a heatmap, the matrix and the run comparison can show, and each path's figures
 * for them — from a run's summary (the whole run) or from its test records up to one moment
 * (the replay). Pure: a function of results.json.
 */
import { describe, meanInterval, rfc3550Jitter } from '../stats/index.js';
import { baselineOf, CPU_PER_GBPS, relativeTo } from '../measure/analyse.js';
import { figuresOfPaths, type PathFigures, type Value } from '../measure/figures.js';
import type { Direction, RunResults, TestRecord } from '../measure/results.js';

export type { PathFigures, Value } from '../measure/figures.js';

export const METRIC_IDS = ['rtt-mean', 'rtt-p95', 'jitter', 'loss', 'tcp', 'udp', 'udp-loss', 'cpu-per-gbps'] as const;
export type Metric = (typeof METRIC_IDS)[number];

export interface MetricInfo {
  readonly id: Metric;
  readonly label: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  /** A figure per direction of a link (throughput tests run both ways; ping is a round trip). */
  readonly directional: boolean;
  /** The scale starts at zero (ratios: rates, shares), else at the smallest figure. */
  readonly zero: boolean;
  /** What the tunnel adds over the underlay between the same hosts. */
  readonly relative: { readonly label: string; readonly unit: string; readonly better: 'lower' | 'higher'; readonly how: 'difference' | 'percent' | 'ratio'; readonly zero: boolean };
}

const added = (label: string, unit: string) => ({ label, unit, better: 'lower' as const, how: 'difference' as const, zero: false });
const kept = (label: string) => ({ label, unit: '% of underlay', better: 'higher' as const, how: 'percent' as const, zero: true });

export const METRICS: Readonly<Record<Metric, MetricInfo>> = {
  'rtt-mean': { id: 'rtt-mean', label: 'RTT mean', unit: 'ms', better: 'lower', directional: false, zero: false, relative: added('RTT added', 'ms') },
  'rtt-p95': { id: 'rtt-p95', label: 'RTT p95', unit: 'ms', better: 'lower', directional: false, zero: false, relative: added('RTT p95 added', 'ms') },
  jitter: { id: 'jitter', label: 'Jitter (RFC 3550)', unit: 'ms', better: 'lower', directional: false, zero: true, relative: added('Jitter added', 'ms') },
  loss: { id: 'loss', label: 'Ping loss', unit: '%', better: 'lower', directional: false, zero: true, relative: added('Ping loss added', 'points') },
  tcp: { id: 'tcp', label: 'TCP throughput', unit: 'Mbit/s', better: 'higher', directional: true, zero: true, relative: kept('TCP throughput kept') },
  udp: { id: 'udp', label: 'UDP throughput', unit: 'Mbit/s', better: 'higher', directional: true, zero: true, relative: kept('UDP throughput kept') },
  'udp-loss': { id: 'udp-loss', label: 'UDP loss', unit: '%', better: 'lower', directional: true, zero: true, relative: added('UDP loss added', 'points') },
  'cpu-per-gbps': { id: 'cpu-per-gbps', label: CPU_PER_GBPS.label, unit: CPU_PER_GBPS.unit, better: 'lower', directional: false, zero: true, relative: { label: 'CPU per Gbit/s against the underlay', unit: '× underlay', better: 'lower', how: 'ratio', zero: true } },
};

/** The figures of the metric on a path (and direction, for directional metrics). */
export function valueOf(f: PathFigures | undefined, metric: Metric, d: Direction = 'forward'): Value | undefined {
  if (!f) return undefined;
  switch (metric) {
    case 'rtt-mean':
      return f.rttMean;
    case 'rtt-p95':
      return f.rttP95;
    case 'jitter':
      return f.jitter;
    case 'loss':
      return f.loss;
    case 'tcp':
      return f.rate[`tcp:${d}`];
    case 'udp':
      return f.rate[`udp:${d}`];
    case 'udp-loss':
      return f.udpLoss[d];
    case 'cpu-per-gbps':
      return f.cpuPerGbps;
  }
}

/** A tunnel's figure against its underlay baseline's (what `relative` in METRICS says), by the analysis' one rule. */
export const relativeValue = (metric: Metric, tunnel: Value | undefined, underlay: Value | undefined): Value | undefined => relativeTo(METRICS[metric].relative.how, tunnel, underlay);

/** A link's tunnel figure of the metric (and direction), or with `relative` what it is against the link's baseline (analyse's `baselineOf`). */
export function linkFigure(figs: ReadonlyMap<string, PathFigures>, link: { readonly id: string; readonly kind: string } | undefined, linkId: string, metric: Metric, d: Direction, relative: boolean): Value | undefined {
  const t = valueOf(figs.get(`${linkId}.tunnel`), metric, d);
  if (!relative) return t;
  return relativeValue(metric, t, baselineOf(t, valueOf(figs.get(`${linkId}.underlay`), metric, d), link?.kind === 'clean'));
}

// ---- the replay: figures of each path from what had been measured by one moment ----

/** The moments of a run: its start and end (ms since the epoch) and when each test ran. */
export interface Timeline {
  readonly start: number;
  readonly end: number;
  readonly tests: readonly { readonly id: string; readonly pathId: string; readonly test: string; readonly from: number; readonly to: number }[];
}

export function timeline(r: RunResults): Timeline {
  const tests = r.tests.map((t) => {
    const from = Date.parse(t.startedAt);
    return { id: t.id, pathId: t.pathId, test: t.test, from, to: from + t.seconds * 1000 };
  });
  const start = Math.min(Date.parse(r.startedAt), ...tests.map((t) => t.from));
  const end = Math.max(Date.parse(r.finishedAt), ...tests.map((t) => t.to));
  return { start, end, tests };
}

/** How far back the replay looks for RTT samples: the last few seconds before the moment. */
export const REPLAY_WINDOW_S = 3;

/**
 * Each path's figures as the run stood at `at` (ms since the epoch): RTT from the ping samples
 * received in the last REPLAY_WINDOW_S seconds (or the latest series, held once it ended);
 * throughput from the reporting interval running at that moment, or the last finished test's
 * figure, held; nothing for tests that had not started.
 */
export function figuresAt(r: RunResults, at: number): Map<string, PathFigures> {
  const byPath = new Map<string, TestRecord[]>();
  for (const t of r.tests) {
    if (Date.parse(t.startedAt) > at) continue;
    byPath.set(t.pathId, [...(byPath.get(t.pathId) ?? []), t]);
  }
  const out = new Map<string, PathFigures>();
  for (const p of r.paths) {
    const recs = (byPath.get(p.id) ?? []).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    const failures = recs.filter((t) => t.error && Date.parse(t.startedAt) + t.seconds * 1000 <= at).map((t) => `${t.test}:${t.direction}#${t.repetition}: ${t.error}`);
    let rtt: Partial<PathFigures> = {};
    const pings = recs.filter((t) => t.ping);
    const last = pings.at(-1);
    if (last?.ping) {
      const seen = last.ping.samples.filter((s) => !s.dup && s.t * 1000 <= at);
      const recent = seen.filter((s) => s.t * 1000 > at - REPLAY_WINDOW_S * 1000);
      const use = recent.length ? recent : seen;
      const d = describe(use.map((s) => s.rtt));
      if (d) {
        const ci = meanInterval(use.map((s) => s.rtt));
        // Loss in the window: sequence numbers between the first and the last one seen, missing.
        const seqs = use.map((s) => s.seq);
        const span = Math.max(...seqs) - Math.min(...seqs) + 1;
        const jitter = rfc3550Jitter([...use].sort((a, b) => a.seq - b.seq).map((s) => s.rtt));
        rtt = {
          rttMean: { value: d.mean, ...(ci ? { low: ci.low, high: ci.high } : {}) },
          rttP95: { value: d.p95 },
          loss: { value: (100 * (span - new Set(seqs).size)) / span },
          ...(jitter !== undefined ? { jitter: { value: jitter } } : {}),
        };
      } else if (Date.parse(last.startedAt) + last.seconds * 1000 <= at && last.ping.received === 0) {
        rtt = { loss: { value: 100 } };
      }
    }
    const rate: Record<string, Value> = {};
    const udpLoss: Record<string, Value> = {};
    for (const t of recs) {
      const tp = t.throughput;
      if (!tp || t.error) continue;
      const key = `${tp.protocol}:${t.direction}`;
      const started = Date.parse(t.startedAt);
      const ended = started + t.seconds * 1000 <= at;
      if (ended) {
        const bps = tp.received?.bitsPerSecond ?? tp.sent?.bitsPerSecond;
        if (bps !== undefined) rate[key] = { value: bps / 1e6 };
        if (tp.udp) udpLoss[t.direction] = { value: tp.udp.lostPercent };
      } else {
        const since = (at - started) / 1000;
        const iv = tp.intervals.find((i) => i.start <= since && since < i.end);
        if (iv) rate[key] = { value: iv.bitsPerSecond / 1e6 };
      }
    }
    const cpus = recs.filter((t) => t.cpu && Date.parse(t.startedAt) + t.seconds * 1000 <= at);
    const cpu = cpus.at(-1)?.cpu;
    out.set(p.id, {
      ...rtt,
      rate,
      udpLoss,
      ...(cpu ? { cpu: { ...(cpu.src ? { src: cpu.src.busyPercent } : {}), ...(cpu.dst ? { dst: cpu.dst.busyPercent } : {}) } } : {}),
      failures,
    });
  }
  return out;
}

/** Each path's figures over the whole run (its summary, or a lean read's digest of it). */
export function figuresOfRun(r: RunResults): Map<string, PathFigures> {
  if (r.digest) return new Map(Object.entries(r.digest.figures));
  return figuresOfPaths(r.summary.paths);
}

/** A figure for people: three significant digits, Mbit/s above 1000 as Gbit/s. */
export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '–';
  if (unit === 'Mbit/s' && Math.abs(v) >= 1000) return `${sig(v / 1000)} Gbit/s`;
  if (unit === '% of underlay' || unit === '%') return `${sig(v)} %`;
  if (unit === 'points') return `${v > 0 ? '+' : ''}${sig(v)} pts`;
  if (unit === '× underlay') return `×${sig(v)}`;
  if (unit === CPU_PER_GBPS.unit) return `${sig(v)} %/Gbit/s`;
  return `${sig(v)} ${unit}`;
}

function sig(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(a)));
  return v.toFixed(digits);
}
