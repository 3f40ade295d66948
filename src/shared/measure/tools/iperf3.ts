/**
 * iperf3 with `-J`: the command (client side) and a parser of its JSON. One test reports its
 * per-interval series, both ends' totals, TCP retransmits, UDP jitter and loss, and iperf3's
 * own CPU figures for both ends. Errors (refused, server busy, killed mid-test) arrive in the
 * JSON's `error` field, with whatever intervals were measured before.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { amountSeconds, defineTool, rateField, throughputFields } from './tool.js';
import type { ThroughputInterval, ThroughputResult } from '../types.js';

export interface Iperf3Request {
  readonly address: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** Seconds (-t), unless `bytes` is given. */
  readonly duration?: number;
  /** A fixed amount to send (-n), e.g. "100M" (the paper sent 100 MB). */
  readonly bytes?: string;
  /** UDP target rate (-b), e.g. "100M". */
  readonly bitrate?: string;
  readonly parallel?: number;
  /** The server sends (-R). */
  readonly reverse?: boolean;
  /** Seconds per reported interval (-i). */
  readonly interval?: number;
  readonly bind?: string;
}

export function iperf3ClientCommand(r: Iperf3Request): string {
  const argv = ['iperf3', '-c', r.address, '-p', String(r.port), '-J', '-i', String(r.interval ?? 0.5)];
  if (r.bytes) argv.push('-n', r.bytes);
  else argv.push('-t', String(r.duration ?? 10));
  if (r.protocol === 'udp') argv.push('-u', '-b', r.bitrate ?? '1G');
  if (r.parallel && r.parallel > 1) argv.push('-P', String(r.parallel));
  if (r.reverse) argv.push('-R');
  if (r.bind) argv.push('-B', r.bind);
  return argv.map(q).join(' ');
}

/** What an iperf3 test needs: iperf3 at both ends. */
export const IPERF3_NEEDS = {
  binaries: () => ({ client: ['iperf3'], server: ['iperf3'] }),
  packages: { iperf3: 'iperf3' },
} as const;

/** The server for one test: it serves one client (-1) and exits (Overlab starts it in the background and stops it in any case). */
export function iperf3ServerCommand(bind: string, port: number): string {
  return ['iperf3', '-s', '-1', '-B', bind, '-p', String(port)].map(q).join(' ');
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function interval(sum: Json): ThroughputInterval | undefined {
  const start = num(sum.start);
  const end = num(sum.end);
  const bytes = num(sum.bytes);
  const bps = num(sum.bits_per_second);
  if (start === undefined || end === undefined || bytes === undefined || bps === undefined) return undefined;
  return { start, end, bytes, bitsPerSecond: bps, ...(num(sum.retransmits) !== undefined ? { retransmits: num(sum.retransmits)! } : {}), ...(num(sum.packets) !== undefined ? { packets: num(sum.packets)! } : {}) };
}

const total = (s: Json): ThroughputResult['sent'] | undefined => {
  const seconds = num(s.seconds);
  const bytes = num(s.bytes);
  const bps = num(s.bits_per_second);
  if (seconds === undefined || bytes === undefined || bps === undefined) return undefined;
  return { seconds, bytes, bitsPerSecond: bps, ...(num(s.retransmits) !== undefined ? { retransmits: num(s.retransmits)! } : {}) };
};

/** Parses `iperf3 -J` output; text that is not JSON (iperf3 crashed before writing any) is an error result. */
export function parseIperf3(text: string): ThroughputResult {
  let j: Json;
  try {
    j = obj(JSON.parse(text));
  } catch {
    const first = text.trim().split('\n')[0] ?? '';
    return { tool: 'iperf3', protocol: 'tcp', reverse: false, streams: 0, intervals: [], error: `iperf3 printed no JSON${first ? `: ${first}` : ''}` };
  }
  const start = obj(j.start);
  const ts = obj(start.test_start);
  const protocol = String(ts.protocol ?? 'TCP').toLowerCase() === 'udp' ? 'udp' : 'tcp';
  const reverse = num(ts.reverse) === 1;
  const intervals = (Array.isArray(j.intervals) ? j.intervals : [])
    .map((i) => interval(obj(obj(i).sum)))
    .filter((i): i is ThroughputInterval => i !== undefined)
    // A test cut short may repeat its last interval: keep each once.
    .filter((i, k, all) => k === 0 || i.start !== all[k - 1]!.start);
  const end = obj(j.end);
  const sent = total(obj(end.sum_sent));
  const received = total(obj(end.sum_received));
  const cpu = obj(end.cpu_utilization_percent);
  const local = num(cpu.host_total);
  const remote = num(cpu.remote_total);
  // UDP: the receiver's view (loss and jitter are measured where the datagrams arrive).
  const udpSide = protocol === 'udp' ? obj(end.sum_received).jitter_ms !== undefined && obj(end.sum_received).packets ? obj(end.sum_received) : obj(end.sum) : undefined;
  const udp =
    udpSide && num(udpSide.packets) !== undefined
      ? { jitterMs: num(udpSide.jitter_ms) ?? 0, lostPackets: num(udpSide.lost_packets) ?? 0, packets: num(udpSide.packets)!, lostPercent: num(udpSide.lost_percent) ?? 0 }
      : undefined;
  const error = typeof j.error === 'string' ? j.error : !received && !sent ? 'iperf3 reported no totals' : undefined;
  return {
    tool: 'iperf3',
    protocol,
    reverse,
    streams: num(ts.num_streams) ?? 1,
    intervals,
    ...(sent ? { sent } : {}),
    ...(received ? { received } : {}),
    ...(udp ? { udp } : {}),
    ...(local !== undefined && remote !== undefined ? { cpu: { local, remote } } : {}),
    ...(typeof start.version === 'string' ? { version: start.version } : {}),
    ...(error ? { error } : {}),
  };
}

export const Iperf3Test = z.strictObject({
  tool: z.literal('iperf3'),
  ...throughputFields(),
  bitrate: rateField('100M', '1G').default('1G'),
  parallel: z.number().int().min(1).max(128).default(1),
  /** Also the other way (iperf3 -R from the same client): each direction gets its own figure. */
  bothDirections: z.boolean().default(true),
});

/** iperf3: TCP or UDP throughput, each direction a test (-R), with retransmits, UDP loss and jitter, and iperf3's CPU figures. */
export const iperf3 = defineTool({
  id: 'iperf3',
  label: 'iperf3',
  description: 'TCP/UDP throughput (iperf3 -J), both directions, UDP loss and jitter',
  schema: Iperf3Test,
  mode: 'pair',
  ...IPERF3_NEEDS,
  testName: (t) => `iperf3-${t.protocol}`,
  seconds: (t) => amountSeconds(t.duration, t.bytes),
  directions: (t) => (t.bothDirections ? ['forward', 'reverse'] : ['forward']),
  server: (_t, bind, port) => ({ command: iperf3ServerCommand(bind, port), proto: 'tcp' }),
  client: (t, r) => iperf3ClientCommand({ address: r.path.dst.address, port: r.port, protocol: t.protocol, ...(t.bytes ? { bytes: t.bytes } : { duration: t.duration }), bitrate: t.bitrate, parallel: t.parallel, reverse: r.direction === 'reverse' }),
  parse: (_t, out) => {
    const res = parseIperf3(out.stdout);
    return { throughput: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [],
});
