/**
 * The RTT clustering judged against the measurement's noise floor, on real runs captured in the
 * lab (tests/fixtures/results): mesh4 is six identical VXLAN links on one machine, measured with
 * two repetitions — k-means alone split them into several clusters (the results.json as captured
 * still holds that split); demo3 is the example project `demo` (a hub and three VXLAN spokes)
 * measured once with the quick suite, as a new user first does; the campaign compares clean,
 * VXLAN, wireguard-go and OpenVPN.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyse, runNoise } from '../../src/shared/measure/analyse.js';
import { analyseCampaign, groupNoise, kindFigures, type CampaignFile } from '../../src/shared/measure/campaign.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { clusterBy } from '../../src/shared/stats/index.js';
import { campaignRttClusters, runRttClusters } from '../../src/shared/view/charts.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/results');
const json = <T>(p: string): T => JSON.parse(readFileSync(path.join(FIX, p), 'utf8')) as T;
const mesh = json<RunResults>('mesh4/results.json');
const camp = json<CampaignFile>('campaign/campaign.json');
const runs = new Map(camp.cells.map((c) => [c.id, json<RunResults>(`campaign/runs/${c.runId!}/results.json`)]));

describe('a run: identical links are not split below the noise floor', () => {
  const s = analyse(mesh.paths, mesh.tests, { sameWire: mesh.sharedMachine });
  const means = (ids: readonly string[]) => ids.map((id) => s.paths[id]!.rtt!.ms.mean).sort((a, b) => a - b);

  it('the fixture shows the problem: plain k-means split the six identical links', () => {
    expect(mesh.sharedMachine).toBe(true);
    expect(new Set(mesh.links.map((l) => l.kind))).toEqual(new Set(['vxlan']));
    expect(mesh.summary.clusters.length).toBeGreaterThan(1);
  });

  it('the floor is the larger of the repetitions\' spread and the underlay paths\' spread', () => {
    const under = mesh.paths.filter((p) => p.type === 'underlay').map((p) => s.paths[p.id]!.rtt!.ms.mean);
    expect(s.noise?.underlayMs).toBeCloseTo(Math.max(...under) - Math.min(...under), 12);
    // Each path's two repetitions' means, from the raw samples.
    const ranges = mesh.paths.map((p) => {
      const m = mesh.tests.filter((t) => t.pathId === p.id && t.ping).map((t) => t.ping!.samples.reduce((a, x) => a + x.rtt, 0) / t.ping!.samples.length);
      return Math.max(...m) - Math.min(...m);
    }).sort((a, b) => a - b);
    const mid = ranges.length % 2 ? ranges[(ranges.length - 1) / 2]! : (ranges[ranges.length / 2 - 1]! + ranges[ranges.length / 2]!) / 2;
    expect(s.noise?.repetitionsMs).toBeCloseTo(mid, 12);
    expect(s.noise?.ms).toBe(Math.max(s.noise!.underlayMs!, s.noise!.repetitionsMs!));
  });

  it('every gap between the links\' mean RTTs is below the floor: one cluster, a tie, and the chart says so', () => {
    const tunnels = mesh.paths.filter((p) => p.type === 'tunnel').map((p) => p.id);
    const xs = means(tunnels);
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeLessThan(s.noise!.ms);
    expect(s.clusters).toHaveLength(1);
    expect(new Set(s.clusters[0]!.pathIds)).toEqual(new Set(tunnels));
    expect(s.clusters[0]!.tie).toBe(true);
    const [chart] = runRttClusters({ ...mesh, summary: s });
    if (chart?.kind !== 'line') throw new Error('expected a density chart of the cluster');
    expect(chart.subtitle).toContain(`tie: within noise ±`);
    expect(chart.note).toContain('noise floor');
  });

  it('on real hosts (not one wire) the underlay paths may differ for real: only repetitions count', () => {
    const n = runNoise(mesh.paths, mesh.tests, false);
    expect(n?.underlayMs).toBeUndefined();
    expect(n?.ms).toBe(n?.repetitionsMs);
  });

  it('a run without repetitions on one underlay path has no floor, and clusters as before', () => {
    const one = runs.get('vxlan@1500')!;
    expect(runNoise(one.paths.filter((p) => p.type !== 'underlay'), one.tests, true)).toBeUndefined();
  });
});

describe('the demo: a hub and three identical VXLAN spokes, quick suite, one repetition', () => {
  const demo = json<RunResults>('demo3/results.json');
  it('plain k-means splits the three links; against the underlay paths\' spread they are one cluster, a tie', () => {
    const tunnels = demo.paths.filter((p) => p.type === 'tunnel');
    expect(tunnels).toHaveLength(3);
    expect(new Set(demo.links.map((l) => l.kind))).toEqual(new Set(['vxlan']));
    const s = analyse(demo.paths, demo.tests, { sameWire: demo.sharedMachine });
    expect(clusterBy(tunnels, (p) => s.paths[p.id]!.rtt!.ms.mean).k).toBeGreaterThan(1);
    // One repetition: the floor is the underlay paths' spread alone.
    expect(s.noise?.repetitionsMs).toBeUndefined();
    const under = demo.paths.filter((p) => p.type === 'underlay').map((p) => s.paths[p.id]!.rtt!.ms.mean);
    expect(s.noise?.ms).toBeCloseTo(Math.max(...under) - Math.min(...under), 12);
    expect(s.clusters).toHaveLength(1);
    expect(s.clusters[0]!.tie).toBe(true);
    // The engine wrote the same analysis into the run (it was measured with the floor).
    expect(demo.summary.clusters).toEqual(s.clusters);
  });
});

describe('a campaign: kinds closer than the spread of their cells\' underlay are a tie', () => {
  const figures = camp.cells.map((c) => kindFigures(c, runs.get(c.id)!));
  const a = analyseCampaign(figures);

  it.each([1500, 9000])('MTU %i: floor from the cells\' baselines; clean and VXLAN tie, the userspace tunnels stand apart', (mtu) => {
    const at = a.byMtu.find((g) => g.mtu === mtu)!;
    const cells = figures.filter((f) => f.mtu === mtu);
    const base = cells.map((c) => c.baseline.rttMs).filter((x): x is number => x !== undefined);
    expect(at.noise?.underlayMs).toBeCloseTo(Math.max(...base) - Math.min(...base), 12);
    expect(at.noise).toEqual(groupNoise(cells));
    const clean = cells.find((c) => c.kind === 'clean')!.rtt!.mean;
    const vxlan = cells.find((c) => c.kind === 'vxlan')!.rtt!.mean;
    expect(Math.abs(clean - vxlan)).toBeLessThan(at.noise!.ms);
    const first = at.clusters.find((k) => k.cells.includes(`vxlan@${mtu}`))!;
    expect(first.cells).toContain(`clean@${mtu}`);
    expect(first.tie).toBe(true);
    expect(first.cells.some((c) => c.startsWith('wireguard') || c.startsWith('openvpn'))).toBe(false);
    const chart = campaignRttClusters(a, mtu)[at.clusters.indexOf(first)]!;
    if (chart.kind !== 'line') throw new Error('expected a density chart of the cluster');
    expect(chart.subtitle).toContain('tie: within noise ±');
  });
});
