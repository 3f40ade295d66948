/** Every example project in resources/examples validates and plans with no problem at all. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProject } from '../../src/shared/document.js';
import { plan } from '../../src/shared/plan.js';
import { SCHEMA_VERSION } from '../../src/shared/schema.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

const dir = fileURLToPath(new URL('../../resources/examples/', import.meta.url));
const names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

describe('example projects', () => {
  it('include the demo that npm start opens', () => expect(names).toContain('demo'));

  it.each(names)('%s is a current, valid project that plans without warnings', (name) => {
    const parsed = parseProject(readFileSync(`${dir}${name}/overlab.yaml`, 'utf8'), defaultRegistry);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.value?.fromVersion).toBe(SCHEMA_VERSION);
    const p = plan(parsed.value!.topology, defaultRegistry);
    expect(p.diagnostics).toEqual([]);
    expect(p.value?.links.length).toBeGreaterThan(0);
  });
});
