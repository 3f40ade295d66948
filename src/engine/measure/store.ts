/** The project's runs/: each run's results.json, listed newest first. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { listingOf, RESULTS_FORMAT, type RunListing, type RunResults } from '../../shared/measure/results.js';
import { RUN_ID_RE } from '../../shared/api.js';
import { ApiError } from '../api-error.js';

export async function readRun(projectDir: string, runId: string): Promise<RunResults> {
  if (!RUN_ID_RE.test(runId)) throw new ApiError('invalid-arguments', `"${runId}" is not a run id`);
  const file = path.join(projectDir, 'runs', runId, 'results.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ApiError('invalid-arguments', `there is no run ${runId} in ${path.join(projectDir, 'runs')} (overlab measure ${projectDir} makes one)`);
  }
  const r = JSON.parse(text) as RunResults;
  if (r.format !== RESULTS_FORMAT) throw new ApiError('failed', `${file} is not an Overlab results file`);
  return r;
}

export async function listRuns(projectDir: string): Promise<RunListing[]> {
  const root = path.join(projectDir, 'runs');
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const out: RunListing[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !RUN_ID_RE.test(e.name)) continue;
    try {
      out.push(listingOf(await readRun(projectDir, e.name)));
    } catch {
      // A run folder without a readable results.json (still running, or interrupted hard): not listed.
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
