/**
 * The one contract between the doors (CLI, `overlab serve`, the Electron app) and the engine.
 * It is served two ways to the UI — Electron IPC (main ↔ preload ↔ renderer) and `overlab
 * serve` (HTTP + Server-Sent Events on loopback) — and the CLI calls the same handlers
 * in-process. Arguments and results are plain JSON data.
 */
import { z } from 'zod';
import type { Condition } from './conditions.js';
import type { DeployRun } from './deploy.js';
import type { Diagnostic } from './diagnostics.js';
import type { AnsibleExportResult } from './export/ansible.js';
import { FINGERPRINT_RE, type HostKeyConsent, type HostKeyReport } from './hostkeys.js';
import { AdviceSchema, SHAPES, type Shape, type Topology } from './schema.js';
import type { Advice, Needs } from './advise/index.js';
import type { CampaignAnalysis, CampaignFile } from './measure/campaign.js';
import type { RunListing, RunResults, RunStatus } from './measure/results.js';
import type { Plan } from './plan.js';
import type { Capabilities } from './tunnels/types.js';
import type { Metric } from './view/metrics.js';

/** An opened project: the folder, its document and what validation said of it. */
export interface ProjectSnapshot {
  readonly dir: string;
  /** Absent when the file does not validate; `diagnostics` then says why. */
  readonly topology?: Topology;
  readonly diagnostics: readonly Diagnostic[];
  /** Schema version the file was written in (older ones were migrated in memory, not on disk). */
  readonly fromVersion?: number;
  /** SHA-256 of the file as read or written: a later save checks the file still has it. */
  readonly revision?: string;
}

/** A folder listing for the browser's Open and Save as (folders only). */
export interface FolderListing {
  readonly path: string;
  readonly parent?: string;
  readonly entries: readonly { readonly name: string; readonly path: string; readonly isProject: boolean }[];
}

/** A question the engine asks the person at the door (an SSH password), answered with `prompt.answer`. */
export interface PromptEvent {
  readonly runId?: string;
  readonly promptId: string;
  readonly kind: 'password';
  readonly host: string;
  readonly login: string;
  readonly message: string;
}

/** One kind of the catalogue, as `overlab kinds --json` prints it. */
export interface KindInfo {
  readonly id: string;
  readonly label: string;
  readonly layer: 'L2' | 'L3';
  readonly encrypted: boolean;
  /** How it crosses a NAT (TunnelKind.natTraversal); absent: it cannot. */
  readonly natTraversal?: string;
  readonly model: 'p2p' | 'mesh' | 'star';
  readonly shapes: readonly Shape[];
  /** Per shape and underlay family: how the kind builds it, or why it cannot (TunnelKind.capabilities). */
  readonly capabilities: Capabilities;
  readonly transport: string;
  /** Header bytes with the kind's default options. */
  readonly overheadBytes: { readonly ipv4: { readonly mtu1500: number; readonly mtu9000: number }; readonly ipv6: { readonly mtu1500: number } };
  readonly requirements: { readonly modules: readonly string[]; readonly packages: readonly string[]; readonly binaries: readonly string[] };
  /** Whether this machine can carry it (only when probed): `unknown` when the probe needs root. */
  readonly here?: 'yes' | 'no' | 'unknown';
  readonly missing?: readonly string[];
  /**
   * Which link conditions this machine's kernel can apply (only when probed; the same on every
   * row — a machine's, not a kind's — so the table keeps its shape): rates need htb, delay,
   * jitter, loss, duplicate, reorder and corrupt need netem.
   */
  readonly conditionsHere?: { readonly htb: 'yes' | 'no' | 'unknown'; readonly netem: 'yes' | 'no' | 'unknown'; readonly reason?: string };
}

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'rolled-back';

export const RUN_OPERATIONS = ['lab', 'deploy', 'teardown', 'measure', 'campaign', 'report', 'conditions'] as const;
export type RunOperation = (typeof RUN_OPERATIONS)[number];

/** Progress of a long operation, per host and step. */
export interface ProgressEvent {
  /** The run this event belongs to (the id a caller gave, or one the engine made). */
  readonly runId: string;
  readonly operation: RunOperation;
  readonly host?: string;
  readonly step: string;
  readonly status: StepStatus;
  /** 0..1 for the whole operation, when known. */
  readonly fraction?: number;
  /** When the whole operation is expected to end (ISO time), when known. */
  readonly endsAt?: string;
  readonly message?: string;
}

export interface LogEvent {
  readonly runId: string;
  readonly host?: string;
  readonly stream: 'stdout' | 'stderr' | 'info';
  /** Already redacted: secrets never reach a log line. */
  readonly line: string;
}

/** What a measurement run answers: where its results.json is and how it went. */
export interface MeasureAnswer {
  readonly runId: string;
  readonly dir: string;
  readonly status: RunStatus;
  readonly problems: readonly string[];
  readonly tests: number;
}

export interface LabUpResult {
  /** The lab's id (6 hex digits from the project's path). */
  readonly id: string;
  readonly hosts: readonly string[];
  readonly created: readonly string[];
  /** Hosts of an earlier `lab up` that the project no longer has (or renamed): taken down. */
  readonly removed: readonly string[];
  /** The management gateway with its prefix length, e.g. `198.18.240.1/24`. */
  readonly management: string;
  readonly knownHosts: string;
  readonly durationMs: number;
}

export interface RenderResult {
  readonly hosts: readonly string[];
  readonly files: number;
  /** Secrets generated for this render (references, never values). */
  readonly secretsCreated: number;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ExampleInfo {
  readonly name: string;
  readonly title: string;
  readonly shape: Shape;
  readonly hosts: number;
  readonly links: number;
  readonly kinds: readonly string[];
}

interface CreateCommon {
  readonly dir: string;
  readonly name?: string;
  readonly underlayMtu?: number;
  readonly force?: boolean;
}
/** `underlaySubnet`: the template's underlay network (an IPv6 prefix gives an IPv6 underlay; see templates.ts). */
export type CreateArgs = CreateCommon & ({ readonly template: Shape; readonly hosts: number; readonly kind: string; readonly underlaySubnet?: string } | { readonly example: string });

/**
 * The metrics a report's heatmap may show: view/metrics' METRIC_IDS, written out because that
 * module pulls the statistics code into every door that loads this contract (report.test.ts
 * checks the two lists match).
 */
export const REPORT_METRICS = ['rtt-mean', 'rtt-p95', 'jitter', 'loss', 'tcp', 'udp', 'udp-loss', 'cpu-per-gbps'] as const satisfies readonly Metric[];

export const REPORT_FORMATS = ['pdf', 'html', 'csv', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** A written report. */
/** A run folder whose results.json does not read: listed apart, with the reason (which names the file and what to do). */
export interface UnreadableRun {
  readonly runId: string;
  readonly file: string;
  readonly reason: string;
}

export interface ReportAnswer {
  /** Absolute path of the file written (atomically). */
  readonly file: string;
  readonly format: ReportFormat;
  readonly bytes: number;
  /** PDF only. */
  readonly pages?: number;
  /** Time to make it (printing included). */
  readonly ms: number;
}

/** What a report's appendix prints of each host: what `deploy` installs there, every secret value redacted by the engine. */
export interface ReportAppendix {
  readonly hosts: readonly {
    readonly host: string;
    /** SHA-256 of the bundle as rendered now (compare with the run's `environment[].bundleHash`). */
    readonly bundleHash: string;
    readonly up: string;
    readonly down: string;
    /** `content`: text files up to a few KiB, redacted like the scripts. */
    readonly files: readonly { readonly path: string; readonly mode: number; readonly bytes: number; readonly content?: string }[];
  }[];
  /** Why there are no hosts (the project does not render now). */
  readonly problems: readonly string[];
}

/** One host of a `conditions.apply`: what it did, and, where it failed, why (a mismatch between asked and read back is a failure). */
export interface ConditionsHostResult {
  readonly host: string;
  readonly status: 'applied' | 'cleared' | 'failed' | 'skipped';
  /** Why it failed or was skipped (a refusal names what the kernel lacks and where the conditions can run). */
  readonly error?: string;
  /** Asked vs read back, one line per difference. */
  readonly mismatches?: readonly string[];
}

export interface ConditionsApplyResult {
  readonly ok: boolean;
  readonly hosts: readonly ConditionsHostResult[];
  readonly durationMs: number;
}

/** What `conditions.read` answers: every direction as set in the project and as in force (read back) where the hosts answer. */
export interface ConditionsState {
  readonly links: readonly { readonly linkId: string; readonly aToB: { readonly asked: Condition; readonly inForce?: Condition }; readonly bToA: { readonly asked: Condition; readonly inForce?: Condition } }[];
  readonly uplinks: readonly { readonly hostId: string; readonly up: { readonly asked: Condition; readonly inForce?: Condition }; readonly down: { readonly asked: Condition; readonly inForce?: Condition } }[];
  /** Per host that answered: whether its kernel can apply netem's conditions (rate needs only htb). */
  readonly capability: readonly { readonly host: string; readonly netem: 'yes' | 'no' | 'unknown'; readonly htb: 'yes' | 'no' | 'unknown' }[];
  /** Hosts that could not be read (not deployed, lab down, unreachable), with the reason. */
  readonly unread: readonly { readonly host: string; readonly reason: string }[];
}

/** Options common to long operations: the caller may name the run, to match its events and to cancel it. */
interface RunArgs {
  readonly runId?: string;
}

/** Operation name → (argument) → result. Every door calls exactly this map. */
export interface OverlabApi {
  'project.open': (args: {
    dir: string;
    /** False: warnings may come without line and column (a reader that derives its own); large files open 15–20× faster. */
    warningPositions?: boolean;
  }) => ProjectSnapshot;
  /**
   * Writes the document (atomically, only when it validates). With `expectedRevision`, refuses
   * (code `conflict`) to overwrite a file that changed on disk since, unless `force`.
   */
  'project.save': (args: { dir: string; topology: Topology; expectedRevision?: string; force?: boolean }) => ProjectSnapshot;
  /**
   * A project from a template or from one of the example projects (`overlab new`); refuses to
   * overwrite an existing file unless `force`.
   */
  'project.create': (args: CreateArgs) => ProjectSnapshot;
  /** The example projects shipped in resources/examples. */
  'project.examples': (args: Record<string, never>) => readonly ExampleInfo[];
  'project.validate': (args: { topology: unknown }) => { diagnostics: readonly Diagnostic[] };
  /** The catalogue; with `probe`, whether this machine can carry each kind (the kernel probe needs root). */
  'kinds.list': (args: { probe?: boolean }) => readonly KindInfo[];
  /** The plan carries secret references (ids), never secret values: safe to hand to a UI. */
  'plan.compute': (args: { dir: string }) => { plan?: Plan; diagnostics: readonly Diagnostic[] };
  'render.bundles': (args: { dir: string; out: string }) => RenderResult;
  'lab.up': (args: RunArgs & { dir: string }) => LabUpResult;
  'lab.down': (args: RunArgs & { dir: string }) => { removed: readonly string[] };
  /**
   * `acceptHostKeys`: unknown host keys the person checked, each by host and fingerprint (and the
   * address it was met at): a key with another fingerprint is refused again. A host whose key
   * is refused reports it in its `hostKey`.
   */
  'deploy.apply': (args: RunArgs & { dir: string; hosts?: readonly string[]; dryRun?: boolean; keepGoing?: boolean; acceptHostKeys?: readonly HostKeyConsent[]; concurrency?: number }) => DeployRun;
  'deploy.teardown': (args: RunArgs & { dir: string; hosts?: readonly string[]; acceptHostKeys?: readonly HostKeyConsent[]; concurrency?: number }) => DeployRun;
  /** Folders under `path` (default: the home folder), for picking a project folder in the browser. */
  'fs.list': (args: { path?: string }) => FolderListing;
  /** Recently opened projects, newest first. */
  'recent.list': (args: Record<string, never>) => readonly { dir: string; name: string; openedAt: string }[];
  'recent.add': (args: { dir: string; name: string }) => { ok: true };
  /** Answers a prompt event (the password is used for that login only, never stored); `value` absent = refused. */
  'prompt.answer': (args: { promptId: string; value?: string }) => { ok: boolean };
  /** The questions still waiting for an answer: a page whose event stream broke re-reads them (it missed their events). */
  'prompt.pending': (args: Record<string, never>) => readonly PromptEvent[];
  /** Stops a run that is under way (it cleans up and reports what it did); false when no such run is going. */
  'run.cancel': (args: { runId: string }) => { cancelled: boolean };
  /** Runs a suite on the deployed project (every link, its underlay baseline, LAN to LAN) and writes runs/<id>/. */
  /** A refused host key fails the call with the error's `hostKeys` (as `deploy.apply` reports them); `acceptHostKeys` as for a deploy. */
  'measure.run': (args: RunArgs & { dir: string; suite?: string; duration?: number; repeat?: number; hosts?: readonly string[]; acceptHostKeys?: readonly HostKeyConsent[] }) => MeasureAnswer;
  /**
   * The paper's study: for each kind × underlay MTU, re-plan, deploy, measure, tear down.
   * Resumable (`resume` with the campaign's id: finished cells are skipped).
   */
  'campaign.run': (args: RunArgs & { dir: string; campaignId?: string; kinds?: readonly string[]; mtus?: readonly number[]; /** Preset ids or none: each cell's project gets one on every link (default none). */ conditions?: readonly string[]; suite?: string; repeat?: number; duration?: number; resume?: boolean }) => { id: string; dir: string; campaign: CampaignFile; analysis: CampaignAnalysis };
  'campaigns.list': (args: { dir: string }) => readonly { id: string; createdAt: string; updatedAt: string; suite: string; cells: number; done: number }[];
  'campaigns.get': (args: { dir: string; campaignId: string }) => { campaign: CampaignFile; analysis: CampaignAnalysis };
  /**
   * Applies the project's link conditions with tc on the hosts (the tunnels are not touched):
   * each host's underlay egress, and the lab's WAN side for a lab host's uplink down; read back
   * and compared. `clear`: removes them. A host whose kernel lacks what is asked is refused.
   */
  'conditions.apply': (args: RunArgs & { dir: string; hosts?: readonly string[]; clear?: boolean; acceptHostKeys?: readonly HostKeyConsent[] }) => ConditionsApplyResult;
  /** The conditions as set and as in force (read back with tc on the hosts that answer), and what each host's kernel can apply. */
  'conditions.read': (args: { dir: string }) => ConditionsState;
  /** The project's measurement runs, newest first. */
  'runs.list': (args: { dir: string }) => readonly RunListing[];
  /** Run folders that `runs.list` leaves out because their results.json does not read, each with the reason. */
  'runs.unreadable': (args: { dir: string }) => readonly UnreadableRun[];
  /** One run's results.json. */
  /** `lean`: without the tests and the paths' summaries, with their digest (RunResults.lean): for painting a large run at once. */
  'runs.get': (args: { dir: string; runId: string; lean?: boolean }) => RunResults;
  /**
   * A report of a run (default: the newest) or of a campaign: `pdf` (default) and `html` printed from
   * the renderer's report route, `csv` one row per link per metric, `json` the results file. `file`
   * relative to the project folder; absent: `reports/report-<id>.<ext>` there.
   */
  'report.pdf': (args: { dir: string; runId?: string; campaignId?: string; metric?: Metric; format?: ReportFormat; file?: string }) => ReportAnswer;
  /** The report's appendix: each host's rendered scripts with secrets redacted. */
  'report.appendix': (args: { dir: string }) => ReportAppendix;
  /**
   * Which tunnel kind for these needs — the defaults (no encryption, any layer, no NAT, any MTU,
   * balanced, any CPU), then the needs the project states (`stated`: the document as the caller
   * holds it, saved or not; absent: overlab.yaml's `advice` section), then `needs` (flags
   * override the file) — ranked from the project's campaigns and runs, with the kinds
   * left out and why, and ties where the measurement cannot tell kinds apart. Read-only.
   * `probe`: suggest measuring only the kinds this machine's kernel carries (the kernel probe,
   * which needs root, runs only when something is to be measured); the report leaves it out.
   */
  'advise.get': (args: { dir: string; needs?: Partial<Needs>; stated?: Partial<Needs>; probe?: boolean }) => Advice;
  /**
   * `overlab export ansible`: inventory, deploy/teardown playbooks and a vault file in `out` (written at once; a non-empty `out`
   * only with `force`, and only when an earlier export made it). With `vaultPasswordFile` the vault is encrypted with ansible-vault.
   */
  'export.ansible': (args: { dir: string; out: string; force?: boolean; vaultPasswordFile?: string }) => AnsibleExportResult;
}

export type OperationName = keyof OverlabApi;

/**
 * What the report route (src/renderer/src/report) calls, all read-only: the printer's own
 * `overlab serve` serves these and refuses every other operation, so that the page it prints
 * (and anything that reaches its port while it prints) cannot deploy, bring a lab up or write.
 */
export const REPORT_OPERATIONS = ['runs.get', 'campaigns.get', 'report.appendix', 'advise.get'] as const satisfies readonly OperationName[];
export type ReportOperation = (typeof REPORT_OPERATIONS)[number];
export type OperationArgs<K extends OperationName> = Parameters<OverlabApi[K]>[0];
export type OperationResult<K extends OperationName> = ReturnType<OverlabApi[K]>;

/** Event name → payload. Subscriptions return an unsubscribe function. */
export interface OverlabEvents {
  progress: ProgressEvent;
  log: LogEvent;
  prompt: PromptEvent;
}
export type EventName = keyof OverlabEvents;
/** Every event name, once: the HTTP transport subscribes to each. */
export const EVENT_NAMES: readonly EventName[] = ['progress', 'log', 'prompt'];

/** What the renderer sees: every operation as an async call, plus event subscriptions. */
export type OverlabClient = {
  readonly [K in OperationName]: (args: OperationArgs<K>) => Promise<OperationResult<K>>;
} & {
  on<E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): () => void;
};

/** The part of the client the report route may use (the compiler keeps it to REPORT_OPERATIONS). */
export type ReportClient = Pick<OverlabClient, ReportOperation>;

/** Errors cross the contract as data, with a code the UI can act on. */
export interface ApiErrorData {
  readonly code: 'invalid-arguments' | 'not-implemented' | 'forbidden' | 'failed' | 'cancelled' | 'conflict';
  readonly message: string;
  readonly diagnostics?: readonly Diagnostic[];
  /** Host keys that stopped the operation (a measurement that could not connect): the app shows them in its host-key dialog. */
  readonly hostKeys?: readonly HostKeyReport[];
}

/** The engine's answer to one call, as every transport carries it. */
export type Reply = { ok: true; value: unknown } | { ok: false; error: ApiErrorData };

const dir = z.string().min(1, { error: 'must name a project folder' });
const hostList = z.array(z.string()).readonly();
/** Run ids become part of folder names (runs/<id>/) and event filters: a safe, short charset. */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const runId = z.string().regex(RUN_ID_RE, { error: 'must be 1–64 letters, digits, "_" or "-"' });
const concurrency = z.number().int().min(1).max(1024);
/** A consent names one host and the exact fingerprint checked: there is no "accept whatever answers". */
const hostKeyConsents = z
  .array(
    z.strictObject({
      host: z.string().min(1).max(64),
      fingerprint: z.string().regex(FINGERPRINT_RE, { error: 'must be the SHA256 fingerprint shown for the host (SHA256: and 43 base64 characters)' }),
      address: z.string().min(1).max(300).optional(),
    }),
  )
  .readonly();

/**
 * Argument schemas: the transports check every call against these before a handler runs,
 * since a renderer or a browser tab is not trusted to send well-formed data. The topology
 * inside `project.save` is only shape-checked here; the handler validates it fully.
 */
export const ARGUMENTS: { readonly [K in OperationName]: z.ZodType<OperationArgs<K>> } = {
  'project.open': z.strictObject({ dir, warningPositions: z.boolean().optional() }),
  'project.save': z.strictObject({ dir, topology: z.custom<Topology>((v) => v !== null && typeof v === 'object', { error: 'must be a topology object' }), expectedRevision: z.string().regex(/^[0-9a-f]{64}$/).optional(), force: z.boolean().optional() }),
  'project.create': z.union([
    z.strictObject({ dir, template: z.enum(SHAPES), hosts: z.number().int(), kind: z.string().min(1), name: z.string().optional(), underlayMtu: z.number().int().optional(), underlaySubnet: z.string().max(64).optional(), force: z.boolean().optional() }),
    z.strictObject({ dir, example: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'must name an example project (see project.examples)' }), name: z.string().optional(), underlayMtu: z.number().int().optional(), force: z.boolean().optional() }),
  ]),
  'project.examples': z.strictObject({}),
  'project.validate': z.strictObject({ topology: z.unknown() }),
  'kinds.list': z.strictObject({ probe: z.boolean().optional() }),
  'plan.compute': z.strictObject({ dir }),
  'render.bundles': z.strictObject({ dir, out: dir }),
  'lab.up': z.strictObject({ dir, runId: runId.optional() }),
  'lab.down': z.strictObject({ dir, runId: runId.optional() }),
  'deploy.apply': z.strictObject({
    dir,
    runId: runId.optional(),
    hosts: hostList.optional(),
    dryRun: z.boolean().optional(),
    keepGoing: z.boolean().optional(),
    acceptHostKeys: hostKeyConsents.optional(),
    concurrency: concurrency.optional(),
  }),
  'deploy.teardown': z.strictObject({ dir, runId: runId.optional(), hosts: hostList.optional(), acceptHostKeys: hostKeyConsents.optional(), concurrency: concurrency.optional() }),
  'run.cancel': z.strictObject({ runId }),
  'fs.list': z.strictObject({ path: z.string().min(1).max(4096).optional() }),
  'recent.list': z.strictObject({}),
  'recent.add': z.strictObject({ dir, name: z.string().max(200) }),
  'prompt.answer': z.strictObject({ promptId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), value: z.string().max(4096).optional() }),
  'prompt.pending': z.strictObject({}),
  'measure.run': z.strictObject({ dir, runId: runId.optional(), suite: z.string().optional(), duration: z.number().int().min(1).max(3600).optional(), repeat: z.number().int().min(1).max(100).optional(), hosts: hostList.optional(), acceptHostKeys: hostKeyConsents.optional() }),
  'campaign.run': z.strictObject({
    dir,
    runId: runId.optional(),
    campaignId: runId.optional(),
    kinds: z.array(z.string().min(1)).min(1).optional(),
    mtus: z.array(z.number().int().min(576).max(9216)).min(1).optional(),
    conditions: z.array(z.string().min(1).max(64)).min(1).max(16).optional(),
    suite: z.string().optional(),
    repeat: z.number().int().min(1).max(100).optional(),
    duration: z.number().int().min(1).max(3600).optional(),
    resume: z.boolean().optional(),
  }),
  'conditions.apply': z.strictObject({ dir, runId: runId.optional(), hosts: hostList.optional(), clear: z.boolean().optional(), acceptHostKeys: hostKeyConsents.optional() }),
  'conditions.read': z.strictObject({ dir }),
  'campaigns.list': z.strictObject({ dir }),
  'campaigns.get': z.strictObject({ dir, campaignId: runId }),
  'runs.list': z.strictObject({ dir }),
  'runs.unreadable': z.strictObject({ dir }),
  'runs.get': z.strictObject({ dir, runId, lean: z.boolean().optional() }),
  'report.pdf': z.strictObject({ dir, runId: runId.optional(), campaignId: runId.optional(), metric: z.enum(REPORT_METRICS).optional(), format: z.enum(REPORT_FORMATS).optional(), file: z.string().min(1).max(4096).optional() }),
  'report.appendix': z.strictObject({ dir }),
  // The advisor's needs: the document's advice section's schema (one definition; each field optional).
  'advise.get': z.strictObject({
    dir,
    needs: AdviceSchema.optional(),
    stated: AdviceSchema.optional(),
    probe: z.boolean().optional(),
  }),
  'export.ansible': z.strictObject({ dir, out: dir, force: z.boolean().optional(), vaultPasswordFile: z.string().min(1, { error: 'must name the vault password file' }).max(4096).optional() }),
} as { readonly [K in OperationName]: z.ZodType<OperationArgs<K>> };

export const OPERATIONS = Object.keys(ARGUMENTS) as OperationName[];
