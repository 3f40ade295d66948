/**
 * Transaction rate: netperf 2.7.0 TCP_RR and UDP_RR (one byte each way, the next request only
 * after the answer) with omni output selectors (`-- -o`: a CSV header line and a CSV value
 * line), both ends' CPU (-c -C), and, with `iterations`, netperf's confidence interval
 * (`-i max,min -I level,width`: the test is repeated until the interval at `level` % is
 * narrower than `width` % of the mean, or `max` runs). Latencies are netperf's, in µs.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { NETPERF_NEEDS, netserverCommand } from './netperf.js';
import { defineTool } from './tool.js';

export const RR_TESTS = ['TCP_RR', 'UDP_RR'] as const;
export type RrTest = (typeof RR_TESTS)[number];

/** The selectors asked for, in this order (netperf prints them as one CSV line). */
export const RR_SELECTORS = [
  'THROUGHPUT',
  'THROUGHPUT_UNITS',
  'ELAPSED_TIME',
  'MEAN_LATENCY',
  'P50_LATENCY',
  'P99_LATENCY',
  'STDDEV_LATENCY',
  'MIN_LATENCY',
  'MAX_LATENCY',
  'CONFIDENCE_LEVEL',
  'CONFIDENCE_INTERVAL',
  'CONFIDENCE_ITERATION',
  'THROUGHPUT_CONFID',
  'LOCAL_CPU_UTIL',
  'REMOTE_CPU_UTIL',
  'LOCAL_CPU_COUNT',
  'REMOTE_CPU_COUNT',
  'LOCAL_SD',
  'REMOTE_SD',
  'PROTOCOL',
] as const;

export interface NetperfRrRequest {
  readonly address: string;
  /** The netserver's control port. */
  readonly port: number;
  readonly test: RrTest;
  /** Seconds per iteration (-l). */
  readonly duration: number;
  /** Confidence intervals: at most `max` iterations, at least `min` (-i max,min). Without it, one run. */
  readonly iterations?: { readonly max: number; readonly min: number };
  /** Confidence level in % (99 or 95) and the interval's wanted width in % of the mean (-I 99,5). */
  readonly confidence?: { readonly level: 95 | 99; readonly width: number };
}

/** The request's problems, each naming the field and the fix (empty: fine). */
export function checkNetperfRr(r: NetperfRrRequest): string[] {
  const bad: string[] = [];
  if (!RR_TESTS.includes(r.test)) bad.push(`test: "${String(r.test)}"; use one of ${RR_TESTS.join(', ')}`);
  if (!(Number.isInteger(r.duration) && r.duration >= 1 && r.duration <= 3600)) bad.push(`duration: ${r.duration}; use a whole number of seconds from 1 to 3600`);
  const it = r.iterations;
  if (it && !(Number.isInteger(it.max) && Number.isInteger(it.min) && it.min >= 3 && it.max >= it.min && it.max <= 30)) {
    bad.push(`iterations: ${it.max},${it.min}; netperf wants whole numbers with 3 ≤ min ≤ max ≤ 30`);
  }
  const c = r.confidence;
  if (c && !((c.level === 95 || c.level === 99) && c.width > 0 && c.width <= 50)) bad.push(`confidence: ${c.level},${c.width}; use level 95 or 99 and a width from 0 to 50 %`);
  if (!(Number.isInteger(r.port) && r.port > 0 && r.port < 65536)) bad.push(`port: ${r.port}; use 1 to 65535`);
  return bad;
}

export function netperfRrCommand(r: NetperfRrRequest): string {
  const bad = checkNetperfRr(r);
  if (bad.length) throw new Error(`netperf: ${bad.join('; ')}`);
  const argv = ['netperf', '-4', '-H', r.address, '-p', String(r.port), '-t', r.test, '-l', String(r.duration), '-c', '-C', '-P', '0'];
  if (r.iterations) {
    const c = r.confidence ?? { level: 99, width: 5 };
    argv.push('-i', `${r.iterations.max},${r.iterations.min}`, '-I', `${c.level},${c.width}`);
  }
  argv.push('--', '-o', RR_SELECTORS.join(','));
  return argv.map(q).join(' ');
}

/** Seconds netperf runs at most: every iteration, plus set-up. */
export const netperfRrSeconds = (r: NetperfRrRequest): number => r.duration * (r.iterations?.max ?? 1) + 3;

export interface NetperfRrResult {
  readonly tool: 'netperf-rr';
  readonly test: RrTest;
  /** Transactions per second (the mean over iterations with -i). */
  readonly transactionsPerSecond: number;
  readonly meanLatencyUs?: number;
  readonly p50LatencyUs?: number;
  readonly p99LatencyUs?: number;
  readonly stddevLatencyUs?: number;
  readonly minLatencyUs?: number;
  readonly maxLatencyUs?: number;
  /**
   * The confidence interval of the transaction rate (only with -i): at `level` %, the mean is
   * within ± `halfWidthPercent` % (netperf's THROUGHPUT_CONFID is the interval's full width in %
   * of the mean); `iterations` runs were made; `met` says whether the wanted width was reached.
   */
  readonly interval?: { readonly level: number; readonly wantedWidthPercent: number; readonly widthPercent: number; readonly low: number; readonly high: number; readonly iterations: number; readonly met: boolean };
  /** % of all CPUs of each end, and the ends' CPU counts. */
  readonly localCpu?: number;
  readonly remoteCpu?: number;
  readonly localCpus?: number;
  readonly remoteCpus?: number;
  /** µs of CPU per transaction (service demand). */
  readonly localSd?: number;
  readonly remoteSd?: number;
  readonly elapsed?: number;
  readonly error?: string;
}

/**
 * Parses the output of netperfRrCommand. With `-P 0` netperf prints no header: the value line
 * holds the selectors in RR_SELECTORS' order (any "!!!" warning lines around it are skipped).
 */
export function parseNetperfRr(text: string, test: RrTest): NetperfRrResult {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const values = lines.find((l) => l.split(',').length === RR_SELECTORS.length)?.split(',') ?? [];
  const col = new Map<string, string>(RR_SELECTORS.map((name, i) => [name, values[i]?.trim() ?? '']));
  const n = (name: (typeof RR_SELECTORS)[number]): number | undefined => {
    const v = col.get(name);
    if (v === undefined || v === '') return undefined;
    const x = Number(v);
    // netperf prints -1 for what it did not measure.
    return Number.isFinite(x) && x >= 0 ? x : undefined;
  };
  const tps = n('THROUGHPUT');
  if (tps === undefined) {
    const said = lines.find((l) => /establish|could not|refused|error|unable/i.test(l)) ?? lines[0];
    return { tool: 'netperf-rr', test, transactionsPerSecond: 0, error: said ? `netperf: ${said}` : 'netperf printed nothing (is netserver running on the far end?)' };
  }
  const opt = <K extends string>(key: K, v: number | undefined): { [P in K]?: number } => (v === undefined ? {} : ({ [key]: v } as { [P in K]: number }));
  const iterations = n('CONFIDENCE_ITERATION');
  const widthPercent = n('THROUGHPUT_CONFID');
  const level = n('CONFIDENCE_LEVEL');
  const wanted = n('CONFIDENCE_INTERVAL');
  const interval =
    iterations !== undefined && iterations > 1 && widthPercent !== undefined && level !== undefined
      ? { level, wantedWidthPercent: wanted ?? 0, widthPercent, low: tps * (1 - widthPercent / 200), high: tps * (1 + widthPercent / 200), iterations, met: wanted === undefined || widthPercent <= wanted }
      : undefined;
  return {
    tool: 'netperf-rr',
    test,
    transactionsPerSecond: tps,
    ...opt('meanLatencyUs', n('MEAN_LATENCY')),
    ...opt('p50LatencyUs', n('P50_LATENCY')),
    ...opt('p99LatencyUs', n('P99_LATENCY')),
    ...opt('stddevLatencyUs', n('STDDEV_LATENCY')),
    ...opt('minLatencyUs', n('MIN_LATENCY')),
    ...opt('maxLatencyUs', n('MAX_LATENCY')),
    ...(interval ? { interval } : {}),
    ...opt('localCpu', n('LOCAL_CPU_UTIL')),
    ...opt('remoteCpu', n('REMOTE_CPU_UTIL')),
    ...opt('localCpus', n('LOCAL_CPU_COUNT')),
    ...opt('remoteCpus', n('REMOTE_CPU_COUNT')),
    ...opt('localSd', n('LOCAL_SD')),
    ...opt('remoteSd', n('REMOTE_SD')),
    ...opt('elapsed', n('ELAPSED_TIME')),
  };
}

// ---- the tool ------------------------------------------------------------------------------

/** A suite test of transactions (id "rr": test names are matched to tools by prefix, and `netperf-…` are the stream tool's). */
export const RrTestSchema = z.strictObject({
  tool: z.literal('rr'),
  test: z.enum(RR_TESTS),
  /** Seconds per iteration. */
  duration: z.number().int().min(1).max(3600).default(5),
  /** Iterations at most for a confidence interval (-i N,3); 1: one run, no interval. */
  iterations: z.number().int().min(1).max(30).default(1),
  /** Confidence level, %. */
  level: z.union([z.literal(95), z.literal(99)]).default(99),
  /** The interval's wanted width, % of the mean. */
  width: z.number().min(0.1).max(50).default(5),
});
export type RrSuiteTest = z.output<typeof RrTestSchema>;

const rrRequest = (t: RrSuiteTest, address: string, port: number): NetperfRrRequest => ({
  address,
  port,
  test: t.test,
  duration: t.duration,
  ...(t.iterations > 1 ? { iterations: { max: t.iterations, min: 3 }, confidence: { level: t.level, width: t.width } } : {}),
});

/** The figures a parsed test gives, by metric key. */
export function rrValues(r: NetperfRrResult): Record<string, number> {
  if (r.error) return {};
  const v: Record<string, number> = { transactionsPerSecond: r.transactionsPerSecond };
  const put = (k: string, x: number | undefined): void => {
    if (x !== undefined) v[k] = x;
  };
  put('meanLatencyUs', r.meanLatencyUs);
  put('p50LatencyUs', r.p50LatencyUs);
  put('p99LatencyUs', r.p99LatencyUs);
  put('intervalWidthPercent', r.interval?.widthPercent);
  put('localCpuPercent', r.localCpu);
  put('remoteCpuPercent', r.remoteCpu);
  return v;
}

export const rr = defineTool({
  id: 'rr',
  label: 'Transactions (netperf RR)',
  description: 'netperf TCP_RR / UDP_RR: transactions per second, mean, P50 and P99 latency, a confidence interval (-i/-I), both ends’ CPU',
  schema: RrTestSchema,
  mode: 'pair',
  ...NETPERF_NEEDS,
  testName: (t) => `rr-${t.test === 'TCP_RR' ? 'tcp' : 'udp'}`,
  seconds: (t) => netperfRrSeconds(rrRequest(t, '', 1)),
  directions: () => ['forward'],
  server: (_t, bind, port) => ({ command: netserverCommand(bind, port), proto: 'tcp' }),
  client: (t, r) => netperfRrCommand(rrRequest(t, r.path.dst.address, r.port)),
  parse: (t, out) => {
    const res = parseNetperfRr(`${out.stdout}\n${out.stderr}`, t.test);
    return { values: rrValues(res), detail: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [
    { key: 'transactionsPerSecond', label: 'Transactions', unit: 'trans/s', feeds: 'rr', better: 'higher', headline: true },
    { key: 'meanLatencyUs', label: 'Transaction latency, mean', unit: 'µs', feeds: 'rr', better: 'lower' },
    { key: 'p50LatencyUs', label: 'Transaction latency, P50', unit: 'µs', feeds: 'rr', better: 'lower' },
    { key: 'p99LatencyUs', label: 'Transaction latency, P99', unit: 'µs', feeds: 'rr', better: 'lower' },
    { key: 'intervalWidthPercent', label: 'Confidence interval width (transactions)', unit: '%', feeds: 'rr', better: 'lower' },
    { key: 'localCpuPercent', label: 'CPU, client end', unit: '%', feeds: 'cpu', better: 'lower' },
    { key: 'remoteCpuPercent', label: 'CPU, server end', unit: '%', feeds: 'cpu', better: 'lower' },
  ],
});
