import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncProgressEvent } from '../../shared/contract.js';
import { AppError } from '../../shared/errors.js';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import { silentLogger } from '../logger.js';
import { keyFileVault } from '../vault/key-file-vault.js';
import { teamKeyVault } from '../vault/team-key-vault.js';
import { runSync } from './engine.js';

let h: CoreHarness | undefined;
afterAll(stopSharedPostgres);
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const add = (c: CoreHarness, name: string, password = 'pw-' + name): Promise<{ id: number }> =>
  c.call('endpoints:add', {
    name,
    kind: 'vcenter',
    host: `${name}.example.test`,
    username: 'admin',
    password,
  });

describe.each(ENGINES)('sync engine on a %s store', (engine) => {
  it('syncs endpoints concurrently, saves the good ones and records each run', async () => {
    const double = createCollectorDouble({ kind: 'ok', vms: 3 });
    double.behave('bad', {
      kind: 'fail',
      error: new AppError('CONNECTION_REFUSED', 'bad.example.test refused the connection.'),
    });
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
    });
    const good = await add(h, 'good');
    const bad = await add(h, 'bad');
    const started = await h.call('sync:start', {});
    expect(started.started.map((s) => s.endpoint).sort()).toEqual(['bad', 'good']);
    const [g, b] = await h.finished([good.id, bad.id]);
    expect(g?.state).toBe('succeeded');
    expect(b).toMatchObject({ state: 'failed', error: { code: 'CONNECTION_REFUSED' } });

    const runs = await h.core.store.db
      .selectFrom('sync_run')
      .selectAll()
      .orderBy('endpoint_id')
      .execute();
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({
      endpoint_id: good.id,
      mode: 'full',
      status: 'succeeded',
      seen: 4,
      created: 4,
      error_code: null,
    });
    expect(runs[0]?.duration_ms).toBeGreaterThanOrEqual(0);
    expect(runs[1]).toMatchObject({
      endpoint_id: bad.id,
      status: 'failed',
      error_code: 'CONNECTION_REFUSED',
      seen: 0,
    });
    const vms = await h.core.store.db.selectFrom('vm').select(['endpoint_id', 'name']).execute();
    expect(vms.every((v) => v.endpoint_id === good.id)).toBe(true);
    expect(vms).toHaveLength(3);

    // The collector got the opened password and was disposed both times.
    expect(double.targets.find((t) => t.name === 'good')?.password).toBe('pw-good');
    expect(double.disposed.sort()).toEqual(['bad', 'good']);

    // Real phases and counts, then inventory:changed.
    const phases = h.events
      .filter(
        (e) =>
          e.name === 'sync:progress' && (e.payload as SyncProgressEvent).endpointId === good.id,
      )
      .map((e) => (e.payload as SyncProgressEvent).phase);
    expect(phases).toEqual(['queued', 'connect', 'login', 'vm', 'vm', 'write', 'done']);
    expect(h.events.find((e) => e.name === 'inventory:changed')?.payload).toMatchObject({
      endpointId: good.id,
      created: 4,
    });

    const list = await h.call('endpoints:list', {});
    const badDto = list.find((e) => e.name === 'bad');
    expect(badDto?.status).toMatchObject({
      lastStatus: 'failed',
      consecutiveFailures: 1,
      lastError: { code: 'CONNECTION_REFUSED' },
    });
    expect(list.find((e) => e.name === 'good')?.status).toMatchObject({
      lastStatus: 'succeeded',
      stale: false,
    });
  });

  it('refuses a second sync of a running endpoint and cancels on request', async () => {
    const double = createCollectorDouble({ kind: 'hang' });
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
    });
    const ep = await add(h, 'slow');
    await h.call('sync:start', { ids: [ep.id] });
    const again = await h.call('sync:start', { ids: [ep.id] });
    expect(again).toEqual({ started: [], alreadyRunning: ['slow'] });
    expect((await h.call('endpoints:list', {}))[0]?.status.running).toBe(true);
    // Cancelled once connected and collecting (before that there is no collector to dispose:
    // on PostgreSQL the lock and the team key's check take a few round trips first).
    await vi.waitFor(() => expect(double.stats.running).toBe(1), { timeout: 10_000 });
    expect(await h.call('sync:cancel', { id: ep.id })).toEqual({ cancelled: true });
    const [done] = await h.finished([ep.id]);
    expect(done?.state).toBe('cancelled');
    const run = await h.core.store.db.selectFrom('sync_run').selectAll().executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'cancelled', error_code: 'CANCELLED' });
    expect(double.disposed).toEqual(['slow']);
  });

  it('marks the credential for re-entry when another vault sealed it, and says what to do', async () => {
    const double = createCollectorDouble();
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
    });
    const ep = await add(h, 'vc');
    await h.core.store.db
      .updateTable('credential')
      .set({ backend: 'safeStorage:kwallet6' })
      .execute();
    await h.call('sync:start', { ids: [ep.id] });
    const [done] = await h.finished([ep.id]);
    expect(done?.error?.code).toBe('VAULT_UNAVAILABLE');
    expect(done?.error?.message).toContain('--password-env');
    const [dto] = await h.call('endpoints:list', {});
    expect(dto?.credential).toBe('reenter');
    expect(double.targets).toHaveLength(0); // never connected
  });

  it('follows incremental updates and falls back to a full collection when the stream breaks', async () => {
    const double = createCollectorDouble({ kind: 'ok', vms: 1 });
    const storeKey = { key: randomBytes(32), source: 'test key' };
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
      storeKey,
    });
    // The vault the core sealed the password with (a team store's key, as core.ts chooses).
    const vault = engine === 'postgres' ? teamKeyVault(storeKey) : keyFileVault(h.dir);
    const ep = await add(h, 'vc');
    double.deltas.set('vc', {
      deltas: [
        {
          upserts: [
            { type: 'vm', id: 'vm-9', name: 'new-vm', fields: { powerState: 'poweredOff' } },
          ],
          removals: [{ type: 'vm', id: 'vm-1' }],
        },
      ],
      breakAfter: true,
    });
    const controller = new AbortController();
    const db = h.core.store.db;
    const session = runSync(
      {
        db,
        vault,
        events: h.core.events,
        log: silentLogger(),
        now: () => new Date(),
        collectors: { vcenter: double.factory },
      },
      ep.id,
      { signal: controller.signal, watch: true },
    );
    // Wait until the second watch session is open (after the fallback full collection).
    await vi.waitFor(
      async () => {
        const n = await db
          .selectFrom('sync_run')
          .select('id')
          .where('mode', '=', 'incremental')
          .execute();
        expect(n).toHaveLength(2);
      },
      { timeout: 10_000, interval: 5 },
    );
    controller.abort();
    const outcome = await session;
    expect(outcome.status).toBe('succeeded');
    const runs = await db
      .selectFrom('sync_run')
      .select(['mode', 'status', 'created', 'deleted', 'error_code'])
      .orderBy('id')
      .execute();
    expect(runs).toEqual([
      { mode: 'full', status: 'succeeded', created: 2, deleted: 0, error_code: null },
      {
        mode: 'incremental',
        status: 'failed',
        created: 1,
        deleted: 1,
        error_code: 'CONNECTION_LOST',
      },
      { mode: 'full', status: 'succeeded', created: 1, deleted: 1, error_code: null },
      { mode: 'incremental', status: 'succeeded', created: 1, deleted: 1, error_code: null },
    ]);
    expect(double.targets).toHaveLength(1); // one collector (one login) for the whole session
    expect(double.disposed).toEqual(['vc']);
  });

  it('fails with CREDENTIALS_REQUIRED when no password is stored', async () => {
    const double = createCollectorDouble();
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
    });
    const ep = await h.call('endpoints:add', {
      name: 'nopw',
      kind: 'vcenter',
      host: 'h',
      username: 'u',
    });
    await h.call('sync:start', { ids: [ep.id] });
    const [done] = await h.finished([ep.id]);
    expect(done?.error?.code).toBe('CREDENTIALS_REQUIRED');
  });

  it('marks data stale once the last good sync is older than three intervals', async () => {
    let now = new Date('2026-11-24T08:00:00Z');
    const double = createCollectorDouble();
    h = await makeCore({
      collectors: { vcenter: double.factory },
      now: () => now,
      store: await testStoreLocation(engine),
    });
    const ep = await h.call('endpoints:add', {
      name: 'vc',
      kind: 'vcenter',
      host: 'h',
      username: 'u',
      password: 'p',
      pollIntervalSeconds: 60,
    });
    await h.call('sync:start', { ids: [ep.id] });
    await h.finished([ep.id]);
    now = new Date(now.getTime() + 179_000);
    expect((await h.call('endpoints:list', {}))[0]?.status.stale).toBe(false);
    now = new Date(now.getTime() + 2_000);
    expect((await h.call('endpoints:list', {}))[0]?.status.stale).toBe(true);
  });
});
