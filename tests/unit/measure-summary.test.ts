/**
 * `overlab measure`'s closing summary with the new tools' figures: a run measured in the lab
 * (campaign6's VXLAN cell) given real captures of rrul, iperf3 --bidir, netperf TCP_RR and the
 * handshake (tests/fixtures/tools), re-analysed as the engine does. The summary prints each
 * tool's headline figures, labelled from its descriptor, and nothing extra for a run without them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { printSummary } from '../../src/cli/commands/measure.js';
import { analyse } from '../../src/shared/measure/analyse.js';
import type { CampaignFile } from '../../src/shared/measure/campaign.js';
import type { RunResults, TestRecord } from '../../src/shared/measure/results.js';
import { TOOLS } from '../../src/shared/measure/tools/index.js';
import type { AnyTool } from '../../src/shared/measure/tools/tool.js';
import { headlineFigures } from '../../src/shared/view/table.js';

const FIX = path.resolve(import.meta.dirname, '../fixtures');
const read = (rel: string): string => readFileSync(path.join(FIX, rel), 'utf8');
const camp = JSON.parse(read('results/campaign6/campaign.json')) as CampaignFile;
const run = JSON.parse(read(`results/campaign6/runs/${camp.cells.find((c) => c.kind === 'vxlan')!.runId}/results.json`)) as RunResults;
const tunnel = run.paths.find((p) => p.type === 'tunnel')!;
const tool = (id: string): AnyTool => TOOLS.find((t) => t.id === id)!;

function record(id: string, test: Record<string, unknown>, file: string): TestRecord {
  const t = tool(id).schema.parse({ tool: id, ...test });
  const p = tool(id).parse(t, { stdout: read(`tools/${file}`), stderr: '', server: '' });
  return { id: file, pathId: tunnel.id, test: tool(id).testName(t), direction: 'forward', repetition: 1, startedAt: run.startedAt, seconds: 1, command: id, raw: '', values: p.values!, detail: p.detail };
}
const records = [record('rrul', {}, 'rrul/vxlan-tbf50.txt'), record('bulk', { protocol: 'tcp' }, 'iperf3/bidir.json'), record('rr', { test: 'TCP_RR' }, 'netperf-rr/tcp-rr.txt'), record('handshake', {}, 'handshake/vxlan.txt')];
const measured: RunResults = { ...run, tests: [...run.tests, ...records], summary: { ...run.summary, paths: analyse(run.paths, [...run.tests, ...records]).paths } };

const printed = (r: RunResults): string => {
  let out = '';
  printSummary({ out: (t) => void (out += t), err: () => undefined }, r);
  return out;
};

describe('overlab measure\'s summary with the new tools', () => {
  it('prints each tool\'s headline figures with its descriptor\'s label and unit', () => {
    const text = printed(measured);
    expect(text).toContain('tool figures on each tunnel');
    const headline = TOOLS.flatMap((t) => t.metrics.filter((m) => m.headline).map((m) => ({ t, m })));
    // Loaded RTT median and p95 per phase, idle, transactions, the --bidir sum, time to first packet.
    expect(new Set(headline.map(({ m }) => m.feeds))).toEqual(new Set(['rtt', 'latency-under-load', 'rr', 'throughput', 'handshake']));
    for (const r of records) {
      for (const m of tool(r.command).metrics.filter((x) => x.headline && r.values![x.key] !== undefined)) {
        const line = text.split('\n').find((l) => l.includes(`${r.test}: ${m.label} `));
        expect(line, `${r.test} ${m.key}`).toBeDefined();
        expect(line!.trim().endsWith(m.unit)).toBe(true);
        // The number printed is the parsed figure, to the digits shown.
        const shown = Number(/ {2}([0-9.]+) /.exec(line!)![1]);
        expect(Math.abs(shown - r.values![m.key]!)).toBeLessThanOrEqual(0.5 * 10 ** -(shown.toString().split('.')[1]?.length ?? 0) + 1e-9);
      }
    }
  });

  it('the same figures are what --json gives (tools), and a run without them prints no such section', () => {
    const links = headlineFigures(measured);
    expect(links).toHaveLength(1);
    expect(links[0]!.figures.every((f) => f.headline)).toBe(true);
    expect(links[0]!.figures.find((f) => f.key === 'bulk-tcp-bidir:forward:sumMbps')!.value).toBeCloseTo(records[1]!.values!.sumMbps!, 9);
    expect(headlineFigures(run)).toEqual([]);
    expect(printed(run)).not.toContain('tool figures');
  });
});
