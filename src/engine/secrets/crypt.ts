/**
 * SHA-512 crypt (`$6$`, Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"), the hash
 * ocserv's `plain` password file, glibc's crypt(3) and `openssl passwd -6` share. Node has
 * no crypt(3); this is the published algorithm over node:crypto's SHA-512.
 */
import { createHash, randomInt } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ROUNDS_DEFAULT = 5000;

const sha512 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `n` bytes of `block` repeated. */
const repeat = (block: Buffer, n: number): Buffer => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += block.length) block.copy(out, i, 0, Math.min(block.length, n - i));
  return out;
};

/** `$6$[rounds=N$]salt$hash`. The salt is at most 16 characters of `[./0-9A-Za-z]`; rounds 1000–999999999 (5000 is left implicit). */
export function sha512crypt(password: string, salt: string, rounds = ROUNDS_DEFAULT): string {
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new Error('bug: a crypt salt is 1-16 characters of [./0-9A-Za-z]');
  if (!Number.isInteger(rounds) || rounds < 1000 || rounds > 999_999_999) throw new Error('bug: crypt rounds out of range');
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt, 'ascii');
  const B = sha512(P, S, P);
  const a = createHash('sha512').update(P).update(S);
  a.update(repeat(B, P.length));
  for (let i = P.length; i > 0; i >>= 1) a.update(i & 1 ? B : P);
  const A = a.digest();
  const DP = sha512(...Array.from({ length: P.length }, () => P));
  const Pp = repeat(DP, P.length);
  const DS = sha512(...Array.from({ length: 16 + A[0]! }, () => S));
  const Sp = repeat(DS, S.length);
  let C = A;
  for (let r = 0; r < rounds; r++) {
    const c = createHash('sha512');
    c.update(r & 1 ? Pp : C);
    if (r % 3) c.update(Sp);
    if (r % 7) c.update(Pp);
    c.update(r & 1 ? C : Pp);
    C = c.digest();
  }
  let out = '';
  const put = (b2: number, b1: number, b0: number, n: number): void => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < n; i++, w >>= 6) out += ITOA64[w & 0x3f];
  };
  // The byte order of the encoding is part of the format: triples (k, k+21, k+42), rotated by k mod 3.
  for (let k = 0; k < 21; k++) {
    const t = [k, k + 21, k + 42];
    const [x, y, z] = [t[k % 3]!, t[(k + 1) % 3]!, t[(k + 2) % 3]!];
    put(C[x]!, C[y]!, C[z]!, 4);
  }
  put(0, 0, C[63]!, 2);
  return `$6$${rounds === ROUNDS_DEFAULT ? '' : `rounds=${rounds}$`}${salt}$${out}`;
}

/** A fresh 16-character salt. */
export const cryptSalt = (): string => Array.from({ length: 16 }, () => ITOA64[randomInt(64)]).join('');
