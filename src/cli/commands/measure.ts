import path from 'node:path';
import type { RunResults } from '../../shared/measure/results.js';
import { headlineFigures, type ToolFigure } from '../../shared/view/table.js';
import { newRunId } from '../../engine/runs.js';
import type { HostKeyConsent } from '../../shared/hostkeys.js';
import { call, Exit, hostListArg, intArg, projectFile, type CliCommand, type Io } from '../common.js';
import { hostKeyConsentArg } from './deploy.js';

const f = (x: number | undefined, digits = 3): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));

/** One line per link: RTT (± its 95 % interval) and what the tunnel adds, then throughput and how much of the underlay's it keeps. */
export function printSummary(io: Io, r: RunResults): void {
  const s = r.summary;
  io.out(`${'LINK'.padEnd(22)} ${'KIND'.padEnd(14)} ${'RTT ms (±95%)'.padEnd(18)} ${'+RTT'.padEnd(8)} ${'LOSS'.padEnd(6)} ${'TCP → Mbit/s'.padEnd(16)} ${'TCP ← Mbit/s'.padEnd(16)} UDP Mbit/s (loss, jitter)\n`);
  for (const l of r.links) {
    const t = s.paths[`${l.id}.tunnel`];
    if (!t) continue;
    const rel = s.relative[l.id];
    const rtt = t.rtt ? `${f(t.rtt.ms.mean)} ±${f(t.rtt.ci95?.halfWidth)}` : '—';
    // `<test>:<direction>` → Mbit/s, and the share of the underlay's it keeps.
    const tp = (k: string): string => {
      const x = t.throughput[k];
      if (!x) return '—';
      const kept = rel?.throughputKeptPercent[k];
      return `${f(x.mbps.mean, 0)}${kept !== undefined ? ` (${f(kept, 0)}%)` : ''}`;
    };
    const tcpKey = Object.keys(t.throughput).find((k) => k.endsWith('-tcp:forward'));
    const tcpRev = Object.keys(t.throughput).find((k) => k.endsWith('-tcp:reverse'));
    const udpKey = Object.keys(t.throughput).find((k) => k.endsWith('-udp:forward'));
    const udp = udpKey ? t.throughput[udpKey] : undefined;
    io.out(
      `${l.label.padEnd(22)} ${l.kind.padEnd(14)} ${rtt.padEnd(18)} ${(rel?.rttAddedMs !== undefined ? `${rel.rttAddedMs >= 0 ? '+' : ''}${f(rel.rttAddedMs)}` : '—').padEnd(8)} ${(t.rtt ? `${f(t.rtt.lossPercent, 1)}%` : '—').padEnd(6)} ${(tcpKey ? tp(tcpKey) : '—').padEnd(16)} ${(tcpRev ? tp(tcpRev) : '—').padEnd(16)} ${udp ? `${f(udp.mbps.mean, 0)} (${f(udp.lossPercent, 2)}%, ${f(udp.jitterMs)} ms)` : '—'}\n`,
    );
  }
  for (const p of r.paths.filter((x) => x.type === 'lan')) {
    const t = s.paths[p.id];
    if (t?.rtt) io.out(`${p.label}: RTT ${f(t.rtt.ms.mean)} ms ±${f(t.rtt.ci95?.halfWidth)}, loss ${f(t.rtt.lossPercent, 1)}%\n`);
  }
  if (s.clusters.length > 1) {
    io.out(`clusters by mean RTT: ${s.clusters.map((c, i) => `#${i + 1} μ ${f(c.mean)} σ ${f(c.sd)} ms (${c.pathIds.map((id) => r.paths.find((p) => p.id === id)?.kind ?? id).join(', ')})`).join('; ')}\n`);
  }
  printToolFigures(io, r);
  if (r.sharedMachine) io.out('(embedded lab: every host shares this machine’s CPUs, so CPU figures are the machine’s; compare kinds with each other)\n');
}

/** A figure with as many digits as its size needs: `0.081`, `12.5`, `9120`. */
const g = (x: number): string => f(x, Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : Math.abs(x) >= 1 ? 2 : 3);
const toolFigure = (x: ToolFigure): string => `${g(x.value)}${x.ci95 ? ` ±${g((x.ci95[1] - x.ci95[0]) / 2)}` : ''} ${x.unit}`;

/**
 * The measurement tools' headline figures on each link's tunnel (loaded RTT per phase,
 * transactions/s, both ways summed, time to first packet …), labelled by the tools' own metric
 * descriptors; nothing when the run measured none.
 */
export function printToolFigures(io: Io, r: RunResults): void {
  const links = headlineFigures(r);
  if (!links.length) return;
  io.out('\ntool figures on each tunnel (mean, ±95 % across repetitions where the suite repeated):\n');
  const width = Math.max(...links.flatMap((l) => l.figures.map((x) => x.label.length)));
  for (const l of links) {
    io.out(`  ${l.link} (${l.kind})\n`);
    for (const x of l.figures) io.out(`    ${x.label.padEnd(width)}  ${toolFigure(x)}\n`);
  }
}

/** `overlab measure DIR`: the suite on every link, its underlay baseline and LAN to LAN; results in runs/<id>/. */
export const measureCommand: CliCommand = {
  name: 'measure',
  register: (program, ctx) =>
    program
      .command('measure')
      .description('measure the deployed project: RTT, throughput and CPU on every link, its underlay baseline and LAN to LAN; writes runs/<id>/')
      .argument('<dir>', 'project folder (deployed)')
      .option('--suite <name>', 'quick (default), paper, thorough, project, or one declared under measurement.suites', 'quick')
      .option('--duration <s>', 'seconds per test (throughput tests and the ping series)', intArg('--duration'))
      .option('--repeat <n>', 'repetitions (confidence intervals across them)', intArg('--repeat'))
      .option('--hosts <a,b>', 'only paths between these hosts', hostListArg)
      .option('--accept-host-key <host=fp>', 'accept and pin the unknown SSH host key of HOST whose fingerprint is FP (as for deploy)', hostKeyConsentArg)
      .option('--json', 'print { runId, dir, status, problems }, the summary and the tools\' headline figures per link (tools) as JSON')
      .action(async (dir: string, o: { suite: string; duration?: number; repeat?: number; hosts?: string[]; acceptHostKey?: HostKeyConsent[]; json?: boolean }) => {
        const runId = newRunId();
        const engine = ctx.engine({
          onProgress: (e) => {
            if (o.json || e.status === 'running') return;
            const eta = e.endsAt ? `, ends ~${new Date(e.endsAt).toTimeString().slice(0, 8)}` : '';
            ctx.io.err(`${e.status === 'failed' ? 'FAIL' : 'ok  '} ${e.step.padEnd(18)} ${e.message ?? ''} [${Math.round((e.fraction ?? 0) * 100)}%${eta}]\n`);
          },
        });
        // Ctrl-C stops the run cleanly: servers stopped, what was measured saved.
        const stop = (): void => {
          ctx.io.err('overlab measure: stopping (the tests run so far are kept)…\n');
          void engine['run.cancel']({ runId });
        };
        process.once('SIGINT', stop);
        try {
          const r = await call(ctx.io, engine['measure.run']({ dir, runId, suite: o.suite, ...(o.duration ? { duration: o.duration } : {}), ...(o.repeat ? { repeat: o.repeat } : {}), ...(o.hosts ? { hosts: o.hosts } : {}), ...(o.acceptHostKey ? { acceptHostKeys: o.acceptHostKey } : {}) }), projectFile(dir));
          const results = await engine['runs.get']({ dir, runId: r.runId });
          if (o.json) ctx.io.out(`${JSON.stringify({ ...r, summary: results.summary, tools: headlineFigures(results) }, null, 2)}\n`);
          else {
            printSummary(ctx.io, results);
            for (const p of r.problems) ctx.io.err(`problem: ${p}\n`);
            ctx.io.out(`measure ${r.status}: ${r.tests} tests; results in ${path.join(r.dir, 'results.json')}\n`);
          }
          if (r.status === 'failed' || r.status === 'cancelled') throw new Exit(1);
        } finally {
          process.off('SIGINT', stop);
        }
      }),
};
