/**
 * Shell text for generated scripts. Every value that reaches a script goes through
 * `q()`; nothing is interpolated raw. Scripts are POSIX sh (`/bin/sh`, dash on Debian).
 */

/** Words that need no quotes in POSIX sh. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Single-quotes a value for POSIX sh. Refuses NUL and line breaks: no legitimate value has them. */
export function q(value: string | number): string {
  const s = String(value);
  // The common case first (a word that needs no quoting has no NUL or line break either): the
  // two tests cost a 200-host mesh's render hundreds of milliseconds when both run on every word.
  if (PLAIN_WORD.test(s)) return s;
  if (/[\0\n\r]/.test(s)) throw new Error(`bug: a value with a NUL or line break reached a shell script: ${JSON.stringify(s.slice(0, 40))}`);
  return quotedText(s);
}

/**
 * Any text as one single-quoted word, line breaks included: for a file's content written by the
 * script (`q` refuses line breaks, which no value has). Only NUL cannot be in a shell word.
 */
export const quotedText = (text: string): string => `'${text.replace(/'/g, `'"'"'`)}'`;

/** A command line from words, each quoted. */
export const cmd = (...words: readonly (string | number)[]): string => words.map(q).join(' ');

/**
 * Shell functions over the kernel's socket tables (/proc/net/{tcp,udp}{,6}, those of the host's
 * network namespace), read by the shell's own `read`: `ss` costs a fork and exec (20–30 ms on a
 * loaded lab machine): a measurement's server start and the deploy preflight's port check use it.
 * `ol_ports STATE FILES…` sets `found` to the local ports (4 hex digits, as the tables have
 * them, each followed by a space) of the sockets in STATE (0A: a listening TCP socket, 07: a
 * bound, unconnected UDP one), without a subshell. A TCP table lists its listening sockets first
 * (the kernel walks its listening hash before the established one), so the walk stops at the
 * first socket in another state: thousands of connections cost no more than none.
 */
export const OL_PORTS = `ol_ports() { want=$1; found=' '; shift; for f in "$@"; do [ -r "$f" ] || continue; while read -r _ l _ s _; do case "$s" in st) ;; "$want") found="$found\${l##*:} " ;; *) [ "$want" = 0A ] && break ;; esac; done < "$f"; done; }`;

/** A port as the socket tables write it: 4 hex digits, upper case. */
export const hex4 = (port: number): string => port.toString(16).toUpperCase().padStart(4, '0');
