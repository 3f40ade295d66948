/**
 * The progress of a lab, deploy or teardown run: one row per host with its step, status, time
 * and last lines (a failing step's error, redacted by the engine), the whole run's progress and
 * expected end, Cancel while it runs, and what it said when it ended.
 */
import { useEffect, useState } from 'react';
import { cancelRun, type Env } from '../actions';
import { store, useStore } from '../store/hooks';

export function RunPanel({ env }: { env: Env }) {
  const run = useStore((s) => s.run);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!run || run.result) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [run]);
  if (!run) return null;
  const hosts = Object.values(run.hosts);
  const elapsed = Math.max(0, (now - run.startedAt) / 1000).toFixed(0);
  return (
    <section className={`run-panel${run.result ? (run.result.ok ? ' ok' : ' failed') : ' running'}`} aria-label={`${run.label} progress`} role="region">
      <header>
        <strong>{run.label}</strong>
        {run.phase && !run.result ? <span className="phase" data-phase={run.phase}>{run.phase}</span> : null}
        {run.result ? (
          <span className="run-result" role="status">{run.result.summary}</span>
        ) : (
          <span className="muted">
            running {elapsed} s{run.fraction !== undefined ? ` · ${Math.round(run.fraction * 100)} %` : ''}
            {run.endsAt ? ` · ends ~${new Date(run.endsAt).toLocaleTimeString()}` : ''}
          </span>
        )}
        <span className="spacer" />
        {run.result ? (
          <button type="button" onClick={() => store.getState().clearRun()}>Close</button>
        ) : (
          <button type="button" disabled={run.cancelling} onClick={() => void cancelRun(env)}>{run.cancelling ? 'Cancelling…' : 'Cancel'}</button>
        )}
      </header>
      {hosts.length ? (
        <table className="rows" aria-label="Hosts progress">
          <thead><tr><th>Host</th><th>{run.operation === 'measure' ? 'Test' : 'Step'}</th><th>Status</th><th>Time</th><th>Last lines</th></tr></thead>
          <tbody>
            {hosts.map((h) => (
              <tr key={h.host} className={`st-${h.status}`} data-host={h.host}>
                <td className="strong">{h.host}</td>
                <td>{h.step}</td>
                <td className="status-cell">{h.status}</td>
                <td>{h.seconds !== undefined ? `${h.seconds.toFixed(1)} s` : ''}</td>
                <td className="lines">{h.lines.slice(-3).map((l, i) => <div key={i}>{l}</div>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
