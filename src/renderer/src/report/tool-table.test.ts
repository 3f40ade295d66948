// @vitest-environment jsdom
/**
 * The report's table of figures from tools that declare their metrics: one row per link and
 * figure, the figure's label, its value in its unit and its interval; nothing at all for a run
 * without such figures (the report of the paper's and the quick suite stays as it was).
 */
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunResults } from '../../../shared/measure/results';
import { defaultRegistry } from '../../../shared/tunnels/index';
import { linkRows } from '../../../shared/view/table';
import { LinkToolTable } from './sections';
import mesh4Json from '../../../../tests/fixtures/results/mesh4/results.json';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const mesh4 = mesh4Json as unknown as RunResults;

let host: HTMLDivElement;
let root: Root;
beforeEach(() => {
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
});
afterEach(() => {
  act(() => root.unmount());
  host.remove();
});

describe('LinkToolTable', () => {
  it('shows each declared figure of each link as a row, with its unit and interval', () => {
    const tunnel = `${mesh4.links[1]!.id}.tunnel`;
    const tps = { mean: 21093.2, ci95: { low: 20000, high: 22000, halfWidth: 1000, level: 0.95 }, values: [20500, 21686.4], unit: 'trans/s', over: 'repetitions' as const };
    const p99 = { mean: 88, values: [88], unit: 'µs', over: 'repetitions' as const };
    const r: RunResults = { ...mesh4, summary: { ...mesh4.summary, paths: { ...mesh4.summary.paths, [tunnel]: { ...mesh4.summary.paths[tunnel]!, metrics: { 'rr-tcp:forward': { transactionsPerSecond: tps, p99LatencyUs: p99 } } } } } };
    act(() => root.render(createElement(LinkToolTable, { rows: linkRows(r, defaultRegistry) })));
    const rows = [...host.querySelectorAll('table[data-table="links-tools"] tbody tr')];
    expect(rows.map((x) => x.getAttribute('data-figure'))).toEqual(['rr-tcp:forward:transactionsPerSecond', 'rr-tcp:forward:p99LatencyUs']);
    expect(rows.every((x) => x.getAttribute('data-link') === mesh4.links[1]!.id)).toBe(true);
    const cells = [...rows[0]!.querySelectorAll('td')].map((x) => x.textContent);
    expect(cells[0]).toBe('rr-tcp: Transactions');
    expect(cells[1]).toContain('trans/s');
    expect(cells[2]).toMatch(/^20000 trans\/s – 22000 trans\/s$/);
    expect([...rows[1]!.querySelectorAll('td')].map((x) => x.textContent)[1]).toBe('88.0 µs');
  });

  it('draws nothing for a run without such figures', () => {
    act(() => root.render(createElement(LinkToolTable, { rows: linkRows(mesh4, defaultRegistry) })));
    expect(host.innerHTML).toBe('');
  });
});
