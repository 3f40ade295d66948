/** The tunnel catalogue: the only list of kinds. */
import { clean } from './clean.js';
import { fou } from './fou.js';
import { geneve } from './geneve.js';
import { gre } from './gre.js';
import { gretap } from './gretap.js';
import { gue } from './gue.js';
import { ipip } from './ipip.js';
import { macsec } from './macsec.js';
import { macvlan } from './macvlan.js';
import { nebula } from './nebula.js';
import { openconnect } from './openconnect.js';
import { openvpn } from './openvpn.js';
import { tinc } from './tinc.js';
import { geneveIpsec } from './geneve-ipsec.js';
import { greIpsec } from './gre-ipsec.js';
import { gretapIpsec } from './gretap-ipsec.js';
import { ipipIpsec } from './ipip-ipsec.js';
import { ipsecTransport } from './ipsec-transport.js';
import { ipsecTunnel } from './ipsec-tunnel.js';
import { ipsecVti } from './ipsec-vti.js';
import { ipsecXfrmi } from './ipsec-xfrmi.js';
import type { Registry } from './types.js';
import { vxlanIpsec } from './vxlan-ipsec.js';
import { vxlan } from './vxlan.js';
import { wireguard } from './wireguard.js';

export const defaultRegistry: Registry = {
  kinds: [clean, ipip, gre, gretap, fou, gue, geneve, vxlan, macvlan, macsec, ipsecTunnel, ipsecTransport, ipsecVti, ipsecXfrmi, greIpsec, gretapIpsec, vxlanIpsec, geneveIpsec, ipipIpsec, wireguard, tinc, nebula, openvpn, openconnect],
};

export * from './types.js';
