/**
 * Nebula certificates (format v1, as Nebula 1.6's `nebula-cert` writes them), made here with
 * Node's crypto instead of shelling out: a certificate is the protobuf
 * `RawNebulaCertificate { Details = 1; Signature = 2 }` whose Details are
 * `{ Name = 1; Ips = 2; Subnets = 3; Groups = 4; NotBefore = 5; NotAfter = 6; PublicKey = 7;
 * IsCA = 8; Issuer = 9 }` (addresses as packed uint32 address/mask pairs, IPv4 only), signed
 * with the CA's Ed25519 key over the marshalled Details. Nebula checks the signature against
 * its own canonical re-encoding, so the encoding here is protobuf's canonical one: fields in
 * number order, zero values and empty lists left out, repeated integers packed.
 * Host keys are X25519. PEM banners: `NEBULA CERTIFICATE`, `NEBULA X25519 PRIVATE KEY`,
 * `NEBULA ED25519 PRIVATE KEY` (64 bytes: seed then public key, as Go's ed25519).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { parsePrefix, type Prefix } from '../../shared/net.js';
import type { SecretKind } from '../../shared/secrets.js';
import { clamped, ed25519Public, NOT_AS_WRITTEN, oneLine, x25519Public } from './keys.js';
import { missingPart, type PartProblem, type Parts } from './types.js';

export interface NebulaDetails {
  readonly name: string;
  /** IPv4 prefixes: the host's VPN address with the network's length. */
  readonly ips: readonly string[];
  /** IPv4 networks the host may route for (`unsafe_routes` elsewhere point at it). */
  readonly subnets: readonly string[];
  readonly groups: readonly string[];
  /** Unix seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly publicKey: Buffer;
  readonly isCA: boolean;
  /** SHA-256 of the issuing CA certificate (its marshalled bytes); empty for a CA. */
  readonly issuer: Buffer;
}

export const CERT_BANNER = 'NEBULA CERTIFICATE';
export const X25519_KEY_BANNER = 'NEBULA X25519 PRIVATE KEY';
export const ED25519_KEY_BANNER = 'NEBULA ED25519 PRIVATE KEY';

/** CA lifetime; host certificates end one second before their CA, as `nebula-cert sign` does. */
const CA_LIFETIME_S = 10 * 365 * 24 * 3600;
/** Certificates start an hour in the past, so that a host whose clock lags a little accepts them. */
const BACKDATE_S = 3600;

// --- protobuf, the few wire types Nebula's messages use -------------------------------------

function varint(value: bigint): number[] {
  if (value < 0n) throw new Error('bug: negative varint');
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const key = (field: number, wire: 0 | 2): number[] => varint(BigInt((field << 3) | wire));
const bytesField = (field: number, b: Uint8Array): number[] => (b.length === 0 ? [] : [...key(field, 2), ...varint(BigInt(b.length)), ...b]);
const intField = (field: number, v: bigint): number[] => (v === 0n ? [] : [...key(field, 0), ...varint(v)]);
const packed = (field: number, values: readonly number[]): number[] => bytesField(field, Uint8Array.from(values.flatMap((v) => varint(BigInt(v)))));

function ipv4Pairs(prefixes: readonly string[], what: string): number[] {
  return prefixes.flatMap((text) => {
    const [addr, len] = text.split('/');
    const p = parsePrefix(`${addr}/32`);
    if (typeof p === 'string' || p.family !== 4 || len === undefined) {
      throw new Error(`Nebula 1.6 certificates carry IPv4 ${what} only, not "${text}": use an IPv4 tunnel pool and IPv4 LANs for Nebula`);
    }
    const bits = Number(len);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return [Number((p as Prefix).network), mask];
  });
}

export function marshalDetails(d: NebulaDetails): Buffer {
  const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  return Buffer.from([
    ...bytesField(1, utf8(d.name)),
    ...packed(2, ipv4Pairs(d.ips, 'addresses')),
    ...packed(3, ipv4Pairs(d.subnets, 'subnets')),
    ...d.groups.flatMap((g) => [...key(4, 2), ...varint(BigInt(utf8(g).length)), ...utf8(g)]),
    ...intField(5, BigInt(d.notBefore)),
    ...intField(6, BigInt(d.notAfter)),
    ...bytesField(7, d.publicKey),
    ...intField(8, d.isCA ? 1n : 0n),
    ...bytesField(9, d.issuer),
  ]);
}

export const marshalCertificate = (details: Buffer, signature: Buffer): Buffer => Buffer.from([...bytesField(1, details), ...bytesField(2, signature)]);

/** Reads the fields of one protobuf message: field number → values (varints as bigint, the rest as bytes). */
export function readMessage(b: Uint8Array): Map<number, (bigint | Buffer)[]> {
  const out = new Map<number, (bigint | Buffer)[]>();
  let i = 0;
  const readVarint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= b.length) throw new Error('truncated protobuf varint');
      const byte = b[i++]!;
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const k = Number(readVarint());
    const field = k >> 3;
    let value: bigint | Buffer;
    if ((k & 7) === 0) value = readVarint();
    else if ((k & 7) === 2) {
      const len = Number(readVarint());
      if (i + len > b.length) throw new Error('truncated protobuf field');
      value = Buffer.from(b.subarray(i, i + len));
      i += len;
    } else throw new Error(`unexpected protobuf wire type ${k & 7}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

// --- PEM --------------------------------------------------------------------------------------

export function toPem(banner: string, bytes: Buffer): string {
  const b64 = bytes.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${banner}-----\n${b64}\n-----END ${banner}-----\n`;
}

export function fromPem(banner: string, text: string): Buffer {
  const m = new RegExp(`-----BEGIN ${banner}-----\\n([A-Za-z0-9+/=\\n]+?)\\n?-----END ${banner}-----`).exec(text);
  if (!m) throw new Error(`no ${banner} PEM block`);
  return Buffer.from(m[1]!.replace(/\n/g, ''), 'base64');
}

// --- keys and certificates -------------------------------------------------------------------

function ed25519Pair(): { priv: Buffer; pub: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return { priv: Buffer.concat([d, x]), pub: x };
}

function x25519Pair(): { priv: Buffer; pub: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { priv: Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'), pub: Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url') };
}

function signDetails(details: NebulaDetails, caKey: Buffer): Buffer {
  if (caKey.length !== 64) throw new Error('a Nebula CA key is 64 bytes (Ed25519 seed and public key)');
  const keyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: caKey.subarray(0, 32).toString('base64url'), x: caKey.subarray(32).toString('base64url') }, format: 'jwk' });
  const body = marshalDetails(details);
  return marshalCertificate(body, sign(null, body, keyObject));
}

/** A self-signed CA. Parts: `key` (Ed25519, secret), `cert`. */
export function nebulaCa(name: string, nowMs = Date.now()): Parts {
  const now = Math.floor(nowMs / 1000);
  const { priv, pub } = ed25519Pair();
  const details: NebulaDetails = { name, ips: [], subnets: [], groups: [], notBefore: now - BACKDATE_S, notAfter: now + CA_LIFETIME_S, publicKey: pub, isCA: true, issuer: Buffer.alloc(0) };
  return { key: toPem(ED25519_KEY_BANNER, priv), cert: toPem(CERT_BANNER, signDetails(details, priv)) };
}

/** A host certificate signed by the CA whose `key` and `cert` parts are given. Parts: `key` (X25519, secret), `cert`. */
export function nebulaCert(ca: { key: string; cert: string }, name: string, ip: string, subnets: readonly string[] = [], nowMs = Date.now()): Parts {
  const caKey = fromPem(ED25519_KEY_BANNER, ca.key);
  const caCert = fromPem(CERT_BANNER, ca.cert);
  const caDetails = readMessage(readMessage(caCert).get(1)![0] as Buffer);
  const caNotBefore = Number(caDetails.get(5)?.[0] ?? 0n);
  const caNotAfter = Number(caDetails.get(6)?.[0] ?? 0n);
  const now = Math.floor(nowMs / 1000);
  const { priv, pub } = x25519Pair();
  const details: NebulaDetails = {
    name,
    ips: [ip],
    subnets,
    groups: [],
    // Nebula refuses a certificate valid before or after its CA.
    notBefore: Math.max(now - BACKDATE_S, caNotBefore),
    notAfter: caNotAfter - 1,
    publicKey: pub,
    isCA: false,
    issuer: createHash('sha256').update(caCert).digest(),
  };
  return { key: toPem(X25519_KEY_BANNER, priv), cert: toPem(CERT_BANNER, signDetails(details, caKey)) };
}

/** The `nebula-ca` and `nebula-cert` secret types, for `generators` in generate.ts. */
export const nebulaGenerators = {
  'nebula-ca': (k: SecretKind): Parts => {
    if (k.type !== 'nebula-ca') throw new Error('bug: wrong kind');
    return nebulaCa(k.name);
  },
  'nebula-cert': (k: SecretKind, lookup: (ref: string, part: string) => string): Parts => {
    if (k.type !== 'nebula-cert') throw new Error('bug: wrong kind');
    return nebulaCert({ key: lookup(k.ca, 'key'), cert: lookup(k.ca, 'cert') }, k.name, k.ip, k.subnets ?? []);
  },
};

// --- reading them back ------------------------------------------------------------------------

/** The bytes of a PEM block exactly as `toPem` writes it (nothing before, after or changed), else why not. */
function pemOf(banner: string, text: string): Buffer | string {
  let bytes: Buffer;
  try {
    bytes = fromPem(banner, text);
  } catch {
    return `is not a ${banner} PEM block`;
  }
  return toPem(banner, bytes) === text ? bytes : NOT_AS_WRITTEN;
}

/** A certificate's Details (raw and read) and signature, or why it does not read as one. */
function certOf(bytes: Buffer): { raw: Buffer; details: Map<number, (bigint | Buffer)[]>; signature: Buffer } | string {
  try {
    const outer = readMessage(bytes);
    const raw = outer.get(1)?.[0];
    const signature = outer.get(2)?.[0];
    if (!Buffer.isBuffer(raw) || !Buffer.isBuffer(signature) || outer.size !== 2) return 'is not a Nebula certificate (no details or no signature)';
    if (!marshalCertificate(raw, signature).equals(bytes)) return NOT_AS_WRITTEN;
    return { raw, details: readMessage(raw), signature };
  } catch (e) {
    return `is not a Nebula certificate (${oneLine(e)})`;
  }
}

const ed25519Key = (pub: Buffer) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: pub.toString('base64url') }, format: 'jwk' });

/**
 * A stored Nebula CA or host certificate read back: the key a PEM block as written (a CA's the
 * Ed25519 seed and its own public key, a host's a clamped X25519 key), the certificate a PEM
 * block as written, for that key, of the right role, signed by the CA's key.
 */
function nebulaProblem(k: SecretKind, parts: Parts, lookup: (ref: string, part: string) => string): PartProblem | undefined {
  if (k.type !== 'nebula-ca' && k.type !== 'nebula-cert') throw new Error('bug: wrong kind');
  const missing = missingPart(parts, ['key', 'cert']);
  if (missing) return missing;
  const isCa = k.type === 'nebula-ca';
  const key = pemOf(isCa ? ED25519_KEY_BANNER : X25519_KEY_BANNER, parts.key!);
  if (typeof key === 'string') return { part: 'key', problem: key };
  let pub: Buffer;
  if (isCa) {
    if (key.length !== 64 || !ed25519Public(key.subarray(0, 32)).equals(key.subarray(32))) return { part: 'key', problem: 'is not a Nebula CA key (64 bytes: an Ed25519 seed and its public key)' };
    pub = key.subarray(32);
  } else {
    if (!clamped(key)) return { part: 'key', problem: 'is not an X25519 private key as Nebula makes them (32 bytes, clamped)' };
    pub = x25519Public(key);
  }
  const certBytes = pemOf(CERT_BANNER, parts.cert!);
  if (typeof certBytes === 'string') return { part: 'cert', problem: certBytes };
  const cert = certOf(certBytes);
  if (typeof cert === 'string') return { part: 'cert', problem: cert };
  const certPub = cert.details.get(7)?.[0];
  if (!Buffer.isBuffer(certPub) || !certPub.equals(pub)) return { part: 'cert', problem: 'is not the certificate of the key beside it' };
  if ((cert.details.get(8)?.[0] === 1n) !== isCa) return { part: 'cert', problem: isCa ? 'is not a CA certificate' : 'is a CA certificate, not a host certificate' };
  let signer = pub;
  if (!isCa) {
    // The signer is the CA this certificate names as its issuer.
    const caBytes = pemOf(CERT_BANNER, lookup(k.ca, 'cert'));
    const caCert = typeof caBytes === 'string' ? caBytes : certOf(caBytes);
    const caPub = typeof caCert === 'string' ? undefined : caCert.details.get(7)?.[0];
    if (!Buffer.isBuffer(caPub)) return { part: 'cert', problem: `cannot be checked: its CA's certificate does not read` };
    signer = caPub;
  }
  try {
    if (!verify(null, cert.raw, ed25519Key(signer), cert.signature)) return { part: 'cert', problem: k.type === 'nebula-ca' ? 'is not signed by its own key' : `is not signed by the CA ${k.ca}` };
  } catch (e) {
    return { part: 'cert', problem: `is not signed as a Nebula certificate is (${oneLine(e)})` };
  }
  return undefined;
}

/** Checks for the `validators` map of generate.ts. */
export const nebulaValidators = {
  'nebula-ca': nebulaProblem,
  'nebula-cert': nebulaProblem,
};
