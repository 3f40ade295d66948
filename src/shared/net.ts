/**
 * IP prefix helpers over ipaddr.js: parsing with clear errors, overlap tests and address
 * arithmetic (as bigint, so IPv4 and IPv6 share one code path).
 */
import ipaddr from 'ipaddr.js';
import { shown } from './diagnostics.js';

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
  if (typeof text !== 'string' || !text.includes('/')) return `${shown(String(text))} is not a prefix; write it as address/length (e.g. "198.18.16.0/24")`;
  // ipaddr.js reads an IPv6 zone index ("fe80::%eth0/64"): an interface of one host, meaningless in a prefix.
  if (text.includes('%')) return `${shown(text)} has a zone index ("%…"); write the prefix without it (e.g. "fd00:1::/64")`;
  // ipaddr.js also reads a length with leading zeros ("/024"), and the text goes to scripts as it is.
  if (/\/0\d/.test(text)) return `${shown(text)} has a length with a leading zero; write it as address/length (e.g. "198.18.16.0/24")`;
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return `${shown(text)} is not a valid prefix; write it as address/length (e.g. "198.18.16.0/24")`;
  }
  const [addr, length] = parsed;
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text.split('/')[0] ?? '')) {
    return `${shown(text)} must use four decimal parts (e.g. "198.18.16.0/24")`;
  }
  const family: Family = addr.kind() === 'ipv4' ? 4 : 6;
  const bits = bitsOf(family);
  const value = toBigInt(addr);
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  if ((value & hostMask) !== 0n) {
    const net = value & ~hostMask;
    return `${shown(text)} has host bits set; the network is ${formatAddress(family, net)}/${length}`;
  }
  return { family, network: value, length, text };
}

export function parseAddress(text: string): { family: Family; value: bigint } | string {
  if (typeof text !== 'string' || !ipaddr.isValid(text)) return `${shown(String(text))} is not an IP address (e.g. "198.18.0.1")`;
  // A zone index ("fe80::1%eth0") names an interface of the host that reads it: a peer cannot use it.
  if (text.includes('%')) return `${shown(text)} has a zone index ("%…"); give an address the other hosts can reach, without it`;
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(text)) return `${shown(text)} must use four decimal parts (e.g. "198.18.0.1")`;
  return { family: addr.kind() === 'ipv4' ? 4 : 6, value: toBigInt(addr) };
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    // What ipaddr.js prints for the low 32 bits, without its objects: a 200-host mesh formats ~40,000 addresses.
    const n = Number(BigInt.asUintN(32, value));
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
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
