/**
 * Views composed of charts: one link's charts, a run's figures, a campaign's figures. Each is a
 * pure function of results.json (and the campaign's analysis), through src/shared/view/charts.
 */
import { useMemo } from 'react';
import type { CampaignAnalysis } from '../../../shared/measure/campaign';
import type { RunResults } from '../../../shared/measure/results';
import { campaignFigures, linkCharts, runFigures, type ChartSpec } from '../../../shared/view/charts';
import { Chart } from './Chart';
import './charts.css';

export interface ChartGridProps {
  readonly specs: readonly ChartSpec[];
  /** Show the charts the data cannot give, each with the reason (default on). */
  readonly showEmpty?: boolean;
  readonly exportable?: boolean;
}

export function ChartGrid({ specs, showEmpty = true, exportable = true }: ChartGridProps) {
  const shown = showEmpty ? specs : specs.filter((s) => s.kind !== 'empty');
  return (
    <div className="overlab-charts">
      {shown.map((s) => (
        <Chart key={s.id} spec={s} exportable={exportable} />
      ))}
    </div>
  );
}

export interface LinkChartsProps {
  readonly results: RunResults;
  readonly linkId: string;
  readonly showEmpty?: boolean;
}

/** RTT over time, RTT histograms with density, CDF, throughput over time, CPU — of one link. */
export function LinkCharts({ results, linkId, showEmpty }: LinkChartsProps) {
  const specs = useMemo(() => linkCharts(results, linkId), [results, linkId]);
  return (
    <section className="overlab-chart-view" data-charts="link" data-link-id={linkId}>
      <ChartGrid specs={specs} {...(showEmpty !== undefined ? { showEmpty } : {})} />
    </section>
  );
}

export interface RunFiguresProps {
  readonly results: RunResults;
  readonly showEmpty?: boolean;
}

/** The paper's figures for one run, per tunnel. */
export function RunFigures({ results, showEmpty }: RunFiguresProps) {
  const specs = useMemo(() => runFigures(results), [results]);
  return (
    <section className="overlab-chart-view" data-charts="run" data-run-id={results.runId}>
      <ChartGrid specs={specs} {...(showEmpty !== undefined ? { showEmpty } : {})} />
    </section>
  );
}

export interface CampaignFiguresProps {
  readonly analysis: CampaignAnalysis;
  /** The cells' results (throughput over time per kind); the other figures need only the analysis. */
  readonly runs?: readonly RunResults[];
  readonly showEmpty?: boolean;
}

/** The paper's figures for a campaign, MTU by MTU, then across MTUs. */
export function CampaignFigures({ analysis, runs, showEmpty }: CampaignFiguresProps) {
  const specs = useMemo(() => campaignFigures(analysis, runs ?? []), [analysis, runs]);
  return (
    <section className="overlab-chart-view" data-charts="campaign">
      <ChartGrid specs={specs} {...(showEmpty !== undefined ? { showEmpty } : {})} />
    </section>
  );
}
