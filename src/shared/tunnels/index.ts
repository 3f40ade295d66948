/** The tunnel catalogue: the only list of kinds. */
import { clean } from './clean.js';
import type { Registry } from './types.js';

export const defaultRegistry: Registry = {
  kinds: [clean],
};

export * from './types.js';
