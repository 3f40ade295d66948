import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leanOf, listingOf, type RunResults } from '../../shared/measure/results.js';
import { listRuns, readRun, writeSidecars } from './store.js';

// A real run: the 4-host VXLAN mesh measured in the lab (tests/fixtures/results).
const fixture = path.resolve(import.meta.dirname, '../../../tests/fixtures/results/mesh4/results.json');
let dir: string;
let real: RunResults;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-runs-'));
  real = JSON.parse(await fs.readFile(fixture, 'utf8')) as RunResults;
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

async function put(r: RunResults, listing?: 'fresh' | 'stale' | 'foreign'): Promise<string> {
  const runDir = path.join(dir, 'runs', r.runId);
  await fs.mkdir(runDir, { recursive: true });
  await fs.writeFile(path.join(runDir, 'results.json'), JSON.stringify(r));
  if (listing) {
    await writeSidecars(runDir, listing === 'foreign' ? { ...r, runId: '20200101T000000-other0' } : r);
    if (listing === 'stale') {
      // The results were rewritten after their listing.
      const later = new Date(Date.now() + 5_000);
      await fs.utimes(path.join(runDir, 'results.json'), later, later);
    }
  }
  return runDir;
}

describe('the runs store', () => {
  it('lists a run from its listing when the listing is as new as the results', async () => {
    const runDir = await put(real, 'fresh');
    // A listing that says something the results do not: proof that the list read it.
    const l = { ...listingOf(real), suite: 'from-the-listing' };
    await fs.writeFile(path.join(runDir, 'listing.json'), JSON.stringify(l));
    const later = new Date(Date.now() + 5_000);
    await fs.utimes(path.join(runDir, 'listing.json'), later, later);
    expect(await listRuns(dir)).toEqual([l]);
  });

  it.each(['stale', 'foreign', undefined] as const)('lists from the results when the listing is %s', async (kind) => {
    await put(real, kind);
    expect(await listRuns(dir)).toEqual([listingOf(real)]);
  });

  it('writes a listing and a lean read equal to what the results give', async () => {
    const runDir = await put(real);
    await writeSidecars(runDir, real);
    expect(JSON.parse(await fs.readFile(path.join(runDir, 'listing.json'), 'utf8'))).toEqual(listingOf(real));
    expect(JSON.parse(await fs.readFile(path.join(runDir, 'lean.json'), 'utf8'))).toEqual(leanOf(real));
  });

  it('does not take a lean copy without a digest (written by an earlier version)', async () => {
    const runDir = await put(real, 'fresh');
    const { digest: _d, ...old } = { ...leanOf(real), problems: ['from an old copy'] };
    await fs.writeFile(path.join(runDir, 'lean.json'), JSON.stringify(old));
    const later = new Date(Date.now() + 5_000);
    await fs.utimes(path.join(runDir, 'lean.json'), later, later);
    expect(await readRun(dir, real.runId, { lean: true })).toEqual(leanOf(real));
    // And it is replaced, for the next read.
    expect(JSON.parse(await fs.readFile(path.join(runDir, 'lean.json'), 'utf8'))).toEqual(leanOf(real));
  });

  it('reads a run lean from its lean copy while that is as new as the results, else from the results', async () => {
    const runDir = await put(real, 'fresh');
    // A lean copy that says something the results do not: proof that the read took it.
    const marked = { ...leanOf(real), problems: ['from the lean copy'] };
    await fs.writeFile(path.join(runDir, 'lean.json'), JSON.stringify(marked));
    const later = new Date(Date.now() + 5_000);
    await fs.utimes(path.join(runDir, 'lean.json'), later, later);
    expect(await readRun(dir, real.runId, { lean: true })).toEqual(marked);
    // The results rewritten after it: the copy is stale.
    const latest = new Date(Date.now() + 10_000);
    await fs.utimes(path.join(runDir, 'results.json'), latest, latest);
    expect(await readRun(dir, real.runId, { lean: true })).toEqual(leanOf(real));
  });

  it('reads a run lean: everything but the tests and the paths\' summaries, and their digest', async () => {
    await put(real);
    const lean = await readRun(dir, real.runId, { lean: true });
    expect(lean).toEqual(leanOf(real));
    expect(lean.lean).toBe(true);
    expect(lean.tests).toEqual([]);
    expect(lean.summary).toEqual({ ...real.summary, paths: {} });
    expect(lean.paths).toEqual(real.paths);
    expect(lean.topology).toEqual(real.topology);
    expect(Object.keys(lean.digest!.figures).sort()).toEqual(Object.keys(real.summary.paths).sort());
    expect(lean.digest!.tests).toBe(real.tests.length);
    expect(JSON.stringify(lean).length).toBeLessThan(JSON.stringify(real).length / 4);
    // And whole without the option.
    expect(await readRun(dir, real.runId)).toEqual(real);
  });
});
