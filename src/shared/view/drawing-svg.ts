/**
 * The drawing as a standalone SVG document: hosts where the designer put them, links as lines
 * (each half in its own colour when an edge shows two figures), the figures on the links, each
 * host's CPU, the marks, and the legend under the drawing. Vector, so it stays sharp in a
 * report and scales in a paper; the UI's "Export SVG/PNG" and the PDF report draw from it.
 */
import type { Topology } from '../schema.js';
import { tickPlace, type Legend } from './heatmap.js';

export interface DrawnEdge {
  readonly halves: readonly { readonly colour: string; readonly text: string; readonly direction?: string }[];
  readonly width: number;
  /** Truthy: the figure's interval overlaps its neighbour's (drawn as ≈). */
  readonly uncertain?: unknown;
  readonly failed?: boolean;
  /** The link conditions the run was measured under (its badge), drawn under the figures. */
  readonly conditions?: { readonly badge: string };
}

export interface DrawingInput {
  readonly topology: Topology;
  readonly edges?: ReadonlyMap<string, DrawnEdge>;
  readonly hosts?: ReadonlyMap<string, { readonly cpu?: number; readonly failed?: string }>;
  readonly legends?: readonly Legend[];
  readonly caption?: string;
  /** Links to draw lit (a path), the others dimmed. */
  readonly highlight?: ReadonlySet<string>;
  /** Figures on the links (off for very large drawings). */
  readonly labels?: boolean;
}

const NODE = { w: 150, h: 58 };
const MARGIN = 40;

export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

const n = (x: number): string => (Math.round(x * 10) / 10).toString();

type Point = { readonly x: number; readonly y: number };
type Link = Topology['links'][number];
type Host = Topology['hosts'][number];

/** Where everything sits: each host's position (a grid where the designer put none), the picture's box, the drawing's and the legends' heights. */
function layout(input: DrawingInput): { pos: Map<string, Point>; minX: number; minY: number; W: number; height: number; drawH: number; captionH: number } {
  const t = input.topology;
  const pos = new Map(t.hosts.map((h, i) => [h.name, h.position ?? { x: (i % 6) * 200, y: Math.floor(i / 6) * 160 }]));
  const xs = [...pos.values()].map((p) => p.x);
  const ys = [...pos.values()].map((p) => p.y);
  const minX = Math.min(...xs) - NODE.w / 2 - MARGIN;
  const minY = Math.min(...ys) - NODE.h / 2 - MARGIN;
  const width = Math.max(...xs) + NODE.w / 2 + MARGIN - minX;
  const legends = input.legends ?? [];
  const legendH = legends.length ? 30 + legends.length * 54 : 0;
  const captionH = input.caption ? 26 : 0;
  const drawH = Math.max(...ys) + NODE.h / 2 + MARGIN - minY;
  const height = drawH + legendH + captionH;
  const W = Math.max(width, 520);
  return { pos, minX, minY, W, height, drawH, captionH };
}

/** A link: its line (two halves when the edge shows two figures), lit or dimmed, a failure's dashes, and its figures' label. */
function linkSvg(input: DrawingInput, l: Link, a: Point, b: Point, dy: number, labels: boolean): string[] {
  const out: string[] = [];
  const e = input.edges?.get(l.id!);
  const dim = input.highlight?.size && !input.highlight.has(l.id!);
  const op = dim ? ' opacity="0.25"' : '';
  const [ax, ay, bx, by] = [a.x, a.y + dy, b.x, b.y + dy];
  const mx = (ax + bx) / 2;
  const my = (ay + by) / 2;
  out.push(`<g data-link="${escapeXml(l.id!)}"${op}>`);
  if (input.highlight?.has(l.id!)) out.push(`<line x1="${n(ax)}" y1="${n(ay)}" x2="${n(bx)}" y2="${n(by)}" stroke="#1d47ad" stroke-opacity="0.35" stroke-width="${n((e?.width ?? 2) + 8)}" stroke-linecap="round"/>`);
  if (e && e.halves.length === 2) {
    out.push(`<line x1="${n(ax)}" y1="${n(ay)}" x2="${n(mx)}" y2="${n(my)}" stroke="${e.halves[0]!.colour}" stroke-width="${n(e.width)}"/>`);
    out.push(`<line x1="${n(mx)}" y1="${n(my)}" x2="${n(bx)}" y2="${n(by)}" stroke="${e.halves[1]!.colour}" stroke-width="${n(e.width)}"/>`);
  } else {
    out.push(`<line x1="${n(ax)}" y1="${n(ay)}" x2="${n(bx)}" y2="${n(by)}" stroke="${e?.halves[0]?.colour ?? '#8a94a8'}" stroke-width="${n(e?.width ?? 2)}"/>`);
  }
  if (e?.failed) out.push(`<line x1="${n(ax)}" y1="${n(ay)}" x2="${n(bx)}" y2="${n(by)}" stroke="#D55E00" stroke-width="1.5" stroke-dasharray="6 5"/>`);
  if (labels) out.push(...linkLabelSvg(l, e, mx, my));
  out.push('</g>');
  return out;
}

/** A link's label at its middle: the kind, each figure (with its direction), the marks, and the run's conditions badge. */
function linkLabelSvg(l: Link, e: DrawnEdge | undefined, mx: number, my: number): string[] {
  const out: string[] = [];
  const lines = [l.kind, ...(e ? e.halves.map((h) => `${h.direction ? `${h.direction} ` : ''}${h.text}`) : [])];
  const marks = `${e?.uncertain ? ' ≈' : ''}${e?.failed ? ' ✕' : ''}`;
  const badge = e?.conditions?.badge;
  const lw = Math.max(...lines.map((s) => s.length), badge ? badge.length * 0.9 : 0) * 6.6 + 14 + marks.length * 7;
  const lh = lines.length * 14 + 6 + (badge ? 14 : 0);
  out.push(`<rect x="${n(mx - lw / 2)}" y="${n(my - lh / 2)}" width="${n(lw)}" height="${n(lh)}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="#ccd2dd"/>`);
  lines.forEach((s, i) => out.push(`<text x="${n(mx)}" y="${n(my - lh / 2 + 14 + i * 14)}" text-anchor="middle" fill="${i === 0 ? '#556' : '#112'}" font-size="${i === 0 ? 10 : 11.5}">${escapeXml(s)}${i === lines.length - 1 ? escapeXml(marks) : ''}</text>`));
  // The run's link conditions, as the app's badge: what the figures above were measured under.
  if (badge) out.push(`<text x="${n(mx)}" y="${n(my - lh / 2 + 14 + lines.length * 14)}" text-anchor="middle" fill="#4a3b78" font-size="10" data-conditions="run">${escapeXml(badge)}</text>`);
  return out;
}

/** A host: its box (hubs and failed hosts outlined), name, role and LAN, and its CPU bar. */
function hostSvg(input: DrawingInput, h: Host, p: Point, dy: number): string[] {
  const out: string[] = [];
  const x = p.x - NODE.w / 2;
  const y = p.y + dy - NODE.h / 2;
  const hp = input.hosts?.get(h.id!);
  const stroke = hp?.failed ? '#D55E00' : h.role === 'hub' ? '#1d47ad' : '#8a94a8';
  out.push(`<g data-host="${escapeXml(h.id!)}">`);
  out.push(`<rect x="${n(x)}" y="${n(y)}" width="${NODE.w}" height="${NODE.h}" rx="8" fill="#ffffff" stroke="${stroke}" stroke-width="${h.role === 'hub' ? 2 : 1.2}"/>`);
  out.push(`<text x="${n(p.x)}" y="${n(y + 20)}" text-anchor="middle" font-weight="bold" font-size="13" fill="#112">${escapeXml(h.name)}${hp?.failed ? ' ✕' : ''}</text>`);
  out.push(`<text x="${n(p.x)}" y="${n(y + 36)}" text-anchor="middle" font-size="10.5" fill="#556">${escapeXml(`${h.role}${h.lan ? ` · LAN ${h.lan}` : ''}`)}</text>`);
  if (hp?.cpu !== undefined) {
    // The bar under the role line, its figure to its right (not over the LAN text).
    const frac = Math.min(100, hp.cpu) / 100;
    const bw = NODE.w - 24 - 46;
    out.push(`<rect x="${n(x + 12)}" y="${n(y + 43)}" width="${bw}" height="7" rx="3" fill="#e8ebf1"/>`);
    out.push(`<rect x="${n(x + 12)}" y="${n(y + 43)}" width="${n(bw * frac)}" height="7" rx="3" fill="#6a51a3"/>`);
    out.push(`<text x="${n(x + NODE.w - 10)}" y="${n(y + 50)}" text-anchor="end" font-size="9" fill="#445">CPU ${hp.cpu.toFixed(0)} %</text>`);
  }
  out.push('</g>');
  return out;
}

/** The legends under the drawing, one scale per row from `top`, and the marks' key. */
function legendsSvg(legends: readonly Legend[], minX: number, top: number, W: number): string[] {
  const out: string[] = [];
  let ly = top;
  for (const [i, lg] of legends.entries()) {
    const gx = minX + 16;
    const gw = Math.min(360, W - 32);
    const id = `lg${i}`;
    out.push(`<defs><linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">${lg.stops.map((c, k) => `<stop offset="${n((k / Math.max(1, lg.stops.length - 1)) * 100)}%" stop-color="${c}"/>`).join('')}</linearGradient></defs>`);
    out.push(`<text x="${n(gx)}" y="${n(ly + 12)}" font-size="12" fill="#223"><tspan font-weight="bold">${escapeXml(lg.title)}</tspan> (${escapeXml(lg.unit)}; ${lg.better} is better)</text>`);
    out.push(`<rect x="${n(gx)}" y="${n(ly + 18)}" width="${n(gw)}" height="12" fill="url(#${id})" stroke="#99a"/>`);
    for (const tk of lg.ticks) {
      const { at, align } = tickPlace(lg, tk);
      const tx = gx + at * gw;
      out.push(`<line x1="${n(tx)}" y1="${n(ly + 30)}" x2="${n(tx)}" y2="${n(ly + 34)}" stroke="#556"/><text x="${n(tx)}" y="${n(ly + 45)}" text-anchor="${align}" font-size="10" fill="#334">${escapeXml(tk.label)}</text>`);
    }
    out.push(`<rect x="${n(gx + gw + 20)}" y="${n(ly + 18)}" width="12" height="12" fill="${lg.missing}"/><text x="${n(gx + gw + 38)}" y="${n(ly + 28)}" font-size="10" fill="#334">not measured</text>`);
    ly += 54;
  }
  if (legends.length) {
    const marks = ['≈ 95 % interval overlaps the next edge’s on the scale', '✕ tests failed', ...(legends.length === 2 ? [`half at a: ${legends[0]!.title}; half at b: ${legends[1]!.title}`] : [])];
    out.push(`<text x="${n(minX + 16)}" y="${n(ly + 12)}" font-size="10" fill="#556">${escapeXml(marks.join('   ·   '))}</text>`);
  }
  return out;
}

/** The drawing as SVG: the frame and caption, the links under the hosts, the hosts, the legends. */
export function drawingSvg(input: DrawingInput): string {
  const t = input.topology;
  const { pos, minX, minY, W, height, drawH, captionH } = layout(input);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${n(minX)} ${n(minY)} ${n(W)} ${n(height)}" width="${n(W)}" height="${n(height)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect x="${n(minX)}" y="${n(minY)}" width="${n(W)}" height="${n(height)}" fill="#ffffff"/>`);
  if (input.caption) out.push(`<text x="${n(minX + 12)}" y="${n(minY + 18)}" font-size="13" fill="#334">${escapeXml(input.caption)}</text>`);
  const dy = captionH;
  const labels = input.labels ?? t.hosts.length + t.links.length <= 400;
  // Links first, under the hosts.
  for (const l of t.links) {
    const a = pos.get(l.a);
    const b = pos.get(l.b);
    if (a && b) out.push(...linkSvg(input, l, a, b, dy, labels));
  }
  for (const h of t.hosts) out.push(...hostSvg(input, h, pos.get(h.name)!, dy));
  out.push(...legendsSvg(input.legends ?? [], minX, minY + drawH + captionH + 8, W));
  out.push('</svg>');
  return out.join('\n');
}
