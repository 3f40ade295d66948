/**
 * iperf3's --bidir, -P with -O, and UDP at a target rate, on real JSON captured over a VXLAN
 * lab link limited to 50 Mbit/s by tbf (tests/fixtures/tools/capture.sh). Expected figures are
 * read from the JSON directly.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkIperf3Options, iperf3OptionsCommand, parseIperf3Options } from './iperf3-bidir.js';

const text = (name: string): string => readFileSync(new URL(`../../../../tests/fixtures/tools/iperf3/${name}`, import.meta.url), 'utf8');
type End = Record<string, Record<string, number>>;
const end = (name: string): End => (JSON.parse(text(name)) as { end: End }).end;

describe('iperf3 options', () => {
  it('--bidir: each direction as its receiver saw it, and their sum', () => {
    const r = parseIperf3Options(text('bidir.json'));
    const e = end('bidir.json');
    expect(r.error).toBeUndefined();
    expect(r.bidir).toBe(true);
    expect(r.forward).toMatchObject({ bitsPerSecond: e.sum_received!.bits_per_second, bytes: e.sum_received!.bytes, retransmits: e.sum_sent!.retransmits });
    expect(r.backward).toMatchObject({ bitsPerSecond: e.sum_received_bidir_reverse!.bits_per_second, bytes: e.sum_received_bidir_reverse!.bytes });
    expect(r.sumBitsPerSecond).toBe(e.sum_received!.bits_per_second! + e.sum_received_bidir_reverse!.bits_per_second!);
    // Each way under the 50 Mbit/s limit, together above it: both directions really ran at once.
    expect(r.forward!.bitsPerSecond).toBeLessThan(50e6);
    expect(r.backward!.bitsPerSecond).toBeLessThan(50e6);
    expect(r.sumBitsPerSecond!).toBeGreaterThan(50e6);
  });

  it('-P 4 -O 1: four streams summed, the omitted second out of the totals', () => {
    const r = parseIperf3Options(text('parallel-omit.json'));
    const e = end('parallel-omit.json');
    expect(r).toMatchObject({ bidir: false, streams: 4, omitSeconds: 1 });
    expect(r.backward).toBeUndefined();
    expect(r.forward!.bitsPerSecond).toBe(e.sum_received!.bits_per_second);
    expect(r.sumBitsPerSecond).toBe(r.forward!.bitsPerSecond);
    // The slow-start intervals are marked omitted in the series; the totals cover the 3 measured seconds.
    const j = JSON.parse(text('parallel-omit.json')) as { intervals: { sum: { omitted: boolean } }[] };
    expect(j.intervals.filter((i) => i.sum.omitted).length).toBeGreaterThan(0);
    expect(r.forward!.seconds).toBeCloseTo(3, 1);
  });

  it('UDP at 50 Mbit/s: the receiver’s rate, loss and jitter', () => {
    const r = parseIperf3Options(text('udp-50M.json'));
    const e = end('udp-50M.json');
    expect(r.error).toBeUndefined();
    expect(r.forward!.udp).toEqual({ jitterMs: e.sum_received!.jitter_ms, lostPackets: e.sum_received!.lost_packets, packets: e.sum_received!.packets, lostPercent: e.sum_received!.lost_percent });
    expect(r.forward!.bitsPerSecond).toBe(e.sum_received!.bits_per_second);
  });

  it('an error run keeps iperf3’s words', () => {
    const refused = readFileSync(new URL('../../../../tests/fixtures/measure/iperf3-refused.json', import.meta.url), 'utf8');
    expect(parseIperf3Options(refused).error).toBe('unable to connect to server: Connection refused');
    expect(parseIperf3Options('iperf3: error - bad\n').error).toBe('iperf3 printed no JSON: iperf3: error - bad');
  });

  it('builds the command line, and names the field and fix of a bad request', () => {
    expect(iperf3OptionsCommand({ address: '198.19.0.1', port: 5201, protocol: 'tcp', duration: 3, parallel: 4, omit: 1 })).toBe('iperf3 -c 198.19.0.1 -p 5201 -J -i 0.5 -t 3 -P 4 -O 1');
    expect(iperf3OptionsCommand({ address: '198.19.0.1', port: 5201, protocol: 'udp', duration: 3, bitrate: '50M' })).toBe('iperf3 -c 198.19.0.1 -p 5201 -J -i 0.5 -t 3 -u -b 50M');
    expect(checkIperf3Options({ address: 'x', port: 5201, protocol: 'tcp', duration: 3, bidir: true, reverse: true, bitrate: '50 M' })).toEqual([
      'reverse: --bidir already runs both directions; leave reverse out',
      'bitrate: "50 M" is not a rate; write one like "50M" or "1G"',
    ]);
    expect(() => iperf3OptionsCommand({ address: 'x', port: 0, protocol: 'tcp', duration: 3 })).toThrow('iperf3: port: 0; use 1 to 65535');
  });
});
