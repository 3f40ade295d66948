/**
 * `overlab.yaml` text ↔ `Topology`. Parsing reports YAML syntax errors with line and column,
 * migrates older schema versions, validates, and places every diagnostic at the line of
 * the field it names. Serialising is deterministic: the same topology gives the same bytes.
 *
 * The text may be anything (a file cut short, garbage, a hostile file): reading it takes time
 * bounded by its size and never throws. Nesting is bounded before any recursive reader sees it
 * (`yaml`'s composer overflows the stack past a few hundred levels, and on Node 20 the next
 * parse after such an overflow can abort the whole process), aliases are bounded by count, and
 * `yaml` — whose parser is slow over garbage (tens of µs a byte) — reads only text js-yaml took,
 * or small text.
 */
import jsyaml from 'js-yaml';
import { Composer, isMap, isNode, isScalar, LineCounter, Parser, stringify, visit, YAMLParseError, type CST, type Document } from 'yaml';
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

/** Collections nested deeper than this are refused: an Overlab project nests a handful of levels. */
export const MAX_DEPTH = 64;
/**
 * Text js-yaml refuses is read again by `yaml`, for its wording and positions, only up to this
 * size; larger text gets js-yaml's own verdict (with its line and column).
 */
export const FULL_READ_INVALID_MAX = 128 << 10;
/**
 * Problems are placed at their line (the `yaml` Document) in files up to this size (a 200-host
 * full mesh is 1.7 MB); larger files that js-yaml reads get their problems without positions.
 */
export const FULL_READ_MAX = 2 << 20;
/** Syntax problems listed, at most (garbage has one per character). */
const MAX_SYNTAX_DIAGNOSTICS = 20;

/** Any tag js-yaml does not know reads as the plain value (for the checks below; the fast read never sees a tag). */
const anyTag = (kind: 'scalar' | 'sequence' | 'mapping'): jsyaml.Type => new jsyaml.Type('', { kind, multi: true, construct: (data: unknown) => data });
const GATE = CORE_1_2.extend({ explicit: [anyTag('scalar'), anyTag('sequence'), anyTag('mapping')] });

type Loaded = { readonly value: unknown } | { readonly error: jsyaml.YAMLException };

/** js-yaml's read with nesting bounded (it reads by recursion too); its verdict decides how much more is safe. */
function load(text: string): Loaded {
  try {
    return { value: jsyaml.load(text, { schema: GATE, maxDepth: MAX_DEPTH } as jsyaml.LoadOptions) };
  } catch (e) {
    return { error: e instanceof jsyaml.YAMLException ? e : new jsyaml.YAMLException(e instanceof Error ? e.message : String(e)) };
  }
}

const tooDeep = (at?: { line: number; column: number }): Diagnostic => ({
  ...error('too-deep', [], `this YAML nests more than ${MAX_DEPTH} levels deep, and an Overlab project nests a few: it is not a project file, or it was damaged; restore it from a copy, or fix it here`),
  ...(at ?? {}),
});

const isDepthError = (e: jsyaml.YAMLException): boolean => /maxDepth/.test(e.reason ?? e.message);

/** js-yaml's verdict on text it refused, at its line and column. */
function jsyamlProblem(e: jsyaml.YAMLException): Diagnostic {
  const mark = (e as { mark?: { line: number; column: number } }).mark;
  const at = mark ? { line: mark.line + 1, column: mark.column + 1 } : undefined;
  if (isDepthError(e)) return tooDeep(at);
  return { ...error('yaml-syntax', [], `this is not valid YAML: ${oneLine(e.reason ?? e.message)}`), ...(at ?? {}) };
}

export interface ParseOptions {
  /**
   * Whether warnings need their line and column (default true). False: a file that reads without
   * errors may come back with its warnings unplaced — for a reader that derives its own, like the
   * UI — and a large file then reads 15–20× faster.
   */
  readonly warningPositions?: boolean;
}

/** The fast read of a value js-yaml made: taken when it migrates and validates without an error (and, unless positions are not needed, a warning). */
function fromValue(raw: unknown, registry: Registry, opts: ParseOptions): Result<ParsedProject> | undefined {
  if (hasNullKey(raw)) return undefined;
  const migrated = migrate(raw);
  if (!migrated.value || migrated.diagnostics.length > 0) return undefined;
  const validated = validateTopology(migrated.value.document, registry);
  if (!validated.value || hasErrors(validated.diagnostics)) return undefined;
  if (validated.diagnostics.length > 0 && opts.warningPositions !== false) return undefined;
  return { value: { topology: validated.value, fromVersion: migrated.value.fromVersion }, diagnostics: validated.diagnostics };
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
  const loaded = load(text);
  return 'value' in loaded ? fromValue(loaded.value, registry, opts) : undefined;
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
  const loaded = load(text);
  if ('error' in loaded) {
    // Too deep for js-yaml is too deep for yaml: never handed on.
    if (isDepthError(loaded.error)) return { diagnostics: [jsyamlProblem(loaded.error)] };
    return text.length <= FULL_READ_INVALID_MAX ? fullParse(text, registry) : { diagnostics: [jsyamlProblem(loaded.error)] };
  }
  if (!NOT_FAST.test(text)) {
    const fast = fromValue(loaded.value, registry, opts);
    if (fast) return fast;
  }
  return text.length <= FULL_READ_MAX ? fullParse(text, registry) : unplacedParse(loaded.value, text, registry);
}

/**
 * How many values a js-yaml value holds with its aliases expanded (they share objects there),
 * counting no further than `limit`: what migrating and validating it would walk.
 */
function expandedSize(value: unknown, limit: number): number {
  let n = 0;
  const todo: unknown[] = [value];
  while (todo.length > 0 && n <= limit) {
    const v = todo.pop();
    n++;
    // One at a time: spreading a list of millions into push() overflows the stack.
    if (Array.isArray(v)) for (const x of v) todo.push(x);
    else if (v !== null && typeof v === 'object') for (const k in v) todo.push((v as Record<string, unknown>)[k]);
  }
  return n;
}

/** A file too large to place its problems: js-yaml's value, migrated and validated; an alias bomb refused. */
function unplacedParse(raw: unknown, text: string, registry: Registry): Result<ParsedProject> {
  // Without aliases a value holds fewer values than its text has characters.
  if (NOT_FAST.test(text) && expandedSize(raw, text.length) > text.length) {
    return { diagnostics: [error('yaml-syntax', [], 'this YAML cannot be read: its aliases expand it far beyond its size (an "alias bomb"); it is not a project Overlab wrote')] };
  }
  const migrated = migrate(raw);
  if (!migrated.value) return { diagnostics: migrated.diagnostics };
  const validated = validateTopology(migrated.value.document, registry);
  const diagnostics = [...migrated.diagnostics, ...validated.diagnostics];
  if (!validated.value || hasErrors(diagnostics)) return { diagnostics };
  return { value: { topology: validated.value, fromVersion: migrated.value.fromVersion }, diagnostics };
}

/**
 * Aliases (`*name`) read, at most. yaml resolves each by searching the document and counts the
 * aliases inside what it points at, so chains of anchors cost far more than their size (3,000
 * chained anchors, 64 KiB, take 9 s); Overlab writes none, and yaml already refuses more than
 * 100 uses of one anchor.
 */
export const MAX_ALIASES = 200;

/**
 * What in yaml's syntax tree (built without recursion) is past the bounds: the offset of the
 * first collection nested deeper than MAX_DEPTH, or of the alias past MAX_ALIASES.
 */
function pastBounds(tokens: readonly CST.Token[]): { deep: number } | { aliases: number } | undefined {
  const todo: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  let aliases = 0;
  while (todo.length > 0) {
    const [t, depth] = todo.pop()!;
    if (t.type === 'alias' && ++aliases > MAX_ALIASES) return { aliases: t.offset };
    if (t.type === 'document') {
      if (t.value) todo.push([t.value, depth]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth >= MAX_DEPTH) return { deep: t.offset };
      for (const item of t.items) {
        const { key, value } = item as { key?: CST.Token | null; value?: CST.Token };
        if (key) todo.push([key, depth + 1]);
        if (value) todo.push([value, depth + 1]);
      }
    }
  }
  return undefined;
}

/**
 * The full read with `yaml`'s Document: syntax errors and every diagnostic placed at its line and
 * column. What parseProject falls back to; exported so that tests hold the fast read to it.
 */
export function fullParse(text: string, registry: Registry): Result<ParsedProject> {
  const lc = new LineCounter();
  // yaml's parseDocument, in its two steps, so that the syntax tree's depth is checked before
  // the composer (which recurses) reads it.
  let tokens: CST.Token[];
  try {
    tokens = [...new Parser(lc.addNewLine).parse(text)];
  } catch (e) {
    // Not expected (the parser does not recurse; the composer below reads only what pastBounds
    // allowed), but a file that cannot be read is the file's problem, not an exception.
    if (!(e instanceof RangeError)) throw e;
    return { diagnostics: [error('yaml-syntax', [], `this YAML is nested too deeply to read (${oneLine(e.message, 80)}); look for a line of brackets, braces or colons`)] };
  }
  const past = pastBounds(tokens);
  if (past) {
    const p = lc.linePos('deep' in past ? past.deep : past.aliases);
    const at = { line: p.line, column: p.col };
    if ('deep' in past) return { diagnostics: [tooDeep(at)] };
    return { diagnostics: [{ ...error('too-many-aliases', [], `this YAML uses more than ${MAX_ALIASES} aliases (*name); Overlab reads at most ${MAX_ALIASES} in a project file: write the values out in full`), ...at }] };
  }
  let doc: Document | undefined;
  for (const d of new Composer({ uniqueKeys: true }).compose(tokens, true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  if (!doc) throw new Error('bug: yaml composed no document');
  if (doc.errors.length > 0) {
    const shown = doc.errors.slice(0, MAX_SYNTAX_DIAGNOSTICS).map((e): Diagnostic => {
      const pos = lc.linePos(e.pos[0]);
      // The parser may quote the source, which may be anything: one line, escaped, cut.
      return { ...error('yaml-syntax', [], `this is not valid YAML: ${oneLine((e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''))}`), line: pos.line, column: pos.col };
    });
    const more = doc.errors.length - shown.length;
    return { diagnostics: more > 0 ? [...shown, error('yaml-syntax', [], `… and ${more} more YAML problems after these: this is not a project file, or it was damaged; restore it from a copy`)] : shown };
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
    const msg = oneLine(e instanceof Error ? e.message : String(e));
    return { diagnostics: [{ ...error('yaml-syntax', [], `this YAML cannot be read: ${msg}`), ...(pos ?? {}) }] };
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
