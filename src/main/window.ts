/**
 * The window and the rules every web page of the app lives under. The renderer is our own
 * code, but it draws data from project files and remote hosts: if anything ever injects
 * markup, it must find no Node, no remote scripts, no navigation away, no new windows and
 * no permissions. Electron is passed in (or only its types are imported), so tests drive
 * these functions with fakes.
 */
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { isTrustedSenderUrl } from './trust.js';

/**
 * For every response of the renderer's session. `'unsafe-inline'` styles only: React Flow and
 * the canvas set element styles. `connect-src 'self'`: the renderer reaches the engine over IPC,
 * never the network.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    title: 'Overlab',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    },
  };
}

type HardenableSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> & { readonly webRequest: Pick<Session['webRequest'], 'onHeadersReceived'> };

const hardenedSessions = new WeakSet<object>();

/** The CSP on every response, and every permission (camera, notifications, …) refused. Once per session. */
export function hardenSession(session: HardenableSession): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

type HardenableContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'> & { readonly session: HardenableSession };

const hardenedContents = new WeakSet<object>();

/**
 * Any webContents (the window's, or one that something managed to create): it may only
 * navigate within our renderer, opens no windows and attaches no <webview>. Once per contents.
 */
export function hardenWebContents(contents: HardenableContents, rendererUrl: string): void {
  if (hardenedContents.has(contents)) return;
  hardenedContents.add(contents);
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedSenderUrl(url, rendererUrl)) event.preventDefault();
  });
  // A server redirect (the dev server, or any http page that got in) is not a will-navigate.
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedSenderUrl(url, rendererUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  hardenSession(contents.session);
}

export interface WindowDeps {
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  readonly preloadPath: string;
  readonly rendererUrl: string;
}

/** The main window, hardened, loading the renderer. */
export function createMainWindow({ BrowserWindow: Ctor, preloadPath, rendererUrl }: WindowDeps): BrowserWindow {
  const window = new Ctor(windowOptions(preloadPath));
  hardenWebContents(window.webContents, rendererUrl);
  void window.loadURL(rendererUrl);
  return window;
}
