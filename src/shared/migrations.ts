/**
 * Ordered migrations of the project document. Each step takes the plain data of version
 * N and returns version N+1; `migrate` runs the chain up to SCHEMA_VERSION. Documents
 * newer than this build are refused rather than guessed at.
 *
 * Version history:
 *  - 1: the first draft format. Links named their tunnel in `tunnel`, hosts gave their SSH
 *       target as one string `ssh: lab | [user@]address[:port]`, and the underlay MTU sat
 *       at the top level as `mtu`.
 *  - 2: links say `kind`, hosts have a typed `target`, the underlay is `underlay: {subnet, mtu}`.
 *  - 3: every host and link has a stable `id` (ids.ts), so that references survive renames,
 *       reorders and undo. The migration derives them from the content (the same file always
 *       migrates to the same ids until it is saved as version 3).
 *  - 4: links may carry `conditions` and hosts an `uplink` (delay, loss, rate …), and SSH
 *       targets `applyConditions`. Nothing to convert: the number says that an older Overlab,
 *       which would refuse these fields one by one, cannot read the file.
 *  - 5: the document may carry `advice` (the needs the advisor ranks kinds for). Nothing to
 *       convert, as for 4.
 */
import { describeValue, error, shown, type Diagnostic, type Result } from './diagnostics.js';
import { fillIds } from './ids.js';
import { SCHEMA_VERSION } from './schema.js';

type Doc = Record<string, unknown>;

const isObj = (v: unknown): v is Doc => v !== null && typeof v === 'object' && !Array.isArray(v);

function v1ToV2(doc: Doc, out: Diagnostic[]): Doc {
  const next: Doc = { ...doc, schemaVersion: 2 };
  if ('mtu' in next) {
    const underlay = isObj(next.underlay) ? { ...next.underlay } : {};
    underlay.mtu = next.mtu;
    next.underlay = underlay;
    delete next.mtu;
  }
  if (Array.isArray(next.links)) {
    next.links = next.links.map((l: unknown) => {
      if (!isObj(l) || !('tunnel' in l)) return l;
      const { tunnel, ...rest } = l;
      return { ...rest, kind: tunnel };
    });
  }
  if (Array.isArray(next.hosts)) {
    next.hosts = next.hosts.map((h: unknown, i: number) => {
      if (!isObj(h) || !('ssh' in h)) return h;
      const { ssh, ...rest } = h;
      if (ssh === 'lab' || ssh === undefined) return { ...rest, target: { type: 'lab' } };
      const m = typeof ssh === 'string' ? /^(?:([^@\s]+)@)?([^:\s]+|\[[0-9a-fA-F:.]+\])(?::([0-9]+))?$/.exec(ssh) : null;
      if (!m) {
        out.push(error('migration-failed', ['hosts', i, 'ssh'], `cannot read ${typeof ssh === 'string' ? shown(ssh) : describeValue(ssh)} as [user@]address[:port]; write hosts[${i}].target as { type: ssh, address: ..., user: ..., port: ... }`));
        return rest;
      }
      const target: Doc = { type: 'ssh', address: m[2]!.replace(/^\[|\]$/g, '') };
      if (m[1]) target.user = m[1];
      if (m[3]) target.port = Number(m[3]);
      return { ...rest, target };
    });
  }
  return next;
}

function v2ToV3(doc: Doc): Doc {
  const hosts = Array.isArray(doc.hosts) ? (doc.hosts as Doc[]) : undefined;
  const links = Array.isArray(doc.links) ? (doc.links as Doc[]) : undefined;
  const filled = fillIds(hosts ?? [], links ?? []);
  return { ...doc, schemaVersion: 3, ...(hosts ? { hosts: filled.hosts } : {}), ...(links ? { links: filled.links } : {}) };
}

const v3ToV4 = (doc: Doc): Doc => ({ ...doc, schemaVersion: 4 });
const v4ToV5 = (doc: Doc): Doc => ({ ...doc, schemaVersion: 5 });

/** MIGRATIONS[n] turns version n+1 into version n+2. */
const MIGRATIONS: readonly ((doc: Doc, out: Diagnostic[]) => Doc)[] = [v1ToV2, v2ToV3, v3ToV4, v4ToV5];

export interface Migrated {
  readonly document: unknown;
  readonly fromVersion: number;
}

export function migrate(input: unknown): Result<Migrated> {
  if (!isObj(input)) {
    return { diagnostics: [error('not-a-mapping', [], 'the project file must be a YAML mapping with schemaVersion, name, shape, hosts and links')] };
  }
  const v = input.schemaVersion;
  if (v === undefined) {
    return { diagnostics: [error('required', ['schemaVersion'], `is required; add "schemaVersion: ${SCHEMA_VERSION}" at the top of the file`)] };
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    return { diagnostics: [error('unknown-schema-version', ['schemaVersion'], `${describeValue(v)} is not a schema version; this Overlab reads versions 1 to ${SCHEMA_VERSION}`)] };
  }
  if (v > SCHEMA_VERSION) {
    return {
      diagnostics: [error('unknown-schema-version', ['schemaVersion'], `version ${v} is newer than this Overlab understands (up to ${SCHEMA_VERSION}); upgrade Overlab to open this project`)],
    };
  }
  const out: Diagnostic[] = [];
  let doc: Doc = input;
  for (let from = v; from < SCHEMA_VERSION; from++) doc = MIGRATIONS[from - 1]!(doc, out);
  return { value: { document: doc, fromVersion: v }, diagnostics: out };
}
