/**
 * The shell a run executes around each throughput test, run for real by this machine's sh: the
 * server start takes a free port, the client's CPU counters come apart from what the client
 * printed, the stop reads the counters and stops the server.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from '../../shared/shell.js';
import { candidatePorts, clientWithCpu, PORT_PREFIX, splitClient, splitStop, startServer, stopServer } from './remote.js';

const sh = (script: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile('sh', ['-c', script], (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });

describe('a client between two CPU reads', () => {
  it('gives back exactly what the client printed, with or without a last line break, and its exit status', async () => {
    for (const [command, output, code] of [
      [`printf '%s' '{"end": {}}'`, '{"end": {}}', 0],
      ['echo one; echo two', 'one\ntwo\n', 0],
      [`sh -c 'echo partial; exit 3'`, 'partial\n', 3],
      ['true', '', 0],
    ] as const) {
      const r = await sh(clientWithCpu(command));
      const s = splitClient(r.stdout);
      expect(r.code).toBe(code);
      expect(s.output).toBe(output);
      // Both reads are whole /proc/stat tables, whichever the client did between them.
      expect(s.before).toMatch(/^cpu +\d+ /);
      expect(s.after).toMatch(/^cpu +\d+ /);
    }
  });

  it('output without the marks (a host that cut the session) is all client output', () => {
    expect(splitClient('{"error": "x"}')).toEqual({ before: '', output: '{"error": "x"}', after: '' });
  });
});

describe('a server started on a free port and stopped', () => {
  let dir: string;
  let taken: net.Server;
  const ports = candidatePorts(4242, 4);
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-remote-'));
    // The first candidate is in use: the start must take the second.
    taken = net.createServer();
    await new Promise<void>((r) => taken.listen(ports[0], '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => taken.close(r));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('skips the port in use, prints the one it took, listens, and is stopped with its output', async () => {
    const servers = ports.map((port) => ({ port, command: cmd('node', '-e', `require('net').createServer().listen(${port}, '127.0.0.1'); console.log('serving ${port}')`) }));
    const pidFile = path.join(dir, 'run', 's.pid');
    const outFile = path.join(dir, 'run', 's.out');
    const up = await sh(startServer(servers, pidFile, outFile, 'tcp'));
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout.trim()).toBe(`${PORT_PREFIX}${ports[1]}`);
    const pid = Number(await fs.readFile(pidFile, 'utf8'));
    // It listens now: a connection is accepted.
    await new Promise<void>((resolve, reject) => net.connect(ports[1]!, '127.0.0.1', resolve).on('error', reject).unref());
    const stop = splitStop((await sh(stopServer(pidFile, outFile))).stdout);
    expect(stop.cpu).toMatch(/^cpu +\d+ /);
    expect(stop.output).toBe(`serving ${ports[1]}\n`);
    // Gone, or a zombie its new parent has not reaped yet: not running.
    const state = await fs.readFile(`/proc/${pid}/stat`, 'utf8').then((x) => x.split(' ')[2], () => 'gone');
    expect(['gone', 'Z']).toContain(state);
    await expect(fs.stat(pidFile)).rejects.toThrow();
  });

  it('says which ports it tried when none is free', async () => {
    const up = await sh(startServer([{ port: ports[0]!, command: 'true' }], path.join(dir, 'x.pid'), path.join(dir, 'x.out'), 'tcp'));
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`no free port among ${ports[0]}`);
  });
});
