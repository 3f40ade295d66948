/**
 * What the golden tests share: a folder read as a map of relative path → content, and the check
 * that what the code renders is exactly that folder (rewritten first with UPDATE_GOLDEN=1).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

const update = process.env.UPDATE_GOLDEN === '1';

export function readTree(dir: string, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) for (const [k, v] of readTree(full, `${prefix}${name}/`)) out.set(k, v);
    else out.set(`${prefix}${name}`, readFileSync(full, 'utf8'));
  }
  return out;
}

/** `actual` is exactly the files under `dir`: the same paths, each byte for byte. */
export function expectTree(actual: ReadonlyMap<string, string>, dir: string): void {
  if (update) {
    rmSync(dir, { recursive: true, force: true });
    for (const [rel, content] of actual) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), content);
    }
  }
  const expected = readTree(dir);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [rel, content] of actual) expect(content, rel).toBe(expected.get(rel));
}
