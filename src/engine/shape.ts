/**
 * The shape of a JSON file Overlab wrote (results.json, its lean copy and listing,
 * campaign.json), checked when it is read back: a file cut short parses as nothing, but one
 * edited by hand, damaged in place or written by something else can parse into anything, and
 * every view after the store would meet it as a TypeError far from the file. A check says the
 * first place that is wrong, as a path (`tests[3].ping.samples`) and what should be there.
 *
 * Checks are plain functions built from a few combinators; they walk arrays in loops and build
 * no path unless something is wrong, so a 54 MB results file is checked in a fraction of its
 * parse time. Nesting is bounded before parsing (`jsonTooDeep`): JSON.parse takes any depth
 * (seconds for a few million brackets), and what walks the value afterwards — JSON.stringify for
 * a report, a view — recurses.
 */
import { formatPath, type PathSegment } from '../shared/diagnostics.js';

/** Where a value is not what it should be. `at` is filled in on the way out, innermost last. */
export interface ShapeProblem {
  readonly at: PathSegment[];
  readonly want: string;
  readonly got: unknown;
}

export type Check = (v: unknown) => ShapeProblem | undefined;

const fail = (want: string, got: unknown): ShapeProblem => ({ at: [], want, got });
const under = (key: PathSegment, p: ShapeProblem): ShapeProblem => {
  p.at.unshift(key);
  return p;
};
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export const str: Check = (v) => (typeof v === 'string' ? undefined : fail('a string', v));
/** A number, or null: JSON writes a statistic that came out NaN or infinite as null. */
export const num: Check = (v) => (typeof v === 'number' || v === null ? undefined : fail('a number', v));
export const bool: Check = (v) => (typeof v === 'boolean' ? undefined : fail('true or false', v));
export const lit =
  (...values: readonly unknown[]): Check =>
  (v) =>
    values.includes(v) ? undefined : fail(values.map((x) => JSON.stringify(x)).join(' or '), v);
export const opt =
  (c: Check): Check =>
  (v) =>
    v === undefined ? undefined : c(v);
export const absent: Check = (v) => (v === undefined ? undefined : fail('absent', v));
export const anyOf =
  (want: string, ...cs: readonly Check[]): Check =>
  (v) =>
    cs.some((c) => c(v) === undefined) ? undefined : fail(want, v);

export const arr =
  (c: Check): Check =>
  (v) => {
    if (!Array.isArray(v)) return fail('a list', v);
    for (let i = 0; i < v.length; i++) {
      const p = c(v[i]);
      if (p) return under(i, p);
    }
    return undefined;
  };

/** An object used as a map: every value checked. */
export const rec =
  (c: Check): Check =>
  (v) => {
    if (!isObject(v)) return fail('an object', v);
    for (const k in v) {
      const p = c(v[k]);
      if (p) return under(k, p);
    }
    return undefined;
  };

/** An object with these fields (others are let be: a newer Overlab may add some). */
export const obj = (fields: Readonly<Record<string, Check>>): Check => {
  const entries = Object.entries(fields);
  return (v) => {
    if (!isObject(v)) return fail('an object', v);
    for (const [k, c] of entries) {
      const p = c(v[k]);
      if (p) return under(k, p);
    }
    return undefined;
  };
};

const kindOf = (v: unknown): string => (v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}` : `${typeof v} ${String(v)}`);

/** "`tests[3].ping` is a string where an object belongs", for a message. */
export function describeProblem(p: ShapeProblem): string {
  const where = p.at.length ? formatPath(p.at) : 'the whole file';
  return p.got === undefined ? `${where} is missing (it should be ${p.want})` : `${where} is ${kindOf(p.got)} where ${p.want} belongs`;
}

/**
 * The offset of the first bracket nested deeper than `max` in JSON text, or undefined. Strings are
 * skipped (with their escapes); the text need not be valid JSON.
 */
export function jsonTooDeep(text: string, max: number): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: to its closing quote, skipping escaped characters.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/**
 * JSON.parse's complaint, fit for a one-line message: V8 quotes the text around the fault, which
 * in a damaged file may hold line breaks, control characters or a megabyte of one line.
 */
export function parseErrorText(e: unknown): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const m = (e instanceof Error ? e.message : String(e)).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?').replace(/\s+/g, ' ').trim();
  return m.length > 160 ? `${m.slice(0, 160)}…` : m;
}

/** How deep Overlab's JSON files nest, with room to spare (a results file: about 8 levels). */
export const JSON_MAX_DEPTH = 64;
