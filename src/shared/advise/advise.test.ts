/**
 * The advisor on real runs captured in the lab (tests/fixtures/results/campaign: clean, VXLAN,
 * wireguard-go and OpenVPN at MTU 1500 and 9000, quick suite) and the real catalogue.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CampaignFile } from '../measure/campaign.js';
import type { PathSummary } from '../measure/analyse.js';
import type { RunResults } from '../measure/results.js';
import { defaultRegistry } from '../tunnels/index.js';
import { advise, apart, campaignEvidence, DEFAULT_NEEDS, FIGURES, runEvidence, type FigureSpec, type Needs } from './index.js';

const FIX = path.resolve(import.meta.dirname, '../../../tests/fixtures/results');
const json = <T>(p: string): T => JSON.parse(readFileSync(path.join(FIX, p), 'utf8')) as T;
const camp = json<CampaignFile>('campaign/campaign.json');
const runs = new Map(camp.cells.map((c) => [c.runId!, json<RunResults>(`campaign/runs/${c.runId!}/results.json`)]));
const sets = campaignEvidence(camp, runs);
const kindOf = (id: string) => defaultRegistry.kinds.find((k) => k.id === id)!;
const run = (needs: Partial<Needs>, more: Partial<Parameters<typeof advise>[0]> = {}) => advise({ needs: { ...DEFAULT_NEEDS, ...needs }, registry: defaultRegistry, sets, underlayMtu: 1500, ...more });

describe('capability: what the catalogue says each kind can do', () => {
  it('encryption, layer, NAT traversal and inner MTU leave kinds out with the reason', () => {
    const a = run({ encrypted: true, layer: 'L3', nat: true, minMtu: 1420 });
    for (const e of a.excluded.filter((x) => x.why === 'capability')) {
      const k = kindOf(e.kind);
      const inner = 1500 - k.overhead(k.options.parse({}), 4, 1500);
      if (!k.encrypted) expect(e.reason).toBe('not encrypted');
      else if (k.layer !== 'L3') expect(e.reason).toBe(`carries ${k.layer}, L3 needed`);
      else if (!k.natTraversal) expect(e.reason).toMatch(/^no NAT traversal/);
      else expect(e.reason).toBe(`inner MTU ${inner} on a 1500-byte path, 1420 needed`);
    }
    for (const r of a.ranking) {
      const k = kindOf(r.kind);
      expect(k.encrypted && k.layer === 'L3' && !!k.natTraversal && 1500 - k.overhead(k.options.parse({}), 4, 1500) >= 1420).toBe(true);
    }
    expect(a.excluded.find((e) => e.kind === 'vxlan')?.reason).toBe('not encrypted');
    expect(a.excluded.find((e) => e.kind === 'gre')?.reason).toBe('not encrypted');
    // clean adds no tunnel: the baseline, never a candidate nor an exclusion; every other kind is one or the other.
    expect([...a.ranking, ...a.excluded].some((x) => x.kind === 'clean')).toBe(false);
    expect(new Set([...a.ranking, ...a.excluded].map((x) => x.kind))).toEqual(new Set(defaultRegistry.kinds.map((k) => k.id).filter((id) => id !== 'clean')));
  });
});

describe('ranking from the campaign, with the figures and the runs behind each rank', () => {
  it('latency: VXLAN first at MTU 1500; wireguard-go and OpenVPN, whose RTT intervals overlap, share a rank and say so', () => {
    const a = run({ priority: 'latency' });
    expect(a.basis?.source).toBe(`campaign ${camp.id} at MTU 1500`);
    const by = new Map(a.ranking.map((r) => [r.label, r]));
    const vx = by.get('vxlan')!;
    const wg = by.get('wireguard:implementation=go')!;
    const ov = by.get('openvpn')!;
    const cell = camp.cells.find((c) => c.id === 'vxlan@1500')!;
    expect(vx.runId).toBe(cell.runId);
    expect(vx.rank).toBe(1);
    // The figure is the run's own mean RTT of its tunnel path, cited in the reason.
    const r = runs.get(cell.runId!)!;
    const tunnel = r.paths.find((p) => p.type === 'tunnel')!;
    expect(vx.figures['rtt']!.value).toBe(r.summary.paths[tunnel.id]!.rtt!.ms.mean);
    expect(vx.reasons[0]).toContain(`RTT mean ${r.summary.paths[tunnel.id]!.rtt!.ms.mean.toFixed(3)}`);
    expect(vx.reasons).toContain(`run ${cell.runId}`);
    expect(apart(wg.figures['rtt']!, ov.figures['rtt']!, a.basis?.noise?.ms)).toBe(false);
    expect(wg.rank).toBe(ov.rank);
    expect(wg.tiedWith).toEqual(['openvpn']);
    expect(ov.reasons.some((x) => x.includes('tie with wireguard:implementation=go'))).toBe(true);
    expect(vx.rank).toBeLessThan(wg.rank);
  });

  it('bulk: ranked by TCP throughput; figures relative to the underlay', () => {
    const a = run({ priority: 'bulk', encrypted: true });
    const tcp = a.ranking.map((r) => r.figures['tcp']!.value);
    expect(tcp).toEqual([...tcp].sort((x, y) => y - x));
    const [first, second] = a.ranking;
    expect(apart(first!.figures['tcp']!, second!.figures['tcp']!, (a.basis!.throughputNoise ?? 0) * first!.figures['tcp']!.value)).toBe(true);
    expect(first!.rank).toBeLessThan(second!.rank);
    expect(first!.throughputKeptPercent).toBeGreaterThan(0);
    expect(first!.reasons.some((x) => x.endsWith("% of the underlay's TCP throughput"))).toBe(true);
  });

  it('a CPU budget leaves out the kinds busier than it, citing the figure and the run', () => {
    const all = run({ priority: 'bulk' });
    const cpus = all.ranking.map((r) => r.figures['cpu']!.value).sort((x, y) => x - y);
    const budget = Math.floor((cpus[0]! + cpus[1]!) / 2);
    const a = run({ priority: 'bulk', cpuBudget: budget });
    expect(a.ranking).toHaveLength(1);
    const out = a.excluded.filter((e) => e.why === 'cpu-budget');
    expect(out).toHaveLength(all.ranking.length - 1);
    for (const e of out) expect(e.reason).toMatch(new RegExp(`over the ${budget} % budget \\(run [0-9T]+-[0-9a-f]+\\)$`));
  });

  it('a failed cell is left out with its reason, and kinds not measured are named with the campaign to run', () => {
    // At both MTUs, else the set at 9000 (two candidates measured) would be the one compared.
    const broken: CampaignFile = { ...camp, cells: camp.cells.map((c) => (c.kind === 'openvpn' ? { ...c, status: 'failed' as const, reason: 'deploy failed on host b' } : c)) };
    const a = advise({ needs: { ...DEFAULT_NEEDS, encrypted: true }, registry: defaultRegistry, sets: campaignEvidence(broken, runs), underlayMtu: 1500, carried: new Set(['wireguard', 'openvpn', 'tinc']), dir: 'proj' });
    expect(a.excluded.find((e) => e.kind === 'openvpn')).toEqual({ kind: 'openvpn', label: 'openvpn', why: 'failed', reason: `failed in campaign ${camp.id} (openvpn at MTU 1500): deploy failed on host b` });
    expect(a.excluded.find((e) => e.kind === 'tinc')).toMatchObject({ why: 'not-measured', reason: `not measured in campaign ${camp.id} at MTU 1500` });
    // Only what this machine carries is suggested, beside what was measured.
    expect(a.measure).toEqual({ kinds: ['tinc'], campaignKinds: ['wireguard:implementation=go', 'tinc'], mtu: 1500, command: 'overlab campaign proj --kinds wireguard:implementation=go,tinc --mtu 1500 --suite quick' });
  });

  it('with no measurement at all: no ranking, every candidate not measured, and the campaign to run', () => {
    const a = advise({ needs: { ...DEFAULT_NEEDS, encrypted: true, nat: true }, registry: defaultRegistry, sets: [], carried: new Set(['wireguard', 'openvpn', 'vxlan']) });
    expect(a.ranking).toEqual([]);
    expect(a.basis).toBeUndefined();
    expect(a.measure?.kinds).toEqual(['wireguard', 'openvpn']);
    expect(a.measure?.command).toBe('overlab campaign DIR --kinds wireguard,openvpn --mtu 1500 --suite quick');
  });
});

describe('figures a new tool adds join as one FigureSpec; runs without them read as before', () => {
  const loaded: FigureSpec = {
    id: 'custom-load',
    label: 'Custom load figure',
    unit: 'ms',
    better: 'lower',
    priorities: ['latency'],
    read: (p) => {
      const v = (p as PathSummary & { loadedRttMs?: number }).loadedRttMs;
      return v !== undefined ? { value: v, unit: 'ms' } : undefined;
    },
  };
  it('absent from every run: the same ranking', () => {
    const plain = run({ priority: 'latency' });
    const withSpec = advise({ needs: { ...DEFAULT_NEEDS, priority: 'latency' }, registry: defaultRegistry, sets: campaignEvidence(camp, runs, [...FIGURES, loaded]), underlayMtu: 1500, figures: [...FIGURES, loaded] });
    expect(withSpec.ranking.map((r) => [r.label, r.rank])).toEqual(plain.ranking.map((r) => [r.label, r.rank]));
  });
  it('present: read and ranked on (it breaks the RTT tie of the two userspace tunnels)', () => {
    const withLoad = new Map([...runs].map(([id, r]) => {
      const cell = camp.cells.find((c) => c.runId === id)!;
      const v = cell.kind === 'openvpn' ? 9 : cell.kind === 'wireguard' ? 3 : 1;
      return [id, { ...r, summary: { ...r.summary, paths: Object.fromEntries(Object.entries(r.summary.paths).map(([k, p]) => [k, { ...p, loadedRttMs: v }])) } }];
    }));
    const a = advise({ needs: { ...DEFAULT_NEEDS, priority: 'latency' }, registry: defaultRegistry, sets: campaignEvidence(camp, withLoad, [...FIGURES, loaded]), underlayMtu: 1500, figures: [...FIGURES, loaded] });
    const by = new Map(a.ranking.map((r) => [r.label, r]));
    expect(by.get('wireguard:implementation=go')!.figures['custom-load']!.value).toBe(3);
    expect(by.get('wireguard:implementation=go')!.rank).toBeLessThan(by.get('openvpn')!.rank);
    expect(by.get('openvpn')!.reasons.some((x) => x.startsWith('Custom load figure 9.000 ms'))).toBe(true);
  });
  it("the rrul tool's figure: loaded RTT p95 of the heaviest both-ways phase, read from the summary's metrics", () => {
    const fig = (v: number) => ({ mean: v, values: [v], unit: 'ms', over: 'repetitions' as const });
    const withRrul = new Map([...runs].map(([id, r]) => {
      const cell = camp.cells.find((c) => c.runId === id)!;
      const v = cell.kind === 'openvpn' ? 40 : cell.kind === 'wireguard' ? 12 : 20;
      const metrics = { 'rrul:forward': { loadedRttP95Up8: fig(1), loadedRttP95Both1: fig(2), loadedRttP95Both8: fig(v), idleRttP95: fig(0.1) } };
      return [id, { ...r, summary: { ...r.summary, paths: Object.fromEntries(Object.entries(r.summary.paths).map(([k, p]) => [k, { ...p, metrics }])) } }];
    }));
    const a = advise({ needs: { ...DEFAULT_NEEDS, priority: 'latency' }, registry: defaultRegistry, sets: campaignEvidence(camp, withRrul), underlayMtu: 1500 });
    const by = new Map(a.ranking.map((r) => [r.label, r]));
    expect(by.get('openvpn')!.figures['loaded-rtt']!.value).toBe(40);
    expect(by.get('wireguard:implementation=go')!.figures['loaded-rtt']!.value).toBe(12);
    expect(by.get('wireguard:implementation=go')!.rank).toBeLessThan(by.get('openvpn')!.rank);
    // without the tool's records the figure is absent, not zero
    expect(run({ priority: 'latency' }).ranking.every((r) => r.figures['loaded-rtt'] === undefined)).toBe(true);
  });
});

describe('a run outside a campaign', () => {
  it('ranks its kinds with its own noise floor', () => {
    const mesh = json<RunResults>('mesh4/results.json');
    const s = runEvidence(mesh);
    expect(s.kinds.map((k) => k.kind)).toEqual(['vxlan']);
    expect(s.noise?.ms).toBeGreaterThan(0);
    const a = advise({ needs: DEFAULT_NEEDS, registry: defaultRegistry, sets: [s] });
    expect(a.ranking.map((r) => r.kind)).toEqual(['vxlan']);
    expect(a.ranking[0]!.runId).toBe(mesh.runId);
  });
});
