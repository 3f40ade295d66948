/**
 * Words for the capability tables of kinds that build shapes the same way. A kind's file still
 * states its own row (`capabilities` in its `defineKind`); these only spare the point-to-point
 * kinds from repeating one sentence per shape.
 */
import { parseAddress, parsePrefix, type Family } from '../net.js';
import type { Capabilities, Support } from './types.js';

/**
 * A kind whose every link is its own network of two (the plan's `p2p` model: GRE, VXLAN,
 * IPsec…): `device` names what each end of a link gets, e.g. "GRE device".
 */
export function perLink(device: string): Capabilities['shapes'] {
  return {
    'site-to-site': { how: `one ${device} on each host, to the other` },
    'multi-site': { how: `the main site has one ${device} per site, each site one to the main site; site to site crosses the main site, which routes between its tunnels` },
    'hub-spoke': { how: `the hub has one ${device} per spoke, each spoke one to the hub; spoke to spoke crosses the hub, which forwards between its tunnels (the plan routes the other spokes' LANs via the hub)` },
    mesh: { how: `one ${device} per peer on every host (n−1 each, n(n−1)/2 tunnels); every pair talks directly` },
  };
}

/** Both underlay families, each with how the kind's outer header is made over it. */
export const bothFamilies = (ipv4: string, ipv6: string): Capabilities['underlay'] => ({ ipv4: { how: ipv4 }, ipv6: { how: ipv6 } });

/** Kinds that put no IP header of their own on the wire (MACVLAN, MACsec): the underlay's family does not matter. */
export const anyFamily = (what: string): Capabilities['underlay'] => {
  const cell: Support = { how: `${what}: no outer IP header, so the underlay's address family does not matter (the hosts must share one Ethernet segment)` };
  return { ipv4: cell, ipv6: cell };
};

/**
 * A host's underlay family, which its links' kinds must support: its own address's, else the
 * lab underlay subnet's (the plan gives it an address from there); undefined when neither parses.
 */
export function hostFamily(address: string | undefined, subnet: string | undefined): Family | undefined {
  const a = address !== undefined ? parseAddress(address) : undefined;
  if (a !== undefined) return typeof a === 'string' ? undefined : a.family;
  const p = subnet !== undefined ? parsePrefix(subnet) : undefined;
  return p === undefined || typeof p === 'string' ? undefined : p.family;
}
