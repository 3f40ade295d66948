import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRedactor, ReportRedactor, readSecretValues } from './redact.js';

const PEM = ['-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7', 'q3Zr5mQ0ZbYH9gK2mJd1c0vP8sQ4l3T2uN7wX1yZa9bC8dE6fG5h', '-----END PRIVATE KEY-----', ''].join('\n');
const HEX = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'.repeat(16);

describe('ReportRedactor', () => {
  it('replaces a secret value by its name', () => {
    const r = new ReportRedactor([{ name: 'wireguard/n0/hub/private', value: 'kB0lYhG8Qs5sQ0m3y3Gq4n1o2p3q4r5s6t7u8v9w0x=' }]);
    expect(r.redact('PrivateKey = kB0lYhG8Qs5sQ0m3y3Gq4n1o2p3q4r5s6t7u8v9w0x=\n')).toBe('PrivateKey = «redacted: wireguard/n0/hub/private»\n');
  });

  it('finds a PEM block whole, and each of its lines where one is quoted alone', () => {
    const r = new ReportRedactor([{ name: 'openvpn/n0/ca/key', value: PEM }]);
    expect(r.redact(`<key>\n${PEM}</key>`)).toBe('<key>\n«redacted: openvpn/n0/ca/key»</key>');
    const line = PEM.split('\n')[2]!;
    expect(r.redact(`log: ${line}`)).toBe('log: «redacted: openvpn/n0/ca/key»');
  });

  it('finds a value a renderer printed in lines of its own length (OpenVPN’s static key from one stored line)', () => {
    const r = new ReportRedactor([{ name: 'openvpn/n0/tls-crypt/value', value: HEX }]);
    const wrapped = `<tls-crypt>\n-----BEGIN OpenVPN Static key V1-----\n${HEX.match(/.{32}/g)!.join('\n')}\n-----END OpenVPN Static key V1-----\n</tls-crypt>`;
    const out = r.redact(wrapped);
    expect(out).toContain('«redacted: openvpn/n0/tls-crypt/value»');
    expect(out.replace(/\s+/g, '')).not.toContain(HEX.slice(0, 32));
  });

  it('replaces the longer of two overlapping values whole', () => {
    const r = new ReportRedactor([
      { name: 'short', value: 'abcdefgh12' },
      { name: 'long', value: 'abcdefgh12345678' },
    ]);
    expect(r.redact('x abcdefgh12345678 y abcdefgh12')).toBe('x «redacted: long» y «redacted: short»');
  });

  it('leaves very short values alone (they would redact innocent text)', () => {
    const r = new ReportRedactor([{ name: 'pin', value: '1234' }]);
    expect(r.size).toBe(0);
    expect(r.redact('port 1234')).toBe('port 1234');
  });

  it('treats regular-expression characters in a value literally', () => {
    const v = 'a+b*c?d(e)f[g]h{i}j|k^l$m.n\\o/p+q*r?s';
    const r = new ReportRedactor([{ name: 'odd', value: v }]);
    expect(r.redact(`=${v}=`)).toBe('=«redacted: odd»=');
    expect(r.redact('a+b*c?d(e)f[g]h')).toBe('a+b*c?d(e)f[g]h');
  });
});

describe('readSecretValues', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'overlab-redact-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every part of every secret in .overlab/secrets, public ones too, but not spec.json', async () => {
    const s = path.join(dir, '.overlab/secrets/wireguard/n0/hub');
    mkdirSync(s, { recursive: true });
    writeFileSync(path.join(s, 'private'), 'PRIVATEPRIVATEPRIVATE=');
    writeFileSync(path.join(s, 'public'), 'PUBLICPUBLICPUBLIC=');
    writeFileSync(path.join(s, 'spec.json'), '{"type":"wireguard"}\n');
    expect(await readSecretValues(dir)).toEqual([
      { name: 'wireguard/n0/hub/private', value: 'PRIVATEPRIVATEPRIVATE=' },
      { name: 'wireguard/n0/hub/public', value: 'PUBLICPUBLICPUBLIC=' },
    ]);
    const r = await projectRedactor(dir);
    expect(r.redact('PrivateKey = PRIVATEPRIVATEPRIVATE=\nPublicKey = PUBLICPUBLICPUBLIC=')).toBe('PrivateKey = «redacted: wireguard/n0/hub/private»\nPublicKey = «redacted: wireguard/n0/hub/public»');
  });

  it('finds no secrets in a project without a store', async () => {
    expect(await readSecretValues(path.join(dir, 'nothing-here'))).toEqual([]);
  });
});
