/**
 * The desktop app's report printing: the same `#/report?…` route as the CLI prints in Chromium,
 * loaded in a hidden window of our own (same preload, same hardening, so the page reads through
 * IPC like the main window), waited on until the page marks `data-report-ready`, and printed
 * with `webContents.printToPDF` at the same A4 size, margins and footer. Other formats (HTML,
 * CSV, JSON) stay with the engine. Electron is a parameter, never imported, so tests drive it
 * with a fake.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import type { Handlers } from '../engine/engine.js';
import { footerTemplate, PDF_MARGINS, type PrintTarget } from '../engine/report/print.js';
import { report, type PdfPrinter } from '../engine/report/report.js';
import type { Registry } from '../shared/tunnels/types.js';
import { windowOptions } from './window.js';

/** What printing needs of a window. */
export type PrintWindow = Pick<BrowserWindow, 'loadURL' | 'destroy' | 'isDestroyed'> & {
  readonly webContents: Pick<BrowserWindow['webContents'], 'executeJavaScript' | 'printToPDF'>;
};

export interface ReportWindowDeps {
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => PrintWindow;
  readonly preloadPath: string;
  readonly rendererUrl: string;
  /** How long the page may take to load its data and draw (default 90 s). */
  readonly timeoutMs?: number;
  /** Between two looks at the page (default 200 ms). */
  readonly pollMs?: number;
}

/** `13mm` → inches, the unit of printToPDF's margins. */
const inches = (mm: string): number => Number.parseFloat(mm) / 25.4;

/** The page's verdict: ready, an error, or still drawing. */
const STATE_JS = "(() => { const r = document.getElementById('root'); return r?.getAttribute('data-report-error') ? 'error:' + r.getAttribute('data-report-error') : r?.hasAttribute('data-report-ready') ? 'ready' : 'drawing'; })()";

export function electronPdfPrinter(deps: ReportWindowDeps): PdfPrinter {
  const timeout = deps.timeoutMs ?? 90_000;
  const poll = deps.pollMs ?? 200;
  return async (target: PrintTarget) => {
    // A4 at 96 px per inch, never shown.
    const window = new deps.BrowserWindow({ ...windowOptions(deps.preloadPath), width: 794, height: 1123, show: false });
    try {
      await window.loadURL(`${deps.rendererUrl}#/report?${target.query}`);
      const until = Date.now() + timeout;
      for (;;) {
        const state = String(await window.webContents.executeJavaScript(STATE_JS));
        if (state === 'ready') break;
        if (state.startsWith('error:')) throw new Error(`the report page could not be made: ${state.slice('error:'.length)}`);
        if (Date.now() > until) throw new Error(`the report page did not finish drawing within ${timeout / 1000} s`);
        await new Promise((r) => setTimeout(r, poll));
      }
      const pdf = await window.webContents.printToPDF({
        pageSize: 'A4',
        printBackground: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: footerTemplate(target.title),
        margins: { top: inches(PDF_MARGINS.top), bottom: inches(PDF_MARGINS.bottom), left: inches(PDF_MARGINS.left), right: inches(PDF_MARGINS.right) },
        generateDocumentOutline: true,
        generateTaggedPDF: true,
      });
      return Buffer.from(pdf);
    } finally {
      if (!window.isDestroyed()) window.destroy();
    }
  };
}

/** The engine with `report.pdf`'s PDFs printed by Electron instead of a separate Chromium. */
export function withElectronReports(engine: Handlers, registry: Registry, deps: ReportWindowDeps): Handlers {
  const pdf = electronPdfPrinter(deps);
  return {
    ...engine,
    'report.pdf': (args) => ((args.format ?? 'pdf') === 'pdf' ? report(args, { registry, engine: () => engine, pdf }) : engine['report.pdf'](args)),
  };
}
