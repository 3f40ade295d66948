// @vitest-environment jsdom
/**
 * The SVG export draws a real vector image: chart.js's drawing calls become SVG elements (bars
 * as paths, lines as paths whose points are the data's, labels as text), not a bitmap inside an
 * SVG. Runs in jsdom with a Path2D like the browser's, because chart.js strokes lines through a
 * Path2D when one exists and svgcanvas would then drop them — the export must not depend on it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BarChart, LineChart } from '../../../shared/view/charts';

/** A Path2D that records nothing: what matters is that chart.js sees one, as in Chromium. */
class FakePath2D {
  moveTo(): void {}
  lineTo(): void {}
  bezierCurveTo(): void {}
  quadraticCurveTo(): void {}
  arc(): void {}
  rect(): void {}
  closePath(): void {}
}

/** The 2-D part of DOMMatrix that svgcanvas uses (jsdom has none; Chromium has the real one). */
class Matrix2D {
  a: number; b: number; c: number; d: number; e: number; f: number;
  constructor([a, b, c, d, e, f]: number[] = [1, 0, 0, 1, 0, 0]) {
    [this.a, this.b, this.c, this.d, this.e, this.f] = [a!, b!, c!, d!, e!, f!];
  }
  multiply(m: Matrix2D): Matrix2D {
    return new Matrix2D([this.a * m.a + this.c * m.b, this.b * m.a + this.d * m.b, this.a * m.c + this.c * m.d, this.b * m.c + this.d * m.d, this.a * m.e + this.c * m.f + this.e, this.b * m.e + this.d * m.f + this.f]);
  }
  translate(x = 0, y = 0): Matrix2D {
    return this.multiply(new Matrix2D([1, 0, 0, 1, x, y]));
  }
  scale(x = 1, y = x): Matrix2D {
    return this.multiply(new Matrix2D([x, 0, 0, y, 0, 0]));
  }
}

class Point2D {
  constructor(readonly x = 0, readonly y = 0) {}
  matrixTransform(m: Matrix2D): Point2D {
    return new Point2D(m.a * this.x + m.c * this.y + m.e, m.b * this.x + m.d * this.y + m.f);
  }
}

/** Text measured as 0.6 em per character: jsdom has no canvas to measure with. */
const measure = {
  font: '12px sans-serif',
  measureText(text: string) {
    const size = Number(/(\d+(?:\.\d+)?)px/.exec(this.font)?.[1] ?? 12);
    return { width: text.length * size * 0.6 } as TextMetrics;
  },
};

let chartToSvg: typeof import('./export').chartToSvg;

beforeAll(async () => {
  // chart.js decides at load whether Path2D exists: define it first, then load the export.
  (globalThis as { Path2D?: unknown }).Path2D = FakePath2D;
  (globalThis as { DOMMatrix?: unknown }).DOMMatrix ??= Matrix2D;
  (globalThis as { DOMPoint?: unknown }).DOMPoint ??= Point2D;
  ({ chartToSvg } = await import('./export'));
});

const parse = (svg: string): Document => new DOMParser().parseFromString(svg, 'image/svg+xml');

/** The [x, y] vertices of an SVG path's M/L commands, a vertex repeated in place counted once. */
const vertices = (d: string): [number, number][] =>
  [...d.matchAll(/[ML]\s*(-?[\d.e+-]+)\s+(-?[\d.e+-]+)/g)]
    .map((m): [number, number] => [Number(m[1]), Number(m[2])])
    .filter((v, i, all) => i === 0 || v[0] !== all[i - 1]![0] || v[1] !== all[i - 1]![1]);

const bars: BarChart = {
  kind: 'bar',
  id: 'test:bars',
  title: 'Mean RTT per tunnel',
  x: { label: 'Tunnel' },
  y: { label: 'RTT', unit: 'ms' },
  categories: [{ id: 'a', label: 'alpha' }, { id: 'b', label: 'beta' }, { id: 'c', label: 'gamma' }],
  series: [{ key: 'rtt', label: 'Mean RTT', tone: 0, values: [{ value: 1 }, { value: 2, low: 1.5, high: 2.5 }, { value: 4 }] }],
};

const line: LineChart = {
  kind: 'line',
  id: 'test:line',
  title: 'RTT over time',
  x: { label: 'Time', unit: 's' },
  y: { label: 'RTT', unit: 'ms' },
  series: [{ key: 'p', label: 'tunnel', tone: 3, style: 'line', points: Array.from({ length: 7 }, (_, i) => ({ x: i, y: (i * 37) % 5 })) }],
};

describe('SVG export', () => {
  it('is an SVG document of the requested size with no embedded bitmap', () => {
    const doc = parse(chartToSvg(bars, { width: 640, height: 320 }, { document, measure }));
    const root = doc.documentElement;
    expect(root.nodeName).toBe('svg');
    expect(root.getAttribute('width')).toBe('640');
    expect(root.getAttribute('height')).toBe('320');
    expect(doc.getElementsByTagName('image')).toHaveLength(0);
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  });

  it('keeps the title, axis titles with units and category labels as text', () => {
    const doc = parse(chartToSvg(bars, { width: 640, height: 320 }, { document, measure }));
    const texts = [...doc.getElementsByTagName('text')].map((t) => t.textContent);
    expect(texts).toContain(bars.title);
    expect(texts).toContain('RTT (ms)');
    expect(texts).toContain('Tunnel');
    for (const c of bars.categories) expect(texts).toContain(c.label);
  });

  it('draws one filled shape per bar, its top at its value on a linear axis', () => {
    const svg = chartToSvg(bars, { width: 640, height: 320 }, { document, measure });
    const doc = parse(svg);
    // A bar is its border colour (tone 0, #0072B2) filled over the bar's full extent, the
    // translucent fill inset within it; nothing else in this chart is filled with that colour.
    const fills = [...doc.querySelectorAll('path, rect')].filter((e) => (e.getAttribute('fill') ?? '').toUpperCase() === '#0072B2');
    expect(fills).toHaveLength(bars.categories.length);
    // Each bar's top sits where its value falls on one linear axis: equal pixels per ms between
    // any two bars (values 1, 2 and 4 ms), and a larger value higher up.
    const tops = fills.map((e) => Math.min(...vertices(e.getAttribute('d') ?? '').map(([, y]) => y)));
    const values = bars.series[0]!.values.map((v) => v!.value);
    const perMs = (i: number, j: number) => (tops[i]! - tops[j]!) / (values[j]! - values[i]!);
    expect(perMs(0, 1)).toBeGreaterThan(0);
    expect(perMs(1, 2)).toBeCloseTo(perMs(0, 1), 1);
  });

  it('strokes a line through every data point even where the browser has Path2D', () => {
    const doc = parse(chartToSvg(line, { width: 640, height: 320 }, { document, measure }));
    // Tone 3 is vermillion (#D55E00).
    const strokes = [...doc.getElementsByTagName('path')].filter((e) => /#d55e00|rgb\(213,\s*94,\s*0\)/i.test(e.getAttribute('stroke') ?? ''));
    const longest = strokes.map((e) => vertices(e.getAttribute('d') ?? '')).sort((a, b) => b.length - a.length)[0] ?? [];
    expect(longest).toHaveLength(line.series[0]!.points.length);
    // x pixels increase with x; y pixels order as the values do (larger value, smaller y).
    const px = longest.map(([x]) => x);
    expect([...px].sort((a, b) => a - b)).toEqual(px);
    const values = line.series[0]!.points.map((p) => p.y);
    for (let i = 1; i < values.length; i++) {
      if (values[i]! > values[i - 1]!) expect(longest[i]![1]).toBeLessThan(longest[i - 1]![1]);
      if (values[i]! < values[i - 1]!) expect(longest[i]![1]).toBeGreaterThan(longest[i - 1]![1]);
    }
  });
});
