import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { getRequest, rawRequest, serveSmallUi } from '../../../tests/hardening/serve-fuzz.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import type { ServeHandle } from './server.js';

/*
 * Each request a browser page (or anything on the machine) can send must be answered with a
 * 4xx and a log line, never end the process: the scheduler lives in it.
 */
let h: CoreHarness;
let serve: ServeHandle;
afterAll(stopSharedPostgres);

const stillServing = async (): Promise<void> => {
  expect((await rawRequest(serve.port, getRequest(serve.port, '/'))).status).toBe(200);
  expect((await rawRequest(serve.port, getRequest(serve.port, '/assets/app.js'))).status).toBe(200);
};
const upgrade = (path: string, host: string | null): string =>
  [
    `GET ${path} HTTP/1.1`,
    ...(host === null ? [] : [`Host: ${host}`]),
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    `Origin: http://127.0.0.1:${serve.port}`,
    '',
    '',
  ].join('\r\n');

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine), host: 'serve' });
    serve = await serveSmallUi(h.core, 't'.repeat(64));
  });
  afterAll(async () => {
    await serve?.close();
    await h?.close();
  });

  describe('serve answers malformed requests and keeps serving', () => {
    it('a malformed percent-escape in the path is a 400 and a log line', async () => {
      const reply = await rawRequest(serve.port, getRequest(serve.port, '/%E0%A4%A'));
      expect(reply.status).toBe(400);
      expect(h.logs.join('')).toContain('malformed request path refused');
      await stillServing();
    });

    it.each(['/assets/%', '/%ZZ.js', '/a%C0%AF.js?x=%', '/?token=%E0%A4%A'])(
      'GET %s is a 4xx or the app, never a crash',
      async (path) => {
        const reply = await rawRequest(serve.port, getRequest(serve.port, path));
        expect(reply.status).not.toBeNull();
        expect(reply.status).toBeLessThan(500);
        await stillServing();
      },
    );

    it('an absolute-form request line with a broken authority is a 4xx', async () => {
      const reply = await rawRequest(
        serve.port,
        `GET http://[::/x HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\nConnection: close\r\n\r\n`,
      );
      expect(reply.status).not.toBeNull();
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      await stillServing();
    });

    it.each(['[', '[::', 'a b', '%', ':::'])(
      'an upgrade with Host "%s" is refused',
      async (host) => {
        const reply = await rawRequest(serve.port, upgrade('/api?token=x', host));
        expect(reply.status).toBe(403);
        await stillServing();
      },
    );

    it('an upgrade without a Host, or with a malformed escape in its query, is refused', async () => {
      expect((await rawRequest(serve.port, upgrade('/api', null))).status).toBe(403);
      const bad = await rawRequest(
        serve.port,
        upgrade('/api?token=%E0%A4%A', `127.0.0.1:${serve.port}`),
      );
      expect(bad.status).toBe(403);
      const path = await rawRequest(serve.port, upgrade('/%E0%A4%A', `127.0.0.1:${serve.port}`));
      expect(path.status).toBe(403);
      await stillServing();
    });

    it('an upgrade whose client resets the connection at once does not end the process', async () => {
      // The socket is ours after 'upgrade': an error on it with no listener would be fatal.
      const { connect } = await import('node:net');
      await new Promise<void>((resolve) => {
        const s = connect(serve.port, '127.0.0.1', () => {
          s.write(upgrade(`/api?token=${'t'.repeat(64)}`, `127.0.0.1:${serve.port}`));
          s.resetAndDestroy();
          resolve();
        });
      });
      await stillServing();
    });

    it('an upload with malformed headers is refused with a 4xx', async () => {
      const reply = await rawRequest(
        serve.port,
        [
          'POST /api/snapshots/import HTTP/1.1',
          `Host: 127.0.0.1:${serve.port}`,
          `Origin: http://127.0.0.1:${serve.port}`,
          `X-Infrascope-Token: ${'t'.repeat(64)}`,
          'Content-Type: application/octet-stream',
          'X-Infrascope-Filename: %E0%A4%A',
          'Content-Length: -5',
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
      );
      expect(reply.status).not.toBeNull();
      expect(reply.status).toBeLessThan(500);
      await stillServing();
    });
  });
});
