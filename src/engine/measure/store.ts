/**
 * The project's runs/: each run's results.json, listed newest first. Beside each, written with
 * the results: listing.json, what the list shows (listing a project's runs then reads a few
 * hundred bytes per run instead of parsing every results file: a 2,000-link run's is 54 MB), and
 * lean.json, the run read lean (5 MB of those 54: what painting it first reads).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { leanOf, listingOf, RESULTS_FORMAT, RESULTS_VERSION, type RunListing, type RunResults } from '../../shared/measure/results.js';
import { RUN_ID_RE, type UnreadableRun } from '../../shared/api.js';
import { ApiError } from '../api-error.js';
import { readText, statFile, TooLargeError, UnsafePathError, writeFile } from '../safe-fs.js';
import { describeProblem, JSON_MAX_DEPTH, jsonTooDeep, parseErrorText, type Check } from '../shape.js';
import { leanShape, listingShape, resultsShape } from './results-shape.js';

const LISTING = 'listing.json';
const LEAN = 'lean.json';

/**
 * The largest results.json read: a 2,000-link run is 54 MB. Past this a file is not one Overlab
 * wrote, and parsing it would take the engine's memory.
 */
export const RESULTS_MAX = 512 << 20;

/**
 * A file beside results.json that is at least as new as it (written after it), parsed and of
 * its shape; else undefined. These are copies derived from results.json, so a damaged one is
 * not an error: it is derived again (and rewritten, for lean.json).
 */
async function sidecar<T>(runDir: string, name: string, results: { mtimeMs: number }, shape: Check): Promise<T | undefined> {
  try {
    const st = await statFile(path.join(runDir, name));
    if (!st || st.mtimeMs < results.mtimeMs) return undefined;
    const text = await readText(path.join(runDir, name), { maxBytes: RESULTS_MAX });
    if (text === undefined || jsonTooDeep(text, JSON_MAX_DEPTH) !== undefined) return undefined;
    const value = JSON.parse(text) as unknown;
    return shape(value) === undefined ? (value as T) : undefined;
  } catch {
    // Unreadable, unsafe or not JSON: derived from results.json instead.
    return undefined;
  }
}

/** What to do about a run's results file that does not read. */
const runFix = (runDir: string): string => `measure again, or remove the run folder ${runDir}`;

/**
 * results.json's text as a run, or an ApiError that names the file, says what is wrong with it
 * and what to do: cut short, not JSON, nested past any results file, not Overlab's, written by a
 * newer Overlab, or of the wrong shape (the first field that is wrong).
 */
function parseResults(file: string, text: string): RunResults {
  const runDir = path.dirname(file);
  const deep = jsonTooDeep(text, JSON_MAX_DEPTH);
  if (deep !== undefined) throw new ApiError('failed', `${file} nests more than ${JSON_MAX_DEPTH} levels deep (at character ${deep + 1}), which no results file does: it is damaged or not Overlab's; ${runFix(runDir)}`);
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new ApiError('failed', `${file} is not valid JSON (${parseErrorText(e)}): it was cut short or changed by hand; ${runFix(runDir)}`);
  }
  if (r === null || typeof r !== 'object' || Array.isArray(r) || (r as { format?: unknown }).format !== RESULTS_FORMAT) {
    throw new ApiError('failed', `${file} is not an Overlab results file (it has no "format": "${RESULTS_FORMAT}"); ${runFix(runDir)}`);
  }
  const version = (r as { version?: unknown }).version;
  if (typeof version === 'number' && version > RESULTS_VERSION) throw new ApiError('failed', `${file} was written by a newer Overlab (results version ${version}; this one reads ${RESULTS_VERSION}): open it with that version`);
  const problem = resultsShape(r);
  if (problem) throw new ApiError('failed', `${file} is damaged: ${describeProblem(problem)}; it was changed by hand or written by something else; ${runFix(runDir)}`);
  return r as RunResults;
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
    const lean = await sidecar<RunResults>(path.dirname(file), LEAN, st, leanShape);
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
    r = parseResults(file, text);
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
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'EISDIR' ? 'it is a folder, not a file' : code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(e);
  return new ApiError('failed', `cannot read ${file}: ${why}; ${runFix(path.dirname(file))}`);
}

/** Writes the run's listing and lean read beside its results (after them: never older than the results). */
export async function writeSidecars(runDir: string, r: RunResults): Promise<void> {
  await writeLean(runDir, leanOf(r));
  await writeFile(path.join(runDir, LISTING), `${JSON.stringify(listingOf(r))}\n`, { mode: 0o644 });
}

/** The listing of a run folder: listing.json when it is as new as results.json and names this run, else from the results. */
async function listingIn(projectDir: string, runId: string): Promise<RunListing | undefined> {
  const dir = path.join(projectDir, 'runs', runId);
  const results = await statFile(path.join(dir, 'results.json'));
  if (!results) return undefined;
  const l = await sidecar<RunListing>(dir, LISTING, results, listingShape);
  if (l?.runId === runId) return l;
  return listingOf(await readRun(projectDir, runId));
}

/**
 * The project's runs, newest first, and the run folders whose results.json does not read (with
 * the reason, for the runs browser to show). A folder without results.json (a run under way, or
 * one stopped hard before writing it) is neither.
 */
export async function scanRuns(projectDir: string): Promise<{ runs: RunListing[]; unreadable: UnreadableRun[] }> {
  const root = path.join(projectDir, 'runs');
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  const runs: RunListing[] = [];
  const unreadable: UnreadableRun[] = [];
  for (const e of entries) {
    if (!e.isDirectory() || !RUN_ID_RE.test(e.name)) continue;
    try {
      const l = await listingIn(projectDir, e.name);
      if (l) runs.push(l);
    } catch (err) {
      unreadable.push({ runId: e.name, file: path.join(root, e.name, 'results.json'), reason: err instanceof Error ? err.message : String(err) });
    }
  }
  runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  unreadable.sort((a, b) => b.runId.localeCompare(a.runId));
  return { runs, unreadable };
}

export async function listRuns(projectDir: string): Promise<RunListing[]> {
  return (await scanRuns(projectDir)).runs;
}
