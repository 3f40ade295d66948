/** What every secret generator returns and takes (a module of its own: the generators import it, not each other). */
import type { SecretKind } from '../../shared/secrets.js';

/** Named parts of one secret (`private`, `public`, `cert`, `value`, …), file name → content. */
export type Parts = Record<string, string>;

/** Generators by type. Types that need other secrets (certificates) receive a lookup for them. */
export type Generator = (kind: SecretKind, lookup: (ref: string, part: string) => string) => Parts | Promise<Parts>;
