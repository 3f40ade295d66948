// @vitest-environment jsdom
/**
 * The chart views' DOM contract, which the e2e pixel checks and the printed report rely on:
 * one figure per spec with the spec's id in `data-chart-id`, a canvas and PNG/SVG buttons for a
 * drawn chart, the reason for an empty one. jsdom has no 2D canvas, so chart.js draws nothing
 * here — and the figure must then not claim to be ready.
 */
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BarChart, ChartSpec, EmptyChart } from '../../../shared/view/charts';
import { ChartGrid } from './views';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const bars: BarChart = {
  kind: 'bar',
  id: 'run:rtt-sorted',
  title: 'Mean RTT per tunnel',
  x: { label: 'Tunnel' },
  y: { label: 'RTT', unit: 'ms' },
  categories: [{ id: 'l1.tunnel', label: 'vxlan a → b' }],
  series: [{ key: 'rtt', label: 'Mean RTT', tone: 0, values: [{ value: 0.4, low: 0.3, high: 0.5 }] }],
  note: 'Error bars: 95 % interval.',
};
const none: EmptyChart = { kind: 'empty', id: 'run:netperf', title: 'netperf per tunnel', empty: 'The run has no netperf test.' };

let host: HTMLDivElement;
let root: Root;

beforeEach(() => {
  // chart.js reports the missing context on the console; that is expected here.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
});

afterEach(() => {
  act(() => root.unmount());
  host.remove();
  vi.restoreAllMocks();
});

const render = (specs: ChartSpec[], showEmpty?: boolean) => act(() => root.render(createElement(ChartGrid, { specs, ...(showEmpty !== undefined ? { showEmpty } : {}) })));

describe('ChartGrid', () => {
  it('gives every spec one figure keyed by its id', () => {
    render([bars, none]);
    const ids = [...host.querySelectorAll('figure[data-chart-id]')].map((f) => f.getAttribute('data-chart-id'));
    expect(ids).toEqual([bars.id, none.id]);
  });

  it('a drawn chart has its canvas, its note and PNG and SVG buttons', () => {
    render([bars]);
    const fig = host.querySelector(`figure[data-chart-id="${bars.id}"]`)!;
    expect(fig.querySelectorAll('canvas')).toHaveLength(1);
    expect(fig.querySelector('canvas')!.getAttribute('aria-label')).toBe(bars.title);
    expect(fig.textContent).toContain(bars.note);
    expect([...fig.querySelectorAll('button')].map((b) => b.textContent)).toEqual(['PNG', 'SVG']);
    // No 2D context in jsdom: nothing was drawn, so the figure is not marked ready.
    expect(fig.hasAttribute('data-chart-ready')).toBe(false);
  });

  it('an empty spec shows why instead of a chart, and can be left out', () => {
    render([bars, none]);
    const fig = host.querySelector(`figure[data-chart-id="${none.id}"]`)!;
    expect(fig.querySelector('canvas')).toBeNull();
    expect(fig.textContent).toContain(none.empty);
    render([bars, none], false);
    expect(host.querySelector(`figure[data-chart-id="${none.id}"]`)).toBeNull();
    expect(host.querySelector(`figure[data-chart-id="${bars.id}"]`)).not.toBeNull();
  });
});
