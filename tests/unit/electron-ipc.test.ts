/**
 * The main process's IPC handlers (src/main/ipc.ts): sender and argument checks before the
 * engine or a dialog. Boundary that cannot run here: Electron (no binary on this machine).
 * ipc.ts takes ipcMain and dialog as parameters, so the fakes below stand in for them; the
 * `electron` module itself is mocked to throw, which proves ipc.ts never loads it at run time.
 * What the fakes cannot show: that Electron fills `senderFrame.url` as documented.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Handlers } from '../../src/engine/engine.js';
import { CALL_CHANNEL } from '../../src/shared/ipc-channels.js';
import { DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL } from '../../src/preload/channels.js';
import { registerIpc, type IpcDeps } from '../../src/main/ipc.js';

vi.mock('electron', () => {
  throw new Error('src/main/ipc.ts must not load electron at run time');
});

const RENDERER = 'file:///opt/Overlab/resources/app.asar/out/renderer/index.html';
const FOREIGN = 'https://attacker.example/index.html';

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;

function setup() {
  const handlers = new Map<string, Handler>();
  const ipc = { handle: (channel: string, h: Handler) => void handlers.set(channel, h) };
  const engine = {
    'project.open': vi.fn(async ({ dir }: { dir: string }) => ({ dir, diagnostics: [] })),
    'recent.list': vi.fn(async () => []),
  };
  const parent = { id: 7 };
  const dialog = { showOpenDialog: vi.fn(async (..._a: unknown[]) => ({ canceled: false, filePaths: ['/home/u/picked'] })) };
  const setDocumentState = vi.fn();
  const deps = { rendererUrl: RENDERER, dialog, windowOf: () => parent, setDocumentState } as unknown as IpcDeps;
  registerIpc(ipc as never, engine as unknown as Handlers, deps);
  const invoke = (channel: string, senderUrl: string | undefined, ...args: unknown[]): Promise<unknown> => {
    const h = handlers.get(channel);
    if (!h) throw new Error(`no handler on ${channel}`);
    return h({ senderFrame: senderUrl === undefined ? null : { url: senderUrl }, sender: {} }, ...args);
  };
  return { handlers, engine, dialog, parent, setDocumentState, invoke };
}

describe('registerIpc', () => {
  it('registers the call, dialog and document-state channels', () => {
    expect([...setup().handlers.keys()].sort()).toEqual([CALL_CHANNEL, DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL].sort());
  });
});

describe('the call channel', () => {
  it('passes a good call from our renderer to the engine, with the checked arguments', async () => {
    const s = setup();
    await expect(s.invoke(CALL_CHANNEL, `${RENDERER}#/canvas`, 'project.open', { dir: '/p' })).resolves.toEqual({ ok: true, value: { dir: '/p', diagnostics: [] } });
    expect(s.engine['project.open']).toHaveBeenCalledExactlyOnceWith({ dir: '/p' });
  });

  it.each([
    ['a foreign page', FOREIGN],
    ['another local file', 'file:///tmp/evil.html'],
    ['a frame without a URL', undefined],
  ])('refuses %s with forbidden, and the engine is never called', async (_why, sender) => {
    const s = setup();
    const reply = await s.invoke(CALL_CHANNEL, sender, 'project.open', { dir: '/p' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(s.engine['project.open']).not.toHaveBeenCalled();
  });

  it.each<[string, unknown[]]>([
    ['a wrong argument type', ['project.open', { dir: 3 }]],
    ['an unexpected argument', ['project.open', { dir: '/p', shell: 'rm -rf /' }]],
    ['an unknown operation', ['project.delete', { dir: '/p' }]],
    ['a non-string name', [{ toString: 'project.open' }, {}]],
    ['too many arguments', ['project.open', { dir: '/p' }, 'extra']],
  ])('refuses %s with invalid-arguments, and the engine is never called', async (_why, args) => {
    const s = setup();
    const reply = await s.invoke(CALL_CHANNEL, RENDERER, ...args);
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    expect(s.engine['project.open']).not.toHaveBeenCalled();
  });
});

describe('the dialog channel', () => {
  it('opens a folder dialog on the sender window and answers the chosen path', async () => {
    const s = setup();
    const reply = await s.invoke(DIALOG_CHANNEL, RENDERER, { title: 'Open a project folder', mode: 'open', defaultPath: '/home/u' });
    expect(reply).toEqual({ ok: true, value: '/home/u/picked' });
    expect(s.dialog.showOpenDialog).toHaveBeenCalledExactlyOnceWith(s.parent, expect.objectContaining({ title: 'Open a project folder', defaultPath: '/home/u', properties: ['openDirectory', 'createDirectory'] }));
  });

  it('answers undefined when the dialog is cancelled', async () => {
    const s = setup();
    s.dialog.showOpenDialog.mockResolvedValueOnce({ canceled: true, filePaths: [] });
    await expect(s.invoke(DIALOG_CHANNEL, RENDERER, { title: 'Save', mode: 'save' })).resolves.toEqual({ ok: true, value: undefined });
  });

  it('refuses a foreign sender and never opens a dialog', async () => {
    const s = setup();
    await expect(s.invoke(DIALOG_CHANNEL, FOREIGN, { title: 'Open', mode: 'open' })).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(s.dialog.showOpenDialog).not.toHaveBeenCalled();
  });

  it.each<[string, unknown[]]>([
    ['no request', []],
    ['an unknown mode', [{ title: 'Open', mode: 'delete' }]],
    ['a relative default path', [{ title: 'Open', mode: 'open', defaultPath: '../etc' }]],
    ['an unexpected key', [{ title: 'Open', mode: 'open', properties: ['openFile', 'multiSelections'] }]],
    ['a title that is not a string', [{ title: 1, mode: 'open' }]],
  ])('refuses %s with invalid-arguments and never opens a dialog', async (_why, args) => {
    const s = setup();
    await expect(s.invoke(DIALOG_CHANNEL, RENDERER, ...args)).resolves.toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    expect(s.dialog.showOpenDialog).not.toHaveBeenCalled();
  });
});

describe('the document-state channel', () => {
  it('hands a good state from our renderer to the window', async () => {
    const s = setup();
    await expect(s.invoke(DOCUMENT_STATE_CHANNEL, RENDERER, { dirty: true, title: 'demo — Overlab' })).resolves.toEqual({ ok: true, value: undefined });
    expect(s.setDocumentState).toHaveBeenCalledExactlyOnceWith(expect.anything(), { dirty: true, title: 'demo — Overlab' });
  });

  it('ignores a foreign sender and malformed states', async () => {
    const s = setup();
    await expect(s.invoke(DOCUMENT_STATE_CHANNEL, FOREIGN, { dirty: false, title: 'x' })).resolves.toMatchObject({ error: { code: 'forbidden' } });
    await expect(s.invoke(DOCUMENT_STATE_CHANNEL, RENDERER, { dirty: 'no', title: 'x' })).resolves.toMatchObject({ error: { code: 'invalid-arguments' } });
    await expect(s.invoke(DOCUMENT_STATE_CHANNEL, RENDERER, { dirty: false, title: 'x'.repeat(10_000) })).resolves.toMatchObject({ error: { code: 'invalid-arguments' } });
    expect(s.setDocumentState).not.toHaveBeenCalled();
  });
});
