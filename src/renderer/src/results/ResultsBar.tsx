/**
 * The results bar over the drawing: Deploy & measure and Measure; with a run painted, the
 * heatmap's metric, what the second half of each edge shows, relative to the underlay, width
 * by throughput, the replay slider, the comparison with another run, the drawing's export as
 * SVG or PNG, and the runs, matrix and charts panels.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { drawingSvg } from '../../../shared/view/drawing-svg';
import { METRIC_IDS, METRICS, timeline, type Metric } from '../../../shared/view/metrics';
import type { Second } from '../../../shared/view/heatmap';
import { runCommand, commandById, isEnabled, shortcutText } from '../commands/index';
import { fillRun, type Env } from '../actions';
import { store, useStore } from '../store/hooks';
import { compareWith } from './actions';
import { download, svgToPng } from './download';
import { paintOf } from './paint';

function CommandButton({ env, id, label, primary }: { env: Env; id: string; label: string; primary?: boolean }) {
  const c = commandById(id)!;
  const enabled = useStore((s) => isEnabled(c, s));
  return (
    <button type="button" className={primary ? 'primary' : undefined} disabled={!enabled} data-command={id} title={`${c.label}${c.shortcut ? ` (${shortcutText(c.shortcut)})` : ''}`} onClick={() => void runCommand(env, id)}>
      {label}
    </button>
  );
}

function Replay({ env }: { env: Env }) {
  const results = useStore((s) => s.results);
  // Each moment's values come from the run's series: a run painted lean is filled in first.
  const needSeries = (): void => void fillRun(env);
  const at = useStore((s) => s.heat.at);
  const [playing, setPlaying] = useState(false);
  const line = useMemo(() => (results ? timeline(results) : undefined), [results]);
  const timer = useRef<ReturnType<typeof setInterval>>(undefined);
  useEffect(() => {
    if (!playing || !line) return;
    // The whole run in about 20 s, whatever its length.
    const step = Math.max(100, (line.end - line.start) / 100);
    timer.current = setInterval(() => {
      const cur = store.getState().heat.at ?? line.start;
      const next = cur + step;
      if (next >= line.end) {
        setPlaying(false);
        store.getState().setHeat({ at: undefined });
      } else store.getState().setHeat({ at: next });
    }, 200);
    return () => clearInterval(timer.current);
  }, [playing, line]);
  if (!line || line.end <= line.start) return null;
  const value = at ?? line.end;
  const secs = (value - line.start) / 1000;
  return (
    <div className="replay" role="group" aria-label="Replay">
      <button type="button" className="icon" aria-label={playing ? 'Pause the replay' : 'Play the run'} onClick={() => { needSeries(); if (!playing && at === undefined) store.getState().setHeat({ at: line.start }); setPlaying(!playing); }}>{playing ? '❚❚' : '▶'}</button>
      <input
        type="range"
        aria-label="Replay position"
        min={line.start}
        max={line.end}
        step={Math.max(50, Math.round((line.end - line.start) / 500))}
        value={value}
        onPointerDown={needSeries}
        onFocus={needSeries}
        onChange={(e) => {
          needSeries();
          const v = Number(e.target.value);
          store.getState().setHeat({ at: v >= line.end ? undefined : v });
        }}
      />
      <span className="muted replay-time">{results?.lean && at !== undefined ? 'loading the series… ' : ''}{at === undefined ? 'whole run' : `${secs.toFixed(1)} s of ${((line.end - line.start) / 1000).toFixed(0)} s`}</span>
      {at !== undefined ? <button type="button" onClick={() => { setPlaying(false); store.getState().setHeat({ at: undefined }); }}>Whole run</button> : null}
    </div>
  );
}

/** The painted run's PDF report, written by the engine into the project's reports/ folder. */
function ExportReport({ env, runId, metric }: { env: Env; runId: string; metric: Metric }) {
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    const dir = store.getState().dir;
    if (!env.client || !dir) return;
    setBusy(true);
    try {
      const r = await env.client['report.pdf']({ dir, runId, metric });
      store.getState().notify('info', `Report written: ${r.file}${r.pages ? ` (${r.pages} pages)` : ''}`);
    } catch (e) {
      store.getState().notify('error', `No report: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" disabled={busy || !env.client} data-action="export-report" onClick={() => void run()} title="A PDF report of this run (drawing with this metric, tables, figures, methodology), written into the project's reports/ folder">
      {busy ? 'Report…' : 'Export report'}
    </button>
  );
}

export function ResultsBar({ env }: { env: Env }) {
  const topology = useStore((s) => s.topology);
  const results = useStore((s) => s.results);
  const compare = useStore((s) => s.compare);
  const runs = useStore((s) => s.runs);
  const heat = useStore((s) => s.heat);
  const highlight = useStore((s) => s.highlight);
  const tab = useStore((s) => s.resultsTab);
  if (!topology) return null;
  const set = store.getState().setHeat;
  const directional = METRICS[heat.metric].directional;
  const seconds: { value: Second; label: string }[] = [
    { value: 'none', label: 'one figure' },
    ...(directional ? [{ value: 'reverse' as const, label: 'each direction' }] : []),
    ...METRIC_IDS.filter((m) => m !== heat.metric).map((m) => ({ value: m, label: `+ ${METRICS[m].label}` })),
  ];
  const exportDrawing = async (format: 'svg' | 'png'): Promise<void> => {
    const p = paintOf(results, compare, heat);
    const svg = drawingSvg({ topology, ...(p ? { edges: p.edges, hosts: p.hosts, legends: p.legends, caption: p.caption } : {}), highlight });
    const name = `${topology.name.replace(/[^A-Za-z0-9._-]+/g, '-')}${p ? `-${p.runId}-${heat.metric}` : ''}`;
    if (format === 'svg') download(`${name}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
    else download(`${name}.png`, await svgToPng(svg, 2));
  };
  return (
    <div className="results-bar" role="toolbar" aria-label="Results">
      <div className="tool-group">
        <CommandButton env={env} id="results.deployMeasure" label="Deploy & measure" primary />
        <CommandButton env={env} id="results.measure" label="Measure…" />
      </div>
      {results ? (
        <>
          <label className="check">
            <input type="checkbox" checked={heat.on} onChange={(e) => set({ on: e.target.checked })} aria-label="Heatmap" /> Heatmap
          </label>
          <select aria-label="Metric" value={heat.metric} onChange={(e) => set({ metric: e.target.value as Metric, on: true, ...(heat.second === e.target.value || (heat.second === 'reverse' && !METRICS[e.target.value as Metric].directional) ? { second: 'none' as const } : {}) })}>
            {METRIC_IDS.map((m) => <option key={m} value={m}>{METRICS[m].label} ({METRICS[m].unit})</option>)}
          </select>
          <select aria-label="Second figure" value={heat.second} disabled={!!compare} onChange={(e) => set({ second: e.target.value as Second, on: true })}>
            {seconds.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
          <label className="check" title="What each tunnel adds over the underlay measured between the same hosts">
            <input type="checkbox" checked={heat.relative} onChange={(e) => set({ relative: e.target.checked, on: true })} aria-label="Relative to underlay" /> relative to underlay
          </label>
          <label className="check">
            <input type="checkbox" checked={heat.widthByThroughput} disabled={!!compare} onChange={(e) => set({ widthByThroughput: e.target.checked, on: true })} aria-label="Width by TCP throughput" /> width = TCP
          </label>
          {compare ? null : <Replay env={env} />}
          <label className="compare">compare with
            <select aria-label="Compare with" value={compare?.runId ?? ''} onChange={(e) => void compareWith(env, e.target.value || undefined)}>
              <option value="">—</option>
              {runs.filter((r) => r.runId !== results.runId).map((r) => <option key={r.runId} value={r.runId}>{new Date(r.startedAt).toLocaleString()} · {r.kinds.join(', ')} · MTU {r.underlayMtu}</option>)}
            </select>
          </label>
          <div className="tool-group">
            <button type="button" onClick={() => void exportDrawing('svg')} title="The drawing with its heatmap and legend, as a vector image">SVG</button>
            <button type="button" onClick={() => void exportDrawing('png')} title="The drawing with its heatmap and legend, at twice its size">PNG</button>
            <ExportReport env={env} runId={results.runId} metric={heat.metric} />
          </div>
        </>
      ) : runs.length ? null : <span className="muted">No measurement yet: Deploy &amp; measure brings the lab up, deploys and runs the quick suite.</span>}
      <div className="tool-group end">
        <button type="button" aria-pressed={tab === 'runs'} onClick={() => void runCommand(env, 'results.runs')}>Runs{runs.length ? ` (${runs.length})` : ''}</button>
        <button type="button" aria-pressed={tab === 'matrix'} disabled={!results} onClick={() => void runCommand(env, 'results.matrix')}>Matrix</button>
        <button type="button" aria-pressed={tab === 'charts'} disabled={!results} onClick={() => void runCommand(env, 'results.charts')}>Charts</button>
      </div>
    </div>
  );
}
