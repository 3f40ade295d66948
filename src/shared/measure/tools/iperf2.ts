/**
 * iperf 2 (the paper's "Iperf2") with `-y C`: comma-separated reports, one line per interval
 * and one for the whole test. For UDP the loss and jitter are the receiver's, so Overlab reads
 * the server's own CSV (it starts the server per test): iperf 2.1.8's client often gets no
 * server report back ("did not receive ack of last datagram"), and then prints -1 for them.
 *
 * TCP line: time,src,sport,dst,dport,id,interval,bytes,bits_per_second
 * UDP line: … ,jitter_ms,lost,total,lost_percent,out_of_order
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { amountSeconds, defineTool, rateField, throughputFields } from './tool.js';
import type { ThroughputInterval, ThroughputResult } from '../types.js';

export interface Iperf2Request {
  readonly address: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly duration?: number;
  /** A fixed amount (-n), e.g. "100M". */
  readonly bytes?: string;
  readonly bitrate?: string;
  readonly interval?: number;
}

export function iperf2ClientCommand(r: Iperf2Request): string {
  const argv = ['iperf', '-c', r.address, '-p', String(r.port), '-y', 'C', '-i', String(r.interval ?? 0.5)];
  if (r.bytes) argv.push('-n', r.bytes);
  else argv.push('-t', String(r.duration ?? 10));
  if (r.protocol === 'udp') argv.push('-u', '-b', r.bitrate ?? '100M');
  return argv.map(q).join(' ');
}

/** The server, in CSV too; Overlab stops it after the test (two SIGINTs: it waits for its threads on one). */
export function iperf2ServerCommand(bind: string, port: number, protocol: 'tcp' | 'udp'): string {
  return ['iperf', '-s', ...(protocol === 'udp' ? ['-u'] : []), '-y', 'C', '-B', bind, '-p', String(port)].map(q).join(' ');
}

interface Row {
  readonly start: number;
  readonly end: number;
  readonly bytes: number;
  readonly bps: number;
  readonly udp?: { jitterMs: number; lost: number; total: number; lostPercent: number; outOfOrder: number };
}

function rows(text: string): { rows: Row[]; other: string[] } {
  const out: Row[] = [];
  const other: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const f = line.split(',');
    const iv = /^([\d.]+)-([\d.]+)$/.exec(f[6] ?? '');
    if ((f.length !== 9 && f.length !== 14) || !iv) {
      other.push(line);
      continue;
    }
    const row: Row = { start: Number(iv[1]), end: Number(iv[2]), bytes: Number(f[7]), bps: Number(f[8]) };
    out.push(f.length === 14 ? { ...row, udp: { jitterMs: Number(f[9]), lost: Number(f[10]), total: Number(f[11]), lostPercent: Number(f[12]), outOfOrder: Number(f[13]) } } : row);
  }
  return { rows: out, other };
}

/**
 * The client's CSV (and, for UDP, the server's): the intervals, and the whole-test line
 * (the one starting at 0 that spans the others) as the total.
 */
export function parseIperf2(client: string, protocol: 'tcp' | 'udp', server?: string): ThroughputResult {
  const c = rows(client);
  const whole = c.rows.reduce<Row | undefined>((best, r) => (r.start === 0 && (!best || r.end >= best.end) ? r : best), undefined);
  const intervals: ThroughputInterval[] = c.rows.filter((r) => r !== whole && r.end > r.start).map((r) => ({ start: r.start, end: r.end, bytes: r.bytes, bitsPerSecond: r.bps }));
  const s = server ? rows(server) : undefined;
  const serverWhole = s?.rows.filter((r) => r.udp && r.udp.total >= 0).pop();
  const udpSrc = protocol === 'udp' ? (serverWhole?.udp ?? (whole?.udp && whole.udp.total >= 0 ? whole.udp : undefined)) : undefined;
  // A failure line (refused, broken pipe mid-test) is the error, even when some data went through.
  const error = c.other.find((l) => /failed|refused|unable|error/i.test(l)) ?? (!whole ? 'iperf printed no report' : undefined);
  return {
    tool: 'iperf2',
    protocol,
    reverse: false,
    streams: 1,
    intervals,
    ...(whole ? { sent: { seconds: whole.end - whole.start, bytes: whole.bytes, bitsPerSecond: whole.bps } } : {}),
    ...(serverWhole ? { received: { seconds: serverWhole.end - serverWhole.start, bytes: serverWhole.bytes, bitsPerSecond: serverWhole.bps } } : s?.rows.length ? { received: { seconds: s.rows.at(-1)!.end - s.rows.at(-1)!.start, bytes: s.rows.at(-1)!.bytes, bitsPerSecond: s.rows.at(-1)!.bps } } : {}),
    ...(udpSrc ? { udp: { jitterMs: udpSrc.jitterMs, lostPackets: udpSrc.lost, packets: udpSrc.total, lostPercent: udpSrc.lostPercent, outOfOrder: udpSrc.outOfOrder } } : {}),
    ...(error ? { error } : {}),
  };
}

export const Iperf2Test = z.strictObject({
  tool: z.literal('iperf2'),
  ...throughputFields(),
  bitrate: rateField('100M').default('100M'),
});

/** iperf 2 (the paper's "Iperf2"): TCP or UDP throughput, UDP loss and jitter from the server's own report. */
export const iperf2 = defineTool({
  id: 'iperf2',
  label: 'iperf 2',
  description: "TCP/UDP throughput (iperf 2, the paper's), UDP loss and jitter from the server",
  schema: Iperf2Test,
  mode: 'pair',
  binaries: () => ({ client: ['iperf'], server: ['iperf'] }),
  packages: { iperf: 'iperf' },
  testName: (t) => `iperf2-${t.protocol}`,
  seconds: (t) => amountSeconds(t.duration, t.bytes),
  directions: () => ['forward'],
  server: (t, bind, port) => ({ command: iperf2ServerCommand(bind, port, t.protocol), proto: t.protocol }),
  client: (t, r) => iperf2ClientCommand({ address: r.path.dst.address, port: r.port, protocol: t.protocol, ...(t.bytes ? { bytes: t.bytes } : { duration: t.duration }), bitrate: t.bitrate }),
  parse: (t, out) => {
    const res = parseIperf2(out.stdout + out.stderr, t.protocol, out.server);
    return { throughput: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [],
});
