import { z } from 'zod';
import { ETH_HEADER, UDP_HEADER, configureLink, deleteLink, guardLink, ipHeader } from './common.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

const Options = z.strictObject({
  /** VNI of the link; by default 100 + the link's position among VXLAN links. */
  vni: z.number().int().min(1).max(16777215).optional(),
  /** IANA's 4789, not Linux's historical default 8472. */
  port: z.number().int().min(1).max(65535).default(4789),
});
type Options = z.output<typeof Options>;

/** The link's VNI and UDP port. */
export type VxlanParams = { readonly vni: number; readonly port: number };

/** VXLAN (RFC 7348): Ethernet in UDP, point to point with `remote`. */
export const vxlan = defineKind<Options, VxlanParams>({
  id: 'vxlan',
  label: 'VXLAN',
  layer: 'L2',
  encrypted: false,
  model: 'p2p',
  // Unicast VXLAN: one device per link with one `remote`, no multicast group or FDB flooding.
  capabilities: { shapes: perLink('VXLAN device (unicast, one remote)'), underlay: bothFamilies('VXLAN in UDP over IPv4', 'VXLAN in UDP over IPv6 (IPv6 local and remote)') },
  ifPrefix: 'vx',
  options: Options,
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) => ({
    modules: ['vxlan'],
    packages: ['iproute2'],
    binaries: ['ip'],
    probe: 'ip link add olprobe2 type vxlan id 1 dstport 4789 local 198.18.255.1 remote 198.18.255.2 dev olprobe0',
    ports: [{ proto: 'udp', port: o.port }],
  }),
  // outer IP + UDP + VXLAN header + the inner Ethernet header
  overhead: (_o, family) => ipHeader(family) + UDP_HEADER + 8 + ETH_HEADER,
  plan: (d) => ({ params: { vni: d.options.vni ?? 100 + d.ordinal, port: d.options.port }, secrets: [] }),
  render: ({ net, self }) => {
    const me = net.members[self]!;
    const peer = net.members[1 - self]!;
    return {
      files: [],
      up: [
        // `dev` ties the socket to the underlay and lets the kernel derive the MTU from it.
        guardLink(me.ifname, 'ip', 'link', 'add', me.ifname, 'type', 'vxlan', 'id', net.params.vni, 'local', me.underlay, 'remote', peer.underlay, 'dstport', net.params.port, 'dev', me.underlayDev),
        ...configureLink(me, net.mtu),
      ],
      down: [deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
