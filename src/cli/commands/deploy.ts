import { hostFailed, type DeployRun } from '../../shared/deploy.js';
import { call, Exit, hostListArg, intArg, printDiagnostics, progressPrinter, projectFile, type CliContext, type CliCommand } from '../common.js';

/** The run, one line per host (`--json`: the whole run). */
export function printRun(ctx: CliContext, run: DeployRun, json: boolean | undefined, verb: string): void {
  if (json) {
    ctx.io.out(`${JSON.stringify(run, null, 2)}\n`);
    return;
  }
  printDiagnostics(ctx.io, run.diagnostics);
  for (const r of run.hosts) {
    ctx.io.out(`${r.host.padEnd(15)} ${r.status}${r.rolledBack ? ' (rolled back)' : ''}${r.failedStep ? ` at ${r.failedStep}: ${r.error ?? ''}` : ''}\n`);
    for (const ch of r.changes ?? []) ctx.io.out(`    ${ch}\n`);
  }
  // A host left in an unknown state is the one line a reader must not miss.
  const unknown = run.hosts.filter((r) => r.status === 'unknown').map((r) => r.host);
  const failed = run.hosts.filter(hostFailed).length;
  ctx.io.out(`${verb} ${run.ok ? 'ok' : 'FAILED'}: ${run.hosts.length} hosts in ${(run.durationMs / 1000).toFixed(1)} s${failed ? `, ${failed} failed` : ''}${unknown.length ? `; state UNKNOWN on ${unknown.join(', ')}: check ${unknown.length === 1 ? 'it' : 'them'}, then deploy or tear down again` : ''}\n`);
}

/** `overlab deploy DIR`: preflight everywhere, then upload, apply, verify; roll back on failure. */
export const deployCommand: CliCommand = {
  name: 'deploy',
  register: (program, ctx) =>
    program
      .command('deploy')
      .description('push the bundles over SSH and bring the tunnels up: preflight everywhere, then apply, verify, roll back on failure')
      .argument('<dir>', 'project folder')
      .option('--hosts <a,b>', 'only these hosts', hostListArg)
      .option('--dry-run', 'show what would change on each host, change nothing')
      .option('--keep-going', 'do not roll back the other hosts when one fails')
      .option('--accept-host-key <hosts>', 'accept and pin the unknown SSH host keys of these hosts (comma-separated, or "all")', hostListArg)
      .option('--concurrency <n>', 'hosts in parallel (default 32)', intArg('--concurrency'))
      .option('--json', 'print the run as JSON')
      .action(async (dir: string, o: { hosts?: string[]; dryRun?: boolean; keepGoing?: boolean; acceptHostKey?: string[]; concurrency?: number; json?: boolean }) => {
        const engine = ctx.engine({ onProgress: progressPrinter(ctx.io, o.json) });
        const run = await call(
          ctx.io,
          engine['deploy.apply']({
            dir,
            ...(o.hosts ? { hosts: o.hosts } : {}),
            dryRun: !!o.dryRun,
            keepGoing: !!o.keepGoing,
            ...(o.acceptHostKey ? { acceptHostKeys: o.acceptHostKey.includes('all') ? ('all' as const) : o.acceptHostKey } : {}),
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          }),
          projectFile(dir),
        );
        printRun(ctx, run, o.json, o.dryRun ? 'dry run' : 'deploy');
        if (!run.ok) throw new Exit(1);
      }),
};

/** `overlab teardown DIR`: down.sh everywhere, the deployed bundles removed. */
export const teardownCommand: CliCommand = {
  name: 'teardown',
  register: (program, ctx) =>
    program
      .command('teardown')
      .description('run down.sh on every host and remove the deployed bundles')
      .argument('<dir>', 'project folder')
      .option('--hosts <a,b>', 'only these hosts', hostListArg)
      .option('--json', 'print the run as JSON')
      .action(async (dir: string, o: { hosts?: string[]; json?: boolean }) => {
        const engine = ctx.engine({ onProgress: progressPrinter(ctx.io, o.json) });
        const run = await call(ctx.io, engine['deploy.teardown']({ dir, ...(o.hosts ? { hosts: o.hosts } : {}) }), projectFile(dir));
        printRun(ctx, run, o.json, 'teardown');
        if (!run.ok) throw new Exit(1);
      }),
};
