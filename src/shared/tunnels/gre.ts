import { z } from 'zod';
import type { Family } from '../net.js';
import { configureLink, deleteLink, guardLink, ipHeader } from './common.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind, type Member, type NetworkDraft } from './types.js';

/**
 * GRE header options (RFC 2890), shared by `gre` and `gretap`. Both ends of a link read the
 * same options, so they always agree. Each option adds 4 bytes to the 4-byte base header.
 */
export const GreOptions = z.strictObject({
  /** GRE key (both directions); absent: no key field. A number or 0–4294967295. */
  key: z.number().int().min(0).max(4294967295).optional(),
  /** Checksum field on sent packets and required on received ones. */
  csum: z.boolean().default(false),
  /** Sequence numbers on sent packets; received ones out of order are dropped. */
  seq: z.boolean().default(false),
});
export type GreOptions = z.output<typeof GreOptions>;

/** Base header (flags + protocol) plus 4 bytes per optional field. */
export const greHeader = (o: GreOptions): number => 4 + (o.key !== undefined ? 4 : 0) + (o.csum ? 4 : 0) + (o.seq ? 4 : 0);

/** The words after `type <link>` that select the header fields. */
export const greWords = (o: GreOptions): (string | number)[] => [...(o.key !== undefined ? ['key', o.key] : []), ...(o.csum ? ['csum'] : []), ...(o.seq ? ['seq'] : [])];

/** What `gre` and `gretap` plan: the device type, and whether it is an IPv6 one (`encaplimit none`). */
export type GreParams = { readonly link: string; readonly encapLimitNone: boolean };

/**
 * The device for an underlay family. IPv6 tunnels get `encaplimit none`: the default (4)
 * adds an 8-byte destination-options header to every packet.
 */
export const greParams = (d: NetworkDraft<GreOptions>, v4: string, v6: string): GreParams => ({ link: d.family === 4 ? v4 : v6, encapLimitNone: d.family === 6 });

/** The `ip link add` line of a GRE-family device, local and remote from the two members. */
export function greCreate(net: { params: GreParams; options: GreOptions }, me: Member, peer: Member): string {
  return guardLink(
    me.ifname,
    'ip',
    'link',
    'add',
    me.ifname,
    'type',
    net.params.link,
    'local',
    me.underlay,
    'remote',
    peer.underlay,
    ...(net.params.encapLimitNone ? ['encaplimit', 'none'] : []),
    ...greWords(net.options),
  );
}

export const greOverhead = (o: GreOptions, family: Family): number => ipHeader(family) + greHeader(o);

/**
 * GRE (RFC 2784/2890): IP in GRE in IP, point to point; `ip6gre` on an IPv6 underlay. Carries
 * IPv4 and IPv6 inside.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   no options        1500 → 1476   9000 → 8976
 *   key               1500 → 1472
 *   key + csum + seq  1500 → 1464   9000 → 8964
 * IPv6 underlay: derived, not run (lab addresses are IPv4): 1500 → 1456 (ip6gre, encaplimit none).
 */
export const gre = defineKind<GreOptions, GreParams>({
  id: 'gre',
  label: 'GRE',
  layer: 'L3',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('GRE device'), underlay: bothFamilies('gre', 'ip6gre, encaplimit none') },
  ifPrefix: 'gre',
  options: GreOptions,
  transport: () => 'IP proto 47',
  requirements: () => ({
    modules: ['ip_gre'],
    packages: ['iproute2'],
    binaries: ['ip'],
    probe: 'ip link add olprobe2 type gre local 198.18.255.1 remote 198.18.255.2',
  }),
  overhead: greOverhead,
  plan: (d) => ({ params: greParams(d, 'gre', 'ip6gre'), secrets: [] }),
  render: ({ net, self }) => {
    const me = net.members[self]!;
    const peer = net.members[1 - self]!;
    return {
      files: [],
      up: [greCreate(net, me, peer), ...configureLink(me, net.mtu)],
      down: [deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
