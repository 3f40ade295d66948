/**
 * No import cycles in src/ (scripts/import-cycles.ts): two modules that import each other,
 * directly or around a loop, can be neither understood nor tested apart. Type-only imports
 * count; the one cycle allowed is zustand's slices pattern (STYLE.md), where each slice's
 * creator is typed over the whole store, the slices' intersection — and it is type-only: the
 * imports a build keeps have no cycle at all. The checker is proved on cycles written here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cyclesOf, importGraph } from '../../scripts/import-cycles.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** The store's slices and the type that joins them (renderer/src/store/types.ts). */
const ALLOWED = [
  ['renderer/src/store/conditions.ts', 'renderer/src/store/deploy.ts', 'renderer/src/store/document.ts', 'renderer/src/store/results.ts', 'renderer/src/store/selection.ts', 'renderer/src/store/types.ts', 'renderer/src/store/ui.ts'],
];

describe('import cycles in src/', () => {
  it('has none but the store slices', () => {
    const cycles = cyclesOf(importGraph(SRC), SRC).filter((c) => !ALLOWED.some((a) => a.join() === c.join()));
    expect(cycles, `import cycles (break them; node scripts/run-ts.mjs scripts/import-cycles.ts lists them):\n${cycles.map((c) => c.join(' ')).join('\n')}`).toEqual([]);
  });

  it('has none at all among the imports a build keeps', () => {
    expect(cyclesOf(importGraph(SRC, { runtime: true }), SRC)).toEqual([]);
  });
});

describe('the cycle finder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'overlab-cycles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tree = (name: string, files: Record<string, string>): string => {
    const root = path.join(dir, name);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), text);
    }
    return root;
  };

  it('finds a loop through a type import, a re-export and a folder index, and only the loop', () => {
    const root = tree('loop', {
      'a.ts': "import { b } from './b.js';\nexport const a = b;\n",
      'b.ts': "export { c as b } from './sub';\n",
      'sub/index.ts': "import type { A } from '../c.js';\nexport const c = 1 as unknown as A;\n",
      'c.ts': "import { a } from './a.js';\nexport type A = typeof a;\n",
      'leaf.ts': "import { a } from './a.js';\nexport const leaf = a;\n",
    });
    expect(cyclesOf(importGraph(root), root)).toEqual([['a.ts', 'b.ts', 'c.ts', 'sub/index.ts']]);
    // Without the type import the loop is open.
    expect(cyclesOf(importGraph(root, { runtime: true }), root)).toEqual([]);
  });

  it('counts a dynamic import() as a build keeps it, and a file importing itself', () => {
    const root = tree('dynamic', {
      'x.tsx': "export const x = async () => (await import('./y.js')).y;\n",
      'y.ts': "import { x } from './x';\nexport const y = x;\n",
      'self.ts': "import * as me from './self.js';\nexport const s = me;\n",
    });
    expect(cyclesOf(importGraph(root, { runtime: true }), root)).toEqual([['self.ts'], ['x.tsx', 'y.ts']]);
  });

  it('leaves out imports of packages and of files outside the tree', () => {
    const root = tree('outside', { 'p.ts': "import ts from 'typescript';\nimport { q } from '../loop/a.js';\nexport const p = [ts, q];\n" });
    expect([...importGraph(root).values()]).toEqual([[]]);
  });
});
