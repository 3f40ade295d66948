/**
 * The project's runs/: each run's results.json, listed newest first. Beside each, written with
 * the results: listing.json, what the list shows (listing a project's runs then reads a few
 * hundred bytes per run instead of parsing every results file: a 2,000-link run's is 54 MB), and
 * lean.json, the run read lean (5 MB of those 54: what painting it first reads).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { leanOf, listingOf, RESULTS_FORMAT, type RunListing, type RunResults } from '../../shared/measure/results.js';
import { RUN_ID_RE } from '../../shared/api.js';
import { ApiError } from '../api-error.js';
import { writeFileAtomic } from '../store/atomic.js';

const LISTING = 'listing.json';
const LEAN = 'lean.json';

/** A file beside results.json that is at least as new as it (written after it), parsed; else undefined. */
async function sidecar<T>(runDir: string, name: string, results: { mtimeMs: number }): Promise<T | undefined> {
  const st = await fs.stat(path.join(runDir, name)).catch(() => undefined);
  if (!st || st.mtimeMs < results.mtimeMs) return undefined;
  try {
    return JSON.parse(await fs.readFile(path.join(runDir, name), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * The last run read, parsed, while its file is unchanged: painting reads a run twice (lean,
 * then whole), and parsing a 54 MB results file takes a second. One run only: a large run's
 * objects take a few hundred MB.
 */
let lastRead: { file: string; mtimeMs: number; size: number; results: RunResults } | undefined;

export async function readRun(projectDir: string, runId: string, opts: { lean?: boolean } = {}): Promise<RunResults> {
  if (!RUN_ID_RE.test(runId)) throw new ApiError('invalid-arguments', `"${runId}" is not a run id`);
  const file = path.join(projectDir, 'runs', runId, 'results.json');
  const missing = (): ApiError => new ApiError('invalid-arguments', `there is no run ${runId} in ${path.join(projectDir, 'runs')} (overlab measure ${projectDir} makes one)`);
  const st = await fs.stat(file).catch(() => undefined);
  if (!st) throw missing();
  const cached = lastRead && lastRead.file === file && lastRead.mtimeMs === st.mtimeMs && lastRead.size === st.size ? lastRead.results : undefined;
  if (opts.lean && !cached) {
    const lean = await sidecar<RunResults>(path.dirname(file), LEAN, st);
    // (A copy written before lean reads carried their digest is not taken.)
    if (lean?.format === RESULTS_FORMAT && lean.runId === runId && lean.lean && lean.digest) return lean;
  }
  let r: RunResults;
  if (cached) {
    r = cached;
  } else {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw missing();
    }
    r = JSON.parse(text) as RunResults;
    if (r.format !== RESULTS_FORMAT) throw new ApiError('failed', `${file} is not an Overlab results file`);
    lastRead = { file, mtimeMs: st.mtimeMs, size: st.size, results: r };
  }
  if (!opts.lean) return r;
  const lean = leanOf(r);
  // A run without a lean copy that serves (an earlier version's, or its writing failed) gets one
  // now, for the next first paint; where the folder cannot be written, it is read whole again.
  if (!cached) await writeLean(path.dirname(file), lean).catch(() => undefined);
  return lean;
}

const writeLean = (runDir: string, lean: RunResults): Promise<void> => writeFileAtomic(path.join(runDir, LEAN), JSON.stringify(lean), 0o644);

/** Writes the run's listing and lean read beside its results (after them: never older than the results). */
export async function writeSidecars(runDir: string, r: RunResults): Promise<void> {
  await writeLean(runDir, leanOf(r));
  await writeFileAtomic(path.join(runDir, LISTING), `${JSON.stringify(listingOf(r))}\n`, 0o644);
}

/** The listing of a run folder: listing.json when it is as new as results.json and names this run, else from the results. */
async function listingIn(projectDir: string, runId: string): Promise<RunListing> {
  const dir = path.join(projectDir, 'runs', runId);
  const l = await sidecar<RunListing>(dir, LISTING, await fs.stat(path.join(dir, 'results.json')));
  if (l?.runId === runId && typeof l.startedAt === 'string') return l;
  return listingOf(await readRun(projectDir, runId));
}

export async function listRuns(projectDir: string): Promise<RunListing[]> {
  const root = path.join(projectDir, 'runs');
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const out: RunListing[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !RUN_ID_RE.test(e.name)) continue;
    try {
      out.push(await listingIn(projectDir, e.name));
    } catch {
      // A run folder without a readable results.json (still running, or interrupted hard): not listed.
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
