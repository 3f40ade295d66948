import { gre } from './gre.js';
import { overIpsec } from './libreswan.js';

/**
 * GRE carried by IPsec transport mode (as in the paper): the `gre` kind's device and options,
 * plus one transport-mode SA for IP protocol 47 between the two underlay addresses.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const greIpsec = overIpsec(gre, { id: 'gre-ipsec', label: 'GRE over IPsec transport (Libreswan)', ifPrefix: 'gres', traffic: () => ({ proto: 47 }) });
