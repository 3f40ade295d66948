/**
 * Generates secret material locally with Node's crypto (OpenSSL): nothing is made on the
 * remote hosts, and nothing leaves `.overlab/secrets/` except inside a host's bundle.
 * One function per secret type; each returns named parts (see `SecretKind`).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, randomInt, sign, verify, type KeyObject } from 'node:crypto';
import type { SecretKind } from '../../shared/secrets.js';
import { cryptSalt, sha512crypt } from './crypt.js';
import { base64Of, clamped, NOT_AS_WRITTEN, oneLine, x25519Public } from './keys.js';
import { nebulaGenerators, nebulaValidators } from './nebula.js';
import { missingPart, type Generator, type PartProblem, type Parts, type Validator } from './types.js';

export type { Generator, PartProblem, Parts, Validator } from './types.js';
// x509.js (with @peculiar/x509) is loaded when a certificate is issued, not by every CLI command.

const b64url2b64 = (s: string): string => Buffer.from(s, 'base64url').toString('base64');

export function x25519(): Parts {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const priv = privateKey.export({ format: 'jwk' });
  const pub = publicKey.export({ format: 'jwk' });
  return { private: b64url2b64(priv.d!), public: b64url2b64(pub.x!) };
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function password(length: number): Parts {
  let value = '';
  for (let i = 0; i < length; i++) value += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return { value };
}

export function rsa(bits: number): Parts {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    private: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    public: publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
}

export const generators: Partial<Record<SecretKind['type'], Generator>> = {
  x25519: () => x25519(),
  random: (k) => {
    if (k.type !== 'random') throw new Error('bug: wrong kind');
    return { value: randomBytes(k.bytes).toString(k.encoding) };
  },
  password: (k) => {
    if (k.type !== 'password') throw new Error('bug: wrong kind');
    const p = password(k.length);
    return { ...p, hash: sha512crypt(p.value!, cryptSalt()) };
  },
  rsa: (k) => {
    if (k.type !== 'rsa') throw new Error('bug: wrong kind');
    return rsa(k.bits);
  },
  'x509-ca': async (k) => (await import('./x509.js')).x509Generators['x509-ca'](k),
  'x509-cert': async (k, lookup) => (await import('./x509.js')).x509Generators['x509-cert'](k, lookup),
  ...nebulaGenerators,
};

// --- reading them back ----------------------------------------------------------------------
// What each generator above makes, checked when the store reads it again: a part that is not
// exactly that (cut short, emptied, edited, another kind of key) is refused, never used and
// never silently made again (hosts may hold the old one).

function x25519Problem(parts: Parts): PartProblem | undefined {
  const missing = missingPart(parts, ['private', 'public']);
  if (missing) return missing;
  const priv = base64Of(parts.private!, 32);
  if (!priv) return { part: 'private', problem: 'is not a WireGuard key (44 characters of base64 for 32 bytes)' };
  if (!clamped(priv)) return { part: 'private', problem: 'is not an X25519 private key as WireGuard makes them (its first and last bytes were changed)' };
  const pub = base64Of(parts.public!, 32);
  if (!pub) return { part: 'public', problem: 'is not a WireGuard key (44 characters of base64 for 32 bytes)' };
  if (!x25519Public(priv).equals(pub)) return { part: 'public', problem: 'is not the public key of the private key beside it' };
  return undefined;
}

function randomProblem(k: SecretKind, parts: Parts): PartProblem | undefined {
  if (k.type !== 'random') throw new Error('bug: wrong kind');
  const missing = missingPart(parts, ['value']);
  if (missing) return missing;
  const v = parts.value!;
  const ok = k.encoding === 'hex' ? v.length === 2 * k.bytes && /^[0-9a-f]*$/.test(v) : base64Of(v, k.bytes) !== undefined;
  return ok ? undefined : { part: 'value', problem: `is not ${k.bytes} random bytes in ${k.encoding}` };
}

/** `$6$salt$hash` with the default rounds, as `password` writes it (a rounds= field could ask for a billion rounds). */
const CRYPT_RE = /^\$6\$([./0-9A-Za-z]{1,16})\$[./0-9A-Za-z]{86}$/;

function passwordProblem(k: SecretKind, parts: Parts): PartProblem | undefined {
  if (k.type !== 'password') throw new Error('bug: wrong kind');
  const missing = missingPart(parts, ['value', 'hash']);
  if (missing) return missing;
  const value = parts.value!;
  if (value.length !== k.length || [...value].some((c) => !PASSWORD_ALPHABET.includes(c))) return { part: 'value', problem: `is not a password of ${k.length} letters and digits as Overlab makes them` };
  const m = CRYPT_RE.exec(parts.hash!);
  if (!m) return { part: 'hash', problem: 'is not a SHA-512 crypt hash as Overlab makes them ($6$salt$…)' };
  if (sha512crypt(value, m[1]!) !== parts.hash) return { part: 'hash', problem: 'is not the hash of the password beside it' };
  return undefined;
}

const bigOf = (b64url: string | undefined): bigint => BigInt(`0x${Buffer.from(b64url ?? '', 'base64url').toString('hex') || '0'}`);

/** Whether an RSA private key's numbers belong together (n = pq, the CRT exponents and coefficient agree with d). */
function rsaConsistent(key: KeyObject): boolean {
  const j = key.export({ format: 'jwk' });
  const [n, e, d, p, q, dp, dq, qi] = [j.n, j.e, j.d, j.p, j.q, j.dp, j.dq, j.qi].map(bigOf) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  if (p < 3n || q < 3n) return false;
  return n === p * q && dp === d % (p - 1n) && dq === d % (q - 1n) && (e * dp) % (p - 1n) === 1n && (e * dq) % (q - 1n) === 1n && (qi * q) % p === 1n;
}

function rsaProblem(k: SecretKind, parts: Parts): PartProblem | undefined {
  if (k.type !== 'rsa') throw new Error('bug: wrong kind');
  const missing = missingPart(parts, ['private', 'public']);
  if (missing) return missing;
  let key: KeyObject;
  try {
    key = createPrivateKey(parts.private!);
  } catch (e) {
    return { part: 'private', problem: `is not a PEM private key (${oneLine(e)})` };
  }
  if (key.asymmetricKeyType !== 'rsa') return { part: 'private', problem: `is an ${key.asymmetricKeyType ?? 'unknown'} key, not an RSA key` };
  if (key.asymmetricKeyDetails?.modulusLength !== k.bits) return { part: 'private', problem: `is a ${key.asymmetricKeyDetails?.modulusLength ?? '?'}-bit key, not the ${k.bits}-bit key asked for` };
  if (key.export({ type: 'pkcs1', format: 'pem' }) !== parts.private) return { part: 'private', problem: NOT_AS_WRITTEN };
  if (!rsaConsistent(key)) return { part: 'private', problem: 'is not a sound RSA key (its numbers do not belong together)' };
  let pub: KeyObject;
  try {
    pub = createPublicKey(parts.public!);
  } catch (e) {
    return { part: 'public', problem: `is not a PEM public key (${oneLine(e)})` };
  }
  if (pub.export({ type: 'pkcs1', format: 'pem' }) !== parts.public) return { part: 'public', problem: NOT_AS_WRITTEN };
  const probe = Buffer.from('overlab secret store check');
  if (!verify('sha256', probe, pub, sign('sha256', probe, key))) return { part: 'public', problem: 'is not the public key of the private key beside it' };
  return undefined;
}

/** Checks by secret type, beside the generators they check. */
export const validators: Partial<Record<SecretKind['type'], Validator>> = {
  x25519: (_k, parts) => x25519Problem(parts),
  random: randomProblem,
  password: passwordProblem,
  rsa: rsaProblem,
  'x509-ca': async (k, parts, lookup) => (await import('./x509.js')).x509Validators['x509-ca'](k, parts, lookup),
  'x509-cert': async (k, parts, lookup) => (await import('./x509.js')).x509Validators['x509-cert'](k, parts, lookup),
  ...nebulaValidators,
};
