/**
 * The preload bridge (src/preload/index.ts). Boundary that cannot run here: Electron itself
 * (no binary on this machine), so `electron` is replaced by a fake — `contextBridge` records
 * what is exposed, `ipcRenderer` records invocations and listeners — and the real preload
 * module runs against it. What the fake cannot show: that Electron's structured clone and
 * context isolation behave as documented.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Bridge } from '../../src/renderer/src/api/transport.js';
import type { OverlabBridge } from '../../src/preload/index.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../src/shared/ipc-channels.js';
import { DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL, MENU_COMMAND_CHANNEL } from '../../src/preload/channels.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

const fake = vi.hoisted(() => {
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  return {
    listeners,
    exposed: [] as [string, unknown][],
    invoke: vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined),
    emit(channel: string, ...args: unknown[]): void {
      for (const l of listeners.get(channel) ?? []) l({ sender: 'fake' }, ...args);
    },
  };
});

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => fake.exposed.push([key, api]) },
  ipcRenderer: {
    invoke: fake.invoke,
    on: (channel: string, l: Listener) => {
      if (!fake.listeners.has(channel)) fake.listeners.set(channel, new Set());
      fake.listeners.get(channel)!.add(l);
    },
    removeListener: (channel: string, l: Listener) => fake.listeners.get(channel)?.delete(l),
  },
}));

let bridge: OverlabBridge;

beforeAll(async () => {
  await import('../../src/preload/index.js');
  bridge = fake.exposed[0]![1] as OverlabBridge;
});

// Compile-time half of "one contract at both ends": the preload's object is the renderer's Bridge,
// desktop extras included (but onReconnect: IPC loses no event). A changed signature on either
// side fails `tsc -p tsconfig.node.json`.
const _sameShape = (b: OverlabBridge): Required<Omit<Bridge, 'onReconnect'>> => b;

describe('the preload bridge', () => {
  it('exposes exactly call, on, pickFolder, onMenuCommand and setDocumentState as window.overlabBridge, once', () => {
    expect(fake.exposed.map(([key]) => key)).toEqual(['overlabBridge']);
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on', 'onMenuCommand', 'pickFolder', 'setDocumentState']);
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
  });

  it('call invokes the call channel with (name, args) and answers its reply', async () => {
    fake.invoke.mockResolvedValueOnce({ ok: true, value: 42 });
    await expect(bridge.call('project.open', { dir: '/p' })).resolves.toEqual({ ok: true, value: 42 });
    expect(fake.invoke).toHaveBeenLastCalledWith(CALL_CHANNEL, 'project.open', { dir: '/p' });
  });

  it('on delivers only its event from the event channel, and its unsubscribe removes the listener', () => {
    const got: unknown[] = [];
    const off = bridge.on('progress', (p) => got.push(p));
    fake.emit(EVENT_CHANNEL, 'log', { line: 'not mine' });
    fake.emit(EVENT_CHANNEL, 'progress', { step: 'a' });
    expect(got).toEqual([{ step: 'a' }]);
    expect(fake.listeners.get(EVENT_CHANNEL)?.size).toBe(1);
    off();
    expect(fake.listeners.get(EVENT_CHANNEL)?.size).toBe(0);
    fake.emit(EVENT_CHANNEL, 'progress', { step: 'b' });
    expect(got).toEqual([{ step: 'a' }]);
  });

  it('pickFolder asks the dialog channel and answers the path, or throws the refusal', async () => {
    fake.invoke.mockResolvedValueOnce({ ok: true, value: '/home/u/lab' });
    await expect(bridge.pickFolder({ title: 'Open', mode: 'open', defaultPath: '/home/u' })).resolves.toBe('/home/u/lab');
    expect(fake.invoke).toHaveBeenLastCalledWith(DIALOG_CHANNEL, { title: 'Open', mode: 'open', defaultPath: '/home/u' });
    fake.invoke.mockResolvedValueOnce({ ok: true, value: undefined });
    await expect(bridge.pickFolder({ title: 'Open', mode: 'open' })).resolves.toBeUndefined();
    fake.invoke.mockResolvedValueOnce({ ok: false, error: { code: 'forbidden', message: 'no' } });
    await expect(bridge.pickFolder({ title: 'Open', mode: 'open' })).rejects.toThrow('no');
  });

  it('onMenuCommand passes command ids from the menu channel until unsubscribed', () => {
    const ids: string[] = [];
    const off = bridge.onMenuCommand((id) => ids.push(id));
    fake.emit(MENU_COMMAND_CHANNEL, 'file.save');
    fake.emit(MENU_COMMAND_CHANNEL, { not: 'a string' });
    off();
    fake.emit(MENU_COMMAND_CHANNEL, 'file.open');
    expect(ids).toEqual(['file.save']);
  });

  it('setDocumentState sends only dirty and title on the document-state channel', () => {
    bridge.setDocumentState({ dirty: true, title: 'demo — Overlab', extra: 'dropped' } as never);
    expect(fake.invoke).toHaveBeenLastCalledWith(DOCUMENT_STATE_CHANNEL, { dirty: true, title: 'demo — Overlab' });
  });

  it('setDocumentState sends a state only when it changed (the renderer reports on every store change)', () => {
    fake.invoke.mockClear();
    bridge.setDocumentState({ dirty: false, title: 'a — Overlab' });
    bridge.setDocumentState({ dirty: false, title: 'a — Overlab' });
    bridge.setDocumentState({ dirty: true, title: 'a — Overlab' });
    expect(fake.invoke.mock.calls).toEqual([
      [DOCUMENT_STATE_CHANNEL, { dirty: false, title: 'a — Overlab' }],
      [DOCUMENT_STATE_CHANNEL, { dirty: true, title: 'a — Overlab' }],
    ]);
  });
});
