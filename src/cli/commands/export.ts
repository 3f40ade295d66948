import path from 'node:path';
import { call, printDiagnostics, projectFile, type CliCommand } from '../common.js';

/** `overlab export ansible DIR --out OUTDIR [--force] [--vault-password-file FILE]`: the project as an Ansible inventory and playbooks. */
export const exportCommand: CliCommand = {
  name: 'export',
  register: (program, ctx) => {
    const exp = program.command('export').description('hand the project to other tools');
    exp
      .command('ansible')
      .description('write an Ansible inventory, deploy.yml, teardown.yml and a vault file with the secrets (lab hosts: through the running lab)')
      .argument('<dir>', 'project folder')
      .requiredOption('--out <outdir>', 'output folder (new or empty; written at once)')
      .option('--force', 'replace a non-empty output folder that an earlier export made (never another folder)')
      .option('--vault-password-file <file>', 'encrypt the vault with ansible-vault, with the password in this file (never on a command line)')
      .option('--json', 'print what was written as JSON')
      .action(async (dir: string, o: { out: string; force?: boolean; vaultPasswordFile?: string; json?: boolean }) => {
        const r = await call(
          ctx.io,
          ctx.engine()['export.ansible']({ dir, out: o.out, ...(o.force ? { force: true } : {}), ...(o.vaultPasswordFile !== undefined ? { vaultPasswordFile: o.vaultPasswordFile } : {}) }),
          projectFile(dir),
        );
        if (o.json) {
          ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
          return;
        }
        printDiagnostics(ctx.io, r.diagnostics, projectFile(dir));
        // Absolute: the commands below run from the export folder.
        const passwordFile = o.vaultPasswordFile === undefined ? '' : path.resolve(o.vaultPasswordFile);
        const vaultArg = r.encrypted ? ` --vault-password-file ${passwordFile}` : r.secrets ? ' --ask-vault-pass' : '';
        const pw = r.passwordHosts;
        ctx.io.out(
          [
            `exported ${r.hosts.length} hosts to ${r.out} (${r.files} files): inventory.yml, deploy.yml, teardown.yml, ansible.cfg`,
            ...(r.encrypted
              ? [`${r.secrets} secret value(s) are in ${r.vault}, encrypted with ansible-vault (the password in ${passwordFile}); run from ${r.out}:`]
              : r.secrets
                ? [
                    `${r.secrets} secret value(s) are in ${r.vault}, NOT ENCRYPTED (mode 0600; --vault-password-file FILE encrypts it); encrypt it before sharing or committing the folder:`,
                    `  ansible-vault encrypt ${r.vault}`,
                    `then run from ${r.out}:`,
                  ]
                : [`run from ${r.out}:`]),
            `  ansible-playbook deploy.yml${vaultArg}      # bring the tunnels up (run again: changes nothing)`,
            `  ansible-playbook teardown.yml${vaultArg}    # take them down`,
            ...(pw.length ? [`${pw.join(', ')} ${pw.length === 1 ? 'logs' : 'log'} in with a password: add -k (needs sshpass) and -K (for sudo)`] : []),
            '',
          ].join('\n'),
        );
      });
  },
};
