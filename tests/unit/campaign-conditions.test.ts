/**
 * The campaign's conditions dimension (kinds × MTU × conditions): the cells it enumerates and
 * their ids (none's are those of a campaign without conditions, so old files resume), a version 1
 * campaign.json read and resumed as it is, the cell's project (the preset on every link, the
 * project's own conditions gone), the check that a cell's run was measured under its conditions
 * (read back), and the comparison grouped per MTU × conditions — on the real runs captured in the
 * lab (tests/fixtures/results: campaign/ under none, rate2/ under none and a rate limit).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printCampaign } from '../../src/cli/commands/campaign.js';
import { runCli, type Io } from '../../src/cli/main.js';
import { campaign, campaignAnalysis, cellTopology, conditionsProblem, readCampaign } from '../../src/engine/campaign/run.js';
import { createEngine } from '../../src/engine/engine.js';
import { ARGUMENTS } from '../../src/shared/api.js';
import { analyseCampaign, conditionsOf, kindFigures, newCampaign, parseConditionsList, type CampaignAnalysis, type CampaignFile, type Cell, type KindSpec } from '../../src/shared/measure/campaign.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { campaignFigures } from '../../src/shared/view/charts.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures/results');
const load = (p: string): RunResults => JSON.parse(readFileSync(path.join(FIX, p), 'utf8')) as RunResults;
const oldFile = JSON.parse(readFileSync(path.join(FIX, 'campaign/campaign.json'), 'utf8')) as CampaignFile;
const oldAnalysis = JSON.parse(readFileSync(path.join(FIX, 'campaign/analysis.json'), 'utf8')) as CampaignAnalysis;
const none = load('rate2/none/results.json');
const rate = load('rate2/rate/results.json');

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('cells: kinds × MTU × conditions', () => {
  const specs: KindSpec[] = [{ kind: 'vxlan', options: {} }, { kind: 'wireguard', options: { implementation: 'go' } }];

  it('MTU outer, conditions, kind inner; none keeps the ids a campaign without conditions gives', () => {
    const c = newCampaign('c1', 'p', specs, [1500, 9000], 'quick', 1, undefined, ['none', 'isp-wan', 'wifi']);
    expect(c.cells.map((x) => x.id)).toEqual([
      'vxlan@1500', 'wireguard:implementation=go@1500',
      'vxlan@1500~isp-wan', 'wireguard:implementation=go@1500~isp-wan',
      'vxlan@1500~wifi', 'wireguard:implementation=go@1500~wifi',
      'vxlan@9000', 'wireguard:implementation=go@9000',
      'vxlan@9000~isp-wan', 'wireguard:implementation=go@9000~isp-wan',
      'vxlan@9000~wifi', 'wireguard:implementation=go@9000~wifi',
    ]);
    expect(c.cells.map(conditionsOf)).toEqual(['none', 'none', 'isp-wan', 'isp-wan', 'wifi', 'wifi', 'none', 'none', 'isp-wan', 'isp-wan', 'wifi', 'wifi']);
    expect(c.cells[0]).not.toHaveProperty('conditions');
    expect(c.conditions).toEqual(['none', 'isp-wan', 'wifi']);
    expect(c.version).toBe(2);
    // Without the dimension: the cells and the file of a campaign before conditions existed.
    const plain = newCampaign('c2', 'p', specs, [1500], 'quick', 1);
    expect(plain.cells.map((x) => x.id)).toEqual(oldFile.cells.filter((x) => x.mtu === 1500 && ['vxlan', 'wireguard:implementation=go'].includes(x.label)).map((x) => x.id));
    expect(plain).not.toHaveProperty('conditions');
  });

  it('--conditions takes preset ids and none, and names a wrong one with the choices', () => {
    expect(parseConditionsList(['none', 'fast-ethernet'])).toEqual(['none', 'fast-ethernet']);
    expect(parseConditionsList([])).toEqual(['none']);
    expect(parseConditionsList(['none', 'dsl'])).toMatch(/^"dsl" is not a conditions preset; use none or one of lan, fast-ethernet, isp-wan/);
    expect(parseConditionsList(['wifi', 'wifi'])).toMatch(/named twice/);
    expect(ARGUMENTS['campaign.run'].safeParse({ dir: '/p', kinds: ['vxlan'], conditions: ['none', 'wifi'] }).success).toBe(true);
    expect(ARGUMENTS['campaign.run'].safeParse({ dir: '/p', kinds: ['vxlan'], conditions: [] }).success).toBe(false);
  });
});

describe("a cell's project", () => {
  const base = none.topology;
  const cellOf = (conditions?: string): Cell => ({ id: 'x', kind: 'wireguard', label: 'wireguard', options: {}, mtu: 9000, ...(conditions ? { conditions } : {}), status: 'pending' });

  it("gets the preset on every link, and none of the project's own conditions", () => {
    const own = { ...base, hosts: base.hosts.map((h) => ({ ...h, uplink: { up: { rate: 5 } } })), links: base.links.map((l) => ({ ...l, conditions: { both: { rate: 7 } } })) };
    const t = cellTopology(own, cellOf('fast-ethernet'));
    expect(t.links.map((l) => l.conditions)).toEqual(base.links.map(() => ({ preset: 'fast-ethernet' })));
    expect(t.hosts.every((h) => h.uplink === undefined)).toBe(true);
    expect(t.links.every((l) => l.kind === 'wireguard')).toBe(true);
    expect(t.underlay.mtu).toBe(9000);
    expect(cellTopology(own, cellOf()).links.every((l) => l.conditions === undefined)).toBe(true);
  });
});

describe('a cell stands for its conditions only if its run was measured under them (read back)', () => {
  const cellOf = (conditions?: string): Cell => ({ id: 'x', kind: 'vxlan', label: 'vxlan', options: {}, mtu: 1500, ...(conditions ? { conditions } : {}), status: 'pending' });
  it('a run under none is a none cell; a run without a record is not a preset cell; other figures are not the preset', () => {
    expect(conditionsProblem(cellOf(), none)).toBeUndefined();
    expect(conditionsProblem(cellOf('fast-ethernet'), none)).toMatch(/has no conditions recorded: fast-ethernet's were not applied, and its figures are a perfect wire's/);
    expect(conditionsProblem(cellOf('fast-ethernet'), rate)).toMatch(/measured under other conditions than fast-ethernet/);
    expect(conditionsProblem(cellOf(), rate)).toMatch(/other conditions than none/);
    const held = { ...rate, conditions: { links: rate.links.map((l) => ({ linkId: l.id, aToB: { asked: { rate: 100 }, inForce: { rate: 100 } }, bToA: { asked: { rate: 100 }, inForce: { rate: 100 } } })), uplinks: [] } };
    expect(conditionsProblem(cellOf('fast-ethernet'), held)).toBeUndefined();
  });
});

describe('the comparison groups kinds per MTU × conditions', () => {
  // The captured campaign (none) and one more vxlan cell at 1500 under a rate limit (rate2's run).
  const runs = readdirSync(path.join(FIX, 'campaign/runs')).map((id) => load(`campaign/runs/${id}/results.json`));
  const figures = oldFile.cells.filter((c) => c.runId).map((c) => kindFigures(c, runs.find((r) => r.runId === c.runId)!));
  const limited: Cell = { id: 'vxlan@1500~rate', kind: 'vxlan', label: 'vxlan', options: {}, mtu: 1500, conditions: 'rate', status: 'done', runId: rate.runId };
  const a = analyseCampaign([...figures, kindFigures(limited, rate)], ['none', 'rate']);

  it('each group ranks only the kinds measured under its conditions, with clusters of its own', () => {
    expect(a.byMtu.map((g) => `${g.mtu}/${g.conditions}`)).toEqual(['1500/none', '1500/rate', '9000/none']);
    const g1500 = a.byMtu[0]!;
    expect(g1500.sorted).not.toContain('vxlan@1500~rate');
    expect(new Set(g1500.sorted)).toEqual(new Set(oldFile.cells.filter((c) => c.mtu === 1500 && c.status === 'done').map((c) => c.id)));
    expect(a.byMtu[1]!.sorted).toEqual(['vxlan@1500~rate']);
    expect(a.byMtu[1]!.clusters.map((k) => k.cells)).toEqual([['vxlan@1500~rate']]);
    // The none groups are the campaign's analysis as captured (computed before the dimension existed).
    for (const g of [a.byMtu[0]!, a.byMtu[2]!]) {
      const was = oldAnalysis.byMtu.find((x) => x.mtu === g.mtu)!;
      expect(g.sorted).toEqual(was.sorted);
      expect(g.clusters.map((k) => k.cells)).toEqual(was.clusters.map((k) => k.cells));
    }
    // The rate cell's figures are the limited run's: TCP a→b under its 40 Mbit/s.
    const f = a.cells.find((c) => c.cell === 'vxlan@1500~rate')!;
    expect(f.conditions).toBe('rate');
    expect(f.throughput['iperf3-tcp:forward']!.mean).toBeLessThan(40);
  });

  it('printed per MTU × conditions, and charted side by side per conditions', () => {
    const out: string[] = [];
    const file = { ...oldFile, conditions: ['none', 'fast-ethernet'], cells: [...oldFile.cells, { ...limited, conditions: 'fast-ethernet', id: 'vxlan@1500~fast-ethernet' }] };
    const b = analyseCampaign([...figures, kindFigures(file.cells.at(-1)!, rate)], file.conditions);
    printCampaign({ out: (s: string) => out.push(s), err: () => undefined } as never, file, b);
    const text = out.join('');
    expect(text).toContain("underlay MTU 1500, conditions none (the lab's wire as it is): kinds by mean RTT");
    expect(text).toContain('underlay MTU 1500, conditions fast-ethernet (Fast Ethernet: 100 Mbit/s each way): kinds by mean RTT');
    const specs = campaignFigures(b);
    const cmp = specs.find((s) => s.id === 'campaign:conditions-compare:rtt@1500');
    expect(cmp && cmp.kind === 'bar' ? cmp.series.map((s) => s.label) : []).toEqual(['none', 'fast-ethernet']);
    expect(specs.some((s) => s.id === 'campaign:rtt-sorted@1500~fast-ethernet')).toBe(true);
    // The ids of the charts under none are the ones a campaign without conditions has.
    expect(specs.some((s) => s.id === 'campaign:rtt-sorted@1500')).toBe(true);
  });
});

describe('a campaign file written before conditions (version 1)', () => {
  it('reads, analyses (every cell under none) and resumes as it is: no cell re-run, ids and version kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlab-campaign-v1-'));
    temps.push(dir);
    const engine = createEngine({ registry: defaultRegistry });
    await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'vxlan' });
    const folder = path.join(dir, 'campaigns', oldFile.id);
    mkdirSync(folder, { recursive: true });
    // One cell left pending, as an interrupted campaign leaves it; the others done with their runs.
    const pendingId = oldFile.cells.at(-1)!.id;
    const { runId: _r, seconds: _s, ...pendingCell } = oldFile.cells.at(-1)!;
    const interrupted = { ...oldFile, cells: [...oldFile.cells.slice(0, -1), { ...pendingCell, status: 'pending' }] };
    writeFileSync(path.join(folder, 'campaign.json'), JSON.stringify(interrupted));
    for (const c of oldFile.cells) if (c.runId) cpSync(path.join(FIX, 'campaign/runs', c.runId), path.join(dir, 'runs', c.runId), { recursive: true });
    const read = await readCampaign(dir, oldFile.id);
    expect(read.version).toBe(1);
    expect(read.cells.map(conditionsOf).every((x) => x === 'none')).toBe(true);
    const a = await campaignAnalysis(dir, read);
    expect(a.byMtu.map((g) => `${g.mtu}/${g.conditions}`)).toEqual(['1500/none', '9000/none']);
    // Resumed with the run stopped before it starts: nothing is re-run, the pending cell stays pending and the file keeps its ids.
    const stop = new AbortController();
    stop.abort();
    const r = await campaign(dir, defaultRegistry, { id: oldFile.id, kinds: [], mtus: [], suite: 'quick', resume: true, signal: stop.signal });
    expect(r.campaign.cells.map((c) => [c.id, c.status])).toEqual(interrupted.cells.map((c) => [c.id, c.status]));
    expect(r.campaign.cells.find((c) => c.id === pendingId)!.status).toBe('pending');
    const saved = JSON.parse(readFileSync(path.join(folder, 'campaign.json'), 'utf8')) as CampaignFile;
    expect(saved.version).toBe(1);
    expect(saved).not.toHaveProperty('conditions');
    expect(saved.cells.map((c) => c.id)).toEqual(oldFile.cells.map((c) => c.id));
  });
});

describe('overlab campaign --conditions', () => {
  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
    return { code: await runCli(argv, io), out, err };
  };

  it('refuses a preset it does not know, naming the choices, and --conditions on a resumed campaign; nothing is started', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'overlab-campaign-cli-'));
    temps.push(dir);
    expect((await cli('new', dir, '--template', 'site-to-site', '--hosts', '2', '--kind', 'vxlan', '--force')).code).toBe(0);
    const bad = await cli('campaign', dir, '--kinds', 'vxlan', '--conditions', 'none,dsl');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('"dsl" is not a conditions preset; use none or one of lan, fast-ethernet, isp-wan, wifi, transcontinental, constrained-uplink');
    const resumed = await cli('campaign', dir, '--resume', 'x1', '--conditions', 'wifi');
    expect(resumed.code).toBe(2);
    expect(resumed.err).toContain('a resumed campaign keeps its own conditions');
    expect(readdirSync(dir)).not.toContain('campaigns');
  });
});
