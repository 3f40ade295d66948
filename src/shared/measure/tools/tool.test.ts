/**
 * The helpers every tool file shares: the amount and rate fields of the iperf tests' schemas
 * (one pattern and one message each, the examples per tool), and `defineTool`'s default
 * `withDuration` (`runFor`).
 */
import { describe, expect, it } from 'vitest';
import { amountField, defineTool, rateField, runFor } from './tool.js';
import { z } from 'zod';
import { iperf2 } from './iperf2.js';
import { iperf3 } from './iperf3.js';
import { bulk } from './iperf3-bidir.js';
import { rr } from './netperf-rr.js';
import { netperf } from './netperf.js';
import { ping } from './ping.js';

const message = (r: { error?: { issues: readonly { message: string }[] } }): string | undefined => r.error?.issues[0]?.message;

describe('amountField', () => {
  it('takes a whole number of bytes with an optional K, M or G', () => {
    for (const ok of ['100', '100K', '100M', '2G']) expect(amountField().safeParse(ok).success, ok).toBe(true);
  });

  it('refuses anything else, saying how to write one', () => {
    for (const bad of ['1.5M', '100MB', 'M', '', '-1M', '100 M']) expect(message(amountField().safeParse(bad)), bad).toBe('write an amount like "100M"');
  });
});

describe('rateField', () => {
  it('takes a number of bits/s, fractions too, with an optional K, M or G', () => {
    for (const ok of ['100', '1.5G', '50M', '800K']) expect(rateField('1G').safeParse(ok).success, ok).toBe(true);
  });

  it('names every example in its message, quoted, joined by "or"', () => {
    expect(message(rateField('100M').safeParse('fast'))).toBe('write a rate like "100M"');
    expect(message(rateField('50M', '1G').safeParse('1.G'))).toBe('write a rate like "50M" or "1G"');
  });
});

describe("the iperf tools' schemas keep their own messages", () => {
  it('iperf2: amount and rate', () => {
    expect(message(iperf2.schema.safeParse({ tool: 'iperf2', protocol: 'tcp', bytes: '1.5M' }))).toBe('write an amount like "100M"');
    expect(message(iperf2.schema.safeParse({ tool: 'iperf2', protocol: 'udp', bitrate: 'lots' }))).toBe('write a rate like "100M"');
  });

  it('iperf3: amount and rate', () => {
    expect(message(iperf3.schema.safeParse({ tool: 'iperf3', protocol: 'tcp', bytes: 'all' }))).toBe('write an amount like "100M"');
    expect(message(iperf3.schema.safeParse({ tool: 'iperf3', protocol: 'udp', bitrate: '1 G' }))).toBe('write a rate like "100M" or "1G"');
  });

  it('bulk: rate, and the defaults stay each tool’s', () => {
    expect(message(bulk.schema.safeParse({ tool: 'bulk', protocol: 'udp', bitrate: 'fast' }))).toBe('write a rate like "50M" or "1G"');
    expect(bulk.schema.parse({ tool: 'bulk', protocol: 'udp' }).bitrate).toBe('100M');
    expect(iperf3.schema.parse({ tool: 'iperf3', protocol: 'udp' }).bitrate).toBe('1G');
    expect(iperf2.schema.parse({ tool: 'iperf2', protocol: 'udp' }).bitrate).toBe('100M');
  });
});

describe('runFor, the default withDuration', () => {
  it('sets whole seconds, at least 1, and drops a fixed amount', () => {
    expect(runFor({ tool: 'x', duration: 10, bytes: '100M', other: 'kept' }, 3)).toEqual({ tool: 'x', duration: 3, other: 'kept' });
    expect(runFor({ tool: 'x', duration: 10 }, 2.6)).toEqual({ tool: 'x', duration: 3 });
    expect(runFor({ tool: 'x', duration: 10 }, 0.2)).toEqual({ tool: 'x', duration: 1 });
  });

  it('is what a tool declared without withDuration gets; a tool that declares one keeps its own', () => {
    const schema = z.strictObject({ tool: z.literal('t'), duration: z.number() });
    const base = { id: 't' as const, label: 't', description: 't', schema, mode: 'pair' as const, binaries: () => ({ client: [], server: [] }), packages: {}, testName: () => 't', seconds: () => 1, directions: () => ['forward' as const], client: () => 'true', parse: () => ({}), metrics: [] };
    expect(defineTool(base).withDuration({ tool: 't', duration: 9 }, 4)).toEqual({ tool: 't', duration: 4 });
    expect(defineTool({ ...base, withDuration: (t) => ({ ...t, duration: 42 }) }).withDuration({ tool: 't', duration: 9 }, 4)).toEqual({ tool: 't', duration: 42 });
  });

  it('serves the tools with a duration; ping keeps its own', () => {
    const i3 = iperf3.schema.parse({ tool: 'iperf3', protocol: 'tcp', bytes: '100M' });
    const { bytes: _bytes, ...timed } = i3;
    expect(iperf3.withDuration(i3, 5)).toStrictEqual({ ...timed, duration: 5 });
    const i2 = iperf2.schema.parse({ tool: 'iperf2', protocol: 'udp', bytes: '10M' });
    expect(iperf2.withDuration(i2, 2)).toMatchObject({ protocol: 'udp', duration: 2, bitrate: '100M' });
    expect(iperf2.withDuration(i2, 2)).not.toHaveProperty('bytes');
    const np = netperf.schema.parse({ tool: 'netperf', test: 'TCP_STREAM', duration: 30 });
    expect(netperf.withDuration(np, 4)).toEqual({ ...np, duration: 4 });
    const r = rr.schema.parse({ tool: 'rr', test: 'UDP_RR', iterations: 5 });
    expect(rr.withDuration(r, 2)).toEqual({ ...r, duration: 2 });
    const b = bulk.schema.parse({ tool: 'bulk', protocol: 'tcp', omit: 2 });
    expect(bulk.withDuration(b, 7)).toEqual({ ...b, duration: 7 });
    const p = ping.schema.parse({ tool: 'ping', count: 100, interval: 0.2 });
    expect(ping.withDuration(p, 4)).toEqual({ ...p, count: 20 });
  });
});

describe('netperf and rr need the same programs', () => {
  it("name netperf's Debian package (non-free) for both", () => {
    expect(rr.binaries(rr.schema.parse({ tool: 'rr', test: 'TCP_RR' }))).toEqual({ client: ['netperf'], server: ['netserver'] });
    expect(rr.packages).toEqual(netperf.packages);
    expect(rr.packages.netserver).toMatch(/^netperf .*non-free/);
  });
});
