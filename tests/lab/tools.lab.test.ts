/**
 * The tool registry through the engine on the embedded lab: a suite of the project's own with
 * one test of each tool added as one file + one registry line (latency under load, iperf3 both
 * ways at once, netperf transactions, time to first packet) runs like the old ones — scheduled,
 * servers started and stopped, raw output kept — and its declared figures reach the run's summary
 * and the per-link table. Short phases only: what the figures mean is proven in the tools' own
 * lab test and bench. Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { toolOfTest } from '../../src/shared/measure/tools/index.js';
import { linkRows } from '../../src/shared/view/table.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
const engine = createEngine({ registry });

describe.skipIf(!root)('registered tools through the engine on the lab', () => {
  let dir = '';
  let r: RunResults;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-tools-'));
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'vxlan' })).topology!;
    const suite = {
      tests: [
        { tool: 'rrul', idle: 1, duration: 1, flows: [1], directions: ['both'], interval: 0.05 },
        { tool: 'bulk', protocol: 'tcp', duration: 1, bidir: true, parallel: 2, omit: 0, bitrate: '100M' },
        { tool: 'rr', test: 'TCP_RR', duration: 1, iterations: 1, level: 99, width: 5 },
        { tool: 'handshake', deadline: 5, restart: 'near' },
      ],
      baseline: true,
      lan: false,
      repeat: 1,
    };
    const topology = { ...t, lab: { management: '198.18.218.0/24' }, measurement: { ...t.measurement, suites: { tools: suite } } };
    const saved = await engine['project.save']({ dir, topology: topology as typeof t });
    expect(saved.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    await engine['lab.up']({ dir });
    const d = await engine['deploy.apply']({ dir });
    expect(d.ok, JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))).toBe(true);
    const m = await engine['measure.run']({ dir, suite: 'tools' });
    r = await engine['runs.get']({ dir, runId: m.runId });
  }, 180_000);

  afterAll(async () => {
    if (!dir) return;
    await engine['deploy.teardown']({ dir }).catch(() => undefined);
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs every test of every new tool on the tunnel, with its raw output kept and no error', async () => {
    const tunnel = `${r.links[0]!.id}.tunnel`;
    const mine = r.tests.filter((x) => x.pathId === tunnel);
    expect(mine.map((x) => x.test).sort()).toEqual(['bulk-tcp-bidir-p2', 'handshake', 'rr-tcp', 'rrul']);
    for (const x of mine) {
      expect(x.error, `${x.test}: ${x.error}`).toBeUndefined();
      expect(Object.keys(x.values ?? {}).length, x.test).toBeGreaterThan(0);
      expect((await fs.readFile(path.join(dir, 'runs', r.runId, x.raw), 'utf8')).length, x.test).toBeGreaterThan(0);
    }
    // The server-less tool (handshake) started no server; the others kept their server's output.
    expect(mine.find((x) => x.test === 'handshake')!.rawServer).toBeUndefined();
    expect(mine.find((x) => x.test === 'rrul')!.rawServer).toBeDefined();
  });

  it('keeps the pair tests of a host apart in time (handshake takes the tunnel down and up)', () => {
    const pair = r.tests.filter((x) => x.command && toolOfTest(x.test)?.mode === 'pair').map((x) => ({ id: x.id, from: Date.parse(x.startedAt), to: Date.parse(x.startedAt) + x.seconds * 1000 }));
    pair.sort((a, b) => a.from - b.from);
    // Two hosts: every pair test has both, so none may overlap another.
    for (let i = 1; i < pair.length; i++) expect(pair[i]!.from, `${pair[i - 1]!.id} and ${pair[i]!.id}`).toBeGreaterThanOrEqual(pair[i - 1]!.to - 50);
  });

  it('summarises each declared metric and shows it in the per-link table, labelled with its unit', () => {
    expect(r.status, r.problems.join('; ')).toBe('complete');
    const s = r.summary.paths[`${r.links[0]!.id}.tunnel`]!;
    const m = s.metrics!;
    expect(m['rrul:forward']!.idleRttMedian!.unit).toBe('ms');
    expect(m['rrul:forward']!.loadedRttMedianBoth1!.mean).toBeGreaterThan(0);
    expect(m['bulk-tcp-bidir-p2:forward']!.sumMbps!.mean).toBeGreaterThan(0);
    // --bidir: the sum is both directions' figures added.
    expect(m['bulk-tcp-bidir-p2:forward']!.sumMbps!.mean).toBeCloseTo(m['bulk-tcp-bidir-p2:forward']!.forwardMbps!.mean + m['bulk-tcp-bidir-p2:forward']!.backwardMbps!.mean, 0);
    expect(m['rr-tcp:forward']!.transactionsPerSecond!.mean).toBeGreaterThan(0);
    expect(m['handshake:forward']!.firstPacketSeconds!.mean).toBeGreaterThan(0);
    const row = linkRows(r, registry)[0]!;
    const labels = row.tools!.map((x) => `${x.label} [${x.unit}]`);
    expect(labels).toContain('rrul: Idle RTT median [ms]');
    expect(labels).toContain('rr-tcp: Transactions [trans/s]');
    expect(row.tools!.find((x) => x.key === 'handshake:forward:firstPacketSeconds')).toMatchObject({ feeds: 'handshake', unit: 's', better: 'lower' });
    // The underlay baseline ran the load too; the handshake skipped it (no tunnel to restart).
    const u = r.summary.paths[`${r.links[0]!.id}.underlay`]!;
    expect(u.metrics!['rrul:forward']!.idleRttMedian!.mean).toBeGreaterThan(0);
    expect(u.metrics!['handshake:forward']).toBeUndefined();
  });
});
