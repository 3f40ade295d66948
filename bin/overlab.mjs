#!/usr/bin/env node
// Thin launcher: the CLI is bundled into out/cli by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/cli/overlab.mjs', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('overlab: the CLI is not built yet; run `npm run build` in the Overlab checkout\n');
  process.exit(1);
}
await import(cli);
