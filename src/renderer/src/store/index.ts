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
import type { Clip } from '../../../shared/edit.js';
import type { Topology } from '../../../shared/schema.js';

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
  cancelling?: boolean;
}

export type Dialog =
  | { type: 'new' }
  | { type: 'open' }
  | { type: 'save-as' }
  | { type: 'picker'; a: string; b: string; linkId?: string }
  | { type: 'confirm-discard'; then: 'new' | 'open' | 'open-recent'; dir?: string }
  | { type: 'conflict' }
  | { type: 'host-keys'; hosts: readonly { host: string; fingerprint: string; keyType?: string }[] }
  | { type: 'message'; title: string; text: string }
  | { type: 'password'; prompt: PromptEvent }
  | { type: 'help' }
  | { type: 'palette' };

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
  startRun(runId: string, operation: RunOperation, label: string): void;
  progress(e: ProgressEvent): void;
  endRun(ok: boolean, summary: string, deploy?: DeployRun): void;
  clearRun(): void;
  setHostStates(s: Readonly<Record<string, HostState>>, verified?: ReadonlySet<string>): void;
}

export type Store = State & Actions;

export const isDirty = (s: Pick<State, 'topology' | 'saved'>): boolean => !!s.topology && s.topology !== s.saved;
/** Why editing is locked, if it is. */
export const lockReason = (s: Pick<State, 'run'>): string | undefined =>
  s.run && !s.run.result && (s.run.operation === 'deploy' || s.run.operation === 'teardown' || s.run.operation === 'lab') ? `${s.run.label} is running: editing is locked until it ends` : undefined;

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
        load: (dir, topology, revision, fromVersion, diagnostics) => {
          set({ dir, topology, saved: topology, revision, fromVersion, loadDiagnostics: diagnostics, selected: new Set(), hostState: {}, verified: new Set(), lastDeploy: undefined });
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
        startRun: (runId, operation, label) => set({ run: { runId, operation, label, startedAt: Date.now(), hosts: {} } }),
        progress: (e) => {
          const run = get().run;
          if (!run || e.runId !== run.runId) return;
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
