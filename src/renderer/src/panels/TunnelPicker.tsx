/**
 * The tunnel picker, opened by linking two hosts (or from a link's inspector): every kind of
 * the catalogue, searchable, with its layer, whether it encrypts, its overhead and the inner MTU
 * it gives at this project's underlay MTU, what it needs on the hosts, whether these hosts can
 * carry it (the kernel probe for lab hosts, the last preflight for SSH hosts), and whether it
 * builds this project's shape over its underlay family (the kind's capability table; how it
 * builds them in the cell's tooltip). Kinds that cannot serve this link say why.
 */
import { useMemo, useState } from 'react';
import { connect, setLinkKind } from '../../../shared/edit';
import { fittingShape } from '../../../shared/edit';
import type { Shape, Topology } from '../../../shared/schema';
import { hostFamily } from '../../../shared/tunnels/capabilities';
import { familyKey, refusal, type Support, type TunnelKind } from '../../../shared/tunnels/types';
import { registry } from '../derived';
import { store, useStore } from '../store/hooks';
import { Modal } from './Modal';

interface Row {
  readonly kind: TunnelKind;
  readonly overhead: number;
  readonly mtu: number;
  readonly modules: readonly string[];
  readonly packages: readonly string[];
  /** Why it cannot serve this link, if it cannot. */
  readonly refused?: string;
  /** What is known about the hosts carrying it. */
  readonly carry: string;
  readonly carryOk: boolean | undefined;
  /** The kind's cells for this link: the drawing's shape and the underlay family of the two hosts. */
  readonly shape: Shape;
  readonly shapeCell: Support;
  readonly family: 4 | 6;
  readonly familyCell: Support;
}

function rows(t: Topology, a: string, b: string): Row[] {
  const hosts = t.hosts.filter((h) => h.id === a || h.id === b);
  const s = store.getState();
  // The shape the drawing will have with this link in it.
  const withLink = t.links.some((l) => hosts.every((h) => l.a === h.name || l.b === h.name)) ? t : { ...t, links: [...t.links, { id: '-', a: hosts[0]?.name ?? '', b: hosts[1]?.name ?? '', kind: 'clean', options: {} }] };
  const shape = t.shape === fittingShape(withLink) ? t.shape : fittingShape(withLink);
  // Both ends in one family (the plan refuses a mix); IPv6 if either end is.
  const family = hosts.some((h) => hostFamily(h.underlay.address, t.underlay.subnet) === 6) ? 6 : 4;
  return registry.kinds.map((kind) => {
    const defaults = kind.options.parse({});
    const overhead = kind.overhead(defaults, family, t.underlay.mtu);
    const req = kind.requirements(defaults);
    const probed = s.kinds.find((k) => k.id === kind.id);
    const lab = hosts.filter((h) => h.target.type === 'lab');
    const ssh = hosts.filter((h) => h.target.type === 'ssh');
    const notes: string[] = [];
    let carryOk: boolean | undefined;
    if (lab.length) {
      if (probed?.here === 'yes') {
        notes.push('this machine’s kernel carries it (lab hosts)');
        carryOk = true;
      } else if (probed?.here === 'no') {
        notes.push(`this machine cannot carry it: ${(probed.missing ?? []).join('; ')}`);
        carryOk = false;
      } else notes.push('not probed (the probe needs root)');
    }
    for (const h of ssh) {
      const missing = (s.preflightMissing[h.name] ?? []).filter((m) => req.packages.some((p) => m.includes(p)) || m.includes(kind.id));
      if (missing.length) {
        notes.push(`${h.name}'s last preflight: ${missing.join('; ')}`);
        carryOk = false;
      } else notes.push(`${h.name}: ${s.preflightMissing[h.name] ? 'its last preflight found it complete' : 'not preflighted yet (deploy checks it)'}`);
    }
    const shapeCell = kind.capabilities.shapes[shape];
    const familyCell = kind.capabilities.underlay[familyKey(family)];
    const noShape = refusal(shapeCell);
    const noFamily = refusal(familyCell);
    const refused = noShape
      ? `cannot build a ${shape} (${noShape})`
      : noFamily
        ? `cannot run over an IPv${family} underlay (${noFamily})`
        : t.underlay.mtu - overhead < 576
          ? `leaves ${t.underlay.mtu - overhead} bytes at this underlay MTU (576 at least)`
          : undefined;
    return { kind, overhead, mtu: t.underlay.mtu - overhead, modules: req.modules, packages: req.packages, ...(refused ? { refused } : {}), carry: notes.join('; '), carryOk, shape, shapeCell, family, familyCell };
  });
}

export function TunnelPicker({ a, b, linkId }: { a: string; b: string; linkId?: string }) {
  const topology = useStore((s) => s.topology)!;
  const [q, setQ] = useState('');
  const all = useMemo(() => rows(topology, a, b), [topology, a, b]);
  const shown = all.filter((r) => !q || `${r.kind.id} ${r.kind.label} ${r.kind.layer} ${r.kind.encrypted ? 'encrypted' : ''}`.toLowerCase().includes(q.toLowerCase()));
  const names = topology.hosts.filter((h) => h.id === a || h.id === b).map((h) => h.name);
  const close = (): void => store.getState().setDialog(undefined);
  const pick = (kind: string): void => {
    const s = store.getState();
    let newId = '';
    const ok = s.edit((t) => {
      if (linkId) return setLinkKind(t, linkId, kind);
      const r = connect(t, a, b, kind);
      if ('error' in r) return r.error;
      newId = r.linkId ?? '';
      return r.topology;
    });
    close();
    if (ok && newId) s.select([newId]);
  };
  return (
    <Modal title={linkId ? `Tunnel of ${names.join(' — ')}` : `Link ${names.join(' and ')}: pick a tunnel`} onClose={close} wide>
      <input className="picker-search" aria-label="Search kinds" placeholder="Search: wireguard, L2, encrypted…" value={q} onChange={(e) => setQ(e.target.value)} autoFocus />
      <table className="picker rows" aria-label="Tunnel kinds">
        <thead>
          <tr>
            <th>Kind</th>
            <th>Layer</th>
            <th>Encrypted</th>
            <th title={`Header bytes at underlay MTU ${topology.underlay.mtu}`}>Overhead</th>
            <th title="Inner MTU at this project's underlay MTU">MTU</th>
            <th>Needs</th>
            <th>These hosts</th>
            <th title="Whether the kind builds this project's shape over its underlay family (hover a cell: how)">Shape · underlay</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.kind.id} className={r.refused ? 'refused' : undefined}>
              <td>
                <button type="button" className="pick" disabled={!!r.refused} onClick={() => pick(r.kind.id)} data-kind={r.kind.id} title={r.refused ? `Cannot serve this link: ${r.refused}` : `Use ${r.kind.label}`}>
                  {r.kind.id}
                </button>
                <div className="muted small">{r.kind.label}</div>
                {r.refused ? <div className="diag error small">{r.refused}</div> : null}
              </td>
              <td>{r.kind.layer}</td>
              <td>{r.kind.encrypted ? <span className="badge enc">encrypted</span> : <span className="badge">clear</span>}</td>
              <td>{r.overhead} B</td>
              <td>{r.mtu}</td>
              <td className="small">{r.packages.join(', ')}{r.modules.length ? <div className="muted">modules: {r.modules.join(', ')}</div> : null}</td>
              <td className={`small ${r.carryOk === false ? 'diag error' : r.carryOk ? 'ok' : 'muted'}`}>{r.carry}</td>
              <td className="small">
                <CapabilityCell label={r.shape} cell={r.shapeCell} />
                <CapabilityCell label={`IPv${r.family}`} cell={r.familyCell} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

/** One capability of the kind for this link: ✓ or ✗ with its label; how it builds it (or why not) as the hint. */
function CapabilityCell({ label, cell }: { label: string; cell: Support }) {
  const no = refusal(cell);
  return (
    <div className={no ? 'diag error' : 'ok'} title={no ?? ('how' in cell ? cell.how : '')} data-capability={label}>
      {no ? '✗' : '✓'} {label}
    </div>
  );
}
