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

/** Project names: free text shown in reports, but one line and printable. */
// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
export const PROJECT_NAME_RE = /^[^\u0000-\u001f\u007f]{1,80}$/;
export const PROJECT_NAME_RULE = 'use 1–80 printable characters on one line';
