/**
 * A run measured under link conditions, as the app shows it, in a real Chromium against
 * `overlab serve`: the project of tests/fixtures/results/rate2 with its two real runs (one VXLAN
 * link under none, then under a→b 40 Mbit/s, b→a 80 Mbit/s read back from tc). Opened, the newest
 * run is painted: its edge carries the conditions badge, the per-link table and the matrix their
 * conditions; compared with the run under none, the edge's badge and the caption say what
 * changed, and the charts put the two runs' per-link figures side by side (drawn: a pixel check).
 * The run's PDF report carries them too (pdftotext), per link and in the methodology. No lab is
 * needed: the runs are real ones, copied in. Screenshots and report pages in tests/e2e/artifacts/conditions-*.png.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { migrate } from '../../src/shared/migrations.js';
import type { Topology } from '../../src/shared/schema.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';
import { ARTIFACTS, closeApp, openApp, overlab, requireBuilt, ROOT, screenshot } from './harness.js';

const exec = promisify(execFile);

const FIX = path.join(ROOT, 'tests/fixtures/results/rate2');
let tmp: string;
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let problems: string[] = [];
let none: RunResults;
let rate: RunResults;
const shot = (name: string) => screenshot(page, `conditions-${name}`);

beforeAll(async () => {
  requireBuilt();
  none = JSON.parse(await fs.readFile(path.join(FIX, 'none/results.json'), 'utf8')) as RunResults;
  rate = JSON.parse(await fs.readFile(path.join(FIX, 'rate/results.json'), 'utf8')) as RunResults;
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-conditions-e2e-'));
  const dir = path.join(tmp, 'rate2');
  // The run was captured under an older schema version: the project is saved as Overlab opens it (migrated).
  const topology = migrate(rate.topology).value?.document as Topology;
  const saved = await createEngine({ registry: defaultRegistry })['project.save']({ dir, topology });
  expect(saved.topology).toBeDefined();
  for (const r of [none, rate]) {
    await fs.mkdir(path.join(dir, 'runs', r.runId), { recursive: true });
    await fs.copyFile(path.join(FIX, r === none ? 'none' : 'rate', 'results.json'), path.join(dir, 'runs', r.runId, 'results.json'));
  }
  ({ server, browser, page, problems } = await openApp(dir, tmp, 2));
}, 60_000);

afterAll(() => closeApp({ server, browser }, tmp));

describe('a run under link conditions', () => {
  it('painted: the edge carries the conditions in force, per direction', async () => {
    await expect.poll(() => page.locator('.heat-stroke').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('.heat-legend .legend-caption').innerText()).toContain(rate.runId);
    const badge = page.locator('.link-conditions.run');
    await expect.poll(() => badge.count()).toBe(1);
    expect(await badge.innerText()).toBe('40M | 80M');
    expect(await badge.getAttribute('title')).toBe(`${rate.links[0]!.a} → ${rate.links[0]!.b}: 40 Mbit/s\n${rate.links[0]!.b} → ${rate.links[0]!.a}: 80 Mbit/s`);
    expect(await page.locator('.heat-legend .legend-caption').innerText()).toContain('conditions 40 Mbit/s a→b, 80 Mbit/s b→a');
    // Each direction's TCP on its own half, beside the badge.
    await page.getByLabel('Metric').selectOption('tcp');
    await page.getByLabel('Second figure').selectOption('reverse');
    await expect.poll(() => page.locator('.link-figure').allInnerTexts()).toEqual([expect.stringMatching(/→\s*3\d\.\d Mbit\/s/), expect.stringMatching(/←\s*7\d\.\d Mbit\/s/)]);
    await shot('1-painted');
  });

  it('the per-link table and the matrix have its conditions', async () => {
    await page.getByRole('button', { name: 'Charts', exact: true }).click();
    const table = page.getByRole('table', { name: 'Links measured' });
    await expect.poll(() => table.locator('tbody tr').count(), { timeout: 15_000 }).toBe(1);
    expect(await table.locator('thead th').last().innerText()).toBe('Conditions');
    expect(await table.locator('td.conditions').innerText()).toBe('40M | 80M');
    await page.getByRole('button', { name: 'Matrix', exact: true }).click();
    const panel = page.getByRole('region', { name: 'All-pairs matrix' });
    await expect.poll(() => panel.locator('.cell-conditions').allInnerTexts()).toEqual(['40M', '80M']);
    await shot('2-matrix');
  });

  it('compared with the run under none: what changed in conditions, and the two runs side by side', async () => {
    await page.getByRole('button', { name: /^Runs/ }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => runs.locator('tbody tr').count()).toBe(2);
    await runs.locator(`tr[data-run="${none.runId}"]`).getByRole('button', { name: 'Compare' }).click();
    await expect.poll(() => page.locator('.heat-legend .scale-title').innerText()).toContain('change');
    await expect.poll(() => page.locator('.link-conditions.run').innerText()).toBe('none → 40M | 80M');
    expect(await page.locator('.heat-legend .legend-caption').innerText()).toContain('conditions none → 40 Mbit/s a→b, 80 Mbit/s b→a');
    await page.getByRole('tab', { name: 'Charts' }).click();
    const compared = page.locator('[data-charts="compare"]');
    await expect.poll(() => compared.locator('canvas').count(), { timeout: 10_000 }).toBe(4);
    const ink = await compared.locator('canvas').evaluateAll((els) =>
      els.map((el) => {
        const c = el as unknown as { width: number; height: number; getContext(t: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4 * 7) if (data[i + 3]! > 0 && (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235)) n++;
        return n;
      }),
    );
    expect(ink.every((n) => n > 50)).toBe(true);
    expect(await compared.innerText()).toContain('Conditions are those read back from tc when each run started');
    await compared.scrollIntoViewIfNeeded();
    await shot('3-compared');
  });

  it('the report shows each link\'s conditions and a Conditions part in its methodology (PDF text; pages for people in artifacts)', async () => {
    const pdf = path.join(tmp, 'report.pdf');
    await overlab(['report', path.join(tmp, 'rate2'), '--run', rate.runId, '--pdf', pdf]);
    const { stdout } = await exec('pdftotext', ['-layout', pdf, '-'], { maxBuffer: 64 << 20 });
    const text = stdout.replace(/\s+/g, ' ');
    expect(text).toContain('Conditions (in force)');
    // The drawing's edge carries the badge, as in the app.
    expect(text).toContain('40M | 80M');
    expect(text).toContain('a → b 40 Mbit/s; b → a 80 Mbit/s');
    expect(text).toMatch(/Applied with tc on the sending host.s underlay egress/);
    expect(text).toMatch(/underlay baseline between the same hosts rides the same devices/);
    const a = rate.links[0]!.a;
    const b = rate.links[0]!.b;
    // The methodology's table: each direction asked and in force.
    expect(text).toMatch(new RegExp(`${a} → ${b} 40 Mbit/s 40 Mbit/s`));
    expect(text).toMatch(new RegExp(`${b} → ${a} 80 Mbit/s 80 Mbit/s`));
    // The pages that carry them, as images to look at.
    const pages = stdout.split('\f');
    for (const [name, needle] of [['drawing', '40M | 80M'], ['links', 'Conditions (in force)'], ['method', 'Applied with tc']] as const) {
      const n = pages.findIndex((p) => p.replace(/\s+/g, ' ').includes(needle)) + 1;
      expect(n).toBeGreaterThan(0);
      await exec('pdftoppm', ['-r', '60', '-png', '-f', String(n), '-l', String(n), '-singlefile', pdf, path.join(ARTIFACTS, `conditions-report-${name}`)]);
    }
  }, 120_000);

  it('printed no console errors', () => {
    expect(problems).toEqual([]);
  });
});
