import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { EventName } from '../../shared/contract.js';
import { serializeError } from '../../shared/errors.js';
import { EXPORT_DOWNLOAD_PATH, IMPORT_ID, SNAPSHOT_UPLOAD_PATH } from '../../shared/export.js';
import type { SerializedError } from '../../shared/errors.js';
import type { Core } from '../core.js';
import { MAX_IMPORT_BYTES, importSnapshotUpload } from '../snapshots/upload.js';
import { CSP } from './csp.js';

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
}

const UPLOAD_STATUS: Partial<Record<SerializedError['code'], number>> = {
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  IMPORT_INVALID: 422,
  IMPORT_TOO_LARGE: 413,
  VALIDATION: 400,
  CANCELLED: 409,
};

function header(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

export interface ServeHandle {
  readonly url: string;
  readonly port: number;
  readonly token: string;
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
  let port = 0;
  const allowedHosts = (): string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

  const log = opts.core.log;
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
      download(req, res);
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

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      if (!allowedHosts().includes(req.headers.host ?? '')) {
        res.writeHead(421).end('Misdirected request');
        return;
      }
      serveFile(req, res);
    } catch (e) {
      lastResort('request', e, res);
    }
  });
  // Requests Node's parser refuses (a bad request line, an oversized header) are answered here.
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    log.warn({ code: e.code }, 'serve: unparsable request refused');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    res
      .writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      })
      .end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, error: SerializedError): void => {
    // The rest of the body is not read: close the connection rather than drain it.
    res.setHeader('Connection', 'close');
    sendJson(res, UPLOAD_STATUS[error.code] ?? 500, { ok: false, error });
  };

  /** POST from our own page: our Origin and the run's token (a cross-site form sets neither). */
  const fromOurPage = (req: IncomingMessage): boolean =>
    req.method === 'POST' &&
    allowedHosts().some((h) => header(req, 'origin') === `http://${h}`) &&
    sameToken(header(req, 'x-infrascope-token'), token);

  /**
   * The file an `export:save` of this run wrote, by its export id, as an attachment. Nothing
   * else can be fetched: no path or name comes from the request.
   */
  const download = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    if (!fromOurPage(req)) {
      fail(res, { code: 'FORBIDDEN', message: 'Download refused: wrong method, origin or token' });
      return;
    }
    const exportId = header(req, 'x-infrascope-export-id');
    const file = opts.core.savedExports.fileOf(exportId);
    if (file === undefined || !existsSync(file)) {
      fail(res, { code: 'NOT_FOUND', message: 'No file of an export of this run by that id' });
      return;
    }
    const name = basename(file);
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Content-Disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    createReadStream(file)
      .on('error', (e) => lastResort('sending an export', e, res))
      .pipe(res);
  };

  /**
   * A browser has no native open dialog, so `serve` takes the file's bytes: POST with our own
   * Origin, the run's token in a header (a cross-site form can set neither) and a raw
   * `application/octet-stream` body. The core writes them to a temporary file, tells the format by
   * content, imports and deletes the file.
   */
  const upload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!fromOurPage(req)) {
      req.resume();
      fail(res, { code: 'FORBIDDEN', message: 'Upload refused: wrong method, origin or token' });
      return;
    }
    if (header(req, 'content-type') !== 'application/octet-stream') {
      fail(res, { code: 'VALIDATION', message: 'Upload the file as application/octet-stream' });
      return;
    }
    const max = opts.maxUploadBytes ?? MAX_IMPORT_BYTES;
    const length = Number(header(req, 'content-length') || '0');
    let name = 'upload';
    try {
      name = decodeURIComponent(header(req, 'x-infrascope-filename')) || name;
    } catch {
      // A malformed name only loses the default label.
    }
    if (length > max) {
      fail(res, {
        code: 'IMPORT_INVALID',
        message: `${name} is larger than the ${Math.round(max / 2 ** 20)} MiB an import may be`,
        details: { reason: 'too-large', limit: max },
      });
      return;
    }
    const askedId = header(req, 'x-infrascope-import-id');
    // The browser going away (tab closed, fetch aborted) cancels the import too.
    const gone = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) gone.abort();
    });
    try {
      const info = await opts.core.imports.run(
        IMPORT_ID.test(askedId) ? askedId : undefined,
        (ctl) =>
          importSnapshotUpload(opts.core.store, req, {
            name,
            maxBytes: max,
            ...(length > 0 ? { size: length } : {}),
            ...ctl,
          }),
        { signal: gone.signal },
      );
      opts.core.log.info({ id: info.id, origin: info.origin }, 'snapshot imported from upload');
      sendJson(res, 200, { ok: true, result: info });
    } catch (e) {
      fail(res, serializeError(e));
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  wss.on('error', (e) => log.error({ err: e }, 'serve: WebSocket server error'));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // After 'upgrade' the socket is ours: an error on it with no listener would end the process.
    socket.on('error', (e: NodeJS.ErrnoException) =>
      log.debug({ code: e.code }, 'serve: upgrade socket error'),
    );
    try {
      const target = requestTarget(req.url);
      const origin = req.headers.origin ?? '';
      const okOrigin = allowedHosts().some((h) => origin === `http://${h}`);
      if (
        target?.pathname !== '/api' ||
        !allowedHosts().includes(req.headers.host ?? '') ||
        !okOrigin ||
        !sameToken(target.searchParams.get('token') ?? '', token)
      ) {
        log.warn({ path: pathForLog(req) }, 'serve: WebSocket upgrade refused');
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (e) {
      lastResort('upgrade', e, undefined, socket);
    }
  });

  const actor = `serve:${process.env['USER'] ?? 'user'}`;
  wss.on('connection', (ws: WebSocket) => {
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
      opts.core
        .request(msg.channel, msg.input, { actor, host: 'serve' })
        .then((reply) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.id, reply }));
        })
        .catch((e: unknown) => log.error({ err: e }, 'serve: request over the WebSocket failed'));
    });
  });

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port, '127.0.0.1', () => res());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}
