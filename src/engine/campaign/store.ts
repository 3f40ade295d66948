/** The project's campaigns/: each campaign.json, newest first, and the shape one must have to be read. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { RUN_ID_RE } from '../../shared/api.js';
import { CAMPAIGN_FORMAT, CAMPAIGN_VERSION, type CampaignFile } from '../../shared/measure/campaign.js';
import { readText } from '../safe-fs.js';
import { anyOf, arr, bool, JSON_MAX_DEPTH, jsonTooDeep, lit, num, obj, opt, rec, str, type Check } from '../shape.js';

/** The largest campaign.json read (a cell is a few hundred bytes). */
export const CAMPAIGN_MAX = 16 << 20;

const runIdOf: Check = (v) => (typeof v === 'string' && RUN_ID_RE.test(v) ? undefined : { at: [], want: 'a run id', got: v });

/** campaign.json: what the campaign views, its analysis and `--resume` read. */
export const campaignShape: Check = obj({
  format: lit(CAMPAIGN_FORMAT),
  version: num,
  id: str,
  createdAt: str,
  updatedAt: str,
  project: str,
  suite: str,
  repeat: num,
  duration: opt(num),
  conditions: opt(arr(str)),
  cells: arr(
    obj({
      id: str,
      kind: str,
      label: str,
      options: rec(anyOf('a string, a number or true/false', str, num, bool)),
      mtu: num,
      conditions: opt(str),
      status: lit('pending', 'done', 'skipped', 'failed'),
      runId: opt(runIdOf),
      reason: opt(str),
      seconds: opt(num),
    }),
  ),
});

/** A campaign.json's text as a campaign, or undefined when it is not one this Overlab reads (for the list, which leaves such folders out: campaigns.get says why). */
export function campaignOf(text: string): CampaignFile | undefined {
  if (jsonTooDeep(text, JSON_MAX_DEPTH) !== undefined) return undefined;
  try {
    const c = JSON.parse(text) as unknown;
    return campaignShape(c) === undefined && (c as CampaignFile).version <= CAMPAIGN_VERSION ? (c as CampaignFile) : undefined;
  } catch {
    return undefined;
  }
}

export async function listCampaigns(projectDir: string): Promise<{ id: string; createdAt: string; updatedAt: string; suite: string; cells: number; done: number }[]> {
  const root = path.join(projectDir, 'campaigns');
  const out = [];
  for (const e of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory() || !RUN_ID_RE.test(e.name)) continue;
    try {
      const c = campaignOf((await readText(path.join(root, e.name, 'campaign.json'), { maxBytes: CAMPAIGN_MAX })) ?? '');
      if (c) out.push({ id: c.id, createdAt: c.createdAt, updatedAt: c.updatedAt, suite: c.suite, cells: c.cells.length, done: c.cells.filter((x) => x.status === 'done').length });
    } catch {
      // not a campaign folder (unreadable, unsafe, too large): campaigns.get says why
    }
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
