/**
 * ping (iputils, the paper's RTT tool): the command Overlab runs and a parser of what it
 * prints. `-D` stamps every reply with the receive time, `-n` keeps names out, so each sample
 * has its timestamp and sequence number; duplicates are marked `(DUP!)` by ping itself.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { defineTool } from './tool.js';
import type { PingResult, RttSample } from '../types.js';

export interface PingRequest {
  readonly address: string;
  /** Number of requests (ping -c). */
  readonly count: number;
  /** Seconds between requests (below 0.2 needs root on the measuring host). */
  readonly interval: number;
  /** ICMP payload bytes (ping -s); 56 by default. */
  readonly size?: number;
  /** Don't fragment (ping -M do). */
  readonly dontFragment?: boolean;
  /** Source address (ping -I), e.g. a LAN gateway for LAN-to-LAN. */
  readonly source?: string;
  /** Seconds to wait for each reply (ping -W). */
  readonly wait?: number;
}

/** The argv (shell-quoted line) for a ping series. */
export function pingCommand(r: PingRequest): string {
  const argv = ['ping', '-D', '-n', '-c', String(r.count), '-i', String(r.interval), '-s', String(r.size ?? 56), '-W', String(r.wait ?? 1)];
  if (r.dontFragment) argv.push('-M', 'do');
  if (r.source) argv.push('-I', r.source);
  argv.push(r.address);
  return argv.map(q).join(' ');
}

/** Seconds a series takes at most: the requests, then the wait for the last reply. */
export const pingSeconds = (r: PingRequest): number => r.count * r.interval + (r.wait ?? 1) + 1;

const REPLY = /^\[(\d+\.\d+)\] (\d+) bytes from ([^:]+): icmp_seq=(\d+) ttl=(\d+) time=([\d.]+) ms( \(DUP!\))?$/;
const UNREACHABLE = /^\[(\d+\.\d+)\] From (\S+) icmp_seq=(\d+) (.+)$/;
const SUMMARY = /^(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?(?:, \+(\d+) errors)?, ([\d.]+)% packet loss/;
const RTT = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms$/;

/**
 * Parses ping's output. Every reply becomes a sample; ICMP errors ("Destination Host
 * Unreachable", "local error: message too long") are counted and the first one kept as the
 * reason. A series that ended before its summary (killed) is parsed as far as it got.
 * Reordering: replies whose sequence number is lower than one already seen (not duplicates).
 */
export function parsePing(text: string): PingResult {
  const samples: RttSample[] = [];
  const errors: string[] = [];
  let transmitted: number | undefined;
  let received: number | undefined;
  let duplicates = 0;
  let lossPercent: number | undefined;
  let summary: PingResult['summary'];
  let payload: number | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = REPLY.exec(line))) {
      samples.push({ seq: Number(m[4]), t: Number(m[1]), rtt: Number(m[6]), ...(m[7] ? { dup: true as const } : {}) });
      payload ??= Number(m[2]);
    } else if ((m = UNREACHABLE.exec(line))) {
      errors.push(`${m[4]} (from ${m[2]}, icmp_seq=${m[3]})`);
    } else if ((m = SUMMARY.exec(line))) {
      transmitted = Number(m[1]);
      received = Number(m[2]);
      duplicates = Number(m[3] ?? 0);
      lossPercent = Number(m[5]);
    } else if ((m = RTT.exec(line))) {
      summary = { min: Number(m[1]), avg: Number(m[2]), max: Number(m[3]), mdev: Number(m[4]) };
    } else if (line.startsWith('ping: ')) {
      errors.push(line.slice('ping: '.length));
    }
  }
  const unique = samples.filter((s) => !s.dup);
  let reordered = 0;
  let highest = -1;
  for (const s of unique) {
    if (s.seq < highest) reordered++;
    else highest = s.seq;
  }
  const got = received ?? unique.length;
  const sent = transmitted ?? (unique.length ? Math.max(...unique.map((s) => s.seq)) : 0);
  const loss = lossPercent ?? (sent > 0 ? (100 * (sent - got)) / sent : 100);
  const result: PingResult = {
    tool: 'ping',
    transmitted: sent,
    received: got,
    duplicates: duplicates || samples.length - unique.length,
    lossPercent: loss,
    reordered,
    errors: errors.length,
    samples,
    ...(payload !== undefined ? { replyBytes: payload } : {}),
    ...(summary ? { summary } : {}),
    ...(transmitted === undefined ? { partial: true } : {}),
  };
  if (got === 0) {
    const why = errors[0] ?? (transmitted === undefined ? 'ping printed no summary (killed, or it could not start)' : `no reply to ${sent} requests (100 % loss)`);
    return { ...result, error: why };
  }
  return result;
}

/** A ping series in a suite: `count` requests `interval` seconds apart, `size` bytes of payload. */
export const PingTest = z.strictObject({
  tool: z.literal('ping'),
  count: z.number().int().min(1).max(1_000_000),
  /** Seconds between requests; below 0.2 needs root on the measuring host. */
  interval: z.number().min(0.001).max(60),
  size: z.number().int().min(0).max(65507).default(56),
});

/** ping: RTT, jitter and loss of every path at once (also LAN to LAN), the paper's RTT tool. */
export const ping = defineTool({
  id: 'ping',
  label: 'ping',
  description: 'RTT series (iputils ping): mean, percentiles, jitter, loss',
  schema: PingTest,
  mode: 'series',
  lanPaths: true,
  binaries: () => ({ client: ['ping'], server: [] }),
  packages: { ping: 'iputils-ping' },
  testName: () => 'ping',
  seconds: (t) => t.count * t.interval + 2,
  directions: () => ['forward'],
  withDuration: (t, d) => ({ ...t, count: Math.max(1, Math.round(d / t.interval)) }),
  // LAN to LAN: from the source's LAN gateway address, so the reply comes back over the LAN route.
  client: (t, r) => pingCommand({ address: r.path.dst.address, count: t.count, interval: t.interval, size: t.size, ...(r.path.type === 'lan' ? { source: r.path.src.address } : {}) }),
  parse: (_t, out) => {
    const res = parsePing(out.stdout + out.stderr);
    return { ping: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [],
});
