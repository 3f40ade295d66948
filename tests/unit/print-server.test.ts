/**
 * The server the report printer starts (src/engine/report/print.ts `printServer`) while Chromium
 * prints: real HTTP on loopback with its token, an engine of spies. It serves what the report
 * route calls (REPORT_OPERATIONS, the session) and refuses everything else with 403 before
 * anything runs — above all what changes machines (deploy, lab up/down) or files.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type Mock } from 'vitest';
import { OPERATIONS, REPORT_OPERATIONS, type OperationName } from '../../src/shared/api.js';
import type { Handlers } from '../../src/engine/engine.js';
import { printServer } from '../../src/engine/report/print.js';
import type { Serving } from '../../src/engine/serve.js';

let root = '';
let server: Serving;
let spies: Record<OperationName, Mock>;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-print-server-'));
  await fs.writeFile(path.join(root, 'index.html'), '<!doctype html><div id="root"></div>');
  spies = Object.fromEntries(OPERATIONS.map((op) => [op, vi.fn(() => Promise.resolve({ ran: op }))])) as Record<OperationName, Mock>;
  server = await printServer('/projects/demo', root, () => spies as unknown as Handlers);
});
afterAll(async () => {
  await server?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const call = async (op: string, args: unknown, method = 'POST'): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${server.origin}/api/${op}`, {
    method,
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    ...(method === 'POST' ? { body: JSON.stringify(args) } : {}),
  });
  return { status: res.status, body: await res.json() };
};

/** Arguments each operation accepts, so that a refusal is about the operation, not its arguments. */
const ARGS: Partial<Record<OperationName, unknown>> = {
  'deploy.apply': { dir: '/projects/demo' },
  'deploy.teardown': { dir: '/projects/demo' },
  'lab.up': { dir: '/projects/demo' },
  'lab.down': { dir: '/projects/demo' },
  'project.save': { dir: '/projects/demo', topology: {} },
  'export.ansible': { dir: '/projects/demo', out: '/tmp/x' },
  'report.pdf': { dir: '/projects/demo', runId: 'r1', file: '/etc/passwd' },
  'measure.run': { dir: '/projects/demo' },
  'fs.list': { path: '/' },
  'runs.get': { dir: '/projects/demo', runId: 'r1' },
  'campaigns.get': { dir: '/projects/demo', campaignId: 'c1' },
  'report.appendix': { dir: '/projects/demo' },
  'advise.get': { dir: '/projects/demo', needs: { encrypted: true } },
};

describe("the report printer's server", () => {
  it.each(['deploy.apply', 'lab.up', 'lab.down', 'deploy.teardown', 'project.save', 'export.ansible', 'report.pdf', 'measure.run', 'fs.list'] as const)('refuses %s with 403 and runs nothing', async (op) => {
    const r = await call(op, ARGS[op] ?? {});
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining(`${op} is not served here`) } });
    expect(spies[op]).not.toHaveBeenCalled();
  });

  it('refuses every operation the report route does not call', async () => {
    const others = OPERATIONS.filter((op) => !(REPORT_OPERATIONS as readonly string[]).includes(op));
    expect(others.length).toBeGreaterThan(20);
    for (const op of others) expect((await call(op, ARGS[op] ?? {})).status, op).toBe(403);
    for (const op of others) expect(spies[op], op).not.toHaveBeenCalled();
  });

  it('serves what the report route calls: runs.get, campaigns.get, report.appendix, advise.get and the session', async () => {
    expect([...REPORT_OPERATIONS].sort()).toEqual(['advise.get', 'campaigns.get', 'report.appendix', 'runs.get']);
    for (const op of REPORT_OPERATIONS) {
      const r = await call(op, ARGS[op]);
      expect(r, op).toEqual({ status: 200, body: { ok: true, value: { ran: op } } });
      expect(spies[op]).toHaveBeenCalledExactlyOnceWith(ARGS[op]);
    }
    expect(await call('session', undefined, 'GET')).toEqual({ status: 200, body: { ok: true, value: { dir: '/projects/demo' } } });
  });
});
