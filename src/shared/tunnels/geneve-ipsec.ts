import { geneve } from './geneve.js';
import { overIpsec } from './libreswan.js';

/**
 * GENEVE carried by IPsec transport mode (as in the paper): the `geneve` kind's device and
 * options, plus transport-mode SAs for UDP to the GENEVE port of each host (the source port
 * varies per flow, so each direction has its own SA).
 *
 * Proven in Debian's 6.1 kernel (scripts/fullkernel): see the table in ipsec-transport.ts.
 */
export const geneveIpsec = overIpsec(geneve, { id: 'geneve-ipsec', label: 'GENEVE over IPsec transport (Libreswan)', ifPrefix: 'gnvs', traffic: (p) => ({ udpPort: p.port }) });
