/**
 * The side panel: every problem of the document (clicking one selects what it is about and
 * brings it into view), the inspector, and — with nothing selected — the hosts and links at a
 * glance with their planned MTU.
 */
import { useMemo, useState } from 'react';
import type { Diagnostic } from '../../../shared/diagnostics';
import { targetText } from '../canvas/toFlow';
import { useChecked } from '../checker';
import { store, useStore } from '../store/hooks';
import { Inspector } from './Inspector';

/** 19900 → "19,900". (Number#toLocaleString builds a formatter per call: a tenth of a second the first time.) */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

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
  // Thousands of problems (a large generated drawing gone wrong) would cost seconds to draw.
  const more = items.length - ROW_LIMIT;
  return (
    <ul className="problems">
      {(more > 0 ? items.slice(0, ROW_LIMIT) : items).map((d, i) => (
        <li key={i} className={`diag ${d.severity}`}>
          <button type="button" className="problem" onClick={() => go(d)} title={d.subject ? 'Select what this is about' : undefined}>
            <code>{d.path || '(document)'}</code>
            {d.line ? ` (line ${d.line})` : ''}: {d.message}
          </button>
        </li>
      ))}
      {more > 0 ? <li className="muted">and {thousands(more)} more: fix these first, or open overlab.yaml</li> : null}
    </ul>
  );
}

/**
 * Rows a table draws at most: a 200-host full mesh has 19,900 links, and drawing every row
 * (with its layout) cost seconds before the canvas could paint. Beyond it, a filter narrows.
 */
export const ROW_LIMIT = 200;

/** The first ROW_LIMIT of `items` matching `filter` (case-insensitive, on `text`), and how many match. */
export function limitRows<T>(items: readonly T[], filter: string, text: (x: T) => string): { shown: T[]; matching: number } {
  const f = filter.trim().toLowerCase();
  if (!f) return { shown: items.slice(0, ROW_LIMIT), matching: items.length };
  const shown: T[] = [];
  let matching = 0;
  for (const x of items) {
    if (!text(x).toLowerCase().includes(f)) continue;
    matching++;
    if (shown.length < ROW_LIMIT) shown.push(x);
  }
  return { shown, matching };
}

function RowsFilter({ what, total, shown, matching, value, onChange }: { what: string; total: number; shown: number; matching: number; value: string; onChange: (v: string) => void }) {
  if (total <= ROW_LIMIT) return null;
  return (
    <div className="rows-filter">
      <input type="search" aria-label={`Filter ${what}`} placeholder={`Filter ${thousands(total)} ${what}`} title={`Shows the ${what} whose name, kind or address contains this`} value={value} onChange={(e) => onChange(e.target.value)} />
      <span className="muted" role="status">{shown < matching ? `first ${shown} of ${thousands(matching)}` : `${thousands(matching)} shown`}</span>
    </div>
  );
}

function Overview() {
  const topology = useStore((s) => s.topology);
  const hostState = useStore((s) => s.hostState);
  const [hostFilter, setHostFilter] = useState('');
  const [linkFilter, setLinkFilter] = useState('');
  const plan = useChecked(topology)?.plan;
  const planned = useMemo(() => new Map(plan?.links.map((p) => [p.id, p])), [plan]);
  if (!topology) return null;
  const hosts = limitRows(topology.hosts, hostFilter, (h) => `${h.name} ${h.role} ${targetText(h.target)} ${h.lan ?? ''}`);
  const links = limitRows(topology.links, linkFilter, (l) => `${l.a} — ${l.b} ${l.kind}`);
  return (
    <>
      <section aria-labelledby="side-hosts">
        <h2 id="side-hosts">Hosts <span className="count">{topology.hosts.length}</span></h2>
        <RowsFilter what="hosts" total={topology.hosts.length} shown={hosts.shown.length} matching={hosts.matching} value={hostFilter} onChange={setHostFilter} />
        <table className="rows" aria-label="Hosts">
          <thead><tr><th>Name</th><th>Role</th><th>Target</th><th>LAN</th><th>State</th></tr></thead>
          <tbody>
            {hosts.shown.map((h) => (
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
        <RowsFilter what="links" total={topology.links.length} shown={links.shown.length} matching={links.matching} value={linkFilter} onChange={setLinkFilter} />
        <table className="rows" aria-label="Links">
          <thead><tr><th>Link</th><th>Kind</th><th title="Inner MTU planned from the tunnel's header overhead">MTU</th><th title="TCP MSS clamp">MSS</th></tr></thead>
          <tbody>
            {links.shown.map((l) => {
              const p = planned.get(l.id);
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
  const checked = useChecked(topology);
  const problems = topology ? (checked?.diagnostics ?? []) : loadDiagnostics;
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
