/**
 * The all-pairs matrix (perfSONAR's dashboard grid): rows are sources, columns destinations,
 * each cell the figure of the path between them — the tunnel of a link that joins them, else
 * the LAN-to-LAN path (through the hub on a multi-site). Colour by the metric's scale, or by
 * thresholds (ok / warning / bad, with a sign as well as a colour). A cell knows the links its
 * path crosses, so a click can light them on the drawing.
 */
import type { RunResults } from '../measure/results.js';
import { conditionsBadge, runConditions } from './conditions.js';
import { legendFor, MISSING, type Legend } from './heatmap.js';
import { figuresOfRun, formatValue, linkFigure, METRICS, valueOf, type Metric, type PathFigures } from './metrics.js';

export interface Thresholds {
  /** Worse than this: warning. */
  readonly warn: number;
  /** Worse than this: bad. */
  readonly bad: number;
}

export type Band = 'ok' | 'warn' | 'bad';
/** Okabe–Ito's bluish green, orange and vermillion; each band has a sign too. */
export const BANDS: Readonly<Record<Band, { readonly colour: string; readonly sign: string; readonly label: string }>> = {
  ok: { colour: '#009E73', sign: '✓', label: 'ok' },
  warn: { colour: '#E69F00', sign: '!', label: 'warning' },
  bad: { colour: '#D55E00', sign: '✕', label: 'bad' },
};

export interface MatrixCell {
  readonly src: string;
  readonly dst: string;
  readonly pathId?: string;
  /** The path's label (`LAN a → LAN c (via hub)`). */
  readonly label?: string;
  /** The links the path crosses, in order. */
  readonly linkIds: readonly string[];
  readonly value?: number;
  readonly text: string;
  readonly colour: string;
  readonly band?: Band;
  /** The link conditions this direction was measured under (a direct link's, in force; badge text). */
  readonly conditions?: string;
}

export interface MatrixView {
  readonly hosts: readonly { readonly id: string; readonly name: string }[];
  /** rows[i][j]: from hosts[i] to hosts[j]; the diagonal has no path. */
  readonly rows: readonly (readonly MatrixCell[])[];
  readonly legend: Legend;
  readonly thresholds?: Thresholds;
}

export function bandOf(v: number, t: Thresholds, better: 'lower' | 'higher'): Band {
  const worse = (x: number, than: number): boolean => (better === 'lower' ? x > than : x < than);
  return worse(v, t.bad) ? 'bad' : worse(v, t.warn) ? 'warn' : 'ok';
}

export function matrix(r: RunResults, opts: { metric: Metric; relative?: boolean; thresholds?: Thresholds }): MatrixView {
  const relative = !!opts.relative;
  const figs = figuresOfRun(r);
  const info = METRICS[opts.metric];
  const unit = relative ? info.relative.unit : info.unit;
  const better = relative ? info.relative.better : info.better;
  const hosts = r.topology.hosts.map((h) => ({ id: h.id!, name: h.name }));
  const linkBetween = (a: string, b: string) => r.links.find((l) => (l.hostIds.a === a && l.hostIds.b === b) || (l.hostIds.a === b && l.hostIds.b === a));
  const nameToId = new Map(hosts.map((h) => [h.name, h.id]));
  const conditions = runConditions(r);

  const cells = hosts.map((s) =>
    hosts.map((d) => {
      if (s.id === d.id) return { src: s.id, dst: d.id, linkIds: [] as string[] };
      const l = linkBetween(s.id, d.id);
      if (l) {
        // Throughput's forward direction is the link's a → b.
        const dir = l.hostIds.a === s.id ? 'forward' : 'reverse';
        const v = linkFigure(figs, l, l.id, opts.metric, dir, relative);
        const c = conditions.get(l.id);
        const badge = c ? conditionsBadge(dir === 'forward' ? c.aToB : c.bToA) : '';
        return { src: s.id, dst: d.id, pathId: `${l.id}.tunnel`, label: `${s.name} → ${d.name} (${l.kind})`, linkIds: [l.id], v: v?.value, ...(badge ? { conditions: badge } : {}) };
      }
      // A LAN path (one per pair; RTT is a round trip, so either direction's path serves).
      const p = r.paths.find((x) => x.type === 'lan' && ((x.src.hostId === s.id && x.dst.hostId === d.id) || (x.src.hostId === d.id && x.dst.hostId === s.id)));
      if (!p) return { src: s.id, dst: d.id, linkIds: [] as string[] };
      const chain = [s.id, ...(p.src.hostId === s.id ? (p.via ?? []) : [...(p.via ?? [])].reverse()).map((n) => nameToId.get(n)!), d.id];
      const linkIds = chain.slice(1).map((x, i) => linkBetween(chain[i]!, x)?.id).filter((x): x is string => !!x);
      const f: PathFigures | undefined = figs.get(p.id);
      // LAN paths have no underlay baseline of their own: relative figures are not defined there.
      const v = relative ? undefined : valueOf(f, opts.metric, p.src.hostId === s.id ? 'forward' : 'reverse');
      return { src: s.id, dst: d.id, pathId: p.id, label: p.label, linkIds, v: v?.value };
    }),
  );
  const values = cells.flat().map((c) => ('v' in c ? c.v : undefined)).filter((x): x is number => x !== undefined);
  const { legend, colour } = legendFor(relative ? info.relative.label : info.label, unit, better, relative ? info.relative.zero : info.zero, values);
  const rows = cells.map((row) =>
    row.map((c): MatrixCell => {
      const v = 'v' in c ? c.v : undefined;
      const band = v !== undefined && opts.thresholds ? bandOf(v, opts.thresholds, better) : undefined;
      return {
        src: c.src,
        dst: c.dst,
        ...('pathId' in c && c.pathId ? { pathId: c.pathId, label: c.label } : {}),
        linkIds: c.linkIds,
        ...(v !== undefined ? { value: v } : {}),
        text: v !== undefined ? formatValue(v, unit) : c.src === c.dst ? '' : 'pathId' in c && c.pathId ? 'not measured' : 'no path',
        colour: v === undefined ? MISSING : band ? BANDS[band].colour : colour(v),
        ...(band ? { band } : {}),
        ...('conditions' in c && c.conditions ? { conditions: c.conditions } : {}),
      };
    }),
  );
  return { hosts, rows, legend, ...(opts.thresholds ? { thresholds: opts.thresholds } : {}) };
}
