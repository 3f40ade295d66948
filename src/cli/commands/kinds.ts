import { conditionsLine } from '../../engine/capability.js';
import type { KindInfo } from '../../shared/api.js';
import { SHAPES } from '../../shared/schema.js';
import { FAMILY_KEYS, refusal, type Support } from '../../shared/tunnels/types.js';
import type { CliCommand } from '../common.js';

/** Column heads of the capability table, in SHAPES and FAMILY_KEYS order. */
const SHAPE_HEADS: Record<(typeof SHAPES)[number], string> = { 'site-to-site': 'S2S', 'multi-site': 'MULTI', 'hub-spoke': 'HUB', mesh: 'MESH' };
const FAMILY_HEADS: Record<(typeof FAMILY_KEYS)[number], string> = { ipv4: 'IPv4', ipv6: 'IPv6' };

const mark = (s: Support): string => (refusal(s) ? 'no' : 'yes');

/**
 * The capability table: per kind, which shapes it builds and over which underlay families, with
 * the reason under every `no` (and, with `how`, how it builds every cell).
 */
export function capabilityTable(rows: readonly KindInfo[], how = false): string {
  const cols = [...SHAPES.map((s) => SHAPE_HEADS[s]), ...FAMILY_KEYS.map((f) => FAMILY_HEADS[f])];
  let out = `${`${'KIND'.padEnd(15)} ${cols.map((c) => c.padEnd(5)).join(' ')}`.trimEnd()}\n`;
  for (const r of rows) {
    const cells = [...SHAPES.map((s) => r.capabilities.shapes[s]), ...FAMILY_KEYS.map((f) => r.capabilities.underlay[f])];
    out += `${`${r.id.padEnd(15)} ${cells.map((c) => mark(c).padEnd(5)).join(' ')}`.trimEnd()}\n`;
    const named: [string, Support][] = [...SHAPES.map((s): [string, Support] => [s, r.capabilities.shapes[s]]), ...FAMILY_KEYS.map((f): [string, Support] => [`${FAMILY_HEADS[f]} underlay`, r.capabilities.underlay[f]])];
    for (const [name, cell] of named) {
      const no = refusal(cell);
      if (no) out += `${''.padEnd(15)}   no ${name}: ${no}\n`;
      else if (how && 'how' in cell) out += `${''.padEnd(15)}   ${name}: ${cell.how}\n`;
    }
  }
  return out;
}

/** `overlab kinds`: the tunnel catalogue, whether this machine can carry each kind, and which link conditions it can apply. */
export const kindsCommand: CliCommand = {
  name: 'kinds',
  register: (program, ctx) =>
    program
      .command('kinds')
      .description('list the tunnel catalogue, whether this machine can carry each kind, and the shapes and underlay families each builds')
      .option('--json', 'print as JSON')
      .option('--how', 'say how each kind builds every shape and runs over each underlay family')
      .option('--no-probe', 'skip the kernel probe (it needs root)')
      .action(async (o: { json?: boolean; how?: boolean; probe: boolean }) => {
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
        ctx.io.out(`\nShapes (site-to-site, multi-site, hub-spoke, mesh) and underlay families${o.how ? '' : ' (how: overlab kinds --how)'}:\n`);
        ctx.io.out(capabilityTable(rows, o.how));
        const c = rows[0]?.conditionsHere;
        if (c) ctx.io.out(`\n${conditionsLine(c)}\n`);
      }),
};
