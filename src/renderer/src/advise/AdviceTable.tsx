/**
 * The advisor's answer as tables, the same in the app's Advisor tab and the report's "Advice"
 * section: the needs, what it was measured in (with the noise floor), the ranking with the
 * figures and reasons behind each rank (ties marked and said), and the kinds left out and why.
 */
import { needsFromText, noiseText, showMeasured, type Advice, type Needs } from '../../../shared/advise/index';
import { CPU_PER_GBPS } from '../../../shared/measure/analyse';

export const needsText = (n: Needs): string =>
  [
    n.encrypted ? 'encryption required' : 'encryption not required',
    n.layer === 'any' ? 'L2 or L3' : n.layer,
    n.nat ? 'crosses a NAT' : 'no NAT',
    n.minMtu !== undefined ? `inner MTU ≥ ${n.minMtu}` : 'any inner MTU',
    `priority ${n.priority}`,
    n.cpuBudget !== undefined ? `CPU ≤ ${n.cpuBudget} %` : 'any CPU',
  ].join(', ');

const WHY: Record<Advice['excluded'][number]['why'], string> = { capability: 'cannot', 'not-measured': 'not measured', failed: 'failed', 'cpu-budget': 'over the CPU budget' };

export function AdviceTable({ advice }: { advice: Advice }) {
  const a = advice;
  return (
    <div className="advice" data-advice>
      <p className="advice-needs"><strong>Needs:</strong> {needsText(a.needs)} <span className="muted" data-needs-from>{`(${needsFromText(a.needsFrom)})`}</span></p>
      {a.basis ? (
        <p className="advice-basis muted">
          Measured in {a.basis.source}{a.basis.sharedMachine ? ' (embedded lab: one machine)' : ''}. Noise floor: RTT {noiseText(a.basis.noise)}
          {a.basis.throughputNoise !== undefined ? `, TCP ${(100 * a.basis.throughputNoise).toFixed(0)} % (the underlay's own spread)` : ''}.
        </p>
      ) : null}
      {a.ranking.length ? (
        <table className="rows advice-ranking" aria-label="Ranking">
          <thead>
            <tr><th scope="col">Rank</th><th scope="col">Kind</th><th scope="col">RTT mean ±95 %</th><th scope="col">TCP Mbit/s</th><th scope="col" title={CPU_PER_GBPS.explain}>{CPU_PER_GBPS.header}</th><th scope="col">Why</th><th scope="col">Run</th></tr>
          </thead>
          <tbody>
            {a.ranking.map((r) => (
              <tr key={r.label} data-kind={r.kind} data-rank={r.rank} className={r.tiedWith.length ? 'tie' : undefined}>
                <td>{r.rank}{r.tiedWith.length ? <span className="tie-mark" title={`tie with ${r.tiedWith.join(', ')}`}> (tie)</span> : null}</td>
                <th scope="row">{r.label}</th>
                <td>{r.figures['rtt'] ? showMeasured(r.figures['rtt']) : '–'}</td>
                <td>{r.figures['tcp'] ? showMeasured(r.figures['tcp']).replace(' Mbit/s', '') : '–'}</td>
                <td>{r.figures['cpuPerGbps'] ? r.figures['cpuPerGbps'].value.toFixed(1) : '–'}</td>
                <td className="wrap advice-why">
                  {r.reasons.filter((x) => !x.startsWith('run ')).join('; ')}
                  {r.tiedWith.length ? <strong className="advice-tie"> Tie: the measurement cannot order {r.label} and {r.tiedWith.join(', ')}.</strong> : null}
                </td>
                <td className="mono small">{r.runId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : <p className="muted">No candidate kind is ranked: {a.basis ? 'none was measured beside the others' : 'nothing measured in this project'}.</p>}
      {a.measure ? <p className="advice-measure">To rank {a.measure.kinds.join(', ')} too, run <code>{a.measure.command}</code> (or <code>overlab advise DIR --measure</code>).</p> : null}
      {a.excluded.length ? (
        <table className="rows advice-excluded" aria-label="Left out">
          <thead><tr><th scope="col">Left out</th><th scope="col">Because</th><th scope="col">Reason</th></tr></thead>
          <tbody>
            {a.excluded.map((e) => (
              <tr key={`${e.label}-${e.why}`} data-kind={e.kind} data-why={e.why}>
                <th scope="row">{e.label}</th>
                <td>{WHY[e.why]}</td>
                <td className="wrap">{e.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {a.ranking.some((r) => r.figures['cpuPerGbps']) ? <p className="muted small">{CPU_PER_GBPS.header}: {CPU_PER_GBPS.explain}.</p> : null}
      {a.notes.length ? <ul className="advice-notes muted small">{a.notes.map((n) => <li key={n}>{n}</li>)}</ul> : null}
    </div>
  );
}
