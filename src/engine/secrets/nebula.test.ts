import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generators } from './generate.js';
import { CERT_BANNER, ED25519_KEY_BANNER, fromPem, marshalDetails, nebulaCa, nebulaCert, readMessage, X25519_KEY_BANNER, type NebulaDetails } from './nebula.js';

const work = mkdtempSync(path.join(tmpdir(), 'overlab-nebula-cert-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const hasNebulaCert = spawnSync('nebula-cert', ['-version']).status === 0;

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Packed varints (uint32 address/mask pairs). */
function uint32s(b: Buffer): number[] {
  const out: number[] = [];
  let v = 0;
  let shift = 0;
  for (const byte of b) {
    v += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      out.push(v);
      v = 0;
      shift = 0;
    } else shift += 7;
  }
  return out;
}

/** Details of a marshalled certificate, decoded field by field. */
function decode(cert: Buffer): { details: NebulaDetails; raw: Buffer; signature: Buffer } {
  const top = readMessage(cert);
  const raw = top.get(1)![0] as Buffer;
  const f = readMessage(raw);
  const str = (n: number): string[] => (f.get(n) ?? []).map((v) => (v as Buffer).toString('utf8'));
  const pairs = (n: number): string[] => {
    const ints = (f.get(n) ?? []).flatMap((v) => uint32s(v as Buffer));
    const out: string[] = [];
    for (let i = 0; i < ints.length; i += 2) {
      const a = ints[i]!;
      const bits = ints[i + 1]!.toString(2).replace(/0+$/, '').length;
      out.push(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${bits}`);
    }
    return out;
  };
  return {
    raw,
    signature: top.get(2)![0] as Buffer,
    details: {
      name: str(1)[0] ?? '',
      ips: pairs(2),
      subnets: pairs(3),
      groups: str(4),
      notBefore: Number(f.get(5)?.[0] ?? 0n),
      notAfter: Number(f.get(6)?.[0] ?? 0n),
      publicKey: (f.get(7)?.[0] as Buffer | undefined) ?? Buffer.alloc(0),
      isCA: (f.get(8)?.[0] ?? 0n) === 1n,
      issuer: (f.get(9)?.[0] as Buffer | undefined) ?? Buffer.alloc(0),
    },
  };
}

const ed25519Public = (raw: Buffer) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });

describe('Nebula certificates', () => {
  const ca = nebulaCa('overlab lab', NOW);
  const host = nebulaCert({ key: ca.key!, cert: ca.cert! }, 'spoke-1', '198.19.0.2/29', ['198.18.17.0/24'], NOW + 5000);

  it('the CA is self-signed with the Ed25519 key it holds, valid from an hour back', () => {
    const { details, raw, signature } = decode(fromPem(CERT_BANNER, ca.cert!));
    expect(details.isCA).toBe(true);
    expect(details.name).toBe('overlab lab');
    expect(details.issuer.length).toBe(0);
    expect(details.notBefore).toBe(NOW / 1000 - 3600);
    expect(details.notAfter).toBeGreaterThan(NOW / 1000 + 5 * 365 * 86400);
    const key = fromPem(ED25519_KEY_BANNER, ca.key!);
    expect(key.length).toBe(64);
    expect(key.subarray(32).equals(details.publicKey)).toBe(true);
    expect(verify(null, raw, ed25519Public(details.publicKey), signature)).toBe(true);
  });

  it('a host certificate names its CA by hash, carries its address and subnets, and stays inside the CA’s validity', () => {
    const caBytes = fromPem(CERT_BANNER, ca.cert!);
    const caDetails = decode(caBytes).details;
    const { details, raw, signature } = decode(fromPem(CERT_BANNER, host.cert!));
    expect(details).toMatchObject({ name: 'spoke-1', ips: ['198.19.0.2/29'], subnets: ['198.18.17.0/24'], groups: [], isCA: false });
    expect(details.issuer.equals(createHash('sha256').update(caBytes).digest())).toBe(true);
    expect(details.notBefore).toBe(NOW / 1000 + 5 - 3600);
    expect(details.notAfter).toBe(caDetails.notAfter - 1);
    // Never valid before its CA, even when backdating would reach past the CA's start.
    const early = decode(fromPem(CERT_BANNER, nebulaCert({ key: ca.key!, cert: ca.cert! }, 'x', '198.19.0.3/29', [], NOW - 600_000).cert!)).details;
    expect(early.notBefore).toBe(caDetails.notBefore);
    expect(verify(null, raw, ed25519Public(caDetails.publicKey), signature)).toBe(true);
    expect(fromPem(X25519_KEY_BANNER, host.key!).length).toBe(32);
    // The X25519 public key in the certificate belongs to the private key beside it.
    const priv = fromPem(X25519_KEY_BANNER, host.key!);
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', d: priv.toString('base64url'), x: details.publicKey.toString('base64url') }, format: 'jwk' });
    expect(Buffer.from(pub.export({ format: 'jwk' }).x!, 'base64url').equals(details.publicKey)).toBe(true);
  });

  it('refuses IPv6, which certificate format v1 cannot hold', () => {
    expect(() => nebulaCert({ key: ca.key!, cert: ca.cert! }, 'x', 'fd00::1/64')).toThrow(/IPv4/);
  });

  it('is reachable through the generators map, the CA first', async () => {
    const store = new Map<string, Record<string, string>>();
    const lookup = (ref: string, part: string): string => store.get(ref)![part]!;
    store.set('nebula/n0/ca', await generators['nebula-ca']!({ type: 'nebula-ca', name: 'lab' }, lookup));
    const cert = await generators['nebula-cert']!({ type: 'nebula-cert', ca: 'nebula/n0/ca', name: 'hub', ip: '198.19.0.1/29', subnets: ['198.18.16.0/24'] }, lookup);
    expect(decode(fromPem(CERT_BANNER, cert.cert!)).details.subnets).toEqual(['198.18.16.0/24']);
  });

  it.skipIf(!hasNebulaCert)('nebula-cert prints and verifies what we make', () => {
    const real = nebulaCa('overlab lab');
    const made = nebulaCert({ key: real.key!, cert: real.cert! }, 'hub', '198.19.0.1/29', ['198.18.16.0/24', '198.18.20.0/23']);
    for (const [name, text] of Object.entries({ 'ca.crt': real.cert!, 'ca.key': real.key!, 'host.crt': made.cert!, 'host.key': made.key! })) writeFileSync(path.join(work, name), text);
    const printed = spawnSync('nebula-cert', ['print', '-json', '-path', path.join(work, 'host.crt')], { encoding: 'utf8' });
    expect(printed.status, printed.stderr).toBe(0);
    const json = JSON.parse(printed.stdout) as { details: { name: string; ips: string[]; subnets: string[]; isCa: boolean; issuer: string } };
    expect(json.details).toMatchObject({ name: 'hub', ips: ['198.19.0.1/29'], subnets: ['198.18.16.0/24', '198.18.20.0/23'], isCa: false });
    const fp = spawnSync('nebula-cert', ['print', '-json', '-path', path.join(work, 'ca.crt')], { encoding: 'utf8' });
    expect(json.details.issuer).toBe((JSON.parse(fp.stdout) as { fingerprint: string }).fingerprint);
    const v = spawnSync('nebula-cert', ['verify', '-ca', path.join(work, 'ca.crt'), '-crt', path.join(work, 'host.crt')], { encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    // nebula-cert signs with our CA key: so the key file is in its format too.
    const signed = spawnSync('nebula-cert', ['sign', '-ca-crt', path.join(work, 'ca.crt'), '-ca-key', path.join(work, 'ca.key'), '-name', 'other', '-ip', '198.19.0.9/29', '-out-crt', path.join(work, 'o.crt'), '-out-key', path.join(work, 'o.key')], { encoding: 'utf8' });
    expect(signed.status, signed.stderr).toBe(0);
  });

  it.skipIf(!hasNebulaCert)('encodes exactly as Nebula does: a nebula-cert certificate re-marshals to the same bytes', () => {
    const dir = mkdtempSync(path.join(work, 'real-'));
    const run = (...args: string[]): void => {
      const r = spawnSync('nebula-cert', args, { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    run('ca', '-name', 'real ca', '-groups', 'a,b');
    run('sign', '-name', 'h', '-ip', '198.19.3.4/24', '-subnets', '198.18.16.0/24,10.1.0.0/16', '-groups', 'a');
    for (const f of ['ca.crt', 'h.crt']) {
      const { details, raw } = decode(fromPem(CERT_BANNER, readFileSync(path.join(dir, f), 'utf8')));
      expect(marshalDetails(details).equals(raw), f).toBe(true);
    }
  });
});
