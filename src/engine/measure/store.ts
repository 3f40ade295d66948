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
import { readText, statFile, TooLargeError, UnsafePathError, writeFile } from '../safe-fs.js';

const LISTING = 'listing.json';
const LEAN = 'lean.json';

/**
 * The largest results.json read: a 2,000-link run is 54 MB. Past this a file is not one Overlab
 * wrote, and parsing it would take the engine's memory.
 */
export const RESULTS_MAX = 512 << 20;

/** A file beside results.json that is at least as new as it (written after it), parsed; else undefined. */
async function sidecar<T>(runDir: string, name: string, results: { mtimeMs: number }): Promise<T | undefined> {
  try {
    const st = await statFile(path.join(runDir, name));
    if (!st || st.mtimeMs < results.mtimeMs) return undefined;
    const text = await readText(path.join(runDir, name), { maxBytes: RESULTS_MAX });
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch {
    // Unreadable, unsafe or not JSON: derived from results.json instead (and rewritten).
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
  let st: Awaited<ReturnType<typeof statFile>>;
  try {
    st = await statFile(file);
  } catch (e) {
    throw unreadableRun(file, e);
  }
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
    let text: string | undefined;
    try {
      text = await readText(file, { maxBytes: RESULTS_MAX });
    } catch (e) {
      throw unreadableRun(file, e);
    }
    if (text === undefined) throw missing();
    try {
      r = JSON.parse(text) as RunResults;
    } catch (e) {
      throw new ApiError('failed', `${file} is not valid JSON (${e instanceof Error ? e.message : String(e)}): it was cut short or changed by hand; measure again, or remove that run folder`);
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new ApiError('failed', `${file} is not an Overlab results file`);
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

const writeLean = (runDir: string, lean: RunResults): Promise<void> => writeFile(path.join(runDir, LEAN), JSON.stringify(lean), { mode: 0o644 });

/** A results file that cannot be read as one: said with the file and what to do. */
function unreadableRun(file: string, e: unknown): ApiError {
  if (e instanceof UnsafePathError || e instanceof TooLargeError) return new ApiError('failed', e.message);
  return new ApiError('failed', `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
}

/** Writes the run's listing and lean read beside its results (after them: never older than the results). */
export async function writeSidecars(runDir: string, r: RunResults): Promise<void> {
  await writeLean(runDir, leanOf(r));
  await writeFile(path.join(runDir, LISTING), `${JSON.stringify(listingOf(r))}\n`, { mode: 0o644 });
}

/** The listing of a run folder: listing.json when it is as new as results.json and names this run, else from the results. */
async function listingIn(projectDir: string, runId: string): Promise<RunListing> {
  const dir = path.join(projectDir, 'runs', runId);
  const results = await statFile(path.join(dir, 'results.json'));
  if (!results) throw new Error('no results');
  const l = await sidecar<RunListing>(dir, LISTING, results);
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
