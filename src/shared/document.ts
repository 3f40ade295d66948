/**
 * `overlab.yaml` text ↔ `Topology`. Parsing reports YAML syntax errors with line and column,
 * migrates older schema versions, validates, and places every diagnostic at the line of
 * the field it names. Serialising is deterministic: the same topology gives the same bytes.
 */
import { isNode, LineCounter, parseDocument, stringify, visit, type Document } from 'yaml';
import { error, hasErrors, type Diagnostic, type PathSegment, type Result } from './diagnostics.js';
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
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

export function parseProject(text: string, registry: Registry): Result<ParsedProject> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      diagnostics: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const msg = e.message.split('\n')[0] ?? e.message;
        return {
          ...error('yaml-syntax', [], `this is not valid YAML: ${msg.replace(/ at line \d+, column \d+:?$/, '')}`),
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
