/**
 * One SOAP POST over node:http(s), with every failure mapped to a stable AppError code.
 *
 * The response body is fed to the SAX decoder chunk by chunk as it arrives, so decoding overlaps
 * the transfer and no full-body buffer is ever built.
 */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { AppError } from '../../../shared/errors.js';
import { verifyPeer } from '../../net/tls-trust.js';
import { readEnvelope } from './soap-envelope.js';
import type { SoapResult } from './soap-envelope.js';
import { VimDecoder } from './vim-decoder.js';
import type { VimStream } from './vim-decoder.js';

export interface SoapPostOptions {
  readonly url: URL;
  readonly agent: http.Agent;
  /** Normalized SHA-256 pin (colon hex, upper case) or null to require a CA-valid certificate. */
  readonly pin: string | null;
  readonly body: string;
  readonly soapAction: string;
  /** For error details only. */
  readonly method: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly cookie?: string | undefined;
  /** Hand these elements to a consumer as they close instead of building them into the result. */
  readonly stream?: VimStream | undefined;
  /** Bound on the bytes decoded into one tree (see VimDecoderOptions.maxTreeBytes). */
  readonly maxTreeBytes?: number | undefined;
  /**
   * Bound on a whole answer, streamed or not (default 2 GiB, ~150,000 VMs in one vcsim answer):
   * a server that never stops sending gets PROTOCOL_ERROR, not the rest of the timeout.
   */
  readonly maxResponseBytes?: number | undefined;
}

const DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024 * 1024;

export interface SoapPostResult {
  readonly status: number;
  readonly result: SoapResult;
  readonly sessionCookie: string | undefined;
  readonly bytes: number;
}

const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
]);

/**
 * The same error with the endpoint and method in its details, so every failure names where it
 * happened (a SOAP fault or decoder error knows neither).
 */
export function withEndpoint(e: AppError, host: string, method: string): AppError {
  const d = e.details ?? {};
  if (d['host'] !== undefined && d['method'] !== undefined) return e;
  return new AppError(e.code, e.message, { host, method, ...d }, { cause: e.cause });
}

/** Maps a socket/TLS error to the product's codes; AppErrors (e.g. a pin mismatch) pass through. */
export function mapNetworkError(e: unknown, host: string, method: string): AppError {
  if (e instanceof AppError) return e;
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const code = typeof err?.code === 'string' ? err.code : '';
  const details = { host, method, cause: code || undefined };
  if (UNTRUSTED_CODES.has(code)) {
    return new AppError(
      'TLS_UNTRUSTED',
      `The certificate of ${host} is not trusted (${code}). Verify its thumbprint and pin it to connect.`,
      details,
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new AppError('CONNECTION_REFUSED', `${host} refused the connection.`, details);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AppError('DNS_FAILED', `The name ${host} could not be resolved.`, details);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new AppError('HOST_UNREACHABLE', `${host} is unreachable.`, details);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new AppError(
        'CONNECTION_LOST',
        `The connection to ${host} was lost during ${method}.`,
        details,
      );
    default:
      if (code.startsWith('ERR_SSL') || code === 'EPROTO' || code.startsWith('ERR_TLS')) {
        return new AppError('TLS_FAILED', `The TLS handshake with ${host} failed.`, details);
      }
      return new AppError('CONNECTION_LOST', `The connection to ${host} failed during ${method}.`, {
        ...details,
        message: err instanceof Error ? err.message.slice(0, 200) : undefined,
      });
  }
}

// Sockets that already passed verifyPeer; keep-alive reuse skips the check.
const verifiedSockets = new WeakSet<object>();

/**
 * Writes the request only once the TLS socket passed our trust check, so nothing (cookie,
 * password) leaves the process towards an unverified server.
 */
function sendWhenTrusted(
  req: http.ClientRequest,
  url: URL,
  pin: string | null,
  body: Buffer | undefined,
  fail: (e: AppError) => void,
): void {
  req.on('socket', (socket) => {
    if (url.protocol !== 'https:') {
      req.end(body);
      return;
    }
    const tls = socket as TLSSocket;
    const check = (): void => {
      // Decided before a single request byte (cookie, password) is written.
      const err = verifyPeer(tls, pin, url.hostname);
      if (err) {
        fail(err);
        return;
      }
      verifiedSockets.add(tls);
      req.end(body);
    };
    if (verifiedSockets.has(tls)) req.end(body);
    else if (!tls.connecting && Object.keys(tls.getPeerCertificate() ?? {}).length > 0) check();
    else tls.once('secureConnect', check);
  });
}

export interface JsonRequestOptions {
  readonly url: URL;
  readonly agent: http.Agent;
  readonly pin: string | null;
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly headers?: Readonly<Record<string, string>>;
  readonly json?: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** A small JSON request for the vAPI REST endpoints (tagging), with the same trust and errors. */
export function jsonRequest(opts: JsonRequestOptions): Promise<{ status: number; body: unknown }> {
  const { url } = opts;
  const host = url.hostname;
  const what = `${opts.method} ${url.pathname}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const body =
      opts.json === undefined ? undefined : Buffer.from(JSON.stringify(opts.json), 'utf8');
    const headers: http.OutgoingHttpHeaders = {
      Accept: 'application/json',
      ...(opts.headers ?? {}),
    };
    if (body) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = body.length;
    }
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method: opts.method, agent: opts.agent, headers });
    req.on('error', (e) => fail(mapNetworkError(e, host, what)));
    const timer = setTimeout(() => {
      fail(
        new AppError('TIMEOUT', `${host} did not answer ${what} within ${opts.timeoutMs} ms.`, {
          host,
        }),
      );
    }, opts.timeoutMs);
    const onAbort = (): void => fail(new AppError('CANCELLED', `${what} was cancelled.`, { host }));
    function fail(e: AppError): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      reject(e);
    }
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    sendWhenTrusted(req, url, opts.pin, body, fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => fail(mapNetworkError(e, host, what)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = null;
        // vcsim sends JSON as text/plain, so parse whatever looks like JSON.
        if (text && /^\s*[[{"]/.test(text)) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = null;
          }
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
  });
}

function sessionCookieFrom(headers: http.IncomingHttpHeaders): string | undefined {
  for (const c of headers['set-cookie'] ?? []) {
    const m = /^\s*(vmware_soap_session=[^;]*)/.exec(c);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

export function soapPost(opts: SoapPostOptions): Promise<SoapPostResult> {
  const { url, method } = opts;
  const host = url.hostname;
  return new Promise<SoapPostResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new AppError('CANCELLED', `${method} was cancelled.`, { host, method }));
      return;
    }
    let settled = false;
    const body = Buffer.from(opts.body, 'utf8');
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': 'text/xml; charset=utf-8',
      SOAPAction: opts.soapAction,
      'Content-Length': body.length,
      Accept: 'text/xml',
    };
    if (opts.cookie) headers['Cookie'] = opts.cookie;
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.request(url, { method: 'POST', agent: opts.agent, headers });
    // Attached first: fail() destroys the request, which then emits 'error'.
    req.on('error', (e) => fail(mapNetworkError(e, host, method)));
    const timer = setTimeout(() => {
      fail(
        new AppError('TIMEOUT', `${host} did not answer ${method} within ${opts.timeoutMs} ms.`, {
          host,
          method,
          timeoutMs: opts.timeoutMs,
        }),
      );
    }, opts.timeoutMs);

    const cleanup = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: AppError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      req.destroy();
      reject(e);
    };
    const done = (r: SoapPostResult): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(r);
    };
    function onAbort(): void {
      fail(new AppError('CANCELLED', `${method} was cancelled.`, { host, method }));
    }

    opts.signal?.addEventListener('abort', onAbort, { once: true });

    sendWhenTrusted(req, url, opts.pin, body, fail);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const contentType = String(res.headers['content-type'] ?? '');
      const sessionCookie = sessionCookieFrom(res.headers);
      let bytes = 0;
      let ended = false;
      res.on('aborted', () => {
        if (!ended)
          fail(
            new AppError(
              'CONNECTION_LOST',
              `The connection to ${host} was lost during ${method}.`,
              { host, method },
            ),
          );
      });
      res.on('error', (e) => {
        if (!ended)
          fail(
            mapNetworkError(
              Object.assign(e, { code: (e as NodeJS.ErrnoException).code ?? 'ECONNRESET' }),
              host,
              method,
            ),
          );
      });
      res.on('close', () => {
        if (!ended)
          fail(
            new AppError(
              'CONNECTION_LOST',
              `The connection to ${host} was lost during ${method}.`,
              { host, method },
            ),
          );
      });

      if (!/xml/i.test(contentType)) {
        // Not SOAP at all: a web server, a proxy's error page, a Hyper-V host...
        res.resume();
        res.on('end', () => {
          ended = true;
          if (status === 200) {
            fail(
              new AppError('NOT_VSPHERE', `${host} answered, but not as a vSphere SOAP endpoint.`, {
                host,
                method,
                status,
                contentType,
              }),
            );
          } else {
            fail(
              new AppError('HTTP_ERROR', `${host} answered ${method} with HTTP ${status}.`, {
                host,
                method,
                status,
                contentType,
              }),
            );
          }
        });
        return;
      }

      const decoder = new VimDecoder({ stream: opts.stream, maxTreeBytes: opts.maxTreeBytes });
      const finish = (): SoapResult | null => {
        try {
          return readEnvelope(decoder.end());
        } catch (e) {
          fail(
            e instanceof AppError
              ? withEndpoint(e, host, method)
              : new AppError(
                  'INTERNAL',
                  `Decoding the answer to ${method} failed.`,
                  { host, method, message: e instanceof Error ? e.message.slice(0, 200) : '' },
                  { cause: e },
                ),
          );
          return null;
        }
      };
      const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      res.on('data', (c: Buffer) => {
        if (settled) return;
        bytes += c.length;
        if (bytes > maxBytes) {
          ended = true;
          fail(
            new AppError('PROTOCOL_ERROR', `The answer to ${method} exceeds ${maxBytes} bytes.`, {
              host,
              method,
              reason: 'response too large',
              limitBytes: maxBytes,
            }),
          );
          return;
        }
        decoder.write(c);
        // Stop reading at the first error (malformed, too large): no point taking the rest.
        if (decoder.failed) {
          ended = true;
          finish();
        }
      });
      res.on('end', () => {
        if (settled) return;
        ended = true;
        const result = finish();
        if (settled) return;
        if (result === null) {
          fail(
            status === 200
              ? new AppError(
                  'NOT_VSPHERE',
                  `${host} answered with XML that is not a vim25 SOAP envelope.`,
                  { host, status },
                )
              : new AppError('HTTP_ERROR', `${host} answered ${method} with HTTP ${status}.`, {
                  host,
                  method,
                  status,
                }),
          );
          return;
        }
        if (result.kind === 'response' && status !== 200) {
          fail(
            new AppError('HTTP_ERROR', `${host} answered ${method} with HTTP ${status}.`, {
              host,
              method,
              status,
            }),
          );
          return;
        }
        done({ status, result, sessionCookie, bytes });
      });
    });
  });
}
