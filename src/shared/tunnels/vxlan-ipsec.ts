import { overIpsec } from './libreswan.js';
import { vxlan } from './vxlan.js';

/**
 * VXLAN carried by IPsec transport mode (as in the paper): the `vxlan` kind's device and
 * options, plus transport-mode SAs for UDP to the VXLAN port of each host (the source port
 * varies per flow, so each direction has its own SA).
 *
 * The outer UDP goes without DF, so a packet too large for the ESP bundle would leave in
 * fragments until the path MTU is learnt; with the planned device MTU none is too large.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const vxlanIpsec = overIpsec(vxlan, { id: 'vxlan-ipsec', label: 'VXLAN over IPsec transport (Libreswan)', ifPrefix: 'vxs', traffic: (p) => ({ udpPort: p.port }) });
