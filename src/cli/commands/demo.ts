import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PROJECT_FILE } from '../../shared/document.js';
import { hostFailed } from '../../shared/deploy.js';
import type { Topology } from '../../shared/schema.js';
import { newRunId } from '../../engine/runs.js';
import type { ProgressEvent } from '../../shared/api.js';
import type { Handlers } from '../../engine/engine.js';
import { call, Exit, intArg, projectFile, type CliCommand, type Io } from '../common.js';
import { printSummary } from './measure.js';

/**
 * The kinds on the demo's three spokes, each with what it needs: kernel WireGuard where the
 * kernel has it (wireguard-go otherwise), VXLAN (every stock kernel), OpenVPN (TUN only).
 */
const SPOKES: readonly { kind: string; options: Record<string, unknown>; fallback?: { kind: string; options: Record<string, unknown> } }[] = [
  { kind: 'wireguard', options: {}, fallback: { kind: 'wireguard', options: { implementation: 'go' } } },
  { kind: 'vxlan', options: {} },
  { kind: 'openvpn', options: {} },
];

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The demo's console: each step's heading and time, the engine's progress beneath it (the measurement's as one line per test). */
class DemoConsole {
  step = '';
  private t0 = Date.now();
  constructor(private readonly io: Io) {}
  begin(name: string): void {
    this.step = name;
    this.t0 = Date.now();
    this.io.err(`\n==> ${name}\n`);
  }
  done(what: string): void {
    this.io.err(`    ${what} (${seconds(Date.now() - this.t0)})\n`);
  }
  progress(e: ProgressEvent | Omit<ProgressEvent, 'runId'>): void {
    if (e.status === 'running' && (this.step === 'measure' || !e.message)) return;
    if (this.step === 'measure') {
      const eta = e.endsAt ? `, ends ~${new Date(e.endsAt).toTimeString().slice(0, 8)}` : '';
      this.io.err(`    ${e.status === 'failed' ? 'FAIL' : 'ok  '} ${e.step.padEnd(18)} ${e.message ?? ''} [${Math.round((e.fraction ?? 0) * 100)}%${eta}]\n`);
    } else if (e.host) this.io.err(`    ${e.host.padEnd(10)} ${e.step} ${e.status}${e.message ? `: ${e.message}` : ''}\n`);
  }
}

/** The project in DIR, or a new 4-host hub-spoke whose spokes are the demo's kinds (each one this machine can carry). */
async function demoProject(engine: Handlers, io: Io, c: DemoConsole, dir: string): Promise<void> {
  c.begin('project');
  if (await fs.stat(projectFile(dir)).then(() => true, () => false)) {
    c.done(`using the project in ${projectFile(dir)}`);
    return;
  }
  const kinds = await engine['kinds.list']({ probe: true });
  const here = (kind: string): boolean => kinds.find((k) => k.id === kind)?.here !== 'no';
  const made = await call(io, engine['project.create']({ dir, template: 'hub-spoke', hosts: 4, kind: 'vxlan', name: 'Overlab demo: a hub and 3 spokes over WireGuard, VXLAN and OpenVPN' }));
  const t: Topology = made.topology!;
  const links = t.links.map((l, i) => {
    const s = SPOKES[i % SPOKES.length]!;
    const use = !here(s.kind) && s.fallback ? s.fallback : s;
    return { ...l, kind: use.kind, options: use.options };
  });
  await call(io, engine['project.save']({ dir, topology: { ...t, links } }), projectFile(dir));
  c.done(`created ${path.join(dir, PROJECT_FILE)}: ${links.map((l) => `${l.a}–${l.b} ${l.kind}${l.options.implementation ? ` (${String(l.options.implementation)})` : ''}`).join(', ')}`);
}

/** What the demo made so far (what its end removes again). */
interface Made {
  labUp: boolean;
  deployed: boolean;
}

/** The embedded lab up. */
async function demoLabUp(engine: Handlers, io: Io, c: DemoConsole, dir: string, made: Made): Promise<void> {
  c.begin('lab up');
  const lab = await call(io, engine['lab.up']({ dir }), projectFile(dir));
  made.labUp = true;
  c.done(`${lab.hosts.length} hosts, management ${lab.management}`);
}

/** The tunnels deployed; a failed deploy (rolled back) prints each host's failure and throws. */
async function demoDeploy(engine: Handlers, io: Io, c: DemoConsole, dir: string, made: Made): Promise<void> {
  c.begin('deploy');
  const d = await call(io, engine['deploy.apply']({ dir }), projectFile(dir));
  made.deployed = true;
  if (!d.ok) {
    for (const h of d.hosts.filter(hostFailed)) io.err(`    ${h.host}: ${h.status === 'unknown' ? 'state unknown' : 'failed'} at ${h.failedStep}: ${h.error ?? ''}\n`);
    for (const x of d.diagnostics) io.err(`    ${x.path}: ${x.message}\n`);
    throw new Error(`deploy failed (above); the hosts were rolled back${d.hosts.some((h) => h.status === 'unknown') ? ', except those whose state is unknown' : ''}`);
  }
  c.done(`${d.hosts.length} hosts up and verified`);
}

/** The quick suite measured and its summary printed; a failed or cancelled run ends the demo. Returns the run's id. */
async function demoMeasure(engine: Handlers, io: Io, c: DemoConsole, dir: string, runId: string, duration: number): Promise<string> {
  c.begin('measure');
  const m = await call(io, engine['measure.run']({ dir, runId, suite: 'quick', duration }), projectFile(dir));
  c.done(`${m.status}: ${m.tests} tests in ${m.dir}`);
  for (const p of m.problems) io.err(`    problem: ${p}\n`);
  if (m.status === 'failed' || m.status === 'cancelled') throw new Exit(1);
  printSummary(io, await engine['runs.get']({ dir, runId: m.runId }));
  return m.runId;
}

/** The run's PDF report in DIR/reports/. */
async function demoReport(engine: Handlers, io: Io, c: DemoConsole, dir: string, runId: string): Promise<void> {
  c.begin('report');
  const file = path.join(dir, 'reports', `demo-${runId}.pdf`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const r = await call(io, engine['report.pdf']({ dir, runId, file }), projectFile(dir));
  c.done(`PDF written`);
  io.out(`report: ${r.file}\n`);
}

/** What the demo made, removed again (teardown, lab down), unless --keep. */
async function demoCleanUp(engine: Handlers, io: Io, c: DemoConsole, dir: string, made: Made, keep: boolean): Promise<void> {
  if (keep) {
    if (made.labUp) io.err(`\nthe lab stays up (--keep): look at it with  overlab serve ${dir}  and remove it with  overlab lab down ${dir}\n`);
    return;
  }
  if (made.deployed || made.labUp) c.begin('teardown, lab down');
  if (made.deployed) {
    const down = await engine['deploy.teardown']({ dir }).catch((e: unknown) => ({ ok: false, error: e instanceof Error ? e.message : String(e) }));
    if (!down.ok) io.err(`    teardown did not finish cleanly; lab down removes the hosts anyway\n`);
  }
  if (made.labUp) {
    const r = await engine['lab.down']({ dir }).catch((e: unknown) => {
      io.err(`    lab down failed: ${e instanceof Error ? e.message : String(e)}; run: overlab lab down ${dir}\n`);
      return undefined;
    });
    if (r) c.done(`removed ${r.removed.length} things`);
  }
}

/** `overlab demo [DIR]`: the main job headless on the embedded lab, from a new project to its PDF report. */
export const demoCommand: CliCommand = {
  name: 'demo',
  register: (program, ctx) =>
    program
      .command('demo')
      .description('the whole job on the embedded lab (root): a 4-host hub-spoke with WireGuard, VXLAN and OpenVPN, lab up, deploy, quick measurement, PDF report, teardown, lab down')
      .argument('[dir]', 'project folder (created when it holds no project; an existing project there is used as it is)', 'overlab-demo')
      .option('--duration <s>', 'seconds per test of the quick suite', intArg('--duration'), 2)
      .option('--keep', 'leave the lab up and the tunnels deployed at the end (to look around in the UI: overlab serve DIR)')
      .action(async (dirArg: string, o: { duration: number; keep?: boolean }) => {
        const io: Io = ctx.io;
        const dir = path.resolve(dirArg);
        const started = Date.now();
        const c = new DemoConsole(io);
        const runId = newRunId();
        const engine = ctx.engine({ onProgress: (e) => c.progress(e) });
        let cancelled = false;
        const stop = (): void => {
          cancelled = true;
          io.err(`overlab demo: stopping at "${c.step}" (what was made is removed again)…\n`);
          void engine['run.cancel']({ runId });
        };
        process.once('SIGINT', stop);
        const made: Made = { labUp: false, deployed: false };
        try {
          await demoProject(engine, io, c, dir);
          await demoLabUp(engine, io, c, dir, made);
          if (cancelled) throw new Exit(130);
          await demoDeploy(engine, io, c, dir, made);
          if (cancelled) throw new Exit(130);
          const measured = await demoMeasure(engine, io, c, dir, runId, o.duration);
          await demoReport(engine, io, c, dir, measured);
        } finally {
          process.off('SIGINT', stop);
          await demoCleanUp(engine, io, c, dir, made, o.keep === true);
          io.err(`\noverlab demo: ${seconds(Date.now() - started)} in all\n`);
        }
      }),
};
