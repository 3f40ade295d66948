// @vitest-environment jsdom
/**
 * The results → view model (heatmap, matrix, comparison, per-link table, drawing SVG) on real
 * runs captured from the embedded lab (tests/fixtures/results/capture.ts): every figure is
 * checked against the run's own records and summary, colours against d3's scale computed here,
 * and the marks (≈, ✕, missing) against what the data says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { interpolateViridis } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import { leanOf, type RunResults } from '../measure/results.js';
import { defaultRegistry } from '../tunnels/index.js';
import { drawingSvg } from './drawing-svg.js';
import { diff, heatmap, MISSING } from './heatmap.js';
import { bandOf, BANDS, matrix } from './matrix.js';
import { figuresAt, formatValue, METRIC_IDS, timeline, REPLAY_WINDOW_S } from './metrics.js';
import { linkRows } from './table.js';

const FIX = path.resolve(import.meta.dirname, '../../../tests/fixtures/results');
const load = (p: string): RunResults => JSON.parse(readFileSync(path.join(FIX, p), 'utf8')) as RunResults;
const mesh = load('mesh4/results.json');
const hub = load('hub3/results.json');
const cells = readdirSync(path.join(FIX, 'campaign/runs')).map((id) => load(`campaign/runs/${id}/results.json`));
const cell = (kind: string, mtu: number): RunResults => cells.find((r) => r.campaign?.kind === kind && r.campaign.mtu === mtu)!;

const tunnel = (r: RunResults, linkId: string) => r.summary.paths[`${linkId}.tunnel`]!;
const underlay = (r: RunResults, linkId: string) => r.summary.paths[`${linkId}.underlay`]!;
const close = (a: number | undefined, b: number | undefined): void => {
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  expect(Math.abs(a! - b!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(b!)));
};

describe('the fixtures are real runs', () => {
  it('hold what the tests below rely on', () => {
    expect(mesh.status).toBe('complete');
    expect(mesh.links.length).toBe(6);
    expect(mesh.suite.repeat).toBe(2);
    expect(hub.paths.some((p) => p.type === 'lan' && p.via?.length)).toBe(true);
    expect(cells.length).toBeGreaterThanOrEqual(6);
  });
});

describe('heatmap', () => {
  it('paints every link, keyed by link id, with the tunnel path’s figure of the metric', () => {
    const v = heatmap(mesh, { metric: 'rtt-mean' });
    expect([...v.edges.keys()].sort()).toEqual(mesh.links.map((l) => l.id).sort());
    for (const l of mesh.links) {
      const e = v.edges.get(l.id)!;
      expect(e.halves).toHaveLength(1);
      close(e.halves[0]!.value, tunnel(mesh, l.id).rtt!.ms.mean);
      expect(e.halves[0]!.text).toBe(formatValue(tunnel(mesh, l.id).rtt!.ms.mean, 'ms'));
    }
  });

  it('colours on viridis over the legend’s domain, which holds every figure; ticks in the metric’s unit, in order', () => {
    for (const metric of ['rtt-mean', 'tcp', 'jitter'] as const) {
      const v = heatmap(mesh, { metric });
      const [lo, hi] = v.legends[0]!.domain;
      for (const e of v.edges.values()) {
        const x = e.halves[0]!.value!;
        expect(x).toBeGreaterThanOrEqual(lo);
        expect(x).toBeLessThanOrEqual(hi);
        expect(e.halves[0]!.colour).toBe(interpolateViridis((x - lo) / (hi - lo)));
      }
      const ticks = v.legends[0]!.ticks.map((t) => t.value);
      expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
      expect(ticks.every((t) => t >= lo && t <= hi)).toBe(true);
      expect(v.legends[0]!.unit).toBe(metric === 'tcp' ? 'Mbit/s' : 'ms');
    }
    // Throughput's scale starts at zero (a rate), RTT's at the smallest figure.
    expect(heatmap(mesh, { metric: 'tcp' }).legends[0]!.domain[0]).toBe(0);
    expect(heatmap(mesh, { metric: 'rtt-mean' }).legends[0]!.domain[0]).toBeGreaterThan(0);
  });

  it('relative to the underlay: RTT added in ms and the share of TCP throughput kept', () => {
    const rtt = heatmap(mesh, { metric: 'rtt-mean', relative: true });
    const tcp = heatmap(mesh, { metric: 'tcp', relative: true });
    expect(rtt.legends[0]!.unit).toBe('ms');
    expect(tcp.legends[0]!.unit).toBe('% of underlay');
    for (const l of mesh.links) {
      close(rtt.edges.get(l.id)!.halves[0]!.value, tunnel(mesh, l.id).rtt!.ms.mean - underlay(mesh, l.id).rtt!.ms.mean);
      close(tcp.edges.get(l.id)!.halves[0]!.value, (100 * tunnel(mesh, l.id).throughput['iperf3-tcp:forward']!.mbps.mean) / underlay(mesh, l.id).throughput['iperf3-tcp:forward']!.mbps.mean);
      // The engine's own comparison says the same.
      close(tcp.edges.get(l.id)!.halves[0]!.value, mesh.summary.relative[l.id]!.throughputKeptPercent['iperf3-tcp:forward']);
    }
  });

  it('a clean link adds nothing to its own underlay', () => {
    const clean = cell('clean', 1500);
    const v = heatmap(clean, { metric: 'rtt-mean', relative: true });
    for (const e of v.edges.values()) expect(e.halves[0]!.value).toBe(0);
  });

  it('each direction on its own half: a → b at a, b → a at b, on one scale', () => {
    const v = heatmap(mesh, { metric: 'tcp', second: 'reverse' });
    expect(v.legends).toHaveLength(1);
    for (const l of mesh.links) {
      const [a, b] = v.edges.get(l.id)!.halves;
      expect(a!.direction).toBe('forward');
      expect(b!.direction).toBe('reverse');
      close(a!.value, tunnel(mesh, l.id).throughput['iperf3-tcp:forward']!.mbps.mean);
      close(b!.value, tunnel(mesh, l.id).throughput['iperf3-tcp:reverse']!.mbps.mean);
    }
    // RTT is a round trip: "each direction" gives one figure.
    expect(heatmap(mesh, { metric: 'rtt-mean', second: 'reverse' }).edges.get(mesh.links[0]!.id)!.halves).toHaveLength(1);
  });

  it('two metrics: one on each half, each with its own legend', () => {
    const v = heatmap(mesh, { metric: 'rtt-mean', second: 'loss' });
    expect(v.legends.map((l) => l.title)).toEqual(['RTT mean', 'Ping loss']);
    for (const l of mesh.links) close(v.edges.get(l.id)!.halves[1]!.value, tunnel(mesh, l.id).rtt!.lossPercent);
  });

  it('width by throughput: the fastest link widest, the others in proportion', () => {
    const v = heatmap(mesh, { metric: 'rtt-mean', widthByThroughput: true });
    const rates = mesh.links.map((l) => tunnel(mesh, l.id).throughput['iperf3-tcp:forward']!.mbps.mean);
    const max = Math.max(...rates);
    mesh.links.forEach((l, i) => close(v.edges.get(l.id)!.width, 2 + (8 * rates[i]!) / max));
    expect(new Set([...heatmap(mesh, { metric: 'rtt-mean' }).edges.values()].map((e) => e.width)).size).toBe(1);
  });

  it('marks exactly the edges whose 95 % interval overlaps a neighbour’s on the scale', () => {
    const v = heatmap(mesh, { metric: 'rtt-mean' });
    const sorted = mesh.links.map((l) => ({ id: l.id, ci: tunnel(mesh, l.id).rtt!.ci95!, m: tunnel(mesh, l.id).rtt!.ms.mean })).sort((a, b) => a.m - b.m);
    const overlaps = (a: { ci: { low: number; high: number } }, b: { ci: { low: number; high: number } }): boolean => a.ci.low <= b.ci.high && b.ci.low <= a.ci.high;
    sorted.forEach((s, i) => {
      const expected = (i > 0 && overlaps(s, sorted[i - 1]!)) || (i < sorted.length - 1 && overlaps(s, sorted[i + 1]!));
      expect(!!v.edges.get(s.id)!.uncertain).toBe(expected);
    });
  });

  it('a figure the run does not have is grey and says so, never a zero', () => {
    const l = mesh.links[0]!;
    const holed: RunResults = { ...mesh, summary: { ...mesh.summary, paths: { ...mesh.summary.paths, [`${l.id}.tunnel`]: { ...tunnel(mesh, l.id), rtt: undefined } as never } } };
    const e = heatmap(holed, { metric: 'rtt-mean' }).edges.get(l.id)!;
    expect(e.halves[0]!.value).toBeUndefined();
    expect(e.halves[0]!.colour).toBe(MISSING);
    expect(e.halves[0]!.text).toBe('not measured');
  });

  it('failed tests mark their link and say why; a host whose every test failed is marked', () => {
    const l = mesh.links[0]!;
    const recs = mesh.tests.map((t) => (t.pathId === `${l.id}.tunnel` && t.test === 'iperf3-udp' ? { ...t, error: 'server busy' } : t));
    const failures = [{ test: 'iperf3-udp:forward#1', error: 'server busy' }];
    const broken: RunResults = { ...mesh, tests: recs, summary: { ...mesh.summary, paths: { ...mesh.summary.paths, [`${l.id}.tunnel`]: { ...tunnel(mesh, l.id), failures } } } };
    const e = heatmap(broken, { metric: 'rtt-mean' }).edges.get(l.id)!;
    expect(e.failures).toEqual(['iperf3-udp:forward#1: server busy']);
    expect(e.details.some((d) => d.includes('server busy'))).toBe(true);
    const a = mesh.topology.hosts.find((h) => h.name === l.a)!.id!;
    const gone: RunResults = { ...mesh, tests: mesh.tests.map((t) => { const p = mesh.paths.find((x) => x.id === t.pathId)!; return p.src.hostId === a || p.dst.hostId === a ? { ...t, error: 'host gone' } : t; }) };
    expect(heatmap(gone, { metric: 'rtt-mean' }).hosts.get(a)!.failed).toMatch(/every test failed.*host gone/);
    expect(heatmap(mesh, { metric: 'rtt-mean' }).hosts.get(a)!.failed).toBeUndefined();
  });

  it('each host’s CPU: the busiest share during the throughput tests it took part in', () => {
    const v = heatmap(mesh, { metric: 'tcp' });
    for (const h of mesh.topology.hosts) {
      const shares = mesh.paths.flatMap((p) => {
        const c = mesh.summary.paths[p.id]?.cpu;
        return [...(p.src.hostId === h.id && c?.src !== undefined ? [c.src] : []), ...(p.dst.hostId === h.id && c?.dst !== undefined ? [c.dst] : [])];
      });
      expect(v.hosts.get(h.id!)!.cpu).toBe(Math.max(...shares));
    }
  });

  it('the sparkline is the tunnel’s RTT series (at most 60 points)', () => {
    const l = hub.links[0]!;
    const samples = hub.tests.filter((t) => t.pathId === `${l.id}.tunnel` && t.ping).flatMap((t) => t.ping!.samples.filter((s) => !s.dup).map((s) => s.rtt));
    const spark = heatmap(hub, { metric: 'rtt-mean' }).edges.get(l.id)!.spark;
    if (samples.length <= 60) expect(spark).toEqual(samples);
    else expect(spark).toHaveLength(60);
  });
});

describe('a run read lean (its digest, without its tests)', () => {
  // What the first paint of a large run reads: it must paint exactly what the whole run paints.
  const l = mesh.links[0]!;
  const a = mesh.topology.hosts.find((h) => h.name === l.a)!.id!;
  const failing: RunResults = {
    ...mesh,
    status: 'partial',
    tests: mesh.tests.map((t) => {
      const p = mesh.paths.find((x) => x.id === t.pathId)!;
      return p.src.hostId === a || p.dst.hostId === a ? { ...t, error: 'host gone' } : t;
    }),
    summary: { ...mesh.summary, paths: { ...mesh.summary.paths, [`${l.id}.tunnel`]: { ...tunnel(mesh, l.id), failures: [{ test: 'iperf3-udp:forward#1', error: 'host gone' }] } } },
  };
  const runs = { mesh, hub, failing, ...Object.fromEntries(cells.map((c) => [`${c.campaign!.kind}@${c.campaign!.mtu}`, c])) };

  it.each(Object.keys(runs))('%s: the heatmap of every metric, option and second figure is the whole run’s', (name) => {
    const r = runs[name as keyof typeof runs] as RunResults;
    const lean = leanOf(r);
    expect(lean.tests).toEqual([]);
    expect(lean.summary.paths).toEqual({});
    expect(lean.digest!.tests).toBe(r.tests.length);
    for (const metric of METRIC_IDS) {
      for (const relative of [false, true]) {
        for (const second of ['none', 'reverse', 'tcp'] as const) {
          const opts = { metric, relative, second, widthByThroughput: true };
          expect(heatmap(lean, opts)).toEqual(heatmap(r, opts));
        }
        expect(matrix(lean, { metric, relative })).toEqual(matrix(r, { metric, relative }));
      }
    }
  });

  it('keeps the sparklines and the host marks, and is a fraction of the whole run', () => {
    const v = heatmap(leanOf(hub), { metric: 'rtt-mean' });
    expect([...v.edges.values()].every((e) => e.spark.length > 1)).toBe(true);
    expect(heatmap(leanOf(failing), { metric: 'rtt-mean' }).hosts.get(a)!.failed).toMatch(/every test failed.*host gone/);
    expect(heatmap(leanOf(failing), { metric: 'rtt-mean' }).edges.get(l.id)!.failures).toEqual(['iperf3-udp:forward#1: host gone']);
    expect(JSON.stringify(leanOf(mesh)).length).toBeLessThan(JSON.stringify(mesh).length / 4);
  });

  it('compared with another run: the same difference as the whole runs give', () => {
    const [x, y] = [cell('vxlan', 1500), cell('vxlan', 9000)];
    for (const metric of METRIC_IDS) expect(diff(leanOf(x), leanOf(y), { metric })).toEqual(diff(x, y, { metric }));
  });
});

describe('replay', () => {
  const line = timeline(mesh);
  it('before the first test nothing is measured; after the last, every path has its RTT', () => {
    const before = figuresAt(mesh, line.start - 1);
    expect([...before.values()].every((f) => f.rttMean === undefined && Object.keys(f.rate).length === 0)).toBe(true);
    const after = figuresAt(mesh, line.end);
    for (const l of mesh.links) expect(after.get(`${l.id}.tunnel`)!.rttMean).toBeDefined();
  });

  it('during a ping series: the mean of the samples received in the last few seconds', () => {
    const t = mesh.tests.find((x) => x.ping && x.ping.samples.length > 10)!;
    const samples = t.ping!.samples.filter((s) => !s.dup);
    const at = samples[Math.floor(samples.length / 2)]!.t * 1000;
    const window = samples.filter((s) => s.t * 1000 <= at && s.t * 1000 > at - REPLAY_WINDOW_S * 1000).map((s) => s.rtt);
    // Later series of the same path (the second repetition) have not started yet at that moment.
    const f = figuresAt(mesh, at).get(t.pathId)!;
    close(f.rttMean!.value, window.reduce((a, b) => a + b, 0) / window.length);
  });

  it('during a throughput test: the reporting interval under way', () => {
    const t = mesh.tests.find((x) => x.throughput && x.throughput.protocol === 'tcp' && x.throughput.intervals.length >= 2 && !x.error)!;
    const iv = t.throughput!.intervals[1]!;
    const at = Date.parse(t.startedAt) + ((iv.start + iv.end) / 2) * 1000;
    const f = figuresAt(mesh, at).get(t.pathId)!;
    close(f.rate[`tcp:${t.direction}`]!.value, iv.bitsPerSecond / 1e6);
  });

  it('the heatmap at a moment paints those figures', () => {
    const mid = (line.start + line.end) / 2;
    const v = heatmap(mesh, { metric: 'rtt-mean', at: mid });
    const f = figuresAt(mesh, mid);
    for (const l of mesh.links) expect(v.edges.get(l.id)!.halves[0]!.value).toBe(f.get(`${l.id}.tunnel`)!.rttMean?.value);
  });
});

describe('two runs compared', () => {
  it('a run against itself: no change anywhere', () => {
    const d = diff(mesh, mesh, { metric: 'rtt-mean' });
    for (const e of d.edges.values()) expect(e.delta).toBe(0);
  });

  it('another kind on the same link: the difference, its share, and what changed', () => {
    const a = cell('vxlan', 1500);
    const b = cell('wireguard:implementation=go', 1500);
    const d = diff(a, b, { metric: 'rtt-mean' });
    const l = b.links[0]!;
    const e = d.edges.get(l.id)!;
    close(e.delta, tunnel(b, l.id).rtt!.ms.mean - tunnel(a, a.links[0]!.id).rtt!.ms.mean);
    expect(e.changed).toContain('kind vxlan → wireguard');
    expect(d.legend.diverging).toBe(true);
    expect(d.legend.domain[0]).toBe(-d.legend.domain[1]);
  });

  it('the change legend is centred on no change, ticked at its ends and at zero', () => {
    const d = diff(cell('vxlan', 1500), cell('wireguard:implementation=go', 1500), { metric: 'rtt-mean' });
    const [lo, hi] = d.legend.domain;
    expect(lo).toBe(-hi);
    expect(d.legend.ticks.map((t) => t.value)).toEqual([lo, 0, hi]);
    expect(d.legend.ticks[1]!.label).toBe('0 ms');
  });

  it('MTU 1500 against 9000 says the MTU changed', () => {
    const d = diff(cell('vxlan', 1500), cell('vxlan', 9000), { metric: 'tcp' });
    expect([...d.edges.values()][0]!.changed.some((c) => /^MTU \d+ → \d+$/.test(c))).toBe(true);
  });
});

describe('matrix', () => {
  it('rows from, columns to; each pair’s tunnel, throughput by direction; no path on the diagonal', () => {
    const m = matrix(mesh, { metric: 'tcp' });
    expect(m.hosts.map((h) => h.name)).toEqual(mesh.topology.hosts.map((h) => h.name));
    m.rows.forEach((row, i) => row.forEach((c, j) => {
      if (i === j) return expect(c.pathId).toBeUndefined();
      const l = mesh.links.find((x) => (x.hostIds.a === c.src && x.hostIds.b === c.dst) || (x.hostIds.b === c.src && x.hostIds.a === c.dst))!;
      expect(c.linkIds).toEqual([l.id]);
      const dir = l.hostIds.a === c.src ? 'forward' : 'reverse';
      close(c.value, tunnel(mesh, l.id).throughput[`iperf3-tcp:${dir}`]!.mbps.mean);
    }));
  });

  it('spoke to spoke on a hub-spoke: the LAN path through the hub, both its links', () => {
    const m = matrix(hub, { metric: 'rtt-mean' });
    const spokes = hub.topology.hosts.filter((h) => h.role === 'spoke');
    const i = m.hosts.findIndex((h) => h.id === spokes[0]!.id);
    const j = m.hosts.findIndex((h) => h.id === spokes[1]!.id);
    const c = m.rows[i]![j]!;
    const lan = hub.paths.find((p) => p.type === 'lan' && [p.src.hostId, p.dst.hostId].sort().join() === [spokes[0]!.id, spokes[1]!.id].sort().join())!;
    expect(c.pathId).toBe(lan.id);
    close(c.value, hub.summary.paths[lan.id]!.rtt!.ms.mean);
    const hubId = hub.topology.hosts.find((h) => h.role === 'hub')!.id;
    const viaHub = hub.links.filter((l) => [l.hostIds.a, l.hostIds.b].includes(hubId!) && ([l.hostIds.a, l.hostIds.b].includes(spokes[0]!.id!) || [l.hostIds.a, l.hostIds.b].includes(spokes[1]!.id!)));
    expect([...c.linkIds].sort()).toEqual(viaHub.map((l) => l.id).sort());
  });

  it('thresholds give bands with a sign as well as a colour, the right way round for each metric', () => {
    expect(bandOf(5, { warn: 1, bad: 10 }, 'lower')).toBe('warn');
    expect(bandOf(11, { warn: 1, bad: 10 }, 'lower')).toBe('bad');
    expect(bandOf(500, { warn: 1000, bad: 100 }, 'higher')).toBe('warn');
    const values = mesh.links.map((l) => tunnel(mesh, l.id).rtt!.ms.mean).sort((a, b) => a - b);
    const t = { warn: values[1]!, bad: values[4]! };
    const m = matrix(mesh, { metric: 'rtt-mean', thresholds: t });
    for (const c of m.rows.flat().filter((x) => x.value !== undefined)) {
      const band = c.value! > t.bad ? 'bad' : c.value! > t.warn ? 'warn' : 'ok';
      expect(c.band).toBe(band);
      expect(c.colour).toBe(BANDS[band].colour);
    }
  });
});

describe('per-link table', () => {
  it('one row per link with its plan and its figures, and what the tunnel costs over the underlay', () => {
    const rows = linkRows(mesh, defaultRegistry);
    expect(rows.map((r) => r.linkId)).toEqual(mesh.links.map((l) => l.id));
    for (const [i, l] of mesh.links.entries()) {
      const r = rows[i]!;
      expect([r.mtu, r.mss, r.overheadBytes]).toEqual([l.mtu, l.mss, l.overheadBytes]);
      expect(r.encrypted).toBe(false);
      expect(r.layer).toBe('L2');
      close(r.rttMeanMs, tunnel(mesh, l.id).rtt!.ms.mean);
      close(r.tcpReverseMbps, tunnel(mesh, l.id).throughput['iperf3-tcp:reverse']!.mbps.mean);
      close(r.relative.tcpKeptPercent, mesh.summary.relative[l.id]!.throughputKeptPercent['iperf3-tcp:forward']);
      close(r.relative.rttAddedMs, mesh.summary.relative[l.id]!.rttAddedMs);
    }
  });
});

describe('the drawing as SVG', () => {
  // jsdom's parser (this file runs in vitest's jsdom environment).
  // src/shared is type-checked without the DOM: the little of it used here, typed here.
  interface Doc {
    getElementsByTagName(n: string): { length: number };
    querySelectorAll(s: string): { length: number };
    querySelector(s: string): { getAttribute(n: string): string | null } | null;
  }
  const { DOMParser } = globalThis as unknown as { DOMParser: new () => { parseFromString(s: string, type: string): Doc } };
  const parse = (svg: string): Doc => new DOMParser().parseFromString(svg, 'image/svg+xml');

  it('is well-formed SVG with every host and link, the heatmap’s colours and the legend', () => {
    const v = heatmap(mesh, { metric: 'rtt-mean', second: 'loss' });
    const svg = drawingSvg({ topology: mesh.topology, edges: v.edges, hosts: v.hosts, legends: v.legends, caption: 'Run <&> "x"' });
    const doc = parse(svg);
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(doc.querySelectorAll('g[data-link]')).toHaveLength(mesh.links.length);
    expect(doc.querySelectorAll('g[data-host]')).toHaveLength(mesh.topology.hosts.length);
    for (const h of mesh.topology.hosts) expect(svg).toContain(`>${h.name}<`);
    for (const e of v.edges.values()) for (const half of e.halves) expect(svg).toContain(`stroke="${half.colour}"`);
    expect(doc.querySelectorAll('linearGradient')).toHaveLength(2);
    expect(svg).toContain('Run &lt;&amp;&gt; &quot;x&quot;');
  });

  it('a lit path: its links drawn with a halo, the others dimmed', () => {
    const lit = new Set([mesh.links[0]!.id]);
    const doc = parse(drawingSvg({ topology: mesh.topology, highlight: lit }));
    expect(doc.querySelector(`g[data-link="${mesh.links[0]!.id}"]`)!.getAttribute('opacity')).toBeNull();
    expect(doc.querySelector(`g[data-link="${mesh.links[1]!.id}"]`)!.getAttribute('opacity')).toBe('0.25');
  });
});

describe('metrics', () => {
  it('every metric has a figure on a complete quick run, or none at all (never NaN)', () => {
    for (const metric of METRIC_IDS) {
      for (const e of heatmap(mesh, { metric }).edges.values()) {
        const x = e.halves[0]!.value;
        if (x !== undefined) expect(Number.isFinite(x)).toBe(true);
      }
    }
  });
});
