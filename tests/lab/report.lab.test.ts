/**
 * The report for real (root): a 3-host hub-spoke on the embedded lab with a VXLAN and an
 * OpenVPN link (OpenVPN brings certificates and keys into the secret store), lab up, deploy,
 * `overlab measure --suite quick --duration 1`, then `overlab report --pdf` and the HTML, CSV and
 * JSON exports. The PDF's text (pdftotext) holds every host, every link's kind and the figures of
 * results.json as the report formats them; it has more than three pages; no secret of the project
 * (every file under .overlab/secrets, whole and line by line) is in any export; the chart pages
 * carry coloured ink (pdftoppm -r 50, a pixel count). A campaign's report from the checked-in
 * campaign fixture, copied where the engine keeps campaigns and runs. Lab down in afterAll.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignFile } from '../../src/shared/measure/campaign.js';
import type { RunResults } from '../../src/shared/measure/results.js';
import { formatValue } from '../../src/shared/view/metrics.js';
import { isRoot, overlab, requireBuilt, ROOT } from '../e2e/harness.js';

const exec = promisify(execFile);
const MANAGEMENT = '198.18.236.0/24';
const FIXTURE = path.join(ROOT, 'tests/fixtures/results/campaign');

let tmp: string;
let project: string;
let results: RunResults;
let pdf: string;
let pdfText: string;
let printSeconds: number;
let labUp = false;

/** Every secret value of the project: each file's content, trimmed, and each long line of it. */
async function secretNeedles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const v = await fs.readFile(p, 'utf8');
        out.push(v.trim());
        for (const line of v.split('\n')) if (line.trim().length >= 16 && !line.startsWith('-----')) out.push(line.trim());
      }
    }
  };
  await walk(path.join(dir, '.overlab/secrets'));
  return out.filter((s) => s.length >= 8);
}

/** A text with none of the needles, also once every white space is gone (a line wrapped in print). */
function leaks(text: string, needles: readonly string[]): string[] {
  const flat = text.replace(/\s+/g, '');
  return needles.filter((n) => text.includes(n) || flat.includes(n.replace(/\s+/g, ''))).map((n) => `${n.slice(0, 12)}… (${n.length} chars)`);
}

/** Pages of a PDF as text, one string per page (pdftotext marks pages with form feeds). */
async function pagesOf(file: string, mode: '-layout' | '-raw' = '-layout'): Promise<string[]> {
  const { stdout } = await exec('pdftotext', [mode, file, '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\f').slice(0, -1);
}

/** Pixels of one page (pdftoppm -r 50, binary PPM) that are coloured — neither white, grey nor black. */
async function colouredPixels(file: string, page: number): Promise<{ coloured: number; total: number }> {
  const prefix = path.join(tmp, `px-${path.basename(file)}-${page}`);
  await exec('pdftoppm', ['-r', '50', '-f', String(page), '-l', String(page), '-singlefile', file, prefix]);
  const buf = await fs.readFile(`${prefix}.ppm`);
  // P6\n<w> <h>\n<max>\n then RGB bytes (no comments from pdftoppm).
  const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(buf.subarray(0, 64).toString('latin1'));
  if (!m) throw new Error('pdftoppm wrote no binary PPM');
  const [w, h] = [Number(m[1]), Number(m[2])];
  const data = buf.subarray(m[0].length);
  let coloured = 0;
  for (let i = 0; i + 2 < w * h * 3; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
  }
  return { coloured, total: w * h };
}

beforeAll(async () => {
  if (!isRoot) return;
  requireBuilt();
  for (const tool of ['pdftotext', 'pdftoppm']) await exec('sh', ['-c', `command -v ${tool}`]).catch(() => { throw new Error(`${tool} is missing: install poppler-utils (scripts/install-system-deps.sh)`); });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-report-lab-'));
  project = path.join(tmp, 'hub');
  await overlab(['new', project, '--template', 'hub-spoke', '--hosts', '3', '--kind', 'vxlan', '--name', 'Report lab']);
  // A management range of its own, and the second spoke over OpenVPN (keys and certificates in the store).
  const file = path.join(project, 'overlab.yaml');
  const yaml = (await fs.readFile(file, 'utf8')).replace(/management: \S+/, `management: ${MANAGEMENT}`);
  const i = yaml.lastIndexOf('kind: vxlan');
  await fs.writeFile(file, `${yaml.slice(0, i)}kind: openvpn${yaml.slice(i + 'kind: vxlan'.length)}`);
  await overlab(['validate', project]);
  await overlab(['lab', 'up', project]);
  labUp = true;
  await overlab(['deploy', project]);
  await overlab(['measure', project, '--suite', 'quick', '--duration', '1']);
  const [run] = (await fs.readdir(path.join(project, 'runs'))).sort().reverse();
  results = JSON.parse(await fs.readFile(path.join(project, 'runs', run!, 'results.json'), 'utf8')) as RunResults;
  pdf = path.join(tmp, 'report.pdf');
  const started = Date.now();
  await overlab(['report', project, '--pdf', pdf]);
  printSeconds = (Date.now() - started) / 1000;
  pdfText = (await pagesOf(pdf)).join('\n');
}, 600_000);

afterAll(async () => {
  if (labUp) {
    await overlab(['teardown', project]).catch(() => undefined);
    await overlab(['lab', 'down', project]).catch(() => undefined);
  }
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!isRoot)('overlab report on a measured lab run', () => {
  it('prints a PDF of more than three pages naming every host and every link’s kind', async () => {
    const pages = await pagesOf(pdf);
    console.log(`report.pdf: ${pages.length} pages, ${((await fs.stat(pdf)).size / 1024).toFixed(0)} KiB, printed in ${printSeconds.toFixed(1)} s`);
    expect(pages.length).toBeGreaterThan(3);
    for (const h of results.topology.hosts) expect(pdfText).toContain(h.name);
    for (const l of results.links) expect(pdfText).toContain(l.kind);
    expect(pdfText).toContain(results.runId);
    // Page numbers from Chromium's footer.
    expect(pdfText).toContain(`page 1 of ${pages.length}`);
  });

  it('shows the figures of results.json as the report formats them', async () => {
    for (const l of results.links) {
      const s = results.summary.paths[`${l.id}.tunnel`];
      expect(s?.rtt, `${l.label} measured an RTT`).toBeDefined();
      expect(pdfText).toContain(formatValue(s!.rtt!.ms.mean, 'ms'));
      expect(pdfText).toContain(formatValue(s!.rtt!.ms.p95, 'ms'));
      const tcp = Object.entries(s!.throughput).find(([k]) => k.endsWith('-tcp:forward'))?.[1];
      if (tcp) expect(pdfText).toContain(formatValue(tcp.mbps.mean, 'Mbit/s'));
    }
    // In content order (a cell's lines together); a wrapped cell may lose the hyphen it wrapped at.
    const raw = (await pagesOf(pdf, '-raw')).join('\n');
    const flat = (s: string): string => s.replace(/[\s-]+/g, '');
    for (const e of results.environment) {
      if (e.kernel) expect(flat(raw)).toContain(flat(e.kernel));
      if (e.os) expect(flat(raw)).toContain(flat(e.os));
      if (e.bundleHash) expect(flat(raw)).toContain(e.bundleHash);
      for (const version of Object.values(e.tools)) expect(flat(raw)).toContain(flat(version));
    }
  });

  it('lets no secret of the project into the PDF, the HTML, the CSV or the JSON', async () => {
    const needles = await secretNeedles(project);
    expect(needles.length).toBeGreaterThan(4);
    expect(leaks(pdfText, needles)).toEqual([]);
    // The appendix shows where the secrets were.
    expect(pdfText).toMatch(/«redacted: [^»]+»/);
    for (const format of ['html', 'csv', 'json'] as const) {
      const out = path.join(tmp, `report.${format}`);
      await overlab(['report', project, '--format', format, '--out', out]);
      const text = await fs.readFile(out, 'utf8');
      expect(leaks(text, needles), format).toEqual([]);
      if (format === 'html') {
        expect(text).not.toMatch(/<script/i);
        expect(text).toContain('<svg');
        for (const h of results.topology.hosts) expect(text).toContain(h.name);
      }
      if (format === 'csv') {
        const lines = text.trimEnd().split('\r\n');
        expect(lines[0]).toMatch(/^run_id,campaign_cell,link_id,/);
        // One row per link per metric.
        expect(lines.filter((x) => x.includes(',rtt_mean,')).length).toBe(results.links.length);
      }
      if (format === 'json') expect((JSON.parse(text) as RunResults).runId).toBe(results.runId);
    }
  }, 180_000);

  it('draws its charts: every page with a figure carries coloured ink', async () => {
    const pages = await pagesOf(pdf);
    const chartPages = pages.map((t, i) => ({ t, n: i + 1 })).filter(({ t }) => /RTT CDF|Mean RTT per tunnel|throughput over time/.test(t));
    expect(chartPages.length).toBeGreaterThan(0);
    for (const { n } of chartPages) {
      const { coloured, total } = await colouredPixels(pdf, n);
      expect(coloured / total, `page ${n}`).toBeGreaterThan(0.002);
    }
  }, 120_000);
});

describe.skipIf(!isRoot)('overlab report of a campaign', () => {
  it('prints the campaign fixture: every cell, its figures, no blank chart page', async () => {
    const dir = path.join(tmp, 'campaign');
    await overlab(['new', dir, '--template', 'site-to-site', '--hosts', '2', '--kind', 'vxlan']);
    const c = JSON.parse(await fs.readFile(path.join(FIXTURE, 'campaign.json'), 'utf8')) as CampaignFile;
    await fs.mkdir(path.join(dir, 'campaigns', c.id), { recursive: true });
    await fs.copyFile(path.join(FIXTURE, 'campaign.json'), path.join(dir, 'campaigns', c.id, 'campaign.json'));
    for (const run of await fs.readdir(path.join(FIXTURE, 'runs'))) {
      await fs.mkdir(path.join(dir, 'runs', run), { recursive: true });
      await fs.copyFile(path.join(FIXTURE, 'runs', run, 'results.json'), path.join(dir, 'runs', run, 'results.json'));
    }
    const file = path.join(tmp, 'campaign.pdf');
    await overlab(['report', dir, '--campaign', c.id, '--pdf', file]);
    const pages = await pagesOf(file);
    const text = pages.join('\n');
    expect(pages.length).toBeGreaterThan(3);
    expect(text).toContain(c.id);
    const analysis = JSON.parse(await fs.readFile(path.join(FIXTURE, 'analysis.json'), 'utf8')) as { cells: { cell: string; label: string; rtt?: { mean: number } }[] };
    for (const cell of c.cells) expect(text).toContain(`${cell.label} @ ${cell.mtu}`);
    for (const f of analysis.cells) if (f.rtt) expect(text).toContain(formatValue(f.rtt.mean, 'ms'));
    const chartPages = pages.map((t, i) => ({ t, n: i + 1 })).filter(({ t }) => /sorted|by MTU/i.test(t) && !/Contents/.test(t));
    expect(chartPages.length).toBeGreaterThan(0);
    for (const { n } of chartPages.slice(0, 4)) {
      const { coloured, total } = await colouredPixels(file, n);
      expect(coloured / total, `page ${n}`).toBeGreaterThan(0.002);
    }
    expect(leaks(text, await secretNeedles(dir))).toEqual([]);
  }, 180_000);
});
