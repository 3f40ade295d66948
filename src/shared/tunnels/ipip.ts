import { z } from 'zod';
import type { Family } from '../net.js';
import { configureLink, deleteLink, guardLink, ipHeader } from './common.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind, type Member, type NetworkDraft } from './types.js';

/**
 * IP in IP has one kernel device per (underlay, inner) family pair, and the inner protocol
 * number is what FOU's receive side must name:
 *   IPv4 underlay: `ipip` (IPv4 inside, proto 4), `sit mode ip6ip` (IPv6 inside, proto 41);
 *   IPv6 underlay: `ip6tnl mode ipip6` (proto 4), `ip6tnl mode ip6ip6` (proto 41).
 * ip6tnl gets `encaplimit none`: its default adds an 8-byte destination-options header.
 * Shared by `ipip`, `fou` and `gue`.
 */
export type IpInIpParams = {
  readonly link: 'ipip' | 'sit' | 'ip6tnl';
  readonly mode: 'ipip' | 'ip6ip' | 'ipip6' | 'ip6ip6';
  /** The inner protocol: 4 (IPv4 inside) or 41 (IPv6 inside). */
  readonly ipproto: 4 | 41;
};

/** The IP-in-IP device for the network's underlay and inner families. */
export function ipInIpParams(d: NetworkDraft<unknown>): IpInIpParams {
  const inner: Family = d.members[0]!.address.includes(':') ? 6 : 4;
  if (d.family === 4) return inner === 4 ? { link: 'ipip', mode: 'ipip', ipproto: 4 } : { link: 'sit', mode: 'ip6ip', ipproto: 41 };
  return { link: 'ip6tnl', mode: inner === 4 ? 'ipip6' : 'ip6ip6', ipproto: inner === 4 ? 4 : 41 };
}

/** `ip link add` words for the IP-in-IP device planned by `ipInIpParams`, before any `encap` words. */
export const ipInIpCreate = (params: IpInIpParams, me: Member, peer: Member): (string | number)[] => [
  'ip',
  'link',
  'add',
  me.ifname,
  'type',
  params.link,
  'mode',
  params.mode,
  'local',
  me.underlay,
  'remote',
  peer.underlay,
  ...(params.link === 'ip6tnl' ? ['encaplimit', 'none'] : []),
];

/**
 * IPIP (RFC 2003): IP directly in IP, point to point (see `ipInIpParams` for the device).
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   1500 → 1480   9000 → 8980
 * IPv6 underlay: derived, not run (lab addresses are IPv4): 1500 → 1460 (ip6tnl, encaplimit none).
 */
export const ipip = defineKind<Record<string, never>, IpInIpParams>({
  id: 'ipip',
  label: 'IPIP (IP in IP)',
  layer: 'L3',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('IP-in-IP device'), underlay: bothFamilies('ipip (sit for IPv6 inside)', 'ip6tnl mode ipip6 (ip6ip6 for IPv6 inside), encaplimit none') },
  ifPrefix: 'ipip',
  options: z.strictObject({}),
  transport: () => 'IP proto 4 (41 with IPv6 inside)',
  requirements: () => ({
    modules: ['ipip'],
    packages: ['iproute2'],
    binaries: ['ip'],
    probe: 'ip link add olprobe2 type ipip local 198.18.255.1 remote 198.18.255.2',
  }),
  overhead: (_o, family) => ipHeader(family),
  plan: (d) => ({ params: ipInIpParams(d), secrets: [] }),
  render: ({ net, self }) => {
    const me = net.members[self]!;
    const peer = net.members[1 - self]!;
    return {
      files: [],
      up: [guardLink(me.ifname, ...ipInIpCreate(net.params, me, peer)), ...configureLink(me, net.mtu)],
      down: [deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
