/** The tunnel catalogue: the only list of kinds. */
import { clean } from './clean.js';
import { nebula } from './nebula.js';
import { openconnect } from './openconnect.js';
import { openvpn } from './openvpn.js';
import { tinc } from './tinc.js';
import type { Registry } from './types.js';
import { vxlan } from './vxlan.js';
import { wireguard } from './wireguard.js';

export const defaultRegistry: Registry = {
  kinds: [clean, vxlan, wireguard, tinc, nebula, openvpn, openconnect],
};

export * from './types.js';
