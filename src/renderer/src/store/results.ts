/** The project's runs and campaigns, the run painted on the drawing, and how it is painted. */
import type { CampaignAnalysis, CampaignFile } from '../../../shared/measure/campaign.js';
import type { RunListing, RunResults } from '../../../shared/measure/results.js';
import type { Second } from '../../../shared/view/heatmap.js';
import type { Thresholds } from '../../../shared/view/matrix.js';
import type { Metric } from '../../../shared/view/metrics.js';
import type { Reset, Slice } from './types.js';

/** How the heatmap paints the painted run. */
export interface HeatSettings {
  readonly on: boolean;
  readonly metric: Metric;
  readonly second: Second;
  readonly relative: boolean;
  readonly widthByThroughput: boolean;
  /** Replay: the moment shown (ms since the epoch); absent: the whole run. */
  readonly at?: number;
  readonly thresholds?: Thresholds;
}

export type ResultsTab = 'runs' | 'matrix' | 'charts' | 'advisor';
/** What the charts tab shows. */
export type ChartsSubject = { readonly type: 'link'; readonly linkId: string } | { readonly type: 'run' } | { readonly type: 'campaign'; readonly id: string };

export interface CampaignListing {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly suite: string;
  readonly cells: number;
  readonly done: number;
}

export interface ResultsState {
  runs: readonly RunListing[];
  campaigns: readonly CampaignListing[];
  /** The run painted on the drawing. */
  results?: RunResults;
  /** Compared with the painted run: the drawing shows what changed from this one. */
  compare?: RunResults;
  campaign?: { readonly file: CampaignFile; readonly analysis: CampaignAnalysis; readonly runs: Readonly<Record<string, RunResults>> };
  heat: HeatSettings;
  /** Links lit on the drawing (a matrix cell's path). */
  highlight: ReadonlySet<string>;
  /** The results panel under the drawing, and its tab. */
  resultsTab?: ResultsTab;
  charts?: ChartsSubject;
}

export interface ResultsSlice extends ResultsState {
  setRuns(runs: readonly RunListing[], campaigns: readonly CampaignListing[]): void;
  /** Paints a run (heatmap on); undefined clears the drawing. */
  paint(r: RunResults | undefined): void;
  /** The whole of the painted run when it was painted lean (the view stays as it is). */
  fill(r: RunResults): void;
  setCompare(r: RunResults | undefined): void;
  setHeat(patch: Partial<HeatSettings>): void;
  setHighlight(linkIds: Iterable<string>): void;
  showResults(tab: ResultsTab | undefined, charts?: ChartsSubject): void;
}

export const DEFAULT_HEAT: HeatSettings = { on: false, metric: 'rtt-mean', second: 'none', relative: false, widthByThroughput: false };

/** Every field named (optional ones as undefined): zustand's `set` merges, so a reset must say each one. */
export const resultsInitial = (): ResultsState => ({
  runs: [], campaigns: [], results: undefined, compare: undefined, campaign: undefined, heat: DEFAULT_HEAT, highlight: new Set(), resultsTab: undefined, charts: undefined,
});
/** Another project: none of these runs, nothing painted; how the person likes the heatmap stays. */
export const resetResults: Reset<ResultsState> = (s) => ({ ...resultsInitial(), heat: { ...s.heat, on: false, at: undefined } });

export const createResultsSlice: Slice<ResultsSlice> = (set, get) => ({
  ...resultsInitial(),
  setRuns: (runs, campaigns) => set({ runs, campaigns }),
  paint: (results) => set({ results, compare: undefined, heat: { ...get().heat, on: !!results, at: undefined }, highlight: new Set() }),
  fill: (full) => {
    const now = get().results;
    if (now?.lean && now.runId === full.runId) set({ results: full });
  },
  setCompare: (compare) => set({ compare }),
  setHeat: (patch) => set({ heat: { ...get().heat, ...patch } }),
  setHighlight: (ids) => set({ highlight: new Set(ids) }),
  showResults: (resultsTab, charts) => set({ resultsTab, ...(charts ? { charts } : {}) }),
});
