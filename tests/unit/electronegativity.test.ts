/**
 * The Electronegativity gate of CI (scripts/electronegativity.ts and its verdict): the verdict's
 * rules on findings as the tool reports them, then the real tool (the devDependency) through
 * the script on a small Electron app made here with the classic mistakes — Node in the page, no
 * context isolation, no sandbox, no CSP — which must fail the run, pass once each finding is
 * justified in an allow-list, and fail again when a justification is left over.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsPerCheck, parseAllowList, verdict, type Finding } from '../../scripts/electronegativity-verdict.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

const finding = (id: string, severity: string, file = 'main/index.js', confidence = 'CERTAIN'): Finding => ({ id, severity, confidence, file, line: 3, column: 7, description: id });

describe('the verdict', () => {
  it('fails on HIGH and MEDIUM findings, prints LOW and INFORMATIONAL for review', () => {
    const v = verdict([finding('NODE_INTEGRATION_JS_CHECK', 'HIGH'), finding('SANDBOX_JS_CHECK', 'MEDIUM', 'main/index.js', 'TENTATIVE'), finding('CSP_GLOBAL_CHECK', 'LOW'), finding('X_CHECK', 'INFORMATIONAL')], []);
    expect(v.ok).toBe(false);
    expect(v.failing.map((f) => f.id)).toEqual(['NODE_INTEGRATION_JS_CHECK', 'SANDBOX_JS_CHECK']);
    expect(v.review.map((f) => f.id)).toEqual(['CSP_GLOBAL_CHECK', 'X_CHECK']);
    expect(verdict([finding('CSP_GLOBAL_CHECK', 'LOW')], []).ok).toBe(true);
  });

  it('lets a reviewed line allow its check in its file only; a * stands for a bundle hash, not for folders', () => {
    const { entries, problems } = parseAllowList('# comment\n\nSANDBOX_JS_CHECK renderer/assets/App-*.js the worker is sandboxed by Chromium itself\n');
    expect(problems).toEqual([]);
    expect(verdict([finding('SANDBOX_JS_CHECK', 'HIGH', 'renderer/assets/App-K2-enC9P.js')], entries).ok).toBe(true);
    expect(verdict([finding('SANDBOX_JS_CHECK', 'HIGH', 'renderer/assets/App-K2-enC9P.js'), finding('SANDBOX_JS_CHECK', 'HIGH', 'main/index.js')], entries).failing.map((f) => f.file)).toEqual(['main/index.js']);
    expect(verdict([finding('SANDBOX_JS_CHECK', 'HIGH', 'renderer/assets/x/App-1.js')], entries).ok).toBe(false);
    expect(verdict([finding('NODE_INTEGRATION_JS_CHECK', 'HIGH', 'renderer/assets/App-1.js')], entries).ok).toBe(false);
  });

  it('fails on a line that allows nothing (its finding is gone)', () => {
    const { entries } = parseAllowList('SANDBOX_JS_CHECK main/index.js reviewed: the window is never shown\n');
    const v = verdict([], entries);
    expect(v.ok).toBe(false);
    expect(v.stale.map((e) => e.at)).toEqual([1]);
  });

  it('refuses an allow-list line without a reason or with a malformed check id, naming the line', () => {
    expect(parseAllowList('SANDBOX_JS_CHECK main/index.js\n', 'allow.txt').problems).toEqual(['allow.txt:1: write CHECK_ID FILE REASON (the reason says why the finding is acceptable)']);
    expect(parseAllowList('\nSANDBOX_JS_CHECK main/index.js ok\n', 'allow.txt').problems).toEqual(['allow.txt:2: SANDBOX_JS_CHECK main/index.js needs a reason: why is this finding acceptable?']);
    expect(parseAllowList('sandbox main/index.js because it is fine really\n', 'allow.txt').problems[0]).toMatch(/^allow.txt:1: "sandbox" is not a check id/);
  });

  it('counts findings per check, severity and confidence', () => {
    expect(countsPerCheck([finding('B', 'LOW'), finding('A', 'HIGH'), finding('B', 'LOW'), finding('B', 'LOW', 'x', 'FIRM')])).toEqual(['A HIGH/CERTAIN: 1', 'B LOW/CERTAIN: 2', 'B LOW/FIRM: 1']);
  });
});

describe('the real tool through scripts/electronegativity.ts', () => {
  let dir = '';
  let app = '';
  const script = (allow: string): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['scripts/run-ts.mjs', 'scripts/electronegativity.ts', '--input', app, '--allow', allow], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
      });
    });

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-electronegativity-test-'));
    app = path.join(dir, 'app');
    await fs.mkdir(app);
    await fs.writeFile(
      path.join(app, 'main.js'),
      "const { app, BrowserWindow } = require('electron');\napp.whenReady().then(() => {\n  const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });\n  w.loadFile('index.html');\n});\n",
    );
    await fs.writeFile(path.join(app, 'index.html'), '<!doctype html><html><head><title>x</title></head><body></body></html>\n');
  });
  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  let first: { code: number; out: string };

  it('fails an app with no isolation, no sandbox, no CSP and no navigation or permission limits, naming each finding', async () => {
    const allow = path.join(dir, 'none.txt');
    await fs.writeFile(allow, '# nothing allowed\n');
    first = await script(allow);
    expect(first.code, first.out).toBe(1);
    for (const id of ['CONTEXT_ISOLATION_JS_CHECK', 'SANDBOX_JS_CHECK', 'CSP_GLOBAL_CHECK', 'LIMIT_NAVIGATION_GLOBAL_CHECK', 'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK']) {
      expect(first.out, id).toMatch(new RegExp(`^  (HIGH|MEDIUM)/\\w+ ${id} `, 'm'));
    }
    expect(first.out).toContain('electronegativity: FAILED');
  }, 120_000);

  it('passes once every HIGH/MEDIUM finding is justified, and fails again on a justification left over', async () => {
    const failing = [...first.out.matchAll(/^ {2}(?:HIGH|MEDIUM)\/\w+ (\S+) (\S+?)(?::\d+:\d+)? — /gm)].map((m) => `${m[1]} ${m[2]} reviewed for this test: a fixture, never run`);
    expect(failing.length).toBeGreaterThanOrEqual(5);
    const allow = path.join(dir, 'all.txt');
    await fs.writeFile(allow, `${[...new Set(failing)].join('\n')}\nREMOTE_MODULE_JS_CHECK main.js reviewed for this test: nothing uses it\n`);
    const stale = await script(allow);
    expect(stale.code, stale.out).toBe(1);
    expect(stale.out).toMatch(/allow-list lines that match no finding \(remove them\):\n {2}line \d+: REMOTE_MODULE_JS_CHECK main\.js/);
    expect(stale.out).not.toContain('FAILING (HIGH/MEDIUM');
    await fs.writeFile(allow, `${[...new Set(failing)].join('\n')}\n`);
    const ok = await script(allow);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('electronegativity: passed');
  }, 240_000);
});
