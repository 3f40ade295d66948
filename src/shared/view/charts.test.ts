/**
 * The chart builders against results captured from the embedded lab (tests/fixtures/results,
 * see capture.ts there): a 4-host VXLAN mesh measured twice, a 3-host WireGuard hub-spoke with
 * LAN paths, and a campaign over four kinds at MTU 1500 and 9000. Every expectation is computed
 * here from the raw test records or the run's own summary, never from the builders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyse } from '../measure/analyse.js';
import type { CampaignAnalysis, CampaignFile } from '../measure/campaign.js';
import { phaseKey, rrul } from '../measure/tools/rrul.js';
import type { RunResults, TestRecord } from '../measure/results.js';
import {
  campaignBandwidth,
  campaignFigures,
  campaignMtuCompare,
  campaignRttBoxplot,
  campaignRttByMtu,
  campaignRttClusters,
  campaignRttSorted,
  campaignThroughputOverTime,
  cpuChart,
  linkCharts,
  linkThroughputKeys,
  rttCdf,
  rttHistogram,
  rttOverTime,
  runBandwidth,
  runFigures,
  runLatencyUnderLoad,
  runNetperf,
  runRttBoxplot,
  runRttByMtu,
  runRttClusters,
  runRttSorted,
  throughputOverTime,
  type BarChart,
  type BoxplotChart,
  type ChartSpec,
  type HistogramChart,
  type LineChart,
} from './charts.js';

const FIXTURES = new URL('../../../tests/fixtures/results/', import.meta.url);
const json = <T>(rel: string): T => JSON.parse(readFileSync(new URL(rel, FIXTURES), 'utf8')) as T;

const mesh = json<RunResults>('mesh4/results.json');
const hub = json<RunResults>('hub3/results.json');
const campaign = json<CampaignFile>('campaign/campaign.json');
const analysis = json<CampaignAnalysis>('campaign/analysis.json');
const campaignRuns = readdirSync(new URL('campaign/runs/', FIXTURES)).map((id) => json<RunResults>(`campaign/runs/${id}/results.json`));
const RUNS = { mesh4: mesh, hub3: hub };

// ---- independent arithmetic on the raw records ----

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => sum(xs) / xs.length;
const sd = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1));
};
/** R type-7 quantile, by hand. */
const quantile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
};
/** The trapezoid rule over a sampled curve. */
const area = (pts: readonly { x: number; y: number }[]): number => sum(pts.slice(1).map((p, i) => ((p.x - pts[i]!.x) * (p.y + pts[i]!.y)) / 2));

const pingRecords = (r: RunResults, pathId: string): TestRecord[] => r.tests.filter((t) => t.pathId === pathId && t.ping);
const samplesOf = (r: RunResults, pathId: string): number[] => pingRecords(r, pathId).flatMap((t) => t.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt));
const linkPathIds = (r: RunResults, linkId: string): string[] => r.paths.filter((p) => p.linkId === linkId).map((p) => p.id);
const tunnelIds = (r: RunResults): string[] => r.paths.filter((p) => p.type === 'tunnel').map((p) => p.id);

interface ByKind { line: LineChart; scatter: LineChart; bar: BarChart; boxplot: BoxplotChart; histogram: HistogramChart }

/** The spec, which must be drawn as `kind` (an empty one fails with its reason). */
function drawn<K extends keyof ByKind>(spec: ChartSpec, kind: K): ByKind[K] {
  expect(spec.kind, spec.kind === 'empty' ? `${spec.id}: ${spec.empty}` : spec.id).toBe(kind);
  return spec as ByKind[K];
}

/** What every drawn spec owes its reader: a unit on the value axis, and at least one figure that is not zero. */
function checkDrawn(s: ChartSpec): void {
  if (s.kind === 'empty') {
    expect(s.empty.length).toBeGreaterThan(0);
    return;
  }
  expect(s.y.unit, `${s.id}: the value axis names its unit`).toBeTruthy();
  if (s.kind === 'line' || s.kind === 'scatter') expect(s.x.unit, `${s.id}: the x axis names its unit`).toBeTruthy();
  const ys =
    s.kind === 'bar' ? s.series.flatMap((x) => x.values.filter((v) => v).map((v) => v!.value))
    : s.kind === 'boxplot' ? s.series.flatMap((x) => x.boxes.filter((b) => b).map((b) => b!.max))
    : s.kind === 'histogram' ? s.bins.map((b) => b.count)
    : s.series.flatMap((x) => x.points.map((p) => p.y));
  expect(ys.length, `${s.id} has figures`).toBeGreaterThan(0);
  expect(ys.some((y) => y !== 0), `${s.id} is not a chart of zeros`).toBe(true);
  expect(ys.every(Number.isFinite), `${s.id}: finite figures`).toBe(true);
}

describe('the fixtures are what the tests assume', () => {
  it('the mesh was measured twice over 6 links with a baseline; the campaign at two MTUs', () => {
    expect(mesh.links.length).toBe(6);
    expect(new Set(mesh.tests.map((t) => t.repetition)).size).toBeGreaterThan(1);
    expect(mesh.paths.some((p) => p.type === 'underlay')).toBe(true);
    expect(new Set(campaign.cells.map((c) => c.mtu))).toEqual(new Set([1500, 9000]));
    expect(analysis.cells.length).toBeGreaterThan(2);
  });
});

describe.each(Object.entries(RUNS))('per link charts of %s', (_name, r) => {
  const links = r.links.map((l) => l.id);

  it.each(links)('RTT over time of %s: every non-duplicate sample once, at seconds since its test began', (linkId) => {
    const c = drawn(rttOverTime(r, linkId), 'line');
    const records = linkPathIds(r, linkId).flatMap((pid) => pingRecords(r, pid)).filter((t) => t.ping!.samples.some((s) => !s.dup));
    expect(c.series).toHaveLength(records.length);
    for (const t of records) {
      const s = c.series.find((x) => x.key === `${t.pathId}#${t.repetition}`)!;
      const good = t.ping!.samples.filter((x) => !x.dup);
      expect(s.points.map((p) => p.y).sort()).toEqual(good.map((x) => x.rtt).sort());
      // Time runs from the test's start: never before it, and spans what the samples span.
      const ts = good.map((x) => x.t);
      const xs = s.points.map((p) => p.x);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...xs) - Math.min(...xs)).toBeCloseTo(Math.max(...ts) - Math.min(...ts), 6);
      expect(Math.min(...xs)).toBeLessThan(t.seconds + 5);
    }
    // The underlay baseline is on the same chart, told apart by its dashes.
    const under = `${linkId}.underlay`;
    if (samplesOf(r, under).length) expect(c.series.filter((s) => s.key.startsWith(under)).every((s) => s.style === 'dashed')).toBe(true);
    expect(c.x.unit).toBe('s');
    expect(c.y.unit).toBe('ms');
  });

  it.each(links)('RTT histogram of %s: counts add up to the samples, each sample in its bin', (linkId) => {
    const pid = `${linkId}.tunnel`;
    const xs = samplesOf(r, pid);
    const h = drawn(rttHistogram(r, pid), 'histogram');
    expect(sum(h.bins.map((b) => b.count))).toBe(xs.length);
    expect(h.n).toBe(xs.length);
    expect(h.bins[0]!.start).toBe(Math.min(...xs));
    expect(h.bins[h.bins.length - 1]!.end).toBeCloseTo(Math.max(...xs), 9);
    h.bins.slice(1).forEach((b, i) => expect(b.start).toBeCloseTo(h.bins[i]!.end, 9));
    // Bin the samples again by the chart's edges (the last bin closed on the right).
    const counts = h.bins.map((b, i) => xs.filter((x) => x >= b.start && (i === h.bins.length - 1 ? x <= b.end + 1e-9 : x < b.end)).length);
    expect(counts).toEqual(h.bins.map((b) => b.count));
    expect(h.stats!.mean).toBeCloseTo(mean(xs), 9);
    expect(h.stats!.sd).toBeCloseTo(sd(xs), 9);
    // The density curve is scaled to counts: its area is n × bin width, less the tails past the padded range.
    if (h.density) {
      const w = h.bins[0]!.end - h.bins[0]!.start;
      const a = area(h.density) / (xs.length * w);
      expect(a).toBeGreaterThan(0.7);
      expect(a).toBeLessThanOrEqual(1.0001);
    }
  });

  it.each(links)('RTT CDF of %s: the sorted samples, monotone, ending at 100 %%', (linkId) => {
    const c = drawn(rttCdf(r, linkId), 'line');
    for (const s of c.series) {
      const xs = samplesOf(r, s.key);
      expect(s.points.map((p) => p.x)).toEqual([...xs].sort((a, b) => a - b));
      s.points.slice(1).forEach((p, i) => expect(p.y).toBeGreaterThanOrEqual(s.points[i]!.y));
      expect(s.points[s.points.length - 1]!.y).toBeCloseTo(100, 9);
      expect(s.points[0]!.y).toBeCloseTo(100 / xs.length, 9);
    }
    expect(c.y.unit).toBe('%');
  });

  it.each(links)('throughput over time of %s: one chart per test and direction, the tool\'s intervals in Mbit/s', (linkId) => {
    const ids = new Set(linkPathIds(r, linkId));
    const recs = r.tests.filter((t) => ids.has(t.pathId) && t.throughput && t.throughput.intervals.length > 0);
    const keys = new Set(recs.map((t) => `${t.test}:${t.direction}`));
    expect(new Set(linkThroughputKeys(r, linkId))).toEqual(keys);
    expect(keys.size).toBeGreaterThan(0);
    for (const k of keys) {
      const c = drawn(throughputOverTime(r, linkId, k), 'line');
      const mine = recs.filter((t) => `${t.test}:${t.direction}` === k);
      expect(c.series).toHaveLength(mine.length);
      for (const t of mine) {
        const s = c.series.find((x) => x.key === `${t.pathId}#${t.repetition}`)!;
        const kept = t.throughput!.intervals.filter((i) => i.end - i.start > 0.1);
        expect(s.points.map((p) => p.y)).toEqual(kept.map((i) => i.bitsPerSecond / 1e6));
        s.points.forEach((p, j) => {
          expect(p.x).toBeGreaterThan(kept[j]!.start);
          expect(p.x).toBeLessThan(kept[j]!.end);
        });
      }
      expect(c.y.unit).toBe('Mbit/s');
    }
  });

  it.each(links)('CPU of %s: each end\'s busy %% of each throughput test', (linkId) => {
    const ids = new Set(linkPathIds(r, linkId));
    const recs = r.tests.filter((t) => ids.has(t.pathId) && (t.cpu?.src || t.cpu?.dst));
    const c = cpuChart(r, linkId);
    if (recs.length === 0) return void expect(c.kind).toBe('empty');
    const b = drawn(c, 'bar');
    expect(b.categories.map((x) => x.id).sort()).toEqual(recs.map((t) => t.id).sort());
    const src = b.series.find((s) => s.key === 'src')!;
    b.categories.forEach((cat, i) => expect(src.values[i]?.value).toBe(recs.find((t) => t.id === cat.id)!.cpu!.src?.busyPercent));
    expect(b.y.unit).toBe('%');
  });

  it('every link chart has a unique id, units and figures — or says why it has none', () => {
    const all = links.flatMap((l) => linkCharts(r, l));
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    all.forEach(checkDrawn);
  });
});

describe.each(Object.entries(RUNS))('the paper\'s figures for the run %s', (_name, r) => {
  const withRtt = tunnelIds(r).filter((pid) => r.summary.paths[pid]?.rtt);

  it('Fig. 7: tunnels sorted by their summary mean, error bars the summary\'s 95 % interval', () => {
    const c = drawn(runRttSorted(r), 'bar');
    const order = [...withRtt].sort((a, b) => r.summary.paths[a]!.rtt!.ms.mean - r.summary.paths[b]!.rtt!.ms.mean);
    expect(c.categories.map((x) => x.id)).toEqual(order);
    c.series[0]!.values.forEach((v, i) => {
      const s = r.summary.paths[order[i]!]!.rtt!;
      expect(v!.value).toBe(s.ms.mean);
      expect(v!.low).toBe(s.ci95?.low);
      expect(v!.high).toBe(s.ci95?.high);
    });
    // LAN paths are not tunnels.
    expect(c.categories.every((x) => x.id.endsWith('.tunnel'))).toBe(true);
  });

  it('Figs. 8–13: a chart per cluster, its members\' densities, μ and σ over the pooled samples', () => {
    const charts = runRttClusters(r);
    expect(charts).toHaveLength(r.summary.clusters.length);
    charts.forEach((ch, i) => {
      const c = drawn(ch, 'line');
      const members = r.summary.clusters[i]!.pathIds;
      expect(new Set(c.series.map((s) => s.key))).toEqual(new Set(members));
      const pooled = members.flatMap((m) => samplesOf(r, m));
      expect(c.stats!.n).toBe(pooled.length);
      expect(c.stats!.mean).toBeCloseTo(mean(pooled), 9);
      expect(c.stats!.sd).toBeCloseTo(sd(pooled), 9);
      // Each curve is a density in 1/ms: nearly all of its mass lies on the sampled range.
      for (const s of c.series) {
        const a = area(s.points);
        expect(a).toBeGreaterThan(0.7);
        expect(a).toBeLessThanOrEqual(1.0001);
      }
    });
    // Every tunnel with RTT is in exactly one cluster.
    expect(charts.flatMap((c) => (c.kind === 'line' ? c.series.map((s) => s.key) : [])).sort()).toEqual([...withRtt].sort());
  });

  it.each(['tcp', 'udp'] as const)('Figs. 14–15: %s bandwidth per tunnel, test and direction, from the summary', (protocol) => {
    const c = drawn(runBandwidth(r, protocol), 'bar');
    const keys = new Set(tunnelIds(r).flatMap((pid) => Object.keys(r.summary.paths[pid]!.throughput)).filter((k) => k.split(':')[0]!.endsWith(`-${protocol}`)));
    expect(new Set(c.series.map((s) => s.key))).toEqual(keys);
    for (const s of c.series) {
      c.categories.forEach((cat, i) => {
        const f = r.summary.paths[cat.id]!.throughput[s.key]?.mbps;
        if (!f) return void expect(s.values[i]).toBeNull();
        expect(s.values[i]!.value).toBe(f.mean);
        expect(s.values[i]!.low).toBe(f.ci95?.low);
        expect(s.values[i]!.high).toBe(f.ci95?.high);
      });
    }
    expect(c.y.unit).toBe('Mbit/s');
  });

  it('a metric the run lacks gives no chart: netperf (the quick suite has none), RTT against MTU (one MTU)', () => {
    expect(r.tests.some((t) => t.netperf)).toBe(false);
    expect(runNetperf(r).every((c) => c.kind === 'empty')).toBe(true);
    expect(new Set(r.paths.filter((p) => p.type === 'tunnel').map((p) => p.mtu)).size).toBe(1);
    expect(runRttByMtu(r).kind).toBe('empty');
  });

  it('box plots: quartiles and Tukey whiskers of each tunnel\'s samples, every sample inside or an outlier', () => {
    const c = drawn(runRttBoxplot(r), 'boxplot');
    c.categories.forEach((cat, i) => {
      const xs = samplesOf(r, cat.id);
      const b = c.series[0]!.boxes[i]!;
      expect(b.n).toBe(xs.length);
      expect(b.median).toBeCloseTo(quantile(xs, 0.5), 9);
      expect(b.q1).toBeCloseTo(quantile(xs, 0.25), 9);
      expect(b.q3).toBeCloseTo(quantile(xs, 0.75), 9);
      const iqr = b.q3 - b.q1;
      const out = xs.filter((x) => x < b.q1 - 1.5 * iqr || x > b.q3 + 1.5 * iqr);
      expect(b.outliers).toHaveLength(out.length);
      expect(b.whiskerMax).toBe(Math.max(...xs.filter((x) => !out.includes(x))));
      expect(b.whiskerMin).toBe(Math.min(...xs.filter((x) => !out.includes(x))));
    });
  });

  it('a run without RTT or throughput gives empty specs, not charts of zeros', () => {
    const bare: RunResults = { ...r, tests: r.tests.filter((t) => !t.ping && !t.throughput), summary: { ...r.summary, clusters: [], paths: Object.fromEntries(Object.entries(r.summary.paths).map(([k, p]) => [k, { ...p, rtt: undefined, throughput: {} }])) } };
    const figs = [...runFigures(bare), ...bare.links.flatMap((l) => linkCharts(bare, l.id))];
    // CPU figures come with throughput tests, so they go too.
    expect(figs.every((f) => f.kind === 'empty')).toBe(true);
  });

  it('every run figure has a unique id, units and figures — or says why it has none', () => {
    const all = runFigures(r);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    all.forEach(checkDrawn);
  });
});

describe('the paper\'s figures for the campaign', () => {
  const mtus = [...new Set(analysis.cells.map((c) => c.mtu))].sort((a, b) => a - b);
  const runOf = (runId: string) => campaignRuns.find((r) => r.runId === runId)!;

  it.each(mtus)('Fig. 7 at MTU %i: kinds sorted by mean RTT, error bars the cells\' intervals, means those of the runs\' samples', (mtu) => {
    const c = drawn(campaignRttSorted(analysis, mtu), 'bar');
    const cells = analysis.cells.filter((x) => x.mtu === mtu && x.rtt).sort((a, b) => a.rtt!.mean - b.rtt!.mean);
    expect(c.categories.map((x) => x.id)).toEqual(cells.map((x) => x.cell));
    c.series[0]!.values.forEach((v, i) => {
      const cell = cells[i]!;
      expect(v!.low).toBe(cell.rtt!.ci95?.low);
      expect(v!.high).toBe(cell.rtt!.ci95?.high);
      // Back to the raw records of the cell's run.
      const r = runOf(cell.runId);
      expect(v!.value).toBeCloseTo(mean(tunnelIds(r).flatMap((pid) => samplesOf(r, pid))), 9);
    });
  });

  it.each(mtus)('Figs. 8–13 at MTU %i: each cluster\'s kinds and μ, σ as the analysis pooled them', (mtu) => {
    const at = analysis.byMtu.find((b) => b.mtu === mtu)!;
    const charts = campaignRttClusters(analysis, mtu);
    expect(charts).toHaveLength(at.clusters.length);
    charts.forEach((ch, i) => {
      const c = drawn(ch, 'line');
      expect(new Set(c.series.map((s) => s.key))).toEqual(new Set(at.clusters[i]!.cells));
      const pooled = at.clusters[i]!.cells.flatMap((cid) => analysis.cells.find((x) => x.cell === cid)!.rttSamples);
      expect(c.stats!.mean).toBeCloseTo(mean(pooled), 9);
      if (pooled.length > 1) expect(c.stats!.sd).toBeCloseTo(sd(pooled), 9);
    });
  });

  it.each(mtus)('Figs. 14–15, 19–20 at MTU %i: TCP and UDP bandwidth per kind as the cells give them', (mtu) => {
    for (const protocol of ['tcp', 'udp'] as const) {
      const c = drawn(campaignBandwidth(analysis, mtu, protocol), 'bar');
      for (const s of c.series) {
        expect(s.key.split(':')[0]!.endsWith(`-${protocol}`)).toBe(true);
        c.categories.forEach((cat, i) => {
          const f = analysis.cells.find((x) => x.cell === cat.id)!.throughput[s.key];
          expect(s.values[i]?.value).toBe(f?.mean);
          expect(s.values[i]?.low).toBe(f?.ci95?.low);
        });
      }
    }
  });

  it('Fig. 16 and the MTU comparison: one point or bar per kind and MTU, the cells\' own means', () => {
    const c = drawn(campaignRttByMtu(analysis), 'line');
    for (const s of c.series) {
      const cells = analysis.cells.filter((x) => x.label === s.key && x.rtt);
      expect(s.points.map((p) => p.x)).toEqual(cells.map((x) => x.mtu).sort((a, b) => a - b));
      for (const p of s.points) expect(p.y).toBe(cells.find((x) => x.mtu === p.x)!.rtt!.mean);
    }
    const [rtt, ...tp] = campaignMtuCompare(analysis);
    const b = drawn(rtt!, 'bar');
    expect(b.series.map((s) => s.key)).toEqual(mtus.map((m) => `mtu-${m}`));
    b.series.forEach((s, j) => b.categories.forEach((cat, i) => expect(s.values[i]?.value).toBe(analysis.cells.find((x) => x.label === cat.id && x.mtu === mtus[j])?.rtt?.mean)));
    const keys = new Set(analysis.cells.flatMap((x) => Object.keys(x.throughput)));
    expect(new Set(tp.map((x) => x.id.replace('campaign:mtu-compare:', '')))).toEqual(keys);
  });

  it('a campaign at one MTU has no RTT-against-MTU figure and no comparison', () => {
    const one: CampaignAnalysis = { cells: analysis.cells.filter((c) => c.mtu === mtus[0]), byMtu: analysis.byMtu.filter((b) => b.mtu === mtus[0]) };
    expect(campaignRttByMtu(one).kind).toBe('empty');
    expect(campaignMtuCompare(one).every((c) => c.kind === 'empty')).toBe(true);
    expect(campaignFigures(one).some((c) => c.id.startsWith('campaign:mtu-compare') && c.kind !== 'empty')).toBe(false);
  });

  it.each(mtus)('box plots at MTU %i: one box per kind over all its samples', (mtu) => {
    const c = drawn(campaignRttBoxplot(analysis, mtu), 'boxplot');
    c.categories.forEach((cat, i) => {
      const xs = analysis.cells.find((x) => x.cell === cat.id)!.rttSamples;
      const b = c.series[0]!.boxes[i]!;
      expect(b.n).toBe(xs.length);
      expect(b.median).toBeCloseTo(quantile(xs, 0.5), 9);
    });
  });

  it.each(mtus)('throughput over time per kind at MTU %i, from the cells\' runs', (mtu) => {
    const key = 'iperf3-tcp:forward';
    const c = drawn(campaignThroughputOverTime(analysis, campaignRuns, mtu, key), 'line');
    for (const s of c.series) {
      const cell = analysis.cells.find((x) => x.cell === s.key)!;
      const r = runOf(cell.runId);
      const t = r.tests.filter((x) => x.pathId === tunnelIds(r)[0] && x.test === 'iperf3-tcp' && x.direction === 'forward').sort((a, b) => a.repetition - b.repetition)[0]!;
      expect(s.points.map((p) => p.y)).toEqual(t.throughput!.intervals.filter((i) => i.end - i.start > 0.1).map((i) => i.bitsPerSecond / 1e6));
    }
  });

  it('every campaign figure has a unique id, units and figures — or says why it has none', () => {
    const all = campaignFigures(analysis, campaignRuns);
    expect(new Set(all.map((s) => s.id)).size).toBe(all.length);
    all.forEach(checkDrawn);
    // One kind keeps its colour across MTUs and figures.
    const tones = new Map<string, number>();
    for (const s of all) {
      if (s.kind !== 'line') continue;
      for (const x of s.series) {
        const label = analysis.cells.find((c) => c.cell === x.key)?.label ?? x.key;
        if (tones.has(label)) expect(x.tone, label).toBe(tones.get(label));
        tones.set(label, x.tone);
      }
    }
  });
});

describe('latency under load (the rrul tool) on real rrul output', () => {
  const text = (name: string): string => readFileSync(new URL(`../../../tests/fixtures/tools/rrul/${name}`, import.meta.url), 'utf8');
  /** The reply times of the part after a marker line of the script's output, sorted, by hand. */
  const replies = (out: string, head: string): number[] => {
    const lines = out.split('\n');
    const i = lines.indexOf(`### overlab-rrul ${head}`);
    const j = lines.findIndex((l, k) => k > i && l.startsWith('### overlab-rrul'));
    return [...lines.slice(i + 1, j).join('\n').matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  };
  const t = rrul.schema.parse({ tool: 'rrul' });
  const tunnels = mesh.paths.filter((p) => p.type === 'tunnel');
  // The tbf-limited capture on the first tunnel, the unlimited one on the third; the others ran no rrul.
  const given = { [tunnels[0]!.id]: 'vxlan-tbf50.txt', [tunnels[2]!.id]: 'vxlan-unlimited.txt' };
  const records: TestRecord[] = Object.entries(given).map(([pathId, file], i) => {
    const parsed = rrul.parse(t, { stdout: text(file), stderr: '', server: '' });
    return { id: `rrul-${i}`, pathId, test: rrul.testName(t), direction: 'forward', repetition: 1, startedAt: mesh.startedAt, seconds: rrul.seconds(t), command: 'rrul', raw: text(file), values: parsed.values!, detail: parsed.detail };
  });
  // The paths' summaries analysed afresh with the rrul records; the run's clusters and noise floor kept as captured.
  const withRrul: RunResults = { ...mesh, tests: [...mesh.tests, ...records], summary: { ...mesh.summary, paths: analyse(mesh.paths, [...mesh.tests, ...records]).paths } };

  it('is one bar chart, in the run\'s figures (which the report prints), a group per tunnel that ran rrul', () => {
    const spec = drawn(runLatencyUnderLoad(withRrul), 'bar');
    expect(runFigures(withRrul).filter((f) => f.id === spec.id)).toEqual([spec]);
    checkDrawn(spec);
    expect(spec.categories.map((x) => x.id)).toEqual(Object.keys(given));
    expect(spec.title).toMatch(/latency under load/i);
    expect(spec.y.unit).toBe('ms');
    expect(spec.note).toContain(rrul.id);
    expect(spec.note).toMatch(/--bidir/);
  });

  it('bars: idle and each both-ways phase\'s median RTT, labels from the tool\'s metrics, whiskers up to the p95', () => {
    const spec = drawn(runLatencyUnderLoad(withRrul), 'bar');
    const phases = [{ key: 'idleRttMedian', head: 'idle' }, ...[1, 4, 8].map((n) => ({ key: phaseKey('loadedRttMedian', 'both', n), head: `load flows=${n} direction=both` }))];
    expect(spec.series.map((s) => s.key)).toEqual(phases.map((p) => p.key));
    expect(spec.series.map((s) => s.label)).toEqual(phases.map((p) => rrul.metrics.find((m) => m.key === p.key)!.label));
    expect(new Set(spec.series.map((s) => s.tone)).size).toBe(spec.series.length);
    spec.categories.forEach((cat, ci) => {
      const out = text(given[cat.id]!);
      spec.series.forEach((s, si) => {
        const xs = replies(out, phases[si]!.head);
        const bar = s.values[ci]!;
        expect(bar.ref).toBe(cat.id);
        // The median of the replies, by hand (an even or odd count).
        const mid = xs.length / 2;
        expect(bar.value).toBeCloseTo(xs.length % 2 ? xs[Math.floor(mid)]! : (xs[mid - 1]! + xs[mid]!) / 2, 9);
        expect(bar.low).toBe(bar.value);
        expect(bar.high!).toBeGreaterThanOrEqual(bar.value);
        expect(bar.high!).toBeLessThanOrEqual(xs.at(-1)!);
      });
    });
    // The rate limit's queue shows: under 8 flows both ways the limited tunnel's median is far above its idle one, and above the unlimited tunnel's.
    const at = (key: string, ci: number): number => spec.series.find((s) => s.key === key)!.values[ci]!.value;
    const both8 = phaseKey('loadedRttMedian', 'both', 8);
    expect(at(both8, 0)).toBeGreaterThan(10 * at('idleRttMedian', 0));
    expect(at(both8, 0)).toBeGreaterThan(at(both8, 1));
  });

  it('a run without rrul figures gets the placeholder saying why, as the other optional charts do', () => {
    const none = runLatencyUnderLoad(mesh);
    expect(none.kind).toBe('empty');
    expect(none.kind === 'empty' && none.empty).toContain(`no ${rrul.id} test`);
    expect(runFigures(mesh).filter((f) => f.id === 'run:latency-under-load')).toEqual([none]);
    expect(runFigures(withRrul).map((f) => f.id)).toEqual(runFigures(mesh).map((f) => f.id));
  });
});
