/**
 * The results panel under the drawing: the runs browser (every run and campaign of the project
 * with its date, suite, kinds and MTU; paint one, compare two; where the painted run ran and
 * what was deployed there), the all-pairs matrix (linked with the drawing both ways: a cell
 * lights its path, a selected link marks its cells), and the charts.
 */
import { useEffect, useMemo, useState } from 'react';
import { matrix, BANDS, type Thresholds } from '../../../shared/view/matrix';
import { METRICS } from '../../../shared/view/metrics';
import { fillRun, type Env } from '../actions';
import { store, useStore } from '../store/hooks';
import { compareWith, openCampaign, paintRun } from './actions';
import { ChartsTab, LinkCharts } from './ChartsTab';
import { ScaleLegend } from './Legend';
import { AdvisorTab } from '../advise/AdvisorTab';

function RunsTab({ env }: { env: Env }) {
  const runs = useStore((s) => s.runs);
  const campaigns = useStore((s) => s.campaigns);
  const results = useStore((s) => s.results);
  const compare = useStore((s) => s.compare);
  return (
    <div className="runs-tab">
      <section aria-label="Runs">
        <h3>Runs <span className="count">{runs.length}</span></h3>
        {runs.length === 0 ? <p className="muted">None yet. Deploy &amp; measure (Ctrl+M) or <code>overlab measure DIR</code> adds one.</p> : (
          <table className="rows" aria-label="Runs">
            <thead><tr><th>When</th><th>Suite</th><th>Status</th><th>Kinds</th><th>MTU</th><th>Paths</th><th>Tests</th><th>Campaign</th><th /></tr></thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.runId} className={r.runId === results?.runId ? 'painted' : r.runId === compare?.runId ? 'compared' : undefined} data-run={r.runId}>
                  <td title={r.runId}>{new Date(r.startedAt).toLocaleString()}</td>
                  <td>{r.suite}</td>
                  <td className={`status-${r.status}`}>{r.status}</td>
                  <td>{r.kinds.join(', ')}</td>
                  <td>{r.underlayMtu}</td>
                  <td>{r.paths}</td>
                  <td>{r.tests}</td>
                  <td>{r.campaign ? `${r.campaign.kind} @ ${r.campaign.mtu}${r.campaign.conditions ? ` under ${r.campaign.conditions}` : ''}` : ''}</td>
                  <td className="actions">
                    <button type="button" disabled={r.runId === results?.runId} onClick={() => void paintRun(env, r.runId)}>Paint</button>
                    <button type="button" disabled={!results || r.runId === results.runId} onClick={() => void compareWith(env, r.runId === compare?.runId ? undefined : r.runId)}>{r.runId === compare?.runId ? 'Stop comparing' : 'Compare'}</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {campaigns.length ? (
        <section aria-label="Campaigns">
          <h3>Campaigns <span className="count">{campaigns.length}</span></h3>
          <table className="rows" aria-label="Campaigns">
            <thead><tr><th>Started</th><th>Updated</th><th>Suite</th><th>Cells done</th><th /></tr></thead>
            <tbody>
              {campaigns.map((c) => (
                <tr key={c.id} data-campaign={c.id}>
                  <td title={c.id}>{new Date(c.createdAt).toLocaleString()}</td>
                  <td>{new Date(c.updatedAt).toLocaleString()}</td>
                  <td>{c.suite}</td>
                  <td>{c.done} of {c.cells}</td>
                  <td className="actions"><button type="button" onClick={() => void openCampaign(env, c.id)}>Figures</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
      {results ? (
        <section aria-label="Where the painted run ran">
          <h3>Where run {results.runId} ran</h3>
          <table className="rows" aria-label="Environment">
            <thead><tr><th>Host</th><th>Kernel</th><th>OS</th><th>Tools</th><th title="SHA-256 of the bundle deployed when the run started">Bundle</th></tr></thead>
            <tbody>
              {results.environment.map((e) => (
                <tr key={e.hostId}>
                  <td className="strong">{e.host}{e.lab ? <span className="muted"> (lab)</span> : null}</td>
                  <td>{e.kernel ?? '—'}</td>
                  <td>{e.os ?? '—'}</td>
                  <td className="wrap">{Object.entries(e.tools).map(([k, v]) => (v.toLowerCase().startsWith(k.toLowerCase()) ? v : `${k} ${v}`)).join('; ')}</td>
                  <td><code>{e.bundleHash ? e.bundleHash.slice(0, 12) : '—'}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
          {results.sharedMachine ? <p className="muted small">Every host ran on this one machine (the embedded lab): tunnels shared its CPUs, so compare kinds with each other rather than with separate machines.</p> : null}
          {results.problems.length ? <ul className="problems">{results.problems.map((p, i) => <li key={i} className="diag warning">{p}</li>)}</ul> : null}
        </section>
      ) : null}
    </div>
  );
}

function MatrixTab() {
  const results = useStore((s) => s.results);
  const heat = useStore((s) => s.heat);
  const selected = useStore((s) => s.selected);
  const highlight = useStore((s) => s.highlight);
  const [warn, setWarn] = useState('');
  const [bad, setBad] = useState('');
  const [picked, setPicked] = useState<{ label: string; linkIds: readonly string[] }>();
  const thresholds: Thresholds | undefined = warn !== '' && bad !== '' && Number.isFinite(Number(warn)) && Number.isFinite(Number(bad)) ? { warn: Number(warn), bad: Number(bad) } : undefined;
  const view = useMemo(() => (results ? matrix(results, { metric: heat.metric, relative: heat.relative, ...(thresholds ? { thresholds } : {}) }) : undefined), [results, heat.metric, heat.relative, thresholds?.warn, thresholds?.bad]); // eslint-disable-line react-hooks/exhaustive-deps -- thresholds by value
  if (!results || !view) return null;
  const info = METRICS[heat.metric];
  const unit = heat.relative ? info.relative.unit : info.unit;
  const pick = (label: string, linkIds: readonly string[]): void => {
    const s = store.getState();
    s.setHighlight(linkIds);
    s.select(linkIds.slice(0, 1));
    setPicked({ label, linkIds });
  };
  return (
    <div className="matrix-tab">
      <div className="matrix-controls">
        <span><strong>{heat.relative ? info.relative.label : info.label}</strong> <span className="muted">({unit}); rows: from, columns: to — the metric and “relative” follow the bar above</span></span>
        <label>warning {info.better === 'lower' ? 'above' : 'below'} <input aria-label="Warning threshold" value={warn} onChange={(e) => setWarn(e.target.value)} size={6} /></label>
        <label>bad {info.better === 'lower' ? 'above' : 'below'} <input aria-label="Bad threshold" value={bad} onChange={(e) => setBad(e.target.value)} size={6} /></label>
        {highlight.size ? <button type="button" onClick={() => store.getState().setHighlight([])}>Clear the lit path</button> : null}
      </div>
      <div className="matrix-wrap">
        <table className="matrix" aria-label="All-pairs matrix">
          <thead>
            <tr><th />{view.hosts.map((h) => <th key={h.id} scope="col">{h.name}</th>)}</tr>
          </thead>
          <tbody>
            {view.rows.map((row, i) => (
              <tr key={view.hosts[i]!.id}>
                <th scope="row">{view.hosts[i]!.name}</th>
                {row.map((c) => {
                  const linked = c.linkIds.some((id) => selected.has(id));
                  const lit = highlight.size > 0 && c.linkIds.length > 0 && c.linkIds.every((id) => highlight.has(id));
                  return c.src === c.dst ? <td key={c.dst} className="diag-cell" /> : (
                    <td key={c.dst} className={`cell${linked ? ' linked' : ''}${lit ? ' lit' : ''}`} style={{ background: c.colour, color: textOn(c.colour) }} title={`${c.label ?? 'no path'}: ${c.text}${c.conditions ? ` — measured under ${c.conditions}` : ''}`} data-src={c.src} data-dst={c.dst}>
                      <button type="button" disabled={!c.pathId} onClick={() => pick(c.label ?? '', c.linkIds)} aria-label={`${view.hosts[i]!.name} to ${view.hosts.find((h) => h.id === c.dst)!.name}: ${c.text}${c.conditions ? `, under ${c.conditions}` : ''}`}>
                        {c.band ? <span className="band-sign">{BANDS[c.band].sign} </span> : null}{c.text}
                        {/* The direction's link conditions (in force when the run started): a figure means little without them. */}
                        {c.conditions ? <span className="cell-conditions" data-conditions={c.conditions}>{c.conditions}</span> : null}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
        <div className="matrix-legend">
          {thresholds ? (
            <div className="bands">{(['ok', 'warn', 'bad'] as const).map((b) => <span key={b}><span className="swatch" style={{ background: BANDS[b].colour }} /> {BANDS[b].sign} {BANDS[b].label}</span>)}</div>
          ) : <ScaleLegend legend={view.legend} />}
          <p className="muted small">Paths between hosts without a link of their own are LAN to LAN (through the hub on a multi-site). Click a cell: its path lights up on the drawing and its links&apos; charts open here.</p>
        </div>
      </div>
      {picked ? (
        <div className="matrix-charts" aria-label={`Charts of ${picked.label}`}>
          <h3>{picked.label}</h3>
          {picked.linkIds.map((id) => <LinkCharts key={id} results={results} linkId={id} />)}
        </div>
      ) : null}
    </div>
  );
}

/** Dark text on light cells, light on dark (by luminance); colours come as #rrggbb or rgb(r, g, b). */
export function textOn(colour: string): string {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(colour);
  const [r, g, b] = hex ? hex.slice(1).map((x) => parseInt(x, 16)) : rgb ? rgb.slice(1).map(Number) : [255, 255, 255];
  return 0.299 * r! + 0.587 * g! + 0.114 * b! > 140 ? '#111' : '#fff';
}

export function ResultsPanel({ env }: { env: Env }) {
  const tab = useStore((s) => s.resultsTab);
  const lean = useStore((s) => !!s.results?.lean);
  // The charts draw the run's series: a run painted lean is filled in when they open.
  useEffect(() => {
    if (tab === 'charts' && lean) void fillRun(env);
  }, [tab, lean, env]);
  if (!tab) return null;
  const titles = { runs: 'Runs and campaigns', matrix: 'All-pairs matrix', charts: 'Charts', advisor: 'Advisor' } as const;
  return (
    <section className={`results-panel tab-${tab}`} aria-label={titles[tab]} role="region">
      <header>
        <div className="tabs" role="tablist">
          {(['runs', 'matrix', 'charts', 'advisor'] as const).map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => store.getState().showResults(t)}>{titles[t]}</button>
          ))}
        </div>
        <span className="spacer" />
        <button type="button" className="icon" aria-label="Close the results panel" onClick={() => store.getState().showResults(undefined)}>×</button>
      </header>
      <div className="results-body">
        {tab === 'runs' ? <RunsTab env={env} /> : tab === 'matrix' ? <MatrixTab /> : tab === 'advisor' ? <AdvisorTab env={env} /> : <ChartsTab />}
      </div>
    </section>
  );
}
