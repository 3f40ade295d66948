/**
 * Fidelity of link conditions: for each condition set, what was asked against what a link under
 * it really does, figure by figure, with the interval each measurement allows — one table.
 * The link is a bare veth between two network namespaces (no tunnel: the conditions alone),
 * shaped on both ends with shapeDevice's own lines (src/shared/conditions-tc.ts: htb class per
 * peer with a u32 filter, netem leaf), each direction on its sender's egress.
 *
 * Figures: RTT (ping, median and mean with its 95 % interval) against 2 × delay + the bare link's
 * own; RTT spread (standard deviation) against √2 × the one-way jitter's (normal: σ = jitter;
 * uniform: jitter/√3; pareto and paretonormal: netem's tables, σ ≈ jitter); one-way loss (UDP far
 * below any rate, iperf3's server count) against the asked, with the 99.9 % Wilson interval of the
 * packets sent; the rate (UDP offered at 1.6 × the rate) against what the rate leaves for the
 * payload once htb has counted every frame's headers; TCP against the same (sets without loss).
 *
 * This machine's kernel has no netem: only the rate-only sets run here, the others say so. All
 * of them run in the full-kernel VM:
 *   scripts/fullkernel/run.sh -- node scripts/run-ts.mjs bench/conditions.bench.ts
 * (emulated CPU: it carries tens of Mbit/s, not hundreds — the rate sets above what it carries
 * say "CPU-bound", they do not measure the rate).
 * Usage: sudo node scripts/run-ts.mjs bench/conditions.bench.ts [--seconds S] [--sets id,id]. Prints figures only.
 */
import { execFile } from 'node:child_process';
import { presetOf, type Condition } from '../src/shared/conditions.js';
import { shapeDevice, unshapeDevice } from '../src/shared/conditions-tc.js';
import { fig, iperf, medianRtt, ping, tcpGoodputMbit, udpGoodputMbit, wilson, type Exec } from '../tests/conditions/fidelity.js';

const argOf = (name: string): string | undefined => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const SECONDS = Number(argOf('--seconds') ?? 5);
const ONLY = argOf('--sets')?.split(',');

const SETS: { id: string; c: Condition }[] = [
  { id: 'rate 10', c: { rate: 10 } },
  { id: 'rate 50', c: { rate: 50 } },
  { id: 'rate 200', c: { rate: 200 } },
  { id: 'delay 20', c: { delay: 20 } },
  { id: 'delay 20 ± 5 normal', c: { delay: 20, jitter: 5, distribution: 'normal' } },
  { id: 'loss 1', c: { loss: 1 } },
  { id: 'proof: 20 ms, 1 %, 50 Mbit/s', c: { delay: 20, loss: 1, rate: 50 } },
  { id: 'preset isp-wan', c: presetOf('isp-wan')!.link! },
  { id: 'preset constrained-uplink (link)', c: presetOf('constrained-uplink')!.link! },
];

const run = (argv: readonly string[], timeoutMs = 60_000): ReturnType<Exec> =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
const inNs =
  (ns: string): Exec =>
  (argv, t) =>
    run(['ip', 'netns', 'exec', ns, ...argv], t);
const must = async (argv: readonly string[]): Promise<void> => {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
};

const NA = `olcb${process.pid}a`;
const NB = `olcb${process.pid}b`;
const A = '198.18.251.1';
const B = '198.18.251.2';

async function shape(c: Condition): Promise<void> {
  for (const [ns, dev, peer] of [
    [NA, 'cba', B],
    [NB, 'cbb', A],
  ] as const) {
    const { apply } = shapeDevice({ device: dev, mtu: 1500, all: {}, peers: [{ peer: 'other', address: peer, family: 4, condition: c }] });
    const r = await inNs(ns)(['sh', '-c', `set -e\n${apply.join('\n')}`]);
    if (r.code !== 0) throw new Error(`shaping ${dev}: ${r.stderr.trim()}`);
  }
}

const sd = (xs: readonly number[]): number => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
};

interface Row {
  set: string;
  figure: string;
  asked: string;
  measured: string;
  interval: string;
  verdict: string;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const a = inNs(NA);
  const b = inNs(NB);
  await must(['ip', 'netns', 'add', NA]);
  await must(['ip', 'netns', 'add', NB]);
  try {
    await must(['ip', 'link', 'add', 'cba', 'netns', NA, 'type', 'veth', 'peer', 'name', 'cbb', 'netns', NB]);
    for (const [ns, dev, ad] of [
      [NA, 'cba', A],
      [NB, 'cbb', B],
    ] as const) {
      await must(['ip', '-n', ns, 'addr', 'add', `${ad}/24`, 'dev', dev]);
      await must(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const netem = (await a(['tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'])).code === 0;
    await a(['tc', 'qdisc', 'del', 'dev', 'lo', 'root']);
    const kernel = (await run(['uname', '-r'])).stdout.trim();
    process.stdout.write(`kernel ${kernel}: htb yes, netem ${netem ? 'yes' : 'no'}; ${SECONDS} s per throughput figure\n`);
    const bare = await ping(a, B, 50, 0.02);
    const bareUdp = await iperf(a, b, B, ['-u', '-b', '2000M', '-l', '1200'], 2);
    process.stdout.write(`bare link: RTT median ${fig(bare.medianMs)} ms; carries ${fig(bareUdp.mbit)} Mbit/s of UDP\n`);

    for (const { id, c } of SETS) {
      if (ONLY && !ONLY.includes(id)) continue;
      const needsNetem = !!(c.delay || c.jitter || c.loss);
      if (needsNetem && !netem) {
        rows.push({ set: id, figure: '-', asked: '-', measured: '-', interval: '-', verdict: 'skipped: no netem in this kernel (run it in the full-kernel runner)' });
        continue;
      }
      await shape(c);
      const add = (figure: string, asked: string, measured: string, interval: string, verdict: string): void => void rows.push({ set: id, figure, asked, measured, interval, verdict });
      if (c.delay || c.jitter) {
        const r = await a(['ping', '-n', '-c', '200', '-i', '0.02', B], 30_000);
        const times = [...r.stdout.matchAll(/ time=([\d.]+) ms/g)].map((m) => Number(m[1]));
        const want = 2 * (c.delay ?? 0) + bare.medianMs;
        const half = (1.96 * sd(times)) / Math.sqrt(times.length);
        const mean = times.reduce((s, x) => s + x, 0) / times.length;
        add('RTT median (ms)', fig(want), fig(medianRtt(r.stdout)), `mean ${fig(mean)} ± ${fig(half)} (95 %)`, `${fig((100 * (medianRtt(r.stdout) - want)) / want)} %`);
        if (c.jitter) {
          const oneWay = c.distribution === 'uniform' || !c.distribution ? c.jitter / Math.sqrt(3) : c.jitter;
          const wantSd = Math.SQRT2 * oneWay;
          add('RTT spread σ (ms)', fig(wantSd), fig(sd(times)), `n ${times.length}`, `${fig((100 * (sd(times) - wantSd)) / wantSd)} %`);
        }
      }
      if (c.loss) {
        const mbit = Math.min(c.rate ?? 1000, bareUdp.mbit) / 5;
        const u = await iperf(a, b, B, ['-u', '-b', `${mbit.toFixed(2)}M`, '-l', '600'], SECONDS * 2);
        const w = wilson(u.lost!, u.packets!);
        const inside = c.loss / 100 >= w.lo && c.loss / 100 <= w.hi;
        add('one-way loss (%)', fig(c.loss), fig((100 * u.lost!) / u.packets!), `${fig(100 * w.lo)}–${fig(100 * w.hi)} (99.9 %, ${u.packets} packets)`, inside ? 'asked inside' : 'asked OUTSIDE');
      }
      if (c.rate) {
        const model = udpGoodputMbit(c.rate, 1200, 0);
        if (bareUdp.mbit < 1.6 * c.rate) add('UDP goodput (Mbit/s)', fig(model), '-', '-', `CPU-bound: the link carries ${fig(bareUdp.mbit)} unshaped`);
        else {
          const u = await iperf(a, b, B, ['-u', '-b', `${Math.round(1.6 * c.rate)}M`, '-l', '1200'], SECONDS);
          add('UDP goodput (Mbit/s)', fig(model), fig(u.mbit), `offered ${Math.round(1.6 * c.rate)}`, `${fig((100 * (u.mbit - model)) / model)} %`);
          if (!c.loss) {
            const tcpModel = tcpGoodputMbit(c.rate, 1500, 0);
            const t = await iperf(a, b, B, ['-O', '2'], SECONDS + 2);
            add('TCP goodput (Mbit/s)', fig(tcpModel), fig(t.mbit), `${t.retransmits ?? '-'} retransmits`, `${fig((100 * (t.mbit - tcpModel)) / tcpModel)} %`);
          }
        }
      }
      await a(['sh', '-c', unshapeDevice('cba')]);
      await b(['sh', '-c', unshapeDevice('cbb')]);
    }
  } finally {
    await run(['ip', 'netns', 'del', NA]);
    await run(['ip', 'netns', 'del', NB]);
  }
  const cols: (keyof Row)[] = ['set', 'figure', 'asked', 'measured', 'interval', 'verdict'];
  const w = cols.map((k) => Math.max(k.length, ...rows.map((r) => r[k].length)));
  process.stdout.write(`\n${cols.map((k, i) => k.toUpperCase().padEnd(w[i]!)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${cols.map((k, i) => r[k].padEnd(w[i]!)).join('  ')}\n`);
}

await main();
