/**
 * Measurement accuracy and cost, on one VXLAN link of the embedded lab (root):
 *  1. Overlab's RTT mean and TCP throughput against ping and iperf3 run directly on the same
 *     link, in paired rounds whose order alternates so that drift hits both; the per-round ratios'
 *     geometric mean with its 95 % confidence interval, for the series' means and medians, and a
 *     control (the plain tool against itself) that shows how far the lab moves on its own
 *     (target: within 3 %).
 *  2. The time Overlab adds around a test (server start and stop, CPU reads, parsing, saving):
 *     the run's wall time minus the tests' own, as a share of the test duration (target < 5 %).
 *  3. The scheduler on a 6-host VXLAN mesh: wall time of the throughput phase against rounds ×
 *     test duration (target ≤ 1.15).
 * Prints figures only; no assertion.
 *   sudo node scripts/run-ts.mjs bench/measure.bench.ts [--rounds R] [--seconds S] [--mesh-runs M]
 * (RTT in 4R paired rounds, TCP in 2R, the mesh phase M times.)
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { knownHostsPath, labExecArgv, labKeyPath, loadLab } from '../src/engine/lab/lab.js';
import { parseIperf3 } from '../src/shared/measure/iperf3.js';
import { parsePing } from '../src/shared/measure/ping.js';
import { meanInterval } from '../src/shared/stats/index.js';
import type { Topology } from '../src/shared/schema.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';

const arg = (name: string, dflt: number): number => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const ROUNDS = arg('--rounds', 3);
const SECONDS = arg('--seconds', 5);
const MESH_RUNS = arg('--mesh-runs', 2);
const engine = createEngine({ registry: defaultRegistry });
const sh = (argv: string[]): Promise<string> => new Promise((resolve, reject) => execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 << 20 }, (e, out) => (e ? reject(e) : resolve(out))));
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

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
// RTT series are short and the lab's sub-0.1 ms RTTs drift from minute to minute: many paired
// rounds, in an order rotated each round, and the comparison made with its confidence interval.
const RTT_ROUNDS = ROUNDS * 4;
// Lab TCP throughput swings by tens of percent from one 5 s test to the next (a shared machine):
// twice the rounds, the order alternated.
const TCP_ROUNDS = ROUNDS * 2;
const dir = await lab('site-to-site', 2, '198.18.230.0/24', {
  rtt: { tests: [{ tool: 'ping', count: PING.count, interval: PING.interval, size: 56 }], baseline: false, lan: false, repeat: 1 },
  tcp: { tests: [{ tool: 'iperf3', protocol: 'tcp', duration: SECONDS, bitrate: '1G', parallel: 1, bothDirections: false }], baseline: false, lan: false, repeat: 1 },
});
/** One ping series: the mean and the median of its samples (ms). */
interface Series {
  readonly mean: number;
  readonly median: number;
}
const seriesOf = (text: string): Series => {
  const rtts = parsePing(text).samples.map((x) => x.rtt);
  if (rtts.length === 0) throw new Error(`no RTT sample in: ${text.slice(0, 200)}`);
  return { mean: rtts.reduce((s, x) => s + x, 0) / rtts.length, median: median(rtts) };
};
/**
 * Paired ratios a[i] / b[i]: their geometric mean with a 95 % confidence interval (Student's t
 * on the logs, as the rounds are the sample), and whether the interval holds 1.
 */
function ratio(a: readonly number[], b: readonly number[]): string {
  const logs = a.map((x, i) => Math.log(x / b[i]!));
  const m = Math.exp(logs.reduce((s, x) => s + x, 0) / logs.length);
  const ci = meanInterval(logs);
  if (!ci) return m.toFixed(3);
  const [lo, hi] = [Math.exp(ci.low), Math.exp(ci.high)];
  return `${m.toFixed(3)} [95 % CI ${lo.toFixed(3)}–${hi.toFixed(3)}${lo <= 1 && hi >= 1 ? ', holds 1' : ', excludes 1'}]`;
}
const spread = (xs: readonly number[], digits: number): string => `median ${median(xs).toFixed(digits)}, ${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
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
  const rtt = { direct: [] as Series[], ssh: [] as Series[], overlab: [] as Series[] };
  const tcp = { direct: [] as number[], overlab: [] as number[], client: [] as number[], perTest: [] as number[], perRun: [] as number[] };
  const pingArgv = ['ping', '-D', '-n', '-c', String(PING.count), '-i', String(PING.interval), b];
  const exact: number[] = [];
  for (let r = 0; r < RTT_ROUNDS; r++) {
    // Each round runs the three series one after the other; over six rounds every order once.
    const series = [
      async () => rtt.direct.push(seriesOf(await sh(inA(pingArgv)))),
      async () => rtt.ssh.push(seriesOf(await sh(overSsh(pingArgv)))),
      async () => {
        const m1 = await engine['measure.run']({ dir, suite: 'rtt' });
        const res = await engine['runs.get']({ dir, runId: m1.runId });
        const reported = res.summary.paths[`${link.id}.tunnel`]!.rtt!.ms;
        // The series from the raw file Overlab kept; what it reports must be exactly its mean.
        const kept = seriesOf(await fs.readFile(path.join(dir, 'runs', m1.runId, res.tests.find((x) => x.ping)!.raw), 'utf8'));
        rtt.overlab.push({ mean: reported.mean, median: kept.median });
        exact.push(reported.mean / kept.mean);
      },
    ];
    const rotated = [...series.slice(r % 3), ...series.slice(0, r % 3)];
    for (const f of Math.floor(r / 3) % 2 ? rotated.reverse() : rotated) await f();
  }
  for (let r = 0; r < TCP_ROUNDS; r++) {
    const directly = async (): Promise<void> => {
      await sh(inB(['sh', '-c', `iperf3 -s -1 -B ${b} -p 5299 -D --pidfile /run/bench-iperf3.pid; sleep 0.3`]));
      const tClient = Date.now();
      const out = parseIperf3(await sh(inA(['iperf3', '-c', b, '-p', '5299', '-J', '-t', String(SECONDS)])));
      tcp.client.push((Date.now() - tClient) / 1000);
      tcp.direct.push(out.received!.bitsPerSecond / 1e6);
    };
    const byOverlab = async (): Promise<void> => {
      const t0 = Date.now();
      const m2 = await engine['measure.run']({ dir, suite: 'tcp' });
      const wall = (Date.now() - t0) / 1000;
      const res = await engine['runs.get']({ dir, runId: m2.runId });
      tcp.overlab.push(res.summary.paths[`${link.id}.tunnel`]!.throughput['iperf3-tcp:forward']!.mbps.mean);
      const rec = res.tests.find((x) => x.throughput)!;
      tcp.perTest.push(rec.seconds);
      tcp.perRun.push(wall - rec.seconds);
    };
    for (const f of r % 2 ? [byOverlab, directly] : [directly, byOverlab]) await f();
  }
  const means = (xs: readonly Series[]): number[] => xs.map((x) => x.mean);
  const medians = (xs: readonly Series[]): number[] => xs.map((x) => x.median);
  const row = (label: string, xs: readonly Series[]): string => `    ${label.padEnd(24)} series means: ${spread(means(xs), 4)} ms; series medians: ${spread(medians(xs), 4)} ms`;
  console.log(`one VXLAN link: RTT in ${RTT_ROUNDS} paired rounds of ${PING.count}-ping series (per series its mean and its median; across rounds the median and range):`);
  console.log(row('ping directly', rtt.direct));
  console.log(row('ping in an SSH session', rtt.ssh));
  console.log(row('Overlab', rtt.overlab));
  console.log(`  RTT Overlab / ping directly, per round (geometric mean): means ${ratio(means(rtt.overlab), means(rtt.direct))}; medians ${ratio(medians(rtt.overlab), medians(rtt.direct))} (target 0.97–1.03)`);
  console.log(`    Overlab / ping in an SSH session (how Overlab runs it): means ${ratio(means(rtt.overlab), means(rtt.ssh))}; medians ${ratio(medians(rtt.overlab), medians(rtt.ssh))}`);
  console.log(`    control, the plain tool against itself (ping in SSH / ping directly): means ${ratio(means(rtt.ssh), means(rtt.direct))}; medians ${ratio(medians(rtt.ssh), medians(rtt.direct))}`);
  console.log(`    per round, means: directly ${means(rtt.direct).map((x) => x.toFixed(4)).join(', ')}`);
  console.log(`                      Overlab  ${means(rtt.overlab).map((x) => x.toFixed(4)).join(', ')}`);
  console.log(`    Overlab's reported mean / the mean of the samples in the raw output it kept: ${Math.min(...exact).toFixed(6)}–${Math.max(...exact).toFixed(6)}`);
  console.log(`  TCP in ${TCP_ROUNDS} paired rounds (order alternated): iperf3 directly ${spread(tcp.direct, 0)} Mbit/s, Overlab ${spread(tcp.overlab, 0)} Mbit/s`);
  console.log(`    ratio of medians ${(median(tcp.overlab) / median(tcp.direct)).toFixed(3)}; per round (geometric mean) ${ratio(tcp.overlab, tcp.direct)} (target 0.97–1.03)`);
  console.log(`    per round: directly ${tcp.direct.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`               Overlab  ${tcp.overlab.map((x) => x.toFixed(0)).join(', ')}`);
  // Around each test: its server started and stopped, the CPU read on both ends, the output
  // saved — the test's record time (server up to output saved) minus the same iperf3 client run
  // directly (which takes a little longer than its -t itself). Once per run: SSH, preflight, results.
  const added = tcp.perTest.map((x) => x - median(tcp.client));
  console.log(`  the iperf3 client run directly takes ${spread(tcp.client, 3)} s for -t ${SECONDS}; an Overlab test, server up to output saved, ${spread(tcp.perTest, 3)} s`);
  console.log(`  time Overlab adds around each ${SECONDS} s test (server up and down, CPU reads, output saved): ${median(added).toFixed(3)} s = ${((100 * median(added)) / SECONDS).toFixed(1)} % of the test (range ${((100 * Math.min(...added)) / SECONDS).toFixed(1)}–${((100 * Math.max(...added)) / SECONDS).toFixed(1)} %; target < 5 %)`);
  console.log(`  once per run (SSH connections, preflight, results.json): ${median(tcp.perRun).toFixed(2)} s`);
} finally {
  await down(dir);
}

// ---- 3: the scheduler on a 6-host mesh ---------------------------------------------------------
const D = 3;
const mesh = await lab('mesh', 6, '198.18.231.0/24', { tcp: { tests: [{ tool: 'iperf3', protocol: 'tcp', duration: D, bitrate: '1G', parallel: 1, bothDirections: false }], baseline: false, lan: false, repeat: 1 } });
try {
  // The same phase several times: one run's figure moves with what else the machine does.
  const ratios: number[] = [];
  for (let run = 0; run < MESH_RUNS; run++) {
    const m = await engine['measure.run']({ dir: mesh, suite: 'tcp' });
    const r = await engine['runs.get']({ dir: mesh, runId: m.runId });
    const tests = r.tests.filter((t) => t.throughput);
    const rounds = new Set(tests.map((t) => t.round)).size;
    const start = Math.min(...tests.map((t) => Date.parse(t.startedAt)));
    const end = Math.max(...tests.map((t) => Date.parse(t.startedAt) + t.seconds * 1000));
    const wall = (end - start) / 1000;
    const perTest = tests.map((t) => t.seconds);
    ratios.push(wall / (rounds * D));
    console.log(`6-host VXLAN mesh, run ${run + 1}: ${tests.length} TCP tests of ${D} s (${tests.filter((t) => t.error).length} failed), ${rounds} rounds (a full mesh: N − 1 = 5), throughput phase ${wall.toFixed(1)} s against rounds × duration ${rounds * D} s: ratio ${(wall / (rounds * D)).toFixed(3)}`);
    console.log(`  (each test's own wall time, server up to server down: median ${median(perTest).toFixed(2)} s, worst ${Math.max(...perTest).toFixed(2)} s; 3 tests at once share this machine's cores)`);
  }
  console.log(`6-host VXLAN mesh: throughput phase / (rounds × duration) over ${MESH_RUNS} runs: ${spread(ratios, 3)} (target ≤ 1.15)`);
} finally {
  await down(mesh);
}
