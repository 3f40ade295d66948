/**
 * Measurement accuracy and cost, on one VXLAN link of the embedded lab (root):
 *  1. Overlab's RTT mean and TCP throughput against ping and iperf3 run directly on the same
 *     link, alternating (direct, Overlab, direct, …) so that drift hits both; ratios (target:
 *     within 3 %).
 *  2. The time Overlab adds around a test (server start and stop, CPU reads, parsing, saving):
 *     the run's wall time minus the tests' own, as a share of the test duration (target < 5 %).
 *  3. The scheduler on a 6-host VXLAN mesh: wall time of the throughput phase against rounds ×
 *     test duration (target ≤ 1.15).
 * Prints figures only; no assertion.
 *   sudo node scripts/run-ts.mjs bench/measure.bench.ts [--rounds R] [--seconds S]
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { knownHostsPath, labExecArgv, labKeyPath, loadLab } from '../src/engine/lab/lab.js';
import { parseIperf3 } from '../src/shared/measure/iperf3.js';
import { parsePing } from '../src/shared/measure/ping.js';
import type { Topology } from '../src/shared/schema.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';

const arg = (name: string, dflt: number): number => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const ROUNDS = arg('--rounds', 3);
const SECONDS = arg('--seconds', 5);
const engine = createEngine({ registry: defaultRegistry });
const sh = (argv: string[]): Promise<string> => new Promise((resolve, reject) => execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 << 20 }, (e, out) => (e ? reject(e) : resolve(out))));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function lab(template: 'site-to-site' | 'mesh', hosts: number, management: string, suites: Topology['measurement']['suites']): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-measure-bench-'));
  const t = (await engine['project.create']({ dir, template, hosts, kind: 'vxlan' })).topology!;
  await engine['project.save']({ dir, topology: { ...t, lab: { management }, measurement: { ...t.measurement, suites } } });
  await engine['lab.up']({ dir });
  const d = await engine['deploy.apply']({ dir });
  if (!d.ok) throw new Error(JSON.stringify(d.hosts));
  return dir;
}

async function down(dir: string): Promise<void> {
  await engine['deploy.teardown']({ dir }).catch(() => undefined);
  await engine['lab.down']({ dir }).catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
}

// ---- 1 and 2: one link --------------------------------------------------------------------
const PING = { count: 100, interval: 0.02 };
// RTT series are short and the lab's sub-0.1 ms RTTs drift from minute to minute: many paired rounds.
const RTT_ROUNDS = ROUNDS * 4;
const dir = await lab('site-to-site', 2, '198.18.230.0/24', {
  rtt: { tests: [{ tool: 'ping', count: PING.count, interval: PING.interval, size: 56 }], baseline: false, lan: false, repeat: 1 },
  tcp: { tests: [{ tool: 'iperf3', protocol: 'tcp', duration: SECONDS, bitrate: '1G', parallel: 1, bothDirections: false }], baseline: false, lan: false, repeat: 1 },
});
try {
  const t = (await engine['project.open']({ dir })).topology!;
  const plan = (await engine['plan.compute']({ dir })).plan!;
  const L = (await loadLab(dir, t, plan))!;
  const link = plan.links[0]!;
  const b = link.addresses.b.split('/')[0]!;
  const inA = (argv: string[]): string[] => labExecArgv(L, link.a, argv);
  const inB = (argv: string[]): string[] => labExecArgv(L, link.b, argv);

  // The same ping in an SSH session on the host, as Overlab runs it (OpenSSH's client here).
  const mgmtA = L.hosts.find((h) => h.name === link.a)!.mgmtAddress;
  const overSsh = (argv: string[]): string[] => ['ssh', '-F', '/dev/null', '-i', labKeyPath(dir), '-o', `UserKnownHostsFile=${knownHostsPath(dir)}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', `root@${mgmtA}`, argv.join(' ')];
  const direct = { rtt: [] as number[], rttSsh: [] as number[], tcp: [] as number[], client: [] as number[] };
  const overlab = { rtt: [] as number[], tcp: [] as number[], perTest: [] as number[], perRun: [] as number[] };
  const meanOf = (text: string): number => {
    const p = parsePing(text);
    return p.samples.reduce((sum, x) => sum + x.rtt, 0) / p.samples.length;
  };
  const pingArgv = ['ping', '-D', '-n', '-c', String(PING.count), '-i', String(PING.interval), b];
  const exact: number[] = [];
  for (let r = 0; r < RTT_ROUNDS; r++) {
    // Each round runs the three series one after the other, in an order that alternates.
    const series = [
      async () => direct.rtt.push(meanOf(await sh(inA(pingArgv)))),
      async () => direct.rttSsh.push(meanOf(await sh(overSsh(pingArgv)))),
      async () => {
        const m1 = await engine['measure.run']({ dir, suite: 'rtt' });
        const res = await engine['runs.get']({ dir, runId: m1.runId });
        const reported = res.summary.paths[`${link.id}.tunnel`]!.rtt!.ms.mean;
        overlab.rtt.push(reported);
        // What Overlab reports against the mean of what ping printed, from the raw file it kept.
        exact.push(reported / meanOf(await fs.readFile(path.join(dir, 'runs', m1.runId, res.tests.find((x) => x.ping)!.raw), 'utf8')));
      },
    ];
    for (const f of r % 2 ? series.reverse() : series) await f();
  }
  for (let r = 0; r < ROUNDS; r++) {
    await sh(inB(['sh', '-c', `iperf3 -s -1 -B ${b} -p 5299 -D --pidfile /run/bench-iperf3.pid; sleep 0.3`]));
    const tClient = Date.now();
    const tcp = parseIperf3(await sh(inA(['iperf3', '-c', b, '-p', '5299', '-J', '-t', String(SECONDS)])));
    direct.client.push((Date.now() - tClient) / 1000);
    direct.tcp.push(tcp.received!.bitsPerSecond / 1e6);
    const t0 = Date.now();
    const m2 = await engine['measure.run']({ dir, suite: 'tcp' });
    const wall = (Date.now() - t0) / 1000;
    const res = await engine['runs.get']({ dir, runId: m2.runId });
    overlab.tcp.push(res.summary.paths[`${link.id}.tunnel`]!.throughput['iperf3-tcp:forward']!.mbps.mean);
    // Around each test: its server started and stopped, the CPU read on both ends, the output
    // saved — the test's record time minus the same iperf3 client run directly (which takes a
    // little longer than its -t itself). Once per run: SSH, preflight, results.
    const rec = res.tests.find((x) => x.throughput)!;
    overlab.perTest.push(rec.seconds - direct.client.at(-1)!);
    overlab.perRun.push(wall - rec.seconds);
  }
  const paired = overlab.rtt.map((x, i) => x / direct.rtt[i]!);
  const pairedSsh = overlab.rtt.map((x, i) => x / direct.rttSsh[i]!);
  const tcpRatio = median(overlab.tcp) / median(direct.tcp);
  console.log(`one VXLAN link: RTT in ${RTT_ROUNDS} rounds of ${PING.count}-ping series, TCP in ${ROUNDS} rounds (medians):`);
  console.log(`  RTT mean: ping directly ${median(direct.rtt).toFixed(4)} ms, Overlab ${median(overlab.rtt).toFixed(4)} ms; Overlab / direct per round, median ${median(paired).toFixed(3)} (target 0.97–1.03)`);
  console.log(`    per round: directly ${direct.rtt.map((x) => x.toFixed(4)).join(', ')}`);
  console.log(`               Overlab  ${overlab.rtt.map((x) => x.toFixed(4)).join(', ')}`);
  console.log(`    the same ping in an SSH session on the host (how Overlab runs it): ${median(direct.rttSsh).toFixed(4)} ms; Overlab / it per round, median ${median(pairedSsh).toFixed(3)}`);
  console.log(`    Overlab's reported mean / the mean of the samples in the raw output it kept: ${Math.min(...exact).toFixed(6)}–${Math.max(...exact).toFixed(6)}`);
  console.log(`  TCP: iperf3 directly ${median(direct.tcp).toFixed(0)} Mbit/s, Overlab ${median(overlab.tcp).toFixed(0)} Mbit/s, ratio ${tcpRatio.toFixed(3)} (target 0.97–1.03)`);
  console.log(`  the iperf3 client run directly takes ${median(direct.client).toFixed(2)} s for -t ${SECONDS}`);
  console.log(`  time Overlab adds around each ${SECONDS} s test (server up and down, CPU reads, output saved): ${median(overlab.perTest).toFixed(3)} s = ${((100 * median(overlab.perTest)) / SECONDS).toFixed(1)} % of the test (target < 5 %)`);
  console.log(`  once per run (SSH connections, preflight, results.json): ${median(overlab.perRun).toFixed(2)} s`);
} finally {
  await down(dir);
}

// ---- 3: the scheduler on a 6-host mesh ---------------------------------------------------------
const D = 3;
const mesh = await lab('mesh', 6, '198.18.231.0/24', { tcp: { tests: [{ tool: 'iperf3', protocol: 'tcp', duration: D, bitrate: '1G', parallel: 1, bothDirections: false }], baseline: false, lan: false, repeat: 1 } });
try {
  const m = await engine['measure.run']({ dir: mesh, suite: 'tcp' });
  const r = await engine['runs.get']({ dir: mesh, runId: m.runId });
  const tests = r.tests.filter((t) => t.throughput);
  const rounds = new Set(tests.map((t) => t.round)).size;
  const start = Math.min(...tests.map((t) => Date.parse(t.startedAt)));
  const end = Math.max(...tests.map((t) => Date.parse(t.startedAt) + t.seconds * 1000));
  const wall = (end - start) / 1000;
  const perTest = tests.map((t) => t.seconds);
  console.log(`  (each test's own wall time, server up to server down: median ${median(perTest).toFixed(2)} s, worst ${Math.max(...perTest).toFixed(2)} s; 3 tests at once share this machine's cores)`);
  console.log(`6-host VXLAN mesh, ${tests.length} TCP tests of ${D} s: ${rounds} rounds (a full mesh: N − 1 = 5), throughput phase ${wall.toFixed(1)} s against rounds × duration ${rounds * D} s: ratio ${(wall / (rounds * D)).toFixed(2)} (target ≤ 1.15)`);
} finally {
  await down(mesh);
}
