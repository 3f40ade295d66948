/**
 * Every Content Security Policy the renderer lives under lets it connect to its own origin only:
 * the page's meta policy (source and built — the desktop app loads the built file from disk,
 * where that meta is the only policy), the header `overlab serve` sends, and the header the
 * desktop app's session adds. No wildcard host or port anywhere (the old meta allowed every
 * 127.0.0.1 port: any local service was in reach of injected script). The browser side of it
 * (a fetch to another loopback port blocked) is tests/e2e/csp.e2e.test.ts.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServe } from '../../src/engine/serve.js';
import { CONTENT_SECURITY_POLICY } from '../../src/main/window.js';
import type { Handlers } from '../../src/engine/engine.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BUILT = path.join(ROOT, 'out/renderer/index.html');

const directives = (policy: string): Map<string, string[]> =>
  new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );

/** The policy of the page's `<meta http-equiv="Content-Security-Policy">` (exactly one). */
async function metaPolicy(file: string): Promise<string> {
  const html = await fs.readFile(file, 'utf8');
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)].map((m) => m[1]!);
  expect(metas, `${file}: one CSP meta tag`).toHaveLength(1);
  return metas[0]!;
}

function expectOwnOriginOnly(policy: string, where: string): void {
  const d = directives(policy);
  expect(d.get('connect-src'), `${where}: connect-src`).toEqual(["'self'"]);
  expect(d.get('default-src'), `${where}: default-src`).toEqual(["'self'"]);
  for (const [name, values] of d) for (const v of values) expect(v, `${where}: ${name} ${v}`).not.toMatch(/\*|^https?:|^wss?:|127\.0\.0\.1|localhost/);
}

describe('the renderer connects to its own origin only', () => {
  it("in the page's meta policy (src/renderer/index.html)", async () => {
    expectOwnOriginOnly(await metaPolicy(path.join(ROOT, 'src/renderer/index.html')), 'src/renderer/index.html');
  });

  it.skipIf(!existsSync(BUILT))('in the built page the desktop app loads from disk (out/renderer/index.html; needs npm run build)', async () => {
    expectOwnOriginOnly(await metaPolicy(BUILT), 'out/renderer/index.html');
  });

  it('in the header overlab serve sends with the page', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-csp-'));
    await fs.writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    const s = await startServe({ projectDir: '/p', staticDir: dir, engine: () => ({}) as Handlers, operations: 'all' });
    try {
      const res = await fetch(`${s.origin}/`);
      expectOwnOriginOnly(res.headers.get('content-security-policy') ?? '', 'overlab serve');
    } finally {
      await s.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("in the header the desktop app's session adds", () => {
    expectOwnOriginOnly(CONTENT_SECURITY_POLICY, 'src/main/window.ts');
  });
});
