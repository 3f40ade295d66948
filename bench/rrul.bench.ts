/**
 * Latency under load: Overlab's figure against the same load run by hand (issue 22).
 * For each kind, a site-to-site on the embedded lab with tbf 50 Mbit/s on both hosts' underlay
 * (root). In paired rounds whose order alternates:
 *  - Overlab: `measure.run` with a suite of one rrul test (idle pings, then 4 TCP flows up);
 *  - by hand: in the same namespaces, `ping` idle, then `iperf3 -P 4` started and `ping` beside
 *    it a second later (the same counts and interval), read with a regex and sorted here.
 * Prints each arm's idle and loaded RTT medians, the bloat, and the ratio Overlab / by hand of the
 * loaded median per round and their geometric mean (target: within 10 %). Then, once per kind,
 * the other new figures through Overlab: loaded RTT with 8 flows down and both ways, iperf3
 * --bidir, netperf TCP_RR/UDP_RR with a 99 % interval, time to first packet after up.sh.
 * Prints figures only; no assertion.
 *   sudo node scripts/run-ts.mjs bench/rrul.bench.ts [--kinds clean,vxlan,...] [--rounds R]
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { run } from '../src/engine/exec.js';
import { labExecArgv, loadLab, type LabLayout } from '../src/engine/lab/lab.js';
import type { RunResults, TestRecord } from '../src/shared/measure/results.js';
import type { NetperfRrResult } from '../src/shared/measure/tools/netperf-rr.js';
import { defaultRegistry } from '../src/shared/tunnels/index.js';
import { newToolsSuite } from '../tests/lab/new-tools-suite.js';

const argOf = (name: string, dflt: string): string => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : dflt);
const KINDS = argOf('--kinds', 'clean,vxlan').split(',');
const ROUNDS = Number(argOf('--rounds', '3'));
const IDLE = 3;
const LOAD = 4;
const INTERVAL = 0.1;
const FLOWS = 4;
const engine = createEngine({ registry: defaultRegistry });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const rtts = (text: string): number[] => [...text.matchAll(/ time=([\d.]+) ms/g)].map((m) => Number(m[1]));
const f = (x: number | undefined, d = 2): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

const SUITES = {
  rrul4: { tests: [{ tool: 'rrul' as const, idle: IDLE, duration: LOAD, flows: [FLOWS], directions: ['up' as const], interval: INTERVAL }], baseline: false, lan: false, repeat: 1 },
  extras: newToolsSuite({ rrul: { idle: 2, duration: 3, flows: [8], directions: ['down', 'both'], interval: INTERVAL }, bulk: { duration: 3, omit: 1 }, iterations: 5 }, [
    { tool: 'handshake' as const, deadline: 20, restart: 'near' as const },
  ]),
};

async function overlab(dir: string, suite: keyof typeof SUITES): Promise<RunResults> {
  const m = await engine['measure.run']({ dir, suite });
  return engine['runs.get']({ dir, runId: m.runId });
}
const tunnelRecord = (r: RunResults, test: string): TestRecord | undefined => r.tests.find((t) => t.test === test && r.paths.find((p) => p.id === t.pathId)?.type === 'tunnel');

/** The same load by hand: an iperf3 server on site-b, on site-a idle pings then pings beside iperf3 -P 4. */
async function byHand(L: LabLayout, address: string): Promise<{ idle: number; loaded: number }> {
  const [cmd, ...args] = labExecArgv(L, 'site-b', ['timeout', '60', 'iperf3', '-s', '-1', '-B', address, '-p', '5399']);
  const server = spawn(cmd!, args, { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const count = Math.round(LOAD / INTERVAL);
    const script = [
      `ping -n -c ${Math.round(IDLE / INTERVAL)} -i ${INTERVAL} ${address}`,
      'echo @@load',
      `iperf3 -c ${address} -p 5399 -t ${LOAD + 2} -P ${FLOWS} >/dev/null 2>&1 & load=$!`,
      'sleep 1',
      `ping -n -c ${count} -i ${INTERVAL} ${address}`,
      'wait "$load"',
    ].join('\n');
    const out = await run(labExecArgv(L, 'site-a', ['timeout', '60', 'sh', '-c', script]));
    const [idle, loaded] = out.stdout.split('@@load');
    return { idle: median(rtts(idle ?? '')), loaded: median(rtts(loaded ?? '')) };
  } finally {
    if (server.exitCode === null) server.kill('SIGTERM');
  }
}

interface KindFigures {
  kind: string;
  idleO: number[];
  loadedO: number[];
  idleH: number[];
  loadedH: number[];
  extras?: RunResults;
}

async function measureKind(kind: string, n: number): Promise<KindFigures> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-rrul-bench-'));
  const out: KindFigures = { kind, idleO: [], loadedO: [], idleH: [], loadedH: [] };
  try {
    const t = (await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind })).topology!;
    await engine['project.save']({ dir, topology: { ...t, lab: { management: `198.18.${232 + n}.0/24` }, measurement: { ...t.measurement, suites: SUITES } } });
    await engine['lab.up']({ dir });
    const d = await engine['deploy.apply']({ dir });
    if (!d.ok) throw new Error(`${kind}: deploy failed: ${JSON.stringify(d.hosts.filter((h) => h.status === 'failed'))}`);
    const topo = (await engine['project.open']({ dir })).topology!;
    const L = (await loadLab(dir, topo, (await engine['plan.compute']({ dir })).plan!))!;
    for (const host of ['site-a', 'site-b']) await run(labExecArgv(L, host, ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', '50mbit', 'burst', '32kbit', 'latency', '50ms']));
    let address = '';
    for (let round = 0; round < ROUNDS; round++) {
      const arms = round % 2 === 0 ? ['overlab', 'hand'] : ['hand', 'overlab'];
      for (const arm of arms) {
        if (arm === 'overlab') {
          const r = await overlab(dir, 'rrul4');
          const rec = tunnelRecord(r, 'rrul');
          address = r.paths.find((p) => p.type === 'tunnel')!.dst.address;
          if (!rec?.values || rec.error) throw new Error(`${kind}: rrul failed: ${rec?.error ?? 'no record'}`);
          out.idleO.push(rec.values.idleRttMedian!);
          out.loadedO.push(rec.values[`loadedRttMedianUp${FLOWS}`]!);
        } else {
          if (!address) address = (await overlab(dir, 'rrul4')).paths.find((p) => p.type === 'tunnel')!.dst.address;
          const h = await byHand(L, address);
          out.idleH.push(h.idle);
          out.loadedH.push(h.loaded);
        }
      }
    }
    out.extras = await overlab(dir, 'extras');
  } finally {
    await engine['deploy.teardown']({ dir }).catch(() => undefined);
    await engine['lab.down']({ dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
  return out;
}

const geo = (xs: readonly number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

console.log(`latency under load on the embedded lab, tbf 50 Mbit/s each way, ${FLOWS} TCP flows up, ${ROUNDS} paired rounds per kind (ms)`);
for (const [n, kind] of KINDS.entries()) {
  let k: KindFigures;
  try {
    k = await measureKind(kind, n);
  } catch (e) {
    console.log(`\n${kind}: ${e instanceof Error ? e.message : String(e)}`);
    continue;
  }
  const ratios = k.loadedO.map((x, i) => x / k.loadedH[i]!);
  console.log(`\n${kind}`);
  console.log(`  Overlab : idle median ${k.idleO.map((x) => f(x, 3)).join(' ')}  loaded median ${k.loadedO.map((x) => f(x)).join(' ')}  bloat ${f(median(k.loadedO) - median(k.idleO))}`);
  console.log(`  by hand : idle median ${k.idleH.map((x) => f(x, 3)).join(' ')}  loaded median ${k.loadedH.map((x) => f(x)).join(' ')}  bloat ${f(median(k.loadedH) - median(k.idleH))}`);
  console.log(`  ratio Overlab / by hand, loaded median, per round: ${ratios.map((x) => f(x, 3)).join(' ')}; geometric mean ${f(geo(ratios), 3)} (target 0.90–1.10)`);
  const r = k.extras!;
  const v = (test: string): Readonly<Record<string, number>> => tunnelRecord(r, test)?.values ?? {};
  const err = (test: string): string => (tunnelRecord(r, test)?.error ? ` (${tunnelRecord(r, test)!.error})` : '');
  const rr = (test: string): string => {
    const d = tunnelRecord(r, test)?.detail as NetperfRrResult | undefined;
    return d?.interval ? `${f(d.transactionsPerSecond, 0)} trans/s [${f(d.interval.low, 0)}, ${f(d.interval.high, 0)}] at 99 % (${d.interval.iterations} runs), P50 ${f(d.p50LatencyUs, 0)} µs, P99 ${f(d.p99LatencyUs, 0)} µs` : `—${err(test)}`;
  };
  const u = v('rrul');
  console.log(`  8 flows: loaded median down ${f(u.loadedRttMedianDown8)} / both ${f(u.loadedRttMedianBoth8)} (idle ${f(u.idleRttMedian, 3)}); throughput down ${f(u.loadMbpsDown8, 1)} / both ${f(u.loadMbpsBoth8, 1)} Mbit/s${err('rrul')}`);
  const b = v('bulk-tcp-bidir');
  console.log(`  --bidir: ${f(b.forwardMbps, 1)} + ${f(b.backwardMbps, 1)} = ${f(b.sumMbps, 1)} Mbit/s; CPU per Gbit/s client ${f(b.cpuClientPerGbit, 3)} server ${f(b.cpuServerPerGbit, 3)} cores${err('bulk-tcp-bidir')}`);
  console.log(`  TCP_RR: ${rr('rr-tcp')}`);
  console.log(`  UDP_RR: ${rr('rr-udp')}`);
  const h = v('handshake');
  console.log(`  time to first packet after up.sh: ${f(h.firstPacketSeconds, 3)} s (up.sh ${f(h.upSeconds, 3)} s)${err('handshake')}`);
}
