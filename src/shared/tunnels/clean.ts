import { z } from 'zod';
import { bothFamilies } from './capabilities.js';
import { defineKind } from './types.js';

/** Nothing to plan. */
type CleanParams = Record<string, never>;

/** No tunnel: traffic crosses the underlay as it is. The baseline every kind is compared with. */
export const clean = defineKind<Record<string, never>, CleanParams>({
  id: 'clean',
  label: 'Clean IP (no tunnel)',
  layer: 'L3',
  encrypted: false,
  model: 'p2p',
  addressing: 'underlay',
  capabilities: {
    shapes: {
      'site-to-site': { how: 'no tunnel: each host routes the other\'s LAN via its underlay address' },
      'multi-site': { how: 'no tunnel: each site routes the others\' LANs via the main site\'s underlay address, and the main site forwards' },
      'hub-spoke': { how: 'no tunnel: each spoke routes the other spokes\' LANs via the hub\'s underlay address, and the hub forwards' },
      mesh: { how: 'no tunnel: every host routes each peer\'s LAN via that peer\'s underlay address' },
    },
    underlay: bothFamilies('LAN routes via the peers\' IPv4 underlay addresses', 'LAN routes via the peers\' IPv6 underlay addresses (an IPv4 LAN through an IPv6 gateway: `via inet6`)'),
  },
  ifPrefix: 'cl',
  options: z.strictObject({}),
  transport: () => 'underlay IP, no encapsulation',
  requirements: () => ({ modules: [], packages: ['iproute2'], binaries: ['ip'] }),
  overhead: () => 0,
  plan: () => ({ params: {}, secrets: [] }),
  // Nothing to create: LAN routes point at the peer's underlay address.
  render: ({ net, self }) => ({ files: [], up: [], down: [], routeDev: net.members[self]!.underlayDev }),
});
