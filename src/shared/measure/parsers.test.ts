/**
 * The measurement parsers on real output captured from the embedded lab
 * (tests/fixtures/measure/capture.sh): a VXLAN site-to-site at MTU 1500, iputils 20221126,
 * iperf 3.12, iperf 2.1.8, netperf 2.7.0. Expected figures are read off the fixture text by
 * eye and by ping's and iperf's own summaries, never computed by the parser under test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuUsage, parseProcStat } from './tools/cpu.js';
import { iperf2ClientCommand, parseIperf2 } from './tools/iperf2.js';
import { iperf3ClientCommand, parseIperf3 } from './tools/iperf3.js';
import { netperfCommand, parseNetperf } from './tools/netperf.js';
import { parsePing, pingCommand } from './tools/ping.js';

const fixture = (name: string): string => readFileSync(new URL(`../../../tests/fixtures/measure/${name}`, import.meta.url), 'utf8');

describe('ping', () => {
  it('reads every reply with its sequence, receive time and RTT, and agrees with ping’s own summary', () => {
    const r = parsePing(fixture('ping-ok.txt'));
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ transmitted: 20, received: 20, duplicates: 0, lossPercent: 0, reordered: 0, errors: 0, replyBytes: 64 });
    expect(r.samples).toHaveLength(20);
    expect(r.samples[0]).toEqual({ seq: 1, t: 1796159139.636322, rtt: 0.146 });
    expect(r.samples.map((s) => s.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const rtts = r.samples.map((s) => s.rtt);
    expect(Math.min(...rtts)).toBe(r.summary!.min);
    expect(Math.max(...rtts)).toBe(r.summary!.max);
    expect(rtts.reduce((a, b) => a + b, 0) / rtts.length).toBeCloseTo(r.summary!.avg, 3);
  });

  it('reads a don’t-fragment series that fills the tunnel MTU (1422 + 28 = 1450)', () => {
    const r = parsePing(fixture('ping-df-fill.txt'));
    expect(r).toMatchObject({ transmitted: 5, received: 5, lossPercent: 0, replyBytes: 1430 });
  });

  it('reports one byte too many as an error with ping’s reason, no samples', () => {
    const r = parsePing(fixture('ping-df-too-big.txt'));
    expect(r).toMatchObject({ transmitted: 3, received: 0, errors: 3, lossPercent: 100 });
    expect(r.samples).toEqual([]);
    expect(r.error).toBe('local error: message too long, mtu=1450');
  });

  it('counts duplicates (DUP!) apart from replies', () => {
    const r = parsePing(fixture('ping-duplicates.txt'));
    expect(r).toMatchObject({ transmitted: 5, received: 5, duplicates: 4, lossPercent: 0 });
    expect(r.samples.filter((s) => s.dup)).toHaveLength(4);
    expect(r.reordered).toBe(0);
  });

  it('reads partial loss: every other request dropped', () => {
    const r = parsePing(fixture('ping-loss-half.txt'));
    expect(r).toMatchObject({ transmitted: 10, received: 5, lossPercent: 50 });
    expect(r.samples.map((s) => s.seq)).toEqual([2, 4, 6, 8, 10]);
  });

  it('says why a series got nothing: silence (100 % loss), unreachable, no route', () => {
    expect(parsePing(fixture('ping-loss-all.txt'))).toMatchObject({ transmitted: 5, received: 0, lossPercent: 100, error: 'no reply to 5 requests (100 % loss)' });
    const unreachable = parsePing(fixture('ping-host-unreachable.txt'));
    expect(unreachable).toMatchObject({ received: 0, lossPercent: 100 });
    expect(unreachable.errors).toBeGreaterThan(0);
    expect(unreachable.error).toMatch(/^Destination Host Unreachable \(from 198\.19\.0\.1, icmp_seq=\d+\)$/);
    const noRoute = parsePing(fixture('ping-no-route.txt'));
    expect(noRoute).toMatchObject({ received: 0, partial: true, error: 'connect: Network is unreachable' });
  });

  it('detects replies that arrive out of order', () => {
    // The fixture's own lines, the third reply moved after the fifth (what netem reordering gives).
    const lines = fixture('ping-ok.txt').split('\n');
    const moved = [...lines.slice(0, 3), lines[4]!, lines[5]!, lines[3]!, ...lines.slice(6)].join('\n');
    expect(parsePing(moved).reordered).toBe(1);
  });

  it('builds the command it parses, every value quoted', () => {
    expect(pingCommand({ address: '198.19.0.1', count: 20, interval: 0.05, size: 1422, dontFragment: true, source: '198.18.16.1' })).toBe("ping -D -n -c 20 -i 0.05 -s 1422 -W 1 -M do -I 198.18.16.1 198.19.0.1");
  });
});

describe('iperf3 -J', () => {
  it('reads a TCP test: intervals, both totals, retransmits and both ends’ CPU', () => {
    const r = parseIperf3(fixture('iperf3-tcp.json'));
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ tool: 'iperf3', protocol: 'tcp', reverse: false, streams: 1, version: 'iperf 3.12' });
    expect(r.intervals).toHaveLength(4);
    expect(r.intervals[0]).toMatchObject({ start: 0, bytes: 398721024, retransmits: 650 });
    expect(r.sent).toEqual({ seconds: 2.000455, bytes: 1611137024, bitsPerSecond: 6443082294.777938, retransmits: 2456 });
    expect(r.received).toEqual({ seconds: 2.004568, bytes: 1609826304, bitsPerSecond: 6424631357.978377 });
    expect(r.cpu).toEqual({ local: 31.661945740287166, remote: 50.815174283972574 });
  });

  it('knows a reverse test (the server sent)', () => {
    const r = parseIperf3(fixture('iperf3-tcp-reverse.json'));
    expect(r.reverse).toBe(true);
    expect(r.received?.bitsPerSecond).toBe(6018610111.79169);
  });

  it('reads a fixed-size transfer and parallel streams', () => {
    const bytes = parseIperf3(fixture('iperf3-tcp-bytes.json'));
    expect(bytes.error).toBeUndefined();
    expect(bytes.sent!.bytes).toBeGreaterThanOrEqual(20 * 1024 * 1024);
    const par = parseIperf3(fixture('iperf3-tcp-parallel.json'));
    expect(par.streams).toBe(2);
    expect(par.received!.bitsPerSecond).toBeGreaterThan(0);
  });

  it('reads UDP loss and jitter as the receiver measured them', () => {
    const r = parseIperf3(fixture('iperf3-udp.json'));
    expect(r.protocol).toBe('udp');
    expect(r.udp).toEqual({ jitterMs: 0.00903141104146983, lostPackets: 37, packets: 17879, lostPercent: 0.20694669724257508 });
    expect(r.received?.bitsPerSecond).toBe(99751216.99078096);
    expect(r.intervals[0]).toMatchObject({ packets: 4464 });
  });

  it('keeps iperf3’s reason: refused, server busy, killed mid-test (with what it measured)', () => {
    expect(parseIperf3(fixture('iperf3-refused.json'))).toMatchObject({ error: 'unable to connect to server: Connection refused', intervals: [] });
    expect(parseIperf3(fixture('iperf3-busy.json'))).toMatchObject({ error: 'the server is busy running a test. try again later' });
    const killed = parseIperf3(fixture('iperf3-killed.json'));
    expect(killed.error).toBe('unable to write to stream socket: Broken pipe');
    // Its last interval is printed twice; each counts once.
    expect(killed.intervals.map((i) => i.start)).toEqual([0, 0.500619, 1.001479]);
    expect(killed.received).toBeUndefined();
  });

  it('turns text that is not JSON into an error result', () => {
    expect(parseIperf3('iperf3: error - unable to start listener\n').error).toBe('iperf3 printed no JSON: iperf3: error - unable to start listener');
  });

  it('builds its command', () => {
    expect(iperf3ClientCommand({ address: '198.19.0.1', port: 5201, protocol: 'udp', duration: 2, bitrate: '100M', reverse: true })).toBe('iperf3 -c 198.19.0.1 -p 5201 -J -i 0.5 -t 2 -u -b 100M -R');
  });
});

describe('iperf 2 -y C', () => {
  it('reads TCP intervals and the whole-test line', () => {
    const r = parseIperf2(fixture('iperf2-tcp.csv'), 'tcp', fixture('iperf2-tcp-server.csv'));
    expect(r.error).toBeUndefined();
    expect(r.intervals.map((i) => [i.start, i.end])).toEqual([[0, 0.5], [0.5, 1], [1, 1.5], [1.5, 2]]);
    expect(r.sent).toEqual({ seconds: 2, bytes: 1489502268, bitsPerSecond: 5893688304 });
    expect(r.received?.bytes).toBe(1489502268);
  });

  it('reads a fixed-size transfer', () => {
    const r = parseIperf2(fixture('iperf2-tcp-bytes.csv'), 'tcp', fixture('iperf2-tcp-bytes-server.csv'));
    expect(r.sent?.bytes).toBe(20971520);
  });

  it('takes UDP loss and jitter from the server’s report, not the client’s -1', () => {
    const r = parseIperf2(fixture('iperf2-udp.csv'), 'udp', fixture('iperf2-udp-server.csv'));
    expect(r.udp).toEqual({ jitterMs: 0.007, lostPackets: 0, packets: 17836, lostPercent: 0, outOfOrder: 0 });
    expect(r.received?.bitsPerSecond).toBe(104843231);
    // Without the server's lines there is no loss figure rather than a wrong one.
    expect(parseIperf2(fixture('iperf2-udp.csv'), 'udp').udp).toBeUndefined();
  });

  it('keeps the reason of a refused connection', () => {
    expect(parseIperf2(fixture('iperf2-refused.csv'), 'tcp')).toMatchObject({ error: 'tcp connect failed: Connection refused', intervals: [] });
  });

  it('builds its command', () => {
    expect(iperf2ClientCommand({ address: '198.19.0.1', port: 5001, protocol: 'tcp', bytes: '100M' })).toBe('iperf -c 198.19.0.1 -p 5001 -y C -i 0.5 -n 100M');
  });
});

describe('netperf 2.7.0', () => {
  it('reads TCP_STREAM throughput, both ends’ CPU and service demand', () => {
    expect(parseNetperf(fixture('netperf-tcp-stream.txt'), 'TCP_STREAM')).toMatchObject({ throughput: 4969.51, units: '10^6bits/s', elapsed: 2, localCpu: 98.74, remoteCpu: 98.74, localSd: 3.255, remoteSd: 3.255, sdUnits: 'usec/KB', meanLatencyUs: 26.23, p99LatencyUs: 119 });
  });

  it('reads UDP_STREAM and TCP_RR (transactions and latency)', () => {
    expect(parseNetperf(fixture('netperf-udp-stream.txt'), 'UDP_STREAM')).toMatchObject({ throughput: 480.56, units: '10^6bits/s', localSd: 23.192 });
    expect(parseNetperf(fixture('netperf-tcp-rr.txt'), 'TCP_RR')).toMatchObject({ throughput: 29440.37, units: 'Trans/s', transactionRate: 29440.369, meanLatencyUs: 33.85, p99LatencyUs: 125, sdUnits: 'usec/Tran' });
  });

  it('keeps netperf’s reason when no netserver answers', () => {
    const r = parseNetperf(fixture('netperf-refused.txt'), 'TCP_STREAM');
    expect(r.error).toBe('establish control: are you sure there is a netserver listening on 198.19.0.1 at port 12865?');
  });

  it('builds its command with the output selectors', () => {
    expect(netperfCommand({ address: '198.19.0.1', port: 12865, test: 'UDP_STREAM', duration: 2, messageSize: 1400 })).toMatch(/^netperf -4 -H 198\.19\.0\.1 -p 12865 -l 2 -t UDP_STREAM -c -C -P 0 -- -m 1400 -k THROUGHPUT,THROUGHPUT_UNITS,/);
  });
});

describe('/proc/stat', () => {
  it('reads the aggregate line and the number of CPUs', () => {
    const t = parseProcStat(fixture('proc-stat-before.txt'))!;
    expect(t.cpus).toBe(fixture('proc-stat-before.txt').split('\n').filter((l) => /^cpu\d/.test(l)).length);
    expect(t.user).toBe(Number(fixture('proc-stat-before.txt').split('\n')[0]!.trim().split(/\s+/)[1]));
  });

  it('gives the busy share between two reads, within 0–100 %', () => {
    const u = cpuUsage(fixture('proc-stat-before.txt'), fixture('proc-stat-after.txt'), 1)!;
    expect(u.busyPercent).toBeGreaterThanOrEqual(0);
    expect(u.busyPercent).toBeLessThanOrEqual(100);
    expect(u.userPercent + u.systemPercent + u.softirqPercent).toBeLessThanOrEqual(u.busyPercent + 1e-9);
    expect(cpuUsage('garbage', fixture('proc-stat-after.txt'), 1)).toBeUndefined();
  });
});
