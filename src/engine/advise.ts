/**
 * `advise.get`: the project's evidence (every campaign's groups, every run measured outside a
 * campaign) read from disk and handed to the pure advisor with the catalogue. A run or campaign
 * that does not read is left out (runs.unreadable and campaigns.get say why).
 */
import { advise, campaignEvidence, neededFor, runEvidence, type Advice, type EvidenceSet, type Needs } from '../shared/advise/index.js';
import type { RunResults } from '../shared/measure/results.js';
import type { Registry } from '../shared/tunnels/types.js';
import { readCampaign } from './campaign/run.js';
import { listCampaigns } from './campaign/store.js';
import { listRuns, readRun } from './measure/store.js';
import { openProject } from './store/project.js';

/**
 * `stated`: the needs the document states, as the caller holds it (the app's document, saved or
 * not); absent, the project file's `advice` section. `asked` overrides them (the CLI's flags).
 */
export async function adviseProject(dir: string, registry: Registry, asked: Partial<Needs> = {}, carried?: ReadonlySet<string>, stated?: Partial<Needs>): Promise<Advice> {
  const snap = await openProject(dir, registry).catch(() => undefined);
  const { needs, from } = neededFor(stated ?? snap?.topology?.advice, asked);
  const sets: EvidenceSet[] = [];
  const inCampaign = new Set<string>();
  for (const c of await listCampaigns(dir)) {
    try {
      const file = await readCampaign(dir, c.id);
      const runs = new Map<string, RunResults>();
      for (const cell of file.cells) {
        if (!cell.runId) continue;
        inCampaign.add(cell.runId);
        const r = await readRun(dir, cell.runId).catch(() => undefined);
        if (r) runs.set(cell.runId, r);
      }
      sets.push(...campaignEvidence(file, runs));
    } catch {
      // a campaign that does not read: campaigns.get says why
    }
  }
  for (const l of await listRuns(dir)) {
    if (inCampaign.has(l.runId) || l.campaign) continue;
    const r = await readRun(dir, l.runId).catch(() => undefined);
    if (r) sets.push(runEvidence(r));
  }
  return { ...advise({ needs, registry, sets, ...(snap?.topology ? { underlayMtu: snap.topology.underlay.mtu } : {}), ...(carried ? { carried } : {}), dir }), needsFrom: from };
}
