import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { HostNodeData } from './toFlow';

function HostNodeView({ data }: NodeProps<Node<HostNodeData>>) {
  return (
    <div className={`host-node role-${data.role}`}>
      {/* Invisible handles at the centre: links are drawn centre to centre, under the box. */}
      <Handle type="target" position={Position.Top} className="centre-handle" isConnectable={false} />
      <div className="host-name">{data.name}</div>
      <div className="host-meta">{data.role} · {data.target}</div>
      {data.lan ? <div className="host-meta">LAN {data.lan}</div> : null}
      <Handle type="source" position={Position.Bottom} className="centre-handle" isConnectable={false} />
    </div>
  );
}

export const HostNode = memo(HostNodeView);

/** Module-level constant: React Flow re-mounts every node when this object changes identity. */
export const nodeTypes = { host: HostNode };
