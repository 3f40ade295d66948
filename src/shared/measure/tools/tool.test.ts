/**
 * The helpers every tool file shares: the amount and rate fields of the iperf tests' schemas
 * (one pattern and one message each, the examples per tool).
 */
import { describe, expect, it } from 'vitest';
import { amountField, rateField } from './tool.js';
import { iperf2 } from './iperf2.js';
import { iperf3 } from './iperf3.js';
import { bulk } from './iperf3-bidir.js';

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
