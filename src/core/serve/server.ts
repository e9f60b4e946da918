import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { EventName } from '../../shared/contract.js';
import { AppError } from '../../shared/errors.js';
import { EXPORT_DOWNLOAD_PATH, SNAPSHOT_UPLOAD_PATH } from '../../shared/export.js';
import type { SessionTimeouts } from '../accounts/sessions.js';
import type { RequestContext } from '../contract/handlers.js';
import type { Core } from '../core.js';
import { CSP } from './csp.js';
import { isLoopback, serverHosts } from './listen.js';
import type { Identity } from './team-auth.js';
import { createTeamAuth } from './team-auth.js';
import { createTransfers, header } from './transfers.js';
import type { OidcOptions } from './oidc.js';
import { createOidcFlow } from './oidc.js';

export { CSP };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface ServeOptions {
  readonly core: Core;
  /** Folder of the built renderer (index.html and assets). */
  readonly rendererDir: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Fixed token (tests); random 32 bytes otherwise. */
  readonly token?: string;
  /** Largest snapshot upload accepted (tests lower it). */
  readonly maxUploadBytes?: number;
  /** The address to listen on: 127.0.0.1 by default; anything else needs `tls`. */
  readonly host?: string;
  /** Certificate and key (PEM): serve HTTPS. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * Accounts mode: sign-in with accounts and roles, or API tokens, instead of the per-run token.
   * Always on with `tls`.
   */
  readonly accounts?: boolean;
  /** More names (DNS) clients reach the server by; its addresses and host name are known. */
  readonly serverNames?: readonly string[];
  readonly sessionTimeouts?: SessionTimeouts;
  /** Waits before answering a failed sign-in (tests pass one that does not wait). */
  readonly loginBackoff?: (ms: number) => Promise<void>;
  /** Sign-in through the team's identity provider as well (accounts mode). */
  readonly oidc?: OidcOptions;
}

export interface ServeHandle {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Whether sign-in with accounts is on (the per-run token then opens nothing). */
  readonly accounts: boolean;
  close(): Promise<void>;
}

interface ClientMessage {
  id: number;
  channel: unknown;
  input: unknown;
}

/**
 * The request target as a URL, or null when it is not one (an absolute form with a broken
 * authority, say). Parsed against a fixed base: the Host header is checked separately and never
 * trusted to build a URL.
 */
function requestTarget(raw: string | undefined): URL | null {
  try {
    return new URL(raw ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/** The decoded path of a request, or null when the target or its percent-escapes are malformed. */
function requestPath(raw: string | undefined): string | null {
  const target = requestTarget(raw);
  if (!target) return null;
  try {
    const path = decodeURIComponent(target.pathname);
    return path.includes('\0') ? null : path;
  } catch {
    return null;
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Serves the built UI on 127.0.0.1 only and carries the contract over a WebSocket at `/api`.
 * The socket requires the per-run token and our own origin; the Host header is checked so that a
 * web page elsewhere cannot reach the API by DNS rebinding.
 */
export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const root = resolve(opts.rendererDir);
  if (!existsSync(join(root, 'index.html'))) {
    throw new Error(
      `The UI is not built (${join(root, 'index.html')} is missing). Run npm run build.`,
    );
  }
  const listenHost = opts.host ?? '127.0.0.1';
  if (!isLoopback(listenHost) && !opts.tls) {
    throw new AppError(
      'TLS_REQUIRED',
      `serve listens beyond this machine (${listenHost}) only over TLS: give --tls-cert and --tls-key, or --tls-self-signed`,
      { host: listenHost },
    );
  }
  const accounts = opts.accounts === true || opts.tls !== undefined || opts.oidc !== undefined;
  const scheme = opts.tls ? 'https' : 'http';
  let port = 0;
  let hosts: string[] = [];
  const allowedHosts = (): string[] => hosts;
  /** Whether the request's Origin is this server's own (scheme, one of its names, its port). */
  const ownOrigin = (req: IncomingMessage): boolean =>
    allowedHosts().some((h) => header(req, 'origin') === `${scheme}://${h}`);

  const log = opts.core.log;
  const now = (): Date => new Date();
  const team = accounts
    ? createTeamAuth({
        db: opts.core.store.db,
        log,
        now,
        secure: opts.tls !== undefined,
        ownOrigin,
        ...(opts.sessionTimeouts ? { timeouts: opts.sessionTimeouts } : {}),
        ...(opts.loginBackoff ? { backoff: opts.loginBackoff } : {}),
        ...(opts.oidc ? { oidc: createOidcFlow(opts.oidc, now) } : {}),
      })
    : null;
  /** The raw path for a log line: never the query (it may carry the token), never long. */
  const pathForLog = (req: IncomingMessage): string => (req.url ?? '').split('?')[0]!.slice(0, 200);
  /**
   * The last resort: a handler that throws (a bug, or input nobody foresaw) is logged and its
   * request answered 500 or its socket closed — the process, and the scheduler in it, keep going.
   */
  const lastResort = (what: string, e: unknown, res?: ServerResponse, socket?: Duplex): void => {
    log.error({ err: e }, `serve: ${what} failed`);
    if (res && !res.headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain', Connection: 'close' }).end('Server error');
    } else if (res) {
      res.destroy();
    }
    socket?.destroy();
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.split('?')[0] === SNAPSHOT_UPLOAD_PATH) {
      upload(req, res).catch((e: unknown) => lastResort('upload', e, res));
      return;
    }
    if (req.url?.split('?')[0] === EXPORT_DOWNLOAD_PATH) {
      download(req, res).catch((e: unknown) => lastResort('download', e, res));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let path = requestPath(req.url);
    if (path === null) {
      log.warn({ path: pathForLog(req) }, 'serve: malformed request path refused');
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Bad request');
      return;
    }
    if (path === '/' || !extname(path)) path = '/index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // pipe() does not forward errors: a file removed mid-read would be an unhandled 'error'.
    createReadStream(file)
      .on('error', (e) => lastResort('reading a file', e, res))
      .pipe(res);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      // On every answer, files, JSON and refusals alike.
      res.setHeader('Content-Security-Policy', CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('X-Frame-Options', 'DENY');
      res.setHeader('Referrer-Policy', 'no-referrer');
      if (opts.tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
      if (!allowedHosts().includes(req.headers.host ?? '')) {
        res.writeHead(421).end('Misdirected request');
        return;
      }
      if (team?.route(req, res)) return;
      serveFile(req, res);
    } catch (e) {
      lastResort('request', e, res);
    }
  };
  const server: Server = opts.tls
    ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest)
    : createServer(onRequest);
  // A slow client cannot hold a connection: its headers must arrive within 15 s, a whole request
  // (an upload included) within 5 minutes, and an idle socket is closed after 2 minutes. The
  // WebSocket, once upgraded, is no longer under these.
  server.headersTimeout = 15_000;
  server.requestTimeout = 5 * 60_000;
  server.setTimeout(2 * 60_000);
  // Requests Node's parser refuses (a bad request line, an oversized header) are answered here.
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    log.warn({ code: e.code }, 'serve: unparsable request refused');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const localCtx: RequestContext = {
    actor: `serve:${process.env['USER'] ?? 'user'}`,
    host: 'serve',
  };
  const teamCtx = (id: Identity): RequestContext => ({
    actor: id.actor,
    host: 'serve',
    role: id.account.role,
  });
  /**
   * Who a POST from our own page speaks for, or null: our Origin and the run's token (a
   * cross-site form sets neither), or in accounts mode our Origin and a session — or an API
   * token from a client that is not a browser (no Origin at all).
   */
  const fromOurPage = async (req: IncomingMessage): Promise<RequestContext | null> => {
    if (req.method !== 'POST') return null;
    if (!team) {
      return ownOrigin(req) && sameToken(header(req, 'x-infrascope-token'), token)
        ? localCtx
        : null;
    }
    const id = await team.identify(req);
    const originOk = req.headers.origin === undefined ? id?.bearer !== undefined : ownOrigin(req);
    return id && originOk ? teamCtx(id) : null;
  };

  const { download, upload } = createTransfers({
    core: opts.core,
    now,
    fromOurPage,
    lastResort,
    ...(opts.maxUploadBytes !== undefined ? { maxUploadBytes: opts.maxUploadBytes } : {}),
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  wss.on('error', (e) => log.error({ err: e }, 'serve: WebSocket server error'));
  const refuseUpgrade = (req: IncomingMessage, socket: Duplex, status: string): void => {
    log.warn({ path: pathForLog(req), status }, 'serve: WebSocket upgrade refused');
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  };
  /**
   * `/api` on one of our names. Without accounts: our Origin and the run's token. With accounts:
   * a session or an API token, and our Origin — a browser always sends one; only a Bearer client
   * (a script, the desktop app) may send none.
   */
  const upgradeApi = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const target = requestTarget(req.url);
    if (target?.pathname !== '/api' || !allowedHosts().includes(req.headers.host ?? '')) {
      refuseUpgrade(req, socket, '403 Forbidden');
      return;
    }
    let who: Identity | null = null;
    if (!team) {
      if (!ownOrigin(req) || !sameToken(target.searchParams.get('token') ?? '', token)) {
        refuseUpgrade(req, socket, '403 Forbidden');
        return;
      }
    } else {
      who = await team.identify(req);
      // No Origin: only a client that is not a browser, presenting a token (a wrong token is
      // then a 401 like any other failed authentication).
      const originOk =
        req.headers.origin === undefined ? req.headers.authorization !== undefined : ownOrigin(req);
      if (!originOk) {
        refuseUpgrade(req, socket, '403 Forbidden');
        return;
      }
      // Without an Origin only the token counts, never a cookie that came along.
      if (req.headers.origin === undefined && who?.bearer === undefined) who = null;
      if (!who) {
        refuseUpgrade(req, socket, '401 Unauthorized');
        return;
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, who));
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // After 'upgrade' the socket is ours: an error on it with no listener would end the process.
    socket.on('error', (e: NodeJS.ErrnoException) =>
      log.debug({ code: e.code }, 'serve: upgrade socket error'),
    );
    upgradeApi(req, socket, head).catch((e: unknown) =>
      lastResort('upgrade', e, undefined, socket),
    );
  });

  wss.on('connection', (ws: WebSocket, _req: IncomingMessage, who: Identity | null) => {
    const ctx = who ? teamCtx(who) : localCtx;
    const unsubscribe = opts.core.events.subscribe((event: EventName, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event, payload }));
    });
    ws.on('close', unsubscribe);
    // An invalid frame is reported as an 'error' on the socket, which then closes.
    ws.on('error', (e) => log.debug({ err: e }, 'serve: WebSocket client error'));
    ws.on('message', (data) => {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(String(data)) as ClientMessage;
        if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number')
          throw new Error('bad frame');
      } catch {
        ws.send(
          JSON.stringify({
            id: null,
            reply: { ok: false, error: { code: 'VALIDATION', message: 'Malformed request frame' } },
          }),
        );
        return;
      }
      // A session ended since the upgrade (sign-out, logout everywhere, timeout, a disabled
      // account, a revoked token) ends the socket at its next request.
      const alive = who && team ? team.stillValid(who) : Promise.resolve(true);
      alive
        .then(async (ok) => {
          if (!ok) {
            const error = {
              code: 'AUTH_REQUIRED',
              message: 'The session has ended: sign in again',
            };
            ws.send(JSON.stringify({ id: msg.id, reply: { ok: false, error } }));
            ws.close(4401, 'session ended');
            return;
          }
          const reply = await opts.core.request(msg.channel, msg.input, ctx);
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, reply }));
        })
        .catch((e: unknown) => log.error({ err: e }, 'serve: request over the WebSocket failed'));
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port, listenHost, () => res());
  });
  port = (server.address() as AddressInfo).port;
  hosts = serverHosts(listenHost, port, opts.serverNames);
  return {
    url: `${scheme}://${hosts[0]}/${accounts ? '' : `?token=${token}`}`,
    port,
    token,
    accounts,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
