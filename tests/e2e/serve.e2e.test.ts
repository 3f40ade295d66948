/**
 * `overlab serve` end to end: the built CLI serves the built UI for a temporary project, a
 * real Chromium opens the printed URL, and the page shows the project without any typing.
 * Also the walls around the engine: token, Origin/Host, static path traversal.
 * Needs `npm run build` first (scripts/test.sh builds before running this project).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, stopServe } from './harness.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'bin/overlab.mjs');
const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');
const HOSTS = ['hub', 'spoke-1', 'spoke-2', 'spoke-3'];
const PROJECT_NAME = 'E2E hub and spokes';

let tmp: string;
let projectDir: string;
let server: ChildProcess | undefined;
let url: string;
let base: URL;
let token: string;
let browser: Browser | undefined;

/** One HTTP request exactly as given: no URL normalisation, any Host/Origin header. */
function raw(method: string, requestPath: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path: requestPath, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'Content-Type': 'application/json' };
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

beforeAll(async () => {
  for (const built of ['out/cli/overlab.mjs', 'out/renderer/index.html']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` before the e2e tests`);
  }
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-e2e-'));
  projectDir = path.join(tmp, 'demo');
  await promisify(execFile)(process.execPath, [CLI, 'new', projectDir, '--template', 'hub-spoke', '--hosts', '4', '--kind', 'vxlan', '--name', PROJECT_NAME]);
  const started = await startServe(projectDir, process.env);
  server = started.child;
  url = started.url;
  base = new URL(url);
  token = base.hash.replace(/^#token=/, '');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stopServe(server);
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('overlab serve in a browser', () => {
  it('prints a loopback URL with the session token in its fragment', () => {
    expect(base.hostname).toBe('127.0.0.1');
    expect(base.pathname).toBe('/');
    expect(base.search).toBe('');
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it('opens the project given on the command line: hosts on the canvas, links in the side panel', async () => {
    const page: Page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(url);

    // One React Flow node per host, named.
    const nodes = page.locator('.react-flow__node');
    await expect.poll(() => nodes.count(), { timeout: 15_000 }).toBe(HOSTS.length);
    for (const h of HOSTS) {
      await expect.poll(() => page.locator('.react-flow__node', { has: page.locator('.host-name', { hasText: new RegExp(`^${h}$`) }) }).count()).toBe(1);
    }
    // One edge per link, labelled with the kind and the planned MTU (vxlan over 1500: 1450).
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);
    await expect.poll(() => page.locator('.link-label').allInnerTexts()).toEqual(['vxlan\nMTU 1450', 'vxlan\nMTU 1450', 'vxlan\nMTU 1450']);

    // The side panel lists every link with its kind and planned MTU/MSS.
    const linkRows = page.getByRole('table', { name: 'Links' }).locator('tbody tr');
    await expect.poll(() => linkRows.count()).toBe(3);
    const rows = (await linkRows.allInnerTexts()).map((r) => r.split('\t').map((c) => c.trim()));
    expect(rows).toEqual([1, 2, 3].map((i) => [`hub — spoke-${i}`, 'vxlan', '1450', '1410']));
    const hostRows = await page.getByRole('table', { name: 'Hosts' }).locator('tbody tr td:first-child').allInnerTexts();
    expect(hostRows).toEqual(HOSTS);
    expect(await page.locator('#side-problems').textContent()).toBe('Problems 0');
    expect(await page.locator('.toolbar .title').innerText()).toContain(PROJECT_NAME);
    expect(await page.locator('.status .path').innerText()).toBe(projectDir);

    // The token left the address bar (and so history and bookmarks).
    expect(page.url()).toBe(`${base.origin}/`);

    // The canvas takes the window minus the side panel and the bars.
    const box = await page.locator('.react-flow').boundingBox();
    expect(box!.width).toBeGreaterThan(1000);
    expect(box!.height).toBeGreaterThan(780);
    // Every node is inside the visible canvas (fitView).
    for (const n of await nodes.all()) {
      const b = (await n.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(box!.x);
      expect(b.y).toBeGreaterThanOrEqual(box!.y);
      expect(b.x + b.width).toBeLessThanOrEqual(box!.x + box!.width);
      expect(b.y + b.height).toBeLessThanOrEqual(box!.y + box!.height);
    }

    await fs.mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'serve.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('refuses API calls without the session token, or with a wrong one', async () => {
    const args = JSON.stringify({ dir: projectDir });
    const none = await raw('POST', '/api/project.open', json, args);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(none.body).not.toContain(PROJECT_NAME);
    expect((await raw('POST', '/api/project.open', { ...json, ...bearer(`${token.slice(0, -1)}x`) }, args)).status).toBe(401);
    expect((await raw('POST', '/api/project.open', { ...json, Authorization: token }, args)).status).toBe(401);
    expect((await raw('GET', '/api/session')).status).toBe(401);
    expect((await raw('GET', '/api/events')).status).toBe(401);
    // The same call with the token succeeds, so the refusals above are the token's doing.
    const ok = await raw('POST', '/api/project.open', { ...json, ...bearer(token) }, args);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: { topology: { name: PROJECT_NAME } } });
  });

  it('refuses a foreign Origin and a foreign Host (DNS rebinding), even with the token', async () => {
    const withToken = { ...json, ...bearer(token) };
    const foreignOrigin = await raw('POST', '/api/kinds.list', { ...withToken, Origin: 'http://evil.example' }, '{}');
    expect(foreignOrigin.status).toBe(403);
    expect(JSON.parse(foreignOrigin.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect((await raw('POST', '/api/kinds.list', { ...withToken, Origin: 'null' }, '{}')).status).toBe(403);
    expect((await raw('POST', '/api/kinds.list', { ...withToken, Origin: `http://127.0.0.1:${Number(base.port) + 1}` }, '{}')).status).toBe(403);
    expect((await raw('POST', '/api/kinds.list', { ...withToken, Host: `evil.example:${base.port}` }, '{}')).status).toBe(403);
    expect((await raw('GET', '/', { Host: `evil.example:${base.port}` })).status).toBe(403);
    // Our own origin passes.
    expect((await raw('POST', '/api/kinds.list', { ...withToken, Origin: base.origin }, '{}')).status).toBe(200);
  });

  it('refuses ../ traversal out of the built UI', async () => {
    const index = await raw('GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<div id="root">');
    for (const p of ['/../package.json', '/../../package.json', '/assets/../../package.json', '/%2e%2e/package.json', '/assets/%2E%2E/%2e%2e/package.json', '/..%2f..%2fpackage.json', '/..%5c..%5cpackage.json', '/%2e%2e%2f%2e%2e%2fetc/passwd', '/../../../../../../etc/passwd']) {
      const r = await raw('GET', p);
      expect([400, 403, 404], p).toContain(r.status);
      expect(r.body, p).not.toContain('"name": "overlab"');
      expect(r.body, p).not.toContain('root:');
    }
  });
});
