/**
 * The renderer's Content Security Policy in a real Chromium: the page may connect to its own
 * origin only. A second HTTP server on another loopback port (it would answer any site, CORS
 * open) counts the requests that reach it; the page tries to fetch from it
 *  - loaded from disk as the desktop app loads it (file://…/out/renderer/index.html: no
 *    response headers, the page's own meta policy is all there is), and
 *  - served by `overlab serve` (the meta policy and the server's header).
 * Each attempt must end in a CSP violation of connect-src, and the server must see nothing.
 * Needs `npm run build` first.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, openBrowser, requireBuilt, ROOT, startServe, stopServe } from './harness.js';

let tmp = '';
let browser: Browser | undefined;
let serve: ChildProcess | undefined;
let serveUrl = '';
let other: http.Server;
let otherPort = 0;
const reached: string[] = [];

beforeAll(async () => {
  requireBuilt();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-csp-'));
  other = http.createServer((req, res) => {
    reached.push(req.url ?? '');
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' });
    res.end('reached');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherPort = (other.address() as AddressInfo).port;
  const project = path.join(tmp, 'demo');
  await promisify(execFile)(process.execPath, [CLI, 'new', project, '--template', 'site-to-site', '--hosts', '2', '--kind', 'vxlan']);
  const started = await startServe(project, { ...process.env, OVERLAB_CONFIG_DIR: path.join(tmp, 'config') });
  serve = started.child;
  serveUrl = started.url;
  browser = (await openBrowser()).browser;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  await new Promise((resolve) => other?.close(resolve));
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** Runs in the page: a fetch to `url`, and the CSP violations it caused. (A string: the e2e files are typed for Node.) */
const tryFetch = (url: string): string => `(async () => {
  const violations = [];
  document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective + ' ' + e.blockedURI));
  let outcome;
  try {
    const res = await fetch(${JSON.stringify(url)});
    outcome = 'answered ' + res.status + ': ' + (await res.text());
  } catch (e) {
    outcome = 'failed: ' + e.message;
  }
  await new Promise((r) => setTimeout(r, 100));
  return { outcome, violations };
})()`;

describe('the renderer may connect to its own origin only', () => {
  it('as the desktop app loads it (file://, the meta policy alone): a fetch to another loopback port is blocked by CSP', async () => {
    const page = await browser!.newPage();
    await page.goto(pathToFileURL(path.join(ROOT, 'out/renderer/index.html')).href);
    const before = reached.length;
    const r = await page.evaluate<{ outcome: string; violations: string[] }>(tryFetch(`http://127.0.0.1:${otherPort}/from-file`));
    expect(r.outcome).toMatch(/^failed:/);
    expect(r.violations).toEqual([`connect-src http://127.0.0.1:${otherPort}/from-file`]);
    expect(reached.slice(before)).toEqual([]);
    await page.close();
  });

  it('served by overlab serve: the same fetch is blocked, while the page talks to its own server', async () => {
    const page = await browser!.newPage();
    await page.goto(serveUrl);
    // The project opened: the page reached its own origin's API.
    await page.locator('.react-flow__node').first().waitFor({ timeout: 30_000 });
    const before = reached.length;
    const r = await page.evaluate<{ outcome: string; violations: string[] }>(tryFetch(`http://127.0.0.1:${otherPort}/from-serve`));
    expect(r.outcome).toMatch(/^failed:/);
    // Reported once per policy that blocks it (the meta and the header).
    expect(new Set(r.violations)).toEqual(new Set([`connect-src http://127.0.0.1:${otherPort}/from-serve`]));
    expect(reached.slice(before)).toEqual([]);
    // Same for a WebSocket (the old policy named ws://127.0.0.1:* too).
    const ws = await page.evaluate<string[]>(`(async () => {
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
      try { new WebSocket('ws://127.0.0.1:${otherPort}/'); } catch (e) { violations.push('threw'); }
      await new Promise((r) => setTimeout(r, 100));
      return violations;
    })()`);
    expect(ws).toContain('connect-src');
    await page.close();
  });
});
