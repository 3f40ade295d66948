/**
 * `report.pdf`: a run's (or a campaign's) report as a PDF or a standalone HTML file printed
 * from the renderer's report route, as CSV (one row per link per metric) or as JSON (the
 * results file). And `report.appendix`: what the report's appendix prints of each host — its
 * rendered up.sh and down.sh and the list of its files — with every secret redacted here, in
 * the engine, so that no secret value ever reaches a page.
 */
import path from 'node:path';
import type { ReportAnswer, ReportAppendix, ReportFormat } from '../../shared/api.js';
import { hasErrors } from '../../shared/diagnostics.js';
import type { RunResults } from '../../shared/measure/results.js';
import type { Registry } from '../../shared/tunnels/types.js';
import type { Metric } from '../../shared/view/metrics.js';
import { ApiError } from '../api-error.js';
import type { Handlers } from '../handlers.js';
import { readRun, scanRuns } from '../measure/store.js';
import { renderProject } from '../services/bundles.js';
import { RESULTS_FORMAT } from '../../shared/measure/results.js';
import { CAMPAIGN_FORMAT } from '../../shared/measure/campaign.js';
import { ensureDir, resolvePath, writeFile } from '../safe-fs.js';
import { CSV_COLUMNS, csvLine, reportCsv } from './csv.js';
import { printRoute, pdfPageCount, type PrintTarget } from './print.js';
import { projectRedactor } from './redact.js';

export interface ReportArgs {
  readonly dir: string;
  readonly runId?: string;
  readonly campaignId?: string;
  readonly metric?: Metric;
  readonly format?: ReportFormat;
  readonly file?: string;
}

/** Prints a route to PDF bytes (the Electron door brings its own, with printToPDF). */
export type PdfPrinter = (target: PrintTarget) => Promise<Buffer>;

export interface ReportDeps {
  readonly registry: Registry;
  /** An engine for the page's calls while printing (read-only operations). */
  readonly engine: () => Handlers;
  readonly onStep?: (step: string, message?: string) => void;
  readonly pdf?: PdfPrinter;
}

/** Files up to this size are printed in the appendix (configs); larger ones are listed. */
const APPENDIX_FILE_BYTES = 8192;

const EXT: Readonly<Record<ReportFormat, string>> = { pdf: 'pdf', html: 'html', csv: 'csv', json: 'json' };

/** Every printed report's title starts with this (the report route sets it): a PDF's /Title says it. */
export const REPORT_TITLE_PREFIX = 'Overlab report';
/** What the standalone HTML report carries in its head. */
export const HTML_GENERATOR = '<meta name="generator" content="Overlab">';

const utf16Hex = (s: string): string => [...s].map((c) => c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')).join('');

/**
 * Whether a file already at the report's path is a report Overlab wrote (of this format), the
 * only kind of file a report replaces: the path is one a person named, and root must not
 * overwrite whatever a mistyped or planted name points at.
 */
export function isOverlabReport(format: ReportFormat, head: Buffer): boolean {
  const text = head.toString('latin1');
  switch (format) {
    case 'pdf':
      // Chromium writes the page's title into the Info dictionary at the top, as a literal or UTF-16BE hex string.
      return text.startsWith('%PDF-') && (text.includes(`/Title (${REPORT_TITLE_PREFIX}`) || text.includes(`/Title <FEFF${utf16Hex(REPORT_TITLE_PREFIX)}`));
    case 'html':
      return /^\s*<!doctype html>/i.test(text) && text.includes(HTML_GENERATOR);
    case 'csv':
      return head.toString('utf8').startsWith(csvLine(CSV_COLUMNS));
    case 'json':
      return /^\{\s*"(format|campaign)"/.test(text) && (text.includes(`"${RESULTS_FORMAT}"`) || text.includes(`"${CAMPAIGN_FORMAT}"`));
  }
}

/** What the report is of: the run named, the campaign named, or the newest run. */
async function subject(dir: string, runId?: string, campaignId?: string): Promise<{ kind: 'run'; run: RunResults } | { kind: 'campaign'; id: string }> {
  if (runId && campaignId) throw new ApiError('invalid-arguments', 'a report is of one run or one campaign: give --run or --campaign, not both');
  if (campaignId) return { kind: 'campaign', id: campaignId };
  let id = runId;
  if (!id) {
    const { runs, unreadable } = await scanRuns(dir);
    id = runs[0]?.runId;
    // The newest run does not read: reporting an older one instead would pass it off as the latest.
    const newer = unreadable.find((u) => id === undefined || u.runId > id);
    if (newer) throw new ApiError('failed', `the newest run does not read: ${newer.reason} (or give --run ID to report on an older run)`);
  }
  if (!id) throw new ApiError('invalid-arguments', `${dir} has no measurement run to report on (overlab measure ${dir} makes one)`);
  return { kind: 'run', run: await readRun(dir, id) };
}

/** The route's query for this report; the page reads the same names. */
export function reportQuery(dir: string, s: { kind: 'run'; runId: string } | { kind: 'campaign'; id: string }, metric?: Metric): string {
  const q = new URLSearchParams();
  if (s.kind === 'run') q.set('run', s.runId);
  else q.set('campaign', s.id);
  q.set('dir', dir);
  if (metric) q.set('metric', metric);
  return q.toString();
}

export async function report(args: ReportArgs, deps: ReportDeps): Promise<ReportAnswer> {
  const dir = path.resolve(args.dir);
  const format = args.format ?? 'pdf';
  const step = deps.onStep ?? (() => undefined);
  step('load');
  const s = await subject(dir, args.runId, args.campaignId);
  const name = s.kind === 'run' ? `report-${s.run.runId}` : `report-campaign-${s.id}`;
  // The folder named is made real (links a trusted user made are followed); the file's own name never is.
  const named = args.file ? path.resolve(dir, args.file) : undefined;
  const file = named ? path.join(await resolvePath(path.dirname(named)), path.basename(named)) : path.join(dir, 'reports', `${name}.${EXT[format]}`);
  await ensureDir(path.dirname(file), 0o755);
  // Last wall: whatever the engine writes passes the redactor, even data that should hold no secret.
  const redactor = await projectRedactor(dir);
  const started = Date.now();
  let data: string | Buffer;
  let pages: number | undefined;
  if (format === 'json') {
    data = s.kind === 'run' ? `${JSON.stringify(s.run, null, 2)}\n` : `${JSON.stringify(await deps.engine()['campaigns.get']({ dir, campaignId: s.id }), null, 2)}\n`;
    data = redactor.redact(data);
  } else if (format === 'csv') {
    let runs: { results: RunResults; cell?: string }[];
    if (s.kind === 'run') runs = [{ results: s.run }];
    else {
      const { campaign } = await deps.engine()['campaigns.get']({ dir, campaignId: s.id });
      runs = [];
      for (const c of campaign.cells) if (c.runId) runs.push({ results: await readRun(dir, c.runId), cell: c.id });
    }
    data = redactor.redact(reportCsv(runs, deps.registry));
  } else {
    const title = s.kind === 'run' ? `${s.run.project.name} — run ${s.run.runId}` : `campaign ${s.id}`;
    const target: PrintTarget = { query: reportQuery(dir, s.kind === 'run' ? { kind: 'run', runId: s.run.runId } : s, args.metric), title };
    if (format === 'pdf' && deps.pdf) {
      step('print');
      data = await deps.pdf(target);
    } else {
      const printed = await printRoute(dir, deps.engine, target, format, (x) => step(x));
      data = format === 'html' ? redactor.redact(printed.data as string) : printed.data;
    }
    if (format === 'pdf') pages = pdfPageCount(data as Buffer);
  }
  step('write', file);
  await writeFile(file, data, {
    mode: 0o644,
    replaceIf: (head) => isOverlabReport(format, head),
    notOurs: `a report replaces only a ${format.toUpperCase()} report Overlab wrote; give another file name, or remove ${file} first`,
  });
  return { file, format, bytes: Buffer.byteLength(data), ...(pages !== undefined ? { pages } : {}), ms: Date.now() - started };
}

/** Each host's rendered scripts and file list, secrets redacted, and the bundle hash `deploy` computes. */
export async function reportAppendix(dir: string, registry: Registry): Promise<ReportAppendix> {
  const r = await renderProject(dir, registry);
  if (!r.bundles || hasErrors(r.diagnostics)) return { hosts: [], problems: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message) };
  const { bundleHash } = await import('../deploy/deploy.js');
  // After rendering: the store now holds every secret these bundles use.
  const redactor = await projectRedactor(dir);
  return {
    hosts: r.bundles.map((b) => ({
      host: b.host,
      bundleHash: bundleHash(b),
      up: redactor.redact(b.up),
      down: redactor.redact(b.down),
      files: b.files.map((f) => {
        const bytes = Buffer.byteLength(f.content);
        return { path: f.path, mode: f.mode, bytes, ...(bytes <= APPENDIX_FILE_BYTES && !f.content.includes('\0') ? { content: redactor.redact(f.content) } : {}) };
      }),
    })),
    problems: [],
  };
}
