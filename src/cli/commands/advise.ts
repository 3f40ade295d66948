import { InvalidArgumentError } from 'commander';
import { needsFromText, noiseText, showMeasured, type Advice, type Needs } from '../../shared/advise/index.js';
import { CPU_PER_GBPS } from '../../shared/measure/analyse.js';
import { newRunId } from '../../engine/runs.js';
import { call, intArg, projectFile, type CliCommand, type Io } from '../common.js';

const oneOf = (flag: string, choices: readonly string[]) => (v: string): string => {
  if (!choices.includes(v)) throw new InvalidArgumentError(`${flag} must be one of ${choices.join(', ')}, not "${v}"`);
  return v;
};
const percent = (v: string): number => {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v) || Number(v) > 100) throw new InvalidArgumentError(`--cpu-budget must be a percentage from 0 to 100 (busy share of the CPUs), not "${v}"`);
  return Number(v);
};

const needsLine = (n: Needs, pathMtu: number | undefined): string =>
  [
    n.encrypted ? 'encryption required' : 'encryption not required',
    n.layer === 'any' ? 'L2 or L3' : n.layer,
    n.nat ? 'crosses a NAT' : 'no NAT',
    n.minMtu !== undefined ? `inner MTU ≥ ${n.minMtu} on a ${pathMtu ?? '?'}-byte path` : 'any inner MTU',
    `priority ${n.priority}`,
    n.cpuBudget !== undefined ? `CPU ≤ ${n.cpuBudget} %` : 'any CPU',
  ].join(', ');

const cell = (a: Advice['ranking'][number], id: string): string => (a.figures[id] ? showMeasured(a.figures[id]) : '—');

/** The advice as a table with the reasons under each kind. */
export function printAdvice(io: Io, a: Advice): void {
  io.out(`needs: ${needsLine(a.needs, a.basis?.mtu)}\n`);
  io.out(`needs from: ${needsFromText(a.needsFrom)}\n`);
  if (a.basis) {
    io.out(`measured in: ${a.basis.source}${a.basis.sharedMachine ? ' (embedded lab: one machine)' : ''}\n`);
    io.out(`noise floor: RTT ${noiseText(a.basis.noise)}${a.basis.throughputNoise !== undefined ? `; TCP ${(100 * a.basis.throughputNoise).toFixed(0)} % (the underlay's own spread)` : ''}\n`);
  }
  if (a.ranking.length) {
    io.out(`\n${'RANK'.padEnd(5)} ${'KIND'.padEnd(30)} ${'RTT ms (mean ±95%)'.padEnd(34)} ${'TCP Mbit/s'.padEnd(18)} ${CPU_PER_GBPS.header.padEnd(17)} RUN\n`);
    for (const r of a.ranking) {
      const rank = `${r.rank}${r.tiedWith.length ? '=' : ''}`;
      const cpu = r.figures['cpuPerGbps'] ? r.figures['cpuPerGbps'].value.toFixed(1) : '—';
      io.out(`${rank.padEnd(5)} ${r.label.padEnd(30)} ${cell(r, 'rtt').replace(' ms', '').padEnd(34)} ${cell(r, 'tcp').replace(' Mbit/s', '').padEnd(18)} ${cpu.padEnd(17)} ${r.runId}\n`);
      io.out(`      why: ${r.reasons.filter((x) => !x.startsWith('run ')).join('; ')}\n`);
      if (r.tiedWith.length) io.out(`      TIE: the measurement cannot order ${r.label} and ${r.tiedWith.join(', ')}\n`);
    }
    if (a.ranking.some((r) => r.figures['cpuPerGbps'])) io.out(`\n${CPU_PER_GBPS.header}: ${CPU_PER_GBPS.explain}\n`);
  } else io.out('\nno candidate kind is ranked\n');
  if (a.excluded.length) {
    io.out('\nleft out:\n');
    // Kinds left out for the same reason share a line (a kernel without a dozen drivers is one fact).
    const same = new Map<string, string[]>();
    for (const e of a.excluded) same.set(`${e.why.padEnd(13)} ${e.reason}`, [...(same.get(`${e.why.padEnd(13)} ${e.reason}`) ?? []), e.label]);
    for (const [why, kinds] of same) io.out(kinds.length === 1 ? `  ${kinds[0]!.padEnd(30)} ${why}\n` : `  ${kinds.join(', ')}:\n  ${''.padEnd(30)} ${why}\n`);
  }
  for (const n of a.notes) io.out(`\nnote: ${n}\n`);
}

/** `overlab advise DIR`: which tunnel kind for these needs, from the project's measurements. */
export const adviseCommand: CliCommand = {
  name: 'advise',
  register: (program, ctx) =>
    program
      .command('advise')
      .description('rank the tunnel kinds for stated needs from the project\'s campaigns and runs, with the figures behind each rank, ties, and the kinds left out and why')
      .argument('<dir>', 'project folder')
      .option('--encrypted', 'only kinds that encrypt')
      .option('--layer <L2|L3>', 'the layer the tunnel must carry', oneOf('--layer', ['L2', 'L3', 'any']))
      .option('--nat', 'the tunnel must cross a NAT')
      .option('--min-mtu <bytes>', 'the smallest inner MTU the traffic needs', intArg('--min-mtu'))
      .option('--path-mtu <bytes>', "the underlay's path MTU (default: the project's underlay MTU)", intArg('--path-mtu'))
      .option('--priority <latency|bulk|balanced>', 'what to rank on first (default balanced)', oneOf('--priority', ['latency', 'bulk', 'balanced']))
      .option('--cpu-budget <pct>', 'leave out kinds busier than this % of the CPUs during bulk tests', percent)
      .option('--measure', 'when candidates were not measured, run the campaign that measures them (kinds, deploy and measure on the project\'s hosts) and advise from it')
      .option('--suite <name>', 'suite for --measure (default quick)')
      .option('--duration <s>', 'seconds per test for --measure', intArg('--duration'))
      .option('--json', 'print the advice as JSON')
      .action(async (dir: string, o: { encrypted?: boolean; layer?: 'L2' | 'L3' | 'any'; nat?: boolean; minMtu?: number; pathMtu?: number; priority?: Needs['priority']; cpuBudget?: number; measure?: boolean; suite?: string; duration?: number; json?: boolean }) => {
        const needs: Partial<Needs> = {
          ...(o.encrypted ? { encrypted: true } : {}),
          ...(o.layer ? { layer: o.layer } : {}),
          ...(o.nat ? { nat: true } : {}),
          ...(o.minMtu !== undefined ? { minMtu: o.minMtu } : {}),
          ...(o.pathMtu !== undefined ? { pathMtu: o.pathMtu } : {}),
          ...(o.priority ? { priority: o.priority } : {}),
          ...(o.cpuBudget !== undefined ? { cpuBudget: o.cpuBudget } : {}),
        };
        const engine = ctx.engine({
          onProgress: (e) => {
            if (o.json || e.status === 'running') return;
            ctx.io.err(`${e.status === 'failed' ? 'FAIL' : e.status === 'skipped' ? 'skip' : 'ok  '} ${e.step.padEnd(18)} ${e.message ?? ''} [${Math.round((e.fraction ?? 0) * 100)}%]\n`);
          },
        });
        let a = await call(ctx.io, engine['advise.get']({ dir, needs, probe: true }), projectFile(dir));
        if (o.measure && a.measure) {
          const id = newRunId();
          if (!o.json) ctx.io.err(`overlab advise: measuring ${a.measure.kinds.join(', ')} beside ${a.measure.campaignKinds.filter((k) => !a.measure!.kinds.includes(k)).join(', ') || 'nothing else'}: campaign ${id}\n`);
          await call(ctx.io, engine['campaign.run']({ dir, runId: id, campaignId: id, kinds: [...a.measure.campaignKinds], mtus: [a.measure.mtu], suite: o.suite ?? 'quick', ...(o.duration ? { duration: o.duration } : {}) }), projectFile(dir));
          a = await call(ctx.io, engine['advise.get']({ dir, needs, probe: true }), projectFile(dir));
        }
        if (o.json) ctx.io.out(`${JSON.stringify(a, null, 2)}\n`);
        else printAdvice(ctx.io, a);
      }),
};
