import { hasErrors } from '../../shared/diagnostics.js';
import { Exit, printDiagnostics, projectFile, type CliCommand } from '../common.js';

/** `overlab plan DIR`: addresses, interfaces, MTU/MSS per link; secrets never printed. */
export const planCommand: CliCommand = {
  name: 'plan',
  register: (program, ctx) =>
    program
      .command('plan')
      .description('print the plan: addresses, interfaces, MTU/MSS and peers per link (secrets are never printed)')
      .argument('<dir>', 'project folder')
      .option('--json', 'print the whole plan as JSON')
      .action(async (dir: string, o: { json?: boolean }) => {
        const p = await ctx.engine()['plan.compute']({ dir });
        printDiagnostics(ctx.io, p.diagnostics, projectFile(dir));
        if (!p.plan || hasErrors(p.diagnostics)) throw new Exit(1);
        if (o.json) {
          ctx.io.out(`${JSON.stringify(p.plan, null, 2)}\n`);
          return;
        }
        ctx.io.out(`${'LINK'.padEnd(24)} ${'KIND'.padEnd(14)} ${'A'.padEnd(20)} ${'B'.padEnd(20)} MTU   MSS   OVERHEAD\n`);
        for (const l of p.plan.links) {
          ctx.io.out(`${l.label.padEnd(24)} ${l.kind.padEnd(14)} ${l.addresses.a.padEnd(20)} ${l.addresses.b.padEnd(20)} ${String(l.mtu).padEnd(5)} ${String(l.mss).padEnd(5)} ${l.overheadBytes}${l.mtuSource === 'override' ? ' (MTU set by the project)' : ''}\n`);
        }
      }),
};
