/**
 * A measurement tool: everything Overlab knows of one tool, in one file of this folder.
 *
 * Adding a tool:
 *  1. write `src/shared/measure/tools/<tool>.ts` exporting a `MeasureTool` (below): the suite
 *     test's zod schema (`tool: z.literal('<tool>')`, every field bounded), the command line(s)
 *     built from quoted argv (`q` of ../../shell.js — never a raw user string), the server it
 *     needs on the destination (if any), the parser (pure, tested on real output captured in
 *     the lab under tests/fixtures/measure/ or tests/fixtures/tools/<tool>/), and the metrics it feeds with their labels and
 *     units;
 *  2. add one line to `TOOLS` in ./index.ts.
 * Nothing else switches on the tool's name: the suite schema, the runner, the analysis and the
 * results views and report read the registry. A parser returns its figures as `values` (metric
 * key → number, in the metric's unit); the analysis turns them into figures with intervals
 * across repetitions, and the per-link table and the report show every metric a tool declares.
 *
 * Modes (how the runner schedules a test):
 *  - `series`: a client only, on the path's source, every path at once (light: ping);
 *  - `pair`: a client on the source and a server on the destination (started on a free port
 *    before the client, always stopped after), scheduled so that no host is in two at once.
 *    A `pair` tool without `server` is scheduled the same way (no other test on its two hosts
 *    meanwhile: e.g. one that takes a tunnel down and up) and gets port 0.
 *    A client command may run several programs at once on the client host (a load and a probe:
 *    latency under load) — mark the parts of its output and split them in `parse`.
 *    A `pair` tool may also give commands for the two ends around its client (`ends`: a step on
 *    both hosts before the client, a command on the destination beside it — e.g. one that
 *    restarts the far end's tunnel while the client probes it).
 * Every command gets a deadline from `seconds`: the runner runs `timeout -k 5 N <client>`, so a
 * client line is one command — a script goes in as `sh -c '<script>'` (quoted with `q`).
 */
import { z } from 'zod';
import type { Direction, TestRecord } from '../records.js';
import type { MeasuredPath } from '../records.js';
import type { CpuUsage } from '../types.js';

/** What a metric is a figure of (rows of the per-link table and the report carry it). */
export type Feed = 'rtt' | 'throughput' | 'loss' | 'jitter' | 'cpu' | 'rr' | 'latency-under-load' | 'handshake';

/** One figure a tool's tests produce (a row of the per-link table and of the report). */
export interface Metric {
  /** Key in the parser's `values` (camelCase, stable: results.json refers to it). */
  readonly key: string;
  /** For people, without the unit: "Loaded RTT p95 (8 flows)". */
  readonly label: string;
  /** "ms", "Mbit/s", "trans/s", "%", "% per Gbit/s", "s", "µs". */
  readonly unit: string;
  readonly feeds: Feed;
  readonly better: 'lower' | 'higher';
  /** One of the tool's headline figures: `overlab measure` prints it in its closing summary (and `--json` gives it). */
  readonly headline?: boolean;
}

/** Where and what the client measures (the runner fills it in per test). */
export interface ClientRequest {
  /** The measured path: `dst.address` is the target, `src.address` the source's address on it; `mtu`, `type`. */
  readonly path: MeasuredPath;
  /** The port the test's server listens on (`pair` tools). */
  readonly port: number;
  /** forward: data from the path's source to its destination; reverse: the other way (see `directions`). */
  readonly direction: Direction;
  /** The folder of the bundle deployed on the client host (its up.sh and down.sh), e.g. /var/lib/overlab/bundle. */
  readonly bundle: string;
}

/** A server for one test, listening on `port` of the destination's `bind` address. */
export interface ServerSpec {
  /** Shell line (quoted argv). Runs in the background until the runner stops it (SIGINT, then KILL). */
  readonly command: string;
  /** The socket table the runner polls until the server listens. */
  readonly proto: 'tcp' | 'udp';
}

/** What a test printed. */
export interface ToolOutput {
  /** The client's standard output. */
  readonly stdout: string;
  readonly stderr: string;
  /** The server's output (`pair` tools). */
  readonly server: string;
  /**
   * Each end's CPU between the runner's /proc/stat reads around the client (`pair` tests), for
   * figures such as CPU per Gbit/s; in the embedded lab both are the one machine's.
   */
  readonly cpu?: { readonly src?: CpuUsage; readonly dst?: CpuUsage };
  /** What the tool's `ends` commands printed (standard output), for the commands it gave. */
  readonly ends?: EndOutputs;
}

/**
 * Commands of a `pair` test on its two hosts besides the client and the server, each one shell
 * line (quoted argv) that the runner runs with the test's deadline:
 *  - `before`: on the client host (`src`) and the destination (`dst`), both at once, each to its
 *    end before the client starts (a non-zero exit fails the test, the client is not run);
 *  - `beside`: on the destination, started with the client; the runner waits for both.
 */
export interface EndCommands {
  readonly before?: { readonly src?: string; readonly dst?: string };
  readonly beside?: string;
}

/** The standard output of each `EndCommands` command that ran. */
export interface EndOutputs {
  readonly before?: { readonly src?: string; readonly dst?: string };
  readonly beside?: string;
}

/**
 * A parsed test: the record's figures. Existing tools fill their typed field (`ping`,
 * `throughput`, `netperf`); any tool may give `values` (metric key → number) for its declared
 * metrics, and `detail` (its own parsed record, plain JSON) so the figures can be traced.
 */
export type Parsed = Pick<TestRecord, 'ping' | 'throughput' | 'netperf' | 'values' | 'detail'> & { readonly error?: string };

/** The fields every suite test has. */
// A type, not an interface: a test is plain data, indexable like any record.
export type TestBase = { readonly tool: string };

export interface MeasureTool<T extends TestBase = TestBase> {
  /** The `tool:` of a suite test. */
  readonly id: T['tool'];
  readonly label: string;
  /** One line for people (the suite editor, `overlab measure --help`). */
  readonly description: string;
  /** A strict object with `tool: z.literal(id)`; the suite schema's union is built from these. */
  readonly schema: z.ZodType<T, unknown>;
  readonly mode: 'series' | 'pair';
  /** Also on LAN-to-LAN paths (ping does: LAN routing is what they test). Default: no. */
  readonly lanPaths?: boolean;
  /** Programs the client's and the server's hosts need (the preflight checks them before any test). */
  readonly binaries: (t: T) => { readonly client: readonly string[]; readonly server: readonly string[] };
  /** Debian package of each binary, for the preflight's "install:" hint. */
  readonly packages: Readonly<Record<string, string>>;
  /** A stable short name of a test: file names, `TestRecord.test`, figure keys (`iperf3-tcp`). */
  readonly testName: (t: T) => string;
  /** The seconds one test takes at most (its deadline and the run's estimate). */
  readonly seconds: (t: T) => number;
  /** The directions a test runs in (each one a test and a figure of its own). */
  readonly directions: (t: T) => readonly Direction[];
  /** The test with a duration from the command line (`--duration S`); `defineTool`'s default for a test with a `duration` is `runFor`. */
  readonly withDuration: (t: T, seconds: number) => T;
  /** The server on the destination (`pair` tools that need one). */
  readonly server?: (t: T, bind: string, port: number) => ServerSpec;
  /** The client's shell line on the source (quoted argv). */
  readonly client: (t: T, r: ClientRequest) => string;
  /** Commands on the two ends around the client (`pair` tools; see EndCommands); none: undefined. */
  readonly ends?: (t: T, r: ClientRequest) => EndCommands | undefined;
  readonly parse: (t: T, out: ToolOutput) => Parsed;
  /** The figures `values` holds (existing tools feed the run summary's own fields and may declare none). */
  readonly metrics: readonly Metric[];
}

/** A tool of any test type, as the registry holds them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds tools of different test types; each is checked against its own at its definition
export type AnyTool = MeasureTool<any>;

/** A strict object schema discriminated on `tool` (what the suite schema's union is built from). */
export type ToolSchema = z.ZodObject<{ tool: z.ZodLiteral<string> } & z.ZodRawShape, z.core.$strict>;

/**
 * A tool as its file declares it: `withDuration` may be left out where the test has a
 * `duration` (then `runFor` is its `withDuration`); a test without one must say what a duration means.
 */
export type ToolDeclaration<T extends TestBase> = Omit<MeasureTool<T>, 'withDuration'> & (T extends { readonly duration: number } ? Partial<Pick<MeasureTool<T>, 'withDuration'>> : Pick<MeasureTool<T>, 'withDuration'>);

/**
 * The default `withDuration`: the test runs for that many whole seconds (at least 1), and a
 * fixed amount (`bytes`) it had is dropped — a duration from the command line replaces it.
 * (Every door gives whole seconds from 1 to 3600: the CLI's --duration, the API, the dialog.)
 */
export function runFor<T extends { readonly duration: number; readonly bytes?: string }>(t: T, seconds: number): T {
  const { bytes: _bytes, ...rest } = t;
  return { ...rest, duration: Math.max(1, Math.round(seconds)) } as T;
}

/** Declares a tool with its test type inferred from its schema (so its functions are checked against it). */
export function defineTool<S extends ToolSchema>(tool: ToolDeclaration<TestOf<S>> & { readonly schema: S }): MeasureTool<TestOf<S>> & { readonly schema: S } {
  const declared: { readonly withDuration?: unknown } = tool;
  return { ...tool, withDuration: (declared.withDuration ?? runFor) as MeasureTool<TestOf<S>>['withDuration'] } as MeasureTool<TestOf<S>> & { readonly schema: S };
}

/** The test type of a tool's schema. */
export type TestOf<S extends ToolSchema> = z.output<S> & TestBase;

/**
 * The seconds a test of a fixed amount takes at most: estimated at 100 Mbit/s, the floor
 * Overlab plans for, plus 2; else its duration plus 1.
 */
export function amountSeconds(duration: number, bytes?: string): number {
  const m = bytes ? /^([0-9]+)([KMG]?)$/.exec(bytes) : null;
  if (!m) return duration + 1;
  const n = Number(m[1]) * ({ '': 1, K: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]!]!;
  return Math.ceil((n * 8) / 100e6) + 2;
}

/** An amount of data as iperf takes it (-n): a whole number of bytes, optionally K, M or G. */
export const AMOUNT = /^[0-9]+[KMG]?$/;
/** A rate as iperf takes it (-b): a number of bits/s, optionally K, M or G. */
export const RATE = /^[0-9]+(\.[0-9]+)?[KMG]?$/;

/** A suite test's fixed amount of data (`bytes:`), e.g. "100M". */
export const amountField = () => z.string().regex(AMOUNT, { error: 'write an amount like "100M"' });

/** The fields of an iperf throughput test: TCP or UDP, for `duration` seconds, or until a fixed amount (`bytes`) is sent. */
export const throughputFields = () => ({
  protocol: z.enum(['tcp', 'udp']),
  /** Seconds, unless `bytes` is given. */
  duration: z.number().min(1).max(3600).default(10),
  bytes: amountField().optional(),
});

/** A suite test's target rate (`bitrate:`); the error shows the examples: `write a rate like "50M" or "1G"`. */
export const rateField = (...examples: readonly [string, ...string[]]) => z.string().regex(RATE, { error: `write a rate like ${examples.map((x) => `"${x}"`).join(' or ')}` });
