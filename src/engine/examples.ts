/**
 * The example projects shipped in resources/examples/<name>/overlab.yaml: what `overlab new
 * --example`, `npm start` and the designer's "New project" start from.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExampleInfo } from '../shared/api.js';
import type { Result } from '../shared/diagnostics.js';
import { error } from '../shared/diagnostics.js';
import { parseProject } from '../shared/document.js';
import type { Topology } from '../shared/schema.js';
import type { Registry } from '../shared/tunnels/types.js';
import { resourcesDir } from './paths.js';

const examplesDir = (): string => path.join(resourcesDir(), 'examples');

export async function exampleNames(): Promise<string[]> {
  const entries = await fs.readdir(examplesDir(), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** The example's topology, validated; an unknown name lists the ones there are. */
export async function readExample(name: string, registry: Registry): Promise<Result<Topology>> {
  const names = await exampleNames();
  if (!names.includes(name)) return { diagnostics: [error('unknown-example', ['example'], `"${name}" is not an example project; use one of: ${names.join(', ') || '(none installed)'}`)] };
  const text = await fs.readFile(path.join(examplesDir(), name, 'overlab.yaml'), 'utf8');
  const parsed = parseProject(text, registry);
  return parsed.value ? { value: parsed.value.topology, diagnostics: parsed.diagnostics } : { diagnostics: parsed.diagnostics };
}

export async function listExamples(registry: Registry): Promise<ExampleInfo[]> {
  const out: ExampleInfo[] = [];
  for (const name of await exampleNames()) {
    const t = (await readExample(name, registry)).value;
    if (t) out.push({ name, title: t.name, shape: t.shape, hosts: t.hosts.length, links: t.links.length, kinds: [...new Set(t.links.map((l) => l.kind))] });
  }
  return out;
}
