/**
 * The new tools as the registry sees them (MeasureTool descriptors): each suite test's schema
 * with its defaults and bounds, the client line for a measured path, and the parsed figures
 * (`values`) of real captured output (tests/fixtures/tools), key for key as the tool declares.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MeasuredPath } from '../targets.js';
import { cpuUsage } from './cpu.js';
import { handshake } from './handshake.js';
import { bulk } from './iperf3-bidir.js';
import { rr } from './netperf-rr.js';
import { rrul } from './rrul.js';
import type { AnyTool, ToolOutput } from './tool.js';

const fixture = (p: string): string => readFileSync(new URL(`../../../../tests/fixtures/tools/${p}`, import.meta.url), 'utf8');
const measure = (p: string): string => readFileSync(new URL(`../../../../tests/fixtures/measure/${p}`, import.meta.url), 'utf8');
const path = (type: MeasuredPath['type']): MeasuredPath => ({
  id: `l1.${type}`,
  type,
  label: 'site-a → site-b',
  src: { hostId: 'h1', host: 'site-a', address: '198.19.0.0' },
  dst: { hostId: 'h2', host: 'site-b', address: '198.19.0.1' },
});
const out = (stdout: string): ToolOutput => ({ stdout, stderr: '', server: '' });

/** Every value a parse gives is a declared metric (nothing the views would not label). */
const undeclared = (tool: AnyTool, values: Record<string, number>): string[] => Object.keys(values).filter((k) => !tool.metrics.some((m) => m.key === k));

describe('the new tools as registry descriptors', () => {
  it('rrul: defaults 1, 4 and 8 flows up, down and both; its line is one sh -c; parse gives idle and loaded figures', () => {
    const t = rrul.schema.parse({ tool: 'rrul' });
    expect(t).toEqual({ tool: 'rrul', idle: 5, duration: 5, flows: [1, 4, 8], directions: ['up', 'down', 'both'], interval: 0.1 });
    const line = rrul.client(t, { path: path('tunnel'), port: 5301, direction: 'forward', bundle: '/var/lib/overlab/bundle' });
    expect(line.startsWith("sh -c 'd=$(mktemp -d)")).toBe(true);
    expect(rrul.server!(t, '198.19.0.1', 5301).command).toBe('iperf3 -s -B 198.19.0.1 -p 5301');
    const p = rrul.parse(t, out(fixture('rrul/vxlan-tbf50.txt')));
    const v = p.values!;
    expect(p.error).toBeUndefined();
    expect(undeclared(rrul, v)).toEqual([]);
    expect(v.loadedRttMedianBoth8! - v.idleRttMedian!).toBeCloseTo(v.bloatMedianBoth8!, 9);
    expect(v.loadedRttMedianUp8!).toBeGreaterThan(10 * v.idleRttMedian!);
    expect(v.loadMbpsBoth1!).toBeGreaterThan(v.loadMbpsUp1!);
    expect(rrul.schema.safeParse({ tool: 'rrul', flows: [0] }).success).toBe(false);
    expect(rrul.seconds(t)).toBeGreaterThan(9 * t.duration);
  });

  it('bulk: --bidir is one test with both ways; without it, a test per direction; UDP reports loss and jitter', () => {
    const t = bulk.schema.parse({ tool: 'bulk', protocol: 'tcp' });
    expect(bulk.testName(t)).toBe('bulk-tcp-bidir');
    expect(bulk.directions(t)).toEqual(['forward']);
    expect(bulk.client(t, { path: path('tunnel'), port: 5201, direction: 'forward', bundle: '/var/lib/overlab/bundle' })).toBe('iperf3 -c 198.19.0.1 -p 5201 -J -i 0.5 -t 10 --bidir');
    const p4 = bulk.schema.parse({ tool: 'bulk', protocol: 'tcp', bidir: false, parallel: 4, omit: 1 });
    expect(bulk.testName(p4)).toBe('bulk-tcp-p4');
    expect(bulk.directions(p4)).toEqual(['forward', 'reverse']);
    expect(bulk.client(p4, { path: path('tunnel'), port: 5201, direction: 'reverse', bundle: '/var/lib/overlab/bundle' })).toBe('iperf3 -c 198.19.0.1 -p 5201 -J -i 0.5 -t 10 -P 4 -O 1 -R');
    const usage = cpuUsage(measure('proc-stat-before.txt'), measure('proc-stat-after.txt'), 1)!;
    const bidir = bulk.parse(t, { ...out(fixture('iperf3/bidir.json')), cpu: { src: usage, dst: usage } });
    expect(undeclared(bulk, bidir.values!)).toEqual([]);
    // The hosts' CPU (cores busy) per Gbit/s of both ways together.
    expect(bidir.values!.cpuSrcHostPerGbit).toBeCloseTo(((usage.busyPercent / 100) * usage.cpus) / (bidir.values!.sumMbps! / 1000), 9);
    expect(bidir.values!.sumMbps).toBeCloseTo(bidir.values!.forwardMbps! + bidir.values!.backwardMbps!, 9);
    expect(bidir.throughput?.tool).toBe('iperf3');
    const udp = bulk.parse(bulk.schema.parse({ tool: 'bulk', protocol: 'udp', bitrate: '50M' }), out(fixture('iperf3/udp-50M.json')));
    const recv = (JSON.parse(fixture('iperf3/udp-50M.json')) as { end: { sum_received: { lost_percent: number } } }).end.sum_received;
    expect(udp.values).toMatchObject({ udpLossPercent: recv.lost_percent });
    expect(udp.values!.udpJitterMs).toBeGreaterThan(0);
    expect(bulk.schema.safeParse({ tool: 'bulk', protocol: 'udp', bitrate: 'fast' }).error?.issues[0]?.message).toBe('write a rate like "50M" or "1G"');
  });

  it('rr: TCP_RR and UDP_RR with an interval when iterations > 1; parse gives the rate, latencies and the width', () => {
    const t = rr.schema.parse({ tool: 'rr', test: 'TCP_RR', iterations: 10 });
    expect(rr.testName(t)).toBe('rr-tcp');
    expect(rr.client(t, { path: path('tunnel'), port: 12865, direction: 'forward', bundle: '/var/lib/overlab/bundle' })).toContain('-t TCP_RR -l 5 -c -C -P 0 -i 10,3 -I 99,5 -- -o THROUGHPUT,');
    expect(rr.seconds(t)).toBe(53);
    const p = rr.parse(t, out(fixture('netperf-rr/tcp-rr-confidence.txt')));
    expect(undeclared(rr, p.values!)).toEqual([]);
    expect(Object.keys(p.values!).sort()).toEqual(rr.metrics.map((m) => m.key).sort());
    const refused = rr.parse(t, { stdout: '', stderr: fixture('netperf-rr/refused.txt'), server: '' });
    expect(refused.values).toEqual({});
    expect(refused.error).toMatch(/^netperf: establish control/);
  });

  it('handshake: on a tunnel path, time to first packet; other paths are skipped, not failed', () => {
    const t = handshake.schema.parse({ tool: 'handshake' });
    expect(handshake.server).toBeUndefined();
    expect(handshake.client(t, { path: path('tunnel'), port: 0, direction: 'forward', bundle: '/var/lib/overlab/bundle' })).toMatch(/^sh -c '\/var\/lib\/overlab\/bundle\/down\.sh/);
    const p = handshake.parse(t, out(fixture('handshake/vxlan.txt')));
    expect(undeclared(handshake, p.values!)).toEqual([]);
    expect(p.values!.firstPacketSeconds!).toBeGreaterThan(p.values!.upSeconds!);
    const underlay = handshake.client(t, { path: path('underlay'), port: 0, direction: 'forward', bundle: '/var/lib/overlab/bundle' });
    const skipped = handshake.parse(t, out(`${underlay.replace(/^echo '|'$/g, '')}\n`));
    expect(skipped).toEqual({ values: {}, detail: { skipped: 'not a tunnel path' } });
    expect(handshake.parse(t, out(fixture('handshake/timeout.txt'))).error).toMatch(/^no reply through the tunnel/);
    // The near end restarts by itself: no commands on the ends, the test and metric keys it always had.
    expect(t.restart).toBe('near');
    expect(handshake.testName(t)).toBe('handshake');
    expect(handshake.ends!(t, { path: path('tunnel'), port: 0, direction: 'forward', bundle: '/var/lib/overlab/bundle' })).toBeUndefined();
  });

  it('handshake far and both: the far end’s down.sh before, its up.sh beside the probe; figures under their own keys and labels', () => {
    const req = { path: path('tunnel'), port: 0, direction: 'forward' as const, bundle: '/var/lib/overlab/bundle' };
    for (const restart of ['far', 'both'] as const) {
      const t = handshake.schema.parse({ tool: 'handshake', restart });
      expect(handshake.testName(t)).toBe(`handshake-${restart}`);
      const ends = handshake.ends!(t, req)!;
      expect(ends.before!.dst).toMatch(/^sh -c '\/var\/lib\/overlab\/bundle\/down\.sh /);
      expect(ends.beside).toMatch(/\/var\/lib\/overlab\/bundle\/up\.sh /);
      // Only "both" takes the near end down too, and only then does the client run up.sh.
      expect(ends.before!.src !== undefined).toBe(restart === 'both');
      expect(handshake.client(t, req).includes('up.sh')).toBe(restart === 'both');
      expect(handshake.client(t, req)).not.toContain('down.sh');
      expect(handshake.binaries(t).server).toEqual(['date']);
      const p = handshake.parse(t, { ...out(fixture(`handshake/tinc-${restart}.txt`)), ends: { beside: fixture(`handshake/tinc-${restart}.far.txt`) } });
      expect(p.error).toBeUndefined();
      expect(undeclared(handshake, p.values!)).toEqual([]);
      const key = restart === 'far' ? 'firstPacketSecondsFar' : 'firstPacketSecondsBoth';
      expect(Object.keys(p.values!).sort()).toEqual(restart === 'far' ? ['farUpSeconds', key] : ['farUpSeconds', key, 'upSeconds']);
      expect(handshake.metrics.find((m) => m.key === key)!.label).toBe(`Time to first packet, ${restart === 'far' ? 'far end' : 'both ends'} restarted`);
      // Not a tunnel: nothing runs on the ends either.
      expect(handshake.ends!(t, { ...req, path: path('underlay') })).toBeUndefined();
    }
    expect(() => handshake.schema.parse({ tool: 'handshake', restart: 'reboot' })).toThrow(/restart/);
  });
});
