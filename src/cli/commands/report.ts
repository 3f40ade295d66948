/**
 * `overlab report DIR [--run ID | --campaign ID] [--metric M] --pdf FILE | --format html|csv|json --out FILE`:
 * the report of a run (default: the newest) or of a campaign. PDF and HTML are printed from the
 * app's report route in Chromium; CSV is one row per link per metric; JSON the results file.
 */
import { InvalidArgumentError } from 'commander';
import path from 'node:path';
import { REPORT_FORMATS, REPORT_METRICS, type ReportFormat } from '../../shared/api.js';
import type { Metric } from '../../shared/view/metrics.js';
import { call, Exit, projectFile, type CliCommand } from '../common.js';

const oneOf =
  <T extends string>(name: string, values: readonly T[]) =>
  (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`${name} must be one of ${values.join(', ')}, not "${v}"`);
    return v as T;
  };

const STEPS: Readonly<Record<string, string>> = { load: 'reading the results', browser: 'starting Chromium', page: 'drawing the report page', print: 'printing', write: 'writing' };

export const reportCommand: CliCommand = {
  name: 'report',
  register: (program, ctx) =>
    program
      .command('report')
      .description('write the report of a run (default: the newest) or a campaign: a PDF, or HTML, CSV (one row per link per metric) or the results JSON')
      .argument('<dir>', 'project folder')
      .option('--run <id>', 'the measurement run (default: the newest)')
      .option('--campaign <id>', 'a campaign instead of one run')
      .option('--metric <metric>', `what the drawing's heatmap shows: ${REPORT_METRICS.join(', ')}`, oneOf('--metric', REPORT_METRICS), 'rtt-mean')
      .option('--pdf <file>', 'write a PDF here')
      .option('--format <format>', `${REPORT_FORMATS.join(', ')} (with --out)`, oneOf('--format', REPORT_FORMATS))
      .option('--out <file>', 'where to write --format')
      .option('--json', 'print what was written as JSON')
      .action(async (dir: string, o: { run?: string; campaign?: string; metric: Metric; pdf?: string; format?: ReportFormat; out?: string; json?: boolean }) => {
        const fail = (why: string): never => {
          ctx.io.err(`overlab report: ${why}\n`);
          throw new Exit(2);
        };
        if (o.run && o.campaign) fail('give --run or --campaign, not both');
        if (o.pdf && o.format && o.format !== 'pdf') fail('--pdf writes a PDF; for another format give --format and --out');
        const format: ReportFormat = o.pdf ? 'pdf' : (o.format ?? 'pdf');
        const file = o.pdf ?? o.out;
        if (!file) fail(o.format ? `--format ${o.format} needs --out FILE` : 'say where: --pdf FILE, or --format html|csv|json --out FILE');
        const started = Date.now();
        const engine = ctx.engine({
          onProgress: (e) => {
            if (o.json || e.status !== 'running') return;
            ctx.io.err(`... ${STEPS[e.step] ?? e.step}${e.step === 'write' && e.message ? ` ${e.message}` : ''}\n`);
          },
        });
        const r = await call(
          ctx.io,
          engine['report.pdf']({ dir: path.resolve(dir), ...(o.run ? { runId: o.run } : {}), ...(o.campaign ? { campaignId: o.campaign } : {}), metric: o.metric, format, file: path.resolve(file!) }),
          projectFile(dir),
        );
        if (o.json) ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
        else ctx.io.out(`wrote ${r.file} (${format}${r.pages !== undefined ? `, ${r.pages} pages` : ''}, ${(r.bytes / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
      }),
};
