/**
 * Printing the report route with Debian's Chromium through playwright-core: the engine's own
 * HTTP door (`startServe`) on 127.0.0.1 with a fresh token, in this process, for as long as one
 * page takes to print; the page `#/report?…` waits for its data and charts and then marks its
 * root `data-report-ready` (or `data-report-error` with the reason). A PDF is A4 with the page
 * number in Chromium's footer; an HTML file is the rendered DOM with its styles inlined and no
 * script (the charts are already inline SVG), readable from disk without Overlab.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { REPORT_OPERATIONS } from '../../shared/api.js';
import { ApiError } from '../api-error.js';
import type { Handlers } from '../handlers.js';
import { rendererDir } from '../paths.js';
import { startServe, type Serving } from '../serve.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** Flags for a headless print on a machine shared with other work: no GPU, no background fetches. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] as const;

/** Margins of every printed page; the footer sits in the bottom one. The Electron door uses the same. */
export const PDF_MARGINS = { top: '14mm', bottom: '16mm', left: '13mm', right: '13mm' } as const;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Chromium's footer template: `title · page X of Y` (its pageNumber/totalPages classes are filled by Chromium). */
export const footerTemplate = (title: string): string =>
  `<div style="font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 7.5pt; color: #555; width: 100%; padding: 0 13mm; display: flex; justify-content: space-between;"><span>${escapeHtml(title)}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;

export interface PrintTarget {
  /** The route's query (`run=ID&dir=…&metric=…`), without `#/report?`. */
  readonly query: string;
  /** For the footer. */
  readonly title: string;
}

/** How long a report may take to load its data and draw every chart. */
const READY_TIMEOUT_MS = 90_000;

export async function chromiumPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const exe = env.OVERLAB_CHROMIUM || DEFAULT_CHROMIUM;
  try {
    await fs.access(exe, constants.X_OK);
  } catch {
    throw new ApiError(
      'failed',
      `no Chromium at ${exe} to print the report with: install Debian's chromium (apt-get install chromium, or scripts/install-system-deps.sh), or set OVERLAB_CHROMIUM to a Chromium or Chrome binary; --format csv|json need no browser`,
    );
  }
  return exe;
}

async function builtRenderer(): Promise<string> {
  const dir = rendererDir();
  try {
    await fs.access(path.join(dir, 'index.html'));
  } catch {
    throw new ApiError('failed', `the report page is not built (${path.join(dir, 'index.html')} is missing): run npm run build`);
  }
  return dir;
}

/**
 * The server the printed page talks to: `engine` serves the page's calls, and only those
 * (REPORT_OPERATIONS: runs.get, campaigns.get, report.appendix, all read-only). It lives on a
 * loopback port while Chromium prints, and nothing that reaches it then may deploy, bring a lab
 * up or write a file.
 */
export const printServer = (projectDir: string, staticDir: string, engine: () => Handlers): Promise<Serving> =>
  startServe({ projectDir, staticDir, host: '127.0.0.1', port: 0, engine, operations: REPORT_OPERATIONS });

/** Prints the route (see `printServer` for what its page may call). Returns the PDF bytes or the standalone HTML. */
export async function printRoute(projectDir: string, engine: () => Handlers, target: PrintTarget, format: 'pdf' | 'html', onStep: (step: string) => void = () => undefined): Promise<{ data: Buffer | string; ms: number }> {
  const executablePath = await chromiumPath();
  const staticDir = await builtRenderer();
  const { chromium } = await import('playwright-core');
  const started = Date.now();
  const server = await printServer(projectDir, staticDir, engine);
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined;
  try {
    onStep('browser');
    browser = await chromium.launch({ executablePath, args: [...CHROMIUM_ARGS], headless: true });
    // The report is laid out for A4 (210 mm ≈ 794 CSS px); the same width on screen and in print keeps charts' sizes.
    const page = await browser.newPage({ viewport: { width: 794, height: 1123 }, deviceScaleFactor: 2 });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    onStep('page');
    await page.goto(`${server.origin}/#/report?${target.query}&token=${server.token}`, { waitUntil: 'load' });
    try {
      await page.waitForSelector('[data-report-ready], [data-report-error]', { timeout: READY_TIMEOUT_MS, state: 'attached' });
    } catch {
      throw new ApiError('failed', `the report page did not finish drawing within ${READY_TIMEOUT_MS / 1000} s${pageErrors.length ? `: ${pageErrors[0]}` : ''}`);
    }
    // (Not page.getAttribute: it waits for a matching element, and a good report has none.)
    const problem = await page.evaluate<string | null>("document.getElementById('root')?.getAttribute('data-report-error') ?? null");
    if (problem) throw new ApiError('failed', `the report page could not be made: ${problem}`);
    onStep('print');
    if (format === 'pdf') {
      await page.emulateMedia({ media: 'print' });
      const data = await page.pdf({ format: 'A4', printBackground: true, displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: footerTemplate(target.title), margin: PDF_MARGINS, outline: true, tagged: true });
      return { data, ms: Date.now() - started };
    }
    const html = await page.evaluate<string>(STANDALONE_HTML);
    return { data: html, ms: Date.now() - started };
  } finally {
    await browser?.close().catch(() => undefined);
    await server.close();
  }
}

/**
 * Runs in the page (a string: the engine is compiled without the DOM's types): the document with
 * every stylesheet's rules in one <style>, scripts and links to the server removed, and a
 * policy that lets the file run and fetch nothing.
 */
const STANDALONE_HTML = `(() => {
  const css = [];
  for (const sheet of Array.from(document.styleSheets)) {
    try { css.push(Array.from(sheet.cssRules, (r) => r.cssText).join('\\n')); } catch { /* another origin's sheet: the report has none */ }
  }
  const doc = document.documentElement.cloneNode(true);
  for (const el of Array.from(doc.querySelectorAll('script, link, style, meta[http-equiv]'))) el.remove();
  const head = doc.querySelector('head');
  const meta = document.createElement('meta');
  meta.setAttribute('http-equiv', 'Content-Security-Policy');
  meta.setAttribute('content', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
  const charset = head.querySelector('meta[charset]');
  if (charset) charset.after(meta); else head.prepend(meta);
  // Says "Overlab wrote this": a later report replaces only such a file at its path.
  const generator = document.createElement('meta');
  generator.setAttribute('name', 'generator');
  generator.setAttribute('content', 'Overlab');
  meta.after(generator);
  const style = document.createElement('style');
  style.textContent = css.join('\\n');
  head.append(style);
  return '<!doctype html>\\n' + doc.outerHTML + '\\n';
})()`;

/** Pages of a PDF Chromium wrote (its page objects). */
export const pdfPageCount = (pdf: Buffer): number => (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
