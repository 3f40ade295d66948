/**
 * Time to first packet after the far end restarts, and after both do, through the engine for
 * real (issue 22): a tinc site-to-site on the embedded lab (a userspace daemon with a handshake;
 * the kernel kind, VXLAN, is proven the same way in new-tools.lab.test.ts). The far end's
 * down.sh runs before the probe and its up.sh beside it (the runner's `ends` of a pair tool): the
 * first probes must go unanswered (the far end was down), a reply must arrive within the
 * deadline, the far end's output must be kept with the test, and the tunnel must carry traffic
 * afterwards. Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import type { RunResults, TestRecord } from '../../src/shared/measure/results.js';
import type { HandshakeResult } from '../../src/shared/measure/tools/handshake.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const root = process.getuid?.() === 0;
const engine = createEngine({ registry: defaultRegistry });
const DEADLINE = 15;

const SUITE = {
  tests: [
    { tool: 'handshake' as const, deadline: DEADLINE, restart: 'far' as const },
    { tool: 'handshake' as const, deadline: DEADLINE, restart: 'both' as const },
  ],
  baseline: false,
  lan: false,
  repeat: 1,
};

describe.skipIf(!root)('time to first packet after the far end and both ends restart (tinc on the lab)', () => {
  let dir = '';
  let r: RunResults;
  const record = (test: string): TestRecord => {
    const x = r.tests.find((t) => t.test === test && r.paths.find((p) => p.id === t.pathId)?.type === 'tunnel');
    expect(x, `${test} was measured`).toBeDefined();
    expect(x!.error, `${test}: ${x!.error}`).toBeUndefined();
    return x!;
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-handshake-'));
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'tinc' })).topology!;
    await engine['project.save']({ dir, topology: { ...t, lab: { management: '198.18.229.0/24' }, measurement: { ...t.measurement, suites: { restarts: SUITE } } } });
    await engine['lab.up']({ dir });
    const d = await engine['deploy.apply']({ dir });
    expect(d.ok, JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))).toBe(true);
    const m = await engine['measure.run']({ dir, suite: 'restarts' });
    r = await engine['runs.get']({ dir, runId: m.runId });
  }, 180_000);

  afterAll(async () => {
    if (!dir) return;
    await engine['deploy.teardown']({ dir }).catch(() => undefined);
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('far end restarted: probes unanswered while it was down, then a reply within the deadline; its output kept beside the test', async () => {
    const x = record('handshake-far');
    const v = x.values!;
    const d = x.detail as HandshakeResult;
    expect(v.firstPacketSeconds).toBeUndefined();
    expect(v.firstPacketSecondsFar!).toBeGreaterThan(0);
    expect(v.firstPacketSecondsFar!).toBeLessThan(DEADLINE);
    expect(d.restart).toBe('far');
    expect(d.lostProbes!).toBeGreaterThan(0);
    expect(v.farUpSeconds!).toBeGreaterThan(0);
    // The far end's commands and what they printed, traceable like the client's.
    const ends = await fs.readFile(path.join(dir, 'runs', r.runId, x.rawEnds!), 'utf8');
    expect(ends).toMatch(/^## before, on site-b: sh -c '\/var\/lib\/overlab\/bundle\/down\.sh/m);
    expect(ends).toMatch(/^### overlab-handshake up rc=0 \d+\.\d+$/m);
  });

  it('both ends restarted: a reply after this end’s up.sh, within the deadline; the run’s summary carries it', () => {
    const v = record('handshake-both').values!;
    expect(v.firstPacketSecondsBoth!).toBeGreaterThan(v.upSeconds!);
    expect(v.farUpSeconds!).toBeGreaterThan(0);
    expect(v.firstPacketSecondsBoth!).toBeLessThan(DEADLINE);
    const tunnel = Object.values(r.summary.paths).find((p) => p.type === 'tunnel')!;
    expect(tunnel.metrics?.['handshake-both:forward']?.firstPacketSecondsBoth?.mean).toBe(v.firstPacketSecondsBoth);
  });

  it('the tunnel carries traffic after the restarts', async () => {
    const again = await engine['measure.run']({ dir, suite: 'quick', duration: 1 });
    const q = await engine['runs.get']({ dir, runId: again.runId });
    expect(q.tests.length).toBeGreaterThan(0);
    expect(q.tests.filter((t) => t.error)).toEqual([]);
  });
});
