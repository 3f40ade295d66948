/**
 * What the drawing shows of the painted run: the heatmap (or the difference from the compared
 * run), per edge and host, with its legends — computed once per (run, settings) and handed to
 * the canvas, the legend, the hover card and the SVG export alike.
 */
import type { RunResults } from '../../../shared/measure/results';
import { runConditions, runConditionsText, sameCondition } from '../../../shared/view/conditions';
import { diff, heatmap, type Legend } from '../../../shared/view/heatmap';
import type { HeatSettings } from '../store/index';

export interface EdgeLook {
  readonly halves: readonly { readonly colour: string; readonly text: string; readonly direction?: string }[];
  readonly width: number;
  /** Why the figure's order on the scale is not established (its interval overlaps a neighbour's). */
  readonly uncertain?: string;
  readonly failed?: boolean;
  readonly details: readonly string[];
  readonly spark: readonly number[];
  /**
   * The link conditions the painted run was measured under (in force, read back), for the edge's
   * badge; in a comparison, `before → after` where they changed. While a run is painted this
   * badge stands for the edge's conditions, not the document's (which may have changed since).
   */
  readonly conditions?: { readonly badge: string; readonly title: string; readonly mismatch?: boolean };
}

export interface HostLook {
  readonly cpu?: number;
  readonly failed?: string;
}

export interface Paint {
  readonly mode: 'heat' | 'diff';
  readonly runId: string;
  readonly edges: ReadonlyMap<string, EdgeLook>;
  readonly hosts: ReadonlyMap<string, HostLook>;
  readonly legends: readonly Legend[];
  /** For the legend: what the width means, when it means something. */
  readonly widthMeaning?: string;
  readonly caption: string;
}

/** The comparison's caption says when the runs were measured under different conditions (a figure's change may be theirs, not the tunnel's). */
function conditionsMoved(before: RunResults, after: RunResults): string {
  const b = runConditionsText(before);
  const a = runConditionsText(after);
  return a === b ? (a === 'none' ? '' : ` · both under ${a}`) : ` · conditions ${b} → ${a}`;
}

let last: { r: RunResults; c?: RunResults; h: HeatSettings; p?: Paint } | undefined;

export function paintOf(results: RunResults | undefined, compare: RunResults | undefined, heat: HeatSettings): Paint | undefined {
  if (!results || !heat.on) return undefined;
  if (last && last.r === results && last.c === compare && last.h === heat) return last.p;
  const p = compute(results, compare, heat);
  last = { r: results, ...(compare ? { c: compare } : {}), h: heat, ...(p ? { p } : {}) };
  return p;
}

const when = (iso: string): string => new Date(iso).toLocaleString();

function compute(results: RunResults, compare: RunResults | undefined, heat: HeatSettings): Paint | undefined {
  if (compare) {
    // The older run is "before", whichever was picked first.
    const [before, after] = Date.parse(compare.startedAt) <= Date.parse(results.startedAt) ? [compare, results] : [results, compare];
    const d = diff(before, after, { metric: heat.metric, relative: heat.relative });
    const cb = runConditions(before);
    const ca = runConditions(after);
    const edges = new Map<string, EdgeLook>();
    for (const [id, e] of d.edges) {
      const was = cb.get(id);
      const now = ca.get(id);
      const moved = !sameCondition(was?.aToB, now?.aToB) || !sameCondition(was?.bToA, now?.bToA);
      const badge = moved ? `${was?.badge ?? 'none'} → ${now?.badge ?? 'none'}` : (now?.badge ?? '');
      edges.set(id, {
        ...(badge ? { conditions: { badge, title: e.changed.find((x) => x.startsWith('conditions ')) ?? `conditions: ${now?.text ?? 'none'} in both runs` } } : {}),
        halves: [{ colour: e.colour, text: e.text }],
        width: 4,
        details: [
          `${d.legend.title}: ${e.text}`,
          ...(e.before !== undefined ? [`before (${before.runId}): ${e.before.toPrecision(4)} ${d.legend.unit}`] : []),
          ...(e.after !== undefined ? [`after (${after.runId}): ${e.after.toPrecision(4)} ${d.legend.unit}`] : []),
          ...e.changed,
        ],
        spark: [],
      });
    }
    return { mode: 'diff', runId: after.runId, edges, hosts: new Map(), legends: [d.legend], caption: `Change from run ${before.runId} (${when(before.startedAt)}) to ${after.runId} (${when(after.startedAt)})${conditionsMoved(before, after)}` };
  }
  const v = heatmap(results, { metric: heat.metric, second: heat.second, relative: heat.relative, widthByThroughput: heat.widthByThroughput, ...(heat.at !== undefined ? { at: heat.at } : {}) });
  const edges = new Map<string, EdgeLook>();
  for (const [id, e] of v.edges) {
    edges.set(id, {
      halves: e.halves.map((h) => ({ colour: h.colour, text: h.text, ...(h.direction ? { direction: h.direction === 'forward' ? '→' : '←' } : {}) })),
      width: e.width,
      ...(e.uncertain ? { uncertain: `95 % interval overlaps ${e.uncertain.neighbour}'s` } : {}),
      ...(e.failures.length ? { failed: true } : {}),
      details: e.details,
      spark: e.spark,
      ...(e.conditions ? { conditions: { badge: e.conditions.badge, title: [...e.conditions.details, ...e.conditions.mismatch.map((m) => `not as asked: ${m}`)].join('\n'), ...(e.conditions.mismatch.length ? { mismatch: true } : {}) } } : {}),
    });
  }
  const hosts = new Map<string, HostLook>();
  for (const [id, h] of v.hosts) hosts.set(id, { ...(h.cpu !== undefined ? { cpu: h.cpu } : {}), ...(h.failed ? { failed: h.failed } : {}) });
  return {
    mode: 'heat',
    runId: results.runId,
    edges,
    hosts,
    legends: v.legends,
    ...(heat.widthByThroughput ? { widthMeaning: 'width: TCP throughput a → b, relative to the fastest link' } : {}),
    caption: `Run ${results.runId} · ${when(results.startedAt)} · suite ${results.suite.name} · ${results.status}${results.conditions ? ` · conditions ${runConditionsText(results)}` : ''}${heat.at !== undefined ? ` · at ${new Date(heat.at).toLocaleTimeString()}` : ''}`,
  };
}
