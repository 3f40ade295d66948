/**
 * Secret material is referenced, never embedded, in the plan: a kind asks for what it
 * needs with a `SecretSpec`, the main process generates and stores it under
 * `.overlab/secrets/` (0600), and only `render` reads the values to write key files.
 * Every printed plan, log line and error goes through a `Redactor` first.
 */

export type SecretKind =
  /** WireGuard key pair. Parts: `private`, `public` (base64, as `wg` prints them). */
  | { readonly type: 'x25519' }
  /** Random bytes. Part: `value`, hex or base64. Used for PSKs and MACsec keys. */
  | { readonly type: 'random'; readonly bytes: number; readonly encoding: 'hex' | 'base64' }
  /** Printable password. Parts: `value`, `hash` (SHA-512 crypt, for ocserv's passwd file). */
  | { readonly type: 'password'; readonly length: number }
  /** RSA key pair. Parts: `private` (PEM), `public` (PEM, PKCS#1 as tinc wants it). */
  | { readonly type: 'rsa'; readonly bits: number }
  /** X.509 CA. Parts: `key` (PEM), `cert` (PEM). */
  | { readonly type: 'x509-ca'; readonly commonName: string }
  /** X.509 end-entity certificate signed by `ca` (a ref). Parts: `key`, `cert`, `fingerprint` (SHA-256, colon hex). */
  | { readonly type: 'x509-cert'; readonly ca: string; readonly commonName: string; readonly usage: 'server' | 'client'; readonly sans?: readonly string[] }
  /** Nebula CA. Parts: `key`, `cert`. */
  | { readonly type: 'nebula-ca'; readonly name: string }
  /** Nebula host certificate signed by `ca`. Parts: `key`, `cert`. */
  | { readonly type: 'nebula-cert'; readonly ca: string; readonly name: string; readonly ip: string; readonly subnets?: readonly string[] };

export interface SecretSpec {
  /** Path-like id, unique in the project: `<kind>/<network>/<name>`, `[a-z0-9._/-]`. */
  readonly ref: string;
  readonly kind: SecretKind;
}

/** Parts that are public (certificates, public keys, fingerprints); every other part is secret. */
export const PUBLIC_PARTS: ReadonlySet<string> = new Set(['public', 'cert', 'fingerprint']);

export const SECRET_REF_RE = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;

/** Replaces every known secret value in a text by a placeholder naming its reference. */
export class Redactor {
  private readonly values: { value: string; label: string }[] = [];

  add(value: string, label: string): void {
    // Very short values would redact innocent text; secrets here are all long.
    if (value.length < 8) return;
    this.values.push({ value, label });
    // Longest first, so that a value containing another is replaced whole.
    this.values.sort((a, b) => b.value.length - a.value.length);
    // PEM blocks also appear line by line in logs.
    if (value.includes('\n')) for (const line of value.split('\n')) if (line.length >= 16 && !line.startsWith('-----')) this.add(line, label);
  }

  redact(text: string): string {
    let out = text;
    for (const { value, label } of this.values) if (out.includes(value)) out = out.split(value).join(`[secret ${label}]`);
    return out;
  }
}

/** A lookup that prints placeholders instead of values (public parts marked as such): for golden files and listings. */
export const placeholderSecrets = (ref: string, part = 'value'): string => `<${PUBLIC_PARTS.has(part) ? 'public' : 'secret'}:${ref}:${part}>`;
