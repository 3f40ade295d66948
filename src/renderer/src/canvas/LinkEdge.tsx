import { BaseEdge, EdgeLabelRenderer, getStraightPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import type { LinkEdgeData } from './toFlow';

/**
 * A straight line centre to centre with an HTML label (kind, planned MTU); a problem or a
 * verified tunnel shows on the line. Large drawings get the line only.
 */
function LinkEdgeView({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<Edge<LinkEdgeData>>) {
  const [path, labelX, labelY] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  const cls = `link-path${selected ? ' selected' : ''}${data?.problem ? ` has-${data.problem}` : ''}${data?.verified ? ' verified' : ''}`;
  return (
    <>
      <BaseEdge id={id} path={path} className={cls} interactionWidth={data?.light ? 6 : 14} />
      {data?.light ? null : (
        <EdgeLabelRenderer>
          <div className={`link-label${selected ? ' selected' : ''}${data?.problem ? ` has-${data.problem}` : ''}`} style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}>
            <div className="link-kind">{data?.kind}{data?.verified ? ' ✓' : ''}</div>
            {data?.mtu !== undefined ? <div className="link-mtu">MTU {data.mtu}</div> : null}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const LinkEdge = memo(LinkEdgeView);

/** Module-level constant, like `nodeTypes`. */
export const edgeTypes = { link: LinkEdge };
