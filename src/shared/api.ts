/**
 * The one contract between the UI and the engine. It is served two ways — Electron IPC
 * (main ↔ preload ↔ renderer) and `overlab serve` (HTTP + WebSocket on loopback) — and the
 * renderer talks to nothing else. Arguments and results are plain JSON data.
 *
 * Operations marked "later" are declared so that both ends agree on their shape; the
 * engine answers them with an `not-implemented` error until their issue lands.
 */
import { z } from 'zod';
import type { Diagnostic } from './diagnostics.js';
import type { Topology } from './schema.js';

/** An opened project: the folder, its document and what validation said of it. */
export interface ProjectSnapshot {
  readonly dir: string;
  /** Absent when the file does not validate; `diagnostics` then says why. */
  readonly topology?: Topology;
  readonly diagnostics: readonly Diagnostic[];
  /** Schema version the file was written in (older ones were migrated in memory, not on disk). */
  readonly fromVersion?: number;
}

export interface KindSummary {
  readonly id: string;
  readonly label: string;
  readonly layer: 'L2' | 'L3';
  readonly encrypted: boolean;
  readonly shapes: readonly string[];
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'rolled-back';

/** Progress of a long operation, per host and step. */
export interface ProgressEvent {
  readonly operation: 'lab' | 'deploy' | 'teardown' | 'measure' | 'report';
  readonly host?: string;
  readonly step: string;
  readonly status: StepStatus;
  /** 0..1 for the whole operation, when known. */
  readonly fraction?: number;
  readonly message?: string;
}

export interface LogEvent {
  readonly host?: string;
  readonly stream: 'stdout' | 'stderr' | 'info';
  /** Already redacted: secrets never reach a log line. */
  readonly line: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly dir: string;
}

/** Operation name → (argument) → result. Both transports implement exactly this map. */
export interface OverlabApi {
  'project.open': (args: { dir: string }) => ProjectSnapshot;
  'project.save': (args: { dir: string; topology: Topology }) => ProjectSnapshot;
  'project.validate': (args: { topology: unknown }) => { diagnostics: readonly Diagnostic[] };
  'kinds.list': (args: Record<string, never>) => readonly KindSummary[];
  /** later (catalogue issue) */
  'plan.compute': (args: { dir: string }) => { plan: unknown; diagnostics: readonly Diagnostic[] };
  /** later (catalogue issue) */
  'render.bundles': (args: { dir: string; out: string }) => { hosts: readonly string[]; diagnostics: readonly Diagnostic[] };
  /** later (lab issue) */
  'lab.up': (args: { dir: string }) => { created: readonly string[] };
  'lab.down': (args: { dir: string }) => { removed: readonly string[] };
  /** later (deploy issue) */
  'deploy.apply': (args: { dir: string; hosts?: readonly string[]; dryRun?: boolean; acceptHostKeys?: readonly string[] }) => { ok: boolean; failed: readonly string[] };
  'deploy.teardown': (args: { dir: string }) => { ok: boolean; failed: readonly string[] };
  /** later (measure issue) */
  'measure.run': (args: { dir: string; suite?: string; duration?: number }) => RunSummary;
  /** later (report issue) */
  'report.pdf': (args: { dir: string; runId?: string; file: string }) => { file: string };
}

export type OperationName = keyof OverlabApi;
export type OperationArgs<K extends OperationName> = Parameters<OverlabApi[K]>[0];
export type OperationResult<K extends OperationName> = ReturnType<OverlabApi[K]>;

/** Event name → payload. Subscriptions return an unsubscribe function. */
export interface OverlabEvents {
  progress: ProgressEvent;
  log: LogEvent;
}
export type EventName = keyof OverlabEvents;

/** What the renderer sees: every operation as an async call, plus event subscriptions. */
export type OverlabClient = {
  readonly [K in OperationName]: (args: OperationArgs<K>) => Promise<OperationResult<K>>;
} & {
  on<E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): () => void;
};

/** Errors cross the contract as data, with a code the UI can act on. */
export interface ApiErrorData {
  readonly code: 'invalid-arguments' | 'not-implemented' | 'forbidden' | 'failed';
  readonly message: string;
  readonly diagnostics?: readonly Diagnostic[];
}

const dir = z.string().min(1, { error: 'must name a project folder' });
const hostList = z.array(z.string()).readonly();

/**
 * Argument schemas: both transports check every call against these before a handler runs,
 * since a renderer or a browser tab is not trusted to send well-formed data. The topology
 * inside `project.save` is only shape-checked here; the handler validates it fully.
 */
export const ARGUMENTS: { readonly [K in OperationName]: z.ZodType<OperationArgs<K>> } = {
  'project.open': z.strictObject({ dir }),
  'project.save': z.strictObject({ dir, topology: z.custom<Topology>((v) => v !== null && typeof v === 'object', { error: 'must be a topology object' }) }),
  'project.validate': z.strictObject({ topology: z.unknown() }),
  'kinds.list': z.strictObject({}),
  'plan.compute': z.strictObject({ dir }),
  'render.bundles': z.strictObject({ dir, out: dir }),
  'lab.up': z.strictObject({ dir }),
  'lab.down': z.strictObject({ dir }),
  'deploy.apply': z.strictObject({ dir, hosts: hostList.optional(), dryRun: z.boolean().optional(), acceptHostKeys: hostList.optional() }),
  'deploy.teardown': z.strictObject({ dir }),
  'measure.run': z.strictObject({ dir, suite: z.string().optional(), duration: z.number().int().min(1).max(3600).optional() }),
  'report.pdf': z.strictObject({ dir, runId: z.string().optional(), file: z.string().min(1) }),
} as { readonly [K in OperationName]: z.ZodType<OperationArgs<K>> };

export const OPERATIONS = Object.keys(ARGUMENTS) as OperationName[];
