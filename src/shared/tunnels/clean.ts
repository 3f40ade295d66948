import { z } from 'zod';
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
  shapes: ['site-to-site', 'multi-site', 'hub-spoke', 'mesh'],
  ifPrefix: 'cl',
  options: z.strictObject({}),
  transport: () => 'underlay IP, no encapsulation',
  requirements: () => ({ modules: [], packages: ['iproute2'], binaries: ['ip'] }),
  overhead: () => 0,
  plan: () => ({ params: {}, secrets: [] }),
  // Nothing to create: LAN routes point at the peer's underlay address.
  render: ({ net, self }) => ({ files: [], up: [], down: [], routeDev: net.members[self]!.underlayDev }),
});
