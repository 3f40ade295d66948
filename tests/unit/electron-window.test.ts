/**
 * The window and web-page hardening (src/main/window.ts). Boundary that cannot run here:
 * Electron (no binary on this machine). window.ts takes the BrowserWindow class and the
 * webContents/session objects as parameters; the fakes below record the handlers it installs
 * and the tests call them as Electron would. The `electron` module is mocked to throw, proving
 * window.ts never loads it at run time. What the fakes cannot show: that Chromium enforces
 * the options and the policy (that needs the real binary, e.g. a Playwright run of the app).
 */
import { describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, createMainWindow, hardenSession, hardenWebContents, windowOptions } from '../../src/main/window.js';

vi.mock('electron', () => {
  throw new Error('src/main/window.ts must not load electron at run time');
});

const RENDERER = 'file:///opt/Overlab/resources/app.asar/out/renderer/index.html';

type Fn = (...args: never[]) => unknown;

function fakeSession() {
  const s = {
    headers: undefined as Fn | undefined,
    permissionRequest: undefined as Fn | undefined,
    permissionCheck: undefined as Fn | undefined,
    webRequest: { onHeadersReceived: vi.fn((l: Fn) => void (s.headers = l)) },
    setPermissionRequestHandler: vi.fn((h: Fn) => void (s.permissionRequest = h)),
    setPermissionCheckHandler: vi.fn((h: Fn) => void (s.permissionCheck = h)),
  };
  return s;
}

function fakeContents(session = fakeSession()) {
  const on = new Map<string, Fn>();
  return {
    session,
    handlers: on,
    openHandler: undefined as Fn | undefined,
    on(event: string, l: Fn) {
      on.set(event, l);
      return this;
    },
    setWindowOpenHandler(h: Fn) {
      this.openHandler = h;
    },
  };
}

const navigate = (contents: ReturnType<typeof fakeContents>, url: string): boolean => {
  const event = { preventDefault: vi.fn() };
  (contents.handlers.get('will-navigate') as (e: unknown, url: string) => void)(event, url);
  return event.preventDefault.mock.calls.length > 0;
};

describe('windowOptions', () => {
  it('isolates the renderer: context isolation, sandbox, no Node, web security, our preload', () => {
    const o = windowOptions('/opt/Overlab/out/preload/index.cjs');
    expect(o.webPreferences).toMatchObject({
      preload: '/opt/Overlab/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
    expect(o.webPreferences?.nodeIntegrationInSubFrames).not.toBe(true);
    expect(o.webPreferences?.webviewTag).not.toBe(true);
  });
});

describe('the content security policy', () => {
  const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

  it('allows scripts, connections and objects from the app only', () => {
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:']);
    expect(directives.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
  });

  it('names no remote source and no eval', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|wss?:|\*|unsafe-eval/);
  });

  it('is added to every response of the session, keeping its other headers', () => {
    const s = fakeSession();
    hardenSession(s as never);
    const callback = vi.fn();
    (s.headers as (d: unknown, cb: unknown) => void)({ url: 'file:///x', responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledExactlyOnceWith({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  it('is installed once per session, however many web pages share it', () => {
    const s = fakeSession();
    hardenWebContents(fakeContents(s) as never, RENDERER);
    hardenWebContents(fakeContents(s) as never, RENDERER);
    expect(s.webRequest.onHeadersReceived).toHaveBeenCalledTimes(1);
  });
});

describe('hardenWebContents', () => {
  it('refuses navigation to another page and allows the renderer itself', () => {
    const c = fakeContents();
    hardenWebContents(c as never, RENDERER);
    expect(navigate(c, 'https://attacker.example/')).toBe(true);
    expect(navigate(c, 'file:///tmp/evil.html')).toBe(true);
    expect(navigate(c, `${RENDERER}#/report`)).toBe(false);
    expect(navigate(c, RENDERER)).toBe(false);
  });

  it('refuses a server redirect to another page (will-redirect: will-navigate does not see redirects)', () => {
    const c = fakeContents();
    hardenWebContents(c as never, 'http://localhost:5173/');
    const redirect = (url: string): boolean => {
      const event = { preventDefault: vi.fn() };
      (c.handlers.get('will-redirect') as (e: unknown, url: string) => void)(event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(redirect('https://attacker.example/')).toBe(true);
    expect(redirect('http://localhost:5173/index.html')).toBe(false);
  });

  it('with a dev-server renderer, allows its origin only', () => {
    const c = fakeContents();
    hardenWebContents(c as never, 'http://localhost:5173/');
    expect(navigate(c, 'http://localhost:5173/index.html')).toBe(false);
    expect(navigate(c, 'http://localhost:5174/')).toBe(true);
  });

  it('denies every window.open', () => {
    const c = fakeContents();
    hardenWebContents(c as never, RENDERER);
    expect(c.openHandler?.({ url: RENDERER } as never)).toEqual({ action: 'deny' });
    expect(c.openHandler?.({ url: 'https://attacker.example/' } as never)).toEqual({ action: 'deny' });
  });

  it('refuses <webview>', () => {
    const c = fakeContents();
    hardenWebContents(c as never, RENDERER);
    const event = { preventDefault: vi.fn() };
    (c.handlers.get('will-attach-webview') as (e: unknown) => void)(event);
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('denies every permission request and check', () => {
    const c = fakeContents();
    hardenWebContents(c as never, RENDERER);
    for (const permission of ['media', 'notifications', 'geolocation', 'openExternal']) {
      const callback = vi.fn();
      (c.session.permissionRequest as (w: unknown, p: string, cb: unknown) => void)({}, permission, callback);
      expect(callback).toHaveBeenCalledExactlyOnceWith(false);
    }
    expect((c.session.permissionCheck as () => boolean)()).toBe(false);
  });
});

describe('createMainWindow', () => {
  it('builds the window with the hardened options, hardens its page and loads the renderer', () => {
    const contents = fakeContents();
    const made: unknown[] = [];
    const loadURL = vi.fn(async () => undefined);
    class FakeWindow {
      webContents = contents;
      loadURL = loadURL;
      constructor(options: unknown) {
        made.push(options);
      }
    }
    createMainWindow({ BrowserWindow: FakeWindow as never, preloadPath: '/app/out/preload/index.cjs', rendererUrl: RENDERER });
    expect(made).toEqual([windowOptions('/app/out/preload/index.cjs')]);
    expect(loadURL).toHaveBeenCalledExactlyOnceWith(RENDERER);
    expect(navigate(contents, 'https://attacker.example/')).toBe(true);
    expect(contents.session.headers).toBeDefined();
  });
});
