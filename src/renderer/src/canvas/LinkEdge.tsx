import { BaseEdge, EdgeLabelRenderer, getStraightPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';

export interface LinkEdgeData extends Record<string, unknown> {
  readonly kind: string;
  /** Planned inner MTU; absent until the plan is known. */
  readonly mtu?: number;
}

/**
 * A straight line centre to centre with an HTML label on two short lines (kind, MTU): an SVG
 * label is one long line, which does not fit between hosts placed close together.
 */
function LinkEdgeView({ id, sourceX, sourceY, targetX, targetY, data }: EdgeProps<Edge<LinkEdgeData>>) {
  const [path, labelX, labelY] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  return (
    <>
      <BaseEdge id={id} path={path} className="link-path" />
      <EdgeLabelRenderer>
        <div className="link-label" style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}>
          <div className="link-kind">{data?.kind}</div>
          {data?.mtu !== undefined ? <div className="link-mtu">MTU {data.mtu}</div> : null}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const LinkEdge = memo(LinkEdgeView);

/** Module-level constant, like `nodeTypes`. */
export const edgeTypes = { link: LinkEdge };
