/**
 * The legend of every coloured view (the heatmap, the comparison, the matrix): each scale's
 * title and unit, its gradient with ticks, which way is better, the marks (≈ an interval
 * overlapping its neighbour's, ✕ failed tests, grey not measured), what the width means; and the
 * card an edge shows on hover: its figures, its RTT over the run as a sparkline.
 */
import { tickPlace, type Legend } from '../../../shared/view/heatmap';
import type { Topology } from '../../../shared/schema';
import type { EdgeLook, Paint } from './paint';

export function ScaleLegend({ legend }: { legend: Legend }) {
  const gradient = `linear-gradient(to right, ${legend.stops.join(', ')})`;
  return (
    <div className="scale" data-legend={legend.title}>
      <div className="scale-title">
        <strong>{legend.title}</strong> <span className="muted">({legend.unit}; {legend.better} is better)</span>
      </div>
      <div className="scale-bar" style={{ background: gradient }} />
      <div className="scale-ticks">
        {legend.ticks.map((t) => {
          const { at, align } = tickPlace(legend, t);
          return (
            <span key={t.value} className={align === 'middle' ? undefined : align} style={{ left: `${at * 100}%` }}>{t.label}</span>
          );
        })}
      </div>
    </div>
  );
}

export function HeatLegend({ paint }: { paint: Paint }) {
  const anyUncertain = [...paint.edges.values()].some((e) => e.uncertain);
  const anyFailed = [...paint.edges.values()].some((e) => e.failed) || [...paint.hosts.values()].some((h) => h.failed);
  return (
    <section className="heat-legend" aria-label="Legend">
      <div className="legend-caption">{paint.caption}</div>
      {paint.legends.map((l) => <ScaleLegend key={l.title} legend={l} />)}
      <div className="legend-marks">
        <span><span className="swatch" style={{ background: paint.legends[0]?.missing }} /> not measured</span>
        {paint.mode === 'heat' && paint.legends.length === 1 && [...paint.edges.values()].some((e) => e.halves.length === 2) ? <span>half at a: a → b, half at b: b → a</span> : null}
        {paint.legends.length === 2 ? <span>half at a: {paint.legends[0]!.title}; half at b: {paint.legends[1]!.title}</span> : null}
        {anyUncertain ? <span><b>≈</b> 95 % interval overlaps the next edge&apos;s on the scale</span> : null}
        {anyFailed ? <span><b className="failed">✕</b> tests failed (hover for why)</span> : null}
        {paint.widthMeaning ? <span>{paint.widthMeaning}</span> : null}
      </div>
    </section>
  );
}

/** A polyline of the series, scaled to its own range. */
export function Sparkline({ values, width = 180, height = 36 }: { values: readonly number[]; width?: number; height?: number }) {
  if (values.length < 2) return null;
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const y = (v: number): number => (hi === lo ? height / 2 : height - 2 - ((v - lo) / (hi - lo)) * (height - 4));
  const pts = values.map((v, i) => `${((i / (values.length - 1)) * width).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    <svg className="sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`RTT over the run, ${lo.toFixed(3)}–${hi.toFixed(3)} ms`}>
      <polyline points={pts} fill="none" stroke="#1d47ad" strokeWidth="1.4" />
    </svg>
  );
}

export function EdgeCard({ look, label, x, y }: { look: EdgeLook; label?: Topology['links'][number]; x: number; y: number }) {
  const lo = look.spark.length ? Math.min(...look.spark) : 0;
  const hi = look.spark.length ? Math.max(...look.spark) : 0;
  return (
    <div className="edge-card" role="tooltip" style={{ left: x + 14, top: y + 14 }}>
      {label ? <div className="strong">{label.a} — {label.b} <span className="muted">({label.kind})</span></div> : null}
      {look.details.map((d, i) => <div key={i} className={d.startsWith('failed') ? 'failed' : undefined}>{d}</div>)}
      {look.spark.length > 1 ? (
        <div className="spark">
          <Sparkline values={look.spark} />
          <div className="muted small">RTT over the run: {lo.toFixed(3)}–{hi.toFixed(3)} ms · click for the charts</div>
        </div>
      ) : null}
    </div>
  );
}
