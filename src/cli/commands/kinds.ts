import { conditionsLine } from '../../engine/capability.js';
import type { CliCommand } from '../common.js';

/** `overlab kinds`: the tunnel catalogue, whether this machine can carry each kind, and which link conditions it can apply. */
export const kindsCommand: CliCommand = {
  name: 'kinds',
  register: (program, ctx) =>
    program
      .command('kinds')
      .description('list the tunnel catalogue, and whether this machine can carry each kind')
      .option('--json', 'print as JSON')
      .option('--no-probe', 'skip the kernel probe (it needs root)')
      .action(async (o: { json?: boolean; probe: boolean }) => {
        const rows = await ctx.engine()['kinds.list']({ probe: o.probe });
        if (o.json) {
          ctx.io.out(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        ctx.io.out(`${'KIND'.padEnd(15)} LAYER  ENC  NAT  OVERHEAD  HERE     TRANSPORT / NEEDS\n`);
        for (const r of rows) {
          const here = r.here ?? '-';
          ctx.io.out(`${r.id.padEnd(15)} ${r.layer.padEnd(6)} ${r.encrypted ? 'yes' : 'no '}  ${r.natTraversal ? 'yes' : 'no '}  ${String(r.overheadBytes.ipv4.mtu1500).padStart(4)} B    ${here.padEnd(8)} ${r.transport}; ${r.requirements.packages.join(' ')}\n`);
          for (const m of r.missing ?? []) ctx.io.out(`${''.padEnd(15)}   missing: ${m}\n`);
        }
        const c = rows[0]?.conditionsHere;
        if (c) ctx.io.out(`\n${conditionsLine(c)}\n`);
      }),
};
