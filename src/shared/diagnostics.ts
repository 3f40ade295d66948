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

/** `['links', 3, 'kind']` → `links[3].kind`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
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
