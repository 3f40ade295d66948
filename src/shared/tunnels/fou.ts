import { z } from 'zod';
import type { Family } from '../net.js';
import { cmd, q } from '../shell.js';
import { UDP_HEADER, configureLink, deleteLink, guardLink, ipHeader } from './common.js';
import { ipInIpCreate, ipInIpParams, type IpInIpParams } from './ipip.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind, type HostPart, type Network } from './types.js';

export const udpPortOptions = (defaultPort: number) =>
  z.strictObject({
    /** UDP port both ends receive on (the peer's is the destination of every packet). */
    port: z.number().int().min(1).max(65535).default(defaultPort),
  });
export type UdpPortOptions = z.output<ReturnType<typeof udpPortOptions>>;

/** What `fou` and `gue` plan: the IP-in-IP device, and the UDP port both ends receive on. */
export type UdpEncapParams = IpInIpParams & { readonly port: number };

/**
 * An IP-in-IP device whose packets travel in UDP, shared by `fou` and `gue`.
 *
 * Send side: `encap fou|gue encap-sport auto encap-dport P` on the tunnel device.
 * Receive side: `ip fou add port P ipproto N` (FOU: the UDP payload is the inner protocol
 * N) or `ip fou add port P gue` (GUE: the header names it) — one listener per host, port
 * and family, which every such link of the host shares. up.sh adds it only if that exact
 * listener is missing (a port taken by the other encapsulation makes `ip fou add` fail
 * loudly rather than pass silently); every network's down.sh lines delete it, which is
 * right because down.sh takes the host's whole bundle down: the first deletion removes it,
 * the others find nothing (and say nothing).
 */
/** Loads the fou module when it is a module (see renderUdpEncap); never fails by itself. */
const LOAD_FOU = 'modprobe -q fou 2>/dev/null || true';
/**
 * Over IPv6 the send side's encapsulation lives in `fou6`, which registers FOU and GUE with
 * ip6tnl: until it is loaded, `ip link add … type ip6tnl … encap fou|gue` answers "RTNETLINK
 * answers: Invalid argument" (ip6_tnl_encap_setup finds no ops), and nothing loads it by itself.
 */
const LOAD_FOU6 = 'modprobe -q -a fou fou6 2>/dev/null || true';

export function renderUdpEncap(encap: 'fou' | 'gue', net: Network<UdpPortOptions, UdpEncapParams>, self: number): HostPart {
  const me = net.members[self]!;
  const peer = net.members[1 - self]!;
  const port = net.params.port;
  const family = net.family === 6 ? ['-6'] : [];
  const listener = ['port', port, ...(encap === 'gue' ? ['gue'] : ['ipproto', net.params.ipproto]), ...family];
  return {
    files: [],
    up: [
      // FOU's generic-netlink family has no module alias (Debian's 6.1): `ip fou` says "Error
      // talking to the kernel" until the module is loaded by name. Built in: modprobe is a no-op.
      net.family === 6 ? LOAD_FOU6 : LOAD_FOU,
      `ip fou show 2>/dev/null | grep -qx ${q(listener.join(' '))} || ${cmd('ip', 'fou', 'add', ...listener)}`,
      guardLink(me.ifname, ...ipInIpCreate(net.params, me, peer), 'encap', encap, 'encap-sport', 'auto', 'encap-dport', port),
      ...configureLink(me, net.mtu),
    ],
    down: [deleteLink(me.ifname), `${cmd('ip', 'fou', 'del', 'port', port, ...family)} 2>/dev/null`],
    routeDev: me.ifname,
  };
}

export const udpEncapRequirements = (encap: 'fou' | 'gue', port: number) => ({
  modules: ['fou', 'ipip'],
  packages: ['iproute2'],
  binaries: ['ip'],
  probe: `${LOAD_FOU}; ip fou add port ${port} ${encap === 'gue' ? 'gue' : 'ipproto 4'} && ip link add olprobe2 type ipip local 198.18.255.1 remote 198.18.255.2 encap ${encap} encap-sport auto encap-dport ${port}`,
  ports: [{ proto: 'udp' as const, port }],
});

/**
 * FOU (Foo over UDP): IPIP whose packets travel in UDP with nothing between the UDP header
 * and the inner IP packet.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel; two namespaces on a bridge, the rendered
 * up.sh/down.sh): a DF ping filling the planned MTU crosses, one byte more does not, the sender's
 * Ip FragCreates stays put, and with the device set one byte larger that packet is dropped or
 * fragmented, so the figure is exact, not merely safe. IPv4 underlay:
 *   1500 → 1472   9000 → 8972   (also a 4-host mesh: three links per host on one listener)
 * IPv6 underlay (fou6 loaded, see LOAD_FOU6): 1500 → 1452 (ip6tnl + fou, encaplimit none), proven the same way in a 3-host
 * hub-spoke (tests/tunnels/prove.ts …:hub-spoke:3:1500:underlay=6, spoke LAN to spoke LAN through the hub).
 */
export const fou = defineKind<UdpPortOptions, UdpEncapParams>({
  id: 'fou',
  label: 'IPIP over FOU',
  layer: 'L3',
  encrypted: false,
  model: 'p2p',
  capabilities: { shapes: perLink('FOU tunnel device'), underlay: bothFamilies('an ipip device with FOU encapsulation, and an `ip fou` listener', 'an ip6tnl device with FOU encapsulation, and an `ip fou … -6` listener') },
  ifPrefix: 'fou',
  options: udpPortOptions(5555),
  transport: (o) => `UDP ${o.port}`,
  requirements: (o) => udpEncapRequirements('fou', o.port),
  overhead: (_o, family: Family) => ipHeader(family) + UDP_HEADER,
  plan: (d) => ({ params: { ...ipInIpParams(d), port: d.options.port }, secrets: [] }),
  render: ({ net, self }) => renderUdpEncap('fou', net, self),
});
