/**
 * `overlab.yaml` text ↔ `Topology`. Parsing reports YAML syntax errors with line and column,
 * migrates older schema versions, validates, and places every diagnostic at the line of
 * the field it names. Serialising is deterministic: the same topology gives the same bytes.
 */
import jsyaml from 'js-yaml';
import { isMap, isNode, isScalar, LineCounter, parseDocument, stringify, visit, type Document } from 'yaml';
import { error, hasErrors, oneLine, type Diagnostic, type PathSegment, type Result } from './diagnostics.js';
import { migrate } from './migrations.js';
import type { Topology } from './schema.js';
import type { Registry } from './tunnels/types.js';
import { validateTopology } from './validate.js';

export const PROJECT_FILE = 'overlab.yaml';

export interface ParsedProject {
  readonly topology: Topology;
  /** The schema version the file was written in; lower than SCHEMA_VERSION ⇒ it was migrated. */
  readonly fromVersion: number;
}

function locate(doc: Document, lc: LineCounter, segments: readonly PathSegment[]): { line: number; column: number } | undefined {
  // The node itself, or the nearest ancestor that exists (a missing field points at its parent).
  for (let n = segments.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lc.linePos(node.range[0]);
      // A field whose value starts on a later line (a mapping or a list under its key) is where
      // its key is: an unknown or badly named key is on that line, and the value may be long.
      const key = n > 0 ? keyOf(doc, segments.slice(0, n)) : undefined;
      if (key?.range) {
        const at = lc.linePos(key.range[0]);
        if (at.line < pos.line) return { line: at.line, column: at.col };
      }
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

/** The key node of the field at `path` in a mapping, if the field is a mapping's entry. */
function keyOf(doc: Document, path: readonly PathSegment[]): { range?: [number, number, number] | null } | undefined {
  const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const last = path[path.length - 1];
  const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
  return isNode(pair?.key) ? pair.key : undefined;
}

/**
 * YAML 1.2's core schema as `yaml` resolves plain scalars (the same tests, the same values), for
 * js-yaml. js-yaml's own core schema differs on two forms: `0b101` is an integer there and `+.5`
 * a string.
 */
const CORE_1_2 = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsyaml.Type('tag:yaml.org,2002:null', { kind: 'scalar', resolve: (s: string) => /^(?:~|null|Null|NULL)?$/.test(s), construct: () => null }),
    new jsyaml.Type('tag:yaml.org,2002:bool', { kind: 'scalar', resolve: (s: string) => /^(?:true|True|TRUE|false|False|FALSE)$/.test(s), construct: (s: string) => s[0] === 't' || s[0] === 'T' }),
    new jsyaml.Type('tag:yaml.org,2002:int', {
      kind: 'scalar',
      resolve: (s: string) => /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(s),
      construct: (s: string) => (s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10)),
    }),
    new jsyaml.Type('tag:yaml.org,2002:float', {
      kind: 'scalar',
      resolve: (s: string) => /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/.test(s),
      construct: (s: string) => (/nan$/i.test(s) ? NaN : /inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : parseFloat(s)),
    }),
  ],
});

/**
 * Anchors, aliases, tags, merge keys and directives: what the fast read leaves to `yaml` (alias
 * bombs are bounded there, tags resolved the way it always resolved them). Quoted text holding
 * one of these characters takes the full read too: slower, never wrong.
 */
const NOT_FAST = /[&*!]|<<|^%/m;

export interface ParseOptions {
  /**
   * Whether warnings need their line and column (default true). False: a file that reads without
   * errors may come back with its warnings unplaced — for a reader that derives its own, like the
   * UI — and a large file then reads 15–20× faster.
   */
  readonly warningPositions?: boolean;
}

/**
 * The fast read: a file that js-yaml reads, with none of the constructs above, that migrates and
 * validates without an error (and, unless the caller needs no positions for them, without a
 * warning). js-yaml is 15–20× faster than `yaml`'s Document (a 1,000-host project 0.4 s →
 * 0.02 s) but gives no positions, so any problem to place — and any file it refuses (duplicate
 * keys, syntax) — is read again by the full path, which says where.
 */
export function fastParse(text: string, registry: Registry, opts: ParseOptions): Result<ParsedProject> | undefined {
  if (NOT_FAST.test(text)) return undefined;
  let raw: unknown;
  try {
    raw = jsyaml.load(text, { schema: CORE_1_2 });
  } catch {
    return undefined;
  }
  if (hasNullKey(raw)) return undefined;
  const migrated = migrate(raw);
  if (!migrated.value || migrated.diagnostics.length > 0) return undefined;
  const validated = validateTopology(migrated.value.document, registry);
  if (!validated.value || hasErrors(validated.diagnostics)) return undefined;
  if (validated.diagnostics.length > 0 && opts.warningPositions !== false) return undefined;
  return { value: { topology: validated.value, fromVersion: migrated.value.fromVersion }, diagnostics: validated.diagnostics };
}

/**
 * A key `null` (or `~`, `Null`, `NULL`) is a null: js-yaml makes it the key "null", `yaml` the key
 * "" — a suite named `null:` passed the fast read and failed the full one (found by the injection
 * fuzz). A key "null" in the fast read's result leaves the file to the full read.
 */
function hasNullKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasNullKey);
  if (v === null || typeof v !== 'object') return false;
  for (const [k, x] of Object.entries(v)) if (k === 'null' || hasNullKey(x)) return true;
  return false;
}

export function parseProject(text: string, registry: Registry, opts: ParseOptions = {}): Result<ParsedProject> {
  return fastParse(text, registry, opts) ?? fullParse(text, registry);
}

/**
 * The full read with `yaml`'s Document: syntax errors and every diagnostic placed at its line and
 * column. What parseProject falls back to; exported so that tests hold the fast read to it.
 */
export function fullParse(text: string, registry: Registry): Result<ParsedProject> {
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    // The parser recurses per nested node: a long enough line of flow collections and compact
    // mappings (`{a: b}={a: b}=…`, found by the injection fuzz) overflows the stack. A file that
    // cannot be read is the file's problem, reported as such, not an exception.
    if (!(e instanceof RangeError)) throw e;
    return { diagnostics: [error('yaml-syntax', [], `this YAML is nested too deeply to read (${oneLine(e.message, 80)}); look for a line of brackets, braces or colons`)] };
  }
  if (doc.errors.length > 0) {
    return {
      diagnostics: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const msg = e.message.split('\n')[0] ?? e.message;
        return {
          // The parser quotes the source, which may be anything: one line, escaped, cut.
          ...error('yaml-syntax', [], `this is not valid YAML: ${oneLine(msg.replace(/ at line \d+, column \d+:?$/, ''))}`),
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        };
      }),
    };
  }
  const place = (d: Diagnostic): Diagnostic => {
    const pos = d.segments ? locate(doc, lc, d.segments) : undefined;
    return pos ? { ...d, ...pos } : d;
  };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // toJS throws on an alias to no anchor and on an alias bomb: a problem with the file, not a bug.
    let pos: { line: number; column: number } | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (node.range && !node.resolve(doc)) {
          const p = lc.linePos(node.range[0]);
          pos = { line: p.line, column: p.col };
          return visit.BREAK;
        }
        return undefined;
      },
    });
    const msg = e instanceof Error ? e.message : String(e);
    return { diagnostics: [{ ...error('yaml-syntax', [], `this YAML cannot be read: ${oneLine(msg)}`), ...(pos ?? {}) }] };
  }
  const migrated = migrate(raw);
  if (!migrated.value) return { diagnostics: migrated.diagnostics.map(place) };
  const validated = validateTopology(migrated.value.document, registry);
  // Paths of a migrated document no longer match the text, so positions are given only for current files.
  const fresh = migrated.value.document === raw;
  const diagnostics = [...migrated.diagnostics, ...validated.diagnostics].map((d) => (fresh ? place(d) : d));
  // Reading order: problems with a position first, top to bottom.
  diagnostics.sort((x, y) => (x.line ?? Infinity) - (y.line ?? Infinity) || (x.column ?? 0) - (y.column ?? 0));
  if (!validated.value || hasErrors(diagnostics)) return { diagnostics };
  return { value: { topology: validated.value, fromVersion: migrated.value.fromVersion }, diagnostics };
}

const HEADER = `# Overlab project. Edit freely; \`overlab validate\` checks it. Format: see README.md, "The project file".\n`;

export function serializeProject(topology: Topology): string {
  return HEADER + stringify(topology, { lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
}
