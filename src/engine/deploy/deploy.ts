/**
 * Deploy and teardown over SSH: one connection per host, hosts in parallel (bounded pool),
 * every host in the same phases so that nothing changes anywhere until every host passed
 * its preflight:
 *
 *   connect → preflight (read-only) → upload → apply (up.sh) → verify (peers answer)
 *
 * If a host fails after changes began, every host that got a new bundle, and any whose up.sh
 * failed, is rolled back (unless keepGoing): the new bundle's down.sh runs and the bundle it
 * replaced, kept aside until the run succeeds, comes back up. A host whose bundle was already
 * deployed and came up again is left running. One failed host is that host's status, never an exception
 * that hides the others. Output of remote commands passes through the secret redactor.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ProgressEvent, StepStatus } from '../../shared/api.js';
import { hasErrors, type Diagnostic } from '../../shared/diagnostics.js';
import type { Plan } from '../../shared/plan.js';
import { preflightScript, type PreflightNeed } from '../../shared/preflight.js';
import type { HostBundle } from '../../shared/render.js';
import type { Topology } from '../../shared/schema.js';
import { cmd, q } from '../../shared/shell.js';
import { lookupKind, type Registry, type TunnelKind } from '../../shared/tunnels/types.js';
import { labKeyPath, loadLab, knownHostsPath, type LabLayout } from '../lab/lab.js';
import { planProject, renderProject } from '../services/bundles.js';
import { pool } from '../pool.js';
import { KnownHosts } from './hostkeys.js';
import { connect, targetOf, type Connected } from './ssh.js';

/** Where a bundle lives on a host. `incoming/` is the upload area, swapped in after the old bundle is torn down. */
export const REMOTE_ROOT = '/var/lib/overlab';
const BUNDLE = `${REMOTE_ROOT}/bundle`;
const INCOMING = `${REMOTE_ROOT}/incoming`;
/** The bundle a re-deploy replaced, kept until the run succeeds: a rollback brings it back. */
const PREVIOUS = `${REMOTE_ROOT}/previous`;
const HASH_FILE = `${BUNDLE}/bundle.sha256`;

export type HostStatus = 'unchanged' | 'applied' | 'would-change' | 'failed' | 'rolled-back' | 'removed' | 'absent';

export interface HostResult {
  readonly host: string;
  status: HostStatus;
  /** The step that failed, and what it printed (redacted). */
  failedStep?: string;
  error?: string;
  /** For --dry-run: what would change. */
  changes?: string[];
  readonly timings: Record<string, number>;
}

export interface DeployRun {
  readonly ok: boolean;
  readonly hosts: readonly HostResult[];
  readonly diagnostics: readonly Diagnostic[];
  readonly durationMs: number;
}

export interface DeployOptions {
  readonly hosts?: readonly string[];
  readonly dryRun?: boolean;
  readonly keepGoing?: boolean;
  /** Host names whose unknown host key may be accepted (and pinned), or 'all'. */
  readonly acceptHostKeys?: readonly string[] | 'all';
  readonly concurrency?: number;
  /** Seconds to wait for peers to answer over the tunnel. */
  readonly verifyTimeout?: number;
  readonly onProgress?: (e: ProgressEvent) => void;
  /**
   * The login password of a host whose target says `password: true` (asked once per
   * user@address by the CLI). Passwords are redacted from every message of the run.
   */
  readonly password?: (host: string, login: string) => Promise<string | undefined>;
}

async function labOf(projectDir: string, t: Topology, plan: Plan): Promise<{ lab?: LabLayout }> {
  if (!t.hosts.some((h) => h.target.type === 'lab')) return {};
  const lab = await loadLab(projectDir, t, plan);
  return lab ? { lab } : {};
}

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

interface Ctx {
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
  readonly emit: (host: string | undefined, step: string, status: StepStatus, message?: string, fraction?: number) => void;
}

async function connectHost(c: Ctx, host: string, r: HostResult): Promise<Connected | undefined> {
  const h = c.topology.hosts.find((x) => x.name === host)!;
  const labHost = c.lab?.hosts.find((x) => x.name === host);
  const t0 = Date.now();
  c.emit(host, 'connect', 'running');
  try {
    const target = targetOf(h, labHost ? { mgmtAddress: labHost.mgmtAddress, keyPath: c.keyPath } : undefined);
    const accept = c.opts.acceptHostKeys === 'all' || (c.opts.acceptHostKeys ?? []).includes(host);
    const password = target.usesPassword ? await c.opts.password?.(host, `${target.user}@${target.address}`) : undefined;
    if (password) c.passwords.add(password);
    const conn = await connect(target, c.knownHosts, accept, undefined, password);
    r.timings.connect = Date.now() - t0;
    c.emit(host, 'connect', 'done');
    return conn;
  } catch (e) {
    fail(c, r, 'connect', e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

function fail(c: Ctx, r: HostResult, step: string, error: string): void {
  r.status = 'failed';
  r.failedStep = step;
  r.error = c.redact(error);
  c.emit(r.host, step, 'failed', r.error);
}

function needsOf(c: Ctx, host: string): PreflightNeed[] {
  const needs: PreflightNeed[] = [];
  for (const net of c.plan.networks) {
    if (!net.members.some((m) => m.host === host)) continue;
    const kind = lookupKind(c.registry, net.kind) as TunnelKind;
    const requirements = kind.requirements(net.options);
    const role = net.members.find((m) => m.host === host)!.role;
    needs.push({ kind: kind.id, requirements, ports: (requirements.ports ?? []).filter((p) => !p.role || p.role === role) });
  }
  return needs;
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
      out.push({ peer: peer.host, address: peer.address.split('/')[0]! });
    }
  }
  return out;
}

async function uploadBundle(conn: Connected, b: HostBundle, hash: string): Promise<void> {
  const dirs = new Set<string>();
  for (const f of b.files) dirs.add(path.posix.dirname(`${INCOMING}/files${f.path}`));
  const mk = await conn.exec(`rm -rf ${q(INCOMING)} && mkdir -p -m 0700 ${q(INCOMING)} && ${[...dirs].map((d) => cmd('mkdir', '-p', d)).join(' && ') || 'true'}`);
  if (mk.code !== 0) throw new Error(`cannot prepare ${INCOMING}: ${tail(mk.stderr)}`);
  await conn.writeFile(`${INCOMING}/up.sh`, b.up, 0o700);
  await conn.writeFile(`${INCOMING}/down.sh`, b.down, 0o700);
  for (const f of b.files) await conn.writeFile(`${INCOMING}/files${f.path}`, f.content, f.mode);
  await conn.writeFile(`${INCOMING}/bundle.sha256`, `${hash}\n`, 0o600);
}

/** The commands of up.sh a reader cares about (no helper definitions, no comments). */
function changesOf(b: HostBundle): string[] {
  const lines = b.up.split('\n');
  const body = lines.filter((l) => l && !l.startsWith('#') && !/^(set -eu|RUN=|BUNDLE=|mkdir -p "\$RUN"|ol_[a-z_]+\(\) |echo "overlab: up")/.test(l) && !l.startsWith('  ') && l !== '}');
  return [...b.files.map((f) => `file ${f.path} (mode ${f.mode.toString(8)}${f.secret ? ', secret' : ''})`), ...body.map((l) => `run  ${l}`)];
}

export async function deploy(projectDir: string, registry: Registry, opts: DeployOptions = {}): Promise<DeployRun> {
  const started = Date.now();
  const rendered = await renderProject(projectDir, registry);
  if (!rendered.topology || !rendered.plan || !rendered.bundles || !rendered.secrets || hasErrors(rendered.diagnostics)) {
    return { ok: false, hosts: [], diagnostics: rendered.diagnostics, durationMs: Date.now() - started };
  }
  const topology = rendered.topology!;
  const selected = opts.hosts ?? topology.hosts.map((h) => h.name);
  const unknown = selected.filter((h) => !topology.hosts.some((x) => x.name === h));
  if (unknown.length) {
    return { ok: false, hosts: [], diagnostics: [{ severity: 'error', code: 'unknown-host', path: '--hosts', message: `not hosts of this project: ${unknown.join(', ')}` }], durationMs: 0 };
  }
  const secrets = rendered.secrets;
  const passwords = new Set<string>();
  const c: Ctx = {
    topology,
    plan: rendered.plan,
    registry,
    ...(await labOf(projectDir, topology, rendered.plan)),
    keyPath: labKeyPath(projectDir),
    knownHosts: await KnownHosts.load(knownHostsPath(projectDir)),
    redact: (s) => redactPasswords(secrets.redactor.redact(s), passwords),
    passwords,
    opts,
    emit: (host, step, status, message, fraction) =>
      opts.onProgress?.({ operation: 'deploy', ...(host ? { host } : {}), step, status, ...(message ? { message } : {}), ...(fraction !== undefined ? { fraction } : {}) }),
  };
  const bundles = new Map(rendered.bundles.map((b) => [b.host, b]));
  const results = selected.map((host): HostResult => ({ host, status: 'unchanged', timings: {} }));
  const byHost = new Map(results.map((r) => [r.host, r]));
  const conns = new Map<string, Connected>();
  const limit = opts.concurrency ?? 32;
  const deployed = new Map<string, string>();

  try {
    // Connect and preflight everywhere; nothing changes until every host passed.
    await pool(selected, limit, async (host) => {
      const r = byHost.get(host)!;
      const conn = await connectHost(c, host, r);
      if (!conn) return;
      conns.set(host, conn);
      const t0 = Date.now();
      c.emit(host, 'preflight', 'running');
      const pf = await conn.exec('sh -s', preflightScript(needsOf(c, host), HASH_FILE));
      r.timings.preflight = Date.now() - t0;
      const missing = pf.stdout.split('\n').filter((l) => l.startsWith('missing: ')).map((l) => l.slice(9));
      deployed.set(host, /^deployed: ([0-9a-f]*)$/m.exec(pf.stdout)?.[1] ?? '');
      if (pf.code !== 0 || missing.length) fail(c, r, 'preflight', missing.length ? missing.join('; ') : tail(pf.stderr));
      else c.emit(host, 'preflight', 'done');
    });
    if (results.some((r) => r.status === 'failed')) {
      return { ok: false, hosts: results, diagnostics: [], durationMs: Date.now() - started };
    }

    if (opts.dryRun) {
      for (const r of results) {
        const b = bundles.get(r.host)!;
        if (deployed.get(r.host) === bundleHash(b)) r.status = 'unchanged';
        else {
          r.status = 'would-change';
          r.changes = [...(deployed.get(r.host) ? ['run  the deployed bundle’s down.sh first'] : []), ...changesOf(b)];
        }
      }
      return { ok: true, hosts: results, diagnostics: [], durationMs: Date.now() - started };
    }

    // Apply: upload, tear down a different older bundle, swap, run up.sh.
    const changed: string[] = [];
    let done = 0;
    await pool(selected, limit, async (host) => {
      const r = byHost.get(host)!;
      const conn = conns.get(host)!;
      const b = bundles.get(host)!;
      const hash = bundleHash(b);
      const t0 = Date.now();
      try {
        c.emit(host, 'upload', 'running');
        await uploadBundle(conn, b, hash);
        r.timings.upload = Date.now() - t0;
        c.emit(host, 'upload', 'done');
      } catch (e) {
        fail(c, r, 'upload', e instanceof Error ? e.message : String(e));
        return;
      }
      const t1 = Date.now();
      c.emit(host, 'apply', 'running');
      const old = deployed.get(host);
      changed.push(host);
      // A different bundle deployed before is torn down by its own down.sh before the new one
      // goes up, and kept aside (PREVIOUS) for a rollback.
      const swap =
        old && old !== hash
          ? `if [ -f ${q(`${BUNDLE}/down.sh`)} ]; then sh ${q(`${BUNDLE}/down.sh`)} >/dev/null 2>&1; fi; rm -rf ${q(PREVIOUS)} && mv ${q(BUNDLE)} ${q(PREVIOUS)}`
          : `rm -rf ${q(PREVIOUS)} ${q(BUNDLE)}`;
      const ap = await conn.exec(`${swap} && mv ${q(INCOMING)} ${q(BUNDLE)} && sh ${q(`${BUNDLE}/up.sh`)}`);
      r.timings.apply = Date.now() - t1;
      if (ap.code !== 0) {
        fail(c, r, 'apply', `up.sh exited ${ap.code}: ${tail(ap.stderr || ap.stdout)}`);
        return;
      }
      r.status = old === hash ? 'unchanged' : 'applied';
      c.emit(host, 'apply', 'done', undefined, ++done / selected.length);
    });

    // Verify once every host is up: each host reaches each of its peers over the tunnel.
    if (!results.some((x) => x.status === 'failed')) {
      const wait = opts.verifyTimeout ?? 30;
      await pool(selected, limit, async (host) => {
        const r = byHost.get(host)!;
        const conn = conns.get(host)!;
        const peers = peersOf(c, host).filter((p) => selected.includes(p.peer));
        if (peers.length === 0) return;
        const t0 = Date.now();
        c.emit(host, 'verify', 'running');
        // One deadline for all peers. A ping can fail at once (no route yet, no WireGuard
        // session, ARP pending), so failed attempts pause before the next one: the wait is
        // measured in seconds, not in attempts.
        const script = [
          'failed=""',
          `end=$(($(date +%s) + ${wait}))`,
          ...peers.map(
            (p) => `until ping -c 1 -W 1 ${q(p.address)} >/dev/null 2>&1; do if [ "$(date +%s)" -ge "$end" ]; then failed="$failed ${p.peer}(${p.address})"; break; fi; sleep 0.2; done`,
          ),
          'if [ -n "$failed" ]; then echo "no answer over the tunnel from:$failed" >&2; exit 1; fi',
        ].join('\n');
        const v = await conn.exec('sh -s', `${script}\n`);
        r.timings.verify = Date.now() - t0;
        if (v.code !== 0) fail(c, r, 'verify', tail(v.stderr));
        else c.emit(host, 'verify', 'done');
      });
    }

    const failed = results.filter((x) => x.status === 'failed');
    if (failed.length && !opts.keepGoing) {
      // A host whose bundle was already there, and whose up.sh succeeded, is left as it was:
      // up.sh only repaired it (idempotent), and tearing it down would break what worked.
      const undo = changed.filter((h) => deployed.get(h) !== bundleHash(bundles.get(h)!) || byHost.get(h)!.failedStep === 'apply');
      await pool(undo, limit, async (host) => {
        const r = byHost.get(host)!;
        c.emit(host, 'rollback', 'running');
        const conn = conns.get(host)!;
        // The new bundle goes down; the one it replaced, if any, comes back up.
        const rb = await conn.exec(
          [
            `if [ -f ${q(`${BUNDLE}/down.sh`)} ]; then sh ${q(`${BUNDLE}/down.sh`)}; fi`,
            `rm -rf ${q(BUNDLE)} ${q(INCOMING)}`,
            `if [ -d ${q(PREVIOUS)} ]; then mv ${q(PREVIOUS)} ${q(BUNDLE)} && sh ${q(`${BUNDLE}/up.sh`)} >/dev/null && echo restored; else rm -rf ${q(REMOTE_ROOT)}; fi`,
          ].join('; '),
        );
        if (r.status !== 'failed') r.status = 'rolled-back';
        const restored = /^restored$/m.test(rb.stdout);
        c.emit(host, 'rollback', 'done', restored ? 'the previously deployed bundle is up again' : undefined);
      });
    } else {
      // The run stands: the bundles it replaced are no longer needed.
      await pool(changed, limit, async (host) => {
        await conns.get(host)!.exec(`rm -rf ${q(PREVIOUS)}`);
      });
    }
    return { ok: failed.length === 0, hosts: results, diagnostics: rendered.diagnostics, durationMs: Date.now() - started };
  } finally {
    for (const conn of conns.values()) conn.dispose();
  }
}

export async function teardown(projectDir: string, registry: Registry, opts: DeployOptions = {}): Promise<DeployRun> {
  const started = Date.now();
  const planned = await planProject(projectDir, registry);
  if (!planned.topology || !planned.plan) return { ok: false, hosts: [], diagnostics: planned.diagnostics, durationMs: 0 };
  const topology = planned.topology;
  const p = { value: planned.plan };
  const selected = opts.hosts ?? topology.hosts.map((h) => h.name);
  const passwords = new Set<string>();
  const c: Ctx = {
    topology,
    plan: p.value,
    registry,
    ...(await labOf(projectDir, topology, p.value)),
    keyPath: labKeyPath(projectDir),
    knownHosts: await KnownHosts.load(knownHostsPath(projectDir)),
    redact: (s) => redactPasswords(s, passwords),
    passwords,
    opts,
    emit: (host, step, status, message) => opts.onProgress?.({ operation: 'teardown', ...(host ? { host } : {}), step, status, ...(message ? { message } : {}) }),
  };
  const results = await pool(selected, opts.concurrency ?? 32, async (host): Promise<HostResult> => {
    const r: HostResult = { host, status: 'absent', timings: {} };
    const conn = await connectHost(c, host, r);
    if (!conn) return r;
    try {
      const t0 = Date.now();
      c.emit(host, 'down', 'running');
      const d = await conn.exec(`if [ -f ${q(`${BUNDLE}/down.sh`)} ]; then sh ${q(`${BUNDLE}/down.sh`)} && echo removed; fi; rm -rf ${q(REMOTE_ROOT)}`);
      r.timings.down = Date.now() - t0;
      if (d.code !== 0) fail(c, r, 'down', tail(d.stderr));
      else {
        r.status = d.stdout.includes('removed') ? 'removed' : 'absent';
        c.emit(host, 'down', 'done');
      }
      return r;
    } finally {
      conn.dispose();
    }
  });
  return { ok: results.every((r) => r.status !== 'failed'), hosts: results, diagnostics: [], durationMs: Date.now() - started };
}
