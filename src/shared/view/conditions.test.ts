/**
 * The conditions a run was measured under, in the views: on real runs captured in the lab
 * (tests/fixtures/results/rate2: one VXLAN link measured under none, then under a→b 40 Mbit/s,
 * b→a 80 Mbit/s applied with htb and read back from tc — see capture.ts). The badge, the edge's
 * details, the matrix's and table's columns and the comparison's "what changed" are read from
 * the run's record, and the records' figures are checked against what the run measured.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { leanOf, type RunResults } from '../measure/results.js';
import { defaultRegistry } from '../tunnels/index.js';
import { runsCompared } from './charts.js';
import { drawingSvg } from './drawing-svg.js';
import { conditionMismatch, conditionsBadge, conditionsChange, runConditions, runConditionsText } from './conditions.js';
import { diff, heatmap } from './heatmap.js';
import { matrix } from './matrix.js';
import { linkRows } from './table.js';

const FIX = path.resolve(import.meta.dirname, '../../../tests/fixtures/results');
const load = (p: string): RunResults => JSON.parse(readFileSync(path.join(FIX, p), 'utf8')) as RunResults;
const none = load('rate2/none/results.json');
const rate = load('rate2/rate/results.json');
const mesh = load('mesh4/results.json');
const link = rate.links[0]!;

describe('the rate2 fixtures are real runs of one link, before and under a rate limit', () => {
  it('hold a conditions record read back from tc, and figures that obey it', () => {
    expect(none.conditions).toBeUndefined();
    expect(rate.conditions?.links).toEqual([{ linkId: link.id, aToB: { asked: { rate: 40 }, inForce: { rate: 40 } }, bToA: { asked: { rate: 80 }, inForce: { rate: 80 } } }]);
    const tp = rate.summary.paths[`${link.id}.tunnel`]!.throughput;
    expect(tp['iperf3-tcp:forward']!.mbps.mean).toBeLessThan(40);
    expect(tp['iperf3-tcp:reverse']!.mbps.mean).toBeGreaterThan(40);
    expect(tp['iperf3-tcp:reverse']!.mbps.mean).toBeLessThan(80);
    // Same project, same link: the comparison matches it by id.
    expect(none.links[0]!.id).toBe(link.id);
  });
});

describe('conditionsBadge', () => {
  it('says a direction in a few characters, and nothing for a perfect wire', () => {
    expect(conditionsBadge({ delay: 20, jitter: 1, distribution: 'normal', loss: 0.1, rate: 50 })).toBe('20 ms ±1 · 0.1 % · 50M');
    expect(conditionsBadge({ delay: 40, loss: 1, rate: 50 })).toBe('40 ms · 1 % · 50M');
    expect(conditionsBadge({ rate: 0.5 })).toBe('500k');
    expect(conditionsBadge({ rate: 2500 })).toBe('2.5G');
    expect(conditionsBadge({ duplicate: 1, reorder: 2, corrupt: 0.1, delay: 5 })).toBe('5 ms · dup 1 % · reord 2 % · corr 0.1 %');
    expect(conditionsBadge({})).toBe('');
    expect(conditionsBadge(undefined)).toBe('');
  });
});

describe('runConditions', () => {
  it("gives each link of a run its in-force conditions per direction, a badge per half and one for the edge", () => {
    const c = runConditions(rate).get(link.id)!;
    expect(c.aToB).toEqual({ rate: 40 });
    expect(c.bToA).toEqual({ rate: 80 });
    expect(c.halves).toEqual(['40M', '80M']);
    expect(c.badge).toBe('40M | 80M');
    expect(c.text).toBe('a → b 40 Mbit/s; b → a 80 Mbit/s');
    expect(c.details).toEqual([`${link.a} → ${link.b}: 40 Mbit/s`, `${link.b} → ${link.a}: 80 Mbit/s`]);
    expect(c.mismatch).toEqual([]);
    expect(runConditions(none).size).toBe(0);
    expect(runConditionsText(none)).toBe('none');
    expect(runConditionsText(rate)).toBe('40 Mbit/s a→b, 80 Mbit/s b→a');
  });

  it('shows what tc held, not what was asked, and says where they differ', () => {
    const r: RunResults = { ...rate, conditions: { links: [{ linkId: link.id, aToB: { asked: { rate: 40 }, inForce: { rate: 39 } }, bToA: { asked: { rate: 80 }, inForce: { rate: 80 } } }], uplinks: [] } };
    const c = runConditions(r).get(link.id)!;
    expect(c.halves[0]).toBe('39M');
    expect(c.mismatch).toEqual([`${link.a} → ${link.b}: rate 40 Mbit/s asked, 39 Mbit/s in force`]);
    expect(conditionMismatch({ asked: { delay: 20, distribution: 'normal' }, inForce: { delay: 20 } })).toEqual([]);
  });

  it("composes the receiving host's uplink down into the direction it receives (one badge when both ways agree)", () => {
    const r: RunResults = { ...rate, conditions: { links: [{ linkId: link.id, aToB: { asked: { delay: 10 }, inForce: { delay: 10 } }, bToA: { asked: { delay: 10 }, inForce: { delay: 10 } } }], uplinks: [{ hostId: link.hostIds.b, up: { asked: {}, inForce: {} }, down: { asked: { delay: 5, rate: 20 }, inForce: { delay: 5, rate: 20 } } }] } };
    const c = runConditions(r).get(link.id)!;
    expect(c.aToB).toEqual({ delay: 15, rate: 20 });
    expect(c.bToA).toEqual({ delay: 10 });
    const sym: RunResults = { ...rate, conditions: { links: [{ linkId: link.id, aToB: { asked: { delay: 20, loss: 1 }, inForce: { delay: 20, loss: 1 } }, bToA: { asked: { delay: 20, loss: 1 }, inForce: { delay: 20, loss: 1 } } }], uplinks: [] } };
    expect(runConditions(sym).get(link.id)!.badge).toBe('20 ms · 1 %');
    expect(runConditions(sym).get(link.id)!.text).toBe('20 ms, 1 % loss each way');
  });
});

describe('the heatmap carries each edge its conditions', () => {
  it('for the badge and the tooltip, the same whether the run is read whole or lean', () => {
    const e = heatmap(rate, { metric: 'tcp', second: 'reverse' }).edges.get(link.id)!;
    expect(e.conditions?.halves).toEqual(['40M', '80M']);
    expect(e.details).toContain(`conditions ${link.a} → ${link.b}: 40 Mbit/s`);
    // The halves it paints are the figures measured under them.
    expect(e.halves[0]!.value).toBeLessThan(40);
    expect(e.halves[1]!.value).toBeLessThan(80);
    expect(heatmap(leanOf(rate), { metric: 'tcp' }).edges.get(link.id)!.conditions).toEqual(e.conditions);
    expect(heatmap(none, { metric: 'tcp' }).edges.get(link.id)!.conditions).toBeUndefined();
    for (const x of heatmap(mesh, { metric: 'rtt-mean' }).edges.values()) expect(x.conditions).toBeUndefined();
  });
});

describe('comparing two runs under different conditions', () => {
  it('says what changed in conditions, beside the change of the figure', () => {
    const d = diff(none, rate, { metric: 'tcp' }).edges.get(link.id)!;
    expect(d.changed).toEqual(['conditions none → 40 Mbit/s a→b, 80 Mbit/s b→a']);
    expect(d.delta).toBeLessThan(-1000); // from Gbit/s to under 40 Mbit/s
    expect(diff(rate, none, { metric: 'tcp' }).edges.get(link.id)!.changed).toEqual(['conditions 40 Mbit/s a→b, 80 Mbit/s b→a → none']);
    expect(diff(rate, rate, { metric: 'tcp' }).edges.get(link.id)!.changed).toEqual([]);
    expect(conditionsChange(undefined, undefined)).toBeUndefined();
  });
});

describe('the matrix and the per-link table have a conditions column', () => {
  it('the matrix: each direct cell the badge of its own direction', () => {
    const m = matrix(rate, { metric: 'tcp' });
    const ia = m.hosts.findIndex((h) => h.id === link.hostIds.a);
    const ib = m.hosts.findIndex((h) => h.id === link.hostIds.b);
    expect(m.rows[ia]![ib]!.conditions).toBe('40M');
    expect(m.rows[ib]![ia]!.conditions).toBe('80M');
    expect(matrix(none, { metric: 'tcp' }).rows.flat().some((c) => c.conditions)).toBe(false);
  });

  it('the table: the text, each direction asked and in force', () => {
    const row = linkRows(rate, defaultRegistry).find((r) => r.linkId === link.id)!;
    expect(row.conditions).toEqual({ text: 'a → b 40 Mbit/s; b → a 80 Mbit/s', badge: '40M | 80M', aToB: { asked: '40 Mbit/s', inForce: '40 Mbit/s' }, bToA: { asked: '80 Mbit/s', inForce: '80 Mbit/s' }, mismatch: [] });
    expect(linkRows(none, defaultRegistry)[0]!.conditions).toBeUndefined();
  });
});

describe("the charts' comparison of two runs", () => {
  it("puts each link's figures of the two runs side by side, each run named with its conditions", () => {
    const specs = runsCompared(none, rate);
    expect(specs.map((s) => s.id)).toEqual(['compare:rtt', 'compare:tcp:forward', 'compare:tcp:reverse', 'compare:udp:forward']);
    const tcp = specs[1]!;
    if (tcp.kind !== 'bar') throw new Error(`expected a bar chart, got ${tcp.kind}`);
    expect(tcp.series.map((s) => s.label)).toEqual([`run ${none.runId} (conditions none)`, `run ${rate.runId} (conditions 40 Mbit/s a→b, 80 Mbit/s b→a)`]);
    expect(tcp.categories).toEqual([{ id: link.id, label: `${link.a} — ${link.b} (none → 40M | 80M)` }]);
    const tp = (r: RunResults, k: string) => r.summary.paths[`${link.id}.tunnel`]!.throughput[k]!.mbps.mean;
    expect(tcp.series[0]!.values[0]!.value).toBe(tp(none, 'iperf3-tcp:forward'));
    expect(tcp.series[1]!.values[0]!.value).toBe(tp(rate, 'iperf3-tcp:forward'));
    const rev = specs[2]!;
    if (rev.kind !== 'bar') throw new Error('expected a bar chart');
    expect(rev.series[1]!.values[0]!.value).toBe(tp(rate, 'iperf3-tcp:reverse'));
    const rtt = specs[0]!;
    if (rtt.kind !== 'bar') throw new Error('expected a bar chart');
    expect(rtt.series[1]!.values[0]!.value).toBe(rate.summary.paths[`${link.id}.tunnel`]!.rtt!.ms.mean);
  });
});

describe('the drawing as SVG (export, report)', () => {
  it("draws each edge's conditions badge under its figures, and none for a run without conditions", () => {
    const v = heatmap(rate, { metric: 'tcp', second: 'reverse' });
    const svg = drawingSvg({ topology: rate.topology, edges: v.edges, hosts: v.hosts, legends: v.legends });
    expect([...svg.matchAll(/<text[^>]*data-conditions="run"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])).toEqual(['40M | 80M']);
    const plain = heatmap(none, { metric: 'tcp' });
    expect(drawingSvg({ topology: none.topology, edges: plain.edges, hosts: plain.hosts, legends: plain.legends })).not.toContain('data-conditions');
  });
});
