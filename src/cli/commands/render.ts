import path from 'node:path';
import { call, printDiagnostics, projectFile, type CliCommand } from '../common.js';

/** `overlab render DIR --out OUT`: OUT/<host>/{up.sh,down.sh,files/...}. */
export const renderCommand: CliCommand = {
  name: 'render',
  register: (program, ctx) =>
    program
      .command('render')
      .description('write per-host bundles: OUT/<host>/{up.sh,down.sh,files/...}')
      .argument('<dir>', 'project folder')
      .requiredOption('--out <outdir>', 'output folder (each host subfolder is replaced)')
      .action(async (dir: string, o: { out: string }) => {
        const r = await call(ctx.io, ctx.engine()['render.bundles']({ dir, out: o.out }), projectFile(dir));
        printDiagnostics(ctx.io, r.diagnostics, projectFile(dir));
        ctx.io.out(`rendered ${r.hosts.length} hosts (${r.files} files) into ${o.out}${r.secretsCreated ? `; generated ${r.secretsCreated} secrets in ${path.join(dir, '.overlab', 'secrets')}` : ''}\n`);
      }),
};
