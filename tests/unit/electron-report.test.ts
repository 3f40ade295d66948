/**
 * The desktop app's report printing (src/main/report.ts). Boundary that cannot run here:
 * Electron (no binary on this machine). report.ts takes the BrowserWindow class as a parameter;
 * the fake below records the window's options, the URL it loads and the printToPDF options, and
 * answers the page's state as the report route would. `electron` is mocked to throw, proving the
 * module never loads it at run time. What the fake cannot show: Chromium's printing itself (the
 * CLI's path prints the same route in real Chromium: tests/lab/report.lab.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { electronPdfPrinter, withElectronReports, type PrintWindow, type ReportWindowDeps } from '../../src/main/report.js';
import { defaultRegistry } from '../../src/shared/tunnels/index.js';

vi.mock('electron', () => {
  throw new Error('src/main/report.ts must not load electron at run time');
});

const RENDERER = 'file:///opt/Overlab/out/renderer/index.html';
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF\n');

function fakeWindows(states: readonly string[]) {
  const made: { options: unknown; loaded: string[]; printed: unknown[]; destroyed: boolean; looks: number }[] = [];
  class FakeWindow implements PrintWindow {
    readonly record = { options: undefined as unknown, loaded: [] as string[], printed: [] as unknown[], destroyed: false, looks: 0 };
    constructor(options: unknown) {
      this.record.options = options;
      made.push(this.record);
    }
    loadURL(url: string): Promise<void> {
      this.record.loaded.push(url);
      return Promise.resolve();
    }
    destroy(): void {
      this.record.destroyed = true;
    }
    isDestroyed(): boolean {
      return this.record.destroyed;
    }
    readonly webContents = {
      executeJavaScript: (): Promise<unknown> => Promise.resolve(states[Math.min(this.record.looks++, states.length - 1)]),
      printToPDF: (o: unknown): Promise<Buffer> => {
        this.record.printed.push(o);
        return Promise.resolve(PDF);
      },
    } as unknown as PrintWindow['webContents'];
  }
  return { made, BrowserWindow: FakeWindow as unknown as ReportWindowDeps['BrowserWindow'] };
}

const target = { query: 'run=r1&dir=%2Ftmp%2Fp', title: 'Lab — run r1' };

describe('electronPdfPrinter', () => {
  it('loads the report route in a hidden, sandboxed window, waits for data-report-ready, prints A4 with the page footer', async () => {
    const f = fakeWindows(['drawing', 'drawing', 'ready']);
    const pdf = await electronPdfPrinter({ BrowserWindow: f.BrowserWindow, preloadPath: '/opt/Overlab/out/preload/index.cjs', rendererUrl: RENDERER, pollMs: 1 })(target);
    expect(pdf.equals(PDF)).toBe(true);
    const w = f.made[0]!;
    expect(w.options).toMatchObject({ show: false, webPreferences: { preload: '/opt/Overlab/out/preload/index.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false } });
    expect(w.loaded).toEqual([`${RENDERER}#/report?run=r1&dir=%2Ftmp%2Fp`]);
    expect(w.looks).toBe(3);
    expect(w.printed).toHaveLength(1);
    const o = w.printed[0] as { pageSize: string; printBackground: boolean; displayHeaderFooter: boolean; footerTemplate: string; margins: Record<string, number> };
    expect(o).toMatchObject({ pageSize: 'A4', printBackground: true, displayHeaderFooter: true });
    expect(o.footerTemplate).toContain('class="pageNumber"');
    expect(o.footerTemplate).toContain('class="totalPages"');
    expect(o.footerTemplate).toContain('Lab — run r1');
    // 13 mm sides, in inches.
    expect(o.margins.left).toBeCloseTo(13 / 25.4, 5);
    expect(w.destroyed).toBe(true);
  });

  it('fails with the page’s own reason and closes the window', async () => {
    const f = fakeWindows(['drawing', 'error:there is no run r1']);
    await expect(electronPdfPrinter({ BrowserWindow: f.BrowserWindow, preloadPath: '/p.cjs', rendererUrl: RENDERER, pollMs: 1 })(target)).rejects.toThrow('the report page could not be made: there is no run r1');
    expect(f.made[0]!.printed).toHaveLength(0);
    expect(f.made[0]!.destroyed).toBe(true);
  });

  it('gives up after its timeout', async () => {
    const f = fakeWindows(['drawing']);
    await expect(electronPdfPrinter({ BrowserWindow: f.BrowserWindow, preloadPath: '/p.cjs', rendererUrl: RENDERER, pollMs: 1, timeoutMs: 20 })(target)).rejects.toThrow(/did not finish drawing/);
    expect(f.made[0]!.destroyed).toBe(true);
  });
});

describe('withElectronReports', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'overlab-electron-report-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints report.pdf through the window and writes the file; CSV stays with the engine', async () => {
    const engine = createEngine({ registry: defaultRegistry });
    const dir = path.join(tmp, 'p');
    await engine['project.create']({ dir, template: 'site-to-site', hosts: 2, kind: 'vxlan' });
    const fixture = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../fixtures/results/hub3/results.json'), 'utf8')) as { runId: string };
    await fs.mkdir(path.join(dir, 'runs', fixture.runId), { recursive: true });
    await fs.writeFile(path.join(dir, 'runs', fixture.runId, 'results.json'), JSON.stringify(fixture));
    const f = fakeWindows(['ready']);
    const wrapped = withElectronReports(engine, defaultRegistry, { BrowserWindow: f.BrowserWindow, preloadPath: '/p.cjs', rendererUrl: RENDERER, pollMs: 1 });
    const r = await wrapped['report.pdf']({ dir });
    expect(r).toMatchObject({ format: 'pdf', pages: 2, file: path.join(dir, 'reports', `report-${fixture.runId}.pdf`) });
    expect((await fs.readFile(r.file)).equals(PDF)).toBe(true);
    expect(f.made[0]!.loaded[0]).toContain(`#/report?run=${fixture.runId}&dir=`);
    const csv = await wrapped['report.pdf']({ dir, format: 'csv', file: 'out.csv' });
    expect(csv.file).toBe(path.join(dir, 'out.csv'));
    expect(f.made).toHaveLength(1);
  });
});
