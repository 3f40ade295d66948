/**
 * The advisor's proof on the embedded lab (root): a site-to-site project with nothing measured;
 * `advise.get` names the campaign to run (only kinds this kernel carries); that campaign runs
 * (six kinds or more, lean suite: about two minutes) and the advice then ranks every kind with
 * reasons that cite the figures its run measured.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { LEAN_SUITE } from './lean-suite.js';

const root = process.getuid?.() === 0;
const engine = createEngine({ registry: defaultRegistry });
let dir = '';

afterAll(async () => {
  if (!dir) return;
  await engine['lab.down']({ dir }).catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

describe.skipIf(!root)('overlab advise on a campaign of the kinds this kernel carries', () => {
  it('suggests the campaign, and after it ranks six kinds or more with the figures of their runs', { timeout: 400_000 }, async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-advise-lab-'));
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'vxlan' })).topology!;
    await engine['project.save']({ dir, topology: { ...t, lab: { management: '198.18.217.0/24' }, measurement: { ...t.measurement, suites: { short: LEAN_SUITE } } } });
    const before = await engine['advise.get']({ dir, probe: true });
    expect(before.ranking).toEqual([]);
    const here = new Set((await engine['kinds.list']({ probe: true })).filter((k) => k.here === 'yes').map((k) => k.id));
    expect(before.measure).toBeDefined();
    for (const k of before.measure!.kinds) expect(here.has(k)).toBe(true);
    expect(before.measure!.kinds.length).toBeGreaterThanOrEqual(6);
    const c = await engine['campaign.run']({ dir, kinds: [...before.measure!.campaignKinds], mtus: [before.measure!.mtu], suite: 'short' });
    const done = c.campaign.cells.filter((x) => x.status === 'done');
    expect(done.length, JSON.stringify(c.campaign.cells.map((x) => [x.id, x.status, x.reason]))).toBeGreaterThanOrEqual(6);
    const a = await engine['advise.get']({ dir });
    expect(a.basis?.source).toBe(`campaign ${c.id} at MTU ${before.measure!.mtu}`);
    expect(a.ranking.length).toBe(done.length);
    for (const r of a.ranking) {
      const cell = done.find((x) => x.kind === r.kind)!;
      expect(r.runId).toBe(cell.runId);
      const run = await engine['runs.get']({ dir, runId: cell.runId! });
      const tunnel = run.paths.find((p) => p.type === 'tunnel')!;
      const s = run.summary.paths[tunnel.id]!;
      // The reasons cite what the run measured: its mean RTT and TCP throughput.
      expect(r.reasons[0]).toContain(`RTT mean ${s.rtt!.ms.mean.toFixed(3)}`);
      const tcp = s.throughput['iperf3-tcp:forward']!.mbps.mean;
      expect(r.reasons.some((x) => x.startsWith(`TCP throughput ${tcp >= 100 ? tcp.toFixed(0) : tcp.toFixed(1)}`))).toBe(true);
    }
    // Ranks are ordered and ties share one.
    const ranks = a.ranking.map((r) => r.rank);
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    for (const r of a.ranking) for (const other of r.tiedWith) expect(a.ranking.find((x) => x.label === other)!.rank).toBe(r.rank);
  });
});
