/**
 * Problems are collected with a location, never thrown: `validate()` and `plan()` return
 * `{ value?, diagnostics }`, and callers decide how to show them. Throw only for bugs.
 */

export type Severity = 'error' | 'warning';

/** What a diagnostic is about, by stable id: the designer marks that node or edge. */
export interface Subject {
  readonly type: 'host' | 'link';
  readonly id: string;
}

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code, e.g. `duplicate-host-name`. Tests and UIs key on it. */
  readonly code: string;
  /** Field path in the document, e.g. `links[3].kind`; `''` for the document itself. */
  readonly path: string;
  /** The same path as segments, so a YAML source position can be looked up. */
  readonly segments?: readonly PathSegment[];
  /** The host or link the path points into (`hosts[2]…` → that host's id), when there is one. */
  readonly subject?: Subject;
  /** One sentence saying what is wrong and how to fix it. */
  readonly message: string;
  /** 1-based position in the source file, when the document came from text. */
  readonly line?: number;
  readonly column?: number;
}

export interface Result<T> {
  readonly value?: T;
  readonly diagnostics: readonly Diagnostic[];
}

export type PathSegment = string | number;

/**
 * Characters that JSON.stringify leaves as they are but that a terminal, a log or an editor
 * takes for more than a character: C1 controls (U+009B is an 8-bit CSI), the line and paragraph
 * separators, bidirectional embeddings, overrides and isolates (they reorder what follows on the
 * line), and lone surrogates (no UTF-8 for them).
 */
const UNSHOWABLE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text as a JSON string whose every character shows as itself or as an escape: one line, nothing a terminal acts on. */
const quoted = (text: string): string => JSON.stringify(text).replace(UNSHOWABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * A user's text inside a message: quoted and escaped (`quoted`), and cut after `max` characters
 * (a 20,000-character value makes a message nobody reads). Every message that repeats what the
 * user wrote goes through this, so that a diagnostic stays one line that says only what Overlab
 * says: the text cannot break the line, forge another, or colour the terminal.
 */
export function shown(text: string, max = 60): string {
  const chars = Array.from(text);
  if (chars.length <= max) return quoted(text);
  return `${quoted(chars.slice(0, max).join(''))}… (${chars.length} characters)`;
}

/**
 * Someone else's message (a YAML parser's, which quotes the source) as one line of at most `max`
 * characters, with what a terminal would act on escaped like `shown` does.
 */
export function oneLine(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex -- the point is to escape control characters
  const escaped = text.replace(/[\u0000-\u001f]/g, (c) => JSON.stringify(c).slice(1, -1)).replace(UNSHOWABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const chars = Array.from(escaped);
  return chars.length <= max ? escaped : `${chars.slice(0, max).join('')}…`;
}

/** Any value in a message: `null`, `a list`, `a mapping`, or its type and text (`string "x"`). */
export const describeValue = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v === 'string' ? `string ${shown(v)}` : `${typeof v} ${String(v)}`;

/** `['links', 3, 'kind']` → `links[3].kind`; a key that is not a plain name is quoted and escaped like `shown` (never cut: a path names one field). */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${quoted(seg)}]`;
  }
  return out;
}

export const error = (code: string, path: readonly PathSegment[], message: string): Diagnostic => ({
  severity: 'error',
  code,
  path: formatPath(path),
  segments: path,
  message,
});

export const warning = (code: string, path: readonly PathSegment[], message: string): Diagnostic => ({
  severity: 'warning',
  code,
  path: formatPath(path),
  segments: path,
  message,
});

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean =>
  diagnostics.some((d) => d.severity === 'error');

/** `links[3].kind: error: <message> (overlab.yaml:12:5)` — path first, one line. */
export function formatDiagnostic(d: Diagnostic, file?: string): string {
  const path = d.path === '' ? '(document)' : d.path;
  const where = file ? ` (${file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''})` : '';
  return `${path}: ${d.severity}: ${d.message}${where}`;
}

/**
 * Adds to each diagnostic whose path points into `hosts[i]` or `links[i]` the id of that host
 * or link, so that a UI marks the right node or edge whatever the order of the lists.
 */
export function withSubjects(diagnostics: readonly Diagnostic[], ids: { readonly hosts: readonly (string | undefined)[]; readonly links: readonly (string | undefined)[] }): Diagnostic[] {
  return diagnostics.map((d) => {
    const [list, index] = d.segments ?? [];
    if ((list !== 'hosts' && list !== 'links') || typeof index !== 'number') return d;
    const id = ids[list][index];
    if (id === undefined) return d;
    const subject: Subject = { type: list === 'hosts' ? 'host' : 'link', id };
    return { ...d, subject };
  });
}
