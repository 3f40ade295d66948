/**
 * What the UI derives from the document, computed once per document version (the document
 * is immutable: a new object is a new version): the shared validator's problems, the plan
 * (MTU, overhead, addresses) and each host's and link's worst problem, by id.
 */
import { hasErrors, type Diagnostic, type Severity } from '../../shared/diagnostics';
import { plan as planTopology, type Plan } from '../../shared/plan';
import type { Topology } from '../../shared/schema';
import { defaultRegistry } from '../../shared/tunnels/index';
import { validateTopology } from '../../shared/validate';

export const registry = defaultRegistry;

/** Whether `b` is `a` with some hosts moved and nothing else changed (a drag, a layout). */
export function onlyMoved(a: Topology, b: Topology): boolean {
  if (a.links !== b.links || a.hosts.length !== b.hosts.length) return false;
  for (const k of Object.keys(b) as (keyof Topology)[]) if (k !== 'hosts' && a[k] !== b[k]) return false;
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  return b.hosts.every((h, i) => {
    const o = a.hosts[i]!;
    if (h === o) return true;
    const keys = Object.keys(h) as (keyof typeof h)[];
    return keys.length === Object.keys(o).length && keys.every((k) => k === 'position' || h[k] === o[k]);
  });
}

/**
 * Once per document version; a version that only moved hosts keeps the last result (positions
 * change neither problems nor the plan, and a 1,000-host plan costs a second).
 */
function memo<T>(fn: (t: Topology) => T): (t: Topology) => T {
  let last: Topology | undefined;
  let value: T;
  return (t) => {
    if (t !== last) {
      if (!last || !onlyMoved(last, t)) value = fn(t);
      last = t;
    }
    return value;
  };
}

export interface Checked {
  readonly diagnostics: readonly Diagnostic[];
  readonly plan?: Plan;
  /** Host or link id → its worst problem. */
  readonly severity: ReadonlyMap<string, Severity>;
}

/** The check itself (pure; also what the checking worker runs). */
export function computeChecked(t: Topology): Checked {
  const v = validateTopology(t, registry);
  const p = v.value && !hasErrors(v.diagnostics) ? planTopology(v.value, registry) : undefined;
  const diagnostics = [...v.diagnostics, ...(p?.diagnostics ?? [])];
  const severity = new Map<string, Severity>();
  for (const d of diagnostics) {
    if (!d.subject) continue;
    if (severity.get(d.subject.id) !== 'error') severity.set(d.subject.id, d.severity);
  }
  return { diagnostics, ...(p?.value ? { plan: p.value } : {}), severity };
}

/** On this thread, once per document version (see useChecked for large documents). */
export const check = memo(computeChecked);

/** The problems whose path points into a field of a host or link (`hosts[i].lan`), by field. */
export function fieldProblems(diagnostics: readonly Diagnostic[], subjectId: string): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (d.subject?.id !== subjectId) continue;
    const field = (d.segments ?? []).slice(2).filter((s) => typeof s === 'string').join('.') || '';
    out.set(field, [...(out.get(field) ?? []), d]);
  }
  return out;
}
