/** What every door says about a refused host key, and the contract refusing consent by name alone. */
import { describe, expect, it } from 'vitest';
import { ARGUMENTS } from './api.js';
import { changedKeyAdvice, cliAcceptHint, hostKeyMessage, normalizeFingerprint, FINGERPRINT_RE, type HostKeyReport } from './hostkeys.js';

const OLD = 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU';
const NEW = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';

describe('host-key messages', () => {
  it('name the host, the address, both fingerprints and the fix for a changed key', () => {
    const r: HostKeyReport = { status: 'changed', host: 'hub', address: '198.18.0.5', keyType: 'ssh-ed25519', fingerprint: NEW, pinned: [{ keyType: 'ssh-ed25519', fingerprint: OLD, host: 'hub' }] };
    const m = hostKeyMessage(r, cliAcceptHint);
    expect(m).toContain('hub: the host key at 198.18.0.5 CHANGED');
    expect(m).toContain(`presents ${NEW} (ssh-ed25519)`);
    expect(m).toContain(`${OLD} (ssh-ed25519, pinned for hub) is pinned`);
    expect(m).toContain("ssh-keygen -R '198.18.0.5' -f .overlab/known_hosts");
    // A changed key is never offered for acceptance.
    expect(m).not.toContain('--accept-host-key');
    expect(changedKeyAdvice(r)).toMatch(/someone may be between you and hub/);
  });

  it('give the exact option to accept an unknown key, and say when it is not the key accepted before', () => {
    const r: HostKeyReport = { status: 'unknown', host: 'hub', address: '[198.18.0.5]:2222', keyType: 'ssh-ed25519', fingerprint: NEW };
    expect(hostKeyMessage(r, cliAcceptHint)).toContain(`--accept-host-key hub=${NEW}`);
    const again = hostKeyMessage({ ...r, accepted: OLD }, cliAcceptHint);
    expect(again).toContain(`is ${NEW} (ssh-ed25519), not ${OLD}, the one accepted for it; refused`);
  });

  it('normalize pasted fingerprints to the form the contract checks', () => {
    expect(normalizeFingerprint(` sha256:${NEW.slice(7)}= `)).toBe(NEW);
    expect(FINGERPRINT_RE.test(normalizeFingerprint(`${NEW}=`))).toBe(true);
  });
});

describe('the contract takes consent by fingerprint only', () => {
  const parse = (acceptHostKeys: unknown) => ARGUMENTS['deploy.apply'].safeParse({ dir: '/p', acceptHostKeys });
  it('refuses "all" and bare host names', () => {
    expect(parse('all').success).toBe(false);
    expect(parse(['hub']).success).toBe(false);
    expect(parse([{ host: 'hub' }]).success).toBe(false);
    expect(parse([{ host: 'hub', fingerprint: 'SHA256:short' }]).success).toBe(false);
  });
  it('takes host, fingerprint and address', () => {
    expect(parse([{ host: 'hub', fingerprint: NEW, address: '198.18.0.5' }]).success).toBe(true);
    expect(ARGUMENTS['measure.run'].safeParse({ dir: '/p', acceptHostKeys: [{ host: 'hub', fingerprint: NEW }] }).success).toBe(true);
    expect(ARGUMENTS['deploy.teardown'].safeParse({ dir: '/p', acceptHostKeys: [{ host: 'hub', fingerprint: NEW }] }).success).toBe(true);
  });
});
