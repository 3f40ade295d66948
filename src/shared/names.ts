/**
 * Names that reach the shell and the kernel. Every host name becomes part of file paths,
 * network-namespace names and generated scripts run as root, so the rule is strict on
 * purpose: it is a valid Linux interface name (at most 15 bytes, IFNAMSIZ-1), a DNS label,
 * and needs no quoting anywhere — yet every use is still quoted.
 */
export const HOST_NAME_RE = /^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$/;
export const HOST_NAME_RULE =
  'use 1–15 characters: lowercase letters, digits and "-", starting with a letter and not ending with "-" (e.g. "site-a")';

/** Linux interface names a user may type (underlay device): what `ip link` accepts, minus shell-special characters. */
export const IFACE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export const IFACE_NAME_RULE =
  'use 1–15 characters: letters, digits, "_", "." or "-", not starting with a punctuation mark (e.g. "eth0", "ens3")';

/** SSH user names as `useradd` accepts them by default on Debian. */
export const USER_NAME_RE = /^[a-z_][a-z0-9_-]{0,31}$/;
export const USER_NAME_RULE = 'use a POSIX user name: lowercase letters, digits, "_" and "-", at most 32 characters (e.g. "root")';

/** Host names / addresses for SSH: a DNS name or an IP literal, nothing a shell would read. */
export const SSH_HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^[0-9a-fA-F:.]+$/;
export const SSH_HOST_RULE = 'use a DNS name or an IP address (e.g. "10.0.0.5" or "r1.lab.example")';

/**
 * One character of free text that shows as itself on one line: not a control character (C0, DEL,
 * C1 — U+009B is an 8-bit CSI), not a line or paragraph separator, not a bidirectional embedding,
 * override or isolate (they reorder what follows on the line, in a terminal or in a script's
 * comment), and not half of a surrogate pair (no UTF-8 for it: the file would read back
 * different). A pair counts as one character.
 */
const SHOWN_CHAR = '(?:[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]|[\\ud800-\\udbff][\\udc00-\\udfff])';
const shownText = (min: number, max: number): RegExp => new RegExp(`^${SHOWN_CHAR}{${min},${max}}$`);
const NOT_SHOWN = 'no control characters, line breaks or bidirectional overrides';

/** Project names: free text shown in reports, scripts' comments and terminals, but one line and printable. */
export const PROJECT_NAME_RE = shownText(1, 80);
export const PROJECT_NAME_RULE = `use 1–80 printable characters on one line (${NOT_SHOWN})`;

/** Descriptions (of measurement suites): free text, one line, printable. */
export const DESCRIPTION_RE = shownText(0, 200);
export const DESCRIPTION_RULE = `use at most 200 printable characters on one line (${NOT_SHOWN})`;

/**
 * Paths of files on the machine running Overlab (SSH keys): any name the file system takes and a
 * person can type — no NUL (no such path), no line break or control character (containerlab's
 * rule: nothing that could end a line of a config or a log), at most PATH_MAX (4096).
 */
export const LOCAL_PATH_RE = shownText(1, 4096);
export const LOCAL_PATH_RULE = `use a file path of 1–4096 characters (${NOT_SHOWN})`;
