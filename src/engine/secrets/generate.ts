/**
 * Generates secret material locally with Node's crypto (OpenSSL): nothing is made on the
 * remote hosts, and nothing leaves `.overlab/secrets/` except inside a host's bundle.
 * One function per secret type; each returns named parts (see `SecretKind`).
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import type { SecretKind } from '../../shared/secrets.js';
import { cryptSalt, sha512crypt } from './crypt.js';
import { nebulaGenerators } from './nebula.js';
import type { Generator, Parts } from './types.js';

export type { Generator, Parts } from './types.js';
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
