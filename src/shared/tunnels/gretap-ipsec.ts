import { gretap } from './gretap.js';
import { overIpsec } from './libreswan.js';

/**
 * GREtap carried by IPsec transport mode (as in the paper): the `gretap` kind's device and
 * options, plus one transport-mode SA for IP protocol 47 between the two underlay addresses.
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const gretapIpsec = overIpsec(gretap, { id: 'gretap-ipsec', label: 'GREtap over IPsec transport (Libreswan)', ifPrefix: 'gtaps', traffic: () => ({ proto: 47 }) });
