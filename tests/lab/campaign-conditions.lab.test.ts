/**
 * A campaign with a conditions dimension on the embedded lab (root): one kind (VXLAN) at MTU
 * 1500 under none and under fast-ethernet (100 Mbit/s each way: htb alone, which this kernel has),
 * a lean suite — two cells, about a minute. The cell under fast-ethernet gets the preset on its
 * link; its run must have recorded the conditions in force (read back by the deploy/measure of
 * src/engine/conditions) and its TCP must sit under the limit while the cell under none runs at
 * the lab's rate; the comparison has one group per conditions. Where the engine does not apply
 * conditions (conditions.read answers not-implemented: the branch without src/engine/conditions),
 * the cell under fast-ethernet must fail saying its conditions were not applied — never be
 * counted as measured under them — and the group under none stands alone.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { LEAN_SUITE } from './lean-suite.js';

const root = process.getuid?.() === 0;
const engine = createEngine({ registry: defaultRegistry });
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) {
    await engine['lab.down']({ dir: d }).catch(() => undefined);
    await fs.rm(d, { recursive: true, force: true });
  }
});

/** Whether this engine applies and reads link conditions (src/engine/conditions is there). */
async function appliesConditions(dir: string): Promise<boolean> {
  try {
    await engine['conditions.read']({ dir });
    return true;
  } catch (e) {
    return (e as { code?: string }).code !== 'not-implemented';
  }
}

describe.skipIf(!root)('a campaign under none and a rate preset', () => {
  it('runs kinds × MTU × conditions, each cell under its preset (read back), and groups the comparison by conditions', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-campaign-cond-'));
    dirs.push(dir);
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'vxlan' })).topology!;
    await engine['project.save']({ dir, topology: { ...t, lab: { management: '198.18.214.0/24' }, measurement: { ...t.measurement, suites: { short: LEAN_SUITE } } } });
    const applies = await appliesConditions(dir);
    const r = await engine['campaign.run']({ dir, kinds: ['vxlan'], mtus: [1500], conditions: ['none', 'fast-ethernet'], suite: 'short' });
    expect(r.campaign.cells.map((c) => c.id)).toEqual(['vxlan@1500', 'vxlan@1500~fast-ethernet']);
    const [plain, limited] = r.campaign.cells;
    expect(plain!.status, plain!.reason).toBe('done');
    const run = async (id: string): Promise<RunResults> => engine['runs.get']({ dir, runId: id });
    const tcp = (x: RunResults): number => x.summary.paths[`${x.links[0]!.id}.tunnel`]!.throughput['iperf3-tcp:forward']!.mbps.mean;
    const free = await run(plain!.runId!);
    expect(free.conditions?.links.every((l) => Object.keys(l.aToB.inForce).length === 0) ?? true).toBe(true);
    expect(tcp(free)).toBeGreaterThan(150);
    if (applies) {
      expect(limited!.status, limited!.reason).toBe('done');
      const capped = await run(limited!.runId!);
      expect(capped.campaign).toMatchObject({ conditions: 'fast-ethernet' });
      expect(capped.conditions!.links[0]!.aToB.inForce).toEqual({ rate: 100 });
      expect(capped.conditions!.links[0]!.bToA.inForce).toEqual({ rate: 100 });
      expect(tcp(capped)).toBeLessThan(100);
      expect(tcp(capped)).toBeGreaterThan(50);
      expect(r.analysis.byMtu.map((g) => [g.mtu, g.conditions, g.sorted])).toEqual([[1500, 'none', ['vxlan@1500']], [1500, 'fast-ethernet', ['vxlan@1500~fast-ethernet']]]);
    } else {
      expect(limited!.status).toBe('failed');
      expect(limited!.reason).toMatch(/no conditions recorded: fast-ethernet's were not applied/);
      expect(r.analysis.byMtu.map((g) => [g.mtu, g.conditions, g.sorted])).toEqual([[1500, 'none', ['vxlan@1500']]]);
    }
  }, 240_000);
});
