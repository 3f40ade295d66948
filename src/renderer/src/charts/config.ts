/**
 * A chart spec (src/shared/view/charts.ts) as a chart.js configuration. Pure: the same spec
 * gives the same configuration on screen, in the PNG export and in the SVG export; only the
 * options passed here differ (size, pixel ratio, background, how lines are stroked).
 */
import type {} from '@sgratzl/chartjs-chart-boxplot'; // its chart.js type augmentation ('boxplot')
import type { BarElement, Chart, ChartConfiguration, ChartDataset, Plugin, ScaleOptions, TooltipItem } from 'chart.js';
import { axisTitle, fmt, type Axis, type ChartSpec, type EmptyChart } from '../../../shared/view/charts';
import { GRID, INK, toneColour, withAlpha } from './palette';

export type DrawnSpec = Exclude<ChartSpec, EmptyChart>;

export interface ConfigOptions {
  /** Animate (screen only; off by default: these charts are printed and screenshotted). */
  readonly animate?: boolean;
  /** Fill the chart's area first (exports: a PNG or SVG is otherwise transparent). */
  readonly background?: string;
  /**
   * Stroke lines with the context's own path, not a Path2D: svgcanvas draws only the current
   * path and ignores a Path2D argument, so a line stroked from one would vanish from the SVG.
   */
  readonly directPaths?: boolean;
  readonly devicePixelRatio?: number;
  /** Follow the container's size (screen); exports draw at a fixed size. */
  readonly responsive?: boolean;
}

interface ErrorRange {
  readonly low: number;
  readonly high: number;
}

/** A dataset may carry a 95 % interval per data point, drawn by the error-bar plugin. */
type WithErrors = { errorBars?: readonly (ErrorRange | null)[] };

const range = (low: number | undefined, high: number | undefined): ErrorRange | null => (low !== undefined && high !== undefined ? { low, high } : null);

/**
 * Error bars (whiskers with caps) over bars and points whose dataset has `errorBars`. Small and
 * our own: @sgratzl's error-bar controllers are not in the registry this project installs from.
 */
export const errorBarsPlugin: Plugin = {
  id: 'overlabErrorBars',
  afterDatasetsDraw(chart: Chart) {
    const { ctx } = chart;
    chart.data.datasets.forEach((ds, i) => {
      const bars = (ds as WithErrors).errorBars;
      if (!bars || !chart.isDatasetVisible(i)) return;
      const meta = chart.getDatasetMeta(i);
      const y = chart.scales[meta.yAxisID ?? 'y'];
      if (!y) return;
      ctx.save();
      ctx.strokeStyle = INK;
      ctx.lineWidth = 1.25;
      meta.data.forEach((el, j) => {
        const e = bars[j];
        if (!e) return;
        const { x } = el.getProps(['x'], true) as { x: number };
        const top = y.getPixelForValue(e.high);
        const bottom = y.getPixelForValue(e.low);
        const cap = meta.type === 'bar' ? Math.max(3, Math.min(10, (el as unknown as BarElement & { width: number }).width / 4)) : 4;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - cap, top);
        ctx.lineTo(x + cap, top);
        ctx.moveTo(x - cap, bottom);
        ctx.lineTo(x + cap, bottom);
        ctx.stroke();
      });
      ctx.restore();
    });
  },
};

/** Paints the whole chart area before anything else is drawn (exports). */
const backgroundPlugin = (colour: string): Plugin => ({
  id: 'overlabBackground',
  beforeDraw(chart: Chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
});

type Scale = ScaleOptions<'linear'> | ScaleOptions<'category'>;

function scale(a: Axis, type: 'linear' | 'category', extra: Record<string, unknown> = {}): Scale {
  return {
    type,
    title: { display: true, text: axisTitle(a), color: INK },
    grid: { color: GRID },
    ...(type === 'linear' ? { beginAtZero: !!a.zero } : { ticks: { autoSkip: false, maxRotation: 50 } }),
    ...(a.min !== undefined ? { min: a.min } : {}),
    ...(a.max !== undefined ? { max: a.max } : {}),
    ...extra,
  } as Scale;
}

/** Room on the value axis for error bars that reach past the data. */
function suggested(ranges: readonly (ErrorRange | null)[]): Record<string, number> {
  const rs = ranges.filter((r): r is ErrorRange => r !== null);
  if (rs.length === 0) return {};
  return { suggestedMin: Math.min(...rs.map((r) => r.low)), suggestedMax: Math.max(...rs.map((r) => r.high)) };
}

const withUnit = (v: number, a: Axis): string => `${fmt(v)}${a.unit ? ` ${a.unit}` : ''}`;

/** What every chart of one spec shares: chart options, the title/legend/tooltip block, the plugins. */
interface Frame {
  readonly common: Record<string, unknown>;
  readonly head: (legend: boolean, label?: (item: TooltipItem<'bar' | 'line'>) => string) => Record<string, unknown>;
  /** A tooltip line: the series, the value with its unit and its 95 % interval where it has one. */
  readonly valueLabel: (item: TooltipItem<'bar' | 'line'>) => string;
  readonly plugins: Plugin[];
}

function frameOf(spec: DrawnSpec, o: ConfigOptions): Frame {
  const errorOf = (ds: unknown, i: number): ErrorRange | null | undefined => (ds as WithErrors).errorBars?.[i];
  return {
    common: {
      ...(o.animate ? {} : { animation: false as const }),
      responsive: o.responsive ?? true,
      maintainAspectRatio: false,
      ...(o.devicePixelRatio ? { devicePixelRatio: o.devicePixelRatio } : {}),
    },
    head: (legend, label) => ({
      title: { display: true, text: spec.title, font: { size: 14, weight: 'bold' as const }, color: INK },
      subtitle: { display: !!spec.subtitle, text: spec.subtitle ?? '', color: INK, padding: { bottom: 8 } },
      legend: { display: legend, position: 'bottom' as const, labels: { color: INK, boxWidth: 14 } },
      tooltip: { enabled: !o.directPaths, ...(label ? { callbacks: { label } } : {}) },
    }),
    valueLabel: (item) => {
      const e = errorOf(item.dataset, item.dataIndex);
      const v = item.parsed.y ?? NaN;
      return `${item.dataset.label ?? ''}: ${withUnit(v, spec.y)}${e ? ` (${spec.errorBars ?? '95 % CI'} ${fmt(e.low)} – ${fmt(e.high)})` : ''}`;
    },
    plugins: [errorBarsPlugin, ...(o.background ? [backgroundPlugin(o.background)] : [])],
  };
}

/** Histogram: bars on a linear axis, one per bin, touching; the density curve over them. */
function histogramConfig(spec: Extract<DrawnSpec, { kind: 'histogram' }>, o: ConfigOptions, f: Frame): ChartConfiguration {
  const c = toneColour(spec.tone);
  const single = spec.bins.length === 1 && spec.bins[0]!.end === spec.bins[0]!.start;
  const xs = [...spec.bins.flatMap((b) => [b.start, b.end]), ...(spec.density ?? []).map((p) => p.x)];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pad = single ? Math.max(Math.abs(lo) * 0.05, 0.01) : 0;
  const datasets: ChartDataset[] = [
    {
      type: 'bar',
      label: `${spec.label}: samples per bin`,
      data: spec.bins.map((b) => ({ x: (b.start + b.end) / 2, y: b.count })),
      backgroundColor: withAlpha(c, 0.55),
      borderColor: c,
      borderWidth: 1,
      barPercentage: 1,
      categoryPercentage: 1,
      grouped: false,
      order: 2,
      ...(single ? { barThickness: 24 } : {}),
    },
    ...(spec.density
      ? [{ type: 'line' as const, label: 'density (KDE)', data: spec.density.map((p) => ({ x: p.x, y: p.y })), parsing: false as const, borderColor: INK, backgroundColor: INK, borderWidth: 1.5, pointRadius: 0, order: 1, ...(o.directPaths ? { segment: {} } : {}) }]
      : []),
  ];
  return {
    type: 'bar',
    data: { datasets },
    options: {
      ...f.common,
      plugins: f.head(!!spec.density),
      scales: { x: scale(spec.x, 'linear', { offset: false, min: lo - pad, max: hi + pad }), y: scale(spec.y, 'linear') },
    },
    plugins: f.plugins,
  } as ChartConfiguration;
}

/** Bars: a dataset per series, a bar per category, with its error bar. */
function barConfig(spec: Extract<DrawnSpec, { kind: 'bar' }>, f: Frame): ChartConfiguration {
  const datasets = spec.series.map((s): ChartDataset<'bar'> & WithErrors => {
    const c = toneColour(s.tone);
    return {
      label: s.label,
      data: s.values.map((v) => v?.value ?? null),
      backgroundColor: withAlpha(c, 0.8),
      borderColor: c,
      borderWidth: 1,
      errorBars: s.values.map((v) => (v ? range(v.low, v.high) : null)),
    };
  });
  return {
    type: 'bar',
    data: { labels: spec.categories.map((c) => c.label), datasets },
    options: {
      ...f.common,
      plugins: f.head(spec.series.length > 1, f.valueLabel),
      // Bars start at zero whatever the axis says: a bar's length is its value.
      scales: { x: scale(spec.x, 'category'), y: scale({ ...spec.y, zero: true }, 'linear', suggested(datasets.flatMap((d) => d.errorBars ?? []))) },
    },
    plugins: f.plugins,
  } as ChartConfiguration;
}

/** Box plots, drawn as computed in src/shared. */
function boxplotConfig(spec: Extract<DrawnSpec, { kind: 'boxplot' }>, f: Frame): ChartConfiguration {
  const datasets = spec.series.map((s) => {
    const c = toneColour(s.tone);
    return {
      label: s.label,
      // The box is computed in src/shared; the plugin draws it as given (it mutates what it is given, hence the copies).
      data: s.boxes.map((b) => (b ? { min: b.min, q1: b.q1, median: b.median, q3: b.q3, max: b.max, whiskerMin: b.whiskerMin, whiskerMax: b.whiskerMax, mean: b.mean, outliers: [...b.outliers], items: [] } : null)),
      backgroundColor: withAlpha(c, 0.35),
      borderColor: c,
      borderWidth: 1.25,
      outlierBackgroundColor: withAlpha(c, 0.6),
      outlierBorderColor: c,
      outlierRadius: 2,
      meanBackgroundColor: INK,
      meanBorderColor: INK,
      meanRadius: 2.5,
      itemRadius: 0,
    };
  });
  return {
    type: 'boxplot',
    data: { labels: spec.categories.map((c) => c.label), datasets },
    options: {
      ...f.common,
      plugins: f.head(spec.series.length > 1),
      // Room above and below, so that a whisker at the extreme is not drawn on the frame.
      scales: { x: scale(spec.x, 'category'), y: scale(spec.y, 'linear', { grace: '5%' }) },
    },
    plugins: f.plugins,
  } as unknown as ChartConfiguration;
}

/** Line and scatter: points on linear axes. */
function lineConfig(spec: Extract<DrawnSpec, { kind: 'line' | 'scatter' }>, o: ConfigOptions, f: Frame): ChartConfiguration {
  const datasets = spec.series.map((s): ChartDataset<'line'> & WithErrors => {
    const c = toneColour(s.tone);
    return {
      label: s.label,
      data: s.points.map((p) => ({ x: p.x, y: p.y })),
      parsing: false,
      borderColor: c,
      backgroundColor: c,
      borderWidth: 1.5,
      borderDash: s.style === 'dashed' ? [6, 4] : [],
      showLine: s.style !== 'points',
      // An ECDF holds each share until the next sample: horizontal, then up.
      stepped: s.style === 'step' ? 'before' : false,
      pointRadius: s.style === 'points' ? 3.5 : s.style === 'step' || s.points.length > 60 ? 0 : 2,
      pointHoverRadius: 4,
      errorBars: s.points.map((p) => range(p.low, p.high)),
      ...(o.directPaths ? { segment: {} } : {}),
    };
  });
  return {
    type: 'line',
    data: { datasets },
    options: {
      ...f.common,
      interaction: { mode: 'nearest', intersect: false },
      plugins: f.head(spec.series.length > 1, f.valueLabel),
      scales: { x: scale(spec.x, 'linear'), y: scale(spec.y, 'linear', suggested(datasets.flatMap((d) => d.errorBars ?? []))) },
    },
    plugins: f.plugins,
  } as ChartConfiguration;
}

export function toChartConfig(spec: DrawnSpec, o: ConfigOptions = {}): ChartConfiguration {
  const f = frameOf(spec, o);
  switch (spec.kind) {
    case 'histogram':
      return histogramConfig(spec, o, f);
    case 'bar':
      return barConfig(spec, f);
    case 'boxplot':
      return boxplotConfig(spec, f);
    default:
      return lineConfig(spec, o, f);
  }
}
