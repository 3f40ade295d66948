/**
 * Each path's figures in the metrics' units, from its summary; and a run's digest: what the
 * drawing shows of a run (the figures, the RTT sparklines, each host's tests), computed once
 * when the run is written, so that a large run is painted without reading its tests. Pure.
 */
import type { PathSummary } from './analyse.js';
import type { Direction, TestRecord } from './records.js';
import type { MeasuredPath } from './targets.js';

/**
 * The parts of a run (RunResults) its digest is computed from. Named here rather than imported:
 * results.ts holds the digest, and a module it imports does not import it back.
 */
export interface DigestSource {
  readonly paths: readonly MeasuredPath[];
  readonly tests: readonly TestRecord[];
  readonly summary: { readonly paths: Readonly<Record<string, PathSummary>> };
}

/** One figure with its 95 % interval when the data gives one. */
export interface Value {
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
}

/** What one path measured, in the metrics' units; absent where it was not measured. */
export interface PathFigures {
  readonly rttMean?: Value;
  readonly rttP95?: Value;
  readonly jitter?: Value;
  readonly loss?: Value;
  /** `<protocol>:<direction>` → Mbit/s (iperf 3 when the run has it, else iperf 2). */
  readonly rate: Readonly<Partial<Record<`${'tcp' | 'udp'}:${Direction}`, Value>>>;
  readonly udpLoss: Readonly<Partial<Record<Direction, Value>>>;
  readonly cpuPerGbps?: Value;
  /** Busy % of each end's CPUs during throughput tests. */
  readonly cpu?: { readonly src?: number; readonly dst?: number };
  /** Tests that gave no figure, with the tool's (or Overlab's) words. */
  readonly failures: readonly string[];
}

const rateKeys = (protocol: 'tcp' | 'udp', d: Direction): string[] => [`iperf3-${protocol}:${d}`, `iperf2-${protocol}:${d}`];

export function figuresOfSummary(s: PathSummary): PathFigures {
  const rate: Record<string, Value> = {};
  const udpLoss: Record<string, Value> = {};
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const d of ['forward', 'reverse'] as const) {
      const t = rateKeys(protocol, d).map((k) => s.throughput[k]).find((x) => x);
      if (!t) continue;
      rate[`${protocol}:${d}`] = { value: t.mbps.mean, ...(t.mbps.ci95 ? { low: t.mbps.ci95.low, high: t.mbps.ci95.high } : {}) };
      if (protocol === 'udp' && t.lossPercent !== undefined) udpLoss[d] = { value: t.lossPercent };
    }
  }
  const r = s.rtt;
  return {
    ...(r ? { rttMean: { value: r.ms.mean, ...(r.ci95 ? { low: r.ci95.low, high: r.ci95.high } : {}) }, rttP95: { value: r.ms.p95 }, loss: { value: r.lossPercent } } : {}),
    ...(r?.jitterMs !== undefined ? { jitter: { value: r.jitterMs } } : {}),
    rate,
    udpLoss,
    ...(s.cpuPerGbps !== undefined ? { cpuPerGbps: { value: s.cpuPerGbps } } : {}),
    ...(s.cpu ? { cpu: s.cpu } : {}),
    failures: s.failures.map((f) => `${f.test}: ${f.error}`),
  };
}

/** Each path's figures, by path id, from the paths' summaries. */
export function figuresOfPaths(paths: Readonly<Record<string, PathSummary>>): Map<string, PathFigures> {
  return new Map(Object.values(paths).map((s) => [s.pathId, figuresOfSummary(s)]));
}

/** The tests of each path, by path id, in the run's order. */
export function testsByPath(tests: readonly TestRecord[]): Map<string, TestRecord[]> {
  const out = new Map<string, TestRecord[]>();
  for (const t of tests) {
    const list = out.get(t.pathId);
    if (list) list.push(t);
    else out.set(t.pathId, [t]);
  }
  return out;
}

/** How many tests a host took part in, how many failed, and the first failure's words. */
export interface HostTests {
  readonly all: number;
  readonly failed: number;
  readonly why?: string;
}

/**
 * What a run read lean carries in place of its tests and its paths' summaries (a 2,000-link
 * run: 5 MB instead of 54): everything the heatmap and the matrix show of the whole run.
 */
export interface RunDigest {
  /** How many tests the run has. */
  readonly tests: number;
  /** By path id. */
  readonly figures: Readonly<Record<string, PathFigures>>;
  /** By tunnel path id: the tunnel's RTT over the run (sparkOf), where it pinged (what an edge's card draws). */
  readonly spark: Readonly<Record<string, readonly number[]>>;
  /** By host id. */
  readonly hostTests: Readonly<Record<string, HostTests>>;
}

export const SPARK_POINTS = 60;

/**
 * A path's RTT over the run (ms; up to `at`, ms since the epoch), at most SPARK_POINTS points:
 * the samples themselves, or the means of equal buckets of them (to 4 significant digits: a
 * picture's worth).
 */
export function sparkOf(tests: readonly TestRecord[], at?: number): number[] {
  const samples = tests.filter((t) => t.ping).flatMap((t) => t.ping!.samples.filter((s) => !s.dup && (at === undefined || s.t * 1000 <= at)).map((s) => s.rtt));
  if (samples.length <= SPARK_POINTS) return samples;
  const out: number[] = [];
  for (let i = 0; i < SPARK_POINTS; i++) {
    const part = samples.slice(Math.floor((i * samples.length) / SPARK_POINTS), Math.floor(((i + 1) * samples.length) / SPARK_POINTS));
    out.push(Number((part.reduce((a, b) => a + b, 0) / part.length).toPrecision(4)));
  }
  return out;
}

/** Each host's tests (as either end of the test's path). */
export function hostTestsOf(r: Pick<DigestSource, 'paths' | 'tests'>): Map<string, HostTests> {
  const paths = new Map(r.paths.map((p) => [p.id, p]));
  const out = new Map<string, { all: number; failed: number; why?: string }>();
  for (const t of r.tests) {
    const p = paths.get(t.pathId);
    if (!p) continue;
    for (const id of [p.src.hostId, p.dst.hostId]) {
      const n = out.get(id) ?? { all: 0, failed: 0 };
      n.all++;
      if (t.error) {
        n.failed++;
        n.why ??= `${t.test} on ${p.label}: ${t.error}`;
      }
      out.set(id, n);
    }
  }
  return out;
}

export function digestOf(r: DigestSource): RunDigest {
  const byPath = testsByPath(r.tests);
  const spark: Record<string, number[]> = {};
  for (const p of r.paths) {
    const s = p.type === 'tunnel' ? sparkOf(byPath.get(p.id) ?? []) : [];
    if (s.length) spark[p.id] = s;
  }
  return {
    tests: r.tests.length,
    figures: Object.fromEntries(figuresOfPaths(r.summary.paths)),
    spark,
    hostTests: Object.fromEntries(hostTestsOf(r)),
  };
}
