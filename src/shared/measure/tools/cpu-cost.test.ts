/**
 * CPU per Gbit/s from the records of real bulk tests (tests/fixtures/measure: iperf3 and
 * netperf on a VXLAN lab link; tests/fixtures/tools/iperf3: --bidir on the tbf-limited one).
 * netperf's own service demand (µs of CPU per KB) is an independent measure of the same cost:
 * the figure computed from utilisation must agree with it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuUsage } from './cpu.js';
import { parseIperf3 } from './iperf3.js';
import { parseNetperf } from './netperf.js';
import { coresPerGbit, cpuCostOfRecord, hostCpuCost, iperf3CpuCost, iperf3OptionsCpuCost, netperfCpuCost } from './cpu-cost.js';
import { parseIperf3Options } from './iperf3-bidir.js';

const read = (p: string): string => readFileSync(new URL(`../../../../tests/fixtures/${p}`, import.meta.url), 'utf8');

describe('CPU per Gbit/s', () => {
  it('is cores busy over Gbit/s, and nothing when nothing was carried', () => {
    expect(coresPerGbit(1, 2e9)).toBe(0.5);
    expect(coresPerGbit(1, 0)).toBeUndefined();
    expect(coresPerGbit(undefined, 1e9)).toBeUndefined();
  });

  it('from netperf TCP_STREAM agrees with netperf’s own service demand (µs per KB)', () => {
    const n = parseNetperf(read('measure/netperf-tcp-stream.txt'), 'TCP_STREAM');
    const c = netperfCpuCost(n, { local: 2, remote: 2 })!;
    // µs of CPU per KB × KB per second at 1 Gbit/s = µs of CPU per second = cores × 1e6.
    const fromSd = (n.localSd! * (1e9 / 8 / 1024)) / 1e6;
    expect(c.client).toBeCloseTo(fromSd, 2);
    expect(c.server).toBeCloseTo((n.remoteSd! * (1e9 / 8 / 1024)) / 1e6, 2);
    expect(c.bitsPerSecond).toBe(n.throughput * 1e6);
  });

  it('from iperf3’s per-process figures: each end against the receiver’s throughput', () => {
    const j = JSON.parse(read('measure/iperf3-tcp.json')) as { end: { cpu_utilization_percent: { host_total: number; remote_total: number }; sum_received: { bits_per_second: number } } };
    const c = iperf3CpuCost(parseIperf3(read('measure/iperf3-tcp.json')))!;
    const gbit = j.end.sum_received.bits_per_second / 1e9;
    expect(c.client).toBeCloseTo(j.end.cpu_utilization_percent.host_total / 100 / gbit, 9);
    expect(c.server).toBeCloseTo(j.end.cpu_utilization_percent.remote_total / 100 / gbit, 9);
    expect(iperf3CpuCost(parseIperf3(read('measure/iperf3-refused.json')))).toBeUndefined();
  });

  it('with --bidir, per both directions summed', () => {
    const t = parseIperf3Options(read('tools/iperf3/bidir.json'));
    const c = iperf3OptionsCpuCost(t)!;
    expect(c.bitsPerSecond).toBe(t.forward!.bitsPerSecond + t.backward!.bitsPerSecond);
    expect(c.client).toBeCloseTo(t.base.cpu!.local / 100 / (c.bitsPerSecond / 1e9), 9);
  });

  it('from a host’s /proc/stat reads', () => {
    const u = cpuUsage(read('measure/proc-stat-before.txt'), read('measure/proc-stat-after.txt'), 1)!;
    expect(hostCpuCost(u, 2e9)).toBeCloseTo(((u.busyPercent / 100) * u.cpus) / 2, 9);
  });

  it('from a run’s record: both processes and both hosts, nothing for a failed test', () => {
    const u = cpuUsage(read('measure/proc-stat-before.txt'), read('measure/proc-stat-after.txt'), 1)!;
    const netperf = parseNetperf(read('measure/netperf-tcp-stream.txt'), 'TCP_STREAM');
    const c = cpuCostOfRecord({ netperf, cpu: { src: u, dst: u } })!;
    expect(c.client).toBeCloseTo(((netperf.localCpu! / 100) * u.cpus) / (netperf.throughput / 1000), 9);
    expect(c.srcHost).toBeCloseTo(((u.busyPercent / 100) * u.cpus) / (netperf.throughput / 1000), 9);
    const throughput = parseIperf3(read('measure/iperf3-tcp.json'));
    expect(cpuCostOfRecord({ throughput })).toEqual({ ...iperf3CpuCost(throughput), bitsPerSecond: throughput.received!.bitsPerSecond });
    expect(cpuCostOfRecord({ throughput, error: 'timed out' })).toBeUndefined();
  });
});
