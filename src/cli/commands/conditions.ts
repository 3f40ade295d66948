import { InvalidArgumentError } from 'commander';
import type { ConditionsApplyResult, ConditionsState } from '../../shared/api.js';
import { describe, DISTRIBUTIONS, merge, PRESETS, PRESET_IDS, type Condition, type Distribution, type LinkConditions, type Uplink } from '../../shared/conditions.js';
import { formatDiagnostic, hasErrors } from '../../shared/diagnostics.js';
import type { Topology } from '../../shared/schema.js';
import { CAPABILITY_SCRIPT, parseCapability } from '../../engine/conditions/host.js';
import { run } from '../../engine/exec.js';
import { loadLab } from '../../engine/lab/lab.js';
import { call, Exit, progressPrinter, projectFile, type CliCommand, type CliContext } from '../common.js';

const numArg =
  (name: string) =>
  (v: string): number => {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) throw new InvalidArgumentError(`${name} must be a number, 0 or more, not "${v}"`);
    return Number(v);
  };

interface Opts {
  delay?: number;
  jitter?: number;
  distribution?: string;
  loss?: number;
  lossCorrelation?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
  rate?: number;
  limit?: number;
  from?: string;
  up?: boolean;
  down?: boolean;
  preset?: string;
  clear?: boolean;
  apply?: boolean;
  clearAll?: boolean;
  presets?: boolean;
  json?: boolean;
}

/** The condition fields given on the command line (absent ones stay as they are in the file). */
function fieldsOf(o: Opts): Condition {
  if (o.distribution !== undefined && !(DISTRIBUTIONS as readonly string[]).includes(o.distribution)) usage(`--distribution must be one of ${DISTRIBUTIONS.join(', ')}, not "${o.distribution}"`);
  return merge({
    delay: o.delay,
    jitter: o.jitter,
    distribution: o.distribution as Distribution | undefined,
    loss: o.loss,
    lossCorrelation: o.lossCorrelation,
    duplicate: o.duplicate,
    reorder: o.reorder,
    corrupt: o.corrupt,
    rate: o.rate,
    limit: o.limit,
  });
}

/** A command line that does not say a possible edit (exit 2, its reason on stderr). */
export class UsageError extends Error {}
const usage = (msg: string): never => {
  throw new UsageError(msg);
};

/** The project with the edit made on a link (by id, or `a--b`) or a host (by name), as the inspector makes it. */
export function edit(t: Topology, target: string, o: Opts): { topology: Topology; what: string } {
  const fields = fieldsOf(o);
  const hasFields = Object.keys(fields).length > 0;
  if (!hasFields && !o.preset && !o.clear) usage('say what to set: --delay, --jitter, --loss, --rate, … or --preset NAME, or --clear');
  if (o.clear && (hasFields || o.preset)) usage('--clear removes the conditions: give it alone (with --from, --up or --down to clear one direction)');
  if (o.preset !== undefined && !PRESET_IDS.includes(o.preset)) usage(`--preset must be one of ${PRESET_IDS.join(', ')} (overlab conditions --presets shows their figures)`);
  const [x, y] = target.split('--');
  const link = t.links.find((l) => l.id === target) ?? (y !== undefined ? t.links.find((l) => (l.a === x && l.b === y) || (l.a === y && l.b === x)) : undefined);
  const host = t.hosts.find((h) => h.name === target);
  if (link) {
    if (o.up || o.down) usage('--up and --down are for a host\'s uplink; on a link, pick the direction with --from HOST');
    if (o.from !== undefined && o.from !== link.a && o.from !== link.b) usage(`--from must be one end of ${link.a}--${link.b}, not "${o.from}"`);
    const part = o.from === undefined ? 'both' : o.from === link.a ? 'aToB' : 'bToA';
    const now: LinkConditions = link.conditions ?? {};
    let next: LinkConditions | undefined;
    if (o.clear) {
      const rest: Record<string, unknown> = { ...now };
      if (o.from === undefined) next = undefined;
      else {
        delete rest[part];
        next = Object.keys(rest).length ? (rest as LinkConditions) : undefined;
      }
    } else next = { ...now, ...(o.preset ? { preset: o.preset } : {}), ...(hasFields ? { [part]: merge(now[part], fields) } : {}) };
    const { conditions: _old, ...bare } = link;
    const who = part === 'both' ? `${link.a}--${link.b}` : part === 'aToB' ? `${link.a} → ${link.b}` : `${link.b} → ${link.a}`;
    return { topology: { ...t, links: t.links.map((l) => (l.id === link.id ? { ...bare, ...(next ? { conditions: next } : {}) } : l)) }, what: who };
  }
  if (host) {
    if (o.from !== undefined) usage('--from picks a link\'s direction; for a host\'s uplink use --up or --down');
    if (o.up && o.down) usage('give --up or --down, or neither for both');
    const part = o.up ? 'up' : o.down ? 'down' : 'both';
    const now: Uplink = host.uplink ?? {};
    let next: Uplink | undefined;
    if (o.clear) {
      const rest: Record<string, unknown> = { ...now };
      if (part === 'both') next = undefined;
      else {
        delete rest[part];
        next = Object.keys(rest).length ? (rest as Uplink) : undefined;
      }
    } else next = { ...now, ...(o.preset ? { preset: o.preset } : {}), ...(hasFields ? { [part]: merge(now[part], fields) } : {}) };
    const { uplink: _old, ...bare } = host;
    return { topology: { ...t, hosts: t.hosts.map((h) => (h.id === host.id ? { ...bare, ...(next ? { uplink: next } : {}) } : h)) }, what: `${host.name}'s uplink${part === 'both' ? '' : ` ${part}`}` };
  }
  return usage(`"${target}" is neither a link (by id or a--b) nor a host of this project; links: ${t.links.map((l) => `${l.a}--${l.b}`).join(', ')}; hosts: ${t.hosts.map((h) => h.name).join(', ')}`);
}

/** What this machine's kernel can apply (the lab's hosts share it): the same probe as on hosts, run here. */
async function localCapability(): Promise<string> {
  try {
    const r = await run(['sh', '-s'], { input: CAPABILITY_SCRIPT, timeoutMs: 20_000 });
    const c = parseCapability(r.stdout);
    return `this machine (the lab's kernel): htb (rates) ${c.htb}, netem (delay, jitter, loss, duplicate, reorder, corrupt) ${c.netem}${c.reason ? ` (${c.reason})` : ''}`;
  } catch (e) {
    return `this machine: could not probe (${e instanceof Error ? e.message : String(e)})`;
  }
}

function printState(ctx: CliContext, t: Topology, s: ConditionsState, here: string): void {
  const out = (l: string): void => ctx.io.out(`${l}\n`);
  const shown = (c: Condition | undefined): string => (c === undefined ? '(not read)' : describe(c));
  out(`${'LINK / UPLINK'.padEnd(30)} ${'SET'.padEnd(36)} IN FORCE (read back)`);
  for (const l of s.links) {
    const link = t.links.find((x) => x.id === l.linkId)!;
    out(`${`${link.a} → ${link.b}`.padEnd(30)} ${describe(l.aToB.asked).padEnd(36)} ${shown(l.aToB.inForce)}`);
    out(`${`${link.b} → ${link.a}`.padEnd(30)} ${describe(l.bToA.asked).padEnd(36)} ${shown(l.bToA.inForce)}`);
  }
  for (const u of s.uplinks) {
    const h = t.hosts.find((x) => x.id === u.hostId)!;
    out(`${`${h.name} uplink up`.padEnd(30)} ${describe(u.up.asked).padEnd(36)} ${shown(u.up.inForce)}`);
    out(`${`${h.name} uplink down`.padEnd(30)} ${describe(u.down.asked).padEnd(36)} ${shown(u.down.inForce)}`);
  }
  out('(a direction set is the whole path: the sender\'s uplink up, the link\'s own, the receiver\'s uplink down, composed)');
  out(here);
  for (const c of s.capability) out(`${c.host}: htb ${c.htb}, netem ${c.netem}`);
  for (const u of s.unread) out(`${u.host}: not read: ${u.reason}`);
}

function printApply(ctx: CliContext, r: ConditionsApplyResult, verb: string): void {
  for (const h of r.hosts) ctx.io.out(`${h.host.padEnd(15)} ${h.status}${h.error ? `: ${h.error}` : ''}\n`);
  ctx.io.out(`conditions ${verb} ${r.ok ? 'done' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(1)} s\n`);
}

/**
 * `overlab conditions DIR [LINK|HOST …]`: link conditions listed (set and in force), edited in
 * overlab.yaml as the inspector edits them, and applied at once to an embedded lab that is up
 * (tc only: the tunnels are not redeployed).
 */
export const conditionsCommand: CliCommand = {
  name: 'conditions',
  register: (program, ctx) =>
    program
      .command('conditions')
      .description('list, set and apply link conditions (delay, jitter, loss, rate…) on links and host uplinks, applied with tc on the underlay')
      .argument('[dir]', 'project folder')
      .argument('[target]', 'a link (its id, or a--b) or a host (its name, for its uplink)')
      .option('--delay <ms>', 'one-way delay, ms', numArg('--delay'))
      .option('--jitter <ms>', 'delay variation, ms', numArg('--jitter'))
      .option('--distribution <d>', `jitter distribution: ${DISTRIBUTIONS.join(', ')}`)
      .option('--loss <pct>', 'random loss, %', numArg('--loss'))
      .option('--loss-correlation <pct>', 'how much each loss depends on the last, %', numArg('--loss-correlation'))
      .option('--duplicate <pct>', 'duplicated packets, %', numArg('--duplicate'))
      .option('--reorder <pct>', 'reordered packets, % (needs a delay)', numArg('--reorder'))
      .option('--corrupt <pct>', 'corrupted packets, %', numArg('--corrupt'))
      .option('--rate <mbit>', 'rate limit, Mbit/s', numArg('--rate'))
      .option('--limit <n>', 'queue limit, packets (default: from the bandwidth-delay product)', numArg('--limit'))
      .option('--from <host>', 'on a link: only the direction from HOST (default: both)')
      .option('--up', "on a host: only its uplink's up (what it sends)")
      .option('--down', "on a host: only its uplink's down (what it receives)")
      .option('--preset <name>', `a preset: ${PRESET_IDS.join(', ')}`)
      .option('--clear', 'remove the conditions of the link or host (or of one direction)')
      .option('--apply', "apply the project's conditions to its hosts now (tc only)")
      .option('--clear-all', 'remove every condition Overlab applied, from every host and the lab WAN side')
      .option('--presets', 'print the presets and their figures')
      .option('--json', 'print as JSON')
      .action(async (dir: string | undefined, target: string | undefined, o: Opts) => {
        try {
          await action(ctx, dir, target, o);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          ctx.io.err(`overlab conditions: ${e.message}\n`);
          throw new Exit(2);
        }
      }),
};

async function action(ctx: CliContext, dir: string | undefined, target: string | undefined, o: Opts): Promise<void> {
  const out = (l: string): void => ctx.io.out(`${l}\n`);
  if (o.presets) {
    if (o.json) out(JSON.stringify(PRESETS, null, 2));
    else
      for (const p of PRESETS) {
        out(`${p.id.padEnd(20)} ${p.label}: ${p.description}`);
        if (p.link) out(`${''.padEnd(20)} link, each way: ${describe(p.link)}`);
        if (p.uplink) out(`${''.padEnd(20)} uplink: up ${describe(p.uplink.up)}, down ${describe(p.uplink.down)}`);
      }
    return;
  }
  if (!dir) usage('name the project folder: overlab conditions DIR');
  const project = dir!;
  const engine = ctx.engine({ onProgress: progressPrinter(ctx.io, o.json) });
  const opened = await call(ctx.io, engine['project.open']({ dir: project }), projectFile(project));
  if (!opened.topology) {
    for (const d of opened.diagnostics) ctx.io.err(`${formatDiagnostic(d, projectFile(project))}\n`);
    throw new Exit(1);
  }
  if (o.apply || o.clearAll) {
    if (target) usage('--apply and --clear-all act on the whole project: give no LINK or HOST');
    const r = await call(ctx.io, engine['conditions.apply']({ dir: project, clear: !!o.clearAll }), projectFile(project));
    if (o.json) out(JSON.stringify(r, null, 2));
    else printApply(ctx, r, o.clearAll ? 'clear' : 'apply');
    if (!r.ok) throw new Exit(1);
    return;
  }
  if (!target) {
    const [s, here] = await Promise.all([call(ctx.io, engine['conditions.read']({ dir: project }), projectFile(project)), localCapability()]);
    if (o.json) out(JSON.stringify({ ...s, here }, null, 2));
    else printState(ctx, opened.topology, s, here);
    return;
  }
  const { topology, what } = edit(opened.topology, target, o);
  const saved = await call(ctx.io, engine['project.save']({ dir: project, topology, ...(opened.revision ? { expectedRevision: opened.revision } : {}) }), projectFile(project));
  for (const d of saved.diagnostics) ctx.io.err(`${formatDiagnostic(d, projectFile(project))}\n`);
  if (!saved.topology || hasErrors(saved.diagnostics)) {
    ctx.io.err(`overlab: ${projectFile(project)} was not changed\n`);
    throw new Exit(1);
  }
  if (!o.json) out(`${what}: saved in ${projectFile(project)}`);
  // An embedded lab that is up takes the change at once (tc only); real hosts on --apply.
  const plan = (await engine['plan.compute']({ dir: project })).plan;
  const labUp = saved.topology.hosts.every((h) => h.target.type === 'lab') && plan ? await loadLab(project, saved.topology, plan) : undefined;
  if (!labUp || labUp.hosts.length < saved.topology.hosts.length) {
    if (!o.json) out('not applied: the lab is not up (or the project has real hosts); `overlab conditions DIR --apply` applies it to deployed hosts');
    else out(JSON.stringify({ saved: true, applied: false }, null, 2));
    return;
  }
  const r = await call(ctx.io, engine['conditions.apply']({ dir: project }), projectFile(project));
  if (o.json) out(JSON.stringify({ saved: true, applied: r }, null, 2));
  else printApply(ctx, r, 'apply');
  if (!r.ok) throw new Exit(1);
}
