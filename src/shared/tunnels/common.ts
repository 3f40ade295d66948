/**
 * Small pieces kinds share. Only formatting helpers live here: each kind keeps its own
 * decisions in its own file.
 */
import type { Family } from '../net.js';
import { cmd, q } from '../shell.js';
import type { Member } from './types.js';

/** Outer IP header size for an underlay family. */
export const ipHeader = (f: Family): number => (f === 4 ? 20 : 40);
export const UDP_HEADER = 8;
export const ETH_HEADER = 14;

/** `ip link show dev X >/dev/null 2>&1 || <create>`: creation guarded, so up.sh can run twice. */
export const guardLink = (ifname: string, ...create: (string | number)[]): string => `ip link show dev ${q(ifname)} >/dev/null 2>&1 || ${cmd(...create)}`;

/** Address, MTU and state of a kernel interface, idempotent. */
export const configureLink = (m: Member, mtu: number): string[] => [
  cmd('ip', 'link', 'set', 'dev', m.ifname, 'mtu', mtu),
  cmd('ip', 'addr', 'replace', m.address, 'dev', m.ifname),
  cmd('ip', 'link', 'set', 'dev', m.ifname, 'up'),
];

export const deleteLink = (ifname: string): string => `ip link del dev ${q(ifname)} 2>/dev/null`;

/** `host:port`, bracketing IPv6 literals. */
export const endpoint = (address: string, port: number): string => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** The address without its prefix length. */
export const bare = (address: string): string => address.split('/')[0]!;

export const port = (min = 1) => ({ min, max: 65535 });
