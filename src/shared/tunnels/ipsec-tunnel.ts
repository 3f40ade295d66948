import { bare, configureLink, deleteLink, guardLink, routesVia } from './common.js';
import { IpsecOptions, espOverhead, ipsecPart, ipsecPlan, ipsecRequirements, type Conn, type IpsecParams } from './libreswan.js';
import { perLink, bothFamilies } from './capabilities.js';
import { defineKind, type Network, type RenderContext } from './types.js';

const hostPrefix = (address: string): string => `${bare(address)}/${address.includes(':') ? 128 : 32}`;

/**
 * The traffic selectors of each end: its tunnel address, then every destination the other end
 * routes through it (its LAN, and in a hub-spoke the LANs behind it). Both ends compute the
 * same two lists, so their connections pair up one to one.
 */
export function tunnelSelectors(net: RenderContext['net']): [string[], string[]] {
  return [0, 1].map((i) => {
    const m = net.members[i]!;
    const other = net.members[1 - i]!.host;
    return [hostPrefix(m.address), ...routesVia(net, other, m.host).map((r) => r.dst)];
  }) as [string[], string[]];
}

/** One tunnel-mode connection per pair of selectors, named the same on both ends. */
export function tunnelConns(net: Network<unknown, IpsecParams>, self: number): Conn[] {
  const lists = tunnelSelectors(net);
  const base = net.params.ipsecConn;
  const conns: Conn[] = [];
  lists[0].forEach((s0, i0) =>
    lists[1].forEach((s1, i1) => {
      const mine = self === 0 ? s0 : s1;
      const theirs = self === 0 ? s1 : s0;
      conns.push({ name: i0 === 0 && i1 === 0 ? base : `${base}-${i0}x${i1}`, type: 'tunnel', leftsubnet: mine, rightsubnet: theirs });
    }),
  );
  return conns;
}

/**
 * IPsec tunnel mode, policy-based: an ESP tunnel between the two underlay addresses whose
 * policies select the tunnel addresses and the LANs behind each end. No tunnel device: the
 * tunnel address sits on a dummy device whose prefix route (and the LAN routes via the peer's
 * tunnel address) give packets that address as source; the xfrm policy then takes them to the
 * peer in ESP. Without an SA nothing leaves in clear: the dummy drops what no policy takes.
 * The dummy's MTU is the planned MTU, which the kernel also enforces on the ESP bundle.
 *
 * MSS clamping does not apply to forwarded traffic here: it leaves on the underlay device, not
 * the dummy; path MTU discovery (the bundle's MTU) covers it.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel), IPv4 underlay, AES_GCM_16_256: see the
 * table in ipsec-transport.ts.
 */
export const ipsecTunnel = defineKind<IpsecOptions, IpsecParams>({
  id: 'ipsec-tunnel',
  label: 'IPsec tunnel mode (Libreswan, policy-based)',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'IKE NAT-T: ESP in UDP 4500 once IKE sees a NAT (libreswan\'s default encapsulation=auto)',
  model: 'p2p',
  capabilities: { shapes: perLink('IKE connection (tunnel-mode SAs for the two ends\' addresses and LANs)'), underlay: bothFamilies('ESP over IPv4, IKE on UDP 500', 'ESP over IPv6, IKE over IPv6') },
  ifPrefix: 'ipt',
  options: IpsecOptions,
  transport: (o) => `ESP (IP proto 50) tunnel mode, ${o.esp}; IKE${o.ike === 'ikev1' ? 'v1' : 'v2'} on UDP 500`,
  requirements: (o) => ipsecRequirements(o, 'tunnel', { modules: ['dummy'], probe: 'ip link add olprobe2 type dummy' }),
  overhead: (o, family, mtu) => espOverhead(o, 'tunnel', family, mtu),
  plan: (d) => ipsecPlan(d),
  render: (ctx) => {
    const me = ctx.net.members[ctx.self]!;
    const ipsec = ipsecPart(ctx, tunnelConns(ctx.net, ctx.self));
    return {
      files: ipsec.files,
      up: [guardLink(me.ifname, 'ip', 'link', 'add', me.ifname, 'type', 'dummy'), ...configureLink(me, ctx.net.mtu), ...ipsec.up],
      down: [...ipsec.down, deleteLink(me.ifname)],
      routeDev: me.ifname,
    };
  },
});
