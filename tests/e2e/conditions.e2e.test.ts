/**
 * Link conditions in the designer, in a real Chromium against `overlab serve` on the embedded
 * lab (root): pick a preset on a link in the inspector (its figures in the picker, the effective
 * conditions under it), undo and redo it (one step each), a validation message under the field
 * it names, a custom rate typed in (one undo step for the whole value), the badge on the edge and
 * its legend; Deploy & measure with that rate, the edge keeps its badge beside the run's figures;
 * per direction (a → b 40, b → a 80 Mbit/s) applied without redeploying (tc only), read back and
 * shown as in force; a netem preset applied on this kernel (no sch_netem) is refused with where
 * it can run. Screenshots in tests/e2e/artifacts/conditions-*.png.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApp, isRoot, openApp, overlab, requireBuilt, screenshot } from './harness.js';

let tmp: string;
let project: string;
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let problems: string[] = [];
const shot = (name: string) => screenshot(page, `conditions-${name}`);

/** The edge's badge of the project's conditions, or with `any` also a painted run's (the conditions it was measured under). */
const badge = (any = false) => page.locator(`.react-flow__edgelabel-renderer .link-conditions${any ? '' : '.design'}`);
/** The badge as it reads, without the ≋ mark; '' when the edge has none. */
const badgeText = async (any = false): Promise<string> => ((await badge(any).count()) ? (await badge(any).first().innerText()).replace('≋', '').trim() : '');
const linkRow = () => page.getByRole('table', { name: 'Links' }).locator('tbody tr').first();
const conditions = () => page.getByRole('group', { name: 'Link conditions' });
/** Selects the link (from the side panel's list when nothing is selected; the inspector shows it then). */
async function selectLink(): Promise<void> {
  if (await conditions().count()) return;
  await linkRow().click();
  await conditions().waitFor();
}
/** Clicks the empty canvas (deselects, and takes the focus out of the inspector so the app's shortcuts apply). */
const pane = () => page.locator('.react-flow__pane').click({ position: { x: 30, y: 400 } });

beforeAll(async () => {
  requireBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-conditions-e2e-'));
  project = path.join(tmp, 'pair');
  await overlab(['new', project, '--template', 'site-to-site', '--hosts', '2', '--kind', 'vxlan', '--name', 'Conditions pair']);
  // A management range of its own, clear of the other tests' labs.
  const file = path.join(project, 'overlab.yaml');
  await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace(/management: \S+/, 'management: 198.18.236.0/24'));
  ({ server, browser, page, problems } = await openApp(project, tmp, 2));
}, 60_000);

afterAll(() => closeApp({ server, browser }, tmp, project));

describe.skipIf(!isRoot)('link conditions in the designer', () => {
  it('a preset picked on a link: its figures, the badge on the edge and the legend; undo and redo', async () => {
    await selectLink();
    const picker = conditions().getByLabel('Conditions preset');
    // Each preset shows its figures in the picker.
    expect(await picker.locator('option').allInnerTexts()).toContain('WAN between ISP sites — 20 ms ± 1 ms normal, 0.1 % loss each way');
    expect(await badge().count()).toBe(0);
    await picker.selectOption('isp-wan');
    await expect.poll(badgeText).toBe('20 ms ±1 · 0.1 %');
    await expect.poll(() => conditions().getByTestId('conditions-effective').innerText()).toBe('Each way: 20 ms ± 1 ms normal, 0.1 % loss.');
    // The preset's figures are the fields' placeholders: editable beside it.
    expect(await conditions().getByLabel('Both directions delay').getAttribute('placeholder')).toBe('20');
    await expect.poll(() => page.getByRole('region', { name: 'Conditions legend' }).innerText()).toContain('delay ± jitter');
    await shot('1-preset');
    await pane();
    await page.keyboard.press('Control+z');
    await expect.poll(badgeText).toBe('');
    expect(await page.getByRole('region', { name: 'Conditions legend' }).count()).toBe(0);
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(badgeText).toBe('20 ms ±1 · 0.1 %');
  });

  it('says what is wrong under the field it names, and a typed rate is one undo step', async () => {
    await selectLink();
    await conditions().getByLabel('Conditions preset').selectOption('');
    await expect.poll(badgeText).toBe('');
    const jitter = conditions().getByLabel('Both directions jitter');
    await jitter.fill('5');
    await jitter.press('Enter');
    // links[0].conditions.both.jitter: a jitter without a delay (larger than it, with no reason given).
    const field = conditions().locator('label.field.invalid', { has: page.getByLabel('Both directions jitter') });
    await expect.poll(() => field.locator('.field-problems').innerText().catch(() => '')).toMatch(/jitter/i);
    await shot('2-invalid');
    await jitter.fill('');
    await jitter.press('Enter');
    await expect.poll(() => conditions().locator('label.field.invalid').count()).toBe(0);
    const rate = conditions().getByLabel('Both directions rate');
    await rate.fill('40');
    await rate.press('Enter');
    await expect.poll(badgeText).toBe('40M');
    await pane();
    await page.keyboard.press('Control+z');
    await expect.poll(badgeText).toBe('');
    await page.keyboard.press('Control+Shift+Z');
    await expect.poll(badgeText).toBe('40M');
  });

  it('Deploy & measure with a 40 Mbit/s rate: the edge shows the badge and the run’s figures', async () => {
    await page.keyboard.press('Control+Shift+M');
    const dialog = page.getByRole('dialog', { name: 'Deploy & measure' });
    await dialog.getByLabel('Suite').selectOption('quick');
    await dialog.getByLabel('Duration').fill('1');
    await dialog.getByRole('button', { name: 'Deploy & measure' }).click();
    await expect.poll(() => page.locator('.run-result').innerText().catch(() => ''), { timeout: 240_000 }).toMatch(/^Deploy & measure: \d+ tests, complete/);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    expect(await page.locator('.heat-stroke').count()).toBe(1);
    // The label carries the run's figures and, under them, the conditions badge.
    await expect.poll(() => page.locator('.link-label .link-figure').first().innerText()).toMatch(/\d/);
    // The project's, or (once the run records the conditions it was measured under) the run's: the same 40M.
    expect(await badgeText(true)).toBe('40M');
    await shot('3-measured');
  }, 300_000);

  it('per direction, applied without redeploying: read back and shown in force', async () => {
    await selectLink();
    await conditions().getByLabel('Per direction').check();
    const names = await conditions().locator('.direction h3').allInnerTexts();
    expect(names).toHaveLength(2);
    const [ab, ba] = names.map((n) => n.replace(' → ', ' to '));
    // Turned on from "both": each direction starts with its figures.
    expect(await conditions().getByLabel(`${ab} rate`).inputValue()).toBe('40');
    const back = conditions().getByLabel(`${ba} rate`);
    await back.fill('80');
    await back.press('Enter');
    await expect.poll(badgeText).toBe('40M | 80M');
    await page.keyboard.press('Control+Alt+c');
    await expect.poll(() => page.locator('.run-result').innerText().catch(() => ''), { timeout: 120_000 }).toMatch(/^Apply conditions: .*shaped and read back.*the tunnels were not touched/);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await selectLink();
    const inForce = conditions().getByLabel('Conditions in force');
    await expect.poll(() => inForce.locator('tbody').innerText()).toMatch(/40M[\s\S]*40M[\s\S]*80M[\s\S]*80M/);
    expect(await inForce.locator('tr.differs').count()).toBe(0);
    // Set, not applied yet: the difference is marked.
    const rate = conditions().getByLabel(`${ab} rate`);
    await rate.fill('30');
    await rate.press('Enter');
    await expect.poll(() => inForce.locator('tr.differs').count()).toBe(1);
    await inForce.scrollIntoViewIfNeeded();
    await shot('4-in-force');
  }, 180_000);

  it('a netem preset on this kernel (no sch_netem) is refused, saying where it can run', async () => {
    await selectLink();
    await conditions().getByLabel('Per direction').uncheck();
    await conditions().getByLabel('Conditions preset').selectOption('isp-wan');
    await conditions().getByLabel('Both directions rate').fill('');
    await conditions().getByRole('button', { name: 'Apply conditions' }).click();
    await expect.poll(() => page.locator('.run-result').innerText().catch(() => ''), { timeout: 120_000 }).toMatch(/^Apply conditions failed on site-a: .*?netem.*?full-kernel runner/s);
    await shot('5-refused');
    await page.getByRole('button', { name: 'Close', exact: true }).click();
  }, 180_000);

  it('printed no console errors', () => {
    expect(problems).toEqual([]);
  });
});
