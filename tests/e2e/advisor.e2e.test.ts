/**
 * The Advisor tab, as a user meets it, in a real Chromium against `overlab serve`: a project
 * holding a campaign measured in the lab (tests/fixtures/results/campaign6: VXLAN, macvlan,
 * tinc, Nebula, OpenVPN and OpenConnect, lean suite) — the tab opens with its shortcut (A), ranks
 * the six kinds with the figures of their runs and the reasons; asking for encryption (keyboard
 * only) leaves the unencrypted kinds out with the reason, and is an edit of the document (saved
 * to overlab.yaml's advice section, undone with Ctrl+Z). No console errors. Screenshot in
 * tests/e2e/artifacts/advisor-*.png. Needs no lab: the measurements are the fixture's.
 */
import { cpSync, readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../src/shared/measure/campaign.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { closeApp, openApp, overlab, requireBuilt, ROOT, screenshot } from './harness.js';

const FIX = path.join(ROOT, 'tests/fixtures/results/campaign6');
const camp = JSON.parse(readFileSync(path.join(FIX, 'campaign.json'), 'utf8')) as CampaignFile;
const runOf = (kind: string): RunResults => JSON.parse(readFileSync(path.join(FIX, 'runs', camp.cells.find((c) => c.kind === kind)!.runId!, 'results.json'), 'utf8')) as RunResults;

let tmp = '';
let project = '';
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  requireBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-advisor-e2e-'));
  project = path.join(tmp, 'proj');
  await overlab(['new', project, '--template', 'site-to-site', '--hosts', '2', '--kind', 'vxlan', '--name', 'Advisor']);
  cpSync(path.join(FIX, 'campaign.json'), path.join(project, 'campaigns', camp.id, 'campaign.json'));
  cpSync(path.join(FIX, 'runs'), path.join(project, 'runs'), { recursive: true });
  ({ server, browser, page, problems } = await openApp(project, tmp, 2));
});

afterAll(async () => {
  await closeApp({ server, browser }, tmp);
});

describe('the Advisor tab', () => {
  it('opens with A and ranks the campaign\'s six kinds, each with its figures, run and reasons', async () => {
    await page.locator('.react-flow__pane').click();
    await page.keyboard.press('a');
    const ranking = page.getByRole('table', { name: 'Ranking' });
    await ranking.waitFor({ timeout: 20_000 });
    await expect.poll(() => ranking.locator('tbody tr').count()).toBe(6);
    const vx = runOf('vxlan');
    const tunnel = vx.paths.find((p) => p.type === 'tunnel')!;
    const row = ranking.locator('tr[data-kind="vxlan"]');
    await expect.poll(() => row.textContent()).toContain(vx.runId);
    const text = (await row.textContent())!;
    expect(text).toContain(`${vx.summary.paths[tunnel.id]!.rtt!.ms.mean.toFixed(3)} ±`);
    expect(text).toMatch(/\+[0-9.]+ ms RTT over the underlay/);
    // The userspace tunnels' intervals overlap: a shared rank, said so on the row.
    expect(await ranking.locator('tr.tie').count()).toBeGreaterThan(1);
    expect(await ranking.locator('tr.tie').first().textContent()).toContain('Tie: the measurement cannot order');
    await screenshot(page, 'advisor-ranking');
  });

  it('asking for encryption (keyboard only) leaves VXLAN and macvlan out: not encrypted', async () => {
    await page.getByLabel('Encryption required').focus();
    await page.keyboard.press('Space');
    const left = page.getByRole('table', { name: 'Left out' });
    await expect.poll(() => left.locator('tr[data-kind="vxlan"]').textContent()).toContain('not encrypted');
    expect(await left.locator('tr[data-kind="macvlan"]').textContent()).toContain('not encrypted');
    await expect.poll(() => page.getByRole('table', { name: 'Ranking' }).locator('tbody tr').count()).toBe(4);
    await screenshot(page, 'advisor-encrypted');
    expect(problems).toEqual([]);
  });

  it('the need is the document\'s: Ctrl+S writes it to overlab.yaml, Ctrl+Z takes it back', async () => {
    const file = path.join(project, 'overlab.yaml');
    await page.keyboard.press('Control+s');
    await expect.poll(async () => (await fs.readFile(file, 'utf8')).match(/^advice:\n(?: .*\n)*/m)?.[0]).toBe('advice:\n  encrypted: true\n');
    // Undo from outside the form (keys in a field are the field's).
    await page.locator('.advisor-tab > p.muted').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByLabel('Encryption required').isChecked()).toBe(false);
    await expect.poll(() => page.getByRole('table', { name: 'Ranking' }).locator('tbody tr').count()).toBe(6);
    await page.keyboard.press('Control+s');
    await expect.poll(async () => fs.readFile(file, 'utf8')).not.toMatch(/^advice:/m);
    await screenshot(page, 'advisor-undone');
    expect(problems).toEqual([]);
  });

  it('the report has an Advice section with the same ranking', async () => {
    const out = path.join(tmp, 'report.html');
    await overlab(['report', project, '--campaign', camp.id, '--format', 'html', '--out', out]);
    const html = await fs.readFile(out, 'utf8');
    expect(html).toContain('id="advice"');
    // It says which needs it used: the project states none now (undone above).
    expect(html).toMatch(/data-needs-from[^>]*>\(the advisor(&#x27;|')s defaults/);
    expect(html).toMatch(/<tr[^>]*data-kind="vxlan"[^>]*data-rank="\d+"/);
    expect(html).toContain('Tie: the measurement cannot order');
    expect(html).toMatch(/data-kind="tinc" data-why|data-kind="tinc"[^>]*data-rank/);
  });
});
