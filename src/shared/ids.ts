/**
 * Stable ids of the document's hosts and links (schema version 3). Everything that refers to
 * a host or a link — plan rows, diagnostics, canvas nodes and edges, measurement results,
 * heatmaps — keys on these, never on a position in a list, so that an insert, a delete, a
 * reorder, an undo or a rename leaves every reference intact.
 *
 * An id is generated once and then written to `overlab.yaml`:
 *  - migrating an older file, or reading a hand-written host or link without one, derives it
 *    from the content (a hash of the host's name, of the link's two ends), so re-opening the
 *    same unsaved file gives the same ids;
 *  - the designer draws a new one at random (`newId`).
 * After that the id never changes, whatever happens to names or order.
 */
import { z } from 'zod';

/** Ids are short, safe in file names and URLs: they name run folders and DOM elements. */
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
export const ID_RULE = 'use 1–32 letters, digits, "_" or "-", starting with a letter or digit (ids are generated: delete the field to have a new one made)';

export const EntityId = z.string().regex(ID_RE, { error: ID_RULE });

export type IdPrefix = 'h' | 'l';

/** FNV-1a, 32 bits: a stable, dependency-free hash for derived ids (not for security). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const base36 = (n: number, width: number): string => n.toString(36).padStart(width, '0').slice(-width);

/** A deterministic id for `seed`, not among `taken` (collisions take the next hash). */
export function derivedId(prefix: IdPrefix, seed: string, taken: ReadonlySet<string>): string {
  for (let salt = 0; ; salt++) {
    const id = `${prefix}${base36(fnv1a(salt === 0 ? seed : `${seed}\u0000${salt}`), 6)}`;
    if (!taken.has(id)) return id;
  }
}

/** Web Crypto, which browsers and Node (≥ 19, as `globalThis.crypto`) both have; this layer types no platform. */
const webCrypto = (): { getRandomValues(a: Uint32Array): Uint32Array } => (globalThis as unknown as { crypto: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto;

/** A fresh random id (the designer's new hosts and links, pasted copies). */
export function newId(prefix: IdPrefix, taken: ReadonlySet<string> = new Set()): string {
  const buf = new Uint32Array(2);
  for (;;) {
    webCrypto().getRandomValues(buf);
    const id = `${prefix}${base36(buf[0]!, 6)}${base36(buf[1]! % 36 ** 2, 2)}`;
    if (!taken.has(id)) return id;
  }
}

interface Named {
  id?: unknown;
  name?: unknown;
}
interface Ended {
  id?: unknown;
  a?: unknown;
  b?: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Gives every host and link of a raw document that lacks an `id` a derived one, keeping ids
 * that are there. Hosts hash their name, links their two ends (in either order, so a link
 * whose ends are swapped by hand keeps its id). Works on raw data: items that are not
 * mappings are left for validation to report.
 */
export function fillIds<H extends Named, L extends Ended>(hosts: readonly H[], links: readonly L[]): { hosts: (H & { id: string })[]; links: (L & { id: string })[] } {
  const taken = new Set<string>();
  for (const x of [...hosts, ...links]) if (isObj(x) && typeof x.id === 'string') taken.add(x.id);
  const withId = <T extends Named | Ended>(x: T, prefix: IdPrefix, seed: string): T & { id: string } => {
    if (!isObj(x) || typeof x.id === 'string') return x as T & { id: string };
    const id = derivedId(prefix, seed, taken);
    taken.add(id);
    // id first: it reads first in overlab.yaml.
    return { id, ...x } as T & { id: string };
  };
  return {
    hosts: hosts.map((h) => withId(h, 'h', `host\u0000${String((h as Named).name)}`)),
    links: links.map((l) => withId(l, 'l', `link\u0000${[String((l as Ended).a), String((l as Ended).b)].sort().join('\u0000')}`)),
  };
}
