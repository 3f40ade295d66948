/**
 * What the UI does with the engine: open, save (never over a file changed on disk without
 * asking), create from a template, lab up and down, deploy and teardown with per-host progress,
 * host keys to accept, passwords asked in a dialog. Commands, menus and buttons call these; the
 * engine is reached through the contract only (`client`), whatever door it is behind.
 */
import type { OverlabClient, ProjectSnapshot } from '../../shared/api';
import { hostFailed, type DeployRun } from '../../shared/deploy';
import type { HostKeyConsent, HostKeyReport } from '../../shared/hostkeys';
import type { RunResults } from '../../shared/measure/results';
import { ClientError } from './api/client';
import type { Bridge } from './api/transport';
import { isDirty, loadDocument, type HostKeyRetry, type HostState, type OverlabStore } from './store/index';

export interface Env {
  readonly store: OverlabStore;
  readonly client?: OverlabClient;
  readonly bridge?: Bridge;
}

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Run ids made here, so that events can be matched before the call returns; the engine's form
 * (`20261201T201500-3fa9c2`), since a measurement's id names its folder under runs/.
 */
export const uiRunId = (now = new Date()): string => `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '')}-${Math.random().toString(16).slice(2, 8).padEnd(6, '0')}`;

async function busy<T>(env: Env, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  const s = env.store.getState();
  s.setBusy(what);
  try {
    return await fn();
  } catch (e) {
    const detail = e instanceof ClientError && e.data.diagnostics?.length ? `\n${e.data.diagnostics.map((d) => `${d.path || '(document)'}: ${d.message}`).join('\n')}` : '';
    s.notify('error', `${what}: ${message(e)}${detail}`);
    return undefined;
  } finally {
    env.store.getState().setBusy(undefined);
  }
}

/**
 * Resolves once the page has drawn what is pending: a task first (React renders a store change
 * in a task of its own, queued before this one), then two frames, then a task.
 */
const afterPaint = (): Promise<void> => new Promise((resolve) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))), 0));

/**
 * How long the first render of a project waits for its latest run, read lean, to be painted
 * with it (one render instead of two); a run slower to read than this is painted when it comes.
 */
const PAINT_WITH_OPEN_MS = 400;

/**
 * Opens a project. Its runs, and the latest one read lean, are asked for together with it: the
 * engine reads them while it reads the project, and a project that has runs opens painted in
 * one render. `then` runs once the drawing (and its paint) is on screen and the hosts' states
 * are known.
 */
export async function openProject(env: Env, dir: string, opts: { then?: () => unknown } = {}): Promise<boolean> {
  if (!env.client) return false;
  const client = env.client;
  const early = readRuns(client, dir, true);
  const snap = await busy(env, `Open ${dir}`, () => client['project.open']({ dir, warningPositions: false }));
  // (The UI derives a loaded document's warnings itself; a file that does not load keeps every position.)
  if (!snap) {
    void early.finally(() => opts.then?.());
    return false;
  }
  const ready = snap.topology ? await Promise.race([early, new Promise<undefined>((r) => setTimeout(r, PAINT_WITH_OPEN_MS))]) : undefined;
  loadDocument(env.store, snap.dir, snap.topology, snap.revision, snap.fromVersion, snap.diagnostics);
  if (!snap.topology) {
    void early.finally(() => opts.then?.());
    return true;
  }
  void client['recent.add']({ dir: snap.dir, name: snap.topology.name }).catch(() => undefined);
  env.store.getState().view?.fit();
  // The hosts' states are asked for once the drawing is on screen: the dry run behind them
  // holds the engine for a second or more on a large project (on the same two cores as the
  // first render).
  // (Shown at once when they came in time: the paint then joins the document's first render.)
  const shown = ready ? showRuns(env, snap.dir, ready, true) : early.then((x) => showRuns(env, snap.dir, x, true));
  void shown
    .then(afterPaint)
    .then(() => refreshHostStates(env))
    .finally(() => opts.then?.());
  return true;
}

/** Saves to the document's folder (or `dir`); a file changed on disk since it was opened is not overwritten without asking. */
export async function saveProject(env: Env, opts: { dir?: string; force?: boolean } = {}): Promise<boolean> {
  const s = env.store.getState();
  if (!env.client || !s.topology || !s.dir) return false;
  const dir = opts.dir ?? s.dir;
  const sameFile = dir === s.dir;
  try {
    s.setBusy('Save');
    const snap: ProjectSnapshot = await env.client['project.save']({ dir, topology: s.topology, ...(sameFile && s.revision ? { expectedRevision: s.revision } : {}), ...(opts.force ? { force: true } : {}) });
    if (!snap.topology) {
      s.notify('error', `Not saved: the project has problems — ${snap.diagnostics.filter((d) => d.severity === 'error').length} error(s), listed under Problems. Fix them, then save again.`);
      return false;
    }
    // The document keeps its identity (what undo walks back to); only the saved mark moves.
    env.store.getState().markSaved(snap.dir, s.topology, snap.revision);
    void env.client['recent.add']({ dir: snap.dir, name: s.topology.name }).catch(() => undefined);
    env.store.getState().notify('info', `Saved ${snap.dir}/overlab.yaml`);
    return true;
  } catch (e) {
    if (e instanceof ClientError && e.data.code === 'conflict') {
      s.setDialog({ type: 'conflict' });
      return false;
    }
    s.notify('error', `Save: ${message(e)}`);
    return false;
  } finally {
    env.store.getState().setBusy(undefined);
  }
}

export async function createProject(env: Env, args: { dir: string; template: 'site-to-site' | 'multi-site' | 'hub-spoke' | 'mesh'; hosts: number; kind: string; name?: string; underlaySubnet?: string; force?: boolean }): Promise<boolean> {
  if (!env.client) return false;
  const snap = await busy(env, 'New project', () => env.client!['project.create'](args));
  if (!snap?.topology) return false;
  loadDocument(env.store, snap.dir, snap.topology, snap.revision, snap.fromVersion, snap.diagnostics);
  void env.client['recent.add']({ dir: snap.dir, name: snap.topology.name }).catch(() => undefined);
  setTimeout(() => env.store.getState().view?.fit(), 50);
  return true;
}

/** Runs `then` now, or after asking when the document has unsaved changes. */
export function guardUnsaved(env: Env, then: 'new' | 'open' | 'open-recent', dir?: string): boolean {
  const s = env.store.getState();
  if (isDirty(s)) {
    s.setDialog({ type: 'confirm-discard', then, ...(dir ? { dir } : {}) });
    return false;
  }
  return true;
}

/** Saves first when the document changed: the engine deploys and measures what is on disk. */
export async function savedFirst(env: Env): Promise<boolean> {
  const s = env.store.getState();
  if (!s.topology || !s.dir) return false;
  if (!isDirty(s)) return true;
  return saveProject(env);
}

export const summaryOf = (r: DeployRun, verb: string): string => {
  const failed = r.hosts.filter(hostFailed);
  if (r.ok) return `${verb}: ${r.hosts.length} hosts ${verb === 'Teardown' ? 'torn down' : 'up and verified'} in ${(r.durationMs / 1000).toFixed(1)} s`;
  if (failed.length === 0 && r.diagnostics.length) return `${verb} refused: ${r.diagnostics.map((d) => d.message).join('; ')}`;
  return `${verb} failed on ${failed.map((h) => `${h.host}${h.status === 'unknown' ? ' (state unknown)' : ''} at ${h.failedStep}: ${h.error ?? ''}`).join('; ')}`;
};

/** What each host is after a deploy or teardown, and which links answered over the tunnel. */
export function statesAfter(env: Env, r: DeployRun, op: 'deploy' | 'teardown'): void {
  const t = env.store.getState().topology;
  if (!t) return;
  const states: Record<string, HostState> = { ...env.store.getState().hostState };
  for (const h of r.hosts) {
    const id = t.hosts.find((x) => x.name === h.host)?.id ?? h.hostId;
    // A host in an unknown state is shown failed: it needs looking at, like one that failed.
    states[id] = hostFailed(h) ? 'failed' : op === 'teardown' || h.status === 'rolled-back' || h.status === 'removed' || h.status === 'absent' ? 'not-deployed' : 'up';
  }
  const up = new Set(r.hosts.filter((h) => h.status === 'applied' || h.status === 'unchanged').map((h) => h.host));
  const verified = new Set(op === 'deploy' && r.ok ? t.links.filter((l) => up.has(l.a) && up.has(l.b)).map((l) => l.id) : []);
  env.store.getState().setHostStates(states, verified);
  const missing: Record<string, readonly string[]> = { ...env.store.getState().preflightMissing };
  for (const h of r.hosts) if (h.failedStep === 'preflight' && h.error) missing[h.host] = h.error.split('; ');
  env.store.setState({ preflightMissing: missing });
}

/** The state of every host as the engine finds it now (a dry run changes nothing). */
export async function refreshHostStates(env: Env): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !s.topology) return;
  // Never ask for a password just to show what is up.
  if (s.topology.hosts.some((h) => h.target.type === 'ssh' && h.target.password)) return;
  try {
    const r = await env.client['deploy.apply']({ dir: s.dir, dryRun: true });
    const t = env.store.getState().topology;
    if (!t) return;
    const states: Record<string, HostState> = {};
    for (const h of r.hosts) {
      const id = t.hosts.find((x) => x.name === h.host)?.id;
      if (id) states[id] = h.status === 'unchanged' ? 'up' : 'not-deployed';
    }
    env.store.getState().setHostStates(states);
  } catch {
    // The lab is down, or a host does not answer: the hosts stay "not deployed".
  }
}

export async function runLab(env: Env, op: 'lab.up' | 'lab.down'): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !(await savedFirst(env))) return;
  const runId = uiRunId();
  const label = op === 'lab.up' ? 'Lab up' : 'Lab down';
  s.startRun(runId, 'lab', label);
  try {
    if (op === 'lab.up') {
      const r = await env.client['lab.up']({ dir: s.dir, runId });
      env.store.getState().endRun(true, `Lab up: ${r.hosts.length} hosts in ${(r.durationMs / 1000).toFixed(1)} s${r.created.length ? `, ${r.created.length} things created` : ''}${r.removed.length ? `, ${r.removed.length} removed` : ''}`);
    } else {
      const r = await env.client['lab.down']({ dir: s.dir, runId });
      env.store.getState().endRun(true, r.removed.length ? `Lab down: removed ${r.removed.length} things` : 'Lab down: nothing to remove');
      const t = env.store.getState().topology;
      if (t) env.store.getState().setHostStates(Object.fromEntries(t.hosts.map((h) => [h.id, 'not-deployed' as const])), new Set());
    }
  } catch (e) {
    env.store.getState().endRun(false, `${label}: ${message(e)}`);
  }
}

/**
 * Opens the one host-key dialog on the keys a run refused (unknown ones offered for acceptance,
 * changed ones explained); false when none was refused. Every run that connects ends here.
 */
export function hostKeysStop(env: Env, keys: readonly HostKeyReport[], retry: HostKeyRetry | undefined): boolean {
  if (!keys.length) return false;
  env.store.getState().setDialog({ type: 'host-keys', keys, ...(retry ? { retry } : {}) });
  return true;
}

/** The host keys a run refused: per host in a deploy's result, or in the error of a call that could not connect. */
export const refusedKeys = (from: DeployRun | unknown): readonly HostKeyReport[] =>
  from instanceof ClientError ? (from.data.hostKeys ?? []) : isDeployRun(from) ? from.hosts.flatMap((h) => (h.hostKey ? [h.hostKey] : [])) : [];
const isDeployRun = (x: unknown): x is DeployRun => typeof x === 'object' && x !== null && Array.isArray((x as { hosts?: unknown }).hosts);

export async function runDeploy(env: Env, op: 'deploy' | 'teardown', acceptHostKeys?: readonly HostKeyConsent[]): Promise<void> {
  const s = env.store.getState();
  if (!env.client || !s.dir || !(await savedFirst(env))) return;
  const runId = uiRunId();
  const label = op === 'deploy' ? 'Deploy' : 'Teardown';
  s.startRun(runId, op, label);
  try {
    const r =
      op === 'deploy'
        ? await env.client['deploy.apply']({ dir: s.dir, runId, ...(acceptHostKeys?.length ? { acceptHostKeys } : {}) })
        : await env.client['deploy.teardown']({ dir: s.dir, runId, ...(acceptHostKeys?.length ? { acceptHostKeys } : {}) });
    env.store.getState().endRun(r.ok, summaryOf(r, label), r);
    statesAfter(env, r, op);
    // A refused host key stops the run before anything changed: the dialog says which and why.
    hostKeysStop(env, refusedKeys(r), { op });
  } catch (e) {
    env.store.getState().endRun(false, `${label}: ${message(e)}`);
  }
}

export async function cancelRun(env: Env): Promise<void> {
  const run = env.store.getState().run;
  if (!env.client || !run || run.result) return;
  env.store.setState({ run: { ...run, cancelling: true } });
  await env.client['run.cancel']({ runId: run.runId }).catch(() => undefined);
}

/** Folder to open or save into: the desktop's native dialog, else the UI's own folder browser (returns undefined: the dialog takes over). */
export async function pickFolder(env: Env, mode: 'open' | 'save'): Promise<string | undefined> {
  if (env.bridge?.pickFolder) return env.bridge.pickFolder({ title: mode === 'open' ? 'Open a project folder' : 'Save the project in a folder', mode, ...(env.store.getState().dir ? { defaultPath: env.store.getState().dir! } : {}) });
  env.store.getState().setDialog({ type: mode === 'open' ? 'open' : 'save-as' });
  return undefined;
}

// ---- runs: measured from the CLI or the UI alike, read through the engine ----

interface ReadRuns {
  readonly runs: Awaited<ReturnType<OverlabClient['runs.list']>>;
  readonly campaigns: Awaited<ReturnType<OverlabClient['campaigns.list']>>;
  /** The newest run, read lean (when asked for). */
  readonly latest?: RunResults;
}

/** The project's runs and campaigns, and with `latest` the newest run read lean; or what went wrong. */
async function readRuns(client: OverlabClient, dir: string, latest: boolean): Promise<ReadRuns | Error> {
  try {
    const [runs, campaigns] = await Promise.all([client['runs.list']({ dir }), client['campaigns.list']({ dir })]);
    const newest = latest ? runs[0] : undefined;
    // (A run that does not read here is read again by paintRun, which says why it cannot be.)
    const lean = newest ? await client['runs.get']({ dir, runId: newest.runId, lean: true }).catch(() => undefined) : undefined;
    return { runs, campaigns, ...(lean ? { latest: lean } : {}) };
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Shows what readRuns read, while the same project is open; with `paintLatest`, the newest run is painted if nothing is. */
async function showRuns(env: Env, dir: string, x: ReadRuns | Error, paintLatest: boolean): Promise<void> {
  const s = env.store.getState();
  if (s.dir !== dir) return;
  if (x instanceof Error) return s.notify('error', `Runs: ${x.message}`);
  s.setRuns(x.runs, x.campaigns);
  if (!paintLatest || !x.runs.length || env.store.getState().results) return;
  if (x.latest?.runId === x.runs[0]!.runId) await painted(env, x.latest);
  else await paintRun(env, x.runs[0]!.runId);
}

/** The project's runs and campaigns; with `paintLatest`, the newest run is painted if nothing is. */
export async function loadRuns(env: Env, opts: { paintLatest?: boolean } = {}): Promise<void> {
  const dir = env.store.getState().dir;
  if (!env.client || !dir) return;
  await showRuns(env, dir, await readRuns(env.client, dir, false), !!opts.paintLatest);
}

export async function getRun(env: Env, runId: string): Promise<RunResults | undefined> {
  const dir = env.store.getState().dir;
  if (!env.client || !dir) return undefined;
  try {
    return await env.client['runs.get']({ dir, runId });
  } catch (e) {
    env.store.getState().notify('error', `Run ${runId}: ${message(e)}`);
    return undefined;
  }
}

/**
 * Paints a run: first read lean (the digest of its figures, without its tests: a 2,000-link run
 * is 54 MB whole, 5 MB lean), so the heatmap lands at once; then the whole run, for the replay
 * and the charts, unless another run was painted meanwhile.
 */
export async function paintRun(env: Env, runId: string): Promise<void> {
  const dir = env.store.getState().dir;
  if (!env.client || !dir) return;
  try {
    await painted(env, await env.client['runs.get']({ dir, runId, lean: true }));
  } catch (e) {
    env.store.getState().notify('error', `Run ${runId}: ${message(e)}`);
  }
}

/**
 * Paints a run read lean. A small run is filled in at once, after the heatmap is on screen; a
 * large one when its series are asked for (charts, replay): parsing 54 MB holds the page for a
 * second or more.
 */
async function painted(env: Env, lean: RunResults): Promise<void> {
  env.store.getState().paint(lean);
  if ((lean.digest?.tests ?? lean.tests.length) <= FILL_AT_ONCE) {
    await afterPaint();
    await fillRun(env);
  }
}

/** Runs with more tests than this are filled in only when their series are needed. */
const FILL_AT_ONCE = 2000;
const filling = new Map<string, Promise<void>>();

/** The whole of the painted run, when it was painted lean (once, however many ask). */
export function fillRun(env: Env): Promise<void> {
  const s = env.store.getState();
  const r = s.results;
  if (!env.client || !s.dir || !r?.lean) return Promise.resolve();
  const key = `${s.dir}\n${r.runId}`;
  let p = filling.get(key);
  if (!p) {
    const client = env.client;
    const dir = s.dir;
    p = client['runs.get']({ dir, runId: r.runId })
      .then((full) => env.store.getState().fill(full))
      .catch((e: unknown) => env.store.getState().notify('error', `Run ${r.runId}: ${message(e)}`))
      .finally(() => filling.delete(key));
    filling.set(key, p);
  }
  return p;
}

