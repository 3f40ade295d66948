import { ipip } from './ipip.js';
import { overIpsec } from './libreswan.js';

/**
 * IPIP carried by IPsec transport mode (as in the paper): the `ipip` kind's device, plus one
 * transport-mode SA for its IP protocol (4, or 41 with IPv6 inside) between the two underlay
 * addresses.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const ipipIpsec = overIpsec(ipip, { id: 'ipip-ipsec', label: 'IPIP over IPsec transport (Libreswan)', ifPrefix: 'ipips', traffic: (p) => ({ proto: p.ipproto }) });
