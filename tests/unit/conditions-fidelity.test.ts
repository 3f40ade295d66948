/**
 * The maths the conditions proof and the fidelity bench compare measurements with
 * (tests/conditions/fidelity.ts), and their parsers on real ping / iperf3 output captured here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lossAgrees, mathisMbit, medianRtt, parseIperf, parsePing, tcpGoodputMbit, udpGoodputMbit, wilson, within } from '../conditions/fidelity.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/conditions/${name}`, import.meta.url), 'utf8');

describe('fidelity maths', () => {
  it("Wilson's 99.9 % interval: 1 % of 16,000 packets is 0.77–1.29 % (by hand: centre 1.0331 %, half-width 0.2608 %); none of 100 still allows up to 9.8 %", () => {
    const i = wilson(160, 16_000);
    expect(i.lo).toBeCloseTo(0.007722, 5);
    expect(i.hi).toBeCloseTo(0.012939, 5);
    expect(wilson(0, 100).lo).toBe(0);
    expect(wilson(0, 100).hi).toBeCloseTo(0.0977, 3);
  });

  it('loss agrees by 5 % relative, else by the interval, else not; says whether the count could resolve 5 %', () => {
    expect(lossAgrees(101, 10_000, 1)).toMatchObject({ ok: true, by: 'relative', resolvable: false });
    expect(lossAgrees(85, 10_000, 1)).toMatchObject({ ok: true, by: 'interval' });
    expect(lossAgrees(2553, 16_314, 1)).toMatchObject({ ok: false, by: 'neither' });
    // 5 % of 1 % resolvable needs the interval within ±0.05 %: millions of packets.
    expect(lossAgrees(40_000, 4_000_000, 1).resolvable).toBe(true);
  });

  it('goodput models: htb counts every header of the frame', () => {
    // 1200 B of payload in 1200 + 8 + 20 + 50 (VXLAN) + 14 = 1292 B frames.
    expect(udpGoodputMbit(50, 1200, 50)).toBeCloseTo((50 * 1200) / 1292, 9);
    // Bare veth, MTU 1500: MSS 1448 (timestamps) of 1514 B frames.
    expect(tcpGoodputMbit(50, 1500, 0)).toBeCloseTo((50 * 1448) / 1514, 9);
    expect(within(47.6, 50)).toBe(true);
    expect(within(47.4, 50)).toBe(false);
  });

  it("Mathis' model: MSS 1398 B, 41.3 ms, 1 % → 3.31 Mbit/s", () => {
    expect(mathisMbit(1398, 41.3, 1)).toBeCloseTo(3.315, 2);
  });

  it('ping: summary and per-packet median from real output', () => {
    const out = fixture('ping-5.txt');
    expect(parsePing(out)).toEqual({ sent: 5, received: 5, minMs: 0.069, avgMs: 0.073, maxMs: 0.078, mdevMs: 0.003 });
    expect(medianRtt(out)).toBe(0.073);
  });

  it('iperf3 -J: receiver figures (UDP packets and losses as the server counted them; TCP retransmits)', () => {
    expect(parseIperf(fixture('iperf3-udp-30M.json'))).toMatchObject({ packets: 6248, lost: 0 });
    expect(parseIperf(fixture('iperf3-udp-30M.json')).mbit).toBeCloseTo(29.9856, 3);
    const t = parseIperf(fixture('iperf3-tcp.json'));
    expect(t.mbit).toBeGreaterThan(0);
    expect(t.packets).toBeUndefined();
    expect(typeof t.retransmits).toBe('number');
    expect(() => parseIperf('{"error":"unable to connect to server"}')).toThrow(/iperf3: unable to connect/);
  });
});
