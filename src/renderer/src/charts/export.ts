/**
 * Each chart as a file: PNG at 2× (sharp in print) and SVG (vector: every bar, line, tick and
 * label an SVG element, text kept as text). Both draw the same chart.js configuration as the
 * screen, at a fixed size, on chart.js's BasicPlatform — no DOM events, no resize observer, no
 * animation — into a detached canvas (PNG) or an svgcanvas context (SVG).
 */
import { BasicPlatform, Chart, type ChartConfiguration } from 'chart.js';
import { Context } from 'svgcanvas';
import { toChartConfig, type DrawnSpec } from './config';
import { registerCharts } from './register';

export interface ExportSize {
  /** CSS pixels: the chart is laid out at this size. */
  readonly width: number;
  readonly height: number;
}

export const DEFAULT_EXPORT_SIZE: ExportSize = { width: 900, height: 450 };
const BACKGROUND = '#ffffff';

/** Something with a 2D context, as BasicPlatform acquires it. */
interface Drawable {
  getContext(kind: '2d'): unknown;
}

function draw(target: Drawable, config: ChartConfiguration): Chart {
  registerCharts();
  return new Chart(target as unknown as HTMLCanvasElement, { ...config, platform: BasicPlatform });
}

/** The chart as a PNG, `scale` device pixels per CSS pixel (2 by default). */
export async function chartToPng(spec: DrawnSpec, size: ExportSize = DEFAULT_EXPORT_SIZE, scale = 2): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = size.width;
  canvas.height = size.height;
  const chart = draw(canvas, toChartConfig(spec, { responsive: false, devicePixelRatio: scale, background: BACKGROUND }));
  try {
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png'));
  } finally {
    chart.destroy();
  }
}

export interface SvgOptions {
  /** The document to build the SVG in (tests pass jsdom's). */
  readonly document?: Document;
  /** A context to measure text with; svgcanvas makes one from a canvas of `document` when absent. */
  readonly measure?: Pick<CanvasRenderingContext2D, 'measureText' | 'font'>;
}

/** The chart as an SVG document (text). */
export function chartToSvg(spec: DrawnSpec, size: ExportSize = DEFAULT_EXPORT_SIZE, o: SvgOptions = {}): string {
  const ctx = new Context({ width: size.width, height: size.height, ...(o.document ? { document: o.document } : {}), ...(o.measure ? { ctx: o.measure } : {}) });
  // BasicPlatform acquires a context from `getContext('2d')`; the svgcanvas context is its own canvas.
  const target: Drawable = { getContext: () => ctx };
  const chart = draw(target, toChartConfig(spec, { responsive: false, devicePixelRatio: 1, background: BACKGROUND, directPaths: true }));
  // svgcanvas declares xmlns:xlink as an attribute, which some serialisers (jsdom's) then write
  // twice — invalid XML. Nothing here links with xlink:href (no images, no patterns): drop it.
  ctx.getSvg().removeAttributeNS('http://www.w3.org/2000/xmlns/', 'xlink');
  // Serialise before destroy(): destroying clears the canvas, which empties the SVG.
  const svg = ctx.getSerializedSvg(true);
  chart.destroy();
  return svg;
}

/** A file name from a chart id: `link:l1:rtt-time` → `link_l1_rtt-time`. */
export const fileNameOf = (spec: DrawnSpec, ext: 'png' | 'svg'): string => `${spec.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.${ext}`;

/** Offer a file to the user (the browser's download; Electron shows its save dialog). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function downloadPng(spec: DrawnSpec, size?: ExportSize): Promise<void> {
  saveBlob(await chartToPng(spec, size), fileNameOf(spec, 'png'));
}

export function downloadSvg(spec: DrawnSpec, size?: ExportSize): void {
  saveBlob(new Blob([chartToSvg(spec, size)], { type: 'image/svg+xml;charset=utf-8' }), fileNameOf(spec, 'svg'));
}
