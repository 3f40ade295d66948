/**
 * What the drawing shows of the painted run: the heatmap (or the difference from the compared
 * run), per edge and host, with its legends — computed once per (run, settings) and handed to
 * the canvas, the legend, the hover card and the SVG export alike.
 */
import type { RunResults } from '../../../shared/measure/results';
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
    const edges = new Map<string, EdgeLook>();
    for (const [id, e] of d.edges) {
      edges.set(id, {
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
    return { mode: 'diff', runId: after.runId, edges, hosts: new Map(), legends: [d.legend], caption: `Change from run ${before.runId} (${when(before.startedAt)}) to ${after.runId} (${when(after.startedAt)})` };
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
    caption: `Run ${results.runId} · ${when(results.startedAt)} · suite ${results.suite.name} · ${results.status}${heat.at !== undefined ? ` · at ${new Date(heat.at).toLocaleTimeString()}` : ''}`,
  };
}
