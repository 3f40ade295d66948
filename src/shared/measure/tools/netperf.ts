/**
 * netperf 2.7.0 (the paper's exact version): TCP_STREAM, UDP_STREAM and TCP_RR with both
 * ends' CPU (-c -C) and service demand, as key=value lines (`-- -k SELECTORS`), against a
 * netserver started for the test.
 */
import { z } from 'zod';
import { q } from '../../shell.js';
import { defineTool } from './tool.js';
import type { NetperfResult } from '../types.js';

export const NETPERF_TESTS = ['TCP_STREAM', 'UDP_STREAM', 'TCP_RR'] as const;
export type NetperfTest = (typeof NETPERF_TESTS)[number];

/** The output selectors asked for (netperf's omni output names). */
export const NETPERF_KEYS = [
  'THROUGHPUT',
  'THROUGHPUT_UNITS',
  'ELAPSED_TIME',
  'LOCAL_CPU_UTIL',
  'REMOTE_CPU_UTIL',
  'LOCAL_SD',
  'REMOTE_SD',
  'SD_UNITS',
  'TRANSACTION_RATE',
  'MEAN_LATENCY',
  'P99_LATENCY',
  'LOCAL_SEND_SIZE',
  'REMOTE_RECV_SIZE',
  'PROTOCOL',
  'DIRECTION',
  'LOCAL_CPU_METHOD',
  'REMOTE_CPU_METHOD',
] as const;

export interface NetperfRequest {
  readonly address: string;
  /** The netserver's control port. */
  readonly port: number;
  readonly test: NetperfTest;
  readonly duration: number;
  /** UDP_STREAM message size (-m): fits the tunnel's MTU so nothing fragments. */
  readonly messageSize?: number;
}

export function netperfCommand(r: NetperfRequest): string {
  const argv = ['netperf', '-4', '-H', r.address, '-p', String(r.port), '-l', String(r.duration), '-t', r.test, '-c', '-C', '-P', '0', '--'];
  if (r.test === 'UDP_STREAM' && r.messageSize) argv.push('-m', String(r.messageSize));
  argv.push('-k', NETPERF_KEYS.join(','));
  return argv.map(q).join(' ');
}

/** What a netperf test needs: netperf on the client, netserver on the server (Debian's netperf package, in non-free). */
export const NETPERF_NEEDS = {
  binaries: () => ({ client: ['netperf'], server: ['netserver'] }),
  packages: { netperf: 'netperf (Debian non-free)', netserver: 'netperf (Debian non-free)' },
} as const;

/** netserver in the foreground (-D), on the test's address and port. */
export const netserverCommand = (bind: string, port: number): string => ['netserver', '-D', '-4', '-L', bind, '-p', String(port)].map(q).join(' ');

export function parseNetperf(text: string, test: NetperfTest): NetperfResult {
  const kv = new Map<string, string>();
  const other: string[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) kv.set(m[1]!, m[2]!);
    else other.push(line);
  }
  const n = (k: string): number | undefined => {
    const v = kv.get(k);
    if (v === undefined || v === '') return undefined;
    const x = Number(v);
    // netperf prints -1 for figures it did not measure.
    return Number.isFinite(x) && x >= 0 ? x : undefined;
  };
  const throughput = n('THROUGHPUT');
  const error = throughput === undefined ? (other.find((l) => /establish|could not|refused|error|unable/i.test(l)) ?? other[0] ?? 'netperf printed no THROUGHPUT') : undefined;
  const opt = <K extends string>(key: K, v: number | undefined): { [P in K]?: number } => (v === undefined ? {} : ({ [key]: v } as { [P in K]: number }));
  return {
    tool: 'netperf',
    test,
    throughput: throughput ?? 0,
    units: kv.get('THROUGHPUT_UNITS') ?? '',
    elapsed: n('ELAPSED_TIME') ?? 0,
    ...opt('localCpu', n('LOCAL_CPU_UTIL')),
    ...opt('remoteCpu', n('REMOTE_CPU_UTIL')),
    ...opt('localSd', n('LOCAL_SD')),
    ...opt('remoteSd', n('REMOTE_SD')),
    ...(kv.get('SD_UNITS') ? { sdUnits: kv.get('SD_UNITS')! } : {}),
    ...opt('transactionRate', n('TRANSACTION_RATE')),
    ...opt('meanLatencyUs', n('MEAN_LATENCY')),
    ...opt('p99LatencyUs', n('P99_LATENCY')),
    ...(error ? { error } : {}),
  };
}

export const NetperfTestSchema = z.strictObject({
  tool: z.literal('netperf'),
  test: z.enum(NETPERF_TESTS),
  duration: z.number().min(1).max(3600).default(10),
});

/** netperf: streams and request/response with both ends' CPU and service demand (the paper's netperf figures). */
export const netperf = defineTool({
  id: 'netperf',
  label: 'netperf',
  description: "TCP/UDP streams and TCP_RR with both ends' CPU (netperf 2.7, the paper's)",
  schema: NetperfTestSchema,
  mode: 'pair',
  ...NETPERF_NEEDS,
  testName: (t) => `netperf-${t.test.toLowerCase()}`,
  seconds: (t) => t.duration + 1,
  directions: () => ['forward'],
  server: (_t, bind, port) => ({ command: netserverCommand(bind, port), proto: 'tcp' }),
  // UDP messages that fit the path's MTU (IP + UDP headers: 28 bytes), so nothing fragments.
  client: (t, r) => netperfCommand({ address: r.path.dst.address, port: r.port, test: t.test, duration: t.duration, ...(t.test === 'UDP_STREAM' && r.path.mtu ? { messageSize: r.path.mtu - 28 } : {}) }),
  parse: (t, out) => {
    const res = parseNetperf(out.stdout + (out.stderr ? `\n${out.stderr}` : ''), t.test);
    return { netperf: res, ...(res.error ? { error: res.error } : {}) };
  },
  metrics: [],
});
