/**
 * A lean measurement suite of a project's own, for campaigns in tests: ping and one TCP
 * direction on every link, with the underlay baseline (the quick suite less its UDP test, the
 * reverse direction and the LAN paths). Campaign cells each deploy, measure and tear down, and
 * under emulation every test costs seconds: what the campaign tests check needs no more.
 */
export const LEAN_SUITE = {
  tests: [
    { tool: 'ping' as const, count: 10, interval: 0.05, size: 56 },
    { tool: 'iperf3' as const, protocol: 'tcp' as const, duration: 1, bitrate: '1G', parallel: 1, bothDirections: false },
  ],
  baseline: true,
  lan: false,
  repeat: 1,
};
