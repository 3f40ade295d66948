/**
 * The renderer's HTTP transport against the real `overlab serve` server (both in this
 * process): calls, refusals as error data, and events over the fetch-read SSE stream.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Handlers } from '../../src/engine/engine.js';
import { Prompts } from '../../src/engine/prompts.js';
import { startServe, type Serving } from '../../src/engine/serve.js';
import { httpBridge, sseParser } from '../../src/renderer/src/api/serve-bridge.js';
import type { LogEvent, ProgressEvent, PromptEvent } from '../../src/shared/api.js';

let root: string;
let server: Serving | undefined;

const engine = {
  'kinds.list': () => Promise.resolve([{ id: 'vxlan' }]),
  'lab.up': () => Promise.reject(new ApiError('not-implemented', 'lab.up is not available yet')),
} as unknown as Handlers;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'overlab-bridge-'));
  await fs.writeFile(path.join(root, 'index.html'), '<!doctype html>');
  server = await startServe({ projectDir: '/projects/demo', staticDir: root, engine: () => engine, operations: 'all' });
});

afterEach(async () => {
  await server?.close();
  await fs.rm(root, { recursive: true, force: true });
});

describe('sseParser', () => {
  it('yields each event once, whatever the chunking, skipping comments', () => {
    const text = ': hello\n\nevent: log\ndata: {"a":1}\n\nevent: progress\r\ndata: x\ndata: y\r\n\r\ndata: plain\n\n';
    const expected = [['log', '{"a":1}'], ['progress', 'x\ny'], ['message', 'plain']];
    for (const size of [1, 2, 3, 7, text.length]) {
      const got: string[][] = [];
      const push = sseParser((e, d) => got.push([e, d]));
      for (let i = 0; i < text.length; i += size) push(text.slice(i, i + size));
      expect(got, `chunks of ${size}`).toEqual(expected);
    }
  });
});

describe('httpBridge', () => {
  const bridgeFor = (token: string) => httpBridge(token, { base: server!.origin, retryMs: 20 });

  it('calls an operation and returns the engine reply', async () => {
    const b = bridgeFor(server!.token);
    expect(await b.call('kinds.list', {})).toEqual({ ok: true, value: [{ id: 'vxlan' }] });
    expect(await b.call('lab.up', { dir: '/p' })).toMatchObject({ ok: false, error: { code: 'not-implemented' } });
    expect(await b.session()).toEqual({ ok: true, value: { dir: '/projects/demo' } });
  });

  it('turns a refused token and a stopped server into error data, not exceptions', async () => {
    expect(await bridgeFor('wrong').call('kinds.list', {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const b = bridgeFor(server!.token);
    await server!.close();
    server = undefined;
    expect(await b.call('kinds.list', {})).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('does not answer') } });
  });

  it('delivers emitted events to the subscribers of that event only, until they unsubscribe', async () => {
    const b = bridgeFor(server!.token);
    const logs: LogEvent[] = [];
    const progress: ProgressEvent[] = [];
    const offLog = b.on('log', (e) => logs.push(e));
    const offProgress = b.on('progress', (e) => progress.push(e));
    const line: LogEvent = { runId: 'r1', host: 'hub', stream: 'info', line: 'sshd\nstarted' };
    // The stream opens asynchronously: emit until the first event is seen.
    await vi.waitFor(() => {
      server!.emit('log', line);
      expect(logs.length).toBeGreaterThan(0);
    });
    server!.emit('progress', { runId: 'r1', operation: 'lab', step: 'up', status: 'done' });
    await vi.waitFor(() => expect(progress).toEqual([{ runId: 'r1', operation: 'lab', step: 'up', status: 'done' }]));
    // The stream keeps order: every log emitted above has arrived by now.
    const seen = logs.length;
    expect(logs.every((l) => l.line === 'sshd\nstarted')).toBe(true);
    offLog();
    server!.emit('log', line);
    server!.emit('progress', { runId: 'r1', operation: 'lab', step: 'down', status: 'done' });
    await vi.waitFor(() => expect(progress).toHaveLength(2));
    expect(logs).toHaveLength(seen);
    offProgress();
  });

  it('gives up the event stream once the server refuses its token (a restarted server has a new one)', async () => {
    const b = bridgeFor(server!.token);
    const logs: string[] = [];
    const off = b.on('log', (e) => logs.push(e.line));
    await vi.waitFor(() => {
      server!.emit('log', { runId: 'r1', stream: 'info', line: 'first' });
      expect(logs).toContain('first');
    });
    // A new server on the same port has a new token: the bridge must stop, not hammer it.
    const { port } = server!;
    await server!.close();
    server = await startServe({ projectDir: '/p', staticDir: root, port, engine: () => engine, operations: 'all' });
    server.emit('log', { runId: 'r1', stream: 'info', line: 'second' });
    await new Promise((r) => setTimeout(r, 200));
    expect(logs).not.toContain('second');
    off();
  });

  it('reconnects after the server drops a page that fell behind, tells the UI, which re-reads the question it missed', async () => {
    // The engine's real question book, behind a server of its own.
    let prompts!: Prompts;
    await server!.close();
    server = await startServe({
      projectDir: '/p',
      staticDir: root,
      operations: 'all',
      engine: (emit) => {
        prompts = new Prompts(emit);
        return { 'prompt.pending': () => Promise.resolve(prompts.pending()), 'prompt.answer': ({ promptId, value }: { promptId: string; value?: string }) => Promise.resolve({ ok: prompts.answer(promptId, value) }) } as unknown as Handlers;
      },
    });
    const s = server;
    // The page's first event stream is read by nobody until `release` (a stalled tab); later ones flow.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let streams = 0;
    const gatedFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/api/events') || streams++ > 0 || !res.body) return res;
      const reader = res.body.getReader();
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(c) {
            await gate;
            const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
            if (done) c.close();
            else c.enqueue(value);
          },
          cancel: () => reader.cancel(),
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const b = httpBridge(s.token, { base: s.origin, retryMs: 20, fetch: gatedFetch });
    const seen: PromptEvent[] = [];
    const off = b.on('prompt', (p) => seen.push(p));
    let reconnects = 0;
    const offReconnect = b.onReconnect!(() => reconnects++);
    await vi.waitFor(() => expect(s.eventStreams().open).toBe(1));

    // A long run's log floods the stalled stream until the server drops it …
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 40_000 && s.eventStreams().open > 0; i++) s.emit('log', { runId: 'r1', stream: 'stdout', line });
    expect(s.eventStreams().open).toBe(0);
    // … and then the engine asks for a password: the page has no stream, so it misses the event.
    const answer = prompts.password('hub', 'root@198.18.0.2');
    release();
    await vi.waitFor(() => expect(reconnects).toBe(1));
    expect(seen).toEqual([]);
    const pending = await b.call('prompt.pending', {});
    expect(pending).toMatchObject({ ok: true, value: [{ kind: 'password', host: 'hub', login: 'root@198.18.0.2' }] });
    const question = (pending as { value: PromptEvent[] }).value[0]!;
    expect(await b.call('prompt.answer', { promptId: question.promptId, value: 'secret' })).toEqual({ ok: true, value: { ok: true } });
    await expect(answer).resolves.toBe('secret');
    expect(await b.call('prompt.pending', {})).toEqual({ ok: true, value: [] });
    // The new stream carries events again.
    await vi.waitFor(() => {
      s.emit('prompt', { promptId: 'p2', kind: 'password', host: 'a', login: 'root@a', message: 'Password' });
      expect(seen.length).toBeGreaterThan(0);
    });
    off();
    offReconnect();
  });
});
