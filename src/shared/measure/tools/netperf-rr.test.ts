/**
 * netperf 2.7.0 TCP_RR and UDP_RR with output selectors and confidence intervals, on real
 * output from a VXLAN lab link (tests/fixtures/tools/capture.sh). With -P 0 netperf prints one
 * CSV line in the selectors' order; expected figures are read off that line here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkNetperfRr, netperfRrCommand, parseNetperfRr, RR_SELECTORS } from './netperf-rr.js';

const text = (name: string): string => readFileSync(new URL(`../../../../tests/fixtures/tools/netperf-rr/${name}`, import.meta.url), 'utf8');
/** The fixture's value of one selector, read by position. */
const field = (name: string, sel: (typeof RR_SELECTORS)[number]): number => Number(text(name).trim().split(',')[RR_SELECTORS.indexOf(sel)]);

describe('netperf RR', () => {
  it('TCP_RR: transactions/s, mean, P50 and P99 latency, both ends’ CPU; one run has no interval', () => {
    const r = parseNetperfRr(text('tcp-rr.txt'), 'TCP_RR');
    expect(r.error).toBeUndefined();
    expect(r.transactionsPerSecond).toBe(field('tcp-rr.txt', 'THROUGHPUT'));
    expect(r.meanLatencyUs).toBe(field('tcp-rr.txt', 'MEAN_LATENCY'));
    expect(r.p50LatencyUs).toBe(field('tcp-rr.txt', 'P50_LATENCY'));
    expect(r.p99LatencyUs).toBe(field('tcp-rr.txt', 'P99_LATENCY'));
    expect(r.localCpus).toBe(2);
    expect(r.localCpu).toBe(field('tcp-rr.txt', 'LOCAL_CPU_UTIL'));
    expect(r.interval).toBeUndefined();
    // One transaction at a time: rate × mean latency ≈ 1 s.
    expect((r.transactionsPerSecond * r.meanLatencyUs!) / 1e6).toBeCloseTo(1, 1);
  });

  it('UDP_RR the same way', () => {
    const r = parseNetperfRr(text('udp-rr.txt'), 'UDP_RR');
    expect(r).toMatchObject({ test: 'UDP_RR', transactionsPerSecond: field('udp-rr.txt', 'THROUGHPUT'), p99LatencyUs: field('udp-rr.txt', 'P99_LATENCY') });
    expect(r.p50LatencyUs!).toBeLessThanOrEqual(r.p99LatencyUs!);
  });

  it('-i 10,3 -I 99,5: the interval at 99 %, its width, the runs made, and that the width wanted was not met on a busy machine', () => {
    const r = parseNetperfRr(text('tcp-rr-confidence.txt'), 'TCP_RR');
    const width = field('tcp-rr-confidence.txt', 'THROUGHPUT_CONFID');
    expect(r.interval).toEqual({
      level: 99,
      wantedWidthPercent: 5,
      widthPercent: width,
      low: r.transactionsPerSecond * (1 - width / 200),
      high: r.transactionsPerSecond * (1 + width / 200),
      iterations: field('tcp-rr-confidence.txt', 'CONFIDENCE_ITERATION'),
      met: width <= 5,
    });
    expect(r.interval!.met).toBe(false);
    expect(r.interval!.iterations).toBe(10);
  });

  it('no netserver: netperf’s own words', () => {
    expect(parseNetperfRr(text('refused.txt'), 'TCP_RR')).toEqual({
      tool: 'netperf-rr',
      test: 'TCP_RR',
      transactionsPerSecond: 0,
      error: 'netperf: establish control: are you sure there is a netserver listening on 198.19.0.1 at port 12865?',
    });
    expect(parseNetperfRr('', 'UDP_RR').error).toBe('netperf printed nothing (is netserver running on the far end?)');
  });

  it('builds the command line; a bad request names the field and the fix', () => {
    expect(netperfRrCommand({ address: '198.19.0.1', port: 12865, test: 'UDP_RR', duration: 1, iterations: { max: 10, min: 3 }, confidence: { level: 99, width: 5 } })).toBe(
      `netperf -4 -H 198.19.0.1 -p 12865 -t UDP_RR -l 1 -c -C -P 0 -i 10,3 -I 99,5 -- -o ${RR_SELECTORS.join(',')}`,
    );
    expect(checkNetperfRr({ address: 'x', port: 12865, test: 'TCP_CRR' as 'TCP_RR', duration: 1, iterations: { max: 2, min: 1 } })).toEqual([
      'test: "TCP_CRR"; use one of TCP_RR, UDP_RR',
      'iterations: 2,1; netperf wants whole numbers with 3 ≤ min ≤ max ≤ 30',
    ]);
  });
});
