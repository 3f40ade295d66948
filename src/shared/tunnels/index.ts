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
import type { Registry } from './types.js';
import { vxlan } from './vxlan.js';
import { wireguard } from './wireguard.js';

export const defaultRegistry: Registry = {
  kinds: [clean, ipip, gre, gretap, fou, gue, geneve, vxlan, macvlan, macsec, wireguard, tinc, nebula, openvpn, openconnect],
};

export * from './types.js';
