import { hasErrors } from '../../shared/diagnostics.js';
import { Exit, printDiagnostics, projectFile, type CliCommand } from '../common.js';

/** `overlab validate DIR`: every problem, one per line, path first. */
export const validateCommand: CliCommand = {
  name: 'validate',
  register: (program, ctx) =>
    program
      .command('validate')
      .description('check a project file and print every problem, one per line, path first')
      .argument('<dir>', 'project folder')
      .option('--json', 'print { ok, diagnostics } as JSON on stdout')
      .action(async (dir: string, o: { json?: boolean }) => {
        const snap = await ctx.engine()['project.open']({ dir });
        const ok = !!snap.topology && !hasErrors(snap.diagnostics);
        if (o.json) {
          ctx.io.out(`${JSON.stringify({ ok, fromVersion: snap.fromVersion, diagnostics: snap.diagnostics.map(({ segments: _s, ...d }) => d) }, null, 2)}\n`);
        } else {
          printDiagnostics(ctx.io, snap.diagnostics, projectFile(dir));
          if (ok) {
            const t = snap.topology!;
            const migrated = snap.fromVersion !== undefined && snap.fromVersion < t.schemaVersion ? ` (schema version ${snap.fromVersion}, migrated in memory; saving writes version ${t.schemaVersion})` : '';
            ctx.io.out(`ok: ${t.name}: ${t.shape}, ${t.hosts.length} hosts, ${t.links.length} links${migrated}\n`);
          }
        }
        if (!ok) throw new Exit(1);
      }),
};
