/** The runs on the hosts (lab, deploy, measure…): the one in progress, and what the hosts are. */
import type { ProgressEvent, RunOperation } from '../../../shared/api.js';
import type { DeployRun } from '../../../shared/deploy.js';
import type { Reset, Slice } from './types.js';

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

export interface DeployState {
  run?: ActiveRun;
  hostState: Readonly<Record<string, HostState>>;
  /** Links whose ends answered each other over the tunnel in the last deploy's verify. */
  verified: ReadonlySet<string>;
  lastDeploy?: DeployRun;
  /** Per host name: what its last preflight said was missing (for SSH hosts' capabilities). */
  preflightMissing: Readonly<Record<string, readonly string[]>>;
}

export interface DeploySlice extends DeployState {
  startRun(runId: string, operation: RunOperation, label: string, opts?: { locks?: boolean; phase?: string }): void;
  /** The next phase of a run of several operations: its events come under `runId`. */
  setPhase(runId: string, operation: RunOperation, phase: string): void;
  progress(e: ProgressEvent): void;
  endRun(ok: boolean, summary: string, deploy?: DeployRun): void;
  clearRun(): void;
  setHostStates(s: Readonly<Record<string, HostState>>, verified?: ReadonlySet<string>): void;
}

/** Every field named (optional ones as undefined): zustand's `set` merges, so a reset must say each one. */
export const deployInitial = (): DeployState => ({ run: undefined, hostState: {}, verified: new Set(), lastDeploy: undefined, preflightMissing: {} });
/** Another project: its hosts are not these (a run in progress keeps its panel: it still reports). */
export const resetDeploy: Reset<DeployState> = (s) => ({ ...deployInitial(), run: s.run });

/** Why editing is locked, if it is. */
export const lockReason = (s: Pick<DeployState, 'run'>): string | undefined =>
  s.run && !s.run.result && (s.run.locks || s.run.operation === 'deploy' || s.run.operation === 'teardown' || s.run.operation === 'lab') ? `${s.run.label} is running: editing is locked until it ends` : undefined;

export const createDeploySlice: Slice<DeploySlice> = (set, get) => ({
  ...deployInitial(),
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
});
