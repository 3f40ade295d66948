/**
 * X.509 material for the TLS-based kinds (OpenVPN's small PKI, ocserv's server certificate):
 * a CA per network and end-entity certificates it signs, made locally with @peculiar/x509
 * over Node's WebCrypto. Keys are ECDSA P-256: OpenSSL 3 (OpenVPN) and GnuTLS (ocserv,
 * openconnect) both take them, and generating one costs microseconds where RSA costs
 * a noticeable fraction of a second per host.
 */
// tsyringe, which @peculiar/x509 uses inside, needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, webcrypto, type KeyObject } from 'node:crypto';
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { isIP } from 'node:net';
import type { SecretKind } from '../../shared/secrets.js';
import { NOT_AS_WRITTEN, oneLine } from './keys.js';
import { missingPart, type PartProblem, type Parts } from './types.js';

const crypto = webcrypto;
const EC: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const HOUR = 3600_000;
const YEAR = 365 * 24 * HOUR;
/** Lab hosts' clocks drift; a certificate valid from an hour ago is not refused by a host running a little behind. */
const BACKDATE = HOUR;
const CA_LIFETIME = 20 * YEAR;
const CERT_LIFETIME = 10 * YEAR;

/** A positive serial of 16 random bytes (RFC 5280 allows up to 20 octets). */
const serial = (): string => {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
};

const name = (commonName: string): x509.JsonName => [{ CN: [commonName] }];

async function exportKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** SHA-256 of the certificate's DER, upper-case colon hex — the form `openssl x509 -fingerprint -sha256` prints and OpenVPN's `peer-fingerprint` takes. */
export function fingerprint(certPem: string): string {
  const der = new x509.X509Certificate(certPem).rawData;
  return createHash('sha256').update(Buffer.from(der)).digest('hex').toUpperCase().match(/../g)!.join(':');
}

export async function x509Ca(commonName: string): Promise<Parts> {
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: name(commonName),
      notBefore: new Date(now - BACKDATE),
      notAfter: new Date(now + CA_LIFETIME),
      signingAlgorithm: EC,
      keys,
      extensions: [
        // Path length 0: this CA signs end-entity certificates only.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { key: await exportKey(keys.privateKey), cert: cert.toString('pem') };
}

export async function x509Cert(spec: { ca: string; commonName: string; usage: 'server' | 'client'; sans?: readonly string[] }, lookup: (ref: string, part: string) => string): Promise<Parts> {
  const caCert = new x509.X509Certificate(lookup(spec.ca, 'cert'));
  const caDer = createPrivateKey(lookup(spec.ca, 'key')).export({ format: 'der', type: 'pkcs8' });
  const caKey = await crypto.subtle.importKey('pkcs8', caDer, EC, false, ['sign']);
  const keys = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // ECDSA keys sign the (EC)DHE handshake: digitalSignature is the usage TLS checks.
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([spec.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false, crypto),
  ];
  if (spec.sans?.length) extensions.push(new x509.SubjectAlternativeNameExtension(spec.sans.map((s) => ({ type: isIP(s) ? ('ip' as const) : ('dns' as const), value: s })), false));
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: name(spec.commonName),
      issuer: caCert.subject,
      // A certificate never outlives its CA.
      notBefore: new Date(now - BACKDATE),
      notAfter: new Date(Math.min(now + CERT_LIFETIME, caCert.notAfter.getTime())),
      signingAlgorithm: EC,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions,
    },
    crypto,
  );
  const pem = cert.toString('pem');
  return { key: await exportKey(keys.privateKey), cert: pem, fingerprint: fingerprint(pem) };
}

/** Generators for the `generators` map of generate.ts. */
export const x509Generators = {
  'x509-ca': (k: SecretKind): Promise<Parts> => {
    if (k.type !== 'x509-ca') throw new Error('bug: wrong kind');
    return x509Ca(k.commonName);
  },
  'x509-cert': (k: SecretKind, lookup: (ref: string, part: string) => string): Promise<Parts> => {
    if (k.type !== 'x509-cert') throw new Error('bug: wrong kind');
    return x509Cert(k, lookup);
  },
};

/**
 * A stored CA or certificate read back: the key an ECDSA P-256 PKCS#8 PEM as `exportKey` writes
 * it, the certificate a PEM certificate as written, holding the key's public half and signed by
 * its issuer (itself for a CA, the CA's certificate for the others), the fingerprint its own.
 */
async function x509Problem(k: SecretKind, parts: Parts, lookup: (ref: string, part: string) => string): Promise<PartProblem | undefined> {
  if (k.type !== 'x509-ca' && k.type !== 'x509-cert') throw new Error('bug: wrong kind');
  const missing = missingPart(parts, k.type === 'x509-ca' ? ['key', 'cert'] : ['key', 'cert', 'fingerprint']);
  if (missing) return missing;
  let key: KeyObject;
  try {
    key = createPrivateKey(parts.key!);
  } catch (e) {
    return { part: 'key', problem: `is not a PEM private key (${oneLine(e)})` };
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return { part: 'key', problem: 'is not an ECDSA P-256 key' };
  if (key.export({ format: 'pem', type: 'pkcs8' }) !== parts.key) return { part: 'key', problem: NOT_AS_WRITTEN };
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(parts.cert!);
  } catch (e) {
    return { part: 'cert', problem: `is not a PEM certificate (${oneLine(e)})` };
  }
  if (cert.toString('pem') !== parts.cert) return { part: 'cert', problem: NOT_AS_WRITTEN };
  const certKey = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  const keySpki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  if (!keySpki.equals(certKey.export({ format: 'der', type: 'spki' }))) return { part: 'cert', problem: 'does not hold the public half of the key beside it' };
  // The private number itself, which the public half stored in the key file does not show.
  const probe = Buffer.from('overlab secret store check');
  if (!verify('sha256', probe, certKey, sign('sha256', probe, key))) return { part: 'key', problem: 'is not the private key of the certificate beside it' };
  let issuer: x509.X509Certificate = cert;
  if (k.type === 'x509-cert') {
    try {
      issuer = new x509.X509Certificate(lookup(k.ca, 'cert'));
    } catch (e) {
      return { part: 'cert', problem: `cannot be checked: its CA's certificate does not read (${oneLine(e)})` };
    }
  }
  if (!(await cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }, crypto))) return { part: 'cert', problem: k.type === 'x509-ca' ? 'is not signed by its own key' : `is not signed by the CA ${k.ca}` };
  if (k.type === 'x509-cert' && fingerprint(parts.cert!) !== parts.fingerprint) return { part: 'fingerprint', problem: 'is not the SHA-256 fingerprint of the certificate beside it' };
  return undefined;
}

/** Checks for the `validators` map of generate.ts. */
export const x509Validators = {
  'x509-ca': x509Problem,
  'x509-cert': x509Problem,
};
