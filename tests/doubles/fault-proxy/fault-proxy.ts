/**
 * A fault-injecting HTTPS proxy for the vSphere collector's hostile-server tests. It terminates
 * TLS with its own self-signed certificate (the collector pins it), reads each request, and either
 * forwards it to the upstream (vcsim, re-originating TLS) or misbehaves as the active rules say:
 * cut the connection mid-answer, stall, answer HTTP 500/503 or a SOAP fault, malformed or
 * truncated XML, a huge answer, drop every Nth request, or trickle the answer slowly.
 *
 * Rules match by SOAP method (the first element in the Body) and can be limited to a number of
 * hits, so a test can say "the first RetrievePropertiesEx is cut, the retry goes through".
 */
import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { makeSelfSigned } from '../self-signed.js';

export type Fault =
  /** Forward, but destroy the client connection after this many bytes of the answer body. */
  | { readonly kind: 'cut'; readonly afterBytes: number }
  /** Send the status line and part of the body, then nothing: the client must time out. */
  | { readonly kind: 'stall'; readonly afterBytes?: number }
  /** An HTTP error without a SOAP body (a proxy or load balancer page). */
  | { readonly kind: 'status'; readonly status: number }
  /** A well-formed vim25 SOAP fault with HTTP 500. */
  | { readonly kind: 'soapFault'; readonly faultType: string; readonly message?: string }
  /** An HTTP 200 text/xml body that is not well-formed XML. */
  | { readonly kind: 'malformed'; readonly body?: string }
  /** Forward, but end the answer (Connection: close) after this many bytes of its body. */
  | { readonly kind: 'truncate'; readonly atBytes: number }
  /**
   * A valid-looking RetrievePropertiesEx answer of about `bytes` bytes: one object whose name is
   * enormous (so no streaming consumer can make progress on it).
   */
  | { readonly kind: 'huge'; readonly bytes: number }
  /** A valid-looking answer of about `bytes` bytes made of many small objects. */
  | { readonly kind: 'flood'; readonly bytes: number }
  /** Close the connection without any answer. */
  | { readonly kind: 'drop' }
  /** Forward, but write the answer in `chunkBytes` pieces with `delayMs` between them. */
  | { readonly kind: 'slow'; readonly delayMs: number; readonly chunkBytes?: number };

export interface FaultRule {
  /** SOAP method to match; any method when absent. */
  readonly method?: string;
  /** Only requests whose body contains this text (e.g. 'ContainerView'). */
  readonly contains?: string;
  readonly fault: Fault;
  /** Apply to this many matching requests, then pass them through. Infinity when absent. */
  readonly times?: number;
  /** Apply to every Nth matching request only (1 = every one). */
  readonly every?: number;
}

export interface ProxiedRequest {
  readonly method: string;
  /** The fault applied, or 'pass'. */
  readonly outcome: Fault['kind'] | 'pass';
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** SHA-256 of the proxy's own certificate, to pin. */
  readonly thumbprint: string;
  /** Every request seen, in order. */
  readonly log: ProxiedRequest[];
  /** Replaces the active rules (first match wins). */
  setRules(rules: readonly FaultRule[]): void;
  clear(): void;
  /** How many requests of a method were seen. */
  count(method: string): number;
  close(): Promise<void>;
}

interface ActiveRule {
  readonly rule: FaultRule;
  seen: number;
  applied: number;
}

const ENV_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ' +
  'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENV_CLOSE = '</soapenv:Body></soapenv:Envelope>';

export function soapFaultXml(faultType: string, message: string): string {
  return (
    `${ENV_OPEN}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>${message}</faultstring>` +
    `<detail><${faultType}Fault xmlns="urn:vim25" xsi:type="${faultType}"></${faultType}Fault></detail>` +
    `</soapenv:Fault>${ENV_CLOSE}`
  );
}

function soapMethod(body: string): string {
  return /<(?:\w+:)?Body>\s*<(?:\w+:)?(\w+)/.exec(body)?.[1] ?? '?';
}

/** Starts the proxy on a loopback port in front of `upstream` (which speaks HTTPS). */
export async function startFaultProxy(upstream: {
  readonly host: string;
  readonly port: number;
}): Promise<FaultProxy> {
  const cert = makeSelfSigned('127.0.0.1');
  const upstreamAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });
  const sockets = new Set<Socket>();
  const log: ProxiedRequest[] = [];
  let rules: ActiveRule[] = [];

  const pick = (method: string, body: string): Fault | null => {
    for (const r of rules) {
      if (r.rule.method !== undefined && r.rule.method !== method) continue;
      if (r.rule.contains !== undefined && !body.includes(r.rule.contains)) continue;
      r.seen++;
      if (r.applied >= (r.rule.times ?? Infinity)) continue;
      if (r.seen % (r.rule.every ?? 1) !== 0) continue;
      r.applied++;
      return r.rule.fault;
    }
    return null;
  };

  const forward = (
    req: http.IncomingMessage,
    body: Buffer,
    onResponse: (up: http.IncomingMessage) => void,
    onError: () => void,
  ): void => {
    const headers = { ...req.headers, host: `${upstream.host}:${upstream.port}` };
    delete headers['connection'];
    const up = https.request(
      {
        host: upstream.host,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers,
        agent: upstreamAgent,
      },
      onResponse,
    );
    up.on('error', onError);
    up.end(body);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void => {
    const text = body.toString('utf8');
    const method = soapMethod(text);
    const fault = pick(method, text);
    log.push({ method, outcome: fault?.kind ?? 'pass' });
    const fail = (): void => {
      res.socket?.destroy();
    };
    if (fault === null) {
      forward(
        req,
        body,
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
        fail,
      );
      return;
    }
    switch (fault.kind) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'status':
        res
          .writeHead(fault.status, { 'Content-Type': 'text/html' })
          .end(`<html><body>${fault.status}</body></html>`);
        return;
      case 'soapFault':
        res
          .writeHead(500, { 'Content-Type': 'text/xml; charset=utf-8' })
          .end(soapFaultXml(fault.faultType, fault.message ?? `injected ${fault.faultType}`));
        return;
      case 'malformed':
        res
          .writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' })
          .end(
            fault.body ??
              `${ENV_OPEN}<${method}Response xmlns="urn:vim25"><returnval><a></b></returnval>${ENV_CLOSE}`,
          );
        return;
      case 'huge':
      case 'flood': {
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        const huge = fault.kind === 'huge';
        const head =
          `${ENV_OPEN}<${method}Response xmlns="urn:vim25"><returnval>` +
          (huge
            ? '<objects><obj type="VirtualMachine">vm-huge</obj><propSet><name>name</name><val xsi:type="xsd:string">'
            : '');
        const tail =
          (huge ? '</val></propSet></objects>' : '') +
          `</returnval></${method}Response>${ENV_CLOSE}`;
        const one =
          '<objects><obj type="Folder">group-flood</obj><propSet><name>name</name>' +
          '<val xsi:type="xsd:string">flood</val></propSet></objects>';
        const block = huge
          ? Buffer.alloc(1024 * 1024, 'A')
          : Buffer.from(one.repeat(Math.ceil((1024 * 1024) / one.length)));
        let left = fault.bytes;
        res.write(head);
        // Writes as the client reads, so the proxy itself does not buffer the huge body.
        const pump = (): void => {
          while (left > 0) {
            left -= block.length;
            if (!res.write(block)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end(tail);
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
      case 'cut':
      case 'stall':
      case 'truncate':
      case 'slow':
        forward(
          req,
          body,
          (up) => {
            const headers = { ...up.headers };
            if (fault.kind === 'truncate') {
              delete headers['content-length'];
              headers['connection'] = 'close';
            }
            res.writeHead(up.statusCode ?? 502, headers);
            let sent = 0;
            const limit =
              fault.kind === 'cut'
                ? fault.afterBytes
                : fault.kind === 'stall'
                  ? (fault.afterBytes ?? 0)
                  : fault.kind === 'truncate'
                    ? fault.atBytes
                    : Infinity;
            if (fault.kind === 'slow') {
              const chunks: Buffer[] = [];
              up.on('data', (c: Buffer) => chunks.push(c));
              up.on('end', () => {
                const all = Buffer.concat(chunks);
                const size = fault.chunkBytes ?? 4096;
                let at = 0;
                const tick = (): void => {
                  if (res.destroyed) return;
                  if (at >= all.length) {
                    res.end();
                    return;
                  }
                  res.write(all.subarray(at, at + size));
                  at += size;
                  setTimeout(tick, fault.delayMs);
                };
                tick();
              });
              return;
            }
            if (fault.kind === 'stall' && limit === 0) {
              res.flushHeaders();
            }
            up.on('data', (c: Buffer) => {
              if (sent >= limit) return;
              const part = c.subarray(0, limit - sent);
              sent += part.length;
              res.write(part);
              if (sent < limit) return;
              if (fault.kind === 'cut') setTimeout(() => res.socket?.destroy(), 10);
              if (fault.kind === 'truncate') res.end();
              // stall: keep the connection open and send nothing more.
            });
            up.on('end', () => {
              if (sent < limit) res.end();
            });
          },
          fail,
        );
        return;
    }
  };

  const server = https.createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    thumbprint: cert.fingerprint256,
    log,
    setRules(next) {
      rules = next.map((rule) => ({ rule, seen: 0, applied: 0 }));
    },
    clear() {
      rules = [];
    },
    count(method) {
      return log.filter((r) => r.method === method).length;
    },
    async close() {
      for (const s of sockets) s.destroy();
      upstreamAgent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
