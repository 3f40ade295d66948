/**
 * Latency under load (Flent's RRUL pattern, with Overlab's own tools): one script on the
 * client host pings the far end while idle, then while N TCP flows (iperf3 -P N) saturate the
 * path upload, download (-R) and both at once (--bidir), for each N. Each phase's output is
 * framed by a marker line so one parser splits it; iperf3 writes its JSON to a file of its own
 * during the phase (ping and iperf3 run at once) and the script prints it after. The result is
 * idle and loaded RTT (median, p95, p99), the bloat the load adds (loaded − idle), and the
 * throughput the load achieved.
 */
import { quantileSorted } from 'simple-statistics';
import { z } from 'zod';
import { q } from '../../shell.js';
import { iperf3OptionsServerCommand, parseIperf3Options } from './iperf3-bidir.js';
import { parsePing } from './ping.js';
import { defineTool, type Metric } from './tool.js';

export const RRUL_DIRECTIONS = ['up', 'down', 'both'] as const;
export type RrulDirection = (typeof RRUL_DIRECTIONS)[number];
/** The flow counts the tool declares figures for (and runs by default). */
export const RRUL_FLOWS = [1, 4, 8] as const;

export interface RrulRequest {
  /** The far end's address (tunnel address for a tunnel path). */
  readonly address: string;
  /** Its iperf3 server's port (one server: the phases run one after another). */
  readonly port: number;
  /** Seconds of idle pings before any load. */
  readonly idleSeconds: number;
  /** Seconds of pings during each load phase (the load starts a second earlier: slow start). */
  readonly loadSeconds: number;
  /** Flow counts, e.g. [1, 4, 8]. */
  readonly flows: readonly number[];
  readonly directions: readonly RrulDirection[];
  /** Seconds between pings (below 0.2 needs root on the client host). */
  readonly pingInterval: number;
}

/** The marker that opens each part of the output: `### overlab-rrul <part> [flows=N direction=D]`. */
const MARK = '### overlab-rrul';

/** The request's problems, each naming the field and the fix (empty: fine). */
export function checkRrul(r: RrulRequest): string[] {
  const bad: string[] = [];
  if (!(r.idleSeconds >= 1 && r.idleSeconds <= 600)) bad.push(`idleSeconds: ${r.idleSeconds}; use 1 to 600 seconds`);
  if (!(r.loadSeconds >= 1 && r.loadSeconds <= 600)) bad.push(`loadSeconds: ${r.loadSeconds}; use 1 to 600 seconds`);
  if (r.flows.length === 0 || r.flows.some((n) => !(Number.isInteger(n) && n >= 1 && n <= 128))) bad.push(`flows: [${r.flows.join(', ')}]; list whole numbers from 1 to 128, e.g. [1, 4, 8]`);
  if (r.directions.length === 0 || r.directions.some((d) => !RRUL_DIRECTIONS.includes(d))) bad.push(`directions: [${r.directions.join(', ')}]; list some of ${RRUL_DIRECTIONS.join(', ')}`);
  if (!(r.pingInterval >= 0.01 && r.pingInterval <= 10)) bad.push(`pingInterval: ${r.pingInterval}; use 0.01 to 10 seconds`);
  if (!(Number.isInteger(r.port) && r.port > 0 && r.port < 65536)) bad.push(`port: ${r.port}; use 1 to 65535`);
  return bad;
}

const pings = (address: string, seconds: number, interval: number): string =>
  ['ping', '-D', '-n', '-c', String(Math.max(1, Math.round(seconds / interval))), '-i', String(interval), '-W', '1', address].map(q).join(' ');

/** The phases in the order the script runs them. */
export const rrulPhases = (r: RrulRequest): { flows: number; direction: RrulDirection }[] => r.flows.flatMap((flows) => r.directions.map((direction) => ({ flows, direction })));

/** The whole script (POSIX sh, one line of `;`-separated commands), run on the client host. */
export function rrulCommand(r: RrulRequest): string {
  const bad = checkRrul(r);
  if (bad.length) throw new Error(`rrul: ${bad.join('; ')}`);
  const lines = [
    // A folder of its own for the phase's iperf3 JSON, removed whatever happens.
    'd=$(mktemp -d) || exit 1',
    "trap 'rm -rf \"$d\"' EXIT",
    `echo ${q(`${MARK} idle`)}`,
    `${pings(r.address, r.idleSeconds, r.pingInterval)} 2>&1`,
  ];
  for (const { flows, direction } of rrulPhases(r)) {
    const dir = direction === 'down' ? ['-R'] : direction === 'both' ? ['--bidir'] : [];
    const iperf = ['iperf3', '-c', r.address, '-p', String(r.port), '-J', '-i', '1', '-t', String(r.loadSeconds + 1), '-O', '1', '-P', String(flows), ...dir].map(q).join(' ');
    lines.push(
      `echo ${q(`${MARK} load flows=${flows} direction=${direction}`)}`,
      `${iperf} > "$d/iperf3.json" 2>&1 & load=$!`,
      // Pings start once the flows are past slow start (-O 1 leaves that second out of the totals too).
      'sleep 1',
      `${pings(r.address, r.loadSeconds, r.pingInterval)} 2>&1`,
      'wait "$load"',
      `echo ${q(`${MARK} iperf3 flows=${flows} direction=${direction}`)}`,
      'cat "$d/iperf3.json"',
    );
  }
  lines.push(`echo ${q(`${MARK} end`)}`);
  // One line: it goes through `sh -c` as one quoted word, which may hold no line break.
  return lines.join('; ');
}

/** Seconds the script runs at most. */
export const rrulSeconds = (r: RrulRequest): number => r.idleSeconds + 2 + rrulPhases(r).length * (r.loadSeconds + 1 + 5);

/** RTT figures of one series, ms. */
export interface RttFigures {
  readonly samples: number;
  readonly lossPercent: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
}

export interface RrulPhase {
  readonly flows: number;
  readonly direction: RrulDirection;
  readonly rtt?: RttFigures;
  /** Loaded − idle, ms (the bloat the load adds). */
  readonly bloat?: { readonly median: number; readonly p95: number; readonly p99: number };
  /** What the load carried, bits/s, as the receivers saw it (`both`: up + down). */
  readonly throughput?: { readonly up?: number; readonly down?: number; readonly total: number };
  readonly error?: string;
}

export interface RrulResult {
  readonly tool: 'rrul';
  readonly idle?: RttFigures;
  readonly phases: readonly RrulPhase[];
  /** No end marker: the script was cut short. */
  readonly partial?: true;
  readonly error?: string;
}

function rttFigures(text: string): RttFigures | string {
  const p = parsePing(text);
  const rtts = p.samples.filter((s) => !s.dup).map((s) => s.rtt).sort((a, b) => a - b);
  if (rtts.length === 0) return p.error ?? 'no ping reply';
  return { samples: rtts.length, lossPercent: p.lossPercent, median: quantileSorted(rtts, 0.5), p95: quantileSorted(rtts, 0.95), p99: quantileSorted(rtts, 0.99) };
}

/** Splits the script's output at its markers and reads each part. */
export function parseRrul(text: string): RrulResult {
  const parts: { head: string; body: string[] }[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(MARK)) parts.push({ head: line.slice(MARK.length).trim(), body: [] });
    else parts.at(-1)?.body.push(line);
  }
  if (parts.length === 0) return { tool: 'rrul', phases: [], error: `the script printed no "${MARK}" marker${text.trim() ? `: ${text.trim().split('\n')[0]}` : ''}` };
  let idle: RttFigures | undefined;
  let idleError: string | undefined;
  const phases = new Map<string, { flows: number; direction: RrulDirection; ping?: string; iperf3?: string }>();
  for (const { head, body } of parts) {
    const m = /^(load|iperf3) flows=(\d+) direction=(up|down|both)$/.exec(head);
    if (head === 'idle') {
      const f = rttFigures(body.join('\n'));
      if (typeof f === 'string') idleError = f;
      else idle = f;
    } else if (m) {
      const key = `${m[2]} ${m[3]}`;
      const ph = phases.get(key) ?? { flows: Number(m[2]), direction: m[3] as RrulDirection };
      phases.set(key, m[1] === 'load' ? { ...ph, ping: body.join('\n') } : { ...ph, iperf3: body.join('\n') });
    }
  }
  const out = [...phases.values()].map((ph): RrulPhase => {
    const f = ph.ping !== undefined ? rttFigures(ph.ping) : 'no pings during the load';
    const errors: string[] = [];
    if (typeof f === 'string') errors.push(`ping: ${f}`);
    let throughput: RrulPhase['throughput'];
    if (ph.iperf3 === undefined) errors.push('iperf3: no output (cut short)');
    else {
      const t = parseIperf3Options(ph.iperf3);
      if (t.error) errors.push(`iperf3: ${t.error}`);
      else if (t.forward) {
        const fwd = t.forward.bitsPerSecond;
        throughput = ph.direction === 'both' ? { up: fwd, down: t.backward?.bitsPerSecond ?? 0, total: t.sumBitsPerSecond ?? fwd } : ph.direction === 'down' ? { down: fwd, total: fwd } : { up: fwd, total: fwd };
      }
    }
    const rtt = typeof f === 'string' ? undefined : f;
    return {
      flows: ph.flows,
      direction: ph.direction,
      ...(rtt ? { rtt } : {}),
      ...(rtt && idle ? { bloat: { median: rtt.median - idle.median, p95: rtt.p95 - idle.p95, p99: rtt.p99 - idle.p99 } } : {}),
      ...(throughput ? { throughput } : {}),
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  });
  const partial = !parts.some((p) => p.head === 'end');
  const error = idleError ? `idle ping: ${idleError}` : out.length > 0 && out.every((p) => p.error) ? `every load phase failed (${out[0]!.error})` : undefined;
  return { tool: 'rrul', ...(idle ? { idle } : {}), phases: out, ...(partial ? { partial: true as const } : {}), ...(error ? { error } : {}) };
}

// ---- the tool ------------------------------------------------------------------------------

export const RrulTest = z.strictObject({
  tool: z.literal('rrul'),
  /** Seconds of idle pings. */
  idle: z.number().min(1).max(600).default(5),
  /** Seconds of pings in each load phase. */
  duration: z.number().min(1).max(600).default(5),
  flows: z.array(z.number().int().min(1).max(128)).min(1).max(8).default([...RRUL_FLOWS]),
  directions: z.array(z.enum(RRUL_DIRECTIONS)).min(1).default(['up', 'down', 'both']),
  /** Seconds between pings; below 0.2 needs root on the client host. */
  interval: z.number().min(0.01).max(10).default(0.1),
});
export type RrulTest = z.output<typeof RrulTest>;

const DIR_LABEL: Record<RrulDirection, string> = { up: 'upload', down: 'download', both: 'both ways' };
const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);
/** The key of a phase's figure in `values`: `loadedRttMedianUp8`, `bloatMedianBoth4`, `loadMbpsDown1`. */
export const phaseKey = (figure: string, direction: RrulDirection, flows: number): string => `${figure}${cap(direction)}${flows}`;

function phaseMetrics(flows: readonly number[], directions: readonly RrulDirection[]): Metric[] {
  return flows.flatMap((n) =>
    directions.flatMap((d): Metric[] => {
      const under = `(${n} flow${n > 1 ? 's' : ''} ${DIR_LABEL[d]})`;
      return [
        { key: phaseKey('loadedRttMedian', d, n), label: `Loaded RTT median ${under}`, unit: 'ms', feeds: 'latency-under-load', better: 'lower', headline: true },
        { key: phaseKey('loadedRttP95', d, n), label: `Loaded RTT p95 ${under}`, unit: 'ms', feeds: 'latency-under-load', better: 'lower', headline: true },
        { key: phaseKey('loadedRttP99', d, n), label: `Loaded RTT p99 ${under}`, unit: 'ms', feeds: 'latency-under-load', better: 'lower' },
        { key: phaseKey('bloatMedian', d, n), label: `Bloat, median ${under}`, unit: 'ms', feeds: 'latency-under-load', better: 'lower' },
        { key: phaseKey('loadMbps', d, n), label: `Throughput under load ${under}`, unit: 'Mbit/s', feeds: 'throughput', better: 'higher' },
      ];
    }),
  );
}

/** The figures a parsed run gives, by metric key. */
export function rrulValues(r: RrulResult): Record<string, number> {
  const v: Record<string, number> = {};
  if (r.idle) Object.assign(v, { idleRttMedian: r.idle.median, idleRttP95: r.idle.p95, idleRttP99: r.idle.p99 });
  for (const p of r.phases) {
    if (p.rtt) Object.assign(v, { [phaseKey('loadedRttMedian', p.direction, p.flows)]: p.rtt.median, [phaseKey('loadedRttP95', p.direction, p.flows)]: p.rtt.p95, [phaseKey('loadedRttP99', p.direction, p.flows)]: p.rtt.p99 });
    if (p.bloat) v[phaseKey('bloatMedian', p.direction, p.flows)] = p.bloat.median;
    if (p.throughput) v[phaseKey('loadMbps', p.direction, p.flows)] = p.throughput.total / 1e6;
  }
  return v;
}

const request = (t: RrulTest, address: string, port: number): RrulRequest => ({ address, port, idleSeconds: t.idle, loadSeconds: t.duration, flows: t.flows, directions: t.directions, pingInterval: t.interval });

export const rrul = defineTool({
  id: 'rrul',
  label: 'Latency under load',
  description: 'RTT idle and while 1, 4 and 8 TCP flows load the path up, down and both ways (RRUL): median, p95, p99 and the bloat',
  schema: RrulTest,
  mode: 'pair',
  binaries: () => ({ client: ['ping', 'iperf3', 'mktemp'], server: ['iperf3'] }),
  packages: { ping: 'iputils-ping', iperf3: 'iperf3', mktemp: 'coreutils' },
  testName: () => 'rrul',
  seconds: (t) => rrulSeconds(request(t, '', 1)),
  // The script loads both directions itself.
  directions: () => ['forward'],
  withDuration: (t, d) => ({ ...t, duration: d, idle: d }),
  // One server for every phase (they run one after another): not iperf3's one-test server.
  server: (_t, bind, port) => ({ command: iperf3OptionsServerCommand(bind, port), proto: 'tcp' }),
  client: (t, r) => ['sh', '-c', rrulCommand(request(t, r.path.dst.address, r.port))].map(q).join(' '),
  parse: (_t, out) => {
    const res = parseRrul(out.stdout);
    return { values: rrulValues(res), detail: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [
    { key: 'idleRttMedian', label: 'Idle RTT median', unit: 'ms', feeds: 'rtt', better: 'lower', headline: true },
    { key: 'idleRttP95', label: 'Idle RTT p95', unit: 'ms', feeds: 'rtt', better: 'lower', headline: true },
    { key: 'idleRttP99', label: 'Idle RTT p99', unit: 'ms', feeds: 'rtt', better: 'lower' },
    ...phaseMetrics(RRUL_FLOWS, RRUL_DIRECTIONS),
  ],
});
