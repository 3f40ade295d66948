import { Handle, Position, useStore as useFlowStore, useUpdateNodeInternals, type Node, type NodeProps } from '@xyflow/react';
import { memo, useEffect, useRef } from 'react';
import type { HostNodeData } from './toFlow';

const STATE_TEXT: Readonly<Record<string, string>> = { 'not-deployed': 'not deployed', deploying: 'deploying…', up: 'up', failed: 'failed' };

/**
 * A host: name, role and target, its LAN, its deploy state and a problem marker. Drag from the
 * dot at its right edge to another host to link them.
 */
/** Below this zoom a large drawing's hosts are drawn as plain boxes: text too small to read costs the most to paint. */
export const LITE_ZOOM = 0.45;

function HostNodeView({ id, data, selected }: NodeProps<Node<HostNodeData>>) {
  const state = data.state ?? 'not-deployed';
  const lite = useFlowStore((s) => !!data.light && s.transform[2] < LITE_ZOOM);
  // A plain box has no handles (its edges are the canvas's bulk layer then, and 2,000 handles
  // cost their measuring): React Flow measures the handles again when the full node returns.
  const updateInternals = useUpdateNodeInternals();
  const wasLite = useRef(lite);
  useEffect(() => {
    if (wasLite.current !== lite) {
      wasLite.current = lite;
      if (!lite) updateInternals(id);
    }
  }, [lite, id, updateInternals]);
  if (lite) {
    return <div className={`host-node lite role-${data.role}${selected ? ' selected' : ''}${data.problem ? ` has-${data.problem}` : ''}`} data-state={state} title={data.name} />;
  }
  return (
    <div className={`host-node role-${data.role}${selected ? ' selected' : ''}${data.problem ? ` has-${data.problem}` : ''}`} data-state={state} title={data.problem ? 'This host has problems: see Problems' : undefined}>
      <Handle type="target" position={Position.Left} className="link-handle" />
      <div className="host-head">
        <span className="host-name">{data.name}</span>
        {data.problem ? <span className={`marker ${data.problem}`} aria-label={data.problem === 'error' ? 'error' : 'warning'}>{data.problem === 'error' ? '!' : '?'}</span> : null}
      </div>
      <div className="host-meta">{data.role} · {data.target}</div>
      {data.lan ? <div className="host-meta">LAN {data.lan}</div> : null}
      <div className="host-foot">
        <span className={`host-state state-${state}`}>{STATE_TEXT[state]}</span>
        {data.cpu !== undefined ? <span className="host-cpu" title="Busiest CPU share during this host's throughput tests" style={{ ['--cpu' as string]: `${Math.min(100, data.cpu)}%` }}>CPU {data.cpu.toFixed(0)} %</span> : null}
        {data.failed ? <span className="marker error" title={data.failed} aria-label={`tests failed: ${data.failed}`}>✕</span> : null}
      </div>
      <Handle type="source" position={Position.Right} className="link-handle" />
    </div>
  );
}

export const HostNode = memo(HostNodeView);

/** Module-level constant: React Flow re-mounts every node when this object changes identity. */
export const nodeTypes = { host: HostNode };
