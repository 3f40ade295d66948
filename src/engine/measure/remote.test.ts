/**
 * The shell a run executes around each throughput test, run for real by this machine's sh: the
 * server start takes a free port, the client's CPU counters come apart from what the client
 * printed, the stop reads the counters and stops the server.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmd } from '../../shared/shell.js';
import { candidatePorts, clientWithCpu, PORT_PREFIX, splitClient, splitStop, startServer, stopServer, withTimeout } from './remote.js';

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
      // Both reads are /proc/stat's CPU lines (the aggregate, then one per CPU) and nothing else,
      // whichever the client did between them.
      for (const read of [s.before, s.after]) {
        const lines = read.split('\n').filter(Boolean);
        expect(lines[0]).toMatch(/^cpu +\d+ \d+ \d+ \d+/);
        expect(lines.slice(1).length).toBe(os.cpus().length);
        for (const l of lines.slice(1)) expect(l).toMatch(/^cpu\d+ \d+ /);
      }
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
    // Servers a failed test left running: stopped, as a run's cleanup stops them.
    for (const f of await fs.readdir(dir, { recursive: true })) if (f.endsWith('.pid')) await sh(stopServer(path.join(dir, f), path.join(dir, f.replace(/\.pid$/, '.out'))));
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

  it('finds a server listening while established connections fill the table after the listeners', async () => {
    // Connections of their own (established sockets, listed after the listening ones) on a
    // listener outside the candidates: the wait must still see the new server's socket.
    const other = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const conns = await Promise.all([1, 2, 3].map(() => new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect((other.address() as net.AddressInfo).port, '127.0.0.1', () => resolve(s)).on('error', reject);
    })));
    try {
      const servers = ports.slice(1).map((port) => ({ port, command: cmd('node', '-e', `require('net').createServer().listen(${port}, '127.0.0.1')`) }));
      const pidFile = path.join(dir, 'est.pid');
      const outFile = path.join(dir, 'est.out');
      const up = await sh(startServer(servers, pidFile, outFile, 'tcp'));
      expect(up.stderr).toBe('');
      expect(up.stdout.trim()).toBe(`${PORT_PREFIX}${ports[1]}`);
      await new Promise<void>((resolve, reject) => net.connect(ports[1]!, '127.0.0.1', resolve).on('error', reject).unref());
      await sh(stopServer(pidFile, outFile));
    } finally {
      for (const c of conns) c.destroy();
      await new Promise((r) => other.close(r));
    }
  });

  it('skips a port taken over IPv6 (/proc/net/tcp6)', async () => {
    const v6 = net.createServer();
    const ok = await new Promise<boolean>((r) => v6.once('error', () => r(false)).listen(ports[1], '::1', () => r(true)));
    if (!ok) return; // no IPv6 loopback on this machine
    try {
      const servers = ports.slice(1).map((port) => ({ port, command: cmd('node', '-e', `require('net').createServer().listen(${port}, '127.0.0.1')`) }));
      const up = await sh(startServer(servers, path.join(dir, 'v6.pid'), path.join(dir, 'v6.out'), 'tcp'));
      expect(up.stdout.trim()).toBe(`${PORT_PREFIX}${ports[2]}`);
      await sh(stopServer(path.join(dir, 'v6.pid'), path.join(dir, 'v6.out')));
    } finally {
      await new Promise((r) => v6.close(r));
    }
  });

  it('UDP: skips a bound UDP port and waits until the UDP server is bound', async () => {
    const bound = dgram.createSocket('udp4');
    await new Promise<void>((r) => bound.bind(ports[2], '127.0.0.1', r));
    try {
      // A UDP server that binds after a moment: the start returns only once it is bound.
      const servers = ports.slice(2).map((port) => ({ port, command: cmd('node', '-e', `setTimeout(() => require('dgram').createSocket('udp4').bind(${port}, '127.0.0.1', () => console.log('bound')), 300)`) }));
      const pidFile = path.join(dir, 'udp.pid');
      const outFile = path.join(dir, 'udp.out');
      const up = await sh(startServer(servers, pidFile, outFile, 'udp'));
      expect(up.stderr).toBe('');
      expect(up.stdout.trim()).toBe(`${PORT_PREFIX}${ports[3]}`);
      // Bound when the start returned: binding the same port now fails.
      const probe = dgram.createSocket('udp4');
      await expect(new Promise<void>((resolve, reject) => probe.once('error', reject).bind(ports[3], '127.0.0.1', resolve))).rejects.toThrow(/EADDRINUSE/);
      probe.close();
      const stop = splitStop((await sh(stopServer(pidFile, outFile))).stdout);
      expect(stop.output).toBe('bound\n');
    } finally {
      bound.close();
    }
  });

  it('a server that exits before it listens ends the wait at once, with its output', async () => {
    const up = await sh(startServer([{ port: ports[3]!, command: `sh -c 'echo "iperf3: error - bad option"; exit 2'` }], path.join(dir, 'dead.pid'), path.join(dir, 'dead.out'), 'tcp'));
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`the server exited before it listened on port ${ports[3]}:`);
    expect(up.stderr).toContain('iperf3: error - bad option');
  });

  it('a server that ignores INT and TERM is killed, under its timeout too (KILL to timeout alone would orphan it)', async () => {
    const port = ports[3]!;
    const stubborn = `process.on('SIGINT', () => undefined); process.on('SIGTERM', () => undefined); require('net').createServer().listen(${port}, '127.0.0.1')`;
    const pidFile = path.join(dir, 'stubborn.pid');
    const outFile = path.join(dir, 'stubborn.out');
    const up = await sh(startServer([{ port, command: withTimeout(60, cmd('node', '-e', stubborn)) }], pidFile, outFile, 'tcp'));
    expect(up.stderr).toBe('');
    const timeoutPid = Number(await fs.readFile(pidFile, 'utf8'));
    const [serverPid] = (await fs.readFile(`/proc/${timeoutPid}/task/${timeoutPid}/children`, 'utf8')).trim().split(' ').map(Number);
    expect(serverPid).toBeGreaterThan(0);
    await sh(stopServer(pidFile, outFile));
    const state = (pid: number): Promise<string> => fs.readFile(`/proc/${pid}/stat`, 'utf8').then((x) => x.split(' ')[2]!, () => 'gone');
    // SIGKILL is delivered at once; the state may show the zombie until it is reaped.
    for (const pid of [serverPid!, timeoutPid]) expect(['gone', 'Z']).toContain(await state(pid));
    // The port is free again.
    await new Promise<void>((resolve, reject) => net.createServer().once('error', reject).listen(port, '127.0.0.1', function (this: net.Server) { this.close(() => resolve()); }));
  });

  it('says which ports it tried when none is free', async () => {
    const up = await sh(startServer([{ port: ports[0]!, command: 'true' }], path.join(dir, 'x.pid'), path.join(dir, 'x.out'), 'tcp'));
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`no free port among ${ports[0]}`);
  });
});
