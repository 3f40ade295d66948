import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretSpec } from '../../shared/secrets.js';
import { sha512crypt } from './crypt.js';
import { ensureSecrets } from './store.js';
import { fingerprint, x509Ca, x509Cert } from './x509.js';

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'overlab-x509-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const store = new Map<string, Record<string, string>>();
const lookup = (ref: string, part: string): string => store.get(ref)![part]!;

/** `openssl verify` of a certificate against a CA for a TLS purpose; returns openssl's output. */
function opensslVerify(ca: string, cert: string, purpose: 'sslserver' | 'sslclient'): { ok: boolean; out: string } {
  const caFile = path.join(dir, `ca-${Math.random()}.pem`);
  const certFile = path.join(dir, `cert-${Math.random()}.pem`);
  writeFileSync(caFile, ca);
  writeFileSync(certFile, cert);
  const r = spawnSync('openssl', ['verify', '-CAfile', caFile, '-purpose', purpose, certFile], { encoding: 'utf8' });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

describe('x509 CA and certificates', async () => {
  store.set('t/ca', await x509Ca('overlab test CA'));
  store.set('t/other-ca', await x509Ca('another CA'));
  const server = await x509Cert({ ca: 't/ca', commonName: 'hub', usage: 'server', sans: ['198.18.0.1', 'hub.lab', '2001:db8::1'] }, lookup);
  const client = await x509Cert({ ca: 't/ca', commonName: 'spoke-1', usage: 'client' }, lookup);

  it('makes a self-signed CA that may sign certificates', () => {
    const ca = new X509Certificate(lookup('t/ca', 'cert'));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=overlab test CA');
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(lookup('t/ca', 'key')))).toBe(true);
  });

  it('signs end-entity certificates whose key, names and fingerprint match', () => {
    const ca = new X509Certificate(lookup('t/ca', 'cert'));
    const cert = new X509Certificate(server.cert!);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.verify(new X509Certificate(lookup('t/other-ca', 'cert')).publicKey)).toBe(false);
    expect(cert.checkPrivateKey(createPrivateKey(server.key!))).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(client.key!))).toBe(false);
    expect(cert.subject).toBe('CN=hub');
    expect(cert.subjectAltName).toBe('IP Address:198.18.0.1, DNS:hub.lab, IP Address:2001:DB8:0:0:0:0:0:1');
    expect(server.fingerprint).toBe(cert.fingerprint256);
    expect(fingerprint(client.cert!)).toBe(new X509Certificate(client.cert!).fingerprint256);
    expect(createPublicKey(server.key!).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now());
    expect(new Date(cert.validTo).getTime()).toBeLessThanOrEqual(new Date(ca.validTo).getTime());
  });

  it('gives every certificate its own serial and key', async () => {
    const again = await x509Cert({ ca: 't/ca', commonName: 'hub', usage: 'server' }, lookup);
    expect(new X509Certificate(again.cert!).serialNumber).not.toBe(new X509Certificate(server.cert!).serialNumber);
    expect(again.key).not.toBe(server.key);
  });

  it.skipIf(!haveOpenssl)('passes openssl verify for the purpose it was made for, and only that one', () => {
    const ca = lookup('t/ca', 'cert');
    expect(opensslVerify(ca, server.cert!, 'sslserver')).toMatchObject({ ok: true });
    expect(opensslVerify(ca, client.cert!, 'sslclient')).toMatchObject({ ok: true });
    expect(opensslVerify(ca, client.cert!, 'sslserver').ok).toBe(false);
    expect(opensslVerify(ca, server.cert!, 'sslclient').ok).toBe(false);
    expect(opensslVerify(lookup('t/other-ca', 'cert'), server.cert!, 'sslserver').ok).toBe(false);
  });
});

describe('through the secret store', () => {
  it('generates a CA before the certificates it signs, 0600, and password hashes that verify', async () => {
    const specs: SecretSpec[] = [
      { ref: 'ovpn/n0/ca', kind: { type: 'x509-ca', commonName: 'n0 CA' } },
      { ref: 'ovpn/n0/hub', kind: { type: 'x509-cert', ca: 'ovpn/n0/ca', commonName: 'hub', usage: 'server', sans: ['198.18.0.1'] } },
      { ref: 'ocserv/n1/spoke-1', kind: { type: 'password', length: 24 } },
    ];
    const set = await ensureSecrets(dir, specs);
    expect(set.created).toEqual(specs.map((s) => s.ref));
    const cert = new X509Certificate(set.lookup('ovpn/n0/hub', 'cert'));
    expect(cert.checkIssued(new X509Certificate(set.lookup('ovpn/n0/ca', 'cert')))).toBe(true);
    expect(statSync(path.join(dir, '.overlab/secrets/ovpn/n0/hub/key')).mode & 0o777).toBe(0o600);
    const pw = set.lookup('ocserv/n1/spoke-1', 'value');
    const hash = set.lookup('ocserv/n1/spoke-1', 'hash');
    expect(hash).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(sha512crypt(pw, hash.split('$')[2]!)).toBe(hash);
    // Keys and passwords are redacted; certificates and fingerprints are public.
    expect(set.redactor.redact(set.lookup('ovpn/n0/hub', 'key'))).not.toContain('PRIVATE KEY-----\nM');
    expect(set.redactor.redact(`${pw} ${hash}`)).toBe('[secret ocserv/n1/spoke-1/value] [secret ocserv/n1/spoke-1/hash]');
    expect(set.redactor.redact(set.lookup('ovpn/n0/hub', 'fingerprint'))).toBe(set.lookup('ovpn/n0/hub', 'fingerprint'));
    // A second run reuses what is on disk.
    const again = await ensureSecrets(dir, specs);
    expect(again.created).toEqual([]);
    expect(again.lookup('ovpn/n0/hub', 'cert')).toBe(set.lookup('ovpn/n0/hub', 'cert'));
  });
});
