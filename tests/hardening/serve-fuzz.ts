/**
 * Hostile HTTP at `infrascope serve`: a raw-socket client (so a request can carry what no HTTP
 * library would send — malformed escapes, odd Host headers, bare upgrades) and fast-check
 * arbitraries for random request lines, headers and upgrades. Shared by the seeded run in the suite
 * (serve.fuzz.test.ts) and the long run (bench/fuzz.ts).
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Core } from '../../src/core/core.js';
import { startServe } from '../../src/core/serve/server.js';
import type { ServeHandle, ServeOptions } from '../../src/core/serve/server.js';

/** `serve` on 127.0.0.1 over `core`, with a small UI (index.html, assets/app.js) in a temp folder. */
export async function serveSmallUi(
  core: Core,
  token?: string,
  more: Partial<Omit<ServeOptions, 'core' | 'rendererDir'>> = {},
): Promise<ServeHandle> {
  const ui = mkdtempSync(join(tmpdir(), 'infrascope-ui-'));
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
  mkdirSync(join(ui, 'assets'));
  writeFileSync(join(ui, 'assets', 'app.js'), 'void 0;');
  const serve = await startServe({
    core,
    rendererDir: ui,
    port: 0,
    ...(token ? { token } : {}),
    ...more,
  });
  return {
    ...serve,
    close: async () => {
      await serve.close();
      rmSync(ui, { recursive: true, force: true });
    },
  };
}

/** What came back for one raw request: the status code, or null if the socket closed silently. */
export interface RawReply {
  readonly status: number | null;
  readonly text: string;
}

/**
 * Writes `raw` to 127.0.0.1:`port` and reads until the server closes or `ms` pass (the server may
 * keep a connection alive after answering, so a complete status line also ends the wait).
 */
export function rawRequest(port: number, raw: string | Buffer, ms = 5000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text });
    };
    const timer = setTimeout(
      () => reject(new Error(`no answer in ${ms} ms to ${JSON.stringify(String(raw))}`)),
      ms,
    );
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (/\r\n\r\n/.test(text)) done();
    });
    socket.on('end', done);
    socket.on('close', done);
    // A reset after the server refused is an answer too (it closed on us).
    socket.on('error', done);
    socket.write(raw);
  });
}

/** A GET that the server must answer 200: proof it is still serving. */
export function getRequest(port: number, path: string, host = `127.0.0.1:${port}`): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
}

const ascii = (max: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

/** Path segments drawn from what breaks decoders: stray and truncated escapes, dots, slashes. */
const pathPiece = fc.oneof(
  ascii(12),
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '%ZZ',
    '%00',
    '%2e%2e',
    '..',
    '//',
    '%C0%AF',
    '%ff',
    '\\',
    '?',
    '#',
    '%u0041',
  ),
  fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
);
const hostilePath = fc
  .array(pathPiece, { minLength: 0, maxLength: 8 })
  .map((parts) => `/${parts.join('')}`)
  .chain((p) => fc.constantFrom(p, `${p}?${p}`, `http://[${p}`, `//${p}`, '*', p.slice(1) || '/'));

const hostileHost = (port: number): fc.Arbitrary<string | null> =>
  fc.oneof(
    fc.constant(`127.0.0.1:${port}`),
    fc.constant(`localhost:${port}`),
    fc.constant(null),
    fc.constantFrom(
      '[',
      '[::',
      ':::',
      'a b',
      '%',
      '[::1',
      'x:99999999',
      '',
      `127.0.0.1:${port}@evil`,
    ),
    ascii(20),
  );

const headerName = fc.constantFrom(
  'Origin',
  'X-Infrascope-Token',
  'X-Infrascope-Filename',
  'X-Infrascope-Import-Id',
  'Content-Type',
  'Content-Length',
  'Sec-WebSocket-Key',
  'Sec-WebSocket-Version',
  'Sec-WebSocket-Protocol',
  'Sec-WebSocket-Extensions',
  'Cookie',
  'X-Junk',
);

export interface HostileRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string | null;
  readonly upgrade: boolean;
  readonly headers: readonly (readonly [string, string])[];
}

/** Random request lines, Hosts, headers and upgrades (to /api or anywhere). */
export function hostileRequest(port: number): fc.Arbitrary<HostileRequest> {
  return fc.record({
    method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'BREW'),
    path: fc.oneof(
      hostilePath,
      hostilePath.map((p) => `/api${p}`),
      fc.constantFrom('/api', '/api?token=%', '/api?token=%E0%A4%A', '/api/snapshots/import'),
    ),
    host: hostileHost(port),
    upgrade: fc.boolean(),
    headers: fc.array(
      fc.tuple(
        headerName,
        fc.oneof(
          ascii(30),
          fc.constantFrom(
            '%',
            '%E0%A4%A',
            '-1',
            '1e309',
            '13',
            'permessage-deflate; client_max_window_bits=0',
          ),
        ),
      ),
      { maxLength: 5 },
    ),
  });
}

/** The request as bytes on the wire; upgrades carry the WebSocket headers. */
export function renderRequest(r: HostileRequest): string {
  const lines = [`${r.method} ${r.path} HTTP/1.1`];
  if (r.host !== null) lines.push(`Host: ${r.host}`);
  if (r.upgrade) {
    lines.push('Connection: Upgrade', 'Upgrade: websocket');
    lines.push('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
  } else {
    lines.push('Connection: close');
  }
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * The property: every hostile request gets an answer or a closed socket (never a hang), and a
 * well-formed GET of `/` right after it is answered 200 — the server did not fall over.
 */
export function serveProperty(port: number): fc.IAsyncPropertyWithHooks<[HostileRequest]> {
  return fc.asyncProperty(hostileRequest(port), async (r) => {
    const reply = await rawRequest(port, renderRequest(r));
    if (reply.status !== null && reply.status >= 500 && reply.status !== 501) {
      throw new Error(`server error ${reply.status} for ${JSON.stringify(r)}`);
    }
    const after = await rawRequest(port, getRequest(port, '/'));
    if (after.status !== 200) {
      throw new Error(`not serving after ${JSON.stringify(r)}: ${String(after.status)}`);
    }
  });
}
