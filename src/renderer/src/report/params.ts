/**
 * The report route: `#/report?run=ID` or `#/report?campaign=ID`, with `dir=` (the project
 * folder; under `overlab serve` the session's folder when absent), `metric=` (the heatmap's,
 * default mean RTT) and the serve door's `token=`. Read before anything connects, because the
 * HTTP transport takes the token out of the address bar.
 */
import { METRIC_IDS, type Metric } from '../../../shared/view/metrics';

export type ReportSubject = { readonly kind: 'run'; readonly runId: string } | { readonly kind: 'campaign'; readonly campaignId: string };

export interface ReportParams {
  readonly subject?: ReportSubject;
  readonly dir?: string;
  readonly metric: Metric;
}

export const isReportHash = (hash: string): boolean => /^#\/report(\?|$)/.test(hash);

export function reportParams(hash: string): ReportParams {
  const q = new URLSearchParams(hash.replace(/^#\/report\??/, ''));
  const run = q.get('run');
  const campaign = q.get('campaign');
  const m = q.get('metric');
  const metric = m && (METRIC_IDS as readonly string[]).includes(m) ? (m as Metric) : 'rtt-mean';
  const dir = q.get('dir') ?? undefined;
  const subject: ReportSubject | undefined = campaign ? { kind: 'campaign', campaignId: campaign } : run ? { kind: 'run', runId: run } : undefined;
  return { metric, ...(subject ? { subject } : {}), ...(dir ? { dir } : {}) };
}
