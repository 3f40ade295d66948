import { Option } from 'commander';
import path from 'node:path';
import { PROJECT_FILE } from '../../shared/document.js';
import { SHAPES, type Shape } from '../../shared/schema.js';
import { LAB_IPV6_UNDERLAY, TEMPLATE_MAX_HOSTS, underlayForFamily } from '../../shared/templates.js';
import { call, Exit, intArg, type CliCommand } from '../common.js';

/** `overlab new DIR --template … --hosts N --kind K`: a project from a template. */
export const newCommand: CliCommand = {
  name: 'new',
  register: (program, ctx) =>
    program
      .command('new')
      .description('create a project from a template, or copy one of the example projects (--example)')
      .argument('<dir>', 'project folder (created if missing)')
      .addOption(new Option('--template <shape>', 'topology shape').choices([...SHAPES]).default('site-to-site'))
      .option('--hosts <n>', `number of hosts (2–${TEMPLATE_MAX_HOSTS}; site-to-site is always 2)`, intArg('--hosts'))
      .option('--kind <kind>', 'tunnel kind for every link (see `overlab kinds`)', 'clean')
      .option('--name <text>', 'project name shown in the UI and reports')
      .option('--mtu <bytes>', 'underlay MTU (576–9216; e.g. 1500 or 9000)', intArg('--mtu'))
      .option('--underlay <subnet>', `underlay network the lab hosts are addressed from (default 198.18.0.0/20); an IPv6 prefix (e.g. ${LAB_IPV6_UNDERLAY}) gives an IPv6 underlay`)
      .addOption(new Option('--family <4|6>', `underlay address family: 6 takes the lab's own IPv6 range (${LAB_IPV6_UNDERLAY}) unless --underlay names one`).choices(['4', '6']))
      .option('--example <name>', 'copy an example project instead of a template (--list-examples shows them)')
      .option('--list-examples', 'list the example projects and exit')
      .option('--force', `overwrite an existing ${PROJECT_FILE}`)
      .option('--json', 'print the result as JSON')
      .action(async (dir: string, o: { template: Shape; hosts?: number; kind: string; name?: string; mtu?: number; underlay?: string; family?: '4' | '6'; example?: string; listExamples?: boolean; force?: boolean; json?: boolean }) => {
        const engine = ctx.engine();
        if (o.listExamples) {
          const list = await engine['project.examples']({});
          if (o.json) ctx.io.out(`${JSON.stringify(list, null, 2)}\n`);
          else for (const e of list) ctx.io.out(`${e.name.padEnd(24)} ${e.shape}, ${e.hosts} hosts, ${e.links} links of ${e.kinds.join(', ')}: ${e.title}\n`);
          return;
        }
        const hosts = o.hosts ?? (o.template === 'site-to-site' ? 2 : 4);
        const common = { dir, ...(o.name ? { name: o.name } : {}), ...(o.mtu !== undefined ? { underlayMtu: o.mtu } : {}), force: o.force ?? false };
        if (o.example && (o.underlay !== undefined || o.family !== undefined)) {
          ctx.io.err(`overlab: ${o.underlay !== undefined ? '--underlay' : '--family'} applies to templates only; an example project keeps its own underlay (edit underlay.subnet in its overlab.yaml)\n`);
          throw new Exit(1);
        }
        if (o.underlay !== undefined && o.family !== undefined && o.underlay.includes(':') !== (o.family === '6')) {
          ctx.io.err(`overlab: --family ${o.family} and --underlay ${o.underlay} name different address families; give --underlay alone, or an IPv${o.family} prefix\n`);
          throw new Exit(1);
        }
        const underlaySubnet = o.underlay ?? (o.family ? underlayForFamily(o.family === '6' ? 6 : 4) : undefined);
        // The template's problems are about the command's own options: `--hosts: error: …`.
        const snap = await call(
          ctx.io,
          engine['project.create'](o.example ? { ...common, example: o.example } : { ...common, template: o.template, hosts, kind: o.kind, ...(underlaySubnet !== undefined ? { underlaySubnet } : {}) }),
          undefined,
          (p) => (p === '' ? p : `--${p}`),
        );
        const t = snap.topology!;
        const kinds = [...new Set(t.links.map((l) => l.kind))].join(', ');
        if (o.json) ctx.io.out(`${JSON.stringify({ dir, file: path.join(dir, PROJECT_FILE), hosts: t.hosts.length, links: t.links.length })}\n`);
        else ctx.io.out(`created ${path.join(dir, PROJECT_FILE)}: ${t.shape}, ${t.hosts.length} hosts, ${t.links.length} links of ${kinds}${o.example ? ` (example ${o.example})` : ''}\n`);
      }),
};
