/**
 * Measurement for real on the embedded lab (real sshd, real kernel VXLAN, real ping, iperf3,
 * iperf 2 and netperf 2.7.0): the quick suite on a site-to-site and on a 4-host mesh (whose
 * schedule must never put a host in two throughput tests at once), netperf and iperf 2 through a
 * suite of the project's own, a host that vanishes mid-run (partial), a cancelled run (kept,
 * cleaned up), and a campaign of clean, VXLAN, WireGuard (wireguard-go) and OpenVPN at underlay
 * MTU 1500 and 9000, interrupted and resumed. Short tests only: the long ones are in bench/.
 * Needs root; skipped otherwise.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { run } from '../../src/engine/exec.js';
import { labExecArgv, loadLab, type LabLayout } from '../../src/engine/lab/lab.js';
import { parseIperf3 } from '../../src/shared/measure/tools/iperf3.js';
import { parsePing } from '../../src/shared/measure/tools/ping.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import type { Topology } from '../../src/shared/schema.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { LEAN_SUITE } from './lean-suite.js';

const registry = defaultRegistry;
const root = process.getuid?.() === 0;
const dirs: string[] = [];

const engine = createEngine({ registry });

async function project(name: string, template: 'site-to-site' | 'mesh' | 'hub-spoke', hosts: number, kind: string, management: string, edit: (t: Topology) => Topology = (t) => t): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `overlab-measure-${name}-`));
  dirs.push(dir);
  const t = (await engine['project.create']({ dir, template, hosts, kind })).topology!;
  await engine['project.save']({ dir, topology: edit({ ...t, lab: { management } }) });
  await engine['lab.up']({ dir });
  const d = await engine['deploy.apply']({ dir });
  expect(d.ok, JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))).toBe(true);
  return dir;
}

const labOf = async (dir: string): Promise<LabLayout> => {
  const t = (await engine['project.open']({ dir })).topology!;
  return (await loadLab(dir, t, (await engine['plan.compute']({ dir })).plan!))!;
};
const procs = async (L: LabLayout, host: string): Promise<string[]> => {
  const pids = (await run(['ip', 'netns', 'pids', L.hosts.find((h) => h.name === host)!.netns])).stdout.split('\n').filter(Boolean);
  const names = await Promise.all(pids.map((p) => fs.readFile(`/proc/${p}/comm`, 'utf8').then((s) => s.trim(), () => '')));
  return names.filter((n) => n && n !== 'sshd');
};

/** Per host, the time intervals of its throughput tests: none may overlap. */
function overlaps(r: RunResults): string[] {
  const byHost = new Map<string, { id: string; from: number; to: number }[]>();
  for (const t of r.tests.filter((x) => x.throughput || x.netperf)) {
    const p = r.paths.find((x) => x.id === t.pathId)!;
    const from = Date.parse(t.startedAt);
    for (const h of [p.src.host, p.dst.host]) byHost.set(h, [...(byHost.get(h) ?? []), { id: t.id, from, to: from + t.seconds * 1000 }]);
  }
  const out: string[] = [];
  for (const [h, xs] of byHost) {
    xs.sort((a, b) => a.from - b.from);
    for (let i = 1; i < xs.length; i++) if (xs[i]!.from < xs[i - 1]!.to - 50) out.push(`${h}: ${xs[i - 1]!.id} and ${xs[i]!.id}`);
  }
  return out;
}

describe.skipIf(!root)('measurement on the embedded lab', () => {
  afterAll(async () => {
    for (const dir of dirs) {
      await engine['deploy.teardown']({ dir }).catch(() => undefined);
      await engine['lab.down']({ dir }).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  describe('quick on a site-to-site over VXLAN', () => {
    let dir = '';
    let r: RunResults;
    beforeAll(async () => {
      dir = await project('s2s', 'site-to-site', 2, 'vxlan', '198.18.200.0/24');
      const m = await engine['measure.run']({ dir, suite: 'quick' });
      r = await engine['runs.get']({ dir, runId: m.runId });
    }, 120_000);

    it('measures the tunnel, its underlay baseline and LAN to LAN, and completes', () => {
      expect(r.status, r.problems.join('; ')).toBe('complete');
      expect(r.paths.map((p) => p.type).sort()).toEqual(['lan', 'tunnel', 'underlay']);
      const link = r.links[0]!;
      const tunnel = r.summary.paths[`${link.id}.tunnel`]!;
      expect(tunnel.rtt!.ms.n).toBe(20);
      expect(tunnel.rtt!.lossPercent).toBe(0);
      expect(tunnel.rtt!.ci95!.low).toBeLessThan(tunnel.rtt!.ms.mean);
      expect(Object.keys(tunnel.throughput).sort()).toEqual(['iperf3-tcp:forward', 'iperf3-tcp:reverse', 'iperf3-udp:forward']);
      expect(tunnel.throughput['iperf3-tcp:forward']!.mbps.mean).toBeGreaterThan(50);
      expect(tunnel.throughput['iperf3-udp:forward']!.lossPercent).toBeDefined();
      const rel = r.summary.relative[link.id]!;
      expect(rel.rttAddedMs).toBeDefined();
      expect(rel.throughputKeptPercent['iperf3-tcp:forward']).toBeGreaterThan(0);
    });

    it('ties the results to what was deployed and where: bundle hashes, kernel, tool versions, shared machine', async () => {
      const deployed = await engine['deploy.apply']({ dir, dryRun: true });
      expect(deployed.hosts.every((h) => h.status === 'unchanged')).toBe(true);
      const again = await engine['deploy.apply']({ dir });
      for (const h of again.hosts) expect(r.environment.find((e) => e.host === h.host)?.bundleHash).toBe(h.bundleHash);
      for (const e of r.environment) {
        expect(e.kernel).toBe(os.release());
        expect(e.tools.iperf3).toMatch(/^iperf 3\./);
        expect(e.tools.ping).toMatch(/iputils/);
        expect(e.lab).toBe(true);
      }
      expect(r.sharedMachine).toBe(true);
      expect(r.topology.links[0]!.id).toBe(r.links[0]!.id);
    });

    it('keeps every test’s raw output, from which the recorded figures parse again', async () => {
      const ping = r.tests.find((t) => t.test === 'ping' && t.pathId.endsWith('.tunnel'))!;
      expect(parsePing(await fs.readFile(path.join(dir, 'runs', r.runId, ping.raw), 'utf8'))).toEqual(ping.ping);
      const tcp = r.tests.find((t) => t.test === 'iperf3-tcp' && t.direction === 'forward' && t.pathId.endsWith('.tunnel'))!;
      const raw = await fs.readFile(path.join(dir, 'runs', r.runId, tcp.raw), 'utf8');
      expect(parseIperf3(raw)).toEqual(tcp.throughput);
      expect(tcp.command).toMatch(/^iperf3 -c 198\.19\.0\.1 -p \d+ -J/);
      expect(tcp.cpu?.src?.busyPercent).toBeGreaterThan(0);
    });

    it('left no server running and no run folder on the hosts', async () => {
      const L = await labOf(dir);
      for (const h of L.hosts) {
        expect((await procs(L, h.name)).filter((p) => /iperf|netserver|ping/.test(p))).toEqual([]);
        expect((await run(labExecArgv(L, h.name, ['sh', '-c', 'ls /run/overlab-measure 2>/dev/null | wc -l']))).stdout.trim()).toBe('0');
      }
    });

    it('lists the run', async () => {
      const runs = await engine['runs.list']({ dir });
      expect(runs[0]).toMatchObject({ runId: r.runId, suite: 'quick', status: 'complete', kinds: ['vxlan'] });
    });
  });

  it('runs netperf 2.7.0 (TCP_STREAM, UDP_STREAM, TCP_RR with CPU) and iperf 2 through a suite of the project’s own', async () => {
    const dir = await project('np', 'site-to-site', 2, 'vxlan', '198.18.201.0/24', (t) => ({
      ...t,
      measurement: {
        ...t.measurement,
        suites: {
          np: {
            tests: [
              { tool: 'netperf', test: 'TCP_STREAM', duration: 1 },
              { tool: 'netperf', test: 'UDP_STREAM', duration: 1 },
              { tool: 'netperf', test: 'TCP_RR', duration: 1 },
              { tool: 'iperf2', protocol: 'tcp', duration: 1, bitrate: '100M' },
              { tool: 'iperf2', protocol: 'udp', duration: 1, bitrate: '50M' },
            ],
            baseline: false,
            lan: false,
            repeat: 1,
          },
        },
      },
    }));
    const m = await engine['measure.run']({ dir, suite: 'np' });
    const r = await engine['runs.get']({ dir, runId: m.runId });
    expect(r.status, r.problems.join('; ')).toBe('complete');
    const s = r.summary.paths[`${r.links[0]!.id}.tunnel`]!;
    expect(s.netperf['netperf-tcp_stream']).toMatchObject({ units: '10^6bits/s', sdUnits: 'usec/KB' });
    expect(s.netperf['netperf-tcp_stream']!.throughput.mean).toBeGreaterThan(50);
    expect(s.netperf['netperf-tcp_stream']!.localCpu).toBeGreaterThan(0);
    expect(s.netperf['netperf-udp_stream']!.throughput.mean).toBeGreaterThan(0);
    expect(s.netperf['netperf-tcp_rr']).toMatchObject({ units: 'Trans/s' });
    expect(s.throughput['iperf2-tcp:forward']!.mbps.mean).toBeGreaterThan(50);
    // UDP loss from the server's own report.
    expect(s.throughput['iperf2-udp:forward']!.lossPercent).toBeGreaterThanOrEqual(0);
    // netperf's UDP messages fit the tunnel's MTU.
    expect(r.tests.find((t) => t.test === 'netperf-udp_stream')!.command).toContain(`-m ${r.links[0]!.mtu - 28}`);
  }, 120_000);

  it('schedules a 4-host mesh in rounds that never put a host in two throughput tests at once', async () => {
    const dir = await project('mesh', 'mesh', 4, 'vxlan', '198.18.202.0/24');
    const m = await engine['measure.run']({ dir, suite: 'quick', duration: 1 });
    const r = await engine['runs.get']({ dir, runId: m.runId });
    expect(r.status, r.problems.join('; ')).toBe('complete');
    expect(overlaps(r)).toEqual([]);
    // K4: 3 rounds of 2 tests per path type (tunnel, underlay) — not 12 tests in a row.
    const tcpFwd = r.tests.filter((t) => t.test === 'iperf3-tcp' && t.direction === 'forward');
    expect(tcpFwd).toHaveLength(12);
    const rounds = new Map<number, number>();
    for (const t of tcpFwd) rounds.set(t.round!, (rounds.get(t.round!) ?? 0) + 1);
    expect([...rounds.values()]).toEqual([2, 2, 2, 2, 2, 2]);
    // Every pair: tunnel, underlay and LAN to LAN.
    expect(r.paths.filter((p) => p.type === 'tunnel')).toHaveLength(6);
    expect(r.paths.filter((p) => p.type === 'lan')).toHaveLength(6);
  }, 180_000);

  it('goes on when a host vanishes mid-run, marks the run partial with the reason, and keeps what was measured', async () => {
    const dir = await project('gone', 'hub-spoke', 3, 'vxlan', '198.18.203.0/24');
    const L = await labOf(dir);
    const runId = 'vanish-test';
    const running = engine['measure.run']({ dir, suite: 'quick', duration: 2, runId });
    // spoke-2 vanishes during the throughput tests: every process of its namespace (its sshd and
    // the run's sessions) is killed.
    await new Promise((res) => setTimeout(res, 5000));
    const spoke2 = L.hosts.find((h) => h.name === 'spoke-2')!;
    const pids = (await run(['ip', 'netns', 'pids', spoke2.netns])).stdout.split('\n').filter(Boolean);
    for (const p of pids) process.kill(Number(p), 'SIGKILL');
    const m = await running;
    const r = await engine['runs.get']({ dir, runId: m.runId });
    expect(r.status).toBe('partial');
    expect(r.problems.join('\n')).toMatch(/spoke-2/);
    const hubSpoke1 = r.links.find((l) => l.b === 'spoke-1')!;
    expect(r.summary.paths[`${hubSpoke1.id}.tunnel`]!.throughput['iperf3-tcp:forward']).toBeDefined();
    expect(r.tests.filter((t) => t.error && r.paths.find((p) => p.id === t.pathId)!.dst.host === 'spoke-2').length).toBeGreaterThan(0);
  }, 120_000);

  it('stops a cancelled run, keeps what it measured, and leaves no server behind', async () => {
    const dir = await project('cancel', 'site-to-site', 2, 'vxlan', '198.18.204.0/24');
    const L = await labOf(dir);
    const runId = 'cancel-test';
    const running = engine['measure.run']({ dir, suite: 'quick', duration: 3, runId });
    await new Promise((res) => setTimeout(res, 6000));
    expect((await engine['run.cancel']({ runId })).cancelled).toBe(true);
    const m = await running;
    expect(m.status).toBe('cancelled');
    const r = await engine['runs.get']({ dir, runId });
    expect(r.tests.length).toBeGreaterThan(0);
    expect(r.tests.length).toBeLessThan(r.paths.length * 4);
    expect(r.problems[0]).toMatch(/cancelled/);
    for (const h of L.hosts) expect((await procs(L, h.name)).filter((p) => /iperf|netserver/.test(p))).toEqual([]);
  }, 120_000);

  it('runs a campaign of clean, VXLAN, WireGuard and OpenVPN at MTU 1500 and 9000, resumes it after an interruption, and compares the kinds', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-campaign-'));
    dirs.push(dir);
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'clean' })).topology!;
    // A lean suite of the project's own: 8 cells × (deploy, measure, teardown) add up.
    await engine['project.save']({ dir, topology: { ...t, lab: { management: '198.18.205.0/24' }, measurement: { ...t.measurement, suites: { short: LEAN_SUITE } } } });
    const kinds = ['clean', 'vxlan', 'wireguard:implementation=go', 'openvpn'];
    const id = 'lab-campaign';
    // Interrupted during its third cell…
    const first = engine['campaign.run']({ dir, campaignId: id, runId: id, kinds, mtus: [1500, 9000], suite: 'short' });
    const started = Date.now();
    for (;;) {
      await new Promise((res) => setTimeout(res, 500));
      const c = await engine['campaigns.get']({ dir, campaignId: id }).catch(() => undefined);
      if (c && c.campaign.cells.filter((x) => x.status !== 'pending').length >= 2) break;
      if (Date.now() - started > 150_000) throw new Error('the campaign did not get through two cells');
    }
    await engine['run.cancel']({ runId: id });
    const cut = await first;
    const done = cut.campaign.cells.filter((x) => x.status === 'done').map((x) => x.id);
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(cut.campaign.cells.some((x) => x.status === 'pending')).toBe(true);
    // …and resumed: the finished cells are not run again.
    const runsBefore = (await engine['runs.list']({ dir })).length;
    const resumed = await engine['campaign.run']({ dir, campaignId: id, resume: true });
    const cells = resumed.campaign.cells;
    expect(cells.map((x) => x.status), JSON.stringify(cells.map((x) => [x.id, x.reason]))).toEqual(cells.map(() => 'done'));
    for (const d of done) expect(cells.find((x) => x.id === d)!.runId).toBe(cut.campaign.cells.find((x) => x.id === d)!.runId);
    expect((await engine['runs.list']({ dir })).length).toBe(runsBefore + cells.length - done.length);
    // The comparison: every kind at both MTUs, sorted by mean RTT, in clusters.
    expect(resumed.analysis.byMtu.map((m) => m.mtu)).toEqual([1500, 9000]);
    for (const m of resumed.analysis.byMtu) {
      expect(m.sorted).toHaveLength(4);
      const means = m.sorted.map((c) => resumed.analysis.cells.find((x) => x.cell === c)!.rtt!.mean);
      expect([...means].sort((a, b) => a - b)).toEqual(means);
      expect(m.clusters.flatMap((c) => c.cells).sort()).toEqual([...m.sorted].sort());
    }
    const wg9000 = resumed.analysis.cells.find((c) => c.kind === 'wireguard' && c.mtu === 9000)!;
    expect(wg9000.throughput['iperf3-tcp:forward']!.mean).toBeGreaterThan(0);
    // Each cell's run says what it was and is tied to the campaign.
    const run9000 = await engine['runs.get']({ dir, runId: wg9000.runId });
    expect(run9000.project.underlayMtu).toBe(9000);
    expect(run9000.campaign).toMatchObject({ id, mtu: 9000 });
    expect(run9000.links[0]!.mtu).toBe(8940);
  }, 600_000);
});
