import { BaseEdge, EdgeLabelRenderer, getStraightPath, type Edge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import type { LinkEdgeData } from './toFlow';

/**
 * A straight line centre to centre with an HTML label (kind, planned MTU); a problem or a
 * verified tunnel shows on the line. With a heatmap, the line takes the figure's colour (each
 * half its own when the edge shows two figures: the half at a shows a → b), its width may be
 * the throughput, and the label the figures, with ≈ where the interval overlaps its
 * neighbour's and ✕ where tests failed. A link with conditions (delay, loss, rate…) carries
 * their badge under the label (≋, see the legend). Large drawings get the line only.
 */
function LinkEdgeView({ id, sourceX, sourceY, targetX, targetY, data, selected }: EdgeProps<Edge<LinkEdgeData>>) {
  const [path, labelX, labelY] = getStraightPath({ sourceX, sourceY, targetX, targetY });
  const look = data?.look;
  const cls = `link-path${selected ? ' selected' : ''}${data?.problem ? ` has-${data.problem}` : ''}${data?.verified ? ' verified' : ''}${look ? ' heat' : ''}${data?.lit ? ' lit' : ''}${data?.dim ? ' dim' : ''}`;
  const midX = (sourceX + targetX) / 2;
  const midY = (sourceY + targetY) / 2;
  return (
    <>
      {look ? (
        <g className={`heat-edge${data?.lit ? ' lit' : ''}${data?.dim ? ' dim' : ''}${selected ? ' selected' : ''}`} data-link={id}>
          {data?.lit || selected ? <path d={path} className="heat-halo" strokeWidth={look.width + 6} /> : null}
          {look.halves.length === 2 ? (
            <>
              <path d={`M ${sourceX},${sourceY} L ${midX},${midY}`} stroke={look.halves[0]!.colour} strokeWidth={look.width} className="heat-stroke" data-half="a" />
              <path d={`M ${midX},${midY} L ${targetX},${targetY}`} stroke={look.halves[1]!.colour} strokeWidth={look.width} className="heat-stroke" data-half="b" />
            </>
          ) : (
            <path d={path} stroke={look.halves[0]!.colour} strokeWidth={look.width} className="heat-stroke" />
          )}
          {look.failed ? <path d={path} className="heat-failed" strokeWidth={Math.max(1.5, look.width / 3)} /> : null}
        </g>
      ) : null}
      <BaseEdge id={id} path={path} className={cls} interactionWidth={data?.light ? 6 : 14} />
      {data?.light ? null : (
        <EdgeLabelRenderer>
          <div className={`link-label${selected ? ' selected' : ''}${data?.problem ? ` has-${data.problem}` : ''}${look ? ' heat' : ''}${data?.dim ? ' dim' : ''}`} style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}>
            <div className="link-kind">{data?.kind}{data?.verified && !look ? ' ✓' : ''}</div>
            {look ? (
              <div className="link-figures">
                {look.halves.map((h, i) => (
                  <div key={i} className="link-figure">
                    <span className="swatch" style={{ background: h.colour }} />
                    {h.direction ? <span className="dir">{h.direction}</span> : null}
                    {h.text}
                  </div>
                ))}
                {look.uncertain ? <span className="mark uncertain" title={look.uncertain}>≈</span> : null}
                {look.failed ? <span className="mark failed" title="Some tests failed: hover for why">✕</span> : null}
                {/* The painted run's conditions (results layer): while painted, they stand for the edge's. */}
                {look.conditions ? <div className={`link-conditions run${look.conditions.mismatch ? ' mismatch' : ''}`} title={look.conditions.title} data-conditions="run">{look.conditions.badge}</div> : null}
              </div>
            ) : data?.mtu !== undefined ? (
              <div className="link-mtu">MTU {data.mtu}</div>
            ) : null}
            {/* The project's conditions. A painted run that recorded its own (read back when measured) shows those beside its figures: then this badge shows only where the project now sets others. */}
            {data?.conditions && !(look && 'conditions' in look && (look.conditions as { badge?: string } | undefined)?.badge === data.conditions) ? (
              <div className="link-conditions design" data-conditions={data.conditions} title={`Link conditions set in the project: ${data.conditions}`}>
                <span className="cond-mark" aria-hidden="true">≋</span> {data.conditions}
              </div>
            ) : null}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const LinkEdge = memo(LinkEdgeView);

/** Module-level constant, like `nodeTypes`. */
export const edgeTypes = { link: LinkEdge };
