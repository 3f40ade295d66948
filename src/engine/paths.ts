/**
 * Where Overlab's own files are: the checkout (or installed package) root, found by walking
 * up from this module to the nearest package.json named "overlab" — the same answer from the
 * sources under tests, from the bundled CLI in out/cli (and its chunks), and from out/main.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function overlabRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'overlab') return (root = dir);
      } catch {
        // not ours: keep climbing
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`bug: no package.json of overlab above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The built renderer (`npm run build`): what `overlab serve` serves and the report printer opens. */
export const rendererDir = (): string => path.join(overlabRoot(), 'out', 'renderer');

/** Shipped files: the app icon, the example projects (resources/). */
export const resourcesDir = (): string => path.join(overlabRoot(), 'resources');
