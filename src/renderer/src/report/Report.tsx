/**
 * The report route (`#/report?run=ID` or `?campaign=ID`): one document, laid out for A4, that
 * both doors print to PDF (the CLI in Chromium, the desktop app with printToPDF) and the HTML
 * export saves. It loads what it shows through the same client as the app — results.json, a
 * campaign's analysis, and the appendix the engine renders with secrets already redacted — and
 * marks its root `data-report-ready` once everything is drawn (charts are inline SVG, drawn
 * synchronously), or `data-report-error` with the reason, so that a printer knows when to print.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ReportAppendix, ReportClient } from '../../../shared/api';
import type { Advice } from '../../../shared/advise/index';
import { AdviceTable } from '../advise/AdviceTable';
import type { CampaignAnalysis, CampaignFile } from '../../../shared/measure/campaign';
import type { RunResults } from '../../../shared/measure/results';
import { defaultRegistry } from '../../../shared/tunnels/index';
import { campaignFigures, linkCharts, runFigures } from '../../../shared/view/charts';
import { METRICS } from '../../../shared/view/metrics';
import { linkRows } from '../../../shared/view/table';
import type { Connection } from '../api/client';
import type { ReportParams } from './params';
import { Appendix, BundleTable, CampaignClusterTable, CellTable, ConditionsMethod, Contents, Drawing, Environment, LinkFiguresTable, LinkRelativeTable, LinkThroughputTable, LinkSpecTable, LinkToolTable, RunClusterTable, Section, SuiteTable, SvgCharts } from './sections';
import './report.css';

type Loaded =
  | { kind: 'run'; dir: string; results: RunResults; appendix: ReportAppendix; advice: Advice | string }
  | { kind: 'campaign'; dir: string; campaign: CampaignFile; analysis: CampaignAnalysis; runs: RunResults[]; appendix: ReportAppendix; advice: Advice | string };

/** `client` is narrowed to what the printer serves: a call to anything else would be refused there. */
async function load(client: ReportClient, connection: Connection, p: ReportParams): Promise<Loaded> {
  const dir = p.dir ?? (await connection.startDir());
  if (!dir) throw new Error('the report needs a project folder (dir= in the address)');
  if (!p.subject) throw new Error('the report needs run=ID or campaign=ID in the address');
  const appendix = client['report.appendix']({ dir });
  // The advice with the default needs, from every campaign and run of the project; a failure is the section's, not the report's.
  const advice = client['advise.get']({ dir }).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  if (p.subject.kind === 'run') return { kind: 'run', dir, results: await client['runs.get']({ dir, runId: p.subject.runId }), appendix: await appendix, advice: await advice };
  const { campaign, analysis } = await client['campaigns.get']({ dir, campaignId: p.subject.campaignId });
  const runs = await Promise.all(campaign.cells.filter((c) => c.runId).map((c) => client['runs.get']({ dir, runId: c.runId! })));
  return { kind: 'campaign', dir, campaign, analysis, runs, appendix: await appendix, advice: await advice };
}

const when = (iso: string): string => new Date(iso).toLocaleString('en-GB', { dateStyle: 'long', timeStyle: 'short' });

export function Report({ params, connection }: { params: ReportParams; connection: Connection | undefined }) {
  const [data, setData] = useState<Loaded>();
  const [loadProblem, setProblem] = useState<string>();
  const problem = connection ? loadProblem : 'no engine to read the report from (open it from Overlab, or with the URL overlab serve prints)';
  useEffect(() => {
    if (!connection) return;
    load(connection.client, connection, params).then(setData, (e: unknown) => setProblem(e instanceof Error ? e.message : String(e)));
  }, [params, connection]);

  // Ready once the document with every chart is in the DOM and its fonts are loaded.
  useEffect(() => {
    const root = document.getElementById('root');
    if (!root) return;
    // "Overlab report" first: it becomes the PDF's /Title, by which a later report knows the file at its path is one it may replace.
    if (data) document.title = data.kind === 'run' ? `Overlab report — ${data.results.project.name} — run ${data.results.runId}` : `Overlab report — ${data.campaign.project} — campaign ${data.campaign.id}`;
    if (problem) root.setAttribute('data-report-error', problem);
    else if (data) void document.fonts.ready.then(() => requestAnimationFrame(() => root.setAttribute('data-report-ready', 'true')));
  }, [data, problem]);

  if (problem) return <main className="report report--problem"><h1>No report</h1><p role="alert">{problem}</p></main>;
  if (!data) return <main className="report"><p className="muted">Loading the report…</p></main>;
  return data.kind === 'run' ? <RunReport data={data} params={params} /> : <CampaignReport data={data} params={params} />;
}

function Cover({ title, subtitle, facts }: { title: string; subtitle: string; facts: readonly [string, React.ReactNode][] }) {
  return (
    <header className="report-cover">
      <p className="report-brand">Overlab report</p>
      <h1>{title}</h1>
      <p className="report-subtitle">{subtitle}</p>
      <dl className="report-facts">
        {facts.map(([k, v]) => (
          <div key={k}><dt>{k}</dt><dd>{v}</dd></div>
        ))}
      </dl>
    </header>
  );
}

function RunReport({ data, params }: { data: Extract<Loaded, { kind: 'run' }>; params: ReportParams }) {
  const r = data.results;
  const rows = useMemo(() => linkRows(r, defaultRegistry), [r]);
  const figures = useMemo(() => runFigures(r), [r]);
  const perLink = useMemo(() => r.links.map((l) => ({ link: l, specs: linkCharts(r, l.id) })), [r]);
  const sections = [
    { id: 'where', title: 'Where it ran' },
    { id: 'drawing', title: `The topology: ${METRICS[params.metric].label}` },
    { id: 'links', title: 'Per link' },
    { id: 'figures', title: 'Figures' },
    { id: 'clusters', title: 'Clusters by RTT' },
    { id: 'advice', title: 'Advice' },
    { id: 'per-link', title: 'Charts of each link' },
    { id: 'method', title: 'Methodology' },
    { id: 'appendix', title: 'Appendix: what was deployed' },
  ];
  return (
    <main className="report" data-report="run" data-run-id={r.runId}>
      <Cover
        title={r.project.name}
        subtitle={`Measurement run ${r.runId}`}
        facts={[
          ['Date', when(r.startedAt)],
          ['Run', <span className="mono" key="id">{r.runId}</span>],
          ['Suite', `${r.suite.name} — ${r.suite.description}`],
          ['Status', `${r.status}${r.problems.length ? ` (${r.problems.length} problem${r.problems.length > 1 ? 's' : ''})` : ''}`],
          ['Shape', `${r.project.shape}, ${r.topology.hosts.length} hosts, ${r.links.length} links; underlay MTU ${r.project.underlayMtu}`],
          ['Kinds', r.project.kinds.join(', ')],
          ['Hosts', r.environment.map((e) => e.host).join(', ')],
        ]}
      />
      <Contents entries={sections} />
      <Section id="where" title="Where it ran">
        <Environment environment={r.environment} />
        {r.problems.length ? <ul className="report-problems">{r.problems.map((p, i) => <li key={i}>{p}</li>)}</ul> : null}
      </Section>
      <Section id="drawing" title={`The topology: ${METRICS[params.metric].label}`}>
        <Drawing results={r} metric={params.metric} />
      </Section>
      <Section id="links" title="Per link" className="report-page">
        <h3>What each link is</h3>
        <LinkSpecTable rows={rows} />
        <h3>Round-trip time</h3>
        <LinkFiguresTable rows={rows} />
        <h3>Throughput and CPU</h3>
        <LinkThroughputTable rows={rows} />
        <h3>Against the underlay between the same hosts</h3>
        <LinkRelativeTable rows={rows} />
        {rows.some((x) => x.tools?.length) ? (
          <>
            <h3>Further figures (latency under load, transactions, time to first packet…)</h3>
            <LinkToolTable rows={rows} />
          </>
        ) : null}
      </Section>
      <Section id="figures" title="Figures" className="report-page">
        <SvgCharts specs={figures} />
      </Section>
      <Section id="clusters" title="Clusters by RTT">
        <RunClusterTable results={r} />
      </Section>
      <AdviceSection advice={data.advice} />
      <Section id="per-link" title="Charts of each link" className="report-page">
        {perLink.map(({ link, specs }) => (
          <div key={link.id} className="report-link-charts">
            <h3>{link.a} — {link.b} <span className="muted">({link.kind}, MTU {link.mtu})</span></h3>
            <SvgCharts specs={specs} height={280} />
          </div>
        ))}
      </Section>
      <Section id="method" title="Methodology" className="report-page">
        <SuiteTable results={r} />
        <h3>Conditions</h3>
        <ConditionsMethod results={r} />
        <h3>What was deployed</h3>
        <BundleTable environment={r.environment} appendix={data.appendix} />
      </Section>
      <Section id="appendix" title="Appendix: what was deployed" className="report-page">
        <p className="muted">Each host&apos;s scripts as Overlab renders the project now; every secret value is replaced by «redacted: NAME».</p>
        <Appendix appendix={data.appendix} />
      </Section>
    </main>
  );
}

function CampaignReport({ data, params }: { data: Extract<Loaded, { kind: 'campaign' }>; params: ReportParams }) {
  const { campaign, analysis, runs } = data;
  const figures = useMemo(() => campaignFigures(analysis, runs), [analysis, runs]);
  const first = runs[0];
  const env = first?.environment ?? [];
  const done = campaign.cells.filter((c) => c.status === 'done').length;
  const sections = [
    { id: 'where', title: 'Where it ran' },
    { id: 'cells', title: 'Per cell' },
    { id: 'clusters', title: 'Clusters by RTT' },
    { id: 'advice', title: 'Advice' },
    { id: 'figures', title: 'Campaign figures' },
    { id: 'runs', title: 'Each cell’s run' },
    { id: 'method', title: 'Methodology' },
    { id: 'appendix', title: 'Appendix: the project now' },
  ];
  return (
    <main className="report" data-report="campaign" data-campaign-id={campaign.id}>
      <Cover
        title={campaign.project}
        subtitle={`Campaign ${campaign.id}`}
        facts={[
          ['Date', when(campaign.createdAt)],
          ['Campaign', <span className="mono" key="id">{campaign.id}</span>],
          ['Suite', `${campaign.suite}, ${campaign.repeat} repetition${campaign.repeat > 1 ? 's' : ''}${campaign.duration ? `, ${campaign.duration} s per test` : ''}`],
          ['Cells', `${done} of ${campaign.cells.length} measured: ${[...new Set(campaign.cells.map((c) => c.label))].join(', ')} at MTU ${[...new Set(campaign.cells.map((c) => c.mtu))].join(', ')}${campaign.conditions ? `, under conditions ${campaign.conditions.join(', ')} (a preset on every link)` : ''}`],
          ['Hosts', env.map((e) => e.host).join(', ')],
        ]}
      />
      <Contents entries={sections} />
      <Section id="where" title="Where it ran">
        <Environment environment={env} />
      </Section>
      <Section id="cells" title="Per cell" className="report-page">
        <CellTable campaign={campaign} analysis={analysis} />
      </Section>
      <Section id="clusters" title="Clusters by RTT">
        <CampaignClusterTable analysis={analysis} />
      </Section>
      <AdviceSection advice={data.advice} />
      <Section id="figures" title="Campaign figures" className="report-page">
        <SvgCharts specs={figures} />
      </Section>
      <Section id="runs" title="Each cell’s run" className="report-page">
        {runs.map((r) => (
          <div key={r.runId} className="report-cell-run">
            <h3>{r.campaign ? `${r.campaign.kind} @ ${r.campaign.mtu}${r.campaign.conditions ? ` under ${r.campaign.conditions}` : ''}` : r.runId} <span className="muted mono">{r.runId}</span></h3>
            <Drawing results={r} metric={params.metric} />
            <LinkFiguresTable rows={linkRows(r, defaultRegistry)} />
            <LinkThroughputTable rows={linkRows(r, defaultRegistry)} />
            <LinkToolTable rows={linkRows(r, defaultRegistry)} />
          </div>
        ))}
      </Section>
      <Section id="method" title="Methodology" className="report-page">
        {first ? <SuiteTable results={first} /> : <p className="muted">No cell was measured.</p>}
        <h3>Conditions</h3>
        {campaign.conditions ? (
          <p>Each cell ran with one conditions preset on every link ({campaign.conditions.join(', ')}; none: the lab&apos;s wire as it is), applied with tc on each host&apos;s underlay egress and read back before its first test; a cell whose run was not measured under its preset (read back) is failed, not shown. Kinds are ranked and clustered only against kinds under the same conditions. Each cell&apos;s conditions in force are in its run&apos;s report.</p>
        ) : (
          <p>None: every cell ran over the lab&apos;s wire as it is (the paper&apos;s setting).</p>
        )}
        <h3>What was deployed (first cell)</h3>
        <BundleTable environment={env} appendix={data.appendix} />
      </Section>
      <Section id="appendix" title="Appendix: the project now" className="report-page">
        <p className="muted">Each host&apos;s scripts as Overlab renders the project now (a campaign re-plans the project per cell); every secret value is replaced by «redacted: NAME».</p>
        <Appendix appendix={data.appendix} />
      </Section>
    </main>
  );
}

/** Which kind for the default needs, from every campaign and run of the project (not only this report's subject). */
function AdviceSection({ advice }: { advice: Advice | string }) {
  return (
    <Section id="advice" title="Advice">
      <p className="muted">Which tunnel kind, from every campaign and run of this project, for the needs the project states (the advice section of overlab.yaml, set in the Advisor tab; the defaults for those it does not state — the Needs line says which). For other needs: overlab advise DIR --encrypted, --layer, --nat, --min-mtu, --priority, --cpu-budget. Kinds whose intervals overlap, or that differ by less than the noise floor, share a rank.</p>
      {typeof advice === 'string' ? <p role="alert">The advisor could not answer: {advice}</p> : <AdviceTable advice={advice} />}
    </Section>
  );
}
