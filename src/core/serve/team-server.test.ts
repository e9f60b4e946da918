import { request } from 'node:https';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { makeSelfSigned } from '../../../tests/doubles/self-signed.js';
import { serveSmallUi } from '../../../tests/hardening/serve-fuzz.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import { AppError } from '../../shared/errors.js';
import { addAccount, logoutEverywhere } from '../accounts/accounts.js';
import { createToken } from '../accounts/sessions.js';
import type { ServeHandle } from './server.js';

/*
 * serve in accounts mode over TLS, in process: the sign-in routes, the WebSocket's cookie and
 * Bearer checks, the role check on requests, and the refusal to listen beyond loopback in clear.
 */
let h: CoreHarness;
let serve: ServeHandle;
const cert = makeSelfSigned('localhost');
const origin = (): string => `https://127.0.0.1:${serve.port}`;
let viewerToken = '';
let operatorToken = '';

afterAll(stopSharedPostgres);

function post(
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; cookie: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${origin()}${path}`,
      {
        method: 'POST',
        ca: cert.cert,
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            cookie: String(res.headers['set-cookie'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** A POST of raw bytes (an upload, a download's request), trusting the test's certificate. */
function send(
  path: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin()}${path}`, { method: 'POST', ca: cert.cert, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function socket(headers: Record<string, string>): Promise<WebSocket> {
  const ws = new WebSocket(`wss://127.0.0.1:${serve.port}/api`, { ca: cert.cert, headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function ask(
  ws: WebSocket,
  id: number,
  channel: string,
  input: unknown,
): Promise<{ ok: boolean; result?: unknown; error?: { code: string } }> {
  return new Promise((resolve) => {
    const on = (m: Buffer): void => {
      const msg = JSON.parse(String(m)) as {
        id?: number;
        reply?: { ok: boolean; result?: unknown; error?: { code: string } };
      };
      if (msg.id === id) {
        ws.off('message', on);
        resolve(msg.reply!);
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ id, channel, input }));
  });
}

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ store: await testStoreLocation(engine), host: 'serve' });
    const by = { actor: 'cli:test', at: new Date() };
    await addAccount(
      h.core.store.db,
      { name: 'vic', role: 'viewer', password: 'vic password' },
      by,
    );
    viewerToken = (
      await createToken(h.core.store.db, { name: 'v', role: 'viewer', expiresIn: '1d' }, by)
    ).secret;
    operatorToken = (
      await createToken(h.core.store.db, { name: 'o', role: 'operator', expiresIn: '1d' }, by)
    ).secret;
    serve = await serveSmallUi(h.core, undefined, {
      tls: { cert: cert.cert, key: cert.key },
      loginBackoff: () => Promise.resolve(),
    });
  });
  afterAll(async () => {
    await serve?.close();
    await h?.close();
  });

  describe('serve as a team server', () => {
    it('refuses to listen beyond loopback without TLS, with a typed error', async () => {
      const e = await serveSmallUi(h.core, undefined, { host: '0.0.0.0' }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('TLS_REQUIRED');
    });

    it('signs in with a secure cookie and opens /api with it; a foreign origin is refused', async () => {
      expect(
        (
          await post(
            '/auth/login',
            { username: 'vic', password: 'vic password' },
            { Origin: 'https://evil.example' },
          )
        ).status,
      ).toBe(403);
      const ok = await post(
        '/auth/login',
        { username: 'vic', password: 'vic password' },
        { Origin: origin() },
      );
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ account: { name: 'vic', role: 'viewer' } });
      expect(ok.cookie).toMatch(
        /^infrascope_session=[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure$/,
      );
      const cookie = ok.cookie.split(';')[0]!;
      await expect(socket({ Cookie: cookie, Origin: 'https://evil.example' })).rejects.toThrow(
        'HTTP 403',
      );
      await expect(socket({ Origin: origin() })).rejects.toThrow('HTTP 401');
      const ws = await socket({ Cookie: cookie, Origin: origin() });
      expect(await ask(ws, 1, 'inventory:query', { kind: 'vms' })).toMatchObject({ ok: true });
      expect(await ask(ws, 2, 'alerts:ack', { ids: [1] })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      // Logout everywhere ends the open socket at its next request.
      await logoutEverywhere(h.core.store.db, 'vic', { actor: 'cli:test', at: new Date() });
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      expect(await ask(ws, 3, 'inventory:query', { kind: 'vms' })).toMatchObject({
        ok: false,
        error: { code: 'AUTH_REQUIRED' },
      });
      expect(await closed).toBe(4401);
    });

    it('answers the same for an unknown account and a wrong password', async () => {
      const a = await post(
        '/auth/login',
        { username: 'vic', password: 'not the one' },
        { Origin: origin() },
      );
      const b = await post(
        '/auth/login',
        { username: 'ghost', password: 'not the one' },
        { Origin: origin() },
      );
      expect([a.status, b.status]).toEqual([401, 401]);
      expect(a.body).toBe(b.body);
    });

    it("checks a token's role: viewer queries, operator also syncs; the audit names the token and address", async () => {
      const viewer = await socket({ Authorization: `Bearer ${viewerToken}` });
      expect(await ask(viewer, 1, 'inventory:query', { kind: 'vms' })).toMatchObject({ ok: true });
      expect(await ask(viewer, 2, 'sync:start', {})).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      viewer.close();
      const operator = await socket({ Authorization: `Bearer ${operatorToken}` });
      const sync = await ask(operator, 3, 'sync:start', {});
      expect(sync.error?.code).not.toBe('FORBIDDEN');
      operator.close();
      const rows = await h.core.store.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'details'])
        .execute();
      const lines = rows.map((r) => `${r.actor} ${r.action}`);
      expect(lines).toContain('token:v@127.0.0.1 sync:start');
      expect(lines).toContain('token:o@127.0.0.1 sync:start');
      expect(lines).toContain('vic@127.0.0.1 auth.login');
      expect(lines).toContain('vic@127.0.0.1 auth.login-failed');
      expect(lines).toContain('ghost@127.0.0.1 auth.login-failed');
      expect(lines).toContain('vic@127.0.0.1 alerts:ack');
      expect(lines).not.toContain('vic@127.0.0.1 inventory:query');
    });

    it('audits an export download and a snapshot upload with the token and address, refusals too', async () => {
      const operator = await socket({ Authorization: `Bearer ${operatorToken}` });
      const saved = await ask(operator, 1, 'export:save', { format: 'json' });
      operator.close();
      expect(saved.ok).toBe(true);
      const { exportId, file } = saved.result as { exportId: string; file: string };
      const download = await send('/api/exports/download', Buffer.alloc(0), {
        Authorization: `Bearer ${operatorToken}`,
        'X-Infrascope-Export-Id': exportId,
      });
      expect(download.status).toBe(200);
      const upload = (token: string): Promise<{ status: number; body: Buffer }> =>
        send('/api/snapshots/import', download.body, {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/octet-stream',
          'X-Infrascope-Filename': 'team%20copy.json',
        });
      expect((await upload(viewerToken)).status).toBe(403);
      const imported = await upload(operatorToken);
      expect(imported.status).toBe(200);
      const snapshotId = (JSON.parse(String(imported.body)) as { result: { id: number } }).result
        .id;

      const rows = await h.core.store.db
        .selectFrom('audit_log')
        .select(['actor', 'action', 'target', 'details'])
        .where('action', 'in', ['export:download', 'snapshots:upload'])
        .orderBy('id')
        .execute();
      expect(
        rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> })),
      ).toEqual([
        {
          actor: 'token:o@127.0.0.1',
          action: 'export:download',
          target: basename(file),
          details: { outcome: 'done', exportId, bytes: download.body.length },
        },
        {
          actor: 'token:v@127.0.0.1',
          action: 'snapshots:upload',
          target: 'team copy.json',
          details: { outcome: 'FORBIDDEN', bytes: download.body.length },
        },
        {
          actor: 'token:o@127.0.0.1',
          action: 'snapshots:upload',
          target: 'team copy.json',
          details: { outcome: 'done', bytes: download.body.length, snapshotId },
        },
      ]);
    });
  });
});
