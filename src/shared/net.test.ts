import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddress, parsePrefix, prefixContains, prefixesOverlap, subnetAt, type Prefix } from './net.js';

const p = (text: string): Prefix => {
  const r = parsePrefix(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
};

describe('parsePrefix', () => {
  it('reads IPv4 and IPv6 prefixes', () => {
    expect(p('198.18.16.0/24')).toMatchObject({ family: 4, length: 24, network: (198n << 24n) | (18n << 16n) | (16n << 8n) });
    expect(p('fd00::/8')).toMatchObject({ family: 6, length: 8, network: 0xfdn << 120n });
  });

  it.each([
    ['no length', '10.0.0.0', /address\/length/],
    ['not an address', 'ten/8', /not a valid prefix/],
    ['a length too long', '10.0.0.0/33', /not a valid prefix/],
    ['host bits set', '10.0.0.1/24', /10\.0\.0\.0\/24/],
    ['a short IPv4 form', '10.1/16', /four decimal parts/],
  ])('explains %s instead of throwing', (_why, text, message) => {
    const r = parsePrefix(text);
    expect(typeof r).toBe('string');
    expect(r).toMatch(message);
  });
});

describe('parseAddress', () => {
  it('reads both families and refuses non-addresses and short IPv4 forms', () => {
    expect(parseAddress('198.18.0.1')).toEqual({ family: 4, value: (198n << 24n) | (18n << 16n) | 1n });
    expect(parseAddress('::1')).toEqual({ family: 6, value: 1n });
    expect(typeof parseAddress('r1.example')).toBe('string');
    expect(typeof parseAddress('10.1')).toBe('string');
  });
});

describe('overlap and containment', () => {
  it.each([
    ['10.0.0.0/8', '10.200.0.0/16', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/24', '10.0.0.255/32', true],
    ['10.0.0.0/31', '10.0.0.2/31', false],
    ['0.0.0.0/0', '192.0.2.0/24', true],
    ['fd00::/64', 'fd00::8000:0:0:0/65', true],
    ['::/0', '10.0.0.0/8', false],
  ])('%s and %s overlap: %s', (a, b, overlap) => {
    expect(prefixesOverlap(p(a), p(b))).toBe(overlap);
    expect(prefixesOverlap(p(b), p(a))).toBe(overlap);
  });

  it('contains the first and last address of a prefix but not the next one', () => {
    const net = p('198.18.0.0/20');
    const at = (s: string) => parseAddress(s) as { family: 4; value: bigint };
    expect(prefixContains(net, 4, at('198.18.0.0').value)).toBe(true);
    expect(prefixContains(net, 4, at('198.18.15.255').value)).toBe(true);
    expect(prefixContains(net, 4, at('198.18.16.0').value)).toBe(false);
    expect(prefixContains(net, 6, at('198.18.0.0').value)).toBe(false);
  });
});

describe('subnetAt', () => {
  it('counts subnets from the start of the prefix and stops at its end', () => {
    const pool = p('198.19.0.0/16');
    expect(subnetAt(pool, 31, 0)?.text).toBe('198.19.0.0/31');
    expect(subnetAt(pool, 31, 3)?.text).toBe('198.19.0.6/31');
    expect(subnetAt(pool, 24, 255)?.text).toBe('198.19.255.0/24');
    expect(subnetAt(pool, 24, 256)).toBeUndefined();
    expect(subnetAt(pool, 24, -1)).toBeUndefined();
    expect(subnetAt(pool, 8, 0)).toBeUndefined();
  });

  it('formats what it parses', () => {
    expect(formatAddress(6, p('2001:db8::/32').network)).toBe('2001:db8::');
    expect(formatAddress(4, p('10.1.2.0/24').network)).toBe('10.1.2.0');
  });
});

describe('formatAddress', () => {
  it('prints IPv4 as ipaddr.js does, from the low 32 bits', () => {
    const cases: [bigint, string][] = [
      [0n, '0.0.0.0'],
      [0xc6120001n, '198.18.0.1'],
      [0xffffffffn, '255.255.255.255'],
      [0x1_0000_0001n, '0.0.0.1'],
      [-1n, '255.255.255.255'],
    ];
    for (const [v, text] of cases) expect(formatAddress(4, v)).toBe(text);
    for (const text of ['10.0.0.255', '198.19.255.254', '1.2.3.4']) {
      const a = parseAddress(text);
      if (typeof a === 'string') throw new Error(a);
      expect(formatAddress(4, a.value)).toBe(text);
    }
  });
  it('prints IPv6 compressed', () => {
    expect(formatAddress(6, 0xfd000b15000000000000000000000001n)).toBe('fd00:b15::1');
  });
});
