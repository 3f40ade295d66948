/** The project at a glance: hosts, links with their planned MTU, and every problem. */
import type { Diagnostic } from '../../../shared/diagnostics';
import { targetText } from '../canvas/toFlow';
import { useStore } from '../store';

function ProblemList({ items }: { items: readonly Diagnostic[] }) {
  if (items.length === 0) return <p className="muted">None.</p>;
  return (
    <ul className="problems">
      {items.map((d, i) => (
        <li key={i} className={`diag ${d.severity}`}>
          <code>{d.path || '(document)'}</code>
          {d.line ? ` (line ${d.line})` : ''}: {d.message}
        </li>
      ))}
    </ul>
  );
}

export function SidePanel() {
  const project = useStore((s) => s.project);
  const planned = useStore((s) => s.planned);
  const planDiagnostics = useStore((s) => s.planDiagnostics);
  const kinds = useStore((s) => s.kinds);
  const error = useStore((s) => s.error);
  const t = project?.topology;
  const problems = [...(project?.diagnostics ?? []), ...planDiagnostics];
  const errorCount = problems.filter((d) => d.severity === 'error').length + (error ? 1 : 0);
  const kindTitle = (id: string): string | undefined => {
    const k = kinds.find((x) => x.id === id);
    return k ? `${k.label} · ${k.layer} · ${k.encrypted ? 'encrypted' : 'not encrypted'}` : undefined;
  };

  return (
    <aside className="side" aria-label="Project details">
      {/* First, so a problem is never below the fold of a long host or link list. */}
      <section aria-labelledby="side-problems" className={errorCount > 0 ? 'has-errors' : undefined}>
        <h2 id="side-problems">Problems <span className="count">{problems.length + (error ? 1 : 0)}</span></h2>
        {error ? <div className="diag error" role="alert">{error}</div> : null}
        <ProblemList items={problems} />
      </section>
      {t ? (
        <section aria-labelledby="side-project">
          <h2 id="side-project">Project</h2>
          <dl className="facts">
            <dt>Name</dt><dd>{t.name}</dd>
            <dt>Shape</dt><dd>{t.shape}</dd>
            <dt>Underlay</dt><dd>{t.underlay.subnet}, MTU {t.underlay.mtu}</dd>
            <dt>Folder</dt><dd className="path" title={project.dir}>{project.dir}</dd>
          </dl>
        </section>
      ) : null}

      {t ? (
        <section aria-labelledby="side-hosts">
          <h2 id="side-hosts">Hosts <span className="count">{t.hosts.length}</span></h2>
          <table className="rows" aria-label="Hosts">
            <thead><tr><th>Name</th><th>Role</th><th>Target</th><th>LAN</th></tr></thead>
            <tbody>
              {t.hosts.map((h) => (
                <tr key={h.id}>
                  <td className="strong">{h.name}</td>
                  <td>{h.role}</td>
                  <td>{targetText(h.target)}</td>
                  <td>{h.lan ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}

      {t ? (
        <section aria-labelledby="side-links">
          <h2 id="side-links">Links <span className="count">{t.links.length}</span></h2>
          <table className="rows" aria-label="Links">
            <thead><tr><th>Link</th><th>Kind</th><th title="Inner MTU planned from the tunnel's header overhead">MTU</th><th title="TCP MSS clamp">MSS</th></tr></thead>
            <tbody>
              {t.links.map((l) => {
                const p = planned?.get(l.id);
                return (
                  <tr key={l.id}>
                    <td className="strong">{l.a} — {l.b}</td>
                    <td title={kindTitle(l.kind)}>{l.kind}</td>
                    <td title={p ? `${p.overheadBytes} B of headers${p.mtuSource === 'override' ? '; set by the project' : ''}` : undefined}>
                      {p ? `${p.mtu}${p.mtuSource === 'override' ? '*' : ''}` : '—'}
                    </td>
                    <td>{p ? p.mss : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      ) : null}

    </aside>
  );
}
