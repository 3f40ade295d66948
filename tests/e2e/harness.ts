/**
 * What the browser tests share: the built CLI and UI, `overlab serve` on a folder (its URL with
 * the session token), Debian's Chromium through playwright-core with the flags this machine
 * needs, page errors and console errors collected, screenshots into tests/e2e/artifacts/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'bin/overlab.mjs');
export const ARTIFACTS = path.join(ROOT, 'tests/e2e/artifacts');
export const isRoot = process.getuid?.() === 0;

export function requireBuilt(): void {
  for (const built of ['out/cli/overlab.mjs', 'out/renderer/index.html']) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
}

/** `overlab <args>`; rejects with its output when it fails. */
export function overlab(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`overlab ${args.join(' ')} exited with ${code}\n${out}`))));
  });
}

export function startServe(dir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', dir, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL in 20 s\n${out}\n${err}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /http:\/\/\S+#token=[A-Za-z0-9_-]+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[0] });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('exit', (code) => reject(new Error(`overlab serve exited with ${code}\n${out}\n${err}`)));
  });
}

export async function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await exited;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function openBrowser(viewport = { width: 1500, height: 950 }): Promise<{ browser: Browser; page: Page; problems: string[] }> {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return { browser, page, problems };
}

/** `overlab serve` on `dir` (its config under `tmp`), Chromium on it, until the drawing shows `nodes` hosts. */
export async function openApp(dir: string, tmp: string, nodes: number): Promise<{ server: ChildProcess; url: string; browser: Browser; page: Page; problems: string[] }> {
  const started = await startServe(dir, { ...process.env, OVERLAB_CONFIG_DIR: path.join(tmp, 'config') });
  const opened = await openBrowser();
  await opened.page.goto(started.url);
  await opened.page.locator('.react-flow__node').nth(nodes - 1).waitFor({ timeout: 15_000 });
  return { server: started.child, url: started.url, ...opened };
}

/** What openApp started, closed; a lab project's deployment and lab taken down first (root only). */
export async function closeApp(app: { server?: ChildProcess; browser?: Browser }, tmp: string, labProject?: string): Promise<void> {
  await app.browser?.close();
  if (isRoot && labProject) {
    await overlab(['teardown', labProject]).catch(() => undefined);
    await overlab(['lab', 'down', labProject]).catch(() => undefined);
  }
  await stopServe(app.server);
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
}

export const screenshot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
