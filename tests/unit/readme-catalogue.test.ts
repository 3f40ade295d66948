/** The README's tunnel catalogue says what the catalogue's capability tables say (shapes, underlay families). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SHAPES } from '../../src/shared/schema.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { FAMILY_KEYS, refusal } from '../../src/shared/tunnels/types.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README tunnel catalogue', () => {
  it('has a row per kind whose shapes and underlay columns match the kind\'s capability table', () => {
    const rows = new Map<string, string[]>();
    for (const l of README.split('\n')) {
      const m = /^\| `([a-z0-9-]+)` \|/.exec(l);
      if (m && l.split('|').length === 12) rows.set(m[1]!, l.split('|').slice(1, -1).map((c) => c.trim()));
    }
    for (const k of defaultRegistry.kinds) {
      const row = rows.get(k.id);
      expect(row, `README catalogue row of ${k.id}`).toBeDefined();
      const no = SHAPES.filter((s) => refusal(k.capabilities.shapes[s]));
      expect(row![8], k.id).toBe(no.length === 0 ? 'all four' : `all but ${no.join(', ')}`);
      expect(row![9], k.id).toBe(FAMILY_KEYS.filter((f) => !refusal(k.capabilities.underlay[f])).map((f) => f.replace('ipv', 'IPv')).join(', '));
    }
  });
});
