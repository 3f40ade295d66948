import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SECRETS_DIR } from '../store/project.js';
import { ensureSecrets, existingSecretsRedactor } from './store.js';

const dirs: string[] = [];
const tmp = async (): Promise<string> => {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-secrets-'));
  dirs.push(d);
  return d;
};

describe('the secrets already in a project, read for redaction only', () => {
  afterAll(async () => {
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('redacts every secret part on disk, also of secrets no plan asks for any more, and leaves public parts', async () => {
    const dir = await tmp();
    const made = await ensureSecrets(dir, [
      { ref: 'wireguard/net-a/hub', kind: { type: 'x25519' } },
      { ref: 'vxlan-ipsec/old/psk', kind: { type: 'random', bytes: 32, encoding: 'hex' } },
    ]);
    const priv = made.lookup('wireguard/net-a/hub', 'private');
    const pub = made.lookup('wireguard/net-a/hub', 'public');
    const psk = made.lookup('vxlan-ipsec/old/psk');
    const r = await existingSecretsRedactor(dir);
    expect(r.redact(`key ${priv} psk ${psk} pub ${pub}`)).toBe(`key [secret wireguard/net-a/hub/private] psk [secret vxlan-ipsec/old/psk/value] pub ${pub}`);
  });

  it('makes nothing: a project without secrets gets an empty redactor and no secrets folder', async () => {
    const dir = await tmp();
    const r = await existingSecretsRedactor(dir);
    expect(r.redact('nothing secret here')).toBe('nothing secret here');
    await expect(fs.access(path.join(dir, SECRETS_DIR))).rejects.toThrow();
  });
});
