import { ETH_HEADER, configureLink, deleteLink } from './common.js';
import { GreOptions, greCreate, greOverhead, greParams, type GreParams } from './gre.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

/**
 * GREtap: Ethernet in GRE in IP (protocol type 0x6558), point to point; `ip6gretap` on an
 * IPv6 underlay. An Ethernet device: the address goes on it and ARP runs across it, so the
 * inner 14-byte Ethernet header is part of the overhead. Header options as for `gre`.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   no options        1500 → 1462   9000 → 8962
 *   key + csum + seq  1500 → 1450
 * IPv6 underlay: derived, not run (lab addresses are IPv4): 1500 → 1442 (ip6gretap, encaplimit none).
 */
export const gretap = defineKind<GreOptions, GreParams>({
  id: 'gretap',
  label: 'GREtap (Ethernet over GRE)',
  layer: 'L2',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('GREtap device'), underlay: bothFamilies('gretap', 'ip6gretap, encaplimit none') },
  ifPrefix: 'gtap',
  options: GreOptions,
  transport: () => 'IP proto 47 (Ethernet, 0x6558)',
  requirements: () => ({
    modules: ['ip_gre'],
    packages: ['iproute2'],
    binaries: ['ip'],
    probe: 'ip link add olprobe2 type gretap local 198.18.255.1 remote 198.18.255.2',
  }),
  overhead: (o, family) => greOverhead(o, family) + ETH_HEADER,
  plan: (d) => ({ params: greParams(d, 'gretap', 'ip6gretap'), secrets: [] }),
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
