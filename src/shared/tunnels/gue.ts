import type { Family } from '../net.js';
import { UDP_HEADER, ipHeader } from './common.js';
import { renderUdpEncap, udpEncapRequirements, udpPortOptions, type UdpEncapParams, type UdpPortOptions } from './fou.js';
import { ipInIpParams } from './ipip.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

/** GUE base header: version, control flag, header length, protocol, flags. No optional fields are used. */
const GUE_HEADER = 4;

/**
 * GUE (Generic UDP Encapsulation): IPIP in UDP behind a 4-byte GUE header that names the
 * inner protocol. Default port 6080, the one draft-ietf-intarea-gue asks IANA for.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   1500 → 1468   9000 → 8968   (also a 4-host mesh: three links per host on one listener)
 * IPv6 underlay (fou6 loaded, see LOAD_FOU6): 1500 → 1448 (ip6tnl + gue, encaplimit none), proven the same way in a 3-host
 * hub-spoke (tests/tunnels/prove.ts …:hub-spoke:3:1500:underlay=6, spoke LAN to spoke LAN through the hub).
 */
export const gue = defineKind<UdpPortOptions, UdpEncapParams>({
  id: 'gue',
  label: 'IPIP over GUE',
  layer: 'L3',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('GUE tunnel device'), underlay: bothFamilies('an ipip device with GUE encapsulation, and an `ip fou … gue` listener', 'an ip6tnl device with GUE encapsulation, and an `ip fou … gue -6` listener') },
  ifPrefix: 'gue',
  options: udpPortOptions(6080),
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) => udpEncapRequirements('gue', o.port),
  overhead: (_o, family: Family) => ipHeader(family) + UDP_HEADER + GUE_HEADER,
  plan: (d) => ({ params: { ...ipInIpParams(d), port: d.options.port }, secrets: [] }),
  render: ({ net, self }) => renderUdpEncap('gue', net, self),
});
