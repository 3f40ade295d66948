/**
 * The new tools' suite of a project's own (issue 22): latency under load (rrul), iperf3 --bidir
 * (bulk), netperf TCP_RR and UDP_RR with a 99 % interval (rr), then the caller's time-to-first-
 * packet tests (handshake: each caller says which restarts it proves, and they run last, as they
 * take the tunnel down and up). The caller sizes it: the lab test keeps it to seconds of
 * measuring, bench/rrul.bench.ts measures a little more.
 */
export interface NewToolsSizes {
  /** Latency under load: seconds idle and loaded, flow counts, directions, seconds between pings. */
  readonly rrul: { readonly idle: number; readonly duration: number; readonly flows: number[]; readonly directions: ('up' | 'down' | 'both')[]; readonly interval: number };
  /** iperf3 --bidir: seconds measured and seconds of slow start left out. */
  readonly bulk: { readonly duration: number; readonly omit: number };
  /** netperf RR: iterations at most for the 99 % interval (1 s each). */
  readonly iterations: number;
}

export const newToolsSuite = <H extends { readonly tool: 'handshake' }>(s: NewToolsSizes, handshakes: readonly H[]) => ({
  tests: [
    { tool: 'rrul' as const, idle: s.rrul.idle, duration: s.rrul.duration, flows: s.rrul.flows, directions: s.rrul.directions, interval: s.rrul.interval },
    { tool: 'bulk' as const, protocol: 'tcp' as const, duration: s.bulk.duration, bidir: true, parallel: 1, omit: s.bulk.omit, bitrate: '100M' },
    ...(['TCP_RR', 'UDP_RR'] as const).map((test) => ({ tool: 'rr' as const, test, duration: 1, iterations: s.iterations, level: 99 as const, width: 5 })),
    ...handshakes,
  ],
  baseline: false,
  lan: false,
  repeat: 1,
});
