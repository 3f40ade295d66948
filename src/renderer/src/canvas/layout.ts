/**
 * Auto-layout per shape with elkjs (the bundled build, no worker): a hub-spoke or multi-site
 * radially around its hub, a mesh by stress (edge lengths as equal as they can be), a
 * site-to-site left to right. Positions are host centres, as the document keeps them.
 * elkjs (1.6 MB) is fetched the first time a layout is asked for, not with the page.
 */
import type { Topology } from '../../../shared/schema';

const W = 160;
const H = 64;

const ALGORITHMS: Readonly<Record<Topology['shape'], Record<string, string>>> = {
  'hub-spoke': { 'elk.algorithm': 'radial', 'elk.spacing.nodeNode': '80', 'elk.radial.radius': '260' },
  'multi-site': { 'elk.algorithm': 'radial', 'elk.spacing.nodeNode': '80', 'elk.radial.radius': '260' },
  mesh: { 'elk.algorithm': 'stress', 'elk.stress.desiredEdgeLength': '260' },
  'site-to-site': { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.spacing.nodeNodeBetweenLayers': '260' },
};

export async function autoLayout(t: Topology): Promise<Map<string, { x: number; y: number }>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  // The hub first: the radial layout centres its first node.
  const hosts = [...t.hosts].sort((a, b) => Number(b.role === 'hub') - Number(a.role === 'hub'));
  const idOf = new Map(t.hosts.map((h) => [h.name, h.id]));
  const graph = await elk.layout({
    id: 'root',
    layoutOptions: ALGORITHMS[t.shape],
    children: hosts.map((h) => ({ id: h.id, width: W, height: H })),
    edges: t.links.filter((l) => idOf.has(l.a) && idOf.has(l.b)).map((l) => ({ id: l.id, sources: [idOf.get(l.a)!], targets: [idOf.get(l.b)!] })),
  });
  const out = new Map<string, { x: number; y: number }>();
  for (const c of graph.children ?? []) out.set(c.id, { x: Math.round((c.x ?? 0) + W / 2), y: Math.round((c.y ?? 0) + H / 2) });
  return out;
}
