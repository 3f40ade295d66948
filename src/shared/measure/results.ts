/**
 * `runs/<id>/results.json`: one measurement run, versioned. It holds what was measured and
 * where (the topology snapshot, the plan's links, each host's deployed bundle SHA-256, kernel,
 * OS and tool versions), every test's parsed record beside the path of its raw output, and the
 * statistics computed from them (`analyse`). Everything is keyed by host, link and path ids.
 * Heatmaps, charts and reports are pure functions of this file.
 */
import type { Condition } from '../conditions.js';
import type { Topology } from '../schema.js';
import type { RunSummary } from './analyse.js';
import { digestOf, type RunDigest } from './figures.js';
import type { Suite } from './suites.js';
import type { MeasuredPath } from './targets.js';
import type { CpuUsage, NetperfResult, PingResult, ThroughputResult } from './types.js';

export const RESULTS_FORMAT = 'overlab-results';
export const RESULTS_VERSION = 1;

export type Direction = 'forward' | 'reverse';

export interface TestRecord {
  /** `<pathId>/<test>/<direction>/<repetition>`. */
  readonly id: string;
  readonly pathId: string;
  /** `ping`, `iperf3-tcp`, `iperf2-udp`, `netperf-tcp_stream`, … (suites.testName). */
  readonly test: string;
  /** forward: data from the path's source to its destination; reverse: the other way. */
  readonly direction: Direction;
  /** 1-based. */
  readonly repetition: number;
  /** Throughput tests: the schedule's round (no host in two tests of a round). */
  readonly round?: number;
  readonly startedAt: string;
  readonly seconds: number;
  /** The command as it ran on the client's host. */
  readonly command: string;
  /** The tool's output, relative to the run folder. */
  readonly raw: string;
  readonly rawServer?: string;
  readonly ping?: PingResult;
  readonly throughput?: ThroughputResult;
  readonly netperf?: NetperfResult;
  /** A tool's figures by its metrics' keys, in their units (tools/<tool>.ts declares them). */
  readonly values?: Readonly<Record<string, number>>;
  /** A tool's own parsed record (plain JSON), beside `values` so each figure can be traced. */
  readonly detail?: unknown;
  /** /proc/stat on both ends during the test (throughput tests). */
  readonly cpu?: { readonly src?: CpuUsage; readonly dst?: CpuUsage };
  /** Why the test gave no figure (the tool's words, or Overlab's: timeout, host gone). */
  readonly error?: string;
}

export interface HostEnvironment {
  readonly hostId: string;
  readonly host: string;
  readonly kernel?: string;
  readonly os?: string;
  /** Tool → the version it printed. */
  readonly tools: Readonly<Record<string, string>>;
  readonly lab: boolean;
  /** SHA-256 of the bundle deployed there when the run started. */
  readonly bundleHash?: string;
}

export type RunStatus = 'complete' | 'partial' | 'cancelled' | 'failed';

export interface RunResults {
  readonly format: typeof RESULTS_FORMAT;
  readonly version: typeof RESULTS_VERSION;
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** `partial`: some hosts or tests failed (see `problems`), what was measured is kept. */
  readonly status: RunStatus;
  readonly problems: readonly string[];
  readonly project: { readonly name: string; readonly shape: string; readonly underlayMtu: number; readonly kinds: readonly string[] };
  readonly topology: Topology;
  /** The plan's rows the figures refer to. */
  readonly links: readonly { readonly id: string; readonly label: string; readonly kind: string; readonly a: string; readonly b: string; readonly hostIds: { readonly a: string; readonly b: string }; readonly mtu: number; readonly mss: number; readonly overheadBytes: number }[];
  readonly environment: readonly HostEnvironment[];
  /**
   * Every host runs on one machine (the embedded lab): CPU figures are that machine's, and
   * tunnels share its CPUs — compare kinds with each other, not with separate machines.
   */
  readonly sharedMachine: boolean;
  readonly suite: Suite;
  readonly campaign?: { readonly id: string; readonly kind: string; readonly mtu: number; readonly conditions?: string };
  /**
   * The link conditions the run was measured under, per direction as asked (the project's, a
   * preset resolved) and as in force (read back from tc on the sender's egress, and, for a lab
   * host's uplink down, on the WAN side, before the first test). Absent: no conditions set.
   */
  readonly conditions?: ConditionsRecord;
  readonly paths: readonly MeasuredPath[];
  readonly tests: readonly TestRecord[];
  readonly summary: RunSummary;
  /**
   * Set on a run read lean (runs.get with `lean`), with `digest`: its `tests` are empty and its
   * `summary.paths` too — what the drawing shows of them is in `digest` (a 2,000-link run reads
   * 5 MB lean, 54 MB whole). The charts and the replay need the whole run. Never in a
   * results.json (the engine keeps a copy read lean beside it).
   */
  readonly lean?: true;
  readonly digest?: RunDigest;
}

/** One direction: what the project asked and what tc held. */
export interface ConditionPair {
  readonly asked: Condition;
  readonly inForce: Condition;
}

/** The conditions of a run (RunResults.conditions). */
export interface ConditionsRecord {
  readonly links: readonly { readonly linkId: string; readonly aToB: ConditionPair; readonly bToA: ConditionPair }[];
  readonly uplinks: readonly { readonly hostId: string; readonly up: ConditionPair; readonly down: ConditionPair }[];
}

/** A short description of a run for lists (the runs browser, `overlab measure --json`). */
export interface RunListing {
  readonly runId: string;
  readonly startedAt: string;
  readonly status: RunStatus;
  readonly suite: string;
  readonly kinds: readonly string[];
  readonly underlayMtu: number;
  readonly paths: number;
  readonly tests: number;
  readonly campaign?: RunResults['campaign'];
}

export const listingOf = (r: RunResults): RunListing => ({
  runId: r.runId,
  startedAt: r.startedAt,
  status: r.status,
  suite: r.suite.name,
  kinds: r.project.kinds,
  underlayMtu: r.project.underlayMtu,
  paths: r.paths.length,
  tests: r.tests.length,
  ...(r.campaign ? { campaign: r.campaign } : {}),
});

/** The run read lean (see RunResults.lean): its tests and paths' summaries replaced by their digest. */
export function leanOf(r: RunResults): RunResults {
  return { ...r, tests: [], summary: { ...r.summary, paths: {} }, lean: true, digest: digestOf(r) };
}
