/**
 * Link conditions over a project: where they go (planConditions), each host's kernel probed
 * before anything changes, then every device shaped, read back and compared (a mismatch is that
 * host's failure), or cleared. The same steps serve `conditions.apply`, a deploy (after its
 * tunnels are verified), a teardown (clear) and a measurement (read back and recorded).
 *
 * Which hosts Overlab shapes: every lab host, and the real hosts whose target says
 * `applyConditions: true` (validation refuses conditions on the others); everything else is
 * never touched, not even to clear.
 *
 *   probe (all hosts, read-only) → refuse? (nothing applied anywhere) → shape + read back
 *
 * Entry points (stable): `applyConditions` and `readConditions` (the engine's handlers),
 * `shapeProject` / `clearProject` / `readProject` over connections the caller holds (deploy,
 * teardown, measure), `recordOf` (asked vs in force, per direction), `mayShape`.
 */
import type { ConditionsApplyResult, ConditionsHostResult, ConditionsState, ProgressEvent } from '../../shared/api.js';
import { compose, isEmpty, linkDirections, uplinkDirections, type Condition } from '../../shared/conditions.js';
import { planConditions, type HostShaping } from '../../shared/conditions-plan.js';
import { compareTc, inForce, shapeDevice, type TcState } from '../../shared/conditions-tc.js';
import { hasErrors } from '../../shared/diagnostics.js';
import type { HostKeyConsent } from '../../shared/hostkeys.js';
import type { ConditionsRecord } from '../../shared/measure/results.js';
import type { Plan } from '../../shared/plan.js';
import type { Host, Topology } from '../../shared/schema.js';
import type { Registry } from '../../shared/tunnels/types.js';
import { ApiError } from '../api-error.js';
import { KnownHosts } from '../deploy/hostkeys.js';
import { connect, HostKeyError, RemoteCommandError, targetOf, type Connected } from '../deploy/ssh.js';
import { knownHostsPath, labKeyPath, loadLab, wanSideOf, type LabLayout } from '../lab/lab.js';
import { pool } from '../pool.js';
import { planProject } from '../services/bundles.js';
import { clearDevice, probeHost, readDevice, refusal, shapeAndCheck, wanExec, type ShellExec, type TcCapability } from './host.js';

/** Whether Overlab may run tc on a host: a lab host, or a real one that opted in. */
export const mayShape = (h: Host): boolean => h.target.type === 'lab' || h.target.applyConditions === true;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A connection as the steps here use it: a script on stdin, with a deadline. */
export const shellOf =
  (conn: Connected, signal?: AbortSignal): ShellExec =>
  (script, seconds) =>
    conn.exec('sh -s', { stdin: script, timeoutSeconds: seconds, ...(signal ? { signal } : {}) });

/** What the steps need of a project: its shapings (every host Overlab may shape, empty ones too) and the lab's WAN side. */
export interface Scope {
  readonly topology: Topology;
  readonly plan: Plan;
  readonly lab?: LabLayout;
  /** Every host Overlab may shape, with what it should carry (empty: nothing). */
  readonly shapings: readonly HostShaping[];
}

export function scopeOf(t: Topology, plan: Plan, lab: LabLayout | undefined, hosts?: readonly string[]): Scope {
  const shapings = planConditions(t, plan, { all: true }).filter((s) => mayShape(t.hosts.find((h) => h.name === s.host)!) && (!hosts || hosts.includes(s.host)));
  return { topology: t, plan, ...(lab ? { lab } : {}), shapings };
}

/** The lab's WAN side of a host (local), when it is a lab host in a lab that is up. */
const wanOf = (scope: Scope, host: string): { exec: ShellExec; device: string } | undefined => {
  const w = scope.lab && wanSideOf(scope.lab, host);
  return w ? { exec: wanExec(w.netns), device: w.device } : undefined;
};

type Progress = (host: string | undefined, step: string, status: ProgressEvent['status'], message?: string) => void;

/** Probes every host that has something to carry; the refusals (empty: every host can take its conditions). */
export async function refusals(scope: Scope, execs: ReadonlyMap<string, ShellExec>, progress: Progress = () => undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await pool(
    scope.shapings.filter((s) => execs.has(s.host)),
    16,
    async (s) => {
      // Nothing to carry: nothing to refuse (clearing needs only tc).
      if (s.egress.peers.length === 0 && isEmpty(s.egress.all) && !s.ingress) return;
      progress(s.host, 'probe', 'running');
      try {
        const why = refusal(s, await probeHost(execs.get(s.host)!));
        if (why) {
          out.set(s.host, why);
          progress(s.host, 'probe', 'failed', why);
        } else progress(s.host, 'probe', 'done');
      } catch (e) {
        out.set(s.host, `${s.host}: could not probe what its kernel can shape: ${message(e)}`);
        progress(s.host, 'probe', 'failed', message(e));
      }
    },
  );
  return out;
}

/**
 * Shapes every host of the scope that has a connection (its egress, and a lab host's WAN side:
 * what it should carry, or nothing — a host without conditions is cleared), reads back and
 * compares. No probe here: call `refusals` first.
 */
export async function shapeProject(scope: Scope, execs: ReadonlyMap<string, ShellExec>, progress: Progress = () => undefined): Promise<ConditionsHostResult[]> {
  return pool(
    scope.shapings.filter((s) => execs.has(s.host)),
    16,
    async (s): Promise<ConditionsHostResult> => {
      const exec = execs.get(s.host)!;
      const wan = wanOf(scope, s.host);
      progress(s.host, 'conditions', 'running');
      try {
        const mismatches: string[] = [];
        const empty = s.egress.peers.length === 0 && isEmpty(s.egress.all);
        if (empty) await clearDevice(exec, s.egress.device, s.host);
        else mismatches.push(...(await shapeAndCheck(exec, s.egress, s.host)));
        if (wan) {
          if (s.ingress) mismatches.push(...(await shapeAndCheck(wan.exec, { device: wan.device, ...s.ingress }, `${s.host} (lab WAN side)`)));
          else await clearDevice(wan.exec, wan.device, `${s.host} (lab WAN side)`);
        }
        if (mismatches.length) {
          const error = `${s.host}: what tc holds is not what was asked: ${mismatches.join('; ')}`;
          progress(s.host, 'conditions', 'failed', error);
          return { host: s.host, status: 'failed', error, mismatches };
        }
        progress(s.host, 'conditions', 'done');
        return { host: s.host, status: empty && !s.ingress ? 'cleared' : 'applied' };
      } catch (e) {
        const error = e instanceof RemoteCommandError ? e.during('conditions') : `${s.host}: ${message(e)}`;
        progress(s.host, 'conditions', 'failed', error);
        return { host: s.host, status: 'failed', error };
      }
    },
  );
}

/** Removes the conditions from every host of the scope that has a connection, and from the lab's WAN side (also of hosts not reachable). */
export async function clearProject(scope: Scope, execs: ReadonlyMap<string, ShellExec>, progress: Progress = () => undefined): Promise<ConditionsHostResult[]> {
  return pool(scope.shapings, 16, async (s): Promise<ConditionsHostResult> => {
    const exec = execs.get(s.host);
    const wan = wanOf(scope, s.host);
    progress(s.host, 'clear', 'running');
    try {
      if (exec) await clearDevice(exec, s.egress.device, s.host);
      if (wan) await clearDevice(wan.exec, wan.device, `${s.host} (lab WAN side)`).catch((e: unknown) => {
        // The WAN namespace is gone with the lab: nothing is shaped there any more.
        if (!/Cannot open network namespace|No such file|Cannot find device/.test(message(e))) throw e;
      });
      progress(s.host, 'clear', 'done');
      return exec ? { host: s.host, status: 'cleared' } : { host: s.host, status: 'skipped', error: `${s.host}: not reached; its egress was not cleared` };
    } catch (e) {
      const error = e instanceof RemoteCommandError ? e.during('clear') : `${s.host}: ${message(e)}`;
      progress(s.host, 'clear', 'failed', error);
      return { host: s.host, status: 'failed', error };
    }
  });
}

/** A host's devices as read back. */
export interface HostRead {
  readonly egress?: TcState;
  readonly ingress?: TcState;
  readonly error?: string;
}

/** Reads every host of the scope that has a connection (and its lab WAN side). */
export async function readProject(scope: Scope, execs: ReadonlyMap<string, ShellExec>): Promise<Map<string, HostRead>> {
  const out = new Map<string, HostRead>();
  await pool(
    scope.shapings.filter((s) => execs.has(s.host)),
    16,
    async (s) => {
      try {
        const egress = await readDevice(execs.get(s.host)!, s.egress.device);
        const wan = wanOf(scope, s.host);
        const ingress = wan ? await readDevice(wan.exec, wan.device) : undefined;
        out.set(s.host, { egress, ...(ingress ? { ingress } : {}) });
      } catch (e) {
        out.set(s.host, { error: e instanceof RemoteCommandError ? e.during('read') : message(e) });
      }
    },
  );
  return out;
}

/** Asked vs read back, per host device: one line per difference (what a measurement refuses to run under). */
export function mismatchesOf(scope: Scope, reads: ReadonlyMap<string, HostRead>): string[] {
  const out: string[] = [];
  for (const s of scope.shapings) {
    const r = reads.get(s.host);
    if (!r) continue;
    if (r.error) {
      // A host that carries nothing and cannot be read (no tc there) is not a wrong path; one that should carry something is.
      if (s.egress.peers.length > 0 || !isEmpty(s.egress.all) || s.ingress) out.push(`${s.host}: ${r.error}`);
      continue;
    }
    if (r.egress) out.push(...compareTc(shapeDevice(s.egress).expect, r.egress).map((l) => `${s.host}: ${l}`));
    const wan = scope.lab && wanSideOf(scope.lab, s.host);
    if (r.ingress && wan) out.push(...compareTc(shapeDevice({ device: wan.device, all: s.ingress?.all ?? {}, peers: [], mtu: s.egress.mtu }).expect, r.ingress).map((l) => `${s.host} (lab WAN side): ${l}`));
  }
  return out;
}

const DIRECTION_OF_NOTHING: Condition = {};

/**
 * Per link direction and uplink: asked (the project's) and in force (the sender's egress leaf for
 * the receiver's underlay address — else its class for other traffic — composed with the
 * receiver's lab WAN side). `inForce` absent where a host was not read. A host Overlab does not
 * shape carries nothing of Overlab's: in force there is "nothing".
 */
export function stateOf(scope: Scope, reads: ReadonlyMap<string, HostRead>): Pick<ConditionsState, 'links' | 'uplinks'> {
  const t = scope.topology;
  const addressOf = new Map(scope.plan.hosts.map((h) => [h.name, h.underlay.address]));
  const shaped = new Set(scope.shapings.map((s) => s.host));
  const egressOf = (sender: string, receiver: string): Condition | undefined => {
    if (!shaped.has(sender)) return DIRECTION_OF_NOTHING;
    const r = reads.get(sender);
    if (!r?.egress) return undefined;
    const f = inForce(r.egress);
    return f[addressOf.get(receiver) ?? ''] ?? f['*'] ?? {};
  };
  const ingressOf = (receiver: string): Condition | undefined => {
    // Only a lab host's WAN side shapes what it receives (unread when the lab is not up).
    if (!shaped.has(receiver) || t.hosts.find((h) => h.name === receiver)?.target.type !== 'lab') return DIRECTION_OF_NOTHING;
    const r = reads.get(receiver);
    if (!r?.ingress) return undefined;
    return inForce(r.ingress)['*'] ?? {};
  };
  const pair = (asked: Condition, sender: string, receiver: string): { asked: Condition; inForce?: Condition } => {
    const e = egressOf(sender, receiver);
    const i = ingressOf(receiver);
    return { asked, ...(e && i ? { inForce: compose(e, i) } : {}) };
  };
  const links = t.links.map((l) => {
    const d = linkDirections(l.conditions);
    const up = (h: string): Condition => uplinkDirections(t.hosts.find((x) => x.name === h)?.uplink).up;
    const down = (h: string): Condition => uplinkDirections(t.hosts.find((x) => x.name === h)?.uplink).down;
    // What is asked of a direction is the whole path: the sender's uplink up, the link's own leg, the receiver's uplink down.
    return { linkId: l.id, aToB: pair(compose(compose(up(l.a), d.aToB), down(l.b)), l.a, l.b), bToA: pair(compose(compose(up(l.b), d.bToA), down(l.a)), l.b, l.a) };
  });
  const uplinks = t.hosts
    .filter((h) => h.uplink)
    .map((h) => {
      const d = uplinkDirections(h.uplink);
      const r = reads.get(h.name);
      const upIn = !shaped.has(h.name) ? {} : r?.egress ? (inForce(r.egress)['*'] ?? {}) : undefined;
      const downIn = ingressOf(h.name);
      return { hostId: h.id, up: { asked: d.up, ...(upIn ? { inForce: upIn } : {}) }, down: { asked: d.down, ...(downIn ? { inForce: downIn } : {}) } };
    });
  return { links, uplinks };
}

/** The run's record (RunResults.conditions): undefined when nothing is asked and nothing is in force. */
export function recordOf(scope: Scope, reads: ReadonlyMap<string, HostRead>): ConditionsRecord | undefined {
  const s = stateOf(scope, reads);
  const asked = scope.topology.links.some((l) => l.conditions) || scope.topology.hosts.some((h) => h.uplink);
  const any = [...s.links.flatMap((l) => [l.aToB, l.bToA]), ...s.uplinks.flatMap((u) => [u.up, u.down])].some((p) => !isEmpty(p.asked) || !isEmpty(p.inForce));
  if (!asked && !any) return undefined;
  const full = (p: { asked: Condition; inForce?: Condition }): { asked: Condition; inForce: Condition } => ({ asked: p.asked, inForce: p.inForce ?? {} });
  return {
    links: s.links.map((l) => ({ linkId: l.linkId, aToB: full(l.aToB), bToA: full(l.bToA) })),
    uplinks: s.uplinks.map((u) => ({ hostId: u.hostId, up: full(u.up), down: full(u.down) })),
  };
}

// ---- the engine's operations ----------------------------------------------------------------

export interface ConditionsOptions {
  readonly hosts?: readonly string[];
  readonly acceptHostKeys?: readonly HostKeyConsent[];
  readonly password?: (host: string, login: string) => Promise<string | undefined>;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: Omit<ProgressEvent, 'runId'>) => void;
}

/** SSH connections to the scope's hosts (lab hosts through the lab's management network). */
async function connectScope(projectDir: string, scope: Scope, opts: ConditionsOptions): Promise<{ conns: Map<string, Connected>; failed: Map<string, string> }> {
  const known = await KnownHosts.load(knownHostsPath(projectDir));
  const conns = new Map<string, Connected>();
  const failed = new Map<string, string>();
  await pool(scope.shapings, 16, async (s) => {
    const h = scope.topology.hosts.find((x) => x.name === s.host)!;
    const lh = scope.lab?.hosts.find((x) => x.name === s.host);
    if (h.target.type === 'lab' && !lh) {
      failed.set(s.host, `${s.host}: the lab is not up; run \`overlab lab up ${projectDir}\` first`);
      return;
    }
    try {
      const target = targetOf(h, lh ? { mgmtAddress: lh.mgmtAddress, keyPath: labKeyPath(projectDir) } : undefined);
      const password = target.usesPassword ? await opts.password?.(s.host, `${target.user}@${target.address}`) : undefined;
      conns.set(s.host, await connect(target, known, opts.acceptHostKeys ?? [], undefined, password));
    } catch (e) {
      failed.set(s.host, e instanceof HostKeyError ? `${s.host}: ${message(e)}` : `${s.host}: cannot connect: ${message(e)}`);
    }
  });
  return { conns, failed };
}

async function projectScope(projectDir: string, registry: Registry, hosts?: readonly string[]): Promise<Scope> {
  const p = await planProject(projectDir, registry);
  if (!p.topology || !p.plan || hasErrors(p.diagnostics)) throw new ApiError('invalid-arguments', `${projectDir} does not plan; fix its problems first`, p.diagnostics);
  const unknown = (hosts ?? []).filter((h) => !p.topology!.hosts.some((x) => x.name === h));
  if (unknown.length) throw new ApiError('invalid-arguments', `not hosts of this project: ${unknown.join(', ')}`);
  const lab = p.topology.hosts.some((h) => h.target.type === 'lab') ? await loadLab(projectDir, p.topology, p.plan) : undefined;
  return scopeOf(p.topology, p.plan, lab, hosts);
}

/**
 * `conditions.apply`: every host probed first; a host that cannot take its conditions refuses the
 * whole apply (nothing is changed anywhere); then shaped, read back and compared. `clear`:
 * removed from every host Overlab may shape, and from the lab's WAN side.
 */
export async function applyConditions(projectDir: string, registry: Registry, opts: ConditionsOptions & { clear?: boolean }): Promise<ConditionsApplyResult> {
  const started = Date.now();
  const scope = await projectScope(projectDir, registry, opts.hosts);
  const progress: Progress = (host, step, status, msg) => opts.onProgress?.({ operation: 'conditions', ...(host ? { host } : {}), step, status, ...(msg ? { message: msg } : {}) });
  const { conns, failed } = await connectScope(projectDir, scope, opts);
  try {
    const execs = new Map([...conns].map(([h, c]) => [h, shellOf(c, opts.signal)]));
    if (opts.clear) {
      const hosts = (await clearProject(scope, execs, progress)).map((r) => (failed.has(r.host) ? { host: r.host, status: 'skipped' as const, error: failed.get(r.host)! } : r));
      return { ok: hosts.every((h) => h.status !== 'failed') && failed.size === 0, hosts, durationMs: Date.now() - started };
    }
    const unreached = [...failed].map(([host, error]): ConditionsHostResult => ({ host, status: 'failed', error }));
    if (unreached.length) return { ok: false, hosts: [...unreached, ...scope.shapings.filter((s) => !failed.has(s.host)).map((s): ConditionsHostResult => ({ host: s.host, status: 'skipped', error: 'nothing applied: not every host could be reached' }))], durationMs: Date.now() - started };
    const refused = await refusals(scope, execs, progress);
    if (refused.size) {
      return {
        ok: false,
        hosts: scope.shapings.map((s): ConditionsHostResult => (refused.has(s.host) ? { host: s.host, status: 'failed', error: refused.get(s.host)! } : { host: s.host, status: 'skipped', error: 'nothing applied: another host refused its conditions' })),
        durationMs: Date.now() - started,
      };
    }
    if (opts.signal?.aborted) return { ok: false, hosts: scope.shapings.map((s) => ({ host: s.host, status: 'skipped', error: 'cancelled before anything was applied' })), durationMs: Date.now() - started };
    const hosts = await shapeProject(scope, execs, progress);
    return { ok: hosts.every((h) => h.status !== 'failed'), hosts, durationMs: Date.now() - started };
  } finally {
    for (const c of conns.values()) c.dispose();
  }
}

/** `conditions.read`: asked, in force where hosts answer, each host's capability, the hosts not read and why. */
export async function readConditions(projectDir: string, registry: Registry, opts: ConditionsOptions = {}): Promise<ConditionsState> {
  const scope = await projectScope(projectDir, registry);
  const { conns, failed } = await connectScope(projectDir, scope, opts);
  try {
    const execs = new Map([...conns].map(([h, c]) => [h, shellOf(c, opts.signal)]));
    const reads = await readProject(scope, execs);
    const capability: ConditionsState['capability'][number][] = [];
    await pool([...conns.keys()], 16, async (host) => {
      const cap: TcCapability = await probeHost(execs.get(host)!).catch(() => ({ htb: 'unknown', netem: 'unknown' }));
      capability.push({ host, htb: cap.htb, netem: cap.netem });
    });
    capability.sort((a, b) => scope.topology.hosts.findIndex((h) => h.name === a.host) - scope.topology.hosts.findIndex((h) => h.name === b.host));
    const unread = [
      ...[...failed].map(([host, reason]) => ({ host, reason })),
      ...[...reads].filter(([, r]) => r.error).map(([host, r]) => ({ host, reason: r.error! })),
      ...scope.topology.hosts.filter((h) => !mayShape(h)).map((h) => ({ host: h.name, reason: 'a machine of yours without target.applyConditions: Overlab does not run tc there' })),
    ];
    return { ...stateOf(scope, reads), capability, unread };
  } finally {
    for (const c of conns.values()) c.dispose();
  }
}
