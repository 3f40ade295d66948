/**
 * A measurement run over SSH, on real hosts and lab hosts alike:
 *
 *   connect → preflight (tools, environment, deployed bundle) → per repetition:
 *     RTT series on every path at once → each throughput test in rounds (no host in two at once)
 *   → results.json (+ raw output of every test) in runs/<id>/
 *
 * Servers (iperf3 -s, iperf -s, netserver) are started for their test on a free port and always
 * stopped, also on error, timeout or cancel; every remote command has a deadline. A host that
 * stops answering is that host's failure: the run goes on for the rest and is marked partial;
 * a cancelled run keeps what it measured. Nothing here prints or stores a secret.
 */
import { writeSidecars } from './store.js';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { ProgressEvent } from '../../shared/api.js';
import { hasErrors } from '../../shared/diagnostics.js';
import type { HostKeyConsent, HostKeyReport } from '../../shared/hostkeys.js';
import { analyse } from '../../shared/measure/analyse.js';
import { cpuUsage, CPU_READ } from '../../shared/measure/tools/cpu.js';
import { toolOf, type AnyTool, type EndCommands, type Parsed } from '../../shared/measure/tools/index.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type ConditionsRecord, type Direction, type HostEnvironment, type RunResults, type RunStatus, type TestRecord } from '../../shared/measure/results.js';
import { runInOrder, schedule, type Job } from '../../shared/measure/schedule.js';
import { resolveSuite, testName, testSeconds, type Suite, type SuiteTest } from '../../shared/measure/suites.js';
import { measuredPaths, type MeasuredPath } from '../../shared/measure/targets.js';
import type { Plan } from '../../shared/plan.js';
import { parsePreflight } from '../../shared/preflight.js';
import type { Topology } from '../../shared/schema.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ApiError } from '../api-error.js';
import { HostKeyError, KnownHosts } from '../deploy/hostkeys.js';
import { BUNDLE, HASH_FILE } from '../deploy/remote.js';
import { connect, RemoteCommandError, targetOf, type Connected, type ExecResult } from '../deploy/ssh.js';
import { mismatchesOf, readProject, recordOf, scopeOf } from '../conditions/apply.js';
import { knownHostsPath, labKeyPath, loadLab } from '../lab/lab.js';
import { pool } from '../pool.js';
import { planProject } from '../services/bundles.js';
import { ensureDir, writeFile } from '../safe-fs.js';
import { candidatePorts, cleanupRun, clientWithCpu, ENV_PREFIX, measurePreflight, PORT_PREFIX, runDir, splitClient, splitStop, startServer, stopServer, withTimeout } from './remote.js';

export interface MeasureOptions {
  readonly runId: string;
  readonly suite?: string;
  readonly duration?: number;
  readonly repeat?: number;
  /** Only paths between these hosts. */
  readonly hosts?: readonly string[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: Omit<ProgressEvent, 'runId'>) => void;
  readonly password?: (host: string, login: string) => Promise<string | undefined>;
  /** Recorded in results.json when the run is a cell of a campaign. */
  readonly campaign?: RunResults['campaign'];
  /** Folder for runs (default: the project's runs/). */
  readonly runsDir?: string;
  /** Unknown host keys the person checked and accepted, by fingerprint (as for a deploy). */
  readonly acceptHostKeys?: readonly HostKeyConsent[];
}

export interface MeasureOutcome {
  readonly runId: string;
  readonly dir: string;
  readonly results: RunResults;
}

/** A host stopped answering (its SSH connection failed): its remaining tests are skipped. */
class HostGone extends Error {}

/** A connect error that means the host is down, not misconfigured (keys, passwords, host keys): the run goes on without it. */
const DOWN_AT_CONNECT = /Timed out while waiting for handshake|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Channels open at once on one SSH connection (OpenSSH's MaxSessions defaults to 10). */
const CHANNELS_PER_HOST = 8;
/**
 * Commands at once across all hosts when they share one machine (the embedded lab): every
 * host's ping series and SSH session run on the same cores, so hundreds at once measure the
 * machine's queue, not the tunnels (50 lab hosts on two cores: commands waited past their
 * deadlines). Real hosts have their own cores and are limited per host only.
 */
const COMMANDS_ON_A_SHARED_MACHINE = Math.max(8, 8 * availableParallelism());

/** A counting semaphore. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async take(): Promise<void> {
    while (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
  }
  give(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

/**
 * A measured host: its connection, its channels (bounded), and whether it is gone. A host is
 * gone once — the first command that gets no answer, or the connection's keepalives, whichever
 * comes first — and from then on each of its tests is skipped at once with that reason.
 */
class Host {
  private readonly channels = new Slots(CHANNELS_PER_HOST);
  private goneReason: string | undefined;
  constructor(
    readonly name: string,
    readonly id: string,
    private readonly conn: Connected | undefined,
    downAtConnect?: string,
    /** Shared by every host of a run on one machine (the lab): commands at once across them. */
    private readonly machine?: Slots,
  ) {
    this.goneReason = downAtConnect;
  }

  /** Why the host is gone, once it is (SSH keepalives notice a silent host even between commands). */
  get gone(): string | undefined {
    return (this.goneReason ??= this.conn?.lost?.message);
  }

  /**
   * Runs a shell line with a deadline (`seconds` and a margin for a loaded host). A command past
   * it is stopped there and fails (the test's failure); a host that does not answer is gone.
   * `signal`: for tests, which a cancel stops; never for the commands that clean up after them.
   */
  async exec(command: string, seconds: number, o: { stdin?: string; signal?: AbortSignal } = {}): Promise<ExecResult> {
    if (this.gone || !this.conn) throw new HostGone(this.gone);
    await this.channels.take();
    await this.machine?.take();
    try {
      if (this.gone) throw new HostGone(this.gone);
      return await this.conn.exec(command, { timeoutSeconds: seconds + 20, ...o });
    } catch (e) {
      if (e instanceof HostGone || (e instanceof RemoteCommandError && (e.reason === 'deadline' || e.reason === 'cancelled'))) throw e;
      this.goneReason ??= message(e);
      throw new HostGone(this.goneReason);
    } finally {
      this.machine?.give();
      this.channels.give();
    }
  }

  dispose(): void {
    this.conn?.dispose();
  }
}

interface Ctx {
  readonly runId: string;
  readonly dir: string;
  readonly hosts: Map<string, Host>;
  readonly suite: Suite;
  readonly records: TestRecord[];
  readonly problems: string[];
  readonly opts: MeasureOptions;
  readonly total: number;
  done: number;
  readonly started: number;
  /** Seconds of tests not yet run, for the estimated end time. */
  remaining: number;
  /** Servers started so far (each one's pid and output files are numbered by it). */
  servers: number;
}

const cancelled = (c: Ctx): boolean => c.opts.signal?.aborted === true;
/** For a test's command: a cancel stops it on the host. */
const cancelOf = (c: Ctx): { signal?: AbortSignal } => (c.opts.signal ? { signal: c.opts.signal } : {});

function progress(c: Ctx, step: string, status: ProgressEvent['status'], host?: string, msg?: string): void {
  const endsAt = new Date(Date.now() + c.remaining * 1000).toISOString();
  c.opts.onProgress?.({ operation: 'measure', step, status, ...(host ? { host } : {}), ...(msg ? { message: msg } : {}), fraction: c.total ? c.done / c.total : 0, endsAt });
}

async function saveRaw(c: Ctx, rel: string, text: string): Promise<void> {
  const file = path.join(c.dir, rel);
  await writeFile(file, text, { mode: 0o644, dirMode: 0o755 });
}

const rawName = (p: MeasuredPath, test: string, dir: Direction, rep: number, side = ''): string => path.posix.join('raw', p.id, `${test}-${dir}-${rep}${side}.txt`);

// ---- the tests -------------------------------------------------------------------------

/** A record's figures from its tool's parser, with the error last (the tool's words, else the deadline's). */
function parsedFields(parsed: Parsed, timedOut: boolean): Parsed {
  const { error, ...figures } = parsed;
  return { ...figures, ...(error ? { error } : timedOut ? { error: 'timed out' } : {}) };
}

/** Whether a tool's tests run on a path (LAN-to-LAN paths: only tools that say so). */
const runsOn = (tool: AnyTool, p: MeasuredPath): boolean => p.type !== 'lan' || tool.lanPaths === true;

/** A `series` test (ping): its client on the path's source, no server, beside every other path's. */
async function seriesTest(c: Ctx, p: MeasuredPath, t: SuiteTest, rep: number, direction: Direction): Promise<void> {
  const tool = toolOf(t);
  const name = testName(t);
  const src = c.hosts.get(p.src.host)!;
  const command = tool.client(t, { path: p, port: 0, direction, bundle: BUNDLE });
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const raw = rawName(p, name, direction, rep);
  const seconds = testSeconds(t);
  const base = { id: `${p.id}/${name}/${direction}/${rep}`, pathId: p.id, test: name, direction, repetition: rep, startedAt } as const;
  progress(c, name, 'running', p.src.host, p.label);
  let record: TestRecord;
  try {
    const r = await src.exec(withTimeout(seconds + 5, command), seconds + 5, cancelOf(c));
    await saveRaw(c, raw, r.stdout + r.stderr);
    record = { ...base, seconds: (Date.now() - t0) / 1000, command, raw, ...parsedFields(tool.parse(t, { stdout: r.stdout, stderr: r.stderr, server: '' }), r.code === 124) };
  } catch (e) {
    record = { ...base, seconds: (Date.now() - t0) / 1000, command, raw, error: message(e) };
  }
  c.records.push(record);
  c.done++;
  progress(c, name, record.error ? 'failed' : 'done', p.src.host, `${p.label}${record.error ? `: ${record.error}` : ''}`);
}

/** A test's server, listening. */
interface Started {
  readonly port: number;
  readonly pidFile: string;
  readonly outFile: string;
}

/** A `pair` test whose tool needs no server (scheduled like the others, nothing to start or stop). */
const NO_SERVER: Started = { port: 0, pidFile: '', outFile: '' };

/**
 * A test's server up on a free port of its destination, in one round trip. The schedule may
 * start it while the host finishes its previous test (see runInOrder's `prepare`): it listens,
 * idle, for at most the two tests' time.
 */
async function startTestServer(c: Ctx, p: MeasuredPath, t: SuiteTest): Promise<Started> {
  const dst = c.hosts.get(p.dst.host)!;
  const seq = c.servers++;
  const pidFile = `${runDir(c.runId)}/${testName(t)}-${seq}.pid`;
  const outFile = `${runDir(c.runId)}/${testName(t)}-${seq}.out`;
  const serverOf = toolOf(t).server;
  if (!serverOf) return NO_SERVER;
  const candidates = candidatePorts(seq).map((port) => ({ port, server: serverOf(t, p.dst.address, port) }));
  const servers = candidates.map(({ port, server }) => ({ port, command: withTimeout(2 * testSeconds(t) + 60, server.command) }));
  const up = await dst.exec(startServer(servers, pidFile, outFile, candidates[0]!.server.proto), 15);
  if (up.code !== 0) {
    await dst.exec(stopServer(pidFile, outFile), 10).catch(() => undefined);
    throw new Error(`the ${t.tool} server did not start on ${p.dst.host}: ${(up.stderr || up.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  }
  const port = Number(up.stdout.split('\n').find((l) => l.startsWith(PORT_PREFIX))?.slice(PORT_PREFIX.length));
  if (!Number.isInteger(port)) throw new Error(`bug: the server start on ${p.dst.host} printed no port`);
  return { port, pidFile, outFile };
}

/**
 * A tool's `before` commands (EndCommands) on both ends at once, each to its end with the
 * test's deadline; one that fails fails the test (the client does not run).
 */
async function endsBefore(c: Ctx, p: MeasuredPath, before: NonNullable<EndCommands['before']>, seconds: number): Promise<{ outputs: { src?: string; dst?: string } }> {
  const run = async (end: 'src' | 'dst'): Promise<string | undefined> => {
    const command = before[end];
    if (command === undefined) return undefined;
    const host = c.hosts.get(p[end].host)!;
    const r = await host.exec(withTimeout(seconds, command), seconds, cancelOf(c));
    if (r.code !== 0) throw new Error(`the test's first step on ${host.name} failed (${r.code === 124 ? 'past its deadline' : `exit ${r.code}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
    return r.stdout;
  };
  const [src, dst] = await Promise.all([run('src'), run('dst')]);
  return { outputs: { ...(src !== undefined ? { src } : {}), ...(dst !== undefined ? { dst } : {}) } };
}

/** The raw record of a test's `ends` commands: each command as it ran, on which host, and what it printed. */
function endsText(ends: EndCommands, before: { src?: string; dst?: string } | undefined, beside: ExecResult | undefined, p: MeasuredPath): string {
  const part = (title: string, command: string | undefined, out: string | undefined): string[] => (command === undefined ? [] : [`## ${title}: ${command}`, out ?? '(did not run)']);
  return [
    ...part(`before, on ${p.src.host}`, ends.before?.src, before?.src),
    ...part(`before, on ${p.dst.host}`, ends.before?.dst, before?.dst),
    ...part(`beside the client, on ${p.dst.host}`, ends.beside, beside ? beside.stdout + (beside.stderr ? `\n${beside.stderr}` : '') : undefined),
  ].join('\n');
}

/**
 * One throughput test on one path, one direction: its server (started now, or ahead by the
 * schedule), the tool's `before` commands on both ends (if any), the client between two CPU
 * reads with the tool's `beside` command on the destination, the server down after the
 * destination's second CPU read — the destination's first read runs beside the client's start.
 */
async function throughputTest(c: Ctx, p: MeasuredPath, t: SuiteTest, rep: number, direction: Direction, round: number, server?: Promise<Started>): Promise<void> {
  const name = testName(t);
  const src = c.hosts.get(p.src.host)!;
  const dst = c.hosts.get(p.dst.host)!;
  const seconds = testSeconds(t);
  const id = `${p.id}/${name}/${direction}/${rep}`;
  const raw = rawName(p, name, direction, rep);
  const rawServer = rawName(p, name, direction, rep, '-server');
  const rawEnds = rawName(p, name, direction, rep, '-ends');
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  let command = '';
  let running: Started | undefined;
  progress(c, name, 'running', p.src.host, `${p.label}${direction === 'reverse' ? ' (reverse)' : ''}`);
  const base = { id, pathId: p.id, test: name, direction, repetition: rep, round, startedAt } as const;
  let record: TestRecord;
  try {
    running = await (server ?? startTestServer(c, p, t));
    const { port, pidFile, outFile } = running;
    const request = { path: p, port, direction, bundle: BUNDLE };
    command = toolOf(t).client(t, request);
    const ends = toolOf(t).ends?.(t, request);
    const before = ends?.before ? await endsBefore(c, p, ends.before, seconds) : undefined;
    const tc = Date.now();
    const [r, cpuB0, beside] = await Promise.all([
      src.exec(clientWithCpu(withTimeout(seconds + 10, command)), seconds + 10, cancelOf(c)),
      dst.exec(CPU_READ, 10),
      ends?.beside ? dst.exec(withTimeout(seconds + 10, ends.beside), seconds + 10, cancelOf(c)) : undefined,
    ]);
    const elapsed = (Date.now() - tc) / 1000;
    const endOutputs = ends ? { ...(before ? { before: before.outputs } : {}), ...(beside ? { beside: beside.stdout } : {}) } : undefined;
    if (ends) await saveRaw(c, rawEnds, endsText(ends, before?.outputs, beside, p));
    const stop = pidFile ? splitStop((await dst.exec(stopServer(pidFile, outFile), 10)).stdout) : { cpu: (await dst.exec(CPU_READ, 10)).stdout, output: '' };
    running = undefined;
    const client = splitClient(r.stdout);
    const text = client.output + (r.stderr ? `\n${r.stderr}` : '');
    await saveRaw(c, raw, text);
    if (pidFile) await saveRaw(c, rawServer, stop.output);
    const cpuSrc = cpuUsage(client.before, client.after, elapsed);
    const cpuDst = cpuUsage(cpuB0.stdout, stop.cpu, elapsed);
    const cpu = { ...(cpuSrc ? { src: cpuSrc } : {}), ...(cpuDst ? { dst: cpuDst } : {}) };
    const { error, ...figures } = parsedFields(toolOf(t).parse(t, { stdout: client.output, stderr: r.stderr, server: stop.output, cpu, ...(endOutputs ? { ends: endOutputs } : {}) }), r.code === 124 || beside?.code === 124);
    record = { ...base, seconds: (Date.now() - t0) / 1000, command, raw, ...(pidFile ? { rawServer } : {}), ...(ends ? { rawEnds } : {}), ...figures, cpu, ...(error ? { error } : {}) };
  } catch (e) {
    record = { ...base, seconds: (Date.now() - t0) / 1000, command, raw, error: message(e) };
  } finally {
    if (running?.pidFile) await dst.exec(stopServer(running.pidFile, running.outFile), 10).catch(() => undefined);
  }
  c.records.push(record);
  c.done++;
  c.remaining = Math.max(0, c.remaining - seconds);
  progress(c, name, record.error ? 'failed' : 'done', p.src.host, `${p.label}${direction === 'reverse' ? ' (reverse)' : ''}${record.error ? `: ${record.error}` : ''}`);
}

// ---- the run -----------------------------------------------------------------------------

/** The tools each host needs for the suite: ping on sources, clients on sources, servers on destinations. */
function toolsOf(paths: readonly MeasuredPath[], suite: Suite): Map<string, Set<string>> {
  const need = new Map<string, Set<string>>();
  const add = (h: string, ...tools: string[]): void => {
    if (!need.has(h)) need.set(h, new Set(['timeout', 'ss']));
    for (const t of tools) need.get(h)!.add(t);
  };
  for (const p of paths) {
    for (const t of suite.tests) {
      const tool = toolOf(t);
      if (!runsOn(tool, p)) continue;
      const { client, server } = tool.binaries(t);
      add(p.src.host, ...client);
      if (tool.mode === 'pair') add(p.dst.host, ...server);
    }
  }
  return need;
}

async function connectAll(projectDir: string, t: Topology, plan: Plan, names: readonly string[], opts: MeasureOptions): Promise<{ hosts: Map<string, Host>; failed: string[]; hostKeys: HostKeyReport[] }> {
  const lab = t.hosts.some((h) => h.target.type === 'lab') ? await loadLab(projectDir, t, plan) : undefined;
  const known = await KnownHosts.load(knownHostsPath(projectDir));
  const hosts = new Map<string, Host>();
  const failed: string[] = [];
  const hostKeys: HostKeyReport[] = [];
  // Lab hosts share this machine (a run on real hosts and lab hosts at once: the lab's share it).
  const machine = new Slots(COMMANDS_ON_A_SHARED_MACHINE);
  await pool(names, 32, async (name) => {
    const h = t.hosts.find((x) => x.name === name)!;
    const lh = lab?.hosts.find((x) => x.name === name);
    try {
      const target = targetOf(h, lh ? { mgmtAddress: lh.mgmtAddress, keyPath: labKeyPath(projectDir) } : undefined);
      const password = target.usesPassword ? await opts.password?.(name, `${target.user}@${target.address}`) : undefined;
      // Host keys were pinned by the deploy: an unknown one is refused here too, unless accepted by fingerprint.
      hosts.set(name, new Host(name, h.id, await connect(target, known, opts.acceptHostKeys ?? [], undefined, password), undefined, h.target.type === 'lab' ? machine : undefined));
    } catch (e) {
      if (e instanceof HostKeyError) {
        hostKeys.push(e.report());
        failed.push(`${name}: ${message(e)}`);
      } else if (DOWN_AT_CONNECT.test(message(e))) hosts.set(name, new Host(name, h.id, undefined, message(e)));
      else failed.push(`${name}: ${message(e)}`);
    }
  });
  return { hosts, failed, hostKeys };
}

/** The run asked for: the project planned, its suite resolved with the overrides, the paths to measure (a bad request throws). */
async function runRequest(projectDir: string, registry: Registry, opts: MeasureOptions): Promise<{ t: Topology; plan: Plan; suite: Suite; paths: MeasuredPath[] }> {
  const planned = await planProject(projectDir, registry);
  if (!planned.topology || !planned.plan || hasErrors(planned.diagnostics)) throw new ApiError('invalid-arguments', `${projectDir} does not plan; fix its problems first`, planned.diagnostics);
  const t = planned.topology;
  const plan = planned.plan;
  const suite = resolveSuite(opts.suite ?? 'quick', t.measurement, { ...(opts.duration ? { duration: opts.duration } : {}), ...(opts.repeat ? { repeat: opts.repeat } : {}) });
  if (typeof suite === 'string') throw new ApiError('invalid-arguments', suite);
  const unknown = (opts.hosts ?? []).filter((h) => !t.hosts.some((x) => x.name === h));
  if (unknown.length) throw new ApiError('invalid-arguments', `not hosts of this project: ${unknown.join(', ')}`);
  const paths = measuredPaths(plan, { baseline: suite.baseline, lan: suite.lan, ...(opts.hosts ? { hosts: opts.hosts } : {}) });
  if (paths.length === 0) throw new ApiError('invalid-arguments', 'nothing to measure: the project has no links between the chosen hosts');
  return { t, plan, suite, paths };
}

/** A host's environment from the preflight's `env:` lines (kernel, OS, tool versions, the deployed bundle's hash). */
function hostEnvironment(h: Host, t: Topology, stdout: string): HostEnvironment {
  const env = new Map(stdout.split('\n').filter((l) => l.startsWith(ENV_PREFIX)).map((l) => l.slice(ENV_PREFIX.length).split('=') as [string, string]).map(([k, ...v]) => [k, v.join('=')] as const));
  const bundle = env.get('bundle') ?? '';
  const tools: Record<string, string> = {};
  for (const k of ['ping', 'iperf3', 'iperf', 'netperf']) if (env.get(k)) tools[k] = env.get(k)!;
  return { hostId: h.id, host: h.name, ...(env.get('kernel') ? { kernel: env.get('kernel')! } : {}), ...(env.get('os') ? { os: env.get('os')! } : {}), tools, lab: t.hosts.find((x) => x.name === h.name)!.target.type === 'lab', ...(bundle ? { bundleHash: bundle } : {}) };
}

/**
 * Preflight: every tool on every host, and the deployed bundle, before any test starts; the
 * hosts' environments in the project's host order. A missing tool or bundle throws.
 */
async function preflightHosts(projectDir: string, t: Topology, suite: Suite, hosts: Map<string, Host>, need: Map<string, Set<string>>): Promise<HostEnvironment[]> {
  const names = [...need.keys()];
  const missing: string[] = [];
  const notDeployed: string[] = [];
  const environment: HostEnvironment[] = [];
  if (names.every((n) => hosts.get(n)!.gone)) throw new ApiError('failed', `no host answers: ${names.map((n) => hosts.get(n)!.gone).join('; ')}`);
  await pool(names, 32, async (name) => {
    const h = hosts.get(name)!;
    // A host that is gone has its tests skipped, with the reason, like one that goes later.
    const r = await h.exec('sh -s', 30, { stdin: measurePreflight([...need.get(name)!], HASH_FILE) }).catch((e: unknown) => {
      if (e instanceof HostGone) return undefined;
      throw e;
    });
    if (!r) return;
    for (const m of parsePreflight(r.stdout).missing) missing.push(`${name}: ${m}`);
    const env = hostEnvironment(h, t, r.stdout);
    if (!/^[0-9a-f]{64}$/.test(env.bundleHash ?? '')) notDeployed.push(name);
    environment.push(env);
  });
  if (missing.length) throw new ApiError('failed', `the hosts lack tools the ${suite.name} suite needs: ${missing.join('; ')}`);
  if (notDeployed.length) throw new ApiError('failed', `no Overlab bundle is deployed on ${notDeployed.join(', ')}: run \`overlab deploy ${projectDir}\` first`);
  return environment.sort((a, b) => t.hosts.findIndex((h) => h.id === a.hostId) - t.hosts.findIndex((h) => h.id === b.hostId));
}

/**
 * The conditions in force, read back before the first test: the run records them (not what
 * was asked), and refuses to measure a path that is not what the project says it is. The
 * underlay baseline rides the same devices, so it is measured under the same conditions.
 */
async function conditionsInForce(projectDir: string, t: Topology, plan: Plan, hosts: Map<string, Host>, names: readonly string[]): Promise<ConditionsRecord | undefined> {
  const scope = scopeOf(t, plan, t.hosts.some((h) => h.target.type === 'lab') ? await loadLab(projectDir, t, plan) : undefined, names);
  const shells = new Map(scope.shapings.filter((s) => !hosts.get(s.host)!.gone).map((s) => [s.host, (script: string, seconds: number) => hosts.get(s.host)!.exec('sh -s', seconds, { stdin: script })]));
  const reads = await readProject(scope, shells);
  const wrong = mismatchesOf(scope, reads);
  if (wrong.length) throw new ApiError('failed', `the link conditions in force are not what the project asks (${wrong.join('; ')}): run \`overlab conditions ${projectDir} --apply\` (or deploy again), then measure`);
  return recordOf(scope, reads);
}

/** The suite's tests over the paths: `series` ones (ping) on every path at once, `pair` ones (a client and a server) in rounds. */
interface TestPlan {
  readonly seriesTests: readonly SuiteTest[];
  readonly plans: readonly { readonly test: SuiteTest; readonly rounds: Job<MeasuredPath>[][] }[];
  readonly directions: (x: SuiteTest) => readonly Direction[];
  readonly pathsOf: (x: SuiteTest) => MeasuredPath[];
}

/** Plans the tests (rounds per `pair` test, the same for every repetition), counts them and their seconds, and says the run starts. */
function planTests(ctx: Ctx, paths: readonly MeasuredPath[]): TestPlan {
  const suite = ctx.suite;
  const seriesTests = suite.tests.filter((x) => toolOf(x).mode === 'series');
  const pairTests = suite.tests.filter((x) => toolOf(x).mode === 'pair');
  const directions = (x: SuiteTest): readonly Direction[] => toolOf(x).directions(x);
  const pathsOf = (x: SuiteTest): MeasuredPath[] => paths.filter((p) => runsOn(toolOf(x), p));
  const plans = pairTests.map((x) => ({ test: x, rounds: schedule(pathsOf(x).map((p): Job<MeasuredPath> => ({ item: p, hosts: [p.src.hostId, p.dst.hostId] }))) }));
  const perRep = seriesTests.reduce((n, x) => n + pathsOf(x).length * directions(x).length, 0) + plans.reduce((n, pl) => n + pathsOf(pl.test).length * directions(pl.test).length, 0);
  (ctx as { total: number }).total = perRep * suite.repeat;
  const repSeconds = seriesTests.reduce((s, x) => s + testSeconds(x) * directions(x).length, 0) + plans.reduce((s, pl) => s + pl.rounds.length * directions(pl.test).length * (testSeconds(pl.test) + 1), 0);
  ctx.remaining = repSeconds * suite.repeat;
  progress(ctx, 'start', 'running', undefined, `${paths.length} paths, ${ctx.total} tests, ${suite.repeat} repetition(s)`);
  return { seriesTests, plans, directions, pathsOf };
}

/** RTT first, every path at once: pings are light, and nothing else runs beside them. */
async function runSeriesTests(ctx: Ctx, tp: TestPlan, rep: number): Promise<void> {
  for (const x of tp.seriesTests) {
    for (const dirn of tp.directions(x)) {
      if (cancelled(ctx)) break;
      await Promise.all(tp.pathsOf(x).map((p) => (ctx.hosts.get(p.src.host)!.gone ? skip(ctx, p, testName(x), rep, dirn) : seriesTest(ctx, p, x, rep, dirn))));
      ctx.remaining = Math.max(0, ctx.remaining - testSeconds(x));
    }
  }
}

/**
 * Every throughput test of the repetition in schedule order, each started as soon as its two
 * hosts are free (not when its whole round is): rounds are the order, not barriers.
 */
async function runPairTests(ctx: Ctx, tp: TestPlan, rep: number): Promise<void> {
  const order = tp.plans.flatMap((pl) => tp.directions(pl.test).flatMap((dirn) => pl.rounds.flatMap((round, ri) => round.map((j) => ({ ...j, item: { path: j.item, test: pl.test, dirn, round: ri + 1 } })))));
  // A test's server is started while its two hosts finish their current tests (an idle
  // listening socket; the start's few processes run during those tests), so that a host
  // goes from one test to the next without waiting for a round trip and a server's start.
  await runInOrder<(typeof order)[number]['item'], Started>(
    order,
    ({ item: { path: p, test, dirn, round } }, _i, server) => {
      if (ctx.hosts.get(p.src.host)!.gone || ctx.hosts.get(p.dst.host)!.gone) return skip(ctx, p, testName(test), rep, dirn);
      return throughputTest(ctx, p, test, rep, dirn, round, server);
    },
    () => cancelled(ctx),
    ({ item: { path: p, test } }) => startTestServer(ctx, p, test),
  );
}

/** Every repetition of the suite, until done or cancelled. */
async function runTests(ctx: Ctx, paths: readonly MeasuredPath[]): Promise<void> {
  const tp = planTests(ctx, paths);
  for (let rep = 1; rep <= ctx.suite.repeat && !cancelled(ctx); rep++) {
    await runSeriesTests(ctx, tp, rep);
    await runPairTests(ctx, tp, rep);
  }
}

/**
 * On the connected hosts: preflight, the conditions in force, every test; then, whatever
 * happened, every server stopped and every connection closed. A host that could not be
 * reached (but for being down) stops the run here.
 */
async function measureOnHosts(ctx: Ctx, projectDir: string, t: Topology, plan: Plan, paths: readonly MeasuredPath[], need: Map<string, Set<string>>, unreached: { failed: readonly string[]; hostKeys: HostKeyReport[] }): Promise<{ environment: HostEnvironment[]; conditions: ConditionsRecord | undefined }> {
  const { failed, hostKeys } = unreached;
  try {
    if (failed.length) throw new ApiError('failed', `cannot reach ${failed.length === 1 ? 'a host' : 'hosts'} to measure: ${failed.join('; ')}`, undefined, hostKeys);
    const environment = await preflightHosts(projectDir, t, ctx.suite, ctx.hosts, need);
    const conditions = await conditionsInForce(projectDir, t, plan, ctx.hosts, [...need.keys()]);
    await runTests(ctx, paths);
    return { environment, conditions };
  } finally {
    await stopServersAndDisconnect(ctx.hosts, ctx.runId);
  }
}

/** Whatever happened: every server this run started is stopped, on every host that answers; then every connection is closed. */
async function stopServersAndDisconnect(hosts: Map<string, Host>, runId: string): Promise<void> {
  await pool([...hosts.values()].filter((h) => !h.gone), 32, (h) => h.exec(cleanupRun(runId), 15).catch(() => undefined));
  for (const h of hosts.values()) h.dispose();
}

/** The run's status; its problems get the hosts that went, the failed tests' count and a cancel. */
function concludeRun(ctx: Ctx): RunStatus {
  const problems = ctx.problems;
  for (const h of ctx.hosts.values()) if (h.gone) problems.push(h.gone);
  const failedTests = ctx.records.filter((r) => r.error);
  if (failedTests.length) problems.push(`${failedTests.length} of ${ctx.records.length} tests failed (see each test's error)`);
  const status: RunStatus = cancelled(ctx) ? 'cancelled' : ctx.records.length > 0 && failedTests.length === ctx.records.length ? 'failed' : problems.length ? 'partial' : 'complete';
  if (cancelled(ctx)) problems.unshift('the run was cancelled; the tests run until then are kept');
  return status;
}

/** What a run found besides its records. */
interface RunFacts {
  readonly t: Topology;
  readonly plan: Plan;
  readonly paths: readonly MeasuredPath[];
  readonly startedAt: string;
  readonly status: RunStatus;
  readonly environment: HostEnvironment[];
  readonly conditions: ConditionsRecord | undefined;
}

/** results.json: the run, the project as measured, every test's record and their analysis. */
function runResults(ctx: Ctx, f: RunFacts): RunResults {
  const { t, plan, paths } = f;
  const lab = t.hosts.every((h) => h.target.type === 'lab');
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    runId: ctx.runId,
    startedAt: f.startedAt,
    finishedAt: new Date().toISOString(),
    status: f.status,
    problems: ctx.problems,
    project: { name: t.name, shape: t.shape, underlayMtu: t.underlay.mtu, kinds: [...new Set(plan.links.map((l) => l.kind))] },
    topology: t,
    links: plan.links.map((l) => ({ id: l.id, label: l.label, kind: l.kind, a: l.a, b: l.b, hostIds: l.hostIds, mtu: l.mtu, mss: l.mss, overheadBytes: l.overheadBytes })),
    environment: f.environment,
    sharedMachine: lab,
    suite: ctx.suite,
    ...(ctx.opts.campaign ? { campaign: ctx.opts.campaign } : {}),
    ...(f.conditions ? { conditions: f.conditions } : {}),
    paths,
    tests: ctx.records,
    summary: analyse(paths, ctx.records, { sameWire: lab }),
  };
}

/** results.json and its sidecars in the run's folder. */
async function saveResults(dir: string, results: RunResults): Promise<void> {
  await writeFile(path.join(dir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`, { mode: 0o644 });
  await writeSidecars(dir, results);
}

/**
 * A measurement run: the request checked, the hosts connected and preflighted, the conditions
 * in force read back, every test run, and results.json written (partial or cancelled runs too).
 */
export async function measure(projectDir: string, registry: Registry, opts: MeasureOptions): Promise<MeasureOutcome> {
  const { t, plan, suite, paths } = await runRequest(projectDir, registry, opts);
  const dir = path.join(opts.runsDir ?? path.join(projectDir, 'runs'), opts.runId);
  await ensureDir(dir, 0o755);
  const startedAt = new Date().toISOString();
  const need = toolsOf(paths, suite);
  const connected = await connectAll(projectDir, t, plan, [...need.keys()], opts);
  const ctx: Ctx = { runId: opts.runId, dir, hosts: connected.hosts, suite, records: [], problems: [], opts, total: 0, done: 0, started: Date.now(), remaining: 0, servers: 0 };
  const { environment, conditions } = await measureOnHosts(ctx, projectDir, t, plan, paths, need, connected);
  const status = concludeRun(ctx);
  const results = runResults(ctx, { t, plan, paths, startedAt, status, environment, conditions });
  await saveResults(dir, results);
  progress(ctx, 'end', status === 'complete' ? 'done' : status === 'cancelled' ? 'skipped' : 'failed', undefined, `${status}: ${ctx.records.length} tests`);
  return { runId: opts.runId, dir, results };
}

/** A test not run because one of its hosts is gone. */
async function skip(c: Ctx, p: MeasuredPath, test: string, rep: number, direction: Direction = 'forward'): Promise<void> {
  const gone = c.hosts.get(p.src.host)!.gone ?? c.hosts.get(p.dst.host)!.gone ?? 'host gone';
  c.records.push({ id: `${p.id}/${test}/${direction}/${rep}`, pathId: p.id, test, direction, repetition: rep, startedAt: new Date().toISOString(), seconds: 0, command: '', raw: '', error: `not run: ${gone}` });
  c.done++;
  progress(c, test, 'skipped', p.src.host, `${p.label}${direction === 'reverse' ? ' (reverse)' : ''}: not run: ${gone}`);
  await sleep(0);
}
