/**
 * The renderer's only way to the engine: an `OverlabClient` over whichever transport is
 * present — Electron's preload bridge, or `overlab serve`'s HTTP transport when the page was
 * opened with the URL that command printed (`…/#token=…`).
 */
import { OPERATIONS, type ApiErrorData, type OverlabClient } from '../../../shared/api';
import { httpBridge } from './serve-bridge';
import type { Bridge } from './transport';

export class ClientError extends Error {
  constructor(readonly data: ApiErrorData) {
    super(data.message);
    this.name = 'ClientError';
  }
}

export function makeClient(bridge: Bridge): OverlabClient {
  const client: Record<string, unknown> = {
    on: bridge.on.bind(bridge),
  };
  for (const op of OPERATIONS) {
    client[op] = async (args: unknown) => {
      const reply = await bridge.call(op, args);
      if (!reply.ok) throw new ClientError(reply.error);
      return reply.value;
    };
  }
  return client as unknown as OverlabClient;
}

declare global {
  interface Window {
    overlabBridge?: Bridge;
  }
}

export interface Connection {
  readonly client: OverlabClient;
  /** Where the engine runs, for the status line. */
  readonly via: 'electron' | 'serve';
  /** The transport, for what only some doors have (native dialogs, menus). */
  readonly bridge: Bridge;
  /** The project folder to open at load, if the engine was started with one. */
  startDir(): Promise<string | undefined>;
}

/**
 * Takes the session token out of the URL fragment and out of the address bar (so it is not
 * bookmarked, shared by copying the address, or kept in history). It lives in memory only:
 * a reload needs the printed URL again.
 */
function takeToken(): string | undefined {
  const m = /^#(?:.*&)?token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (!m) return undefined;
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return m[1];
}

/** Call once per page load: the token can be taken from the URL only once. */
export function connect(): Connection | undefined {
  if (window.overlabBridge) {
    return { client: makeClient(window.overlabBridge), via: 'electron', bridge: window.overlabBridge, startDir: () => Promise.resolve(undefined) };
  }
  const token = takeToken();
  if (!token) return undefined;
  const bridge = httpBridge(token);
  return {
    client: makeClient(bridge),
    via: 'serve',
    bridge,
    startDir: async () => {
      const reply = await bridge.session();
      if (!reply.ok) throw new ClientError(reply.error);
      const dir = (reply.value as { dir?: unknown } | null)?.dir;
      return typeof dir === 'string' && dir !== '' ? dir : undefined;
    },
  };
}
