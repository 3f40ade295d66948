/**
 * The measurement tools' charts of a campaign (latency under load, transactions per second, both
 * ways at once), on a campaign measured in the lab (tests/fixtures/results/campaign6) whose VXLAN
 * and tinc cells are given real captures of the new tools (tests/fixtures/tools): the cells'
 * paths re-analysed with those records, the campaign analysed from the cells as the engine does.
 * Each bar is checked against what the tool's parser reads from the capture.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyse } from '../measure/analyse.js';
import { analyseCampaign, kindFigures, type CampaignFile } from '../measure/campaign.js';
import type { RunResults, TestRecord } from '../measure/results.js';
import { bulk } from '../measure/tools/iperf3-bidir.js';
import { rr } from '../measure/tools/netperf-rr.js';
import { phaseKey, rrul } from '../measure/tools/rrul.js';
import type { AnyTool } from '../measure/tools/tool.js';
import { campaignBidir, campaignFigures, campaignLatencyUnderLoad, campaignTransactions, runBidir, runLatencyUnderLoad, runTransactions, type BarChart, type ChartSpec } from './charts.js';

const FIX = new URL('../../../tests/fixtures/', import.meta.url);
const read = (rel: string): string => readFileSync(new URL(rel, FIX), 'utf8');
const camp = JSON.parse(read('results/campaign6/campaign.json')) as CampaignFile;
const runs = readdirSync(new URL('results/campaign6/runs/', FIX)).map((id) => JSON.parse(read(`results/campaign6/runs/${id}/results.json`)) as RunResults);
const cellOf = (kind: string) => camp.cells.find((c) => c.kind === kind)!;
const runOf = (kind: string) => runs.find((r) => r.runId === cellOf(kind).runId)!;

/** A capture as the test record the runner would write on the run's tunnel path. */
function record(r: RunResults, tool: AnyTool, test: Record<string, unknown>, file: string): TestRecord {
  const t = tool.schema.parse(test);
  const p = tool.parse(t, { stdout: read(`tools/${file}`), stderr: '', server: '' });
  return { id: `${tool.id}-${file}`, pathId: r.paths.find((x) => x.type === 'tunnel')!.id, test: tool.testName(t), direction: 'forward', repetition: 1, startedAt: r.startedAt, seconds: tool.seconds(t), command: tool.id, raw: '', values: p.values!, detail: p.detail };
}
const withRecords = (r: RunResults, extra: TestRecord[]): RunResults => ({ ...r, tests: [...r.tests, ...extra], summary: { ...r.summary, paths: analyse(r.paths, [...r.tests, ...extra]).paths } });

const given = {
  vxlan: [record(runOf('vxlan'), rrul, { tool: 'rrul' }, 'rrul/vxlan-tbf50.txt'), record(runOf('vxlan'), bulk, { tool: 'bulk', protocol: 'tcp' }, 'iperf3/bidir.json'), record(runOf('vxlan'), rr, { tool: 'rr', test: 'TCP_RR' }, 'netperf-rr/tcp-rr.txt')],
  tinc: [record(runOf('tinc'), rrul, { tool: 'rrul' }, 'rrul/vxlan-unlimited.txt'), record(runOf('tinc'), rr, { tool: 'rr', test: 'TCP_RR', iterations: 10 }, 'netperf-rr/tcp-rr-confidence.txt')],
} as const;
const measured = runs.map((r) => { const k = Object.entries(given).find(([kind]) => runOf(kind) === r); return k ? withRecords(r, [...k[1]]) : r; });
const analysisOf = (rs: readonly RunResults[]) => analyseCampaign(camp.cells.map((c) => kindFigures(c, rs.find((r) => r.runId === c.runId)!)));
const withTools = analysisOf(measured);
const plain = analysisOf(runs);
const valuesOf = (kind: keyof typeof given, tool: AnyTool) => given[kind].find((t) => t.command === tool.id)!.values!;

const bar = (s: ChartSpec): BarChart => {
  expect(s.kind).toBe('bar');
  return s as BarChart;
};
const at = (c: BarChart, series: string, cat: string) => c.series.find((s) => s.key === series)!.values[c.categories.findIndex((x) => x.id === cat)];

describe('the new tools\' charts of a campaign', () => {
  it('latency under load: a group per kind that ran rrul, idle and 1/4/8 flows both ways, median bars with whiskers to the p95', () => {
    const c = bar(campaignLatencyUnderLoad(withTools, 1500));
    expect(c.categories.map((x) => x.id)).toEqual([cellOf('vxlan').id, cellOf('tinc').id]);
    expect(c.series.map((s) => s.label)).toEqual(['idleRttMedian', ...[1, 4, 8].map((n) => phaseKey('loadedRttMedian', 'both', n))].map((k) => rrul.metrics.find((m) => m.key === k)!.label));
    for (const kind of ['vxlan', 'tinc'] as const) {
      const v = valuesOf(kind, rrul);
      const b = at(c, 'loadedRttMedianBoth8', cellOf(kind).id)!;
      expect(b.value).toBeCloseTo(v.loadedRttMedianBoth8!, 9);
      expect(b.high).toBeCloseTo(v.loadedRttP95Both8!, 9);
      expect(at(c, 'idleRttMedian', cellOf(kind).id)!.value).toBeCloseTo(v.idleRttMedian!, 9);
    }
    // The rate-limited capture (on VXLAN's cell) queues far more under 8 flows than the unlimited one.
    expect(at(c, 'loadedRttMedianBoth8', cellOf('vxlan').id)!.value).toBeGreaterThan(at(c, 'loadedRttMedianBoth8', cellOf('tinc').id)!.value);
  });

  it('transactions/s: the rr tool\'s rate per kind, with the tool\'s label', () => {
    const c = bar(campaignTransactions(withTools, 1500));
    expect(c.categories.map((x) => x.id)).toEqual([cellOf('vxlan').id, cellOf('tinc').id]);
    expect(c.series.map((s) => s.key)).toEqual(['rr-tcp:forward']);
    expect(c.series[0]!.label).toContain(rr.metrics.find((m) => m.unit === 'trans/s')!.label);
    expect(c.y.unit).toBe('transactions/s');
    for (const kind of ['vxlan', 'tinc'] as const) expect(at(c, 'rr-tcp:forward', cellOf(kind).id)!.value).toBeCloseTo(valuesOf(kind, rr).transactionsPerSecond!, 6);
  });

  it('--bidir: each way and their sum for the kind that ran it; the sum is both ways', () => {
    const c = bar(campaignBidir(withTools, 1500));
    expect(c.categories.map((x) => x.id)).toEqual([cellOf('vxlan').id]);
    const v = valuesOf('vxlan', bulk);
    const [fwd, back, sum] = ['forwardMbps', 'backwardMbps', 'sumMbps'].map((k) => at(c, `bulk-tcp-bidir:forward:${k}`, cellOf('vxlan').id)!.value);
    expect(fwd).toBeCloseTo(v.forwardMbps!, 6);
    expect(sum).toBeCloseTo(fwd! + back!, 6);
    expect(c.series.map((s) => s.label)).toEqual(['forwardMbps', 'backwardMbps', 'sumMbps'].map((k) => bulk.metrics.find((m) => m.key === k)!.label));
  });

  it('a run and a campaign draw them with the same builders: the VXLAN run\'s bars are its cell\'s', () => {
    const r = measured.find((x) => x.runId === cellOf('vxlan').runId)!;
    const pairs = [[runLatencyUnderLoad(r), campaignLatencyUnderLoad(withTools, 1500)], [runTransactions(r), campaignTransactions(withTools, 1500)], [runBidir(r), campaignBidir(withTools, 1500)]] as const;
    for (const [run, cmp] of pairs) {
      const [a, b] = [bar(run), bar(cmp)];
      expect(a.series.map((s) => s.label)).toEqual(b.series.filter((s) => s.values[0]).map((s) => s.label));
      a.series.forEach((s, i) => expect(s.values[0]!.value).toBeCloseTo(b.series[i]!.values[0]!.value, 9));
    }
  });

  it('a campaign without the tools shows each chart as a placeholder saying which tool its suite did not run', () => {
    const specs = campaignFigures(plain);
    for (const [id, tool] of [['latency-under-load', rrul], ['transactions', rr], ['bidir', bulk]] as const) {
      const s = specs.find((x) => x.id === `campaign:${id}@1500`);
      expect(s?.kind, id).toBe('empty');
      expect(s?.kind === 'empty' && s.empty).toContain(`no ${tool.id} test`);
    }
    expect(campaignFigures(withTools).filter((s) => /latency-under-load|transactions|bidir/.test(s.id)).map((s) => s.kind)).toEqual(['bar', 'bar', 'bar']);
  });
});
