import { z } from 'zod';
import type { TunnelKind } from './types.js';

/** No tunnel: traffic crosses the underlay as it is. The baseline every kind is compared with. */
export const clean: TunnelKind = {
  id: 'clean',
  label: 'Clean IP (no tunnel)',
  layer: 'L3',
  encrypted: false,
  shapes: ['site-to-site', 'multi-site', 'hub-spoke', 'mesh'],
  options: z.strictObject({}),
};
