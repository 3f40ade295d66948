/**
 * Measurement suites: which tests run on every measured path, and how long. Built in:
 *  - `quick`: a few seconds of ping and short iperf3 TCP (both directions) and UDP — what the
 *    UI's one-click "Deploy & measure" runs;
 *  - `paper`: what Gentile et al. measured — a 10-minute ping series, iperf 2 TCP and UDP with
 *    100 MB (UDP at 100 Mbit/s), netperf TCP_STREAM and UDP_STREAM with both ends' CPU;
 *  - `thorough`: what separates tunnels beyond idle RTT and bulk TCP (issue 22): ping, latency
 *    under load (1, 4, 8 flows up, down, both), iperf3 --bidir and 4 streams with slow start
 *    omitted (CPU per Gbit/s of both ends), UDP at 50 Mbit/s, netperf TCP_RR and UDP_RR with a
 *    99 % interval, and the time to first packet after up.sh (near end, far end, both restarted);
 *  - `project`: the project's own plan (`measurement:` in overlab.yaml: tools, duration, ping
 *    count and interval, UDP rate, streams, repetitions);
 * and any suite declared under `measurement.suites` in overlab.yaml (validated with the rest).
 */
import type { Measurement } from '../schema.js';
import type { Suite, SuiteTest } from './suite-schema.js';
import { toolOf } from './tools/index.js';

export type { Suite, SuiteTest } from './suite-schema.js';

export const BUILTIN_SUITES = ['quick', 'paper', 'thorough', 'project'] as const;

/** Short, deterministic, and quick enough to run on every Deploy & measure. */
const QUICK: Omit<Suite, 'name'> = {
  description: 'a few seconds of ping, iperf3 TCP both ways and UDP at 100 Mbit/s',
  tests: [
    { tool: 'ping', count: 20, interval: 0.1, size: 56 },
    { tool: 'iperf3', protocol: 'tcp', duration: 2, bitrate: '1G', parallel: 1, bothDirections: true },
    { tool: 'iperf3', protocol: 'udp', duration: 2, bitrate: '100M', parallel: 1, bothDirections: false },
  ],
  baseline: true,
  lan: true,
  repeat: 1,
};

/** The paper's test suite (Gentile et al. 2024, section 4): 600 s of ping, 100 MB with iperf 2, netperf with CPU. */
const PAPER: Omit<Suite, 'name'> = {
  description: "the paper's suite: ping 600 s, iperf 2 TCP and UDP with 100 MB (UDP at 100 Mbit/s), netperf TCP/UDP streams with CPU",
  tests: [
    { tool: 'ping', count: 3000, interval: 0.2, size: 56 },
    { tool: 'iperf2', protocol: 'tcp', duration: 10, bytes: '100M', bitrate: '100M' },
    { tool: 'iperf2', protocol: 'udp', duration: 10, bytes: '100M', bitrate: '100M' },
    { tool: 'netperf', test: 'TCP_STREAM', duration: 10 },
    { tool: 'netperf', test: 'UDP_STREAM', duration: 10 },
  ],
  baseline: true,
  lan: false,
  repeat: 1,
};

/** Every measurement that separates tunnels, each short: a few minutes a path. */
const THOROUGH: Omit<Suite, 'name'> = {
  description: 'ping, latency under load (1/4/8 flows up, down, both), iperf3 --bidir and 4 streams, UDP at 50 Mbit/s, netperf TCP_RR and UDP_RR with intervals, time to first packet after the near end, the far end and both restart',
  tests: [
    { tool: 'ping', count: 50, interval: 0.1, size: 56 },
    { tool: 'rrul', idle: 5, duration: 5, flows: [1, 4, 8], directions: ['up', 'down', 'both'], interval: 0.1 },
    { tool: 'bulk', protocol: 'tcp', duration: 5, bidir: true, parallel: 1, omit: 1, bitrate: '100M' },
    { tool: 'bulk', protocol: 'tcp', duration: 5, bidir: false, parallel: 4, omit: 1, bitrate: '100M' },
    { tool: 'bulk', protocol: 'udp', duration: 5, bidir: false, parallel: 1, omit: 0, bitrate: '50M' },
    { tool: 'rr', test: 'TCP_RR', duration: 2, iterations: 10, level: 99, width: 5 },
    { tool: 'rr', test: 'UDP_RR', duration: 2, iterations: 10, level: 99, width: 5 },
    { tool: 'handshake', deadline: 10, restart: 'near' },
    // The far end's restart and both ends': a few seconds each on kinds that come back at once,
    // the deadline (10 s) on one whose surviving end waits for its own timeout.
    { tool: 'handshake', deadline: 10, restart: 'far' },
    { tool: 'handshake', deadline: 10, restart: 'both' },
  ],
  baseline: true,
  lan: false,
  repeat: 1,
};

/** The `measurement:` plan of overlab.yaml as a suite. */
function projectSuite(m: Measurement): Omit<Suite, 'name'> {
  const tests: SuiteTest[] = [];
  for (const tool of m.tools) {
    if (tool === 'ping') tests.push({ tool: 'ping', count: m.pingCount, interval: m.pingInterval, size: 56 });
    else if (tool === 'iperf3-tcp') tests.push({ tool: 'iperf3', protocol: 'tcp', duration: m.duration, bitrate: m.udpBandwidth, parallel: m.parallel, bothDirections: true });
    else if (tool === 'iperf3-udp') tests.push({ tool: 'iperf3', protocol: 'udp', duration: m.duration, bitrate: m.udpBandwidth, parallel: m.parallel, bothDirections: false });
    else if (tool === 'iperf2-tcp') tests.push({ tool: 'iperf2', protocol: 'tcp', duration: m.duration, bitrate: m.udpBandwidth });
    else if (tool === 'iperf2-udp') tests.push({ tool: 'iperf2', protocol: 'udp', duration: m.duration, bitrate: m.udpBandwidth });
    else if (tool === 'netperf') tests.push({ tool: 'netperf', test: 'TCP_STREAM', duration: m.duration }, { tool: 'netperf', test: 'UDP_STREAM', duration: m.duration });
    // 'cpu' is not a test of its own: CPU is read on both ends of every throughput test.
  }
  return { description: "the project's own measurement plan (measurement: in overlab.yaml)", tests, baseline: true, lan: true, repeat: m.repetitions };
}

export interface SuiteOverrides {
  /** Seconds for every throughput test (iperf/netperf), and for the ping series (count = duration / interval). */
  readonly duration?: number;
  readonly repeat?: number;
}

/**
 * The suite of that name (built-in, the project's, or declared in overlab.yaml), with the
 * command line's overrides; a string says why there is none.
 */
export function resolveSuite(name: string, m: Measurement, over: SuiteOverrides = {}): Suite | string {
  const base = name === 'quick' ? QUICK : name === 'paper' ? PAPER : name === 'thorough' ? THOROUGH : name === 'project' ? projectSuite(m) : m.suites[name];
  if (!base) {
    const names = [...BUILTIN_SUITES, ...Object.keys(m.suites)];
    return `no suite named "${name}"; use one of: ${names.join(', ')} (or declare it under measurement.suites in overlab.yaml)`;
  }
  if (base.tests.length === 0) return `suite "${name}" has no tests (measurement.tools is empty)`;
  const d = over.duration;
  const tests = d === undefined ? base.tests : base.tests.map((t): SuiteTest => toolOf(t).withDuration(t, d) as SuiteTest);
  return { name, ...base, tests, repeat: over.repeat ?? base.repeat };
}

/** The seconds one test takes at most (its tool's estimate: a byte count runs until done, estimated at 100 Mbit/s, the floor Overlab plans for). */
export const testSeconds = (t: SuiteTest): number => toolOf(t).seconds(t);

/** A stable short name of a test, for file names and figures: `ping`, `iperf3-tcp`, `netperf-tcp_stream`. */
export const testName = (t: SuiteTest): string => toolOf(t).testName(t);
