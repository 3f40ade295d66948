import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type Io } from '../main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t) };
  const code = await runCli(argv, io);
  return { code, out, err };
}

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-serve-cli-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('overlab serve (refusals; the served UI is covered by tests/e2e)', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com'])('refuses --host %s as a usage error naming loopback', async (host) => {
    const r = await cli('serve', root, '--host', host);
    expect(r.code).toBe(2);
    expect(r.err).toContain('loopback only');
    expect(r.out).toBe('');
  });

  it.each(['-1', '65536', 'http', '80.5'])('refuses --port %s as a usage error', async (port) => {
    const r = await cli('serve', root, '--port', port);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--port');
  });

  it('refuses a folder that does not exist, or holds no project, in one line saying what to do', async () => {
    for (const dir of [path.join(root, 'missing'), root]) {
      const r = await cli('serve', dir);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain('overlab new');
      expect(r.out).toBe('');
    }
  });
});
