/**
 * `overlab`: the engine, headless. Every command exits 0 on success, or non-zero with a
 * one-line reason on stderr (validation prints every problem, one per line, path first).
 * Exit codes: 0 ok, 1 the work failed or the input is invalid, 2 usage error, 70 a bug.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../shared/diagnostics.js';
import { PROJECT_FILE } from '../shared/document.js';
import { SHAPES, type Shape } from '../shared/schema.js';
import { makeTemplate, TEMPLATE_MAX_HOSTS } from '../shared/templates.js';
import { defaultRegistry } from '../shared/tunnels/index.js';
import type { Registry } from '../shared/tunnels/types.js';
import { spawn } from 'node:child_process';
import { checkRequirements } from '../engine/capability.js';
// deploy.js (node-ssh, ssh2) is loaded by the commands that connect, not by every command.
import type { DeployRun } from '../engine/deploy/deploy.js';
import type { ProgressEvent } from '../shared/api.js';
import { chooseLabLayout, knownHostsPath, labDown, labExecArgv, labUp, loadLab, requireRoot } from '../engine/lab/lab.js';
import { plan } from '../shared/plan.js';
import { planProject, renderProject, writeBundles } from '../engine/services/bundles.js';
import { createProject, openProject } from '../engine/store/project.js';
import { passwordSource } from './password.js';
import { registerServe } from './serve-command.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** A failure already explained to the user; carries the exit code. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const intArg = (name: string) => (v: string): number => {
  if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number, not "${v}"`);
  return Number(v);
};

function printDiagnostics(io: Io, diagnostics: readonly Diagnostic[], file?: string): void {
  for (const d of diagnostics) io.err(`${formatDiagnostic(d, file)}\n`);
}

export function buildProgram(io: Io, registry: Registry = defaultRegistry): Command {
  const program = new Command('overlab')
    .description('Design, deploy and measure overlay networks and VPNs.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('new')
    .description('create a project from a template')
    .argument('<dir>', 'project folder (created if missing)')
    .addOption(new Option('--template <shape>', 'topology shape').choices([...SHAPES]).default('site-to-site'))
    .option('--hosts <n>', `number of hosts (2–${TEMPLATE_MAX_HOSTS}; site-to-site is always 2)`, intArg('--hosts'))
    .option('--kind <kind>', 'tunnel kind for every link (see `overlab kinds`)', 'clean')
    .option('--name <text>', 'project name shown in the UI and reports')
    .option('--mtu <bytes>', 'underlay MTU (576–9216; e.g. 1500 or 9000)', intArg('--mtu'))
    .option('--force', `overwrite an existing ${PROJECT_FILE}`)
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, o: { template: Shape; hosts?: number; kind: string; name?: string; mtu?: number; force?: boolean; json?: boolean }) => {
      const hosts = o.hosts ?? (o.template === 'site-to-site' ? 2 : 4);
      const t = makeTemplate({ template: o.template, hosts, kind: o.kind, ...(o.name ? { name: o.name } : {}), ...(o.mtu !== undefined ? { underlayMtu: o.mtu } : {}) }, registry);
      if (!t.value) {
        printDiagnostics(io, t.diagnostics.map((d) => ({ ...d, path: `--${d.path}` })));
        throw new Exit(1);
      }
      const snap = await createProject(dir, t.value, registry, { force: o.force ?? false });
      if (!snap.topology) {
        printDiagnostics(io, snap.diagnostics);
        throw new Exit(1);
      }
      if (o.json) io.out(`${JSON.stringify({ dir, file: path.join(dir, PROJECT_FILE), hosts: snap.topology.hosts.length, links: snap.topology.links.length })}\n`);
      else io.out(`created ${path.join(dir, PROJECT_FILE)}: ${o.template}, ${snap.topology.hosts.length} hosts, ${snap.topology.links.length} links of ${o.kind}\n`);
    });

  program
    .command('validate')
    .description('check a project file and print every problem, one per line, path first')
    .argument('<dir>', 'project folder')
    .option('--json', 'print { ok, diagnostics } as JSON on stdout')
    .action(async (dir: string, o: { json?: boolean }) => {
      const snap = await openProject(dir, registry);
      const ok = !!snap.topology && !hasErrors(snap.diagnostics);
      if (o.json) {
        io.out(`${JSON.stringify({ ok, fromVersion: snap.fromVersion, diagnostics: snap.diagnostics.map(({ segments: _s, ...d }) => d) }, null, 2)}\n`);
      } else {
        printDiagnostics(io, snap.diagnostics, path.join(dir, PROJECT_FILE));
        if (ok) {
          const t = snap.topology!;
          const migrated = snap.fromVersion !== undefined && snap.fromVersion < t.schemaVersion ? ` (schema version ${snap.fromVersion}, migrated in memory; saving writes version ${t.schemaVersion})` : '';
          io.out(`ok: ${t.name}: ${t.shape}, ${t.hosts.length} hosts, ${t.links.length} links${migrated}\n`);
        }
      }
      if (!ok) throw new Exit(1);
    });

  program
    .command('kinds')
    .description('list the tunnel catalogue, and whether this machine can carry each kind')
    .option('--json', 'print as JSON')
    .option('--no-probe', 'skip the kernel probe (it needs root)')
    .action(async (o: { json?: boolean; probe: boolean }) => {
      const rows = [];
      for (const k of registry.kinds) {
        const defaults = k.options.parse({});
        const req = k.requirements(defaults);
        const cap = o.probe ? await checkRequirements(req) : undefined;
        rows.push({
          id: k.id,
          label: k.label,
          layer: k.layer,
          encrypted: k.encrypted,
          model: k.model,
          shapes: k.shapes,
          transport: k.transport(defaults),
          overheadBytes: { ipv4: { mtu1500: k.overhead(defaults, 4, 1500), mtu9000: k.overhead(defaults, 4, 9000) }, ipv6: { mtu1500: k.overhead(defaults, 6, 1500) } },
          requirements: { modules: req.modules, packages: req.packages, binaries: req.binaries },
          ...(cap ? { here: cap.verdict, missing: cap.missing } : {}),
        });
      }
      if (o.json) {
        io.out(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      io.out(`${'KIND'.padEnd(15)} LAYER  ENC  OVERHEAD  HERE     TRANSPORT / NEEDS\n`);
      for (const r of rows) {
        const here = r.here ?? '-';
        io.out(`${r.id.padEnd(15)} ${r.layer.padEnd(6)} ${r.encrypted ? 'yes' : 'no '}  ${String(r.overheadBytes.ipv4.mtu1500).padStart(4)} B    ${here.padEnd(8)} ${r.transport}; ${r.requirements.packages.join(' ')}\n`);
        for (const m of r.missing ?? []) io.out(`${''.padEnd(15)}   missing: ${m}\n`);
      }
    });

  program
    .command('plan')
    .description('print the plan: addresses, interfaces, MTU/MSS and peers per link (secrets are never printed)')
    .argument('<dir>', 'project folder')
    .option('--json', 'print the whole plan as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const p = await planProject(dir, registry);
      printDiagnostics(io, p.diagnostics, path.join(dir, PROJECT_FILE));
      if (!p.plan || hasErrors(p.diagnostics)) throw new Exit(1);
      if (o.json) {
        io.out(`${JSON.stringify(p.plan, null, 2)}\n`);
        return;
      }
      io.out(`${'LINK'.padEnd(24)} ${'KIND'.padEnd(14)} ${'A'.padEnd(20)} ${'B'.padEnd(20)} MTU   MSS   OVERHEAD\n`);
      for (const l of p.plan.links) {
        io.out(`${l.id.padEnd(24)} ${l.kind.padEnd(14)} ${l.addresses.a.padEnd(20)} ${l.addresses.b.padEnd(20)} ${String(l.mtu).padEnd(5)} ${String(l.mss).padEnd(5)} ${l.overheadBytes}${l.mtuSource === 'override' ? ' (MTU set by the project)' : ''}\n`);
      }
    });

  program
    .command('render')
    .description('write per-host bundles: OUT/<host>/{up.sh,down.sh,files/...}')
    .argument('<dir>', 'project folder')
    .requiredOption('--out <outdir>', 'output folder (each host subfolder is replaced)')
    .action(async (dir: string, o: { out: string }) => {
      const r = await renderProject(dir, registry);
      printDiagnostics(io, r.diagnostics, path.join(dir, PROJECT_FILE));
      if (!r.bundles || hasErrors(r.diagnostics)) throw new Exit(1);
      const problems = await writeBundles(o.out, r.bundles);
      printDiagnostics(io, problems);
      if (hasErrors(problems)) throw new Exit(1);
      const files = r.bundles.reduce((n, b) => n + b.files.length, 0);
      io.out(`rendered ${r.bundles.length} hosts (${files} files) into ${o.out}${r.secrets && r.secrets.created.length ? `; generated ${r.secrets.created.length} secrets in ${path.join(dir, '.overlab', 'secrets')}` : ''}\n`);
    });

  const progress = (o: { json?: boolean }) => (e: ProgressEvent): void => {
    if (o.json) return;
    const mark = e.status === 'done' ? 'ok  ' : e.status === 'failed' ? 'FAIL' : e.status === 'running' ? '... ' : e.status;
    if (e.status === 'running' && e.step !== 'apply') return;
    io.err(`${mark} ${(e.host ?? '').padEnd(15)} ${e.step}${e.message ? `: ${e.message}` : ''}\n`);
  };
  const printRun = (run: DeployRun, o: { json?: boolean }, verb: string): void => {
    if (o.json) {
      io.out(`${JSON.stringify(run, null, 2)}\n`);
      return;
    }
    printDiagnostics(io, run.diagnostics);
    for (const r of run.hosts) {
      io.out(`${r.host.padEnd(15)} ${r.status}${r.failedStep ? ` at ${r.failedStep}: ${r.error ?? ''}` : ''}\n`);
      for (const ch of r.changes ?? []) io.out(`    ${ch}\n`);
    }
    io.out(`${verb} ${run.ok ? 'ok' : 'FAILED'}: ${run.hosts.length} hosts in ${(run.durationMs / 1000).toFixed(1)} s\n`);
  };
  const hostList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

  program
    .command('deploy')
    .description('push the bundles over SSH and bring the tunnels up: preflight everywhere, then apply, verify, roll back on failure')
    .argument('<dir>', 'project folder')
    .option('--hosts <a,b>', 'only these hosts', hostList)
    .option('--dry-run', 'show what would change on each host, change nothing')
    .option('--keep-going', 'do not roll back the other hosts when one fails')
    .option('--accept-host-key <hosts>', 'accept and pin the unknown SSH host keys of these hosts (comma-separated, or "all")', hostList)
    .option('--concurrency <n>', 'hosts in parallel (default 32)', intArg('--concurrency'))
    .option('--json', 'print the run as JSON')
    .action(async (dir: string, o: { hosts?: string[]; dryRun?: boolean; keepGoing?: boolean; acceptHostKey?: string[]; concurrency?: number; json?: boolean }) => {
      const { deploy } = await import('../engine/deploy/deploy.js');
      const run = await deploy(dir, registry, {
        ...(o.hosts ? { hosts: o.hosts } : {}),
        dryRun: !!o.dryRun,
        keepGoing: !!o.keepGoing,
        ...(o.acceptHostKey ? { acceptHostKeys: o.acceptHostKey.includes('all') ? 'all' : o.acceptHostKey } : {}),
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        onProgress: progress(o),
        password: passwordSource(process.env, process.stdin, (s) => process.stderr.write(s)),
      });
      printRun(run, o, o.dryRun ? 'dry run' : 'deploy');
      if (!run.ok) throw new Exit(1);
    });

  program
    .command('teardown')
    .description('run down.sh on every host and remove the deployed bundles')
    .argument('<dir>', 'project folder')
    .option('--hosts <a,b>', 'only these hosts', hostList)
    .option('--json', 'print the run as JSON')
    .action(async (dir: string, o: { hosts?: string[]; json?: boolean }) => {
      const { teardown } = await import('../engine/deploy/deploy.js');
      const run = await teardown(dir, registry, {
        ...(o.hosts ? { hosts: o.hosts } : {}),
        onProgress: progress(o),
        password: passwordSource(process.env, process.stdin, (s) => process.stderr.write(s)),
      });
      printRun(run, o, 'teardown');
      if (!run.ok) throw new Exit(1);
    });

  const lab = program.command('lab').description('the embedded lab: one network namespace + sshd per lab host (needs root)');
  const layoutOf = async (dir: string) => {
    const snap = await openProject(dir, registry);
    if (!snap.topology) {
      printDiagnostics(io, snap.diagnostics, path.join(dir, PROJECT_FILE));
      throw new Exit(1);
    }
    const p = plan(snap.topology, registry);
    if (!p.value) {
      printDiagnostics(io, p.diagnostics, path.join(dir, PROJECT_FILE));
      throw new Exit(1);
    }
    return { topology: snap.topology, plan: p.value };
  };
  lab
    .command('up')
    .description('create (or complete) the lab of a project; idempotent')
    .argument('<dir>', 'project folder')
    .option('--json', 'print what was created as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const { topology, plan: pl } = await layoutOf(dir);
      const L = await chooseLabLayout(dir, topology, pl);
      const started = Date.now();
      const r = await labUp(dir, L, (e) => {
        if (!o.json && e.host) io.err(`lab: ${e.host}\n`);
      });
      if (o.json) io.out(`${JSON.stringify({ id: L.id, hosts: L.hosts, created: r.created })}\n`);
      else io.out(`lab ${L.id} up: ${L.hosts.length} hosts (${r.created.length} things created) in ${((Date.now() - started) / 1000).toFixed(1)} s; management ${L.mgmtGateway}/${L.mgmtLength}, host keys pinned in ${knownHostsPath(dir)}\n`);
    });
  lab
    .command('down')
    .description('remove everything the lab of a project made, also after a crash')
    .argument('<dir>', 'project folder')
    .option('--json', 'print what was removed as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const r = await labDown(dir);
      if (o.json) io.out(`${JSON.stringify(r)}\n`);
      else io.out(r.removed.length ? `lab down: removed ${r.removed.length} things\n` : 'lab down: nothing to remove\n');
    });
  lab
    .command('exec')
    .description('run a command inside a lab host (its network and mount namespaces), without SSH')
    .argument('<dir>', 'project folder')
    .argument('<host>', 'lab host name')
    .argument('<command...>', 'command and arguments (put -- before them)')
    .action(async (dir: string, host: string, command: string[]) => {
      await requireRoot();
      const { topology, plan: pl } = await layoutOf(dir);
      const L = await loadLab(dir, topology, pl);
      if (!L) throw new Error(`the lab of ${dir} is not up; run \`overlab lab up ${dir}\``);
      const argv = labExecArgv(L, host, command);
      const child = spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' });
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
      if (code !== 0) throw new Exit(code);
    });

  registerServe(program, io, registry);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function runCli(argv: readonly string[], io: Io = processIo, registry?: Registry): Promise<number> {
  const program = buildProgram(io, registry);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) {
      // Help and version are successes; commander already printed its own message otherwise.
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    // Operational failures (a command that failed, no root, no space) are the user's to fix; bugs are ours.
    const bug = !(e instanceof Error) || e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e.message.startsWith('bug:');
    io.err(`overlab: ${bug ? 'internal error: ' : ''}${e instanceof Error ? e.message : String(e)}\n`);
    return bug ? 70 : 1;
  }
}
