/**
 * The Electron shell, wiring only: the engine (lab operations through pkexec when not root),
 * the hardening of every web page, the IPC handlers, the menu and the window with its close
 * guard. All behaviour lives in the engine so that the CLI and `overlab serve` run it under
 * plain Node; each piece here is a module of its own that tests drive with fakes.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu } from 'electron';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defaultRegistry } from '../shared/tunnels/index.js';
import { EVENT_CHANNEL } from '../shared/ipc-channels.js';
import { createEngine } from '../engine/engine.js';
import { MENU_COMMAND_CHANNEL } from '../preload/channels.js';
import { CLOSE_BUTTONS, choiceOf, installCloseGuard, type CloseGuard } from './close-guard.js';
import { registerIpc } from './ipc.js';
import { installMenu, refreshingMenu } from './menu.js';
import { privilegedLab } from './privileged.js';
import { withElectronReports } from './report.js';
import { createMainWindow, hardenWebContents } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The dev server's URL only in development: a packaged app never loads a page named by its environment.
const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const rendererUrl = devUrl ?? pathToFileURL(path.join(here, '../renderer/index.html')).href;

let mainWindow: BrowserWindow | undefined;
const guards = new WeakMap<BrowserWindow, CloseGuard>();

const sendCommand = (window: BrowserWindow | undefined, commandId: string): void => {
  if (window && !window.isDestroyed()) window.webContents.send(MENU_COMMAND_CHANNEL, commandId);
};

const refreshMenu = (): void =>
  void installMenu({ Menu, engine, send: (id) => sendCommand(BrowserWindow.getFocusedWindow() ?? mainWindow, id) });

const preloadPath = path.join(here, '../preload/index.cjs');

const engine = withElectronReports(
  refreshingMenu(
    privilegedLab(
      createEngine({
        registry: defaultRegistry,
        emit: (event, payload) => mainWindow?.webContents.send(EVENT_CHANNEL, event, payload),
      }),
      { spawn, getuid: process.getuid?.bind(process), execPath: process.execPath, cliPath: path.join(app.getAppPath(), 'out', 'cli', 'overlab.mjs') },
    ),
    refreshMenu,
  ),
  // Reports print in a hidden window of the app's own Chromium (printToPDF), not in a second browser.
  defaultRegistry,
  { BrowserWindow, preloadPath, rendererUrl },
);

// Any webContents, also one created by something else than createMainWindow, gets the same rules.
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, rendererUrl));

registerIpc(ipcMain, engine, {
  rendererUrl,
  dialog,
  windowOf: (event) => BrowserWindow.fromWebContents(event.sender) ?? undefined,
  setDocumentState: (event, state) => {
    const window = BrowserWindow.fromWebContents(event.sender);
    if (window) guards.get(window)?.setState(state);
  },
});

function createWindow(): void {
  const window = createMainWindow({ BrowserWindow, preloadPath, rendererUrl });
  guards.set(
    window,
    installCloseGuard(window, {
      ask: async (state) => {
        const r = await dialog.showMessageBox(window, {
          type: 'warning',
          buttons: [...CLOSE_BUTTONS],
          defaultId: 0,
          cancelId: 2,
          noLink: true,
          message: `Save the changes to ${state.title.replace(/ — Overlab$/, '') || 'this project'}?`,
          detail: 'Your changes are lost if you do not save them.',
        });
        return choiceOf(r.response);
      },
      sendCommand: (id) => sendCommand(window, id),
    }),
  );
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = undefined;
  });
  mainWindow = window;
}

void app.whenReady().then(() => {
  refreshMenu();
  createWindow();
});
app.on('window-all-closed', () => app.quit());
