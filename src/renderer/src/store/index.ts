/**
 * The UI's state: one zustand store in slices — the document (the only thing undo records:
 * zundo over `topology`), the selection, the UI (dialogs, messages, what the engine can do), and
 * the runs (lab, deploy, measure: per-host progress, what is up). Components select narrowly;
 * edits go through `edit`, which refuses while a run has the hosts (editing is locked).
 * Vanilla (no React here): the history tests drive it under Node.
 */
import { temporal } from 'zundo';
import { createStore } from 'zustand/vanilla';
import type { DeployRun } from '../../../shared/deploy.js';
import type { KindInfo, ProgressEvent, PromptEvent, RunOperation } from '../../../shared/api.js';
import type { Diagnostic } from '../../../shared/diagnostics.js';
import type { HostKeyReport } from '../../../shared/hostkeys.js';
import type { Clip } from '../../../shared/edit.js';
import type { CampaignAnalysis, CampaignFile } from '../../../shared/measure/campaign.js';
import type { RunListing, RunResults } from '../../../shared/measure/results.js';
import type { Topology } from '../../../shared/schema.js';
import type { Second } from '../../../shared/view/heatmap.js';
import type { Metric } from '../../../shared/view/metrics.js';
import type { Thresholds } from '../../../shared/view/matrix.js';

/** How many edits undo keeps. */
export const HISTORY_LIMIT = 200;

export type HostState = 'not-deployed' | 'deploying' | 'up' | 'failed';

export interface HostProgress {
  readonly host: string;
  step: string;
  status: ProgressEvent['status'];
  startedAt: number;
  /** Seconds the host has taken so far (or took). */
  seconds?: number;
  /** The last lines about this host (progress messages, the failing step's stderr). */
  lines: string[];
}

export interface ActiveRun {
  readonly runId: string;
  readonly operation: RunOperation;
  readonly label: string;
  readonly startedAt: number;
  readonly hosts: Record<string, HostProgress>;
  fraction?: number;
  endsAt?: string;
  /** Set when the run ended: what it said. */
  result?: { ok: boolean; summary: string };
  /** The phase of a run of several operations (Deploy & measure: lab, deploy, measure). */
  phase?: string;
  /** Editing is locked while it runs (the hosts are being changed). */
  locks?: boolean;
  cancelling?: boolean;
}

export type Dialog =
  | { type: 'new' }
  | { type: 'open' }
  | { type: 'save-as' }
  | { type: 'picker'; a: string; b: string; linkId?: string }
  | { type: 'confirm-discard'; then: 'new' | 'open' | 'open-recent'; dir?: string }
  | { type: 'conflict' }
  /** The one host-key dialog: the keys a run refused, and the run to do again once unknown ones are accepted. */
  | { type: 'host-keys'; keys: readonly HostKeyReport[]; retry?: HostKeyRetry }
  | { type: 'message'; title: string; text: string }
  | { type: 'password'; prompt: PromptEvent }
  | { type: 'help' }
  | { type: 'palette' }
  | { type: 'measure'; deploy: boolean };

/** The run a host-key dialog starts again, with the accepted keys, when the person accepts them. */
export type HostKeyRetry =
  | { readonly op: 'deploy' }
  | { readonly op: 'teardown' }
  | { readonly op: 'deploy-measure'; readonly choice: { suite: string; duration?: number; repeat?: number } }
  | { readonly op: 'measure'; readonly choice: { suite: string; duration?: number; repeat?: number } };

/** How the heatmap paints the painted run. */
export interface HeatSettings {
  readonly on: boolean;
  readonly metric: Metric;
  readonly second: Second;
  readonly relative: boolean;
  readonly widthByThroughput: boolean;
  /** Replay: the moment shown (ms since the epoch); absent: the whole run. */
  readonly at?: number;
  readonly thresholds?: Thresholds;
}

export type ResultsTab = 'runs' | 'matrix' | 'charts';
/** What the charts tab shows. */
export type ChartsSubject = { readonly type: 'link'; readonly linkId: string } | { readonly type: 'run' } | { readonly type: 'campaign'; readonly id: string };

export interface CampaignListing {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly suite: string;
  readonly cells: number;
  readonly done: number;
}

export interface State {
  // ---- the document ----
  dir?: string;
  topology?: Topology;
  /** The file's revision when it was opened or saved (a save checks the file still has it). */
  revision?: string;
  /** The topology as last opened or saved: the document is dirty when it is another object. */
  saved?: Topology;
  fromVersion?: number;
  /** Why the file did not load, when it did not. */
  loadDiagnostics: readonly Diagnostic[];

  // ---- selection ----
  selected: ReadonlySet<string>;

  // ---- ui ----
  dialog?: Dialog;
  busy?: string;
  /** A message for the person, shown until dismissed. */
  notice?: { kind: 'error' | 'info'; text: string };
  kinds: readonly KindInfo[];
  clipboard?: Clip;
  /** Set by the canvas: runs a view command (fit, zoom, layout, focus on ids). */
  view?: { fit(ids?: readonly string[]): void; zoomIn(): void; zoomOut(): void };

  // ---- runs ----
  run?: ActiveRun;
  hostState: Readonly<Record<string, HostState>>;
  /** Links whose ends answered each other over the tunnel in the last deploy's verify. */
  verified: ReadonlySet<string>;
  lastDeploy?: DeployRun;
  /** Per host name: what its last preflight said was missing (for SSH hosts' capabilities). */
  preflightMissing: Readonly<Record<string, readonly string[]>>;

  // ---- results ----
  runs: readonly RunListing[];
  campaigns: readonly CampaignListing[];
  /** The run painted on the drawing. */
  results?: RunResults;
  /** Compared with the painted run: the drawing shows what changed from this one. */
  compare?: RunResults;
  campaign?: { readonly file: CampaignFile; readonly analysis: CampaignAnalysis; readonly runs: Readonly<Record<string, RunResults>> };
  heat: HeatSettings;
  /** Links lit on the drawing (a matrix cell's path). */
  highlight: ReadonlySet<string>;
  /** The results panel under the drawing, and its tab. */
  resultsTab?: ResultsTab;
  charts?: ChartsSubject;
}

export interface Actions {
  /** A project as the engine read it: the document, a clean history, nothing selected. */
  load(dir: string, topology: Topology | undefined, revision: string | undefined, fromVersion: number | undefined, diagnostics: readonly Diagnostic[]): void;
  /** Marks the current document as saved (at `revision`, maybe in another folder). */
  markSaved(dir: string, topology: Topology, revision: string | undefined): void;
  /** One undoable step; refused (with a notice) while a run holds the hosts. */
  edit(fn: (t: Topology) => Topology | string): boolean;
  select(ids: Iterable<string>): void;
  setDialog(d: Dialog | undefined): void;
  setBusy(what: string | undefined): void;
  notify(kind: 'error' | 'info', text: string): void;
  dismiss(): void;
  setKinds(k: readonly KindInfo[]): void;
  setClipboard(c: Clip): void;
  setView(v: State['view']): void;
  startRun(runId: string, operation: RunOperation, label: string, opts?: { locks?: boolean; phase?: string }): void;
  /** The next phase of a run of several operations: its events come under `runId`. */
  setPhase(runId: string, operation: RunOperation, phase: string): void;
  progress(e: ProgressEvent): void;
  endRun(ok: boolean, summary: string, deploy?: DeployRun): void;
  clearRun(): void;
  setHostStates(s: Readonly<Record<string, HostState>>, verified?: ReadonlySet<string>): void;
  setRuns(runs: readonly RunListing[], campaigns: readonly CampaignListing[]): void;
  /** Paints a run (heatmap on); undefined clears the drawing. */
  paint(r: RunResults | undefined): void;
  /** The whole of the painted run when it was painted lean (the view stays as it is). */
  fill(r: RunResults): void;
  setCompare(r: RunResults | undefined): void;
  setHeat(patch: Partial<HeatSettings>): void;
  setHighlight(linkIds: Iterable<string>): void;
  showResults(tab: ResultsTab | undefined, charts?: ChartsSubject): void;
}

export type Store = State & Actions;

export const isDirty = (s: Pick<State, 'topology' | 'saved'>): boolean => !!s.topology && s.topology !== s.saved;
/** Why editing is locked, if it is. */
export const lockReason = (s: Pick<State, 'run'>): string | undefined =>
  s.run && !s.run.result && (s.run.locks || s.run.operation === 'deploy' || s.run.operation === 'teardown' || s.run.operation === 'lab') ? `${s.run.label} is running: editing is locked until it ends` : undefined;

export const DEFAULT_HEAT: HeatSettings = { on: false, metric: 'rtt-mean', second: 'none', relative: false, widthByThroughput: false };

export function createOverlabStore() {
  return createStore<Store>()(
    temporal(
      (set, get) => ({
        loadDiagnostics: [],
        selected: new Set(),
        kinds: [],
        hostState: {},
        verified: new Set(),
        preflightMissing: {},
        runs: [],
        campaigns: [],
        heat: DEFAULT_HEAT,
        highlight: new Set(),
        load: (dir, topology, revision, fromVersion, diagnostics) => {
          set({
            dir, topology, saved: topology, revision, fromVersion, loadDiagnostics: diagnostics, selected: new Set(), hostState: {}, verified: new Set(), lastDeploy: undefined,
            runs: [], campaigns: [], results: undefined, compare: undefined, campaign: undefined, heat: { ...get().heat, on: false, at: undefined }, highlight: new Set(), resultsTab: undefined, charts: undefined,
          });
        },
        markSaved: (dir, topology, revision) => set({ dir, saved: topology, topology, revision }),
        edit: (fn) => {
          const s = get();
          const why = lockReason(s);
          if (why) {
            set({ notice: { kind: 'info', text: why } });
            return false;
          }
          if (!s.topology) return false;
          const next = fn(s.topology);
          if (typeof next === 'string') {
            set({ notice: { kind: 'error', text: next } });
            return false;
          }
          if (next === s.topology) return true;
          set({ topology: next });
          return true;
        },
        select: (ids) => set({ selected: new Set(ids) }),
        setDialog: (dialog) => set({ dialog }),
        setBusy: (busy) => set({ busy }),
        notify: (kind, text) => {
          const notice = { kind, text };
          set({ notice });
          // Information goes away by itself; an error stays until it is dismissed.
          if (kind === 'info') setTimeout(() => get().notice === notice && set({ notice: undefined }), 5000);
        },
        dismiss: () => set({ notice: undefined }),
        setKinds: (kinds) => set({ kinds }),
        setClipboard: (clipboard) => set({ clipboard }),
        setView: (view) => set({ view }),
        startRun: (runId, operation, label, opts) => set({ run: { runId, operation, label, startedAt: Date.now(), hosts: {}, ...(opts?.locks ? { locks: true } : {}), ...(opts?.phase ? { phase: opts.phase } : {}) } }),
        setPhase: (runId, operation, phase) => {
          const run = get().run;
          // A new engine run under the same view: its events carry the new id.
          if (run) set({ run: { ...run, runId, operation, phase, fraction: undefined, endsAt: undefined } });
        },
        progress: (e) => {
          const run = get().run;
          // Events can reach us after the reply (they travel on another channel): once the run
          // has its result, the result is what the hosts are.
          if (!run || e.runId !== run.runId || run.result) return;
          const hosts = { ...run.hosts };
          if (e.host) {
            const prev = hosts[e.host] ?? { host: e.host, step: e.step, status: e.status, startedAt: Date.now(), lines: [] };
            const line = `${e.step} ${e.status}${e.message ? `: ${e.message}` : ''}`;
            hosts[e.host] = { ...prev, step: e.step, status: e.status, seconds: (Date.now() - prev.startedAt) / 1000, lines: [...prev.lines, line].slice(-6) };
          }
          const hostState = { ...get().hostState };
          const topology = get().topology;
          const id = e.host ? topology?.hosts.find((h) => h.name === e.host)?.id : undefined;
          if (id && (run.operation === 'deploy' || run.operation === 'teardown')) hostState[id] = e.status === 'failed' ? 'failed' : 'deploying';
          set({ run: { ...run, hosts, ...(e.fraction !== undefined ? { fraction: e.fraction } : {}), ...(e.endsAt ? { endsAt: e.endsAt } : {}) }, hostState });
        },
        endRun: (ok, summary, deploy) => {
          const run = get().run;
          if (!run) return;
          set({ run: { ...run, result: { ok, summary } }, ...(deploy ? { lastDeploy: deploy } : {}) });
        },
        clearRun: () => set({ run: undefined }),
        setHostStates: (hostState, verified) => set({ hostState, ...(verified ? { verified } : {}) }),
        setRuns: (runs, campaigns) => set({ runs, campaigns }),
        paint: (results) => set({ results, compare: undefined, heat: { ...get().heat, on: !!results, at: undefined }, highlight: new Set() }),
        fill: (full) => {
          const now = get().results;
          if (now?.lean && now.runId === full.runId) set({ results: full });
        },
        setCompare: (compare) => set({ compare }),
        setHeat: (patch) => set({ heat: { ...get().heat, ...patch } }),
        setHighlight: (ids) => set({ highlight: new Set(ids) }),
        showResults: (resultsTab, charts) => set({ resultsTab, ...(charts ? { charts } : {}) }),
      }),
      {
        // Undo records the document only, never the selection, the dialogs or the runs.
        partialize: (s) => ({ topology: s.topology }),
        equality: (a, b) => a.topology === b.topology,
        limit: HISTORY_LIMIT,
      },
    ),
  );
}

export type OverlabStore = ReturnType<typeof createOverlabStore>;

/** Opens a document: the project's state, and a history that starts here (nothing to undo). */
export function loadDocument(store: OverlabStore, dir: string, topology: Topology | undefined, revision: string | undefined, fromVersion: number | undefined, diagnostics: readonly Diagnostic[]): void {
  store.getState().load(dir, topology, revision, fromVersion, diagnostics);
  store.temporal.getState().clear();
}
