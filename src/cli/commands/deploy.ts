import { InvalidArgumentError } from 'commander';
import { hostFailed, type DeployRun } from '../../shared/deploy.js';
import { FINGERPRINT_RE, normalizeFingerprint, type HostKeyConsent } from '../../shared/hostkeys.js';
import { HOST_NAME_RE } from '../../shared/names.js';
import { call, Exit, hostListArg, intArg, printDiagnostics, progressPrinter, projectFile, type CliContext, type CliCommand } from '../common.js';

const HOW = 'give each host with the fingerprint you checked on it: --accept-host-key HOST=SHA256:… (a refused deploy prints the line to copy, after checking the key on the host)';

/**
 * `--accept-host-key hub=SHA256:…,spoke-1=SHA256:…` (the option may be repeated). A host name
 * alone, or `all`, is refused: it would let in whatever key answers next, not the one checked.
 */
export function hostKeyConsentArg(v: string, previous: readonly HostKeyConsent[] = []): HostKeyConsent[] {
  const out = [...previous];
  for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      throw new InvalidArgumentError(`"${part}": ${part === 'all' ? 'accepting every host key' : 'a host name alone'} would let in whatever key the host presents, not the one you checked; ${HOW}`);
    }
    const host = part.slice(0, eq);
    const fingerprint = normalizeFingerprint(part.slice(eq + 1));
    if (!HOST_NAME_RE.test(host)) throw new InvalidArgumentError(`"${part}": "${host}" is not a host name; ${HOW}`);
    if (!FINGERPRINT_RE.test(fingerprint)) throw new InvalidArgumentError(`"${part}": "${part.slice(eq + 1)}" is not a SHA256 fingerprint (SHA256: and 43 base64 characters, as ssh-keygen -lf prints it); ${HOW}`);
    out.push({ host, fingerprint });
  }
  return out;
}

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
      .option('--accept-host-key <host=fp>', 'accept and pin the unknown SSH host key of HOST whose fingerprint is FP (SHA256:…, as the refusal printed it and ssh-keygen -lf shows it on the host); comma-separated or repeated; a key with another fingerprint is refused', hostKeyConsentArg)
      .option('--concurrency <n>', 'hosts in parallel (default 32)', intArg('--concurrency'))
      .option('--json', 'print the run as JSON')
      .action(async (dir: string, o: { hosts?: string[]; dryRun?: boolean; keepGoing?: boolean; acceptHostKey?: HostKeyConsent[]; concurrency?: number; json?: boolean }) => {
        const engine = ctx.engine({ onProgress: progressPrinter(ctx.io, o.json) });
        const run = await call(
          ctx.io,
          engine['deploy.apply']({
            dir,
            ...(o.hosts ? { hosts: o.hosts } : {}),
            dryRun: !!o.dryRun,
            keepGoing: !!o.keepGoing,
            ...(o.acceptHostKey ? { acceptHostKeys: o.acceptHostKey } : {}),
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
