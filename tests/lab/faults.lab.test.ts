/**
 * Faults a real network throws at deploy and measure, on the embedded lab (real sshd in
 * namespaces, real ssh2, real VXLAN): a host whose sshd stops answering (SIGSTOP: TCP still
 * answers, SSH does not) during apply and during a measurement, a host whose sshd is killed
 * during apply, a measurement tool killed mid-test, a run cancelled while a remote command
 * waits, and a failing down.sh that prints a secret during teardown. Each run must end within
 * a bounded time — a correctness bound, generous for a loaded 2-core machine, not a speed
 * target — in a clear, reported state. Needs root; skipped otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, teardown } from '../../src/engine/deploy/deploy.js';
import { HASH_FILE, rollbackScript } from '../../src/engine/deploy/remote.js';
import { run } from '../../src/engine/exec.js';
import { chooseLabLayout, labDown, labExecArgv, labSshdPid, labUp, type LabLayout } from '../../src/engine/lab/lab.js';
import { measure } from '../../src/engine/measure/run.js';
import { renderProject } from '../../src/engine/services/bundles.js';
import { createProject } from '../../src/engine/store/project.js';
import type { ProgressEvent } from '../../src/shared/api.js';
import { plan } from '../../src/shared/plan.js';
import { makeTemplate } from '../../src/shared/templates.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
type Progress = Omit<ProgressEvent, 'runId'>;

/** Seconds of silence after which a host counts as gone (SSH keepalives: ssh.ts). */
const HUNG_AFTER = 15;

/** Every sshd process under a lab host's listener: one per connection, and their privilege-separated children. A connection's sshd goes on when only the listener stops. */
function sshdTree(listener: number): number[] {
  const all = [listener];
  for (let i = 0; i < all.length; i++) {
    const p = all[i]!;
    const tasks = (() => {
      try {
        return readdirSync(`/proc/${p}/task`);
      } catch {
        return [];
      }
    })();
    for (const t of tasks) {
      const kids = (() => {
        try {
          return readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
        } catch {
          return '';
        }
      })();
      for (const k of kids.split(' ').filter(Boolean)) all.push(Number(k));
    }
  }
  return all.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd';
    } catch {
      return false;
    }
  });
}

const signal = (pids: readonly number[], sig: NodeJS.Signals): void => {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      // gone already
    }
  }
};

async function makeLab(name: string, kind: string, template: 'hub-spoke' | 'site-to-site', hosts: number, management: string): Promise<{ dir: string; L: LabLayout }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `overlab-faults-${name}-`));
  const made = makeTemplate({ template, hosts, kind }, registry).value!;
  const t = { ...made, lab: { management } };
  await createProject(dir, t, registry);
  const L = await chooseLabLayout(dir, t, plan(t, registry).value!);
  await labUp(dir, L);
  return { dir, L };
}

describe.skipIf(!root)('faults on the embedded lab', () => {
  let dir = '';
  let L: LabLayout;
  const hosts = ['hub', 'spoke-1', 'spoke-2'];
  const inHost = async (host: string, ...argv: string[]): Promise<string> => (await run(labExecArgv(L, host, argv), { okCodes: [0, 1, 2] })).stdout;
  const bundlePresent = async (host: string): Promise<boolean> => (await inHost(host, 'sh', '-c', 'test -d /var/lib/overlab && echo yes')).includes('yes');
  /** Processes in a host's namespace other than its sshd: what a run left running there. */
  const leftovers = async (host: string): Promise<string[]> => {
    const pids = (await run(['ip', 'netns', 'pids', L.hosts.find((h) => h.name === host)!.netns])).stdout.split('\n').filter(Boolean);
    const names = await Promise.all(pids.map((p) => fs.readFile(`/proc/${p}/comm`, 'utf8').then((s) => s.trim(), () => '')));
    return names.filter((n) => n && n !== 'sshd');
  };
  /** Back to no bundle anywhere, whatever a test left. */
  const clean = async (): Promise<void> => {
    const r = await teardown(dir, registry);
    expect(r.ok, JSON.stringify(r.hosts)).toBe(true);
    for (const h of hosts) expect(await bundlePresent(h)).toBe(false);
  };

  beforeAll(async () => {
    ({ dir, L } = await makeLab('vx', 'vxlan', 'hub-spoke', 3, '198.18.176.0/20'));
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('names a host whose sshd stops answering during apply as hung (state unknown), within a bounded time, and rolls the others back', async () => {
    const listener = (await labSshdPid(L, 'spoke-2'))!;
    let stopped: number[] = [];
    let stoppedAt = 0;
    let failedAt = 0;
    const started = Date.now();
    try {
      const r = await deploy(dir, registry, {
        onProgress: (e: Progress) => {
          if (e.host !== 'spoke-2') return;
          if (e.step === 'apply' && e.status === 'running' && !stopped.length) {
            stopped = sshdTree(listener);
            signal(stopped, 'SIGSTOP');
            stoppedAt = Date.now();
          }
          if (e.status === 'failed' && !failedAt) failedAt = Date.now();
        },
      });
      const took = (Date.now() - started) / 1000;
      console.info(`sshd stopped during apply: hung host reported ${((failedAt - stoppedAt) / 1000).toFixed(1)} s after the stop; the deploy took ${took.toFixed(1)} s`);
      // The listener and the deploy's own connection: both stopped.
      expect(stopped.length).toBeGreaterThan(1);
      expect(r.ok).toBe(false);
      const by = new Map(r.hosts.map((h) => [h.host, h]));
      expect(by.get('spoke-2')).toMatchObject({ status: 'unknown', failedStep: 'apply' });
      expect(by.get('spoke-2')!.error).toMatch(/^spoke-2: no answer from the host for \d+ s during apply/);
      expect([by.get('hub')!.status, by.get('spoke-1')!.status]).toEqual(['rolled-back', 'rolled-back']);
      for (const h of ['hub', 'spoke-1']) expect(await bundlePresent(h)).toBe(false);
      expect(took).toBeLessThan(6 * HUNG_AFTER);
    } finally {
      signal(stopped, 'SIGCONT');
    }
    await clean();
  }, 180_000);

  it('names a host whose sshd is killed during apply as lost (state unknown), and rolls the others back', async () => {
    const listener = (await labSshdPid(L, 'spoke-2'))!;
    let killed: number[] = [];
    const started = Date.now();
    try {
      const r = await deploy(dir, registry, {
        onProgress: (e: Progress) => {
          if (e.host === 'spoke-2' && e.step === 'apply' && e.status === 'running' && !killed.length) {
            killed = sshdTree(listener);
            signal(killed, 'SIGKILL');
          }
        },
      });
      const took = (Date.now() - started) / 1000;
      console.info(`sshd killed during apply: the deploy took ${took.toFixed(1)} s`);
      expect(killed.length).toBeGreaterThan(1);
      expect(r.ok).toBe(false);
      const by = new Map(r.hosts.map((h) => [h.host, h]));
      expect(by.get('spoke-2')).toMatchObject({ status: 'unknown', failedStep: 'apply' });
      expect(by.get('spoke-2')!.error).toMatch(/^spoke-2: the SSH connection was lost during apply/);
      expect([by.get('hub')!.status, by.get('spoke-1')!.status]).toEqual(['rolled-back', 'rolled-back']);
      for (const h of ['hub', 'spoke-1']) expect(await bundlePresent(h)).toBe(false);
      expect(took).toBeLessThan(6 * HUNG_AFTER);
    } finally {
      // A new sshd for spoke-2 (lab up starts what is not running).
      await labUp(dir, L);
    }
    await clean();
  }, 180_000);

  it('stops the remote command when a run is cancelled during the verify wait, rolls every host back and leaves nothing running', async () => {
    // spoke-2 drops VXLAN: its tunnel never answers, so the hub's verify waits its whole deadline.
    await inHost('spoke-2', 'nft', 'add table inet oltest; add chain inet oltest in { type filter hook input priority -10; }; add rule inet oltest in udp dport 4789 drop');
    const ac = new AbortController();
    let abortedAt = 0;
    try {
      const r = await deploy(dir, registry, {
        verifyTimeout: 120,
        signal: ac.signal,
        onProgress: (e: Progress) => {
          if (e.host === 'hub' && e.step === 'verify' && e.status === 'running' && !abortedAt) {
            setTimeout(() => {
              abortedAt = Date.now();
              ac.abort();
            }, 2000);
          }
        },
      });
      const after = (Date.now() - abortedAt) / 1000;
      console.info(`cancelled during verify: the deploy ended ${after.toFixed(1)} s after the cancel (verify deadline 120 s)`);
      expect(abortedAt).toBeGreaterThan(0);
      expect(r.ok).toBe(false);
      expect(r.hosts.map((h) => h.failedStep)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      for (const h of hosts) expect(await bundlePresent(h), h).toBe(false);
      // The verify loop (its ping and sleep) was stopped on the host, not left to run out.
      for (const h of hosts) expect(await leftovers(h), h).toEqual([]);
      expect(after).toBeLessThan(60);
    } finally {
      await inHost('spoke-2', 'nft', 'delete table inet oltest');
    }
  }, 240_000);

  describe('once deployed', () => {
    beforeAll(async () => {
      const d = await deploy(dir, registry);
      expect(d.ok, JSON.stringify(d.hosts)).toBe(true);
    }, 120_000);

    it('marks a host whose sshd stops mid-run down once, skips its remaining tests at once, and measures the rest', async () => {
      const listener = (await labSshdPid(L, 'spoke-2'))!;
      let stopped: number[] = [];
      let stoppedAt = 0;
      let downAt = 0;
      const started = Date.now();
      try {
        const m = await measure(dir, registry, {
          runId: 'stopped-spoke',
          suite: 'quick',
          onProgress: (e: Progress) => {
            if (e.step.startsWith('iperf3-') && e.status === 'running' && !stopped.length) {
              stopped = sshdTree(listener);
              signal(stopped, 'SIGSTOP');
              stoppedAt = Date.now();
            }
            if (stoppedAt && !downAt && e.status === 'failed' && /spoke-2/.test(e.message ?? '')) downAt = Date.now();
          },
        });
        const took = (Date.now() - started) / 1000;
        const r = m.results;
        const spoke2 = r.tests.filter((t) => r.paths.find((p) => p.id === t.pathId)!.dst.host === 'spoke-2' || r.paths.find((p) => p.id === t.pathId)!.src.host === 'spoke-2');
        const skipped = spoke2.filter((t) => t.error?.startsWith('not run: '));
        const failedWaiting = spoke2.filter((t) => t.error && !t.error.startsWith('not run: ') && Date.parse(t.startedAt) >= stoppedAt - 1000);
        console.info(
          `quick suite, spoke-2's sshd stopped: run took ${took.toFixed(1)} s; spoke-2 reported down ${((downAt - stoppedAt) / 1000).toFixed(1)} s after the stop; ${skipped.length} of its tests skipped, ${failedWaiting.length} failed in flight`,
        );
        expect(stopped.length).toBeGreaterThan(1);
        expect(r.status).toBe('partial');
        // Marked down once, with the reason; no other host's trouble.
        const hostProblems = r.problems.filter((p) => !/^\d+ of \d+ tests failed/.test(p));
        expect(hostProblems).toHaveLength(1);
        expect(hostProblems[0]).toMatch(/^spoke-2: no answer from the host for \d+ s/);
        expect(skipped.length).toBeGreaterThan(0);
        for (const t of skipped) expect(t.error).toMatch(/^not run: spoke-2: no answer from the host for \d+ s/);
        // Only the tests in flight when it stopped waited for it.
        expect(failedWaiting.length).toBeLessThanOrEqual(4);
        // The rest went on: hub and spoke-1 measured after the stop.
        const hubSpoke1 = r.links.find((l) => l.b === 'spoke-1')!;
        expect(r.summary.paths[`${hubSpoke1.id}.tunnel`]!.throughput['iperf3-tcp:forward']).toBeDefined();
        expect(r.summary.paths[`${hubSpoke1.id}.tunnel`]!.throughput['iperf3-udp:forward']).toBeDefined();
        expect(took).toBeLessThan(120);
      } finally {
        signal(stopped, 'SIGCONT');
      }
    }, 600_000);

    it('goes on without a host whose sshd does not answer when the run starts, and says why its tests did not run', async () => {
      const stopped = sshdTree((await labSshdPid(L, 'spoke-2'))!);
      signal(stopped, 'SIGSTOP');
      const started = Date.now();
      try {
        const m = await measure(dir, registry, { runId: 'stopped-before', suite: 'quick', duration: 1 });
        const took = (Date.now() - started) / 1000;
        const r = m.results;
        console.info(`quick suite (1 s tests), spoke-2's sshd stopped before the run: run took ${took.toFixed(1)} s`);
        expect(r.status).toBe('partial');
        const hostProblems = r.problems.filter((p) => !/^\d+ of \d+ tests failed/.test(p));
        expect(hostProblems).toHaveLength(1);
        expect(hostProblems[0]).toMatch(/^spoke-2: cannot connect/);
        // Tests that run a command on spoke-2 (a ping runs on its source only: towards spoke-2 it still measures).
        const onSpoke2 = (t: (typeof r.tests)[number]): boolean => {
          const p = r.paths.find((x) => x.id === t.pathId)!;
          return p.src.host === 'spoke-2' || (t.test !== 'ping' && p.dst.host === 'spoke-2');
        };
        const spoke2 = r.tests.filter(onSpoke2);
        expect(spoke2.length).toBeGreaterThan(0);
        for (const t of spoke2) expect(t.error).toMatch(/^not run: spoke-2: cannot connect to root@[\d.]+:22: .*no answer from the host for 15 s/);
        const hubSpoke1 = r.links.find((l) => l.b === 'spoke-1')!;
        expect(r.summary.paths[`${hubSpoke1.id}.tunnel`]!.throughput['iperf3-tcp:forward']).toBeDefined();
        expect(took).toBeLessThan(120);
      } finally {
        signal(stopped, 'SIGCONT');
      }
    }, 300_000);

    it('records a test whose tool is killed mid-run as failed, keeps the host, and goes on', async () => {
      const killed: string[] = [];
      let killing: Promise<void> | undefined;
      const started = Date.now();
      const spoke1 = L.hosts.find((h) => h.name === 'spoke-1')!;
      const m = await measure(dir, registry, {
        runId: 'killed-tool',
        suite: 'quick',
        duration: 3,
        onProgress: (e: Progress) => {
          if (e.step === 'iperf3-tcp' && e.status === 'running' && /spoke-1/.test(e.message ?? '') && !killing) {
            killing = (async () => {
              await new Promise((res) => setTimeout(res, 1000));
              const pids = (await run(['ip', 'netns', 'pids', spoke1.netns])).stdout.split('\n').filter(Boolean);
              for (const p of pids) {
                const comm = await fs.readFile(`/proc/${p}/comm`, 'utf8').then((s) => s.trim(), () => '');
                if (comm === 'iperf3') {
                  killed.push(p);
                  process.kill(Number(p), 'SIGKILL');
                }
              }
            })();
          }
        },
      });
      await killing;
      const took = (Date.now() - started) / 1000;
      const r = m.results;
      console.info(`iperf3 killed mid-test: run took ${took.toFixed(1)} s, killed ${killed.length} iperf3 process(es)`);
      expect(killed.length).toBeGreaterThan(0);
      expect(r.status).toBe('partial');
      const failed = r.tests.filter((t) => t.error);
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.every((t) => !t.error!.startsWith('not run'))).toBe(true);
      // No host was taken for gone: the only problem is the failed test; spoke-1's later tests measured.
      expect(r.problems).toEqual([`${failed.length} of ${r.tests.length} tests failed (see each test's error)`]);
      const later = r.tests.filter((t) => !t.error && t.test !== 'ping' && r.paths.find((p) => p.id === t.pathId)!.dst.host === 'spoke-1');
      expect(later.length).toBeGreaterThan(0);
      for (const h of hosts) expect((await leftovers(h)).filter((p) => /iperf|netserver|ping/.test(p)), h).toEqual([]);
      expect(took).toBeLessThan(180);
    }, 300_000);

    it('rolls back an apply stopped before its swap by keeping the bundle deployed before, up', async () => {
      const hash = (await inHost('hub', 'cat', HASH_FILE)).trim();
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      // What a cancel while writing leaves: a half-written upload area beside the deployed bundle.
      await inHost('hub', 'sh', '-c', 'mkdir -p /var/lib/overlab/incoming/files && echo half > /var/lib/overlab/incoming/up.sh');
      const other = 'f'.repeat(64);
      const out = await inHost('hub', 'sh', '-c', rollbackScript(other));
      expect(out).toBe('restored\n');
      expect((await inHost('hub', 'cat', HASH_FILE)).trim()).toBe(hash);
      expect(await inHost('hub', 'sh', '-c', 'ls -A /var/lib/overlab')).toBe('bundle\n');
      const spoke1 = (await inHost('spoke-1', 'sh', '-c', "ip -4 -br addr show | awk '/^olvx/ {print $3}' | cut -d/ -f1")).trim().split('\n')[0]!;
      expect((await run(labExecArgv(L, 'hub', ['ping', '-c', '1', '-W', '2', spoke1]), { okCodes: [0, 1] })).code).toBe(0);
    }, 60_000);

    afterAll(async () => {
      await teardown(dir, registry).catch(() => undefined);
    }, 120_000);
  });
});

describe.skipIf(!root)('teardown on the embedded lab', () => {
  let dir = '';
  let L: LabLayout;

  beforeAll(async () => {
    ({ dir, L } = await makeLab('wg', 'wireguard', 'site-to-site', 2, '198.18.192.0/20'));
  }, 60_000);

  afterAll(async () => {
    if (dir) {
      await labDown(dir).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('redacts the project’s secrets from what a failing down.sh printed', async () => {
    // The project's secrets, made as a deploy makes them (teardown itself never makes any).
    const rendered = await renderProject(dir, registry);
    const spec = rendered.plan!.secrets.find((x) => x.kind.type === 'x25519')!;
    const key = rendered.secrets!.lookup(spec.ref, 'private');
    expect(key.length).toBeGreaterThan(20);
    const host = L.hosts[0]!.name;
    // A deployed bundle whose down.sh prints the key (as a daemon's error might) and fails.
    await run(labExecArgv(L, host, ['sh', '-c', 'mkdir -p /var/lib/overlab/bundle && cat > /var/lib/overlab/bundle/down.sh']), {
      input: `echo "private key: ${key}"\necho "stderr key: ${key}" >&2\nexit 1\n`,
    });
    const r = await teardown(dir, registry);
    const failed = r.hosts.find((h) => h.host === host)!;
    expect(failed).toMatchObject({ status: 'failed', failedStep: 'down' });
    expect(failed.error).toMatch(/\[secret [a-z0-9/._-]+\]/);
    expect(JSON.stringify(r)).not.toContain(key);
  }, 60_000);
});
