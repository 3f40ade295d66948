import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cryptSalt, sha512crypt } from './crypt.js';

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('sha512crypt', () => {
  // Test vectors from the specification ("Unix crypt using SHA-256 and SHA-512", U. Drepper).
  it.each([
    ['Hello world!', 'saltstring', 5000, '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
    ['Hello world!', 'saltstringsaltst', 10000, '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.'],
    ['the minimum number is still observed', 'roundstoolow', 1000, '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.'],
    ['we have a short salt string but not a short password', 'short', 77777, '$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0'],
  ])('matches the published vector for %j', (pw, salt, rounds, expected) => {
    expect(sha512crypt(pw, salt, rounds)).toBe(expected);
  });

  it.skipIf(!haveOpenssl)('agrees with openssl passwd -6 on random passwords and salts', () => {
    for (let i = 0; i < 5; i++) {
      const salt = cryptSalt();
      const pw = `pw ${i} ${salt.slice(0, i * 3)} ünï`;
      const r = spawnSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: pw, encoding: 'utf8' });
      expect(r.stdout.trim()).toBe(sha512crypt(pw, salt));
    }
  });

  it('makes salts of 16 characters from the crypt alphabet', () => {
    const a = cryptSalt();
    expect(a).toMatch(/^[./0-9A-Za-z]{16}$/);
    expect(cryptSalt()).not.toBe(a);
  });

  it('refuses a salt that would break the $-separated format', () => {
    expect(() => sha512crypt('x', 'a$b')).toThrow(/salt/);
    expect(() => sha512crypt('x', '')).toThrow(/salt/);
  });
});
