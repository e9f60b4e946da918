import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertDto, WebhookDelivery } from '../../shared/alerts.js';
import { alertsDb } from '../alerts/tables.js';
import { createEventHub } from '../contract/handlers.js';
import { createLogger } from '../logger.js';
import type { DesktopNotification, Notifier } from './notifier.js';
import { createNotifyCapability } from './service.js';
import { deliver, webhookBody } from './webhook.js';
import type { Store } from '../store/sqlite.js';
import { keyFileVault } from '../vault/key-file-vault.js';
import { teamKeyVault } from '../vault/team-key-vault.js';
import type { VaultBackend } from '../vault/vault.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, openTestStore } from '../../../tests/helpers/store.js';

interface Received {
  readonly path: string;
  readonly body: unknown;
}

/** A local receiver answering each request with the next scripted status (or never, for 0). */
async function receiver(
  script: number[],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data) as unknown });
      const status = script.shift() ?? 200;
      if (status === 0) return; // hang: the client must time out
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hooks/T000/SECRET-PATH`, received, server };
}

const close = (s: Server): Promise<void> =>
  new Promise((resolve) => {
    s.closeAllConnections();
    s.close(() => resolve());
  });

const alert = (over: Partial<AlertDto> = {}): AlertDto => ({
  id: 7,
  rule: 'datastore-usage',
  severity: 'critical',
  state: 'active',
  endpointId: 1,
  endpoint: 'vc1',
  entityType: 'datastore',
  entityId: 'datastore-1',
  entityName: 'ds-gold',
  message: 'Datastore ds-gold is 95.0 % full',
  count: 1,
  raisedAt: '2026-11-10T08:00:00.000Z',
  lastSeen: '2026-11-10T08:00:00.000Z',
  clearedAt: null,
  ackedAt: null,
  ackedBy: null,
  ackComment: null,
  snoozedUntil: null,
  details: {},
  ...over,
});

describe('webhook delivery', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  it('retries a 500 with exponential backoff and succeeds on the next 200', async () => {
    const r = await receiver([500, 503, 200]);
    servers.push(r.server);
    const sleeps: number[] = [];
    const result = await deliver(
      r.url,
      { hello: 1 },
      {
        baseDelayMs: 250,
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
      },
    );
    expect(result).toMatchObject({
      status: 'delivered',
      attempts: 3,
      httpStatus: 200,
      error: null,
    });
    expect(sleeps).toEqual([250, 500]);
    expect(r.received.map((x) => x.body)).toEqual([{ hello: 1 }, { hello: 1 }, { hello: 1 }]);
  });

  it('times out a receiver that never answers, retries, and reports the failure without the URL', async () => {
    const r = await receiver([0, 0]);
    servers.push(r.server);
    const result = await deliver(
      r.url,
      {},
      { timeoutMs: 150, maxAttempts: 2, sleep: () => Promise.resolve() },
    );
    expect(result).toMatchObject({ status: 'failed', attempts: 2, httpStatus: null });
    expect(result.error).toBe('timed out after 150 ms');
    expect(r.received).toHaveLength(2);
  });

  it('does not retry a 4xx other than 429', async () => {
    const r = await receiver([404, 200]);
    servers.push(r.server);
    const result = await deliver(r.url, {}, { sleep: () => Promise.resolve() });
    expect(result).toMatchObject({
      status: 'failed',
      attempts: 1,
      httpStatus: 404,
      error: 'HTTP 404',
    });
  });

  it('gives up after the last attempt on a refused connection, never echoing the URL', async () => {
    const r = await receiver([]);
    await close(r.server);
    const result = await deliver(r.url, {}, { maxAttempts: 3, sleep: () => Promise.resolve() });
    expect(result).toMatchObject({ status: 'failed', attempts: 3, httpStatus: null });
    expect(result.error).not.toContain('SECRET-PATH');
  });

  it('builds Slack and Teams compatible bodies', () => {
    const m = {
      title: '[CRITICAL] datastore-usage on vc1',
      text: 'Datastore ds-gold is 95.0 % full',
      severity: 'critical' as const,
      alert: null,
    };
    expect(webhookBody('slack', m)).toEqual({
      text: '*[CRITICAL] datastore-usage on vc1*\nDatastore ds-gold is 95.0 % full',
    });
    expect(webhookBody('teams', m)).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      themeColor: 'CF222E',
      title: m.title,
      text: m.text,
    });
    expect(webhookBody('json', m)).toMatchObject({
      source: 'infrascope',
      severity: 'critical',
      alert: null,
    });
  });
});

afterAll(stopSharedPostgres);

describe.each(ENGINES)('notify service on a %s store', (engine) => {
  let store: Store;
  let dir: string;
  /** The vault the core gives this engine: the key file, or a team store's key. */
  let vault: VaultBackend;
  let logText = '';
  beforeEach(async () => {
    store = await openTestStore(engine);
    dir = mkdtempSync(join(tmpdir(), 'infrascope-notify-'));
    vault =
      engine === 'sqlite'
        ? keyFileVault(dir)
        : teamKeyVault({ key: randomBytes(32), source: 'test key' });
    logText = '';
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals the URL, posts matching alerts, logs deliveries, tests on demand and notifies the desktop of critical ones', async () => {
    const r = await receiver([500, 200, 200, 200]);
    const shown: DesktopNotification[] = [];
    const notifier: Notifier = { notify: (n) => void shown.push(n) };
    const log = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logText += chunk.toString('utf8');
          cb();
        },
      }),
    });
    const events = createEventHub(log);
    const delivered: WebhookDelivery[] = [];
    events.subscribe((name, payload) => {
      if (name === 'webhooks:delivered') delivered.push(payload as WebhookDelivery);
    });
    const svc = createNotifyCapability({
      db: store.db,
      vault,
      events,
      log,
      now: () => new Date('2026-11-10T08:00:00Z'),
      notifier,
      delivery: { baseDelayMs: 1, timeoutMs: 2000 },
    });
    const ctx = { actor: 'test', host: 'cli' } as const;
    const hook = await svc.handlers['webhooks:add'](
      { name: 'ops', url: r.url, format: 'slack', minSeverity: 'warning', enabled: true },
      ctx,
    );
    expect(hook).toMatchObject({ name: 'ops', format: 'slack', minSeverity: 'warning' });
    expect(hook.urlHint).toBe(`${new URL(r.url).protocol}//${new URL(r.url).host}/…`);
    expect(JSON.stringify(await svc.handlers['webhooks:list']({}, ctx))).not.toContain(
      'SECRET-PATH',
    );
    const row = await alertsDb(store.db)
      .selectFrom('webhook')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.url_backend).toBe(vault.id);
    expect(row.url_sealed.toString('latin1')).not.toContain('SECRET-PATH');

    svc.alertsRaised([
      alert(),
      alert({
        id: 8,
        severity: 'info',
        rule: 'host-maintenance',
        message: 'Host esx2 is in maintenance mode',
      }),
      alert({ id: 9, severity: 'warning', snoozedUntil: '2026-11-10T09:00:00.000Z' }),
    ]);
    await svc.idle();
    // Only the critical, unsnoozed alert passes the webhook's minimum severity; 500 then 200.
    expect(r.received.map((x) => x.body)).toEqual([
      {
        text: '*[CRITICAL] datastore-usage on vc1*\nDatastore ds-gold is 95.0 % full (new, alert #7)',
      },
      {
        text: '*[CRITICAL] datastore-usage on vc1*\nDatastore ds-gold is 95.0 % full (new, alert #7)',
      },
    ]);
    expect(r.received[0]!.path).toBe('/hooks/T000/SECRET-PATH');
    expect(shown).toEqual([
      {
        title: 'Critical: ds-gold',
        body: 'Datastore ds-gold is 95.0 % full',
        severity: 'critical',
        alertId: 7,
      },
    ]);

    const test = await svc.handlers['webhooks:test']({ id: hook.id }, ctx);
    expect(test).toMatchObject({
      status: 'delivered',
      attempts: 1,
      httpStatus: 200,
      alertId: null,
    });
    const log1 = await svc.handlers['webhooks:deliveries']({ id: hook.id, limit: 10 }, ctx);
    expect(log1.map((d) => [d.alertId, d.status, d.attempts])).toEqual([
      [null, 'delivered', 1],
      [7, 'delivered', 2],
    ]);
    // Each logged delivery was pushed as it happened, so an open delivery log needs no polling.
    expect(delivered).toEqual([...log1].reverse());

    // Disabled in place: a new critical alert is not posted; enabled again, it is. The sealed
    // URL is untouched by an update.
    const off = await svc.handlers['webhooks:update']({ id: hook.id, enabled: false }, ctx);
    expect(off).toMatchObject({ enabled: false, format: 'slack', minSeverity: 'warning' });
    const posted = r.received.length;
    svc.alertsRaised([alert({ id: 10 })]);
    await svc.idle();
    expect(r.received).toHaveLength(posted);
    await svc.handlers['webhooks:update'](
      { id: hook.id, enabled: true, minSeverity: 'critical', format: 'json' },
      ctx,
    );
    svc.alertsRaised([alert({ id: 11 })]);
    await svc.idle();
    expect(r.received).toHaveLength(posted + 1);
    expect(r.received.at(-1)!.body).toMatchObject({ alert: { id: 11 } });
    await expect(
      svc.handlers['webhooks:update']({ id: 999, enabled: false }, ctx),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await svc.dispose();
    await close(r.server);
    expect(logText).not.toContain('SECRET-PATH');
  });
});
