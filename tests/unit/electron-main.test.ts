/**
 * The main process's wiring (src/main/index.ts), loaded for real with the real engine.
 * Boundary that cannot run here: Electron itself (no binary on this machine). `electron` is
 * replaced by a fake — app, BrowserWindow, ipcMain, dialog, Menu — that records what index.ts
 * registers; the tests then play the renderer by calling the registered handlers. What the
 * fake cannot show: Chromium, the preload in its sandbox, a real window on a desktop.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CALL_CHANNEL } from '../../src/shared/ipc-channels.js';
import { DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL, MENU_COMMAND_CHANNEL } from '../../src/preload/channels.js';

type Fn = (...args: never[]) => unknown;
interface Item {
  id?: string;
  click?: () => void;
  submenu?: Item[];
}

const fake = vi.hoisted(() => {
  const windows: FakeWindowShape[] = [];
  interface FakeWindowShape {
    options: unknown;
    loaded: string[];
    title: string;
    sent: unknown[][];
    listeners: Map<string, (...a: never[]) => unknown>;
    webContents: unknown;
  }
  return {
    windows,
    appOn: new Map<string, (...a: never[]) => unknown>(),
    handlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
    menus: [] as unknown[],
    ready: undefined as undefined | Promise<void>,
  };
});

vi.mock('electron', () => {
  class BrowserWindow {
    static fromWebContents = (contents: unknown) => fake.windows.find((w) => w.webContents === contents) ?? null;
    static getFocusedWindow = () => null;
    options: unknown;
    loaded: string[] = [];
    title = '';
    sent: unknown[][] = [];
    listeners = new Map<string, Fn>();
    webContents = {
      session: { webRequest: { onHeadersReceived: () => undefined }, setPermissionRequestHandler: () => undefined, setPermissionCheckHandler: () => undefined },
      on: () => undefined,
      setWindowOpenHandler: () => undefined,
      send: (...a: unknown[]) => void this.sent.push(a),
    };
    constructor(options: unknown) {
      this.options = options;
      fake.windows.push(this as never);
    }
    loadURL(url: string) {
      this.loaded.push(url);
      return Promise.resolve();
    }
    setTitle(t: string) {
      this.title = t;
    }
    isDestroyed() {
      return false;
    }
    close() {}
    on(event: string, l: Fn) {
      this.listeners.set(event, l);
      return this;
    }
  }
  fake.ready = Promise.resolve();
  return {
    app: {
      isPackaged: true,
      getAppPath: () => '/opt/Overlab/resources/app.asar',
      on: (event: string, l: Fn) => void fake.appOn.set(event, l),
      whenReady: () => fake.ready,
      quit: () => undefined,
    },
    BrowserWindow,
    ipcMain: { handle: (channel: string, h: (event: unknown, ...args: unknown[]) => Promise<unknown>) => void fake.handlers.set(channel, h) },
    dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showMessageBox: async () => ({ response: 2 }) },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: (m: unknown) => void fake.menus.push(m) },
  };
});

const config = mkdtempSync(path.join(os.tmpdir(), 'overlab-electron-main-'));
const RECENT = path.join(config, 'alpha');
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
const allItems = (menu: unknown): Item[] => (menu as Item[]).flatMap(function walk(i: Item): Item[] {
  return [i, ...(i.submenu ?? []).flatMap(walk)];
});

beforeAll(async () => {
  writeFileSync(path.join(config, 'recent.json'), JSON.stringify([{ dir: RECENT, name: 'alpha', openedAt: '2025-01-01T00:00:00Z' }]));
  vi.stubEnv('OVERLAB_CONFIG_DIR', config);
  // A packaged app ignores this: it would point the trusted renderer at any page.
  vi.stubEnv('ELECTRON_RENDERER_URL', 'https://attacker.example/');
  await import('../../src/main/index.js');
  await fake.ready;
  await flush();
});

afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(config, { recursive: true, force: true });
});

const rendererUrl = (): string => fake.windows[0]!.loaded[0]!;
const fromRenderer = (channel: string, ...args: unknown[]): Promise<unknown> =>
  fake.handlers.get(channel)!({ senderFrame: { url: rendererUrl() }, sender: fake.windows[0]!.webContents }, ...args);

describe('src/main/index.ts, wired to a fake Electron', () => {
  it('registers the three IPC channels and hardens every webContents', () => {
    expect([...fake.handlers.keys()].sort()).toEqual([CALL_CHANNEL, DIALOG_CHANNEL, DOCUMENT_STATE_CHANNEL].sort());
    expect(fake.appOn.has('web-contents-created')).toBe(true);
  });

  it('opens one sandboxed window with the CommonJS preload, loading the bundled renderer (not the env URL)', () => {
    expect(fake.windows).toHaveLength(1);
    const prefs = (fake.windows[0]!.options as { webPreferences: Record<string, unknown> }).webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(path.isAbsolute(prefs.preload as string)).toBe(true);
    expect(prefs.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    expect(rendererUrl()).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
  });

  it('answers a call from its renderer with the real engine, and refuses a foreign one', async () => {
    await expect(fromRenderer(CALL_CHANNEL, 'project.validate', { topology: {} })).resolves.toMatchObject({ ok: true, value: { diagnostics: expect.any(Array) } });
    await expect(fake.handlers.get(CALL_CHANNEL)!({ senderFrame: { url: 'https://attacker.example/' } }, 'recent.list', {})).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('builds the menu with the recent projects; a menu item sends its id to the window', () => {
    const items = allItems(fake.menus.at(-1));
    expect(items.some((i) => i.id === `file.openRecent:${RECENT}`)).toBe(true);
    items.find((i) => i.id === 'file.save')!.click!();
    expect(fake.windows[0]!.sent).toContainEqual([MENU_COMMAND_CHANNEL, 'file.save']);
  });

  it('rebuilds the menu after recent.add', async () => {
    const before = fake.menus.length;
    const beta = path.join(config, 'beta');
    await expect(fromRenderer(CALL_CHANNEL, 'recent.add', { dir: beta, name: 'beta' })).resolves.toMatchObject({ ok: true });
    await flush();
    expect(fake.menus.length).toBeGreaterThan(before);
    expect(allItems(fake.menus.at(-1)).some((i) => i.id === `file.openRecent:${beta}`)).toBe(true);
  });

  it("shows the renderer's document state in its window's title", async () => {
    await expect(fromRenderer(DOCUMENT_STATE_CHANNEL, { dirty: true, title: 'demo — Overlab' })).resolves.toEqual({ ok: true, value: undefined });
    expect(fake.windows[0]!.title).toBe('• demo — Overlab');
  });

  it('guards the window: closing it dirty is held while the message box asks', () => {
    const preventDefault = vi.fn();
    (fake.windows[0]!.listeners.get('close') as (e: unknown) => void)({ preventDefault });
    expect(preventDefault).toHaveBeenCalled();
  });
});
