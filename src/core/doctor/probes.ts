import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP, connect as netConnect } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { connect as tlsConnect } from 'node:tls';
import { AppError } from '../../shared/errors.js';
import { certificateFacts, pinnedTlsOptions, verifyPeer } from '../net/tls-trust.js';
import { netError, timeoutError } from './net-errors.js';

/** Every probe takes a timeout and the caller's signal; whichever comes first ends it. */
export interface ProbeOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs `start` (which must call `done` exactly once with its result, and return a cleanup) with a
 * deadline and cancellation.
 */
function guarded<T>(
  opts: ProbeOptions,
  onTimeout: () => AppError,
  start: (done: (err: unknown, value?: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new AppError('CANCELLED', 'Cancelled.'));
      return;
    }
    let settled = false;
    let cleanup: () => void = () => {};
    const finish = (err: unknown, value?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      cleanup();
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(value as T);
    };
    const onAbort = (): void => finish(new AppError('CANCELLED', 'Cancelled.'));
    const timer = setTimeout(() => finish(onTimeout()), opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    cleanup = start(finish);
    if (settled) cleanup();
  });
}

/** Resolves a host name (an IP address resolves to itself). */
export async function resolveHost(host: string, opts: ProbeOptions): Promise<string[]> {
  if (isIP(host)) return [host];
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return [bare];
  return guarded<string[]>(
    opts,
    () =>
      new AppError(
        'DNS_FAILED',
        `The DNS server did not answer for ${host} within ${opts.timeoutMs} ms. Check this machine's DNS settings.`,
        { host },
      ),
    (done) => {
      lookup(host, { all: true }).then(
        (r) =>
          done(
            null,
            r.map((a) => a.address),
          ),
        (e: unknown) => done(netError(e, host, 0, `DNS lookup of ${host}`)),
      );
      return () => {};
    },
  );
}

/** Opens and closes a TCP connection; never ICMP (ping is often blocked where TCP is not). */
export function tcpConnect(
  address: string,
  port: number,
  host: string,
  opts: ProbeOptions,
): Promise<void> {
  const what = `TCP connect to ${host}:${port}`;
  return guarded<void>(
    opts,
    () => timeoutError(host, port, what, opts.timeoutMs),
    (done) => {
      const socket = netConnect({ host: address, port });
      socket.once('connect', () => done(null));
      socket.once('error', (e) => done(netError(e, host, port, what)));
      return () => socket.destroy();
    },
  );
}

export interface TlsInspection {
  readonly cert: PeerCertificate;
  /** True when the chain validates against the system CAs and the name matches. */
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  readonly protocol: string | null;
}

/**
 * Completes a TLS handshake without trusting anything, to look at the certificate. The caller
 * decides trust (see evaluateTrust); nothing is sent over this connection.
 */
export function inspectTls(
  address: string,
  port: number,
  host: string,
  opts: ProbeOptions,
): Promise<TlsInspection> {
  const what = `TLS handshake with ${host}:${port}`;
  return guarded<TlsInspection>(
    opts,
    () => timeoutError(host, port, what, opts.timeoutMs),
    (done) => {
      const socket = tlsConnect({
        host: address,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        const cert = socket.getPeerCertificate();
        if (!cert || !cert.raw) {
          done(new AppError('TLS_FAILED', `${host}:${port} sent no certificate.`, { host, port }));
          return;
        }
        const authErr = socket.authorizationError as unknown;
        done(null, {
          cert,
          authorized: socket.authorized,
          authorizationError:
            authErr === null || authErr === undefined
              ? null
              : authErr instanceof Error
                ? authErr.message
                : String(authErr),
          protocol: socket.getProtocol(),
        });
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code && /^(ERR_SSL|ERR_TLS|EPROTO)/.test(e.code)) {
          done(
            new AppError(
              'TLS_FAILED',
              `The TLS handshake with ${host}:${port} failed (${e.code}). Is this port a TLS (HTTPS) service?`,
              { host, port, cause: e.code },
            ),
          );
          return;
        }
        done(netError(e, host, port, what));
      });
      return () => socket.destroy();
    },
  );
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequestOptions extends ProbeOptions {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** For https: the pinned thumbprint, or null to trust the system CAs only. */
  readonly thumbprint?: string | null;
  /** Stop keeping the body after this many bytes (a probe only needs the start of a reply). */
  readonly maxBytes?: number;
}

/**
 * Opens a TLS connection and checks trust before anything is sent: the pinned fingerprint when
 * there is one, otherwise the system CAs and the host name. (Node does not refuse a connection
 * whose checkServerIdentity fails when rejectUnauthorized is off, so the pin is checked here.)
 */
function openTrustedTls(
  host: string,
  port: number,
  thumbprint: string | null,
  opts: ProbeOptions,
): Promise<TLSSocket> {
  const what = `TLS handshake with ${host}:${port}`;
  const tlsOpts = pinnedTlsOptions(thumbprint);
  return guarded<TLSSocket>(
    opts,
    () => timeoutError(host, port, what, opts.timeoutMs),
    (done) => {
      let handedOver = false;
      const socket = tlsConnect({
        host,
        port,
        ...(isIP(host) ? {} : { servername: host }),
        ...tlsOpts,
      });
      socket.once('secureConnect', () => {
        const err = verifyPeer(socket, thumbprint, host);
        if (err) {
          // An untrusted certificate gets the doctor's own wording: how to trust it.
          done(
            err.code === 'TLS_UNTRUSTED'
              ? untrusted(
                  host,
                  port,
                  socket.getPeerCertificate(),
                  String(socket.authorizationError),
                )
              : err,
          );
          return;
        }
        handedOver = true;
        done(null, socket);
      });
      socket.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS_CERT/.test(e.code)) {
          done(untrusted(host, port, null, e.code));
          return;
        }
        done(netError(e, host, port, what));
      });
      return () => {
        if (!handedOver) socket.destroy();
      };
    },
  );
}

function untrusted(
  host: string,
  port: number,
  cert: PeerCertificate | null,
  reason: string,
): AppError {
  return new AppError(
    'TLS_UNTRUSTED',
    `The certificate of ${host}:${port} is not trusted (${reason}). Test the endpoint to see the certificate, ` +
      'then pin its SHA-256 fingerprint (--thumbprint) or trust it on first use.',
    cert && cert.raw ? { ...certificateFacts(cert), reason, host, port } : { reason, host, port },
  );
}

/** One small HTTP(S) exchange with a deadline. Bodies may hold secrets: never log them. */
export async function httpExchange(opts: HttpRequestOptions): Promise<HttpResult> {
  const url = new URL(opts.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const what = `${opts.method} ${url.pathname} on ${host}:${port}`;
  const maxBytes = opts.maxBytes ?? 1_000_000;
  const started = Date.now();
  const tlsSocket =
    url.protocol === 'https:'
      ? await openTrustedTls(host, port, opts.thumbprint ?? null, opts)
      : null;
  const remaining = Math.max(1, opts.timeoutMs - (Date.now() - started));
  return guarded<HttpResult>(
    { timeoutMs: remaining, signal: opts.signal },
    () => timeoutError(host, port, what, opts.timeoutMs),
    (done) => {
      const req = httpRequest({
        host,
        port,
        path: url.pathname + url.search,
        method: opts.method,
        headers: {
          host: url.host,
          ...(opts.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(opts.body)) }),
          ...(opts.headers ?? {}),
        },
        ...(tlsSocket ? { createConnection: () => tlsSocket } : { agent: false }),
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < maxBytes) chunks.push(c);
          size += c.length;
        });
        res.once('end', () =>
          done(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.once('error', (e) => done(netError(e, host, port, what)));
      });
      req.once('error', (e) => done(netError(e, host, port, what)));
      req.end(opts.body);
      return () => {
        req.destroy();
        tlsSocket?.destroy();
      };
    },
  );
}
