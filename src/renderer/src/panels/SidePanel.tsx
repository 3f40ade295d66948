/**
 * The side panel: every problem of the document (clicking one selects what it is about and
 * brings it into view), the inspector, and — with nothing selected — the hosts and links at a
 * glance with their planned MTU.
 */
import type { Diagnostic } from '../../../shared/diagnostics';
import { targetText } from '../canvas/toFlow';
import { check } from '../derived';
import { store, useStore } from '../store/hooks';
import { Inspector } from './Inspector';

function ProblemList({ items }: { items: readonly Diagnostic[] }) {
  if (items.length === 0) return <p className="muted">None.</p>;
  const go = (d: Diagnostic): void => {
    if (!d.subject) return store.getState().select([]);
    store.getState().select([d.subject.id]);
    const t = store.getState().topology;
    const hostIds = d.subject.type === 'host' ? [d.subject.id] : (() => {
      const l = t?.links.find((x) => x.id === d.subject!.id);
      return t?.hosts.filter((h) => h.name === l?.a || h.name === l?.b).map((h) => h.id) ?? [];
    })();
    store.getState().view?.fit(hostIds);
  };
  return (
    <ul className="problems">
      {items.map((d, i) => (
        <li key={i} className={`diag ${d.severity}`}>
          <button type="button" className="problem" onClick={() => go(d)} title={d.subject ? 'Select what this is about' : undefined}>
            <code>{d.path || '(document)'}</code>
            {d.line ? ` (line ${d.line})` : ''}: {d.message}
          </button>
        </li>
      ))}
    </ul>
  );
}

function Overview() {
  const topology = useStore((s) => s.topology);
  const hostState = useStore((s) => s.hostState);
  if (!topology) return null;
  const plan = check(topology).plan;
  return (
    <>
      <section aria-labelledby="side-hosts">
        <h2 id="side-hosts">Hosts <span className="count">{topology.hosts.length}</span></h2>
        <table className="rows" aria-label="Hosts">
          <thead><tr><th>Name</th><th>Role</th><th>Target</th><th>LAN</th><th>State</th></tr></thead>
          <tbody>
            {topology.hosts.map((h) => (
              <tr key={h.id} onClick={() => store.getState().select([h.id])}>
                <td className="strong">{h.name}</td>
                <td>{h.role}</td>
                <td>{targetText(h.target)}</td>
                <td>{h.lan ?? '—'}</td>
                <td>{(hostState[h.id] ?? 'not-deployed').replace('-', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="side-links">
        <h2 id="side-links">Links <span className="count">{topology.links.length}</span></h2>
        <table className="rows" aria-label="Links">
          <thead><tr><th>Link</th><th>Kind</th><th title="Inner MTU planned from the tunnel's header overhead">MTU</th><th title="TCP MSS clamp">MSS</th></tr></thead>
          <tbody>
            {topology.links.map((l) => {
              const p = plan?.links.find((x) => x.id === l.id);
              return (
                <tr key={l.id} onClick={() => store.getState().select([l.id])}>
                  <td className="strong">{l.a} — {l.b}</td>
                  <td>{l.kind}</td>
                  <td title={p ? `${p.overheadBytes} B of headers${p.mtuSource === 'override' ? '; set by the project' : ''}` : undefined}>{p ? `${p.mtu}${p.mtuSource === 'override' ? '*' : ''}` : '—'}</td>
                  <td>{p ? p.mss : '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </>
  );
}

export function SidePanel() {
  const topology = useStore((s) => s.topology);
  const loadDiagnostics = useStore((s) => s.loadDiagnostics);
  const nothingSelected = useStore((s) => s.selected.size === 0);
  const problems = topology ? check(topology).diagnostics : loadDiagnostics;
  const errorCount = problems.filter((d) => d.severity === 'error').length;
  return (
    <aside className="side" aria-label="Project details">
      {/* First, so a problem is never below the fold of a long form. */}
      <section aria-labelledby="side-problems" className={errorCount > 0 ? 'has-errors' : undefined}>
        <h2 id="side-problems">Problems <span className="count">{problems.length}</span></h2>
        <ProblemList items={problems} />
      </section>
      <Inspector />
      {nothingSelected ? <Overview /> : null}
    </aside>
  );
}
