/**
 * One test's parsed record as it sits in `runs/<id>/results.json` (RunResults.tests), beside
 * the path of the tool's raw output. Its own module because the analysis reads records and the
 * results file holds the analysis: results.ts re-exports these, and imports nothing that
 * imports it back.
 */
import type { CpuUsage, NetperfResult, PingResult, ThroughputResult } from './types.js';

/** One path a run measures (targets.ts derives them from the plan). */
export type PathType = 'tunnel' | 'underlay' | 'lan';

export interface PathEnd {
  readonly hostId: string;
  readonly host: string;
  /** The address the tests use at this end (tunnel, underlay or LAN gateway address). */
  readonly address: string;
}

export interface MeasuredPath {
  /** `<linkId>.tunnel`, `<linkId>.underlay`, `lan.<srcHostId>.<dstHostId>`. */
  readonly id: string;
  readonly type: PathType;
  /** The link this path measures (tunnel and underlay paths). */
  readonly linkId?: string;
  readonly kind?: string;
  /** `a → b` for people. */
  readonly label: string;
  readonly src: PathEnd;
  readonly dst: PathEnd;
  /** The inner MTU the path carries (tunnel: the link's; underlay: the underlay's). */
  readonly mtu?: number;
  /** Hosts between the ends (a LAN path through the hub), by name. */
  readonly via?: readonly string[];
}

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
  /** The output of the test's commands on its two ends besides client and server (a tool's `ends`), relative to the run folder. */
  readonly rawEnds?: string;
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
