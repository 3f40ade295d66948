/**
 * iperf3's options that separate tunnels, additive to the plain iperf3 test: both directions at
 * once (`--bidir`), N parallel streams (`-P N`), the first S seconds left out of the totals
 * (`-O S`, slow start), and UDP at a target rate with the receiver's loss and jitter. The JSON
 * is iperf3 3.12's own (`-J`); the plain parser (../iperf3.ts) reads the per-interval series and
 * the client→server totals, this one adds the server→client totals of `--bidir` and the sum.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import type { CpuUsage, ThroughputResult } from '../types.js';
import { CPU_COST_UNIT, hostCpuCost, iperf3OptionsCpuCost } from './cpu-cost.js';
import { IPERF3_NEEDS, iperf3ServerCommand, parseIperf3 } from './iperf3.js';
import { defineTool, RATE, rateField } from './tool.js';

export interface Iperf3OptionsRequest {
  readonly address: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** Seconds measured (-t), the omitted seconds not counted. */
  readonly duration: number;
  /** Both directions at once (--bidir). */
  readonly bidir?: boolean;
  /** The server sends (-R); not with `bidir`. */
  readonly reverse?: boolean;
  /** Parallel streams (-P). */
  readonly parallel?: number;
  /** Seconds at the start left out of the totals (-O): slow start. */
  readonly omit?: number;
  /** UDP target rate (-b), e.g. "50M". */
  readonly bitrate?: string;
  /** Seconds per reported interval (-i). */
  readonly interval?: number;
}

/** The request's problems, each naming the field and the fix (empty: fine). */
export function checkIperf3Options(r: Iperf3OptionsRequest): string[] {
  const bad: string[] = [];
  if (!(r.duration >= 1 && r.duration <= 3600)) bad.push(`duration: ${r.duration} s is out of range; use 1 to 3600 seconds`);
  if (r.parallel !== undefined && !(Number.isInteger(r.parallel) && r.parallel >= 1 && r.parallel <= 128)) bad.push(`parallel: ${r.parallel} streams; use a whole number from 1 to 128`);
  if (r.omit !== undefined && !(r.omit >= 0 && r.omit <= 60)) bad.push(`omit: ${r.omit} s; use 0 to 60 seconds`);
  if (r.bidir && r.reverse) bad.push('reverse: --bidir already runs both directions; leave reverse out');
  if (r.bitrate !== undefined && !RATE.test(r.bitrate)) bad.push(`bitrate: "${r.bitrate}" is not a rate; write one like "50M" or "1G"`);
  if (!(Number.isInteger(r.port) && r.port > 0 && r.port < 65536)) bad.push(`port: ${r.port}; use 1 to 65535`);
  return bad;
}

/** The client's command line (throws on a bad request: callers validate first with checkIperf3Options). */
export function iperf3OptionsCommand(r: Iperf3OptionsRequest): string {
  const bad = checkIperf3Options(r);
  if (bad.length) throw new Error(`iperf3: ${bad.join('; ')}`);
  const argv = ['iperf3', '-c', r.address, '-p', String(r.port), '-J', '-i', String(r.interval ?? 0.5), '-t', String(r.duration)];
  if (r.protocol === 'udp') argv.push('-u', '-b', r.bitrate ?? '100M');
  if (r.parallel && r.parallel > 1) argv.push('-P', String(r.parallel));
  if (r.omit) argv.push('-O', String(r.omit));
  if (r.bidir) argv.push('--bidir');
  if (r.reverse) argv.push('-R');
  return argv.map(q).join(' ');
}

/**
 * A server for several tests one after another (no -1): the runner stops it after the test.
 * The latency-under-load script runs its phases against one.
 */
export const iperf3OptionsServerCommand = (bind: string, port: number): string => ['iperf3', '-s', '-B', bind, '-p', String(port)].map(q).join(' ');

/** Seconds the client runs at most: omitted + measured + connection set-up and the end exchange. */
export const iperf3OptionsSeconds = (r: Iperf3OptionsRequest): number => r.duration + (r.omit ?? 0) + 3;

/** One direction's totals as the receiver saw them (bits/s; UDP with its loss and jitter). */
export interface DirectionTotals {
  readonly bitsPerSecond: number;
  readonly bytes: number;
  readonly seconds: number;
  /** TCP retransmits of the sender. */
  readonly retransmits?: number;
  readonly udp?: { readonly jitterMs: number; readonly lostPackets: number; readonly packets: number; readonly lostPercent: number };
}

export interface Iperf3OptionsResult {
  readonly tool: 'iperf3-options';
  /** The plain iperf3 record (series, client→server totals, CPU of both ends). */
  readonly base: ThroughputResult;
  readonly bidir: boolean;
  readonly streams: number;
  readonly omitSeconds: number;
  /** Client → server (the upload), or server → client alone with -R. */
  readonly forward?: DirectionTotals;
  /** Server → client during --bidir. */
  readonly backward?: DirectionTotals;
  /** forward + backward, bits/s: what the tunnel carried both ways at once. */
  readonly sumBitsPerSecond?: number;
  readonly error?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The receiver's totals (TCP: sum_received; UDP: the received sum, with the receiver's loss and jitter). */
function direction(sent: Json, received: Json, udp: boolean): DirectionTotals | undefined {
  const r = num(received.bits_per_second) !== undefined ? received : sent;
  const bps = num(r.bits_per_second);
  const bytes = num(r.bytes);
  const seconds = num(r.seconds);
  if (bps === undefined || bytes === undefined || seconds === undefined) return undefined;
  const retransmits = num(sent.retransmits);
  return {
    bitsPerSecond: bps,
    bytes,
    seconds,
    ...(retransmits !== undefined ? { retransmits } : {}),
    ...(udp && num(r.packets) !== undefined
      ? { udp: { jitterMs: num(r.jitter_ms) ?? 0, lostPackets: num(r.lost_packets) ?? 0, packets: num(r.packets)!, lostPercent: num(r.lost_percent) ?? 0 } }
      : {}),
  };
}

/** Parses `iperf3 -J` output of a test run with any of these options. */
export function parseIperf3Options(text: string): Iperf3OptionsResult {
  const base = parseIperf3(text);
  let j: Json;
  try {
    j = obj(JSON.parse(text));
  } catch {
    return { tool: 'iperf3-options', base, bidir: false, streams: 0, omitSeconds: 0, error: base.error ?? 'iperf3 printed no JSON' };
  }
  const ts = obj(obj(j.start).test_start);
  const udp = base.protocol === 'udp';
  const end = obj(j.end);
  // 3.12 does not say "bidir" in test_start: the reverse totals tell.
  const bidir = num(ts.bidir) === 1 || 'sum_received_bidir_reverse' in end || 'sum_sent_bidir_reverse' in end;
  // UDP's receiver figures sit in `sum_received` (3.12) or, for one direction, in `sum`.
  const forward = direction(obj(end.sum_sent), udp && num(obj(end.sum_received).packets) === undefined ? obj(end.sum) : obj(end.sum_received), udp);
  const backward = bidir ? direction(obj(end.sum_sent_bidir_reverse), obj(end.sum_received_bidir_reverse), udp) : undefined;
  const sum = forward && (backward || !bidir) ? forward.bitsPerSecond + (backward?.bitsPerSecond ?? 0) : undefined;
  const error = base.error ?? (bidir && !backward ? 'iperf3 --bidir reported no server→client totals (sum_received_bidir_reverse)' : undefined);
  return {
    tool: 'iperf3-options',
    base,
    bidir,
    streams: num(ts.num_streams) ?? base.streams,
    omitSeconds: num(ts.omit) ?? 0,
    ...(forward ? { forward } : {}),
    ...(backward ? { backward } : {}),
    ...(sum !== undefined ? { sumBitsPerSecond: sum } : {}),
    ...(error ? { error } : {}),
  };
}

// ---- the tool ------------------------------------------------------------------------------

/**
 * A suite test of iperf3 with these options. Its id is not "iperf3-…": test names are matched
 * to tools by their prefix, and `iperf3-tcp` is the plain tool's.
 */
export const BulkTest = z.strictObject({
  tool: z.literal('bulk'),
  protocol: z.enum(['tcp', 'udp']),
  duration: z.number().int().min(1).max(3600).default(10),
  /** Both directions at once (--bidir); otherwise each direction is a test of its own. */
  bidir: z.boolean().default(true),
  parallel: z.number().int().min(1).max(128).default(1),
  /** Seconds left out at the start (-O, slow start). */
  omit: z.number().int().min(0).max(60).default(0),
  /** UDP target rate. */
  bitrate: rateField('50M', '1G').default('100M'),
});
export type BulkTest = z.output<typeof BulkTest>;

/**
 * The figures a parsed test gives, by metric key (Mbit/s, %, ms, cores per Gbit/s); `cpu`: each
 * end's host between the runner's /proc/stat reads around the test.
 */
export function bulkValues(r: Iperf3OptionsResult, cpu?: { readonly src?: CpuUsage; readonly dst?: CpuUsage }): Record<string, number> {
  const v: Record<string, number> = {};
  if (r.forward) v.forwardMbps = r.forward.bitsPerSecond / 1e6;
  if (r.backward) v.backwardMbps = r.backward.bitsPerSecond / 1e6;
  if (r.sumBitsPerSecond !== undefined) v.sumMbps = r.sumBitsPerSecond / 1e6;
  if (r.forward?.retransmits !== undefined) v.retransmits = r.forward.retransmits + (r.backward?.retransmits ?? 0);
  if (r.forward?.udp) Object.assign(v, { udpLossPercent: r.forward.udp.lostPercent, udpJitterMs: r.forward.udp.jitterMs });
  const cost = iperf3OptionsCpuCost(r);
  if (cost?.client !== undefined) v.cpuClientPerGbit = cost.client;
  if (cost?.server !== undefined) v.cpuServerPerGbit = cost.server;
  const bps = r.sumBitsPerSecond;
  const src = cpu?.src && bps !== undefined && !r.error ? hostCpuCost(cpu.src, bps) : undefined;
  const dst = cpu?.dst && bps !== undefined && !r.error ? hostCpuCost(cpu.dst, bps) : undefined;
  if (src !== undefined) v.cpuSrcHostPerGbit = src;
  if (dst !== undefined) v.cpuDstHostPerGbit = dst;
  return v;
}

export const bulk = defineTool({
  id: 'bulk',
  label: 'iperf3 both ways, many streams',
  description: 'iperf3 --bidir (both directions at once, each and the sum), -P streams, -O to omit slow start, UDP at a rate with loss and jitter; CPU per Gbit/s of both ends',
  schema: BulkTest,
  mode: 'pair',
  ...IPERF3_NEEDS,
  testName: (t) => `bulk-${t.protocol}${t.bidir ? '-bidir' : ''}${t.parallel > 1 ? `-p${t.parallel}` : ''}`,
  seconds: (t) => t.duration + t.omit + 3,
  directions: (t) => (t.bidir || t.protocol === 'udp' ? ['forward'] : ['forward', 'reverse']),
  server: (_t, bind, port) => ({ command: iperf3ServerCommand(bind, port), proto: 'tcp' }),
  client: (t, r) =>
    iperf3OptionsCommand({
      address: r.path.dst.address,
      port: r.port,
      protocol: t.protocol,
      duration: t.duration,
      ...(t.bidir ? { bidir: true } : r.direction === 'reverse' ? { reverse: true } : {}),
      parallel: t.parallel,
      omit: t.omit,
      ...(t.protocol === 'udp' ? { bitrate: t.bitrate } : {}),
    }),
  parse: (_t, out) => {
    const res = parseIperf3Options(out.stdout);
    return { throughput: res.base, values: bulkValues(res, out.cpu), detail: { forward: res.forward, backward: res.backward, sumBitsPerSecond: res.sumBitsPerSecond, streams: res.streams, omitSeconds: res.omitSeconds }, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [
    { key: 'forwardMbps', label: 'Throughput client → server', unit: 'Mbit/s', feeds: 'throughput', better: 'higher' },
    { key: 'backwardMbps', label: 'Throughput server → client (--bidir)', unit: 'Mbit/s', feeds: 'throughput', better: 'higher' },
    { key: 'sumMbps', label: 'Throughput, both ways summed', unit: 'Mbit/s', feeds: 'throughput', better: 'higher', headline: true },
    { key: 'retransmits', label: 'TCP retransmits', unit: 'segments', feeds: 'loss', better: 'lower' },
    { key: 'udpLossPercent', label: 'UDP loss at the target rate', unit: '%', feeds: 'loss', better: 'lower' },
    { key: 'udpJitterMs', label: 'UDP jitter at the target rate', unit: 'ms', feeds: 'jitter', better: 'lower' },
    { key: 'cpuClientPerGbit', label: 'CPU per Gbit/s, client end (iperf3 process)', unit: CPU_COST_UNIT, feeds: 'cpu', better: 'lower' },
    { key: 'cpuServerPerGbit', label: 'CPU per Gbit/s, server end (iperf3 process)', unit: CPU_COST_UNIT, feeds: 'cpu', better: 'lower' },
    { key: 'cpuSrcHostPerGbit', label: 'CPU per Gbit/s, client host (all its CPUs)', unit: CPU_COST_UNIT, feeds: 'cpu', better: 'lower' },
    { key: 'cpuDstHostPerGbit', label: 'CPU per Gbit/s, server host (all its CPUs)', unit: CPU_COST_UNIT, feeds: 'cpu', better: 'lower' },
  ],
});
