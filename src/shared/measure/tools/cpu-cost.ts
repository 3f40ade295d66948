/**
 * CPU cost per Gbit/s: a derived figure (no command of its own) that makes the CPU each end
 * pays comparable across kinds whose throughput differs. It is the CPU busy during a bulk test,
 * in cores (busy % of all CPUs × CPU count, or a process's % of one core), divided by the
 * throughput in Gbit/s: "cores per Gbit/s". 0.5 means half a core busy for each Gbit/s carried.
 *
 * Sources, from the records the bulk tests already make:
 *  - iperf3's own figures (`cpu.local` / `cpu.remote`: the client's and the server's process,
 *    % of one core), against the receiver's throughput; with --bidir, against both ways summed;
 *  - netperf's LOCAL/REMOTE_CPU_UTIL (% of all the host's CPUs), × the host's CPU count;
 *  - a host's /proc/stat between two reads (CpuUsage), against the throughput of the test that
 *    ran between them. In the embedded lab every host shares the machine's CPUs, so that figure
 *    is the machine's cost, not one end's: the per-process figures are what separate the ends.
 */
import type { TestRecord } from '../records.js';
import type { CpuUsage, NetperfResult, ThroughputResult } from '../types.js';

/** Cores busy per Gbit/s; undefined when nothing was carried (no division by zero) or a figure is missing. */
export function coresPerGbit(cores: number | undefined, bitsPerSecond: number | undefined): number | undefined {
  if (cores === undefined || bitsPerSecond === undefined || !Number.isFinite(cores) || !(bitsPerSecond > 0) || cores < 0) return undefined;
  return cores / (bitsPerSecond / 1e9);
}

/** Both ends of one bulk test, cores per Gbit/s. `client` is where the test was started. */
export interface CpuCost {
  readonly client?: number;
  readonly server?: number;
  /** The throughput the cost is per, bits/s. */
  readonly bitsPerSecond: number;
}

const both = (client: number | undefined, server: number | undefined, bps: number): CpuCost | undefined => {
  const c = coresPerGbit(client, bps);
  const s = coresPerGbit(server, bps);
  return c === undefined && s === undefined ? undefined : { ...(c !== undefined ? { client: c } : {}), ...(s !== undefined ? { server: s } : {}), bitsPerSecond: bps };
};

/** From iperf3's own CPU figures (% of one core per process) and the receiver's throughput. */
export function iperf3CpuCost(t: ThroughputResult): CpuCost | undefined {
  const bps = t.received?.bitsPerSecond ?? t.sent?.bitsPerSecond;
  if (!t.cpu || bps === undefined || t.error) return undefined;
  return both(t.cpu.local / 100, t.cpu.remote / 100, bps);
}

/** --bidir: each process sends and receives at once, so its CPU is per the sum of both ways. */
/** What a --bidir record (iperf3-bidir.ts's Iperf3OptionsResult) gives this figure; written here so the two files do not import each other. */
export interface BidirFigures {
  readonly base: ThroughputResult;
  readonly sumBitsPerSecond?: number;
  readonly forward?: { readonly bitsPerSecond: number };
  readonly error?: string;
}

export function iperf3OptionsCpuCost(t: BidirFigures): CpuCost | undefined {
  const bps = t.sumBitsPerSecond ?? t.forward?.bitsPerSecond;
  if (!t.base.cpu || bps === undefined || t.error) return undefined;
  return both(t.base.cpu.local / 100, t.base.cpu.remote / 100, bps);
}

/** From netperf's CPU utilisation (% of all CPUs of each end) of a stream test; `cpus` per end. */
export function netperfCpuCost(n: NetperfResult, cpus: { readonly local: number; readonly remote: number }): CpuCost | undefined {
  if (n.error || !/bits\/s/.test(n.units)) return undefined;
  const scale = n.units.startsWith('10^9') ? 1e9 : n.units.startsWith('10^3') ? 1e3 : n.units.startsWith('10^6') ? 1e6 : 1;
  const bps = n.throughput * scale;
  return both(n.localCpu === undefined ? undefined : (n.localCpu / 100) * cpus.local, n.remoteCpu === undefined ? undefined : (n.remoteCpu / 100) * cpus.remote, bps);
}

/** From a host's /proc/stat reads around a test (the whole host: in the embedded lab, the machine). */
export const hostCpuCost = (u: CpuUsage, bitsPerSecond: number): number | undefined => coresPerGbit((u.busyPercent / 100) * u.cpus, bitsPerSecond);

/**
 * Every cost a bulk test's record gives: each end's process (iperf3's own figures, or netperf's
 * with the hosts' CPU counts from the /proc/stat reads) and each end's host (/proc/stat).
 */
export interface RecordCpuCost {
  readonly client?: number;
  readonly server?: number;
  readonly srcHost?: number;
  readonly dstHost?: number;
  readonly bitsPerSecond: number;
}

export function cpuCostOfRecord(r: Pick<TestRecord, 'throughput' | 'netperf' | 'cpu' | 'error'>): RecordCpuCost | undefined {
  if (r.error) return undefined;
  const proc = r.throughput ? iperf3CpuCost(r.throughput) : r.netperf && r.cpu?.src && r.cpu.dst ? netperfCpuCost(r.netperf, { local: r.cpu.src.cpus, remote: r.cpu.dst.cpus }) : undefined;
  const bps = proc?.bitsPerSecond ?? r.throughput?.received?.bitsPerSecond ?? r.throughput?.sent?.bitsPerSecond;
  if (bps === undefined) return undefined;
  const src = r.cpu?.src ? hostCpuCost(r.cpu.src, bps) : undefined;
  const dst = r.cpu?.dst ? hostCpuCost(r.cpu.dst, bps) : undefined;
  const out = { ...(proc?.client !== undefined ? { client: proc.client } : {}), ...(proc?.server !== undefined ? { server: proc.server } : {}), ...(src !== undefined ? { srcHost: src } : {}), ...(dst !== undefined ? { dstHost: dst } : {}) };
  return Object.keys(out).length ? { ...out, bitsPerSecond: bps } : undefined;
}

/** The figure's label and unit, for tables and charts. */
export const CPU_COST_LABEL = 'CPU per Gbit/s';
export const CPU_COST_UNIT = 'cores per Gbit/s';
