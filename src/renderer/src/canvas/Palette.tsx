/** The palette: host roles to drag onto the canvas (or to add with a click, at the view's centre). */
import { useReactFlow } from '@xyflow/react';
import type { DragEvent } from 'react';
import { addHost } from '../../../shared/edit';
import type { Role } from '../../../shared/schema';
import { store, useStore } from '../store/hooks';
import { lockReason } from '../store/index';
import { ROLE_MIME } from './Canvas';

const ROLES: readonly { role: Role; label: string; hint: string }[] = [
  { role: 'peer', label: 'Peer', hint: 'a host of a site-to-site or a mesh' },
  { role: 'hub', label: 'Hub', hint: 'the centre of a hub-spoke, the main site of a multi-site' },
  { role: 'spoke', label: 'Spoke', hint: 'a branch that reaches the others through the hub' },
];

export function Palette() {
  const rf = useReactFlow();
  const disabled = useStore((s) => !s.topology || !!lockReason(s));
  const onDragStart = (e: DragEvent, role: Role): void => {
    e.dataTransfer.setData(ROLE_MIME, role);
    e.dataTransfer.effectAllowed = 'copy';
  };
  const addAtCentre = (role: Role): void => {
    const el = document.querySelector('.react-flow');
    const r = el?.getBoundingClientRect();
    const position = r ? rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : { x: 0, y: 0 };
    let id = '';
    if (store.getState().edit((t) => { const x = addHost(t, { role, position }); id = x.hostId; return x.topology; })) store.getState().select([id]);
  };
  return (
    <div className="palette" role="toolbar" aria-label="Add a host">
      <span className="palette-title">Hosts</span>
      {ROLES.map((r) => (
        <button
          key={r.role}
          type="button"
          className={`palette-item role-${r.role}`}
          draggable={!disabled}
          disabled={disabled}
          onDragStart={(e) => onDragStart(e, r.role)}
          onClick={() => addAtCentre(r.role)}
          title={`Drag onto the canvas (or click) to add a ${r.label.toLowerCase()}: ${r.hint}`}
          data-role={r.role}
        >
          {r.label}
        </button>
      ))}
    </div>
  );
}
