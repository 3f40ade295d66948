import { Option } from 'commander';
import path from 'node:path';
import { PROJECT_FILE } from '../../shared/document.js';
import { SHAPES, type Shape } from '../../shared/schema.js';
import { TEMPLATE_MAX_HOSTS } from '../../shared/templates.js';
import { call, intArg, type CliCommand } from '../common.js';

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
      .option('--example <name>', 'copy an example project instead of a template (--list-examples shows them)')
      .option('--list-examples', 'list the example projects and exit')
      .option('--force', `overwrite an existing ${PROJECT_FILE}`)
      .option('--json', 'print the result as JSON')
      .action(async (dir: string, o: { template: Shape; hosts?: number; kind: string; name?: string; mtu?: number; example?: string; listExamples?: boolean; force?: boolean; json?: boolean }) => {
        const engine = ctx.engine();
        if (o.listExamples) {
          const list = await engine['project.examples']({});
          if (o.json) ctx.io.out(`${JSON.stringify(list, null, 2)}\n`);
          else for (const e of list) ctx.io.out(`${e.name.padEnd(24)} ${e.shape}, ${e.hosts} hosts, ${e.links} links of ${e.kinds.join(', ')}: ${e.title}\n`);
          return;
        }
        const hosts = o.hosts ?? (o.template === 'site-to-site' ? 2 : 4);
        const common = { dir, ...(o.name ? { name: o.name } : {}), ...(o.mtu !== undefined ? { underlayMtu: o.mtu } : {}), force: o.force ?? false };
        // The template's problems are about the command's own options: `--hosts: error: …`.
        const snap = await call(
          ctx.io,
          engine['project.create'](o.example ? { ...common, example: o.example } : { ...common, template: o.template, hosts, kind: o.kind }),
          undefined,
          (p) => (p === '' ? p : `--${p}`),
        );
        const t = snap.topology!;
        const kinds = [...new Set(t.links.map((l) => l.kind))].join(', ');
        if (o.json) ctx.io.out(`${JSON.stringify({ dir, file: path.join(dir, PROJECT_FILE), hosts: t.hosts.length, links: t.links.length })}\n`);
        else ctx.io.out(`created ${path.join(dir, PROJECT_FILE)}: ${t.shape}, ${t.hosts.length} hosts, ${t.links.length} links of ${kinds}${o.example ? ` (example ${o.example})` : ''}\n`);
      }),
};
