import { spawn } from 'node:child_process';
import { hasErrors } from '../../shared/diagnostics.js';
import { labExecArgv, loadLab, requireRoot } from '../../engine/lab/lab.js';
import { planProject } from '../../engine/services/bundles.js';
import { call, Exit, printDiagnostics, projectFile, type CliCommand } from '../common.js';

/** `overlab lab up|down|exec`: the embedded lab (root). */
export const labCommand: CliCommand = {
  name: 'lab',
  register: (program, ctx) => {
    const lab = program.command('lab').description('the embedded lab: one network namespace + sshd per lab host (needs root)');
    lab
      .command('up')
      .description('create (or complete) the lab of a project; idempotent')
      .argument('<dir>', 'project folder')
      .option('--json', 'print what was created as JSON')
      .action(async (dir: string, o: { json?: boolean }) => {
        const engine = ctx.engine({
          onProgress: (e) => {
            if (!o.json && e.host) ctx.io.err(`lab: ${e.host}${e.step === 'remove' ? ' (removed: no longer in the project)' : ''}\n`);
          },
        });
        const r = await call(ctx.io, engine['lab.up']({ dir }), projectFile(dir));
        if (o.json) ctx.io.out(`${JSON.stringify({ id: r.id, hosts: r.hosts, created: r.created, removed: r.removed })}\n`);
        else ctx.io.out(`lab ${r.id} up: ${r.hosts.length} hosts (${r.created.length} things created${r.removed.length ? `, ${r.removed.length} removed` : ''}) in ${(r.durationMs / 1000).toFixed(1)} s; management ${r.management}, host keys pinned in ${r.knownHosts}\n`);
      });
    lab
      .command('down')
      .description('remove everything the lab of a project made, also after a crash')
      .argument('<dir>', 'project folder')
      .option('--json', 'print what was removed as JSON')
      .action(async (dir: string, o: { json?: boolean }) => {
        const r = await call(ctx.io, ctx.engine()['lab.down']({ dir }));
        if (o.json) ctx.io.out(`${JSON.stringify(r)}\n`);
        else ctx.io.out(r.removed.length ? `lab down: removed ${r.removed.length} things\n` : 'lab down: nothing to remove\n');
      });
    // Not an engine operation: an interactive process on this terminal, inside a lab host.
    lab
      .command('exec')
      .description('run a command inside a lab host (its network and mount namespaces), without SSH')
      .argument('<dir>', 'project folder')
      .argument('<host>', 'lab host name')
      .argument('<command...>', 'command and arguments (put -- before them)')
      .action(async (dir: string, host: string, command: string[]) => {
        await requireRoot();
        const p = await planProject(dir, ctx.registry);
        if (!p.topology || !p.plan || hasErrors(p.diagnostics)) {
          printDiagnostics(ctx.io, p.diagnostics, projectFile(dir));
          throw new Exit(1);
        }
        const L = await loadLab(dir, p.topology, p.plan);
        if (!L) throw new Error(`the lab of ${dir} is not up; run \`overlab lab up ${dir}\``);
        const argv = labExecArgv(L, host, command);
        const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
        const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
        if (code !== 0) throw new Exit(code);
      });
  },
};
