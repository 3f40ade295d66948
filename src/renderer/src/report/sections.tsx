/**
 * The report's sections, each a pure function of results.json (and a campaign's analysis, and
 * the engine's redacted appendix): the same figures as the results views, laid out for A4.
 */
import { useMemo } from 'react';
import type { ReportAppendix } from '../../../shared/api';
import { CPU_PER_GBPS } from '../../../shared/measure/analyse';
import type { CampaignAnalysis, CampaignFile } from '../../../shared/measure/campaign';
import type { HostEnvironment, RunResults } from '../../../shared/measure/results';
import { describe as describeCondition } from '../../../shared/conditions';
import type { ChartSpec } from '../../../shared/view/charts';
import { runConditions } from '../../../shared/view/conditions';
import { runRttClusters } from '../../../shared/view/charts';
import { drawingSvg, type DrawnEdge } from '../../../shared/view/drawing-svg';
import { heatmap } from '../../../shared/view/heatmap';
import { formatValue, METRICS, type Metric } from '../../../shared/view/metrics';
import type { LinkRow } from '../../../shared/view/table';
import { chartToSvg, type DrawnSpec } from '../charts';

/** A figure in the report's number style (the one the tests read back from the PDF). */
export const ms = (v: number | undefined): string => (v === undefined ? '–' : formatValue(v, 'ms'));
export const mbps = (v: number | undefined): string => (v === undefined ? '–' : formatValue(v, 'Mbit/s'));
export const pct = (v: number | undefined): string => (v === undefined ? '–' : formatValue(v, '%'));
const yesNo = (v: boolean | undefined): string => (v === undefined ? '–' : v ? 'yes' : 'no');

export function Section({ id, title, children, className }: { id: string; title: string; children: React.ReactNode; className?: string }) {
  return (
    <section id={id} className={`report-section${className ? ` ${className}` : ''}`} aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      {children}
    </section>
  );
}

export function Contents({ entries }: { entries: readonly { id: string; title: string }[] }) {
  return (
    <nav className="report-toc" aria-label="Contents">
      <h2>Contents</h2>
      <ol>
        {entries.map((e) => (
          <li key={e.id}>
            <a href={`#${e.id}`}>{e.title}</a>
          </li>
        ))}
      </ol>
    </nav>
  );
}

/** Each host: OS, kernel, whether it is a lab namespace, the tool versions it printed. */
export function Environment({ environment }: { environment: readonly HostEnvironment[] }) {
  return (
    <table className="report-table" data-table="environment">
      <thead>
        <tr>
          <th>Host</th>
          <th>OS</th>
          <th>Kernel</th>
          <th>Where</th>
          <th>Tools</th>
        </tr>
      </thead>
      <tbody>
        {environment.map((e) => (
          <tr key={e.hostId}>
            <th scope="row">{e.host}</th>
            <td>{e.os ?? '–'}</td>
            <td className="nowrap">{e.kernel ?? '–'}</td>
            <td>{e.lab ? 'embedded lab' : 'remote'}</td>
            <td>
              {Object.entries(e.tools).sort(([a], [b]) => a.localeCompare(b)).map(([tool, version]) => (
                <div key={tool}><span className="muted">{tool}:</span> {version}</div>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The drawing with the heatmap of `metric`, its legend under it: inline SVG, vector in print. */
export function Drawing({ results, metric, painted = true }: { results: RunResults; metric: Metric; painted?: boolean }) {
  const svg = useMemo(() => {
    if (!painted) return drawingSvg({ topology: results.topology, caption: `${results.topology.name}: ${results.topology.shape}, ${results.topology.hosts.length} hosts, ${results.topology.links.length} links` });
    const v = heatmap(results, { metric, second: METRICS[metric].directional ? 'reverse' : 'none', widthByThroughput: true });
    const edges = new Map<string, DrawnEdge>();
    for (const [id, e] of v.edges) {
      edges.set(id, {
        halves: e.halves.map((h) => ({ colour: h.colour, text: h.text, ...(h.direction ? { direction: h.direction === 'forward' ? '→' : '←' } : {}) })),
        width: e.width,
        ...(e.uncertain ? { uncertain: true } : {}),
        ...(e.failures.length ? { failed: true } : {}),
        ...(e.conditions ? { conditions: { badge: e.conditions.badge } } : {}),
      });
    }
    return drawingSvg({ topology: results.topology, edges, hosts: v.hosts, legends: v.legends, caption: `${METRICS[metric].label} of run ${results.runId}; width: TCP throughput a → b` });
  }, [results, metric, painted]);
  return <figure className="report-drawing" data-figure="drawing" dangerouslySetInnerHTML={{ __html: svg }} />;
}

/** What each link is. */
export function LinkSpecTable({ rows }: { rows: readonly LinkRow[] }) {
  return (
    <table className="report-table" data-table="links-spec">
      <thead>
        <tr>
          <th>Link</th><th>Kind</th><th>Layer</th><th>Encrypted</th><th className="num">Underlay MTU</th><th className="num">Inner MTU</th><th className="num">MSS</th><th className="num">Overhead (B)</th><th>Conditions (in force)</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.linkId} data-link={r.linkId}>
            <th scope="row">{r.link}</th><td>{r.kind}</td><td>{r.layer ?? '–'}</td><td>{yesNo(r.encrypted)}</td><td className="num">{r.underlayMtu}</td><td className="num">{r.mtu}</td><td className="num">{r.mss}</td><td className="num">{r.overheadBytes}</td><td data-conditions={r.conditions?.badge ?? 'none'}>{r.conditions?.text ?? 'none'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What each link measured: RTT. */
export function LinkFiguresTable({ rows }: { rows: readonly LinkRow[] }) {
  return (
    <table className="report-table" data-table="links-rtt">
      <thead>
        <tr>
          <th>Link</th><th className="num">RTT mean</th><th className="num">σ</th><th className="num">p95</th><th className="num">95 % CI of the mean</th><th className="num">Loss</th><th className="num">Jitter</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.linkId} data-link={r.linkId}>
            <th scope="row">{r.link} <span className="muted">({r.kind})</span></th>
            <td className="num">{ms(r.rttMeanMs)}</td>
            <td className="num">{ms(r.rttSdMs)}</td>
            <td className="num">{ms(r.rttP95Ms)}</td>
            <td className="num ci">{r.rttCi95Ms ? `${ms(r.rttCi95Ms[0])} – ${ms(r.rttCi95Ms[1])}` : '–'}</td>
            <td className="num">{pct(r.lossPercent)}</td>
            <td className="num">{ms(r.jitterMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What each link measured: throughput and CPU. */
export function LinkThroughputTable({ rows }: { rows: readonly LinkRow[] }) {
  return (
    <table className="report-table" data-table="links-throughput">
      <thead>
        <tr>
          <th>Link</th><th className="num">TCP a → b</th><th className="num">TCP b → a</th><th className="num">UDP a → b</th><th className="num">UDP loss</th><th className="num">CPU (busiest end)</th><th className="num" title={CPU_PER_GBPS.explain}>{CPU_PER_GBPS.header}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.linkId} data-link={r.linkId}>
            <th scope="row">{r.link} <span className="muted">({r.kind})</span></th>
            <td className="num">{mbps(r.tcpForwardMbps)}</td>
            <td className="num">{mbps(r.tcpReverseMbps)}</td>
            <td className="num">{mbps(r.udpForwardMbps)}</td>
            <td className="num">{pct(r.udpLossPercent)}</td>
            <td className="num">{pct(r.cpuPercent)}</td>
            <td className="num">{r.cpuPerGbps === undefined ? '–' : formatValue(r.cpuPerGbps, CPU_PER_GBPS.unit)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Figures of tools that declare their metrics (tools/<tool>.ts): one row per link and figure. */
export function LinkToolTable({ rows }: { rows: readonly LinkRow[] }) {
  const withTools = rows.filter((r) => r.tools?.length);
  if (!withTools.length) return null;
  return (
    <table className="report-table" data-table="links-tools">
      <thead>
        <tr>
          <th>Link</th><th>Figure</th><th className="num">Value</th><th className="num">95 % CI of the mean</th><th>Better</th>
        </tr>
      </thead>
      <tbody>
        {withTools.flatMap((r) =>
          r.tools!.map((x) => (
            <tr key={`${r.linkId} ${x.key}`} data-link={r.linkId} data-figure={x.key}>
              <th scope="row">{r.link} <span className="muted">({r.kind})</span></th>
              <td>{x.label}</td>
              <td className="num">{formatValue(x.value, x.unit)}</td>
              <td className="num ci">{x.ci95 ? `${formatValue(x.ci95[0], x.unit)} – ${formatValue(x.ci95[1], x.unit)}` : '–'}</td>
              <td>{x.better}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

/** The same against the underlay baseline between the same hosts. */
export function LinkRelativeTable({ rows }: { rows: readonly LinkRow[] }) {
  return (
    <table className="report-table" data-table="links-relative">
      <thead>
        <tr>
          <th>Link</th><th className="num">Underlay RTT</th><th className="num">RTT added</th><th className="num">Underlay TCP</th><th className="num">TCP kept</th><th className="num">UDP kept</th><th>Failures</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.linkId} data-link={r.linkId}>
            <th scope="row">{r.link} <span className="muted">({r.kind})</span></th>
            <td className="num">{ms(r.underlay.rttMeanMs)}</td>
            <td className="num">{r.relative.rttAddedMs === undefined ? '–' : `${r.relative.rttAddedMs > 0 ? '+' : ''}${ms(r.relative.rttAddedMs)}${r.relative.rttAddedSignificant === false ? ' (within noise)' : ''}`}</td>
            <td className="num">{mbps(r.underlay.tcpForwardMbps)}</td>
            <td className="num">{pct(r.relative.tcpKeptPercent)}</td>
            <td className="num">{pct(r.relative.udpKeptPercent)}</td>
            <td>{r.failures.length ? r.failures.join('; ') : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The run's clusters of tunnels by mean RTT: μ and σ over every sample of the cluster's tunnels. */
export function RunClusterTable({ results }: { results: RunResults }) {
  const specs = useMemo(() => runRttClusters(results), [results]);
  const clusters = results.summary.clusters;
  if (!clusters.length) return <p className="muted">No tunnel RTT was measured: no clusters.</p>;
  const label = (pid: string): string => {
    const p = results.paths.find((x) => x.id === pid);
    const l = results.links.find((x) => x.id === p?.linkId);
    return l ? `${l.a} — ${l.b} (${l.kind})` : pid;
  };
  return (
    <table className="report-table" data-table="clusters">
      <thead>
        <tr><th>Cluster</th><th className="num">μ RTT</th><th className="num">σ</th><th className="num">Samples</th><th>Members</th></tr>
      </thead>
      <tbody>
        {clusters.map((c, i) => {
          const st = specs[i]?.kind !== 'empty' ? (specs[i] as Exclude<ChartSpec, { kind: 'empty' }>).stats : undefined;
          return (
            <tr key={i}>
              <th scope="row">{i + 1}</th>
              <td className="num">{ms(st?.mean ?? c.mean)}</td>
              <td className="num">{ms(st?.sd ?? c.sd)}</td>
              <td className="num">{st?.n ?? '–'}</td>
              <td>{c.pathIds.map(label).join(', ')}{c.tie && results.summary.noise ? ` — tie: within noise ±${ms(results.summary.noise.ms)}` : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function CampaignClusterTable({ analysis }: { analysis: CampaignAnalysis }) {
  return (
    <table className="report-table" data-table="clusters">
      <thead>
        <tr><th>MTU</th><th>Conditions</th><th>Cluster</th><th className="num">μ RTT</th><th className="num">σ</th><th>Members</th></tr>
      </thead>
      <tbody>
        {analysis.byMtu.flatMap((m) =>
          m.clusters.map((c, i) => (
            <tr key={`${m.mtu}-${m.conditions ?? 'none'}-${i}`}>
              <td>{m.mtu}</td><td>{m.conditions ?? 'none'}</td><th scope="row">{i + 1}</th><td className="num">{ms(c.mean)}</td><td className="num">{ms(c.sd)}</td><td>{c.cells.join(', ')}{c.tie && m.noise ? ` — tie: within noise ±${ms(m.noise.ms)}` : ''}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

/** One row per cell of the campaign: what it measured, or why it was skipped. */
export function CellTable({ campaign, analysis }: { campaign: CampaignFile; analysis: CampaignAnalysis }) {
  const figs = new Map(analysis.cells.map((c) => [c.cell, c]));
  const tp = (c: CampaignAnalysis['cells'][number] | undefined, proto: 'tcp' | 'udp'): number | undefined => {
    const k = Object.keys(c?.throughput ?? {}).find((x) => x.includes(proto) && x.endsWith(':forward'));
    return k ? c!.throughput[k]!.mean : undefined;
  };
  return (
    <table className="report-table" data-table="cells">
      <thead>
        <tr><th>Cell</th><th>Status</th><th className="num">RTT mean</th><th className="num">σ</th><th className="num">95 % CI</th><th className="num">Loss</th><th className="num">TCP →</th><th className="num">UDP</th><th className="num">Underlay RTT</th></tr>
      </thead>
      <tbody>
        {campaign.cells.map((cell) => {
          const f = figs.get(cell.id);
          return (
            <tr key={cell.id} data-cell={cell.id}>
              <th scope="row">{cell.label} @ {cell.mtu}{cell.conditions ? ` under ${cell.conditions}` : ''}</th>
              <td>{cell.status}{cell.reason ? `: ${cell.reason}` : ''}</td>
              <td className="num">{ms(f?.rtt?.mean)}</td>
              <td className="num">{ms(f?.rtt?.sd)}</td>
              <td className="num ci">{f?.rtt?.ci95 ? `${ms(f.rtt.ci95.low)} – ${ms(f.rtt.ci95.high)}` : '–'}</td>
              <td className="num">{pct(f?.rtt?.lossPercent)}</td>
              <td className="num">{mbps(tp(f, 'tcp'))}</td>
              <td className="num">{mbps(tp(f, 'udp'))}</td>
              <td className="num">{ms(f?.baseline.rttMs)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Charts as inline SVG (vector: sharp at any print resolution, and kept in the HTML export). */
export function SvgCharts({ specs, width = 680, height = 330, columns = 1 }: { specs: readonly ChartSpec[]; width?: number; height?: number; columns?: 1 | 2 }) {
  const drawn = useMemo(() => specs.filter((s): s is DrawnSpec => s.kind !== 'empty').map((s) => ({ spec: s, svg: chartToSvg(s, { width, height }) })), [specs, width, height]);
  const empty = specs.filter((s) => s.kind === 'empty');
  return (
    <>
      <div className={`report-charts report-charts--${columns}`}>
        {drawn.map(({ spec, svg }) => (
          <figure key={spec.id} className="report-chart" data-chart-id={spec.id} data-chart-ready="true">
            {/* The chart draws its own title and subtitle. */}
            <div className="report-chart__svg" dangerouslySetInnerHTML={{ __html: svg }} />
            {spec.note ? <p className="report-chart__note">{spec.note}</p> : null}
          </figure>
        ))}
      </div>
      {empty.length ? (
        <ul className="report-empty">
          {empty.map((s) => <li key={s.id}><strong>{s.title}</strong>: {s.kind === 'empty' ? s.empty : ''}</li>)}
        </ul>
      ) : null}
    </>
  );
}

/** The suite as it ran: each test with its parameters. */
export function SuiteTable({ results }: { results: RunResults }) {
  const s = results.suite;
  return (
    <>
      <p>
        Suite <strong>{s.name}</strong>: {s.description}. Repetitions: {s.repeat}. Underlay baseline: {s.baseline ? 'measured between the same hosts' : 'not measured'}; LAN to LAN: {s.lan ? 'measured' : 'not measured'}.
        {results.sharedMachine ? ' Every host ran on one machine (the embedded lab): CPU figures are that machine’s and tunnels share its CPUs, so compare kinds with each other rather than with separate machines.' : ''}
      </p>
      <table className="report-table" data-table="suite">
        <thead><tr><th>Tool</th><th>Parameters</th></tr></thead>
        <tbody>
          {s.tests.map((t, i) => {
            const { tool, ...rest } = t as { tool: string } & Record<string, unknown>;
            return (
              <tr key={i}><th scope="row">{tool}</th><td className="mono">{Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`).join('  ')}</td></tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/**
 * The methodology's "Conditions": what each link direction (and host uplink) was asked to be,
 * what tc held when the run started (the figures were measured under that), and how it was done.
 */
export function ConditionsMethod({ results }: { results: RunResults }) {
  const rec = results.conditions;
  const paints = runConditions(results);
  if (!rec || (rec.links.length === 0 && rec.uplinks.length === 0)) {
    return <p data-conditions="none">None: Overlab shaped nothing — every link ran over the lab&apos;s wire (or the hosts&apos; own network) as it is, and the figures are that path&apos;s.</p>;
  }
  const name = new Map(results.topology.hosts.map((h) => [h.id!, h.name]));
  const mismatches = [...paints.values()].flatMap((p) => p.mismatch);
  return (
    <>
      <p>
        Applied with <span className="mono">tc</span> on the sending host&apos;s underlay egress: an htb class per peer (a u32 filter on the peer&apos;s underlay address) holds the rate, with a netem leaf for delay, jitter,
        loss, duplication, reordering and corruption (its queue sized from the bandwidth-delay product, as CORE sizes it); a lab host&apos;s uplink down on the lab WAN bridge&apos;s side of its link.
        What tc held was read back before the first test and compared with what was asked; the figures in this report were measured under what was read back (&quot;in force&quot;).
        The underlay baseline between the same hosts rides the same devices, so it was measured under the same conditions, and &quot;what the tunnel adds&quot; compares like with like.
      </p>
      {mismatches.length ? <ul className="report-problems">{mismatches.map((m, i) => <li key={i}>not as asked: {m}</li>)}</ul> : null}
      <table className="report-table" data-table="conditions">
        <thead><tr><th>Link or uplink</th><th>Direction</th><th>Asked</th><th>In force</th></tr></thead>
        <tbody>
          {rec.links.flatMap((x) => {
            const l = results.links.find((y) => y.id === x.linkId);
            const link = l ? `${l.a} — ${l.b}` : x.linkId;
            return [
              <tr key={`${x.linkId}-ab`} data-link={x.linkId}><th scope="row">{link}</th><td>{l ? `${l.a} → ${l.b}` : 'a → b'}</td><td>{describeCondition(x.aToB.asked)}</td><td>{describeCondition(x.aToB.inForce)}</td></tr>,
              <tr key={`${x.linkId}-ba`} data-link={x.linkId}><th scope="row">{link}</th><td>{l ? `${l.b} → ${l.a}` : 'b → a'}</td><td>{describeCondition(x.bToA.asked)}</td><td>{describeCondition(x.bToA.inForce)}</td></tr>,
            ];
          })}
          {rec.uplinks.flatMap((u) => [
            <tr key={`${u.hostId}-up`}><th scope="row">{name.get(u.hostId) ?? u.hostId}&apos;s uplink</th><td>up (sent)</td><td>{describeCondition(u.up.asked)}</td><td>{describeCondition(u.up.inForce)}</td></tr>,
            <tr key={`${u.hostId}-down`}><th scope="row">{name.get(u.hostId) ?? u.hostId}&apos;s uplink</th><td>down (received)</td><td>{describeCondition(u.down.asked)}</td><td>{describeCondition(u.down.inForce)}</td></tr>,
          ])}
        </tbody>
      </table>
    </>
  );
}

/** What was deployed: each host's bundle hash at the run, and whether the project still renders the same. */
export function BundleTable({ environment, appendix }: { environment: readonly HostEnvironment[]; appendix?: ReportAppendix }) {
  const now = new Map((appendix?.hosts ?? []).map((h) => [h.host, h.bundleHash]));
  return (
    <table className="report-table" data-table="bundles">
      <thead><tr><th>Host</th><th>Bundle SHA-256 when measured</th><th>Rendered now</th></tr></thead>
      <tbody>
        {environment.map((e) => (
          <tr key={e.hostId}>
            <th scope="row">{e.host}</th>
            <td className="mono hash">{e.bundleHash ?? 'not deployed by Overlab'}</td>
            <td>{!now.has(e.host) ? '–' : now.get(e.host) === e.bundleHash ? 'same' : 'differs (the project changed since)'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Each host's up.sh and down.sh as the engine rendered them, secrets already redacted there. */
export function Appendix({ appendix }: { appendix: ReportAppendix }) {
  if (!appendix.hosts.length) return <p className="muted">The project does not render now{appendix.problems.length ? `: ${appendix.problems.join('; ')}` : ''}.</p>;
  return (
    <>
      {appendix.hosts.map((h) => (
        <article key={h.host} className="report-host" data-host={h.host}>
          <h3>{h.host}</h3>
          <p className="mono hash">bundle {h.bundleHash}</p>
          <table className="report-table" data-table="files">
            <thead><tr><th>File</th><th className="num">Mode</th><th className="num">Bytes</th></tr></thead>
            <tbody>
              {h.files.map((f) => <tr key={f.path}><td className="mono">{f.path}</td><td className="num mono">{f.mode.toString(8).padStart(4, '0')}</td><td className="num">{f.bytes}</td></tr>)}
            </tbody>
          </table>
          {h.files.filter((f) => f.content !== undefined).map((f) => (
            <div key={f.path} className="report-file">
              <h4 className="mono">{f.path}</h4>
              <pre className="report-script">{f.content}</pre>
            </div>
          ))}
          <h4>up.sh</h4>
          <pre className="report-script">{h.up}</pre>
          <h4>down.sh</h4>
          <pre className="report-script">{h.down}</pre>
        </article>
      ))}
    </>
  );
}
