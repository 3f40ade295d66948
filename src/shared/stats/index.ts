/**
 * The statistics of a run, on simple-statistics (descriptive figures, quantiles, kernel density,
 * optimal 1-D k-means) and jStat's Student t quantile (confidence intervals; stdlib's was dropped: it evaluates code at
 * load, which the UI's Content-Security-Policy refuses). Pure: the same
 * numbers in give the same figures out, in the browser as in the engine.
 */
// jstat is CommonJS: Node's ESM loader gives it as a default export only.
import jstat from 'jstat';
import { ckmeans, kernelDensityEstimation, max, mean, min, quantileSorted, sampleStandardDeviation, sumSimple } from 'simple-statistics';

export interface Describe {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** Mean, σ, extremes and percentiles of a sample; undefined for an empty one. */
export function describe(xs: readonly number[]): Describe | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return {
    n: xs.length,
    mean: mean(sorted),
    sd: xs.length > 1 ? sampleStandardDeviation(sorted) : 0,
    min: min(sorted),
    max: max(sorted),
    // Linear interpolation between ranks at (n − 1)·p (numpy's default, R's type 7), as simple-statistics computes it.
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
  };
}

export interface Interval {
  readonly low: number;
  readonly high: number;
  /** Half-width (the ± of `mean ± halfWidth`). */
  readonly halfWidth: number;
  readonly level: number;
}

/**
 * The confidence interval of a mean from its sample (Student's t with n − 1 degrees of
 * freedom); undefined below two values. With --repeat, the sample is the repetitions' means.
 */
export function meanInterval(xs: readonly number[], level = 0.95): Interval | undefined {
  if (xs.length < 2) return undefined;
  const m = mean([...xs]);
  const se = sampleStandardDeviation([...xs]) / Math.sqrt(xs.length);
  const half = jstat.jStat.studentt.inv(1 - (1 - level) / 2, xs.length - 1) * se;
  return { low: m - half, high: m + half, halfWidth: half, level };
}

/**
 * RFC 3550 interarrival jitter over a series of one-way or round-trip times (ms): the running
 * estimate J += (|D| − J) / 16 over consecutive differences, as RTP receivers compute it.
 */
export function rfc3550Jitter(times: readonly number[]): number | undefined {
  if (times.length < 2) return undefined;
  let j = 0;
  for (let i = 1; i < times.length; i++) j += (Math.abs(times[i]! - times[i - 1]!) - j) / 16;
  return j;
}

/** Mean of the absolute differences between consecutive values (ping's own "mdev"-free jitter, as many tools print it). */
export function meanDelta(times: readonly number[]): number | undefined {
  if (times.length < 2) return undefined;
  let s = 0;
  for (let i = 1; i < times.length; i++) s += Math.abs(times[i]! - times[i - 1]!);
  return s / (times.length - 1);
}

export interface Histogram {
  /** Left edge of the first bin and the bins' width. */
  readonly start: number;
  readonly width: number;
  readonly counts: readonly number[];
}

/** Equal-width bins (Freedman–Diaconis width, at most `maxBins`) over the sample's range. */
export function histogram(xs: readonly number[], maxBins = 60): Histogram | undefined {
  if (xs.length === 0) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const lo = sorted[0]!;
  const hi = sorted[sorted.length - 1]!;
  if (hi === lo) return { start: lo, width: 0, counts: [xs.length] };
  const iqr = quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25);
  const fd = iqr > 0 ? (2 * iqr) / Math.cbrt(xs.length) : (hi - lo) / Math.ceil(Math.sqrt(xs.length));
  const bins = Math.max(1, Math.min(maxBins, Math.ceil((hi - lo) / fd)));
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const x of sorted) {
    // Bin by the edges as reported (start + i × width): floor((x − lo) / width) alone can put a
    // sample on an edge one bin off, the two roundings disagreeing.
    let i = Math.min(bins - 1, Math.floor((x - lo) / width));
    if (i > 0 && x < lo + i * width) i--;
    else if (i < bins - 1 && x >= lo + (i + 1) * width) i++;
    counts[i]!++;
  }
  return { start: lo, width, counts };
}

/** A Gaussian kernel density estimate (Silverman's bandwidth) sampled at `points` evenly spaced values over the range. */
export function density(xs: readonly number[], points = 100): { x: number[]; y: number[] } | undefined {
  if (xs.length < 2) return undefined;
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (hi === lo) return undefined;
  const f = kernelDensityEstimation([...xs], 'gaussian', 'nrd');
  const pad = (hi - lo) * 0.1;
  const x = Array.from({ length: points }, (_, i) => lo - pad + ((hi - lo + 2 * pad) * i) / (points - 1));
  return { x, y: x.map((v) => f(v)) };
}

/** The empirical CDF: sorted values and the share of the sample at or below each. */
export function cdf(xs: readonly number[]): { x: number[]; p: number[] } {
  const sorted = [...xs].sort((a, b) => a - b);
  return { x: sorted, p: sorted.map((_, i) => (i + 1) / sorted.length) };
}

export interface Cluster<T> {
  readonly members: readonly T[];
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  /**
   * With a noise floor: two or more members, each within the floor of its neighbour in value —
   * the measurement cannot tell them apart, whatever order their means came out in.
   */
  readonly tie?: boolean;
}

/** Sorted groups with every gap narrower than `noise` closed (the groups either side become one). */
function mergeWithin(groups: number[][], noise: number | undefined): number[][] {
  if (noise === undefined || groups.length < 2) return groups;
  const out: number[][] = [[...groups[0]!]];
  for (const g of groups.slice(1)) {
    const last = out[out.length - 1]!;
    if (g[0]! - last[last.length - 1]! < noise) last.push(...g);
    else out.push([...g]);
  }
  return out;
}

/** Within-cluster sum of squares of a clustering. */
const withinSS = (clusters: readonly number[][]): number => sumSimple(clusters.map((c) => { const m = mean(c); return sumSimple(c.map((x) => (x - m) ** 2)); }));

/**
 * Items grouped by a value with optimal 1-D k-means (ckmeans, Wang & Song 2011), as the paper
 * groups tunnels by mean RTT. `k` given, or chosen: the smallest k whose goodness of variance
 * fit (Jenks' GVF = 1 − within-cluster SS / total SS) reaches 0.95, i.e. that leaves less than
 * `unexplained` (0.05) of the variance unexplained; at most `maxK`.
 * Clusters come out in increasing order of their mean.
 *
 * `noise`: the difference the measurement cannot resolve (the spread between repeated runs, the
 * underlay's own spread). Neighbouring clusters closer than it (the gap between the nearest
 * members) are one cluster: k-means always splits a spread of values, even one that is only
 * the machine's noise, and a split there would claim a difference nobody measured.
 */
export function clusterBy<T>(items: readonly T[], value: (t: T) => number, opts: { k?: number; maxK?: number; unexplained?: number; noise?: number } = {}): { k: number; clusters: Cluster<T>[] } {
  if (items.length === 0) return { k: 0, clusters: [] };
  const xs = items.map(value);
  const distinct = new Set(xs).size;
  const maxK = Math.min(opts.maxK ?? 6, distinct);
  let k = Math.max(1, Math.min(opts.k ?? 0, distinct));
  if (!opts.k) {
    const m = mean(xs);
    const total = sumSimple(xs.map((x) => (x - m) ** 2));
    k = 1;
    if (total > 0) {
      for (k = 1; k < maxK; k++) if (withinSS(ckmeans(xs, k)) / total < (opts.unexplained ?? 0.05)) break;
    }
  }
  const groups = mergeWithin(ckmeans(xs, k), opts.noise);
  // ckmeans returns the values; give each item to the cluster whose range holds its value.
  const used = new Set<number>();
  const clusters = groups.map((g) => {
    const lo = g[0]!;
    const hi = g[g.length - 1]!;
    const members: T[] = [];
    items.forEach((it, i) => {
      if (!used.has(i) && xs[i]! >= lo && xs[i]! <= hi && members.length < g.length) {
        used.add(i);
        members.push(it);
      }
    });
    const tie = opts.noise !== undefined ? { tie: g.length > 1 && g.every((x, i) => i === 0 || x - g[i - 1]! < opts.noise!) } : {};
    return { members, mean: mean(g), sd: g.length > 1 ? sampleStandardDeviation(g) : 0, min: lo, max: hi, ...tie };
  });
  return { k: clusters.length, clusters };
}
