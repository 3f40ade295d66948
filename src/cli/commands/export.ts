import { call, printDiagnostics, projectFile, type CliCommand } from '../common.js';

/** `overlab export ansible DIR --out OUTDIR`: the project as an Ansible inventory and playbooks. */
export const exportCommand: CliCommand = {
  name: 'export',
  register: (program, ctx) => {
    const exp = program.command('export').description('hand the project to other tools');
    exp
      .command('ansible')
      .description('write an Ansible inventory, deploy.yml, teardown.yml and a vault file with the secrets (lab hosts: through the running lab)')
      .argument('<dir>', 'project folder')
      .requiredOption('--out <outdir>', 'output folder (new or empty; written at once)')
      .option('--force', 'replace a non-empty output folder')
      .option('--json', 'print what was written as JSON')
      .action(async (dir: string, o: { out: string; force?: boolean; json?: boolean }) => {
        const r = await call(ctx.io, ctx.engine()['export.ansible']({ dir, out: o.out, ...(o.force ? { force: true } : {}) }), projectFile(dir));
        if (o.json) {
          ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
          return;
        }
        printDiagnostics(ctx.io, r.diagnostics, projectFile(dir));
        const vaultPass = r.secrets ? ' --ask-vault-pass' : '';
        const pw = r.passwordHosts;
        ctx.io.out(
          [
            `exported ${r.hosts.length} hosts to ${r.out} (${r.files} files): inventory.yml, deploy.yml, teardown.yml, ansible.cfg`,
            ...(r.secrets
              ? [`${r.secrets} secret value(s) are in ${r.vault} (mode 0600); encrypt it before sharing or committing the folder:`, `  ansible-vault encrypt ${r.vault}`, `then run from ${r.out}:`]
              : [`run from ${r.out}:`]),
            `  ansible-playbook deploy.yml${vaultPass}      # bring the tunnels up (run again: changes nothing)`,
            `  ansible-playbook teardown.yml${vaultPass}    # take them down`,
            ...(pw.length ? [`${pw.join(', ')} ${pw.length === 1 ? 'logs' : 'log'} in with a password: add -k (needs sshpass) and -K (for sudo)`] : []),
            '',
          ].join('\n'),
        );
      });
  },
};
