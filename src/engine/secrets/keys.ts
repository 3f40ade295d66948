/**
 * Small checks on raw key bytes that more than one secret type's validator needs (WireGuard and
 * Nebula host keys are both X25519): a module of its own, so that the generator modules import it
 * and not each other.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';

// PKCS#8 DER headers of a 32-byte X25519 / Ed25519 private key (RFC 8410): the key follows them.
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

const publicOf = (key: KeyObject): Buffer => Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url');

/** The X25519 public key of a 32-byte private key. */
export const x25519Public = (priv: Buffer): Buffer => publicOf(createPrivateKey({ key: Buffer.concat([X25519_PKCS8, priv]), format: 'der', type: 'pkcs8' }));

/** The Ed25519 key objects of a 32-byte seed. */
export const ed25519Private = (seed: Buffer): KeyObject => createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' });
export const ed25519Public = (seed: Buffer): Buffer => publicOf(ed25519Private(seed));

/**
 * Whether a 32-byte X25519 private key is clamped (RFC 7748: low three bits clear, top bit clear,
 * next bit set), as OpenSSL and `wg genkey` make them. A key that is not was changed after it was
 * made — and a change in those bits alone would not change its public key, so it is checked here.
 */
export const clamped = (k: Buffer): boolean => k.length === 32 && (k[0]! & 7) === 0 && (k[31]! & 0x80) === 0 && (k[31]! & 0x40) !== 0;

/** The bytes of `text` when it is exactly the standard base64 of `length` bytes (no white space, padded), else undefined. */
export function base64Of(text: string, length: number): Buffer | undefined {
  const b = Buffer.from(text, 'base64');
  // Node's decoder skips what is not base64: only the canonical text round-trips.
  return b.length === length && b.toString('base64') === text ? b : undefined;
}

/** A node:crypto error's words, on one line (they are quoted inside Overlab's own one-line messages). */
export const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();

/** Said of a part that parses but is not byte for byte what Overlab wrote. */
export const NOT_AS_WRITTEN = 'is not as Overlab wrote it (edited, or damaged)';
