/** The project's campaigns/: each campaign.json, newest first. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RUN_ID_RE } from '../../shared/api.js';
import type { CampaignFile } from '../../shared/measure/campaign.js';
import { readText } from '../safe-fs.js';

export async function listCampaigns(projectDir: string): Promise<{ id: string; createdAt: string; updatedAt: string; suite: string; cells: number; done: number }[]> {
  const root = path.join(projectDir, 'campaigns');
  const out = [];
  for (const e of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || !RUN_ID_RE.test(e.name)) continue;
    try {
      const c = JSON.parse((await readText(path.join(root, e.name, 'campaign.json'), { maxBytes: 16 << 20 })) ?? '') as CampaignFile;
      out.push({ id: c.id, createdAt: c.createdAt, updatedAt: c.updatedAt, suite: c.suite, cells: c.cells.length, done: c.cells.filter((x) => x.status === 'done').length });
    } catch {
      // not a campaign folder
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
