/** What every secret generator returns and takes (a module of its own: the generators import it, not each other). */
import type { SecretKind } from '../../shared/secrets.js';

/** Named parts of one secret (`private`, `public`, `cert`, `value`, …), file name → content. */
export type Parts = Record<string, string>;

/** Generators by type. Types that need other secrets (certificates) receive a lookup for them. */
export type Generator = (kind: SecretKind, lookup: (ref: string, part: string) => string) => Parts | Promise<Parts>;

/** Why a stored part is not what its generator makes: the part's name and what is wrong with it. */
export interface PartProblem {
  readonly part: string;
  readonly problem: string;
}

/**
 * Checks a secret read back from the store, part by part, against what its generator makes
 * (parses it, and checks what belongs together: a public key against its private key, a
 * certificate against its key and signer). Undefined: the parts are sound. One per generator,
 * kept beside it, so that a new secret type brings its own check.
 */
export type Validator = (kind: SecretKind, parts: Parts, lookup: (ref: string, part: string) => string) => PartProblem | undefined | Promise<PartProblem | undefined>;

/** The first problem among `parts` that must all be present. */
export const missingPart = (parts: Parts, names: readonly string[]): PartProblem | undefined => {
  const absent = names.find((n) => parts[n] === undefined);
  return absent === undefined ? undefined : { part: absent, problem: 'is missing' };
};
