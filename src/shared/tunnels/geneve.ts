import { z } from 'zod';
import { ETH_HEADER, UDP_HEADER, configureLink, deleteLink, guardLink, ipHeader } from './common.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

/** Geneve base header; no TLV options are sent. */
const GENEVE_HEADER = 8;

const Options = z.strictObject({
  /** VNI of the link; by default 100 + the link's position among GENEVE links. */
  vni: z.number().int().min(0).max(16777215).optional(),
  /** IANA's 6081. */
  port: z.number().int().min(1).max(65535).default(6081),
  /**
   * Outer don't-fragment bit: `unset` (the kernel's default: an oversized outer packet is
   * fragmented), `set` (it is dropped and PMTU discovery runs), `inherit` (from the inner IPv4).
   */
  df: z.enum(['unset', 'set', 'inherit']).default('unset'),
});
type Options = z.output<typeof Options>;

/** The link's VNI, UDP port and outer DF policy. */
export type GeneveParams = { readonly vni: number; readonly port: number; readonly df: Options['df'] };

/**
 * GENEVE (RFC 8926): Ethernet in UDP, point to point with `remote`. iproute2 has no `local`
 * or `dev` option for it: the kernel picks the source from the route to `remote`.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   1500 → 1450   9000 → 8950   (df unset and df set; hub-spoke too)
 * IPv6 underlay: derived, not run (lab addresses are IPv4): 1500 → 1430.
 */
export const geneve = defineKind<Options, GeneveParams>({
  id: 'geneve',
  label: 'GENEVE',
  layer: 'L2',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('GENEVE device'), underlay: bothFamilies('GENEVE in UDP to the peer\'s IPv4 address', 'GENEVE in UDP to the peer\'s IPv6 address') },
  ifPrefix: 'gnv',
  options: Options,
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) => ({ modules: ['geneve'], packages: ['iproute2'], binaries: ['ip'], probe: 'ip link add olprobe2 type geneve id 1 remote 198.18.255.2', ports: [{ proto: 'udp', port: o.port }] }),
  // outer IP + UDP + Geneve header + the inner Ethernet header
  overhead: (_o, family) => ipHeader(family) + UDP_HEADER + GENEVE_HEADER + ETH_HEADER,
  plan: (d) => ({ params: { vni: d.options.vni ?? 100 + d.ordinal, port: d.options.port, df: d.options.df }, secrets: [] }),
  render: ({ net, self }) => {
    const me = net.members[self]!;
    const peer = net.members[1 - self]!;
    return {
      files: [],
      up: [
        guardLink(me.ifname, 'ip', 'link', 'add', me.ifname, 'type', 'geneve', 'id', net.params.vni, 'remote', peer.underlay, 'dstport', net.params.port, 'df', net.params.df),
        ...configureLink(me, net.mtu),
      ],
      down: [deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
