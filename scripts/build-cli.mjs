// Bundles the CLI (src/cli) for plain Node: out/cli/overlab.mjs plus chunks that commands load
// when they need them (deploy's SSH stack, certificate issuing), so that `overlab validate` does
// not pay for node-ssh at start-up. npm dependencies stay external.
import { build } from 'esbuild';

await build({
  entryPoints: { overlab: 'src/cli/index.ts' },
  outdir: 'out/cli',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
