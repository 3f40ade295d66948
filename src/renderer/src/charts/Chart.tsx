/**
 * One chart spec drawn with chart.js, with its PNG and SVG buttons. The figure carries
 * `data-chart-id` (the spec's id) and, once drawn, `data-chart-ready="true"`; its canvas is
 * `figure[data-chart-id="…"] canvas`. Not animated unless asked: these views are printed and
 * screenshotted, and a half-drawn frame must never be what is captured.
 */
import { Chart as ChartJS } from 'chart.js';
import { memo, useEffect, useRef, useState } from 'react';
import type { ChartSpec } from '../../../shared/view/charts';
import { toChartConfig, type DrawnSpec } from './config';
import { DEFAULT_EXPORT_SIZE, downloadPng, downloadSvg, type ExportSize } from './export';
import { registerCharts } from './register';
import './charts.css';

export interface ChartProps {
  readonly spec: ChartSpec;
  /** Height of the plot in CSS pixels (its width follows the container). */
  readonly height?: number;
  readonly animate?: boolean;
  /** PNG and SVG buttons (default on). */
  readonly exportable?: boolean;
}

export const Chart = memo(function Chart({ spec, height = 320, animate = false, exportable = true }: ChartProps) {
  if (spec.kind === 'empty') {
    return (
      <figure className="overlab-chart overlab-chart--empty" data-chart-id={spec.id} data-chart-empty="true">
        <figcaption>
          <span className="overlab-chart__title">{spec.title}</span>
          <span className="overlab-chart__empty">{spec.empty}</span>
        </figcaption>
      </figure>
    );
  }
  return <DrawnChart spec={spec} height={height} animate={animate} exportable={exportable} />;
});

function DrawnChart({ spec, height, animate, exportable }: { spec: DrawnSpec; height: number; animate: boolean; exportable: boolean }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const figureRef = useRef<HTMLElement>(null);
  const [problem, setProblem] = useState<string>();

  useEffect(() => {
    const canvas = canvasRef.current;
    const figure = figureRef.current;
    if (!canvas || !figure) return;
    registerCharts();
    const chart = new ChartJS(canvas, toChartConfig(spec, { animate }));
    // Ready only when chart.js got a context and drew (it logs and draws nothing otherwise).
    if (chart.ctx) figure.setAttribute('data-chart-ready', 'true');
    // Printing changes the page's width; redraw at the printed size before the page is captured.
    const onPrint = () => chart.resize();
    window.addEventListener('beforeprint', onPrint);
    return () => {
      window.removeEventListener('beforeprint', onPrint);
      figure.removeAttribute('data-chart-ready');
      chart.destroy();
    };
  }, [spec, animate]);

  /** The chart's size on screen, so that a file looks like what the user saw. */
  const size = (): ExportSize => {
    const c = canvasRef.current;
    return c && c.clientWidth > 0 && c.clientHeight > 0 ? { width: c.clientWidth, height: c.clientHeight } : DEFAULT_EXPORT_SIZE;
  };
  const save = (what: 'png' | 'svg') => {
    setProblem(undefined);
    Promise.resolve()
      .then(() => (what === 'png' ? downloadPng(spec, size()) : downloadSvg(spec, size())))
      .catch((e: unknown) => setProblem(`Could not save the ${what.toUpperCase()}: ${e instanceof Error ? e.message : String(e)}`));
  };

  return (
    <figure ref={figureRef} className="overlab-chart" data-chart-id={spec.id} data-chart-kind={spec.kind}>
      <div className="overlab-chart__plot" style={{ height }}>
        <canvas ref={canvasRef} role="img" aria-label={spec.subtitle ? `${spec.title}. ${spec.subtitle}` : spec.title} />
      </div>
      {(spec.note || exportable || problem) && (
        <figcaption className="overlab-chart__caption">
          {spec.note && <span className="overlab-chart__note">{spec.note}</span>}
          {problem && <span className="overlab-chart__problem" role="alert">{problem}</span>}
          {exportable && (
            <span className="overlab-chart__actions">
              <button type="button" onClick={() => save('png')} title="Save this chart as a PNG image (2× resolution)" aria-label={`Save "${spec.title}" as PNG`}>
                PNG
              </button>
              <button type="button" onClick={() => save('svg')} title="Save this chart as an SVG vector image" aria-label={`Save "${spec.title}" as SVG`}>
                SVG
              </button>
            </span>
          )}
        </figcaption>
      )}
    </figure>
  );
}
