/**
 * Load: 50 lab hosts brought up, deployed, measured with the quick suite and taken down, by
 * bench/load.bench.ts in a process of its own (so its peak memory is the engine's alone). Nothing
 * may be lost: the run complete, every path measured, no test failed, every host deployed and
 * torn down. The bench's figures (phase times, peak memory) are printed for the CI log; they are
 * not asserted. Needs root; skipped otherwise.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = process.getuid?.() === 0;
const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe.skipIf(!root)('50 lab hosts', () => {
  it('deploy and run the quick suite with nothing lost', async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile('node', ['scripts/run-ts.mjs', 'bench/load.bench.ts', '--hosts', '50', '--duration', '1', '--json'], { cwd: ROOT, timeout: 900_000, maxBuffer: 16 << 20 }, (err, out, errOut) => {
        if (err) reject(new Error(`load.bench failed: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
      status: string;
      problems: string[];
      paths: number;
      tests: number;
      failedTests: string[];
      untestedPaths: string[];
      deployOk: boolean;
      teardownOk: boolean;
      phasesMs: Record<string, number>;
      peakRssMiB: number;
    };
    console.log(`50 hosts: ${Object.entries(r.phasesMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}; ${r.tests} tests on ${r.paths} paths; peak memory ${r.peakRssMiB} MiB`);
    expect(r.deployOk).toBe(true);
    expect(r.failedTests).toEqual([]);
    expect(r.untestedPaths).toEqual([]);
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('complete');
    // 50 tunnels and 50 underlay baselines at least, each with its ping, TCP both ways and UDP.
    expect(r.paths).toBeGreaterThanOrEqual(100);
    expect(r.tests).toBeGreaterThanOrEqual(r.paths);
    expect(r.teardownOk).toBe(true);
  }, 900_000);
});
