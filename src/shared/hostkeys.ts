/**
 * SSH host keys as every door shows them, and the consent a person gives for one.
 *
 * Consent is bound to what the person saw: the host, the address the key was met at and the
 * key's SHA256 fingerprint. A consent by host name alone would let in whatever key answers next
 * (after a rename, a re-created host, or a key swapped between the prompt and the reconnect).
 * The engine (src/engine/deploy/hostkeys.ts) checks keys; this module only describes them, so
 * that the CLI's messages, the engine's errors and the app's dialog say the same thing.
 */

/** `SHA256:` and the unpadded base64 of a SHA-256 digest, as `ssh-keygen -lf` prints it. */
export const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** A fingerprint as a person may paste it (trailing `=` padding, stray spaces) in the form `FINGERPRINT_RE` checks. */
export const normalizeFingerprint = (s: string): string => {
  const t = s.trim().replace(/=+$/, '');
  return /^sha256:/i.test(t) ? `SHA256:${t.slice(7)}` : t;
};

/** "Accept this key": the host, the SHA256 fingerprint the person checked and, from the app, the address it was met at. */
export interface HostKeyConsent {
  readonly host: string;
  readonly fingerprint: string;
  /**
   * Where the key was met, as known_hosts names it (`address` or `[address]:port`). The app
   * always sends it (the dialog showed it); the CLI leaves it out, and the consent then holds
   * for the address the project gives the host now.
   */
  readonly address?: string;
}

/** A key pinned in known_hosts, as shown: its type, fingerprint and the host it was pinned for (when recorded). */
export interface PinnedKeyInfo {
  readonly keyType: string;
  readonly fingerprint: string;
  readonly host?: string;
}

/**
 * A host key Overlab refused to trust:
 * - `unknown`: nothing is pinned for the address. Check the fingerprint on the host, then
 *   accept it (a consent with this fingerprint). `accepted`: the fingerprint accepted for this
 *   host in this run, which the key presented did not match (so it was refused again).
 * - `changed`: another key is pinned for the address (`pinned`). Never accepted: the host was
 *   re-installed or its key re-created, or someone is between you and it.
 */
export interface HostKeyReport {
  readonly status: 'unknown' | 'changed';
  readonly host: string;
  /** Where the key was met, as known_hosts names it: `address`, or `[address]:port`. */
  readonly address: string;
  readonly keyType: string;
  readonly fingerprint: string;
  readonly pinned?: readonly PinnedKeyInfo[];
  readonly accepted?: string;
}

/** Relative to the project folder, as the advice is read there. */
const knownHostsFile = '.overlab/known_hosts';

/** OpenSSH's host key file for a key type (`ssh-ed25519` → ssh_host_ed25519_key.pub). */
const hostKeyFile = (keyType: string): string => {
  const t = /ed25519/.test(keyType) ? 'ed25519' : /ecdsa/.test(keyType) ? 'ecdsa' : /rsa/.test(keyType) ? 'rsa' : /dss/.test(keyType) ? 'dsa' : '*';
  return `/etc/ssh/ssh_host_${t}_key.pub`;
};

/** The command that prints, on the host itself, the fingerprint to compare with the one shown. */
export const checkOnHostCommand = (keyType: string): string => `ssh-keygen -lf ${hostKeyFile(keyType)}`;

/** The command that removes the pin of an address, run in the project folder (it takes the `[address]:port` form). */
export const removePinCommand = (address: string): string => `ssh-keygen -R '${address}' -f ${knownHostsFile}`;

/** What to do about a changed key: the one explanation the engine's errors and the CLI give (the app lays the same steps out). */
export function changedKeyAdvice(r: Pick<HostKeyReport, 'host' | 'address' | 'keyType'>): string {
  return (
    `If ${r.host} was re-installed or its host key re-created, check the new fingerprint on the host: ${checkOnHostCommand(r.keyType)}. ` +
    `If it matches, remove the old pin, in the project folder: ${removePinCommand(r.address)}, and run again: the new key is then offered for you to accept. ` +
    `If nothing changed on the host, do not connect: someone may be between you and ${r.host}.`
  );
}

const pinnedText = (p: PinnedKeyInfo): string => `${p.fingerprint} (${p.keyType}${p.host ? `, pinned for ${p.host}` : ''})`;

/** One paragraph for a refused key: what was met, what was expected, what to do. `acceptHint`: how this door accepts an unknown key. */
export function hostKeyMessage(r: HostKeyReport, acceptHint: (r: HostKeyReport) => string): string {
  if (r.status === 'changed') {
    const old = (r.pinned ?? []).map(pinnedText).join(', ');
    return `${r.host}: the host key at ${r.address} CHANGED: it presents ${r.fingerprint} (${r.keyType}), but ${old} is pinned for that address; refusing to connect. ${changedKeyAdvice(r)}`;
  }
  if (r.accepted !== undefined) {
    return `${r.host}: the host key at ${r.address} is ${r.fingerprint} (${r.keyType}), not ${r.accepted}, the one accepted for it; refused (the key changed since it was checked, or the fingerprint was mistyped). Check the key on the host again, with ${checkOnHostCommand(r.keyType)}; if it shows ${r.fingerprint}, ${acceptHint(r)}`;
  }
  return `${r.host}: unknown host key at ${r.address}: ${r.fingerprint} (${r.keyType}); check it on the host, with ${checkOnHostCommand(r.keyType)}, and if it matches, ${acceptHint(r)}`;
}

/** The CLI's way to accept (also what engine errors say, since the CLI is the door that prints them). */
export const cliAcceptHint = (r: Pick<HostKeyReport, 'host' | 'fingerprint'>): string => `accept it with --accept-host-key ${r.host}=${r.fingerprint} (or Accept in the app)`;
