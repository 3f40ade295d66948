/**
 * The transport to `overlab serve`: `POST /api/<operation>` with the session token as a
 * Bearer header, and events from `GET /api/events` (Server-Sent Events). The stream is read
 * with fetch rather than EventSource because EventSource cannot send a header, and the
 * token must not travel in a URL (URLs end up in logs and history).
 */
import { EVENT_NAMES, type EventName, type OverlabEvents, type Reply } from '../../../shared/api.js';
import type { Bridge } from './transport.js';

export interface HttpBridge extends Bridge {
  /** What the server was started with: the project folder to open at load. */
  session(): Promise<Reply>;
}

export interface HttpOptions {
  /** Origin of the server; '' means the page's own. */
  readonly base?: string;
  readonly fetch?: typeof fetch;
  /** First reconnect delay of the event stream; doubles up to 10 s. */
  readonly retryMs?: number;
}

const unreachable: Reply = {
  ok: false,
  error: { code: 'failed', message: 'the Overlab server does not answer (was `overlab serve` stopped?)' },
};

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && typeof (body as { ok?: unknown }).ok === 'boolean') return body as Reply;
  } catch {
    // Not JSON: fall through to a reply that names the HTTP status.
  }
  return { ok: false, error: { code: 'failed', message: `the Overlab server answered HTTP ${res.status}` } };
}

/**
 * An incremental Server-Sent Events parser (the subset the server writes: `event:`,
 * `data:`, comments, blank-line terminated). Feed it text as it arrives, in any pieces.
 */
export function sseParser(onEvent: (event: string, data: string) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  return (chunk) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      let line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (data.length > 0) onEvent(event || 'message', data.join('\n'));
        event = '';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  };
}

/**
 * The event stream (Server-Sent Events over fetch), kept open until the returned controller is
 * aborted: after a drop it opens again, waiting `retryMs` and doubling up to 10 s, and says
 * `reopened` (whatever was emitted in between is lost). A refused token stops it.
 */
function keepStreamOpen(o: { doFetch: typeof fetch; url: string; headers: Record<string, string>; retryMs: number; deliver: (event: string, data: string) => void; reopened: () => void }): AbortController {
  const ctrl = new AbortController();
  const { signal } = ctrl;
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
  void (async () => {
    let delay = o.retryMs;
    let opened = false;
    while (!signal.aborted) {
      try {
        const res = await o.doFetch(o.url, { headers: o.headers, signal });
        // A refused token stays refused: retrying would only hammer the server.
        if (res.status === 401 || res.status === 403) return;
        if (res.ok && res.body) {
          delay = o.retryMs;
          // Open again after a break: whatever was emitted in between is lost, say so.
          if (opened) o.reopened();
          opened = true;
          const push = sseParser(o.deliver);
          const reader = res.body.getReader();
          const decoder = new TextDecoder();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            push(decoder.decode(value, { stream: true }));
          }
        }
      } catch {
        // Dropped or refused connection: retry below unless we were closed on purpose.
      }
      if (signal.aborted) return;
      await wait(delay);
      delay = Math.min(delay * 2, 10_000);
    }
  })();
  return ctrl;
}

export function httpBridge(token: string, opts: HttpOptions = {}): HttpBridge {
  const base = opts.base ?? '';
  // Called through a closure: a bare `fetch` stored on an object throws "Illegal invocation" in browsers.
  const doFetch: typeof fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const retryMs = opts.retryMs ?? 500;
  const auth = { Authorization: `Bearer ${token}` };

  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const reconnectListeners = new Set<() => void>();
  let stream: AbortController | undefined;

  const deliver = (event: string, data: string): void => {
    if (!(EVENT_NAMES as readonly string[]).includes(event)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return;
    }
    for (const cb of listeners.get(event as EventName) ?? []) (cb as (p: unknown) => void)(payload);
  };

  /** Keeps one event stream open while anyone listens, reconnecting after a drop. */
  const openStream = (): void => {
    stream = keepStreamOpen({ doFetch, url: `${base}/api/events`, headers: auth, retryMs, deliver, reopened: () => { for (const cb of [...reconnectListeners]) cb(); } });
  };

  return {
    async call(name, args) {
      try {
        const res = await doFetch(`${base}/api/${name}`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify(args ?? {}),
        });
        return await toReply(res);
      } catch {
        return unreachable;
      }
    },
    async session() {
      try {
        return await toReply(await doFetch(`${base}/api/session`, { headers: auth }));
      } catch {
        return unreachable;
      }
    },
    onReconnect(cb) {
      reconnectListeners.add(cb);
      return () => void reconnectListeners.delete(cb);
    },
    on<E extends EventName>(event: E, cb: (payload: OverlabEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(cb as (payload: never) => void);
      if (!stream) openStream();
      return () => {
        set.delete(cb as (payload: never) => void);
        const any = [...listeners.values()].some((s) => s.size > 0);
        if (!any && stream) {
          stream.abort();
          stream = undefined;
        }
      };
    },
  };
}
