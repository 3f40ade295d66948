/**
 * Load: N lab hosts (default 50) in a ring of VXLAN links — a "mesh" with N links, so that the
 * quick suite's throughput tests run two rounds at a time rather than one host's N − 1 tests in
 * a row — brought up, deployed, measured with the quick suite and taken down, through the
 * engine as the CLI runs it. Prints each phase's time, the tests run and failed, and this
 * process's peak memory (the engine holds one SSH connection per host). No assertion here; the
 * lab test tests/lab/load.lab.test.ts runs it with --json and checks that nothing was lost.
 *   sudo node scripts/run-ts.mjs bench/load.bench.ts [--hosts 50] [--kind vxlan] [--duration 1] [--json]
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { readRun } from '../src/engine/measure/store.js';
import type { Topology } from '../src/shared/schema.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const hosts = Number(arg('--hosts', '50'));
const kind = arg('--kind', 'vxlan');
const duration = Number(arg('--duration', '1'));
const json = process.argv.includes('--json');

if (process.getuid?.() !== 0) {
  console.error('load.bench: needs root (the embedded lab)');
  process.exit(1);
}

/** A ring: host i linked to host i + 1, the last to the first. */
const ring = (t: Topology): Topology => ({
  ...t,
  links: t.hosts.map((h, i) => ({ id: `lring${i}`, a: h.name, b: t.hosts[(i + 1) % t.hosts.length]!.name, kind, options: {} })),
  // A /24 of management addresses holds 253 hosts; the 198.18.128.0/20 range keeps clear of a user's lab.
  lab: { management: '198.18.128.0/20' },
});

const engine = createEngine({ registry: defaultRegistry });
const dir = await fs.mkdtemp(path.join(os.tmpdir(), `overlab-load-${hosts}-`));
const phases: Record<string, number> = {};
const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
  const t0 = Date.now();
  try {
    return await work();
  } finally {
    phases[name] = Date.now() - t0;
    if (!json) console.error(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
};
let out: Record<string, unknown> | undefined;
try {
  // The mesh template's N hosts, linked as a ring instead.
  const made = (await engine['project.create']({ dir, template: 'mesh', hosts, kind })).topology!;
  const saved = await engine['project.save']({ dir, topology: ring(made) });
  if (!saved.topology) throw new Error(`the ring does not validate: ${saved.diagnostics.map((d) => d.message).join('; ')}`);
  await timed('lab up', () => engine['lab.up']({ dir }));
  const d = await timed('deploy', () => engine['deploy.apply']({ dir }));
  if (!d.ok) throw new Error(`deploy failed: ${d.hosts.filter((h) => h.status === 'failed').map((h) => `${h.host}: ${h.error}`).join('; ')}`);
  const m = await timed('measure (quick)', () => engine['measure.run']({ dir, suite: 'quick', duration }));
  const r = await readRun(dir, m.runId);
  const failed = r.tests.filter((t) => t.error);
  const untested = r.paths.filter((p) => !r.tests.some((t) => t.pathId === p.id)).map((p) => p.id);
  const down = await timed('teardown', () => engine['deploy.teardown']({ dir }));
  await timed('lab down', () => engine['lab.down']({ dir }));
  out = {
    hosts,
    links: hosts,
    kind,
    status: r.status,
    problems: r.problems,
    paths: r.paths.length,
    tests: r.tests.length,
    failedTests: failed.map((t) => `${t.id}: ${t.error}`),
    untestedPaths: untested,
    deployOk: d.ok,
    teardownOk: down.ok,
    phasesMs: phases,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
} finally {
  await engine['lab.down']({ dir }).catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
}
if (!out) throw new Error('bug: no figures');
if (json) console.log(JSON.stringify(out));
else {
  console.log(`${hosts} lab hosts, a ring of ${hosts} ${kind} links, quick suite at ${duration} s per test`);
  for (const [k, v] of Object.entries(phases)) console.log(`  ${k.padEnd(16)} ${(v / 1000).toFixed(1)} s`);
  console.log(`  tests            ${String(out.tests)} on ${String(out.paths)} paths, ${(out.failedTests as string[]).length} failed, ${(out.untestedPaths as string[]).length} paths without a test; run ${String(out.status)}`);
  console.log(`  peak memory      ${String(out.peakRssMiB)} MiB (this process: engine, ${hosts} SSH connections)`);
  for (const f of (out.failedTests as string[]).slice(0, 20)) console.log(`  failed: ${f}`);
  for (const p of (out.problems as string[]).slice(0, 10)) console.log(`  problem: ${p}`);
}
