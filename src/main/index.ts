/**
 * The Electron shell: one window, the IPC bridge to the engine, nothing else. All behaviour
 * lives in the engine so that the CLI and `overlab serve` run it under plain Node.
 */
import { app, BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultRegistry } from '../shared/tunnels/index.js';
import { dispatch } from '../engine/dispatch.js';
import { createEngine } from '../engine/engine.js';
import { isTrustedSenderUrl } from './trust.js';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../shared/ipc-channels.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const devUrl = process.env.ELECTRON_RENDERER_URL;
const rendererUrl = devUrl ?? pathToFileURL(path.join(here, '../renderer/index.html')).href;

let window: BrowserWindow | undefined;

const engine = createEngine({
  registry: defaultRegistry,
  emit: (event, payload) => window?.webContents.send(EVENT_CHANNEL, event, payload),
});

ipcMain.handle(CALL_CHANNEL, (event: IpcMainInvokeEvent, name: unknown, args: unknown) =>
  dispatch(engine, name, args, isTrustedSenderUrl(event.senderFrame?.url, rendererUrl)),
);

function createWindow(): void {
  window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Overlab',
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // The app never navigates away from its own renderer or opens windows of its own.
  window.webContents.on('will-navigate', (e, url) => {
    if (!isTrustedSenderUrl(url, rendererUrl)) e.preventDefault();
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  void window.loadURL(rendererUrl);
}

void app.whenReady().then(createWindow);
app.on('window-all-closed', () => app.quit());
