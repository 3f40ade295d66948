import path from 'node:path';
import { NO_CONDITIONS, type CampaignAnalysis, type CampaignFile } from '../../shared/measure/campaign.js';
import { describe as describeCondition, linkDirections, presetOf } from '../../shared/conditions.js';
import { newRunId } from '../../engine/runs.js';
import { call, Exit, intArg, projectFile, type CliCommand, type Io } from '../common.js';

const f = (x: number | undefined, digits = 3): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));
const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
const mtuList = (v: string): number[] => list(v).map((m) => intArg('--mtu')(m));

/** The paper's whole matrix: every kind of the catalogue at both MTUs it measured, with its suite (and no conditions: the paper's lab wire). */
const PAPER = { kinds: ['all'], mtus: [1500, 9000], suite: 'paper' };

/** "isp-wan (20 ms ± 1 ms normal, 0.1 % loss each way)", "none (the lab's wire as it is)". */
export function conditionsHeading(id: string): string {
  if (id === NO_CONDITIONS) return "none (the lab's wire as it is)";
  const d = linkDirections({ preset: id });
  const same = describeCondition(d.aToB) === describeCondition(d.bToA);
  return `${id} (${presetOf(id)?.label ?? id}: ${same ? `${describeCondition(d.aToB)} each way` : `a→b ${describeCondition(d.aToB)}, b→a ${describeCondition(d.bToA)}`})`;
}

export function printCampaign(io: Io, c: CampaignFile, a: CampaignAnalysis): void {
  const several = (c.conditions?.length ?? 0) > 0;
  for (const m of a.byMtu) {
    io.out(`\nunderlay MTU ${m.mtu}${several ? `, conditions ${conditionsHeading(m.conditions)}` : ''}: kinds by mean RTT (the paper's Figure 7)\n`);
    io.out(`${'#'.padEnd(3)} ${'KIND'.padEnd(34)} ${'RTT ms'.padEnd(9)} ${'±95%'.padEnd(8)} ${'σ'.padEnd(8)} ${'TCP Mbit/s'.padEnd(11)} UDP Mbit/s\n`);
    m.sorted.forEach((id, i) => {
      const k = a.cells.find((x) => x.cell === id)!;
      const tcp = Object.entries(k.throughput).find(([key]) => key.endsWith('-tcp:forward'))?.[1];
      const udp = Object.entries(k.throughput).find(([key]) => key.endsWith('-udp:forward'))?.[1];
      io.out(`${String(i + 1).padEnd(3)} ${k.label.padEnd(34)} ${f(k.rtt?.mean).padEnd(9)} ${f(k.rtt?.ci95?.halfWidth).padEnd(8)} ${f(k.rtt?.sd).padEnd(8)} ${f(tcp?.mean, 0).padEnd(11)} ${f(udp?.mean, 0)}\n`);
    });
    if (m.clusters.length) io.out(`clusters: ${m.clusters.map((k, i) => `#${i + 1} μ ${f(k.mean)} σ ${f(k.sd)} ms: ${k.cells.map((id) => a.cells.find((x) => x.cell === id)?.label ?? id).join(', ')}`).join(' | ')}\n`);
  }
  const skipped = c.cells.filter((x) => x.status === 'skipped' || x.status === 'failed');
  for (const s of skipped) io.out(`${s.status} ${s.label} @ ${s.mtu}${s.conditions ? ` under ${s.conditions}` : ''}: ${s.reason ?? ''}\n`);
}

/** `overlab campaign DIR --kinds …|all --mtu 1500,9000`: the paper's study, automated and resumable. */
export const campaignCommand: CliCommand = {
  name: 'campaign',
  register: (program, ctx) =>
    program
      .command('campaign')
      .description('for each kind × underlay MTU × conditions: re-plan, deploy, measure, tear down; compare the kinds (resumable)')
      .argument('<dir>', 'project folder (its hosts and links; every link takes each kind in turn)')
      .option('--kinds <k1,k2|all>', 'kinds to compare, each KIND or KIND:option=value (e.g. wireguard:implementation=go), or all', list)
      .option('--mtu <m1,m2>', 'underlay MTUs (e.g. 1500,9000; an MTU sweep: 576,1000,1280,1500)', mtuList)
      .option('--conditions <c1,c2>', 'link conditions presets, each on every link of a cell, or none (e.g. none,isp-wan,wifi; default none); kinds are compared under each', list)
      .option('--suite <name>', 'measurement suite for every cell (default quick)')
      .option('--repeat <n>', 'repetitions per cell', intArg('--repeat'))
      .option('--duration <s>', 'seconds per test', intArg('--duration'))
      .option('--preset <name>', "paper: the paper's whole matrix (every kind, MTU 1500 and 9000, the paper suite)")
      .option('--resume <id>', 'resume an interrupted campaign: its finished cells are skipped')
      .option('--json', 'print the campaign and its analysis as JSON')
      .action(async (dir: string, o: { kinds?: string[]; mtu?: number[]; conditions?: string[]; suite?: string; repeat?: number; duration?: number; preset?: string; resume?: string; json?: boolean }) => {
        if (o.preset && o.preset !== 'paper') {
          ctx.io.err(`overlab campaign: --preset: "${o.preset}" is not a preset; use paper\n`);
          throw new Exit(2);
        }
        if (o.resume && o.conditions) {
          ctx.io.err(`overlab campaign: --conditions: a resumed campaign keeps its own conditions (in its campaign.json); leave --conditions out\n`);
          throw new Exit(2);
        }
        const preset = o.preset ? PAPER : undefined;
        const runId = newRunId();
        const engine = ctx.engine({
          onProgress: (e) => {
            if (o.json || e.status === 'running') return;
            ctx.io.err(`${e.status === 'failed' ? 'FAIL' : e.status === 'skipped' ? 'skip' : 'ok  '} ${e.step.padEnd(18)} ${e.message ?? ''} [${Math.round((e.fraction ?? 0) * 100)}%]\n`);
          },
        });
        const stop = (): void => {
          ctx.io.err(`overlab campaign: stopping after the current test; resume with --resume ${o.resume ?? runId}\n`);
          void engine['run.cancel']({ runId });
        };
        process.once('SIGINT', stop);
        try {
          const r = await call(
            ctx.io,
            engine['campaign.run']({
              dir,
              runId,
              campaignId: o.resume ?? runId,
              ...(o.resume ? { resume: true } : { kinds: o.kinds ?? preset?.kinds ?? [], mtus: o.mtu ?? preset?.mtus ?? [1500], ...(o.conditions ? { conditions: o.conditions } : {}) }),
              ...(o.suite || preset ? { suite: o.suite ?? preset!.suite } : {}),
              ...(o.repeat ? { repeat: o.repeat } : {}),
              ...(o.duration ? { duration: o.duration } : {}),
            }),
            projectFile(dir),
          );
          if (o.json) ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
          else {
            printCampaign(ctx.io, r.campaign, r.analysis);
            const done = r.campaign.cells.filter((x) => x.status === 'done').length;
            const pending = r.campaign.cells.filter((x) => x.status === 'pending').length;
            ctx.io.out(`campaign ${r.id}: ${done} of ${r.campaign.cells.length} cells measured${pending ? `, ${pending} left (resume with --resume ${r.id})` : ''}; ${path.join(r.dir, 'campaign.json')}\n`);
          }
          if (r.campaign.cells.some((x) => x.status === 'pending')) throw new Exit(1);
        } finally {
          process.off('SIGINT', stop);
        }
      }),
};
