// Runs a TypeScript entry (bench/, scripts/) under plain Node: bundles it with esbuild
// (npm packages stay external) into a temporary file and imports it.
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.mjs FILE.ts [ARGS...]\n');
  process.exit(2);
}
// Inside the checkout, so that the bundle resolves the project's node_modules.
mkdirSync(path.resolve('node_modules/.cache'), { recursive: true });
const dir = mkdtempSync(path.resolve('node_modules/.cache/overlab-run-'));
const out = path.join(dir, 'entry.mjs');
try {
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning', absWorkingDir: process.cwd() });
  process.argv = [process.argv[0], entry, ...args];
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
