import { IpsecOptions, espOverhead, ipsecPart, ipsecPlan, ipsecRequirements, type IpsecParams } from './libreswan.js';
import { bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

/**
 * IPsec transport mode between the two hosts' underlay addresses, as the paper measured it:
 * one SA that protects every IP packet between them (IKE itself excepted: pluto's sockets
 * bypass the policies). Its "tunnel addresses" are the underlay addresses themselves, like
 * `clean`: a measurement to the peer's underlay address crosses ESP, with the MTU the kernel
 * enforces on the ESP bundle.
 *
 * Transport mode protects traffic from one host to the other only; it cannot carry the LANs
 * behind them (their packets' addresses are not the SA's). Their routes are therefore not
 * installed, rather than sent in clear: use ipsec-tunnel, or an overlay over IPsec
 * (gre-ipsec, vxlan-ipsec, …), to join LANs.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel), IPv4 underlay, largest DF ping that
 * crosses = MTU − 28 and one byte more fails, no outer fragments (Ip FragCreates unchanged),
 * the ESP SAs' counters grow, and `ip xfrm state`/`policy` are empty after down.sh:
 *                                       1500 → inner   9000 → inner
 *   ipsec-transport  AES_GCM_16_256         1466            8966
 *   ipsec-tunnel     AES_GCM_16_256         1446            8946
 *   ipsec-vti        AES_GCM_16_256         1446            8946
 *   ipsec-xfrmi      AES_GCM_16_256         1446            8946
 *   gre-ipsec        AES_GCM_16_256         1442            8942
 *   gretap-ipsec     AES_GCM_16_256         1428            8928
 *   vxlan-ipsec      AES_GCM_16_256         1416            8916
 *   geneve-ipsec     AES_GCM_16_256         1416            8916
 *   ipip-ipsec       AES_GCM_16_256         1446            8946
 * (tests/tunnels/pair.sh over SSH in the lab; 1500 in CI, 9000 by hand with --mtu9000.)
 */
export const ipsecTransport = defineKind<IpsecOptions, IpsecParams>({
  id: 'ipsec-transport',
  label: 'IPsec transport mode (Libreswan, host to host)',
  layer: 'L3',
  encrypted: true,
  natTraversal: 'IKE NAT-T: ESP in UDP 4500 once IKE sees a NAT (libreswan\'s default encapsulation=auto)',
  model: 'p2p',
  addressing: 'underlay',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'one transport-mode IKE connection between the two hosts; hosts only: their LANs are not routed' },
      'multi-site': { how: 'one transport-mode connection per site to the main site; hosts only: no LAN is routed, and sites do not reach each other through the main site' },
      'hub-spoke': { how: 'one transport-mode connection per spoke to the hub; hosts only: no LAN is routed, and spokes do not reach each other through the hub' },
      mesh: { how: 'one transport-mode connection per pair of hosts; hosts only: no LAN is routed' },
    },
    underlay: bothFamilies('ESP over IPv4 between the underlay addresses, IKE on UDP 500', 'ESP over IPv6 between the underlay addresses, IKE over IPv6'),
  },
  hostsOnly: true,
  ifPrefix: 'iptr',
  options: IpsecOptions,
  transport: (o) => `ESP (IP proto 50) transport mode, ${o.esp}; IKE${o.ike === 'ikev1' ? 'v1' : 'v2'} on UDP 500`,
  requirements: (o) => ipsecRequirements(o, 'transport'),
  overhead: (o, family, mtu) => espOverhead(o, 'transport', family, mtu),
  plan: (d) => ipsecPlan(d),
  render: (ctx) => {
    const ipsec = ipsecPart(ctx, [{ name: ctx.net.params.ipsecConn, type: 'transport' }]);
    // No routeDev: no LAN routes (see above), and the kernel clamps the host's own TCP MSS to the bundle's MTU.
    return { files: ipsec.files, up: [...ipsec.guard, ...ipsec.up], down: [...ipsec.down, ...ipsec.unguard] };
  },
});
