/**
 * IP prefix helpers over ipaddr.js: parsing with clear errors, overlap tests and address
 * arithmetic (as bigint, so IPv4 and IPv6 share one code path).
 */
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Prefix {
  readonly family: Family;
  /** Network address as an integer (host bits zero). */
  readonly network: bigint;
  readonly length: number;
  readonly text: string;
}

const bitsOf = (f: Family): number => (f === 4 ? 32 : 128);

function toBigInt(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let n = 0n;
  for (const b of addr.toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

/** Parses `a.b.c.d/n` or `x::/n`. Returns an error sentence instead of throwing. */
export function parsePrefix(text: string): Prefix | string {
  if (typeof text !== 'string' || !text.includes('/')) return `"${String(text)}" is not a prefix; write it as address/length (e.g. "198.18.16.0/24")`;
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return `"${text}" is not a valid prefix; write it as address/length (e.g. "198.18.16.0/24")`;
  }
  const [addr, length] = parsed;
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text.split('/')[0] ?? '')) {
    return `"${text}" must use four decimal parts (e.g. "198.18.16.0/24")`;
  }
  const family: Family = addr.kind() === 'ipv4' ? 4 : 6;
  const bits = bitsOf(family);
  const value = toBigInt(addr);
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  if ((value & hostMask) !== 0n) {
    const net = value & ~hostMask;
    return `"${text}" has host bits set; the network is ${formatAddress(family, net)}/${length}`;
  }
  return { family, network: value, length, text };
}

export function parseAddress(text: string): { family: Family; value: bigint } | string {
  if (typeof text !== 'string' || !ipaddr.isValid(text)) return `"${String(text)}" is not an IP address (e.g. "198.18.0.1")`;
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text)) return `"${text}" must use four decimal parts (e.g. "198.18.0.1")`;
  return { family: addr.kind() === 'ipv4' ? 4 : 6, value: toBigInt(addr) };
}

export function formatAddress(family: Family, value: bigint): string {
  const bytes: number[] = [];
  const n = family === 4 ? 4 : 16;
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export const prefixSize = (p: Prefix): bigint => 1n << BigInt(bitsOf(p.family) - p.length);
export const prefixLast = (p: Prefix): bigint => p.network + prefixSize(p) - 1n;

export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  return a.network <= prefixLast(b) && b.network <= prefixLast(a);
}

export function prefixContains(p: Prefix, family: Family, value: bigint): boolean {
  return p.family === family && value >= p.network && value <= prefixLast(p);
}

/** The i-th subnet of length `length` inside `p`, or undefined when it does not fit. */
export function subnetAt(p: Prefix, length: number, index: number): Prefix | undefined {
  if (length < p.length || length > bitsOf(p.family)) return undefined;
  const size = 1n << BigInt(bitsOf(p.family) - length);
  const network = p.network + size * BigInt(index);
  if (index < 0 || network + size - 1n > prefixLast(p)) return undefined;
  return { family: p.family, network, length, text: `${formatAddress(p.family, network)}/${length}` };
}
