/**
 * The charts tab: the painted run's per-link table, then the charts of what is picked — one
 * link (a click on its edge or its row), the whole run (the paper's figures from this run), or
 * a campaign (the paper's figures across kinds and MTUs). While a run is compared with the
 * painted one, the two runs' per-link figures come first, side by side, each run named with the
 * conditions it was measured under.
 */
import { useMemo } from 'react';
import { runsCompared } from '../../../shared/view/charts';
import { formatValue } from '../../../shared/view/metrics';
import { linkRows, type LinkRow } from '../../../shared/view/table';
import { CampaignFigures, ChartGrid, LinkCharts as LinkChartGrid, RunFigures } from '../charts/index';
import type { RunResults } from '../../../shared/measure/results';
import { registry } from '../derived';
import { store, useStore } from '../store/hooks';

const f = (v: number | undefined, digits = 3): string => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toPrecision(digits));

export function LinkTable({ rows, picked }: { rows: readonly LinkRow[]; picked?: string }) {
  return (
    <table className="rows link-table" aria-label="Links measured">
      <thead>
        <tr>
          <th>Link</th><th>Kind</th><th>Layer</th><th>Enc.</th><th title="Inner MTU / underlay MTU">MTU</th><th>MSS</th><th title="Bytes of headers the tunnel adds">Overhead</th>
          <th title="RTT mean ± σ, ms">RTT ms</th><th title="95th percentile">p95</th><th title="95 % confidence interval of the mean">95 % CI</th><th>Loss %</th><th title="RFC 3550 jitter">Jitter ms</th>
          <th title="iperf TCP a → b / b → a">TCP Mbit/s</th><th>UDP Mbit/s</th><th>UDP loss %</th><th title="Busiest end during throughput tests">CPU %</th>
          <th title="RTT the tunnel adds over the underlay">+RTT ms</th><th title="Share of the underlay's TCP throughput kept">TCP kept</th>
          <th title="Link conditions the run was measured under, read back from tc (a → b | b → a where they differ); the underlay baseline rode the same">Conditions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.linkId} className={r.linkId === picked ? 'painted' : undefined} onClick={() => store.getState().showResults('charts', { type: 'link', linkId: r.linkId })} data-link={r.linkId}>
            <td className="strong">{r.link}</td>
            <td>{r.kind}</td>
            <td>{r.layer ?? ''}</td>
            <td>{r.encrypted ? 'yes' : 'no'}</td>
            <td>{r.mtu} / {r.underlayMtu}</td>
            <td>{r.mss}</td>
            <td>{r.overheadBytes} B</td>
            <td>{r.rttMeanMs === undefined ? '—' : `${f(r.rttMeanMs)} ± ${f(r.rttSdMs, 2)}`}</td>
            <td>{f(r.rttP95Ms)}</td>
            <td>{r.rttCi95Ms ? `${f(r.rttCi95Ms[0])}–${f(r.rttCi95Ms[1])}` : '—'}</td>
            <td>{f(r.lossPercent, 2)}</td>
            <td>{f(r.jitterMs, 2)}</td>
            <td>{r.tcpForwardMbps === undefined ? '—' : `${f(r.tcpForwardMbps)} / ${f(r.tcpReverseMbps)}`}</td>
            <td>{f(r.udpForwardMbps)}</td>
            <td>{f(r.udpLossPercent, 2)}</td>
            <td>{f(r.cpuPercent, 2)}</td>
            <td title={r.relative.rttAddedSignificant === false ? 'within the intervals: not shown to be real' : undefined}>{r.relative.rttAddedMs === undefined ? '—' : `${r.relative.rttAddedMs >= 0 ? '+' : ''}${f(r.relative.rttAddedMs)}${r.relative.rttAddedSignificant === false ? ' ≈' : ''}`}</td>
            <td>{r.relative.tcpKeptPercent === undefined ? '—' : `${r.relative.tcpKeptPercent.toFixed(0)} %`}</td>
            <td className={r.conditions?.mismatch.length ? 'conditions mismatch' : 'conditions'} title={r.conditions ? [r.conditions.text, ...r.conditions.mismatch.map((m) => `not as asked: ${m}`)].join('\n') : 'none: the lab wire as it is'} data-conditions={r.conditions?.badge ?? 'none'}>{r.conditions?.badge ?? 'none'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The figures of tools that declare their metrics (latency under load, transactions, time to
 * first packet…): one row per link and figure, with the figure's 95 % interval when repeated.
 */
export function ToolFigureTable({ rows, picked }: { rows: readonly LinkRow[]; picked?: string }) {
  const withTools = rows.filter((r) => r.tools?.length);
  if (!withTools.length) return null;
  return (
    <table className="rows link-table" aria-label="Further figures per link" data-table="links-tools">
      <thead>
        <tr><th>Link</th><th>Kind</th><th>Figure</th><th title="Mean across repetitions">Value</th><th title="95 % confidence interval of the mean (across repetitions)">95 % CI</th><th>Better</th></tr>
      </thead>
      <tbody>
        {withTools.flatMap((r) =>
          r.tools!.map((x) => (
            <tr key={`${r.linkId} ${x.key}`} className={r.linkId === picked ? 'painted' : undefined} onClick={() => store.getState().showResults('charts', { type: 'link', linkId: r.linkId })} data-link={r.linkId} data-figure={x.key}>
              <td className="strong">{r.link}</td>
              <td>{r.kind}</td>
              <td>{x.label}</td>
              <td>{formatValue(x.value, x.unit)}</td>
              <td>{x.ci95 ? `${f(x.ci95[0])}–${f(x.ci95[1])}` : '—'}</td>
              <td>{x.better}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

/** One link's figures and charts. */
export function LinkCharts({ results, linkId }: { results: RunResults; linkId: string }) {
  const row = linkRows(results, registry).find((r) => r.linkId === linkId);
  if (!row) return <p className="muted">This link was not in run {results.runId}.</p>;
  return (
    <div className="link-charts" data-link={linkId}>
      <h4>{row.link} <span className="muted">({row.kindName}, MTU {row.mtu})</span></h4>
      {row.failures.length ? <ul className="problems">{row.failures.map((x, i) => <li key={i} className="diag error">{x}</li>)}</ul> : null}
      <LinkChartGrid results={results} linkId={linkId} />
    </div>
  );
}

export function ChartsTab() {
  const results = useStore((s) => s.results);
  const compare = useStore((s) => s.compare);
  const subject = useStore((s) => s.charts);
  const campaign = useStore((s) => s.campaign);
  // The older run first, as the drawing's comparison takes it.
  const compared = useMemo(() => {
    if (!results || !compare || results.lean || compare.lean) return [];
    const [before, after] = Date.parse(compare.startedAt) <= Date.parse(results.startedAt) ? [compare, results] : [results, compare];
    return runsCompared(before, after);
  }, [results, compare]);
  const runs = useMemo(() => (campaign ? Object.values(campaign.runs) : []), [campaign]);
  const rows = useMemo(() => (results && !results.lean ? linkRows(results, registry) : []), [results]);
  if (subject?.type === 'campaign' && campaign) {
    const skipped = campaign.file.cells.filter((c) => c.status === 'skipped' || c.status === 'failed');
    return (
      <div className="charts-tab">
        <p>Campaign <code>{campaign.file.id}</code>: suite {campaign.file.suite}, {campaign.file.cells.filter((c) => c.status === 'done').length} of {campaign.file.cells.length} cells measured.</p>
        {skipped.length ? <ul className="problems">{skipped.map((c) => <li key={c.id} className="diag warning">{c.id} {c.status}: {c.reason ?? ''}</li>)}</ul> : null}
        <CampaignFigures analysis={campaign.analysis} runs={runs} showEmpty={false} />
      </div>
    );
  }
  if (!results) return <p className="muted">Paint a run (Runs) to see its charts.</p>;
  return (
    <div className="charts-tab">
      <div className="charts-subject" role="group" aria-label="What the charts show">
        <button type="button" aria-pressed={subject?.type !== 'link'} onClick={() => store.getState().showResults('charts', { type: 'run' })}>The whole run</button>
        {subject?.type === 'link' ? <span className="muted">one link: click another row or edge to change</span> : <span className="muted">click a row or an edge for one link&apos;s charts</span>}
      </div>
      {results.lean ? (
        // (A run read lean has no per-path summaries: the table waits for the whole run too.)
        <p className="muted" role="status">Loading the run&apos;s tests and series (RTT samples, intervals, CPU)…</p>
      ) : (
        <>
          <LinkTable rows={rows} {...(subject?.type === 'link' ? { picked: subject.linkId } : {})} />
          <ToolFigureTable rows={rows} {...(subject?.type === 'link' ? { picked: subject.linkId } : {})} />
          {compared.length ? (
            <section className="overlab-chart-view" data-charts="compare" aria-label="The two runs side by side">
              <ChartGrid specs={compared} showEmpty={false} />
            </section>
          ) : null}
          {subject?.type === 'link' ? <LinkCharts results={results} linkId={subject.linkId} /> : <RunFigures results={results} showEmpty={false} />}
        </>
      )}
    </div>
  );
}
