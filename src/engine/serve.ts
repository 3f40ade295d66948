/**
 * `overlab serve`: the API contract and the built UI over HTTP on loopback, so the same
 * renderer runs in a browser. Plain Node (no Electron), no framework.
 *
 *   POST /api/<operation>   JSON body = the operation's arguments → `{ok, value} | {ok: false, error}`
 *   GET  /api/session       `{ dir }`: the project folder given on the command line
 *   GET  /api/events        Server-Sent Events: `event: progress|log|prompt`, `data: <JSON payload>`;
 *                           a page that stops reading is dropped once it is MAX_STREAM_BACKLOG
 *                           behind (its client reconnects and re-reads what it missed)
 *   GET  /<file>            the built renderer (out/renderer)
 *
 * Who may call: the engine runs commands as root on lab and remote hosts, so a page the user
 * happens to have open must not reach it. Three walls:
 *  - the socket is bound to a loopback address only (other machines cannot connect);
 *  - every /api request carries `Authorization: Bearer <token>`, a random session token the
 *    command prints inside the URL's fragment (a fragment is never sent to a server, so it
 *    stays out of logs and Referer headers); compared in constant time;
 *  - a request whose `Host` is not our own address (DNS rebinding: evil.example resolving to
 *    127.0.0.1) or whose `Origin` is another site is refused before anything else.
 * And what may be called at all: `operations` lists the operations this server runs (`overlab
 * serve`: all of them; the report printer: the few read-only ones its page calls). Any other
 * answers 403 before its body is read.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { ApiErrorData, OperationName, OverlabEvents } from '../shared/api.js';
import type { Reply } from '../shared/api.js';
import { dispatch, isOperation } from './dispatch.js';
import type { Emit, Handlers } from './handlers.js';

export interface ServeOptions {
  /** The project folder the UI opens at load (absolute). */
  readonly projectDir: string;
  /** The built renderer: a folder with index.html and assets/. */
  readonly staticDir: string;
  /** A loopback address: 127.0.0.0/8, ::1 or localhost. Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (the default) takes any free port. */
  readonly port?: number;
  /** Builds the engine; `emit` sends an event to every connected page. */
  readonly engine: (emit: Emit) => Handlers;
  /** The operations served (an allow-list); every other one is refused with 403. `'all'`: the whole contract. */
  readonly operations: 'all' | readonly OperationName[];
}

export interface Serving {
  /** Where to point a browser; carries the token in its fragment. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  readonly token: string;
  readonly host: string;
  readonly port: number;
  readonly emit: Emit;
  /** The open event streams and the bytes written to them that their pages have not taken yet. */
  eventStreams(): { readonly open: number; readonly backlog: number };
  close(): Promise<void>;
}

/** Largest request body accepted (a topology is a few kilobytes; this is generous). */
const MAX_BODY = 8 * 1024 * 1024;
/** SSE comment sent this often so proxies and browsers keep an idle stream open. */
const HEARTBEAT_MS = 20_000;
/**
 * Bytes an event stream may have waiting for its page. A page that stops reading (a stalled or
 * hostile tab) would otherwise make the engine keep every event of a long campaign in memory;
 * past this the stream is dropped. A live page is far below it: events are small and read at once.
 */
export const MAX_STREAM_BACKLOG = 1 << 20;

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Sent with every response. The CSP repeats the page's own meta policy and adds what a meta
 * tag cannot say: no framing (clickjacking), no <base> rewriting, API calls to ourselves only.
 */
const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Whether `host` names this machine's loopback interface (the only place we listen). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  if (net.isIPv6(host)) return host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host) || /^::ffff:127\./i.test(host);
  return false;
}

/** Maps an error code to the HTTP status a client or a proxy log would expect. */
const STATUS: Readonly<Record<ApiErrorData['code'], number>> = {
  'invalid-arguments': 400,
  forbidden: 403,
  'not-implemented': 501,
  failed: 500,
  // The request was fine; the run it started was stopped by the user.
  cancelled: 409,
  conflict: 409,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const send = (res: http.ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}): void => {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
};
const sendReply = (res: http.ServerResponse, reply: Reply, status = reply.ok ? 200 : STATUS[reply.error.code], extra: Record<string, string> = {}): void =>
  send(res, status, JSON.stringify(reply), 'application/json; charset=utf-8', { 'Cache-Control': 'no-store', ...extra });
const fail = (code: ApiErrorData['code'], message: string): Reply => ({ ok: false, error: { code, message } });
const text = 'text/plain; charset=utf-8';

/** The session token and its constant-time check against an `Authorization: Bearer` header. */
function sessionToken(): { token: string; ok(header: string | undefined): boolean } {
  const token = randomBytes(32).toString('base64url');
  const digest = createHash('sha256').update(token).digest();
  return {
    token,
    // Hash both sides so the comparison is constant-time whatever the length sent.
    ok: (header) => {
      const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header ?? '');
      return !!m && timingSafeEqual(createHash('sha256').update(m[1]!).digest(), digest);
    },
  };
}

/** The pages listening on /api/events, `emit` that writes one frame to each, and `write` for one stream. */
function eventHub(): { streams: Set<http.ServerResponse>; emit: Emit; write(res: http.ServerResponse, frame: string): void } {
  const streams = new Set<http.ServerResponse>();
  const write = (res: http.ServerResponse, frame: string): void => {
    res.write(frame);
    if (res.writableLength > MAX_STREAM_BACKLOG) {
      streams.delete(res);
      // Destroyed, not ended: end() would keep the backlog queued until the page reads it, which
      // is the memory this bounds. The page's client sees the stream break and reconnects.
      res.destroy();
    }
  };
  const emit: Emit = <E extends keyof OverlabEvents>(event: E, payload: OverlabEvents[E]) => {
    // JSON.stringify never emits a raw line break, so one data: line carries the payload.
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const res of streams) write(res, frame);
  };
  return { streams, emit, write };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY) throw new HttpError(413, `the request body is larger than ${MAX_BODY} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  if (type !== 'application/json') throw new HttpError(415, 'send the arguments as application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON');
  }
}

interface ApiContext {
  readonly projectDir: string;
  readonly token: ReturnType<typeof sessionToken>;
  readonly streams: Set<http.ServerResponse>;
  readonly handlers: Handlers;
  readonly served: (op: OperationName) => boolean;
}

/** /api/*: nothing is read or run for an untrusted caller, not even the body. */
async function api(c: ApiContext, req: http.IncomingMessage, res: http.ServerResponse, route: string, originOk: boolean): Promise<void> {
  const authorised = c.token.ok(req.headers.authorization);
  const trusted = authorised && originOk;
  if (!trusted) {
    if (!originOk) return sendReply(res, fail('forbidden', 'requests from another site are refused'), 403, { Connection: 'close' });
    return sendReply(res, fail('forbidden', 'missing or wrong session token: open the URL that `overlab serve` printed'), 401, { 'WWW-Authenticate': 'Bearer realm="overlab"', Connection: 'close' });
  }
  if (route === 'session') {
    if (req.method !== 'GET') return sendReply(res, fail('invalid-arguments', 'use GET /api/session'), 405, { Allow: 'GET' });
    return sendReply(res, { ok: true, value: { dir: c.projectDir } });
  }
  if (route === 'events') {
    if (req.method !== 'GET') return sendReply(res, fail('invalid-arguments', 'use GET /api/events'), 405, { Allow: 'GET' });
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': overlab events\n\n');
    c.streams.add(res);
    req.on('close', () => c.streams.delete(res));
    return;
  }
  if (!isOperation(route)) return sendReply(res, fail('invalid-arguments', `unknown operation ${JSON.stringify(route)}`), 404);
  if (!c.served(route)) return sendReply(res, fail('forbidden', `${route} is not served here: this server only serves what printing a report needs`), 403, { Connection: 'close' });
  if (req.method !== 'POST') return sendReply(res, fail('invalid-arguments', `use POST /api/${route}`), 405, { Allow: 'POST' });
  let args: unknown;
  try {
    args = await readJson(req);
  } catch (e) {
    // After a refused body the connection is dropped rather than read to its end.
    if (e instanceof HttpError) return sendReply(res, fail('invalid-arguments', e.message), e.status, e.status === 413 ? { Connection: 'close' } : {});
    throw e;
  }
  sendReply(res, await dispatch(c.handlers, route, args, trusted));
}

/** The built renderer: paths that try to climb are refused rather than normalised. */
async function serveStatic(root: string, req: http.IncomingMessage, res: http.ServerResponse, rawPath: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', text, { Allow: 'GET, HEAD' });
  let rel: string;
  try {
    rel = decodeURIComponent(rawPath);
  } catch {
    return send(res, 400, 'bad path\n', text);
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((seg) => seg === '..' || seg === '.')) return send(res, 403, 'forbidden path\n', text);
  if (rel.endsWith('/')) rel += 'index.html';
  let real: string;
  try {
    real = await fs.realpath(path.join(root, rel));
  } catch {
    return send(res, 404, 'not found\n', text);
  }
  // Also catches a symlink inside the build pointing out of it.
  if (!real.startsWith(root + path.sep)) return send(res, 403, 'forbidden path\n', text);
  const stat = await fs.stat(real);
  if (!stat.isFile()) return send(res, 404, 'not found\n', text);
  const type = MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
  // Hashed asset names never change content; index.html must be fetched fresh.
  const cache = rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': String(stat.size), 'Cache-Control': cache });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(real).on('error', () => res.destroy()).pipe(res);
}

/** Listens on the loopback address, with errors a user can act on. */
function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === 'EADDRINUSE') reject(new Error(`port ${port} on ${host} is already in use; pick another with --port (or --port 0 for any free one)`));
      else if (e.code === 'EACCES') reject(new Error(`no permission to listen on ${host} port ${port}; use a port above 1023`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new Error(`${host} is not an address of this machine`));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

export async function startServe(opts: ServeOptions): Promise<Serving> {
  const requested = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(requested)) {
    throw new Error(`overlab serve listens on loopback only (127.0.0.1 or ::1), not on ${requested}: the API runs commands as root; from another machine, forward the same port over SSH`);
  }
  // "localhost" may resolve to either family; bind the address the URL will name.
  const bindHost = requested === 'localhost' ? '127.0.0.1' : requested;
  const index = path.join(opts.staticDir, 'index.html');
  const root = await fs.realpath(opts.staticDir).catch(() => undefined);
  if (!root || !(await fs.stat(index).then((st) => st.isFile(), () => false))) {
    throw new Error(`the UI is not built (${index} is missing); run \`npm run build\` in the Overlab checkout`);
  }

  const token = sessionToken();
  const { streams, emit, write } = eventHub();
  const allowed = opts.operations === 'all' ? undefined : new Set<OperationName>(opts.operations);
  const c: ApiContext = { projectDir: opts.projectDir, token, streams, handlers: opts.engine(emit), served: (op) => !allowed || allowed.has(op) };
  // Filled in once the port is known.
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // DNS rebinding: a foreign name that resolves to 127.0.0.1 still says its own name here.
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) return send(res, 403, 'forbidden: this server answers only to its loopback address\n', text);
    const origin = req.headers.origin;
    const originOk = origin === undefined || allowedOrigins.has(origin.toLowerCase());
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (!rawPath.startsWith('/')) return send(res, 400, 'bad path\n', text);
    if (rawPath === '/api' || rawPath.startsWith('/api/')) return api(c, req, res, rawPath.slice('/api/'.length), originOk);
    if (!originOk) return send(res, 403, 'forbidden: foreign origin\n', text);
    return serveStatic(root, req, res, rawPath);
  };
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendReply(res, fail('failed', e instanceof Error ? e.message : String(e)), 500);
    });
  });

  const port = await listen(server, bindHost, opts.port ?? 0);
  const hostInUrl = net.isIPv6(bindHost) ? `[${bindHost}]` : bindHost;
  allowedHosts = new Set([`${hostInUrl}:${port}`, `localhost:${port}`].map((h) => h.toLowerCase()));
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  const origin = `http://${hostInUrl}:${port}`;

  const heartbeat = setInterval(() => {
    for (const res of streams) write(res, ': ping\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    url: `${origin}/#token=${token.token}`,
    origin,
    token: token.token,
    host: bindHost,
    port,
    emit,
    eventStreams: () => ({ open: streams.size, backlog: [...streams].reduce((n, res) => n + res.writableLength, 0) }),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
