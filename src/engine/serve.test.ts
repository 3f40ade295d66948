import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { OPERATIONS, type OperationName } from '../shared/api.js';
import { ApiError, type Handlers } from './engine.js';
import { isLoopbackHost, MAX_STREAM_BACKLOG, startServe, type Serving } from './serve.js';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

let root: string;
let staticDir: string;
let server: Serving | undefined;
let spies: Record<OperationName, Mock>;

/** Every operation as a spy answering with its own name, so a test sees which one ran. */
function spyEngine(): Handlers {
  spies = Object.fromEntries(OPERATIONS.map((op) => [op, vi.fn(() => Promise.resolve({ ran: op }))])) as Record<OperationName, Mock>;
  return spies as unknown as Handlers;
}

const noneCalled = (): void => {
  for (const op of OPERATIONS) expect(spies[op], op).not.toHaveBeenCalled();
};

async function serve(): Promise<Serving> {
  server = await startServe({ projectDir: '/projects/demo', staticDir, engine: () => spyEngine(), operations: 'all' });
  return server;
}

/** One request exactly as given (no URL normalisation); Host defaults to the server's. */
function request(method: string, requestPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const s = server!;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: s.host, port: s.port, method, path: requestPath, headers: { Host: `${s.host}:${s.port}`, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${server!.token}`, 'Content-Type': 'application/json' });
const post = (op: string, args: unknown, headers: Record<string, string> = auth()): Promise<Answer> => request('POST', `/api/${op}`, headers, JSON.stringify(args));

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-serve-'));
  staticDir = path.join(root, 'renderer');
  await fs.mkdir(path.join(staticDir, 'assets'), { recursive: true });
  await fs.writeFile(path.join(staticDir, 'index.html'), '<!doctype html><div id="root"></div>');
  await fs.writeFile(path.join(staticDir, 'assets', 'app-1234.js'), 'console.log(1)');
  await fs.writeFile(path.join(root, 'secret.txt'), 'outside the build');
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await fs.rm(root, { recursive: true, force: true });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.3.2.1', '::1', '0:0:0:0:0:0:0:1', 'localhost'])('accepts %s', (h) => expect(isLoopbackHost(h)).toBe(true));
  it.each(['0.0.0.0', '::', '192.168.1.10', '128.0.0.1', '10.0.0.1', 'example.com', 'localhost.evil.example', ''])('refuses %j', (h) => expect(isLoopbackHost(h)).toBe(false));
});

describe('startServe', () => {
  it('refuses to listen on a non-loopback address', async () => {
    await expect(startServe({ projectDir: '/p', staticDir, host: '0.0.0.0', engine: () => spyEngine(), operations: 'all' })).rejects.toThrow(/loopback only/);
  });

  it('refuses to start without a built UI, saying how to build it', async () => {
    await fs.rm(path.join(staticDir, 'index.html'));
    await expect(startServe({ projectDir: '/p', staticDir, engine: () => spyEngine(), operations: 'all' })).rejects.toThrow(/npm run build/);
    await expect(startServe({ projectDir: '/p', staticDir: path.join(root, 'nowhere'), engine: () => spyEngine(), operations: 'all' })).rejects.toThrow(/npm run build/);
  });

  it('prints a loopback URL carrying a fresh random token in its fragment', async () => {
    const a = await serve();
    expect(a.url).toBe(`http://127.0.0.1:${a.port}/#token=${a.token}`);
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const first = a.token;
    await a.close();
    const b = await serve();
    expect(b.token).not.toBe(first);
  });

  it('names a port in use and how to pick another', async () => {
    const a = await serve();
    await expect(startServe({ projectDir: '/p', staticDir, port: a.port, engine: () => spyEngine(), operations: 'all' })).rejects.toThrow(/in use.*--port/);
  });
});

describe('the API', () => {
  it('runs an operation for a caller with the token and answers {ok, value}', async () => {
    await serve();
    const r = await post('project.open', { dir: '/p' });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body)).toEqual({ ok: true, value: { ran: 'project.open' } });
    expect(spies['project.open']).toHaveBeenCalledExactlyOnceWith({ dir: '/p' });
  });

  it('tells the page which project to open', async () => {
    await serve();
    const r = await request('GET', '/api/session', auth());
    expect(JSON.parse(r.body)).toEqual({ ok: true, value: { dir: '/projects/demo' } });
  });

  it('refuses a missing, wrong or malformed token with 401, running nothing', async () => {
    const s = await serve();
    const wrongSameLength = `${s.token.slice(0, -1)}${s.token.endsWith('A') ? 'B' : 'A'}`;
    const cases: Record<string, string>[] = [{}, { Authorization: `Bearer ${wrongSameLength}` }, { Authorization: 'Bearer short' }, { Authorization: s.token }, { Authorization: `Basic ${s.token}` }];
    for (const headers of cases) {
      const r = await post('project.open', { dir: '/p' }, { 'Content-Type': 'application/json', ...headers });
      expect(r.status, JSON.stringify(headers)).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect((await request('GET', '/api/session')).status).toBe(401);
    expect((await request('GET', '/api/events')).status).toBe(401);
    noneCalled();
  });

  it('refuses another site (Origin) with 403 even with the token, and accepts its own origin', async () => {
    const s = await serve();
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${s.port + 1}`, `https://127.0.0.1:${s.port}`]) {
      const r = await post('kinds.list', {}, { ...auth(), Origin: origin });
      expect(r.status, origin).toBe(403);
    }
    noneCalled();
    for (const origin of [s.origin, `http://localhost:${s.port}`]) expect((await post('kinds.list', {}, { ...auth(), Origin: origin })).status).toBe(200);
  });

  it('refuses a request addressed to another name (DNS rebinding), for the UI and the API', async () => {
    const s = await serve();
    for (const host of [`evil.example:${s.port}`, 'evil.example', `127.0.0.1:${s.port + 1}`, `127.0.0.1.evil.example:${s.port}`]) {
      expect((await request('GET', '/', { Host: host })).status, host).toBe(403);
      expect((await post('kinds.list', {}, { ...auth(), Host: host })).status, host).toBe(403);
    }
    // HTTP/1.0 allows no Host header at all.
    const bare = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(s.port, s.host, () => sock.end('GET / HTTP/1.0\r\n\r\n'));
      let text = '';
      sock.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text)).on('error', reject);
    });
    expect(bare).toMatch(/^HTTP\/1\.1 403 /);
    noneCalled();
    expect((await request('GET', '/', { Host: `localhost:${s.port}` })).status).toBe(200);
  });

  it('maps contract errors to HTTP statuses, keeping the error data', async () => {
    await serve();
    const bad = await post('project.open', { dir: '' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'invalid-arguments', message: expect.stringContaining('dir') } });
    spies['lab.up']!.mockRejectedValueOnce(new ApiError('not-implemented', 'lab.up is not available yet'));
    expect((await post('lab.up', { dir: '/p' })).status).toBe(501);
    spies['lab.down']!.mockRejectedValueOnce(new Error('disk full'));
    const failed = await post('lab.down', { dir: '/p' });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ ok: false, error: { code: 'failed', message: 'disk full' } });
  });

  it('refuses unknown operations, wrong methods and bodies that are not JSON', async () => {
    await serve();
    expect((await post('project.nuke', {})).status).toBe(404);
    expect((await post('__proto__', {})).status).toBe(404);
    expect((await request('GET', '/api/kinds.list', auth())).status).toBe(405);
    expect((await request('POST', '/api/session', auth())).status).toBe(405);
    expect((await request('POST', '/api/kinds.list', auth(), '{not json')).status).toBe(400);
    expect((await request('POST', '/api/kinds.list', { ...auth(), 'Content-Type': 'text/plain' }, '{}')).status).toBe(415);
    expect((await request('POST', '/api/kinds.list', { ...auth(), 'Content-Length': String(64 * 1024 * 1024) })).status).toBe(413);
    noneCalled();
    // No body at all is an empty argument object.
    expect((await request('POST', '/api/kinds.list', { Authorization: `Bearer ${server!.token}` })).status).toBe(200);
  });
});

describe('the allow-list of operations', () => {
  it('runs only the listed operations; any other answers 403 without reading its body or running', async () => {
    server = await startServe({ projectDir: '/p', staticDir, engine: () => spyEngine(), operations: ['kinds.list'] });
    expect((await post('kinds.list', {})).status).toBe(200);
    const r = await post('deploy.apply', { dir: '/p' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining('deploy.apply is not served here') } });
    // Refused before the body is read: even one too large to accept is never looked at.
    expect((await request('POST', '/api/lab.up', { ...auth(), 'Content-Length': String(64 * 1024 * 1024) })).status).toBe(403);
    expect(spies['deploy.apply']).not.toHaveBeenCalled();
    expect(spies['lab.up']).not.toHaveBeenCalled();
    // An unknown name is still "unknown", whatever the list.
    expect((await post('project.nuke', {})).status).toBe(404);
  });
});

describe('static files', () => {
  it('serves the built UI with its security headers', async () => {
    await serve();
    const index = await request('GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['referrer-policy']).toBe('no-referrer');
    const js = await request('GET', '/assets/app-1234.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('console.log(1)');
    expect((await request('HEAD', '/index.html')).status).toBe(200);
    expect((await request('GET', '/missing.js')).status).toBe(404);
    expect((await request('DELETE', '/index.html')).status).toBe(405);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2E%2E/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/..\\..\\secret.txt',
    '/%00/index.html',
    '/./index.html',
    '/%ZZ',
    'secret.txt',
  ])('refuses the climbing path %s', async (p) => {
    await serve();
    const r = await request('GET', p);
    expect([400, 403]).toContain(r.status);
    expect(r.body).not.toContain('outside the build');
  });

  it('refuses a symlink that leads out of the build', async () => {
    await fs.symlink(path.join(root, 'secret.txt'), path.join(staticDir, 'assets', 'link.txt'));
    await serve();
    const r = await request('GET', '/assets/link.txt');
    expect(r.status).toBe(403);
    expect(r.body).not.toContain('outside the build');
  });
});

describe('events', () => {
  /** Opens the event stream and collects what arrives. */
  function listen(headers: Record<string, string>): Promise<{ res: http.IncomingMessage; text: () => string; close: () => void }> {
    const s = server!;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: s.host, port: s.port, method: 'GET', path: '/api/events', headers: { Host: `${s.host}:${s.port}`, ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('error', () => undefined);
        // Resolves once the first bytes (the opening comment) are in.
        res.once('data', () => resolve({ res, text: () => text, close: () => req.destroy() }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('streams every emitted event to every connected page as SSE, one JSON data line each', async () => {
    const s = await serve();
    const a = await listen({ Authorization: `Bearer ${s.token}` });
    const b = await listen({ Authorization: `Bearer ${s.token}` });
    expect(a.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    s.emit('progress', { runId: 'r1', operation: 'lab', host: 'hub', step: 'sshd', status: 'done', fraction: 0.5 });
    s.emit('log', { runId: 'r1', stream: 'stdout', line: 'two\nlines' });
    const frames = [
      'event: progress\ndata: {"runId":"r1","operation":"lab","host":"hub","step":"sshd","status":"done","fraction":0.5}\n\n',
      'event: log\ndata: {"runId":"r1","stream":"stdout","line":"two\\nlines"}\n\n',
    ].join('');
    await vi.waitFor(() => expect(a.text()).toContain(frames));
    await vi.waitFor(() => expect(b.text()).toContain(frames));
    a.close();
    b.close();
  });

  it('drops a page that stops reading once its backlog passes the limit: memory stays bounded, the stream is closed, other pages go on', async () => {
    const s = await serve();
    // A page that opens the stream and then never reads (a raw socket, paused after the headers).
    const stalled = net.connect(s.port, s.host);
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.write(`GET /api/events HTTP/1.1\r\nHost: ${s.host}:${s.port}\r\nAuthorization: Bearer ${s.token}\r\n\r\n`);
    await new Promise<void>((resolve) => stalled.once('data', () => resolve()));
    stalled.pause();
    const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    let received = 0;
    stalled.on('data', (c: Buffer) => (received += c.length));
    stalled.on('error', () => undefined);
    // A page that reads: it keeps its stream.
    const live = await listen({ Authorization: `Bearer ${s.token}` });
    await vi.waitFor(() => expect(s.eventStreams().open).toBe(2));

    const line = 'x'.repeat(1000);
    const frame = `event: log\ndata: ${JSON.stringify({ runId: 'r1', stream: 'stdout', line })}\n\n`.length;
    const total = 40 << 20;
    let most = 0;
    for (let sent = 0; sent < total; sent += frame) {
      s.emit('log', { runId: 'r1', stream: 'stdout', line });
      most = Math.max(most, s.eventStreams().backlog);
      // Let the live page's socket drain now and then, as a page that reads does.
      if (sent % (64 << 10) < frame) await new Promise((r) => setImmediate(r));
    }
    // Never more than the limit (plus one frame, and what the live page had not taken yet).
    expect(most).toBeLessThan(2 * MAX_STREAM_BACKLOG + frame);
    expect(s.eventStreams().open).toBe(1);
    stalled.resume();
    await closed;
    // What the stalled page gets is what the kernel's socket buffers held, not the 40 MiB emitted.
    expect(received).toBeLessThan(total / 2);
    s.emit('log', { runId: 'r1', stream: 'info', line: 'still here' });
    await vi.waitFor(() => expect(live.text()).toContain('"line":"still here"'));
    live.close();
  });

  it('ends open streams on close, so the process can exit', async () => {
    const s = await serve();
    const a = await listen({ Authorization: `Bearer ${s.token}` });
    const ended = new Promise<void>((resolve) => a.res.on('close', () => resolve()));
    await s.close();
    server = undefined;
    await ended;
  });
});
