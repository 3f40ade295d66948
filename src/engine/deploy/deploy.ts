/**
 * Deploy and teardown over SSH: one connection per host, hosts in parallel (bounded pool),
 * every host through the same named steps, so that nothing changes anywhere until every host
 * passed its preflight:
 *
 *   connect → preflight (read-only) → upload → apply (up.sh) → verify (peers answer)
 *                                                    ↘ rollback (on any failure) | commit
 *
 * If a host fails after changes began, every host that got a new bundle, and any whose up.sh
 * failed, is rolled back (unless keepGoing): the new bundle's down.sh runs and the bundle it
 * replaced, kept aside until the run succeeds, comes back up. A host whose bundle was already
 * deployed and came up again is left running. One failed host is that host's status, never an
 * exception that hides the others. Output of remote commands passes through the redactor.
 *
 * Every remote command has a deadline (`DEADLINES`), and a host that stops answering is found out
 * by SSH keepalives whatever runs (ssh.ts). A host that stops answering, or whose connection is
 * lost, while it is being changed is in an `unknown` state: it cannot be rolled back, and the
 * run says so. A cancelled run (the signal) stops the command running on each host, starts no
 * new work, and rolls back what it changed.
 *
 * Link conditions (tc on the underlay, src/engine/conditions) ride along: each host's kernel is
 * probed in the check phase, so that conditions it cannot apply (netem's on a kernel without it)
 * refuse the deploy before anything changes; they are applied once the tunnels are verified
 * (over a perfect wire: a verify under 5 % loss would fail for the wrong reason), read back and
 * compared, and a host whose read-back differs fails the run like any host — its tunnels rolled
 * back and the conditions cleared. A host without conditions is cleared (what an earlier deploy
 * left goes). Teardown clears them. Only lab hosts and real hosts with applyConditions are touched.
 */
import { createHash } from 'node:crypto';
import type { ProgressEvent, StepStatus } from '../../shared/api.js';
import { hostFailed, type DeployRun, type HostResult } from '../../shared/deploy.js';
import { hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import type { HostKeyConsent } from '../../shared/hostkeys.js';
import type { Plan } from '../../shared/plan.js';
import { parsePreflight, preflightScript, type PreflightNeed } from '../../shared/preflight.js';
import type { HostBundle } from '../../shared/render.js';
import type { Topology } from '../../shared/schema.js';
import { requireKind, type Registry } from '../../shared/tunnels/types.js';
import { labKeyPath, loadLab, knownHostsPath, type LabLayout } from '../lab/lab.js';
import { pool } from '../pool.js';
import { existingSecretsRedactor } from '../secrets/store.js';
import { planProject, renderProject } from '../services/bundles.js';
import { clearProject, refusals, scopeOf, shapeProject, shellOf, type Scope } from '../conditions/apply.js';
import { KnownHosts } from './hostkeys.js';
import { DROP_PREVIOUS, HASH_FILE, installScript, RESTORED, REMOVED, rollbackScript, TEARDOWN, verifyScript, WRITTEN } from './remote.js';
import { connect, HostKeyError, RemoteCommandError, targetOf, type Connected, type ExecResult } from './ssh.js';

export { REMOTE_ROOT } from './remote.js';
export type { DeployRun, HostResult, HostStatus } from '../../shared/deploy.js';

export interface DeployOptions {
  readonly hosts?: readonly string[];
  readonly dryRun?: boolean;
  readonly keepGoing?: boolean;
  /** Unknown host keys the person checked and accepted (pinned once the login works): each for one host, by fingerprint. */
  readonly acceptHostKeys?: readonly HostKeyConsent[];
  readonly concurrency?: number;
  /** Seconds to wait for peers to answer over the tunnel. */
  readonly verifyTimeout?: number;
  /** Events without a run id: the engine adds it. */
  readonly onProgress?: (e: Omit<ProgressEvent, 'runId'>) => void;
  /**
   * The login password of a host whose target says `password: true` (asked once per
   * user@address by the door). Passwords are redacted from every message of the run.
   */
  readonly password?: (host: string, login: string) => Promise<string | undefined>;
  /** Cancels the run: no new step starts, and what this run changed is rolled back. */
  readonly signal?: AbortSignal;
}

/**
 * Seconds each step's remote command may take. Preflight reads a few files and sockets; apply
 * writes the bundle and runs up.sh (daemons that fetch or generate at start take a while); verify
 * waits its own `verifyTimeout` for the peers, plus room to start; rollback and teardown run
 * down.sh (and for a rollback the replaced bundle's up.sh).
 */
export const DEADLINES = { preflight: 60, apply: 300, verifyMargin: 30, rollback: 120, dropPrevious: 30, down: 120 } as const;

export function bundleHash(b: HostBundle): string {
  const h = createHash('sha256');
  h.update(b.up).update('\0').update(b.down).update('\0');
  for (const f of [...b.files].sort((x, y) => x.path.localeCompare(y.path))) h.update(f.path).update('\0').update(String(f.mode)).update('\0').update(f.content).update('\0');
  return h.digest('hex');
}

const redactPasswords = (s: string, passwords: ReadonlySet<string>): string => {
  for (const p of passwords) if (p) s = s.split(p).join('[redacted]');
  return s;
};

const tail = (s: string, n = 12): string => s.trim().split('\n').slice(-n).join('\n');
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What every step of one run shares. */
interface Ctx {
  readonly operation: 'deploy' | 'teardown';
  readonly topology: Topology;
  readonly plan: Plan;
  readonly registry: Registry;
  readonly lab?: LabLayout;
  readonly keyPath: string;
  readonly knownHosts: KnownHosts;
  readonly redact: (s: string) => string;
  /** Login passwords given during this run: redacted like the project's secrets. */
  readonly passwords: Set<string>;
  readonly opts: DeployOptions;
  readonly limit: number;
  readonly selected: readonly string[];
  readonly byHost: ReadonlyMap<string, HostResult>;
  readonly conns: Map<string, Connected>;
  /** Wall time of each phase so far (DeployRun.phases). */
  readonly phases: Partial<Record<'check' | 'apply' | 'verify', number>>;
}

function emit(c: Ctx, host: string | undefined, step: string, status: StepStatus, message?: string, fraction?: number): void {
  c.opts.onProgress?.({ operation: c.operation, ...(host ? { host } : {}), step, status, ...(message ? { message } : {}), ...(fraction !== undefined ? { fraction } : {}) });
}

function fail(c: Ctx, r: HostResult, step: string, error: string, status: 'failed' | 'unknown' = 'failed'): void {
  r.status = status;
  r.failedStep = step;
  r.error = c.redact(error);
  emit(c, r.host, step, 'failed', r.error);
}

/**
 * A step's command that gave no exit status. Cancelled: the host's failure is the cancel. Gone
 * (no answer, connection lost) during a step that changes the host (`changing`), or stopped past
 * its deadline half-way through a rollback or down.sh (nothing comes after those to put it
 * right): its state is unknown. Otherwise it failed: an apply stopped half-way is rolled back
 * like a failed one, and a read-only step changed nothing.
 */
function commandFailed(c: Ctx, r: HostResult, step: string, e: RemoteCommandError, changing: boolean): void {
  if (e.reason === 'cancelled') fail(c, r, 'cancelled', e.during(step));
  else if (changing && (e.stateUnknown || (e.reason === 'deadline' && (step === 'rollback' || step === 'down')))) fail(c, r, step, `${e.during(step)}: what it changed on the host is not known; check the host, then deploy or tear down again`, 'unknown');
  else fail(c, r, step, e.during(step));
}

/** Runs one remote command of a step; undefined when it gave no exit status (recorded by `commandFailed`). */
async function remote(c: Ctx, host: string, step: string, changing: boolean, command: string, timeoutSeconds: number, o: { stdin?: string; cancellable?: boolean } = {}): Promise<ExecResult | undefined> {
  const conn = c.conns.get(host)!;
  try {
    return await conn.exec(command, { timeoutSeconds, ...(o.stdin !== undefined ? { stdin: o.stdin } : {}), ...(o.cancellable !== false && c.opts.signal ? { signal: c.opts.signal } : {}) });
  } catch (e) {
    if (!(e instanceof RemoteCommandError)) throw e;
    commandFailed(c, c.byHost.get(host)!, step, e, changing);
    return undefined;
  }
}

const cancelled = (c: Ctx): boolean => c.opts.signal?.aborted === true;
const anyFailed = (c: Ctx): boolean => [...c.byHost.values()].some(hostFailed);

async function context(operation: Ctx['operation'], projectDir: string, topology: Topology, plan: Plan, registry: Registry, opts: DeployOptions, redactSecrets: (s: string) => string): Promise<Ctx> {
  const selected = opts.hosts ?? topology.hosts.map((h) => h.name);
  const passwords = new Set<string>();
  const lab = topology.hosts.some((h) => h.target.type === 'lab') ? await loadLab(projectDir, topology, plan) : undefined;
  const idOf = new Map(topology.hosts.map((h) => [h.name, h.id]));
  return {
    operation,
    topology,
    plan,
    registry,
    ...(lab ? { lab } : {}),
    keyPath: labKeyPath(projectDir),
    knownHosts: await KnownHosts.load(knownHostsPath(projectDir)),
    redact: (s) => redactPasswords(redactSecrets(s), passwords),
    passwords,
    opts,
    limit: opts.concurrency ?? 32,
    selected,
    byHost: new Map(selected.map((host) => [host, { host, hostId: idOf.get(host) ?? '', status: operation === 'deploy' ? 'unchanged' : 'absent', timings: {} } satisfies HostResult])),
    conns: new Map(),
    phases: {},
  };
}

function unknownHosts(t: Topology, selected: readonly string[]): Diagnostic | undefined {
  const unknown = selected.filter((h) => !t.hosts.some((x) => x.name === h));
  return unknown.length ? { severity: 'error', code: 'unknown-host', path: '--hosts', message: `not hosts of this project: ${unknown.join(', ')}` } : undefined;
}

const result = (c: Ctx, started: number, diagnostics: readonly Diagnostic[] = []): DeployRun => ({
  ok: !anyFailed(c) && !cancelled(c),
  hosts: c.selected.map((h) => c.byHost.get(h)!),
  diagnostics,
  durationMs: Date.now() - started,
  ...(Object.keys(c.phases).length ? { phases: { ...c.phases } } : {}),
});

/** Runs one phase over every host and records its wall time. */
async function phase(c: Ctx, name: 'check' | 'apply' | 'verify', hosts: readonly string[], work: (host: string) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  await pool(hosts, c.limit, work);
  c.phases[name] = Date.now() - t0;
}

// ---- the steps ---------------------------------------------------------------------------

/** connect: the host key is checked against known_hosts before authentication completes. */
async function connectStep(c: Ctx, host: string): Promise<Connected | undefined> {
  const r = c.byHost.get(host)!;
  const h = c.topology.hosts.find((x) => x.name === host)!;
  const labHost = c.lab?.hosts.find((x) => x.name === host);
  const t0 = Date.now();
  emit(c, host, 'connect', 'running');
  try {
    const target = targetOf(h, labHost ? { mgmtAddress: labHost.mgmtAddress, keyPath: c.keyPath } : undefined);
    const password = target.usesPassword ? await c.opts.password?.(host, `${target.user}@${target.address}`) : undefined;
    if (password) c.passwords.add(password);
    const conn = await connect(target, c.knownHosts, c.opts.acceptHostKeys ?? [], undefined, password);
    r.timings.connect = Date.now() - t0;
    c.conns.set(host, conn);
    emit(c, host, 'connect', 'done');
    return conn;
  } catch (e) {
    if (e instanceof HostKeyError) r.hostKey = e.report();
    fail(c, r, 'connect', message(e));
    return undefined;
  }
}

/** What the preflight checks on a host: each network it is a member of, with its role's ports. */
function needsOf(c: Ctx, host: string): PreflightNeed[] {
  const needs: PreflightNeed[] = [];
  for (const net of c.plan.networks) {
    const member = net.members.find((m) => m.host === host);
    if (!member) continue;
    const kind = requireKind(c.registry, net.kind);
    const requirements = kind.requirements(net.options);
    needs.push({ kind: kind.id, requirements, ports: (requirements.ports ?? []).filter((p) => !p.role || p.role === member.role) });
  }
  return needs;
}

/** preflight (read-only): privileges, programs, kernel support, free ports; and which bundle is deployed. */
async function preflightStep(c: Ctx, host: string, bundleHash: string | undefined): Promise<string | undefined> {
  const r = c.byHost.get(host)!;
  const t0 = Date.now();
  emit(c, host, 'preflight', 'running');
  const pf = await remote(c, host, 'preflight', false, 'sh -s', DEADLINES.preflight, { stdin: preflightScript(needsOf(c, host), HASH_FILE, bundleHash) });
  r.timings.preflight = Date.now() - t0;
  if (!pf) return undefined;
  const report = parsePreflight(pf.stdout);
  if (pf.code !== 0 || report.missing.length) {
    fail(c, r, 'preflight', report.missing.length ? report.missing.join('; ') : tail(pf.stderr));
    return undefined;
  }
  emit(c, host, 'preflight', 'done');
  return report.deployed;
}

/**
 * install: the bundle written into the private upload area and applied — the old bundle down
 * (kept aside), the new one in, its up.sh run — in one round trip (`installScript`).
 * 'failed-to-write' when the write failed before the swap (nothing on the host changed);
 * 'gone' when the host stopped answering or the connection was lost (its state is unknown,
 * nothing more can be done there); else whether up.sh ran to success.
 */
async function installStep(c: Ctx, host: string, b: HostBundle, deployed: string, hash: string): Promise<'failed-to-write' | 'gone' | boolean> {
  const r = c.byHost.get(host)!;
  const t0 = Date.now();
  emit(c, host, 'apply', 'running');
  const files = [
    { path: 'up.sh', content: b.up, mode: 0o700 },
    { path: 'down.sh', content: b.down, mode: 0o700 },
    ...b.files.map((f) => ({ path: `files${f.path}`, content: f.content, mode: f.mode })),
    { path: 'bundle.sha256', content: `${hash}\n`, mode: 0o600 },
  ];
  const ap = await remote(c, host, 'apply', true, 'sh -s', DEADLINES.apply, { stdin: installScript(files, !!deployed && deployed !== hash) });
  r.timings.apply = Date.now() - t0;
  // Stopped mid-way (cancelled, past its deadline): up.sh may have run in part, so it is rolled back like a failed one.
  if (!ap) return r.status === 'unknown' ? 'gone' : false;
  if (!ap.stdout.split('\n').includes(WRITTEN)) {
    fail(c, r, 'upload', tail(ap.stderr || ap.stdout));
    return 'failed-to-write';
  }
  if (ap.code !== 0) {
    fail(c, r, 'apply', `up.sh exited ${ap.code}: ${tail(ap.stderr || ap.stdout.split('\n').filter((l) => l !== WRITTEN).join('\n'))}`);
    return false;
  }
  r.status = deployed === hash ? 'unchanged' : 'applied';
  r.bundleHash = hash;
  return true;
}

/** Peers' tunnel addresses this host must reach once everything is up. */
function peersOf(c: Ctx, host: string): { peer: string; address: string }[] {
  const out: { peer: string; address: string }[] = [];
  for (const net of c.plan.networks) {
    const self = net.members.findIndex((m) => m.host === host);
    if (self < 0) continue;
    for (const [a, b] of net.edges) {
      if (a !== self && b !== self) continue;
      const peer = net.members[a === self ? b : a]!;
      if (c.selected.includes(peer.host)) out.push({ peer: peer.host, address: peer.address.split('/')[0]! });
    }
  }
  return out;
}

/** verify: once every host is up, each reaches each of its peers over the tunnel. */
async function verifyStep(c: Ctx, host: string): Promise<void> {
  const r = c.byHost.get(host)!;
  const peers = peersOf(c, host);
  if (peers.length === 0) return;
  const t0 = Date.now();
  emit(c, host, 'verify', 'running');
  const wait = c.opts.verifyTimeout ?? 30;
  const v = await remote(c, host, 'verify', true, 'sh -s', wait + DEADLINES.verifyMargin, { stdin: verifyScript(peers, wait) });
  r.timings.verify = Date.now() - t0;
  if (!v) return;
  if (v.code !== 0) fail(c, r, 'verify', tail(v.stderr));
  else emit(c, host, 'verify', 'done');
}

/**
 * rollback: this run's bundle down, the one it replaced back up. Not cancellable: it is what a
 * cancel does. A host gone before it is left as it is (unknown), and one that goes during it too.
 */
async function rollbackStep(c: Ctx, host: string, hash: string): Promise<void> {
  const r = c.byHost.get(host)!;
  if (r.status === 'unknown') return;
  emit(c, host, 'rollback', 'running');
  const before = r.error;
  const rb = await remote(c, host, 'rollback', true, rollbackScript(hash), DEADLINES.rollback, { cancellable: false });
  if (!rb) {
    // What failed first stays the host's story; the rollback's failure is added to it.
    if (before) r.error = `${before}; then ${r.error ?? ''}`;
    return;
  }
  r.rolledBack = true;
  if (!hostFailed(r)) r.status = 'rolled-back';
  const restored = new RegExp(`^${RESTORED}$`, 'm').test(rb.stdout);
  if (!restored) delete r.bundleHash;
  emit(c, host, 'rollback', 'done', restored ? 'the previously deployed bundle is up again' : undefined);
}

/** The commands of up.sh a reader cares about, for --dry-run. */
function changesOf(b: HostBundle, replacesOther: boolean): string[] {
  return [
    ...(replacesOther ? ['run  the deployed bundle’s down.sh first'] : []),
    ...b.files.map((f) => `file ${f.path} (mode ${f.mode.toString(8)}${f.secret ? ', secret' : ''})`),
    ...b.steps.map((l) => `run  ${l}`),
  ];
}

// ---- the runs ----------------------------------------------------------------------------

export async function deploy(projectDir: string, registry: Registry, opts: DeployOptions = {}): Promise<DeployRun> {
  const started = Date.now();
  const rendered = await renderProject(projectDir, registry);
  if (!rendered.topology || !rendered.plan || !rendered.bundles || !rendered.secrets || hasErrors(rendered.diagnostics)) {
    return { ok: false, hosts: [], diagnostics: rendered.diagnostics, durationMs: Date.now() - started };
  }
  const bad = unknownHosts(rendered.topology, opts.hosts ?? []);
  if (bad) return { ok: false, hosts: [], diagnostics: [bad], durationMs: 0 };
  const secrets = rendered.secrets;
  const c = await context('deploy', projectDir, rendered.topology, rendered.plan, registry, opts, (s) => secrets.redactor.redact(s));
  const bundles = new Map(rendered.bundles.map((b) => [b.host, { bundle: b, hash: bundleHash(b) }]));
  const deployed = new Map<string, string>();

  try {
    // Connect and preflight everywhere; nothing changes until every host passed.
    await phase(c, 'check', c.selected, async (host) => {
      if (cancelled(c)) return;
      const conn = await connectStep(c, host);
      const d = conn ? await preflightStep(c, host, bundles.get(host)?.hash) : undefined;
      if (d !== undefined) deployed.set(host, d);
    });
    if (anyFailed(c) || cancelled(c)) return result(c, started);
    const scope = scopeOf(c.topology, c.plan, c.lab, c.selected);
    const shells = (): Map<string, ReturnType<typeof shellOf>> => new Map([...c.conns].map(([h, conn]) => [h, shellOf(conn, c.opts.signal)]));
    const refused = await refusals(scope, shells(), (host, step, status, msg) => emit(c, host, step, status, msg));
    for (const [host, why] of refused) fail(c, c.byHost.get(host)!, 'conditions', why);
    if (anyFailed(c) || cancelled(c)) return result(c, started);

    if (opts.dryRun) {
      for (const r of c.byHost.values()) {
        const { bundle, hash } = bundles.get(r.host)!;
        const d = deployed.get(r.host)!;
        if (d === hash) r.status = 'unchanged';
        else {
          r.status = 'would-change';
          r.changes = changesOf(bundle, !!d);
        }
      }
      return result(c, started, []);
    }

    const changed: string[] = [];
    /** Hosts whose up.sh failed or was stopped before it finished. */
    const partly = new Set<string>();
    let done = 0;
    await phase(c, 'apply', c.selected, async (host) => {
      if (cancelled(c)) return;
      const { bundle, hash } = bundles.get(host)!;
      const installed = await installStep(c, host, bundle, deployed.get(host)!, hash);
      if (installed === 'failed-to-write' || installed === 'gone') return;
      changed.push(host);
      if (installed) emit(c, host, 'apply', 'done', undefined, ++done / c.selected.length);
      else partly.add(host);
    });

    if (!anyFailed(c) && !cancelled(c)) await phase(c, 'verify', c.selected, async (host) => verifyStep(c, host));
    let shaped = false;
    if (!anyFailed(c) && !cancelled(c)) {
      shaped = true;
      for (const r of await shapeProject(scope, shells(), (host, step, status, msg) => emit(c, host, step, status, msg))) if (r.status === 'failed') fail(c, c.byHost.get(r.host)!, 'conditions', r.error ?? 'failed');
    }

    if ((anyFailed(c) && !opts.keepGoing) || cancelled(c)) {
      // Conditions applied by this run go with the tunnels they were applied under.
      if (shaped) await clearConditions(c, scope);
      // A host whose bundle was already there, and whose up.sh succeeded, is left as it was:
      // up.sh only repaired it (idempotent), and tearing it down would break what worked.
      const undo = changed.filter((h) => deployed.get(h) !== bundles.get(h)!.hash || partly.has(h));
      await pool(undo, c.limit, (host) => rollbackStep(c, host, bundles.get(host)!.hash));
      if (cancelled(c)) for (const h of undo) if (!hostFailed(c.byHost.get(h)!)) fail(c, c.byHost.get(h)!, 'cancelled', 'the run was cancelled; this host was rolled back');
    } else {
      // The run stands; a replaced bundle left behind (a host that stops answering now) is only disk space.
      await pool(changed, c.limit, async (host) => {
        await c.conns.get(host)!.exec(DROP_PREVIOUS, { timeoutSeconds: DEADLINES.dropPrevious }).catch(() => undefined);
      });
    }
    return result(c, started, rendered.diagnostics);
  } finally {
    for (const conn of c.conns.values()) conn.dispose();
  }
}

/** Clears the conditions of the scope's hosts that still answer; a host that cannot be cleared has it added to its story. */
async function clearConditions(c: Ctx, scope: Scope): Promise<void> {
  const live = new Map([...c.conns].filter(([, conn]) => !conn.lost).map(([h, conn]) => [h, shellOf(conn)]));
  for (const r of await clearProject(scope, live, (host, step, status, msg) => emit(c, host, step, status, msg))) {
    if (r.status !== 'failed') continue;
    const hr = c.byHost.get(r.host);
    if (!hr) continue;
    if (hostFailed(hr)) hr.error = `${hr.error ?? ''}; then ${c.redact(r.error ?? '')}`;
    else fail(c, hr, 'clear', r.error ?? 'the conditions could not be cleared');
  }
}

export async function teardown(projectDir: string, registry: Registry, opts: DeployOptions = {}): Promise<DeployRun> {
  const started = Date.now();
  const planned = await planProject(projectDir, registry);
  if (!planned.topology || !planned.plan) return { ok: false, hosts: [], diagnostics: planned.diagnostics, durationMs: 0 };
  const bad = unknownHosts(planned.topology, opts.hosts ?? []);
  if (bad) return { ok: false, hosts: [], diagnostics: [bad], durationMs: 0 };
  // The secrets a deployed bundle holds are the project's: a failing down.sh may print them.
  const secrets = await existingSecretsRedactor(projectDir);
  const c = await context('teardown', projectDir, planned.topology, planned.plan, registry, opts, (s) => secrets.redact(s));
  try {
    await pool(c.selected, c.limit, async (host) => {
      if (cancelled(c)) return;
      const conn = await connectStep(c, host);
      if (!conn) return;
      const r = c.byHost.get(host)!;
      const t0 = Date.now();
      emit(c, host, 'down', 'running');
      const d = await remote(c, host, 'down', true, TEARDOWN, DEADLINES.down);
      r.timings.down = Date.now() - t0;
      if (!d) return;
      if (d.code !== 0) fail(c, r, 'down', tail(d.stderr || d.stdout));
      else {
        r.status = new RegExp(`^${REMOVED}$`, 'm').test(d.stdout) ? 'removed' : 'absent';
        emit(c, host, 'down', 'done');
      }
    });
    // The conditions go too, also where no bundle was deployed (a `conditions apply` alone).
    if (!cancelled(c)) await clearConditions(c, scopeOf(c.topology, c.plan, c.lab, c.selected));
    return result(c, started);
  } finally {
    for (const conn of c.conns.values()) conn.dispose();
  }
}
