/**
 * Shell text for generated scripts. Every value that reaches a script goes through
 * `q()`; nothing is interpolated raw. Scripts are POSIX sh (`/bin/sh`, dash on Debian).
 */

/** Single-quotes a value for POSIX sh. Refuses NUL and line breaks: no legitimate value has them. */
export function q(value: string | number): string {
  const s = String(value);
  if (/[\0\n\r]/.test(s)) throw new Error(`bug: a value with a NUL or line break reached a shell script: ${JSON.stringify(s.slice(0, 40))}`);
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** A command line from words, each quoted. */
export const cmd = (...words: readonly (string | number)[]): string => words.map(q).join(' ');
