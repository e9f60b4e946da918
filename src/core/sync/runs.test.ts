import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { addEndpoint, memoryStore } from '../../../tests/helpers/store.js';
import type { Store } from '../store/sqlite.js';
import {
  HEARTBEAT_MS,
  LEASE_MS,
  PROCESS_OWNER,
  keepAlive,
  startRun,
  sweepInterruptedRuns,
} from './runs.js';

/*
 * Two processes share one store (the desktop app and the CLI): a run records its owner and
 * beats while it lasts, so the other process neither starts a second sync of the endpoint nor
 * mistakes a crashed process's run for a live one.
 */
const T0 = new Date('2026-11-24T08:00:00Z');
const later = (ms: number): Date => new Date(T0.getTime() + ms);

describe('run ownership', () => {
  let store: Store;
  let ep: number;
  beforeEach(async () => {
    store = await memoryStore();
    ep = await addEndpoint(store.db, 'vc1');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });
  const rows = () => store.db.selectFrom('sync_run').selectAll().orderBy('id').execute();

  it('refuses a second process while the first one is alive, and inserts nothing', async () => {
    await startRun(store.db, ep, 'full', T0, 'host-a:100:aa');
    const err = await startRun(store.db, ep, 'full', later(LEASE_MS - 1000), 'host-b:200:bb').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CONFLICT');
    expect((err as AppError).message).toContain('pid 100');
    expect(await rows()).toHaveLength(1);
    // Another endpoint is not affected.
    const other = await addEndpoint(store.db, 'vc2');
    await expect(
      startRun(store.db, other, 'full', later(1), 'host-b:200:bb'),
    ).resolves.toBeGreaterThan(0);
  });

  it('takes over from a process that stopped beating, closing its run as interrupted', async () => {
    const dead = await startRun(store.db, ep, 'full', T0, 'host-a:100:aa');
    const mine = await startRun(store.db, ep, 'full', later(LEASE_MS + 1), 'host-b:200:bb');
    const [old, fresh] = await rows();
    expect(old).toMatchObject({ id: dead, status: 'failed', error_code: 'INTERRUPTED' });
    expect(old?.ended_at).toBe(later(LEASE_MS + 1).toISOString());
    expect(fresh).toMatchObject({ id: mine, status: 'running', owner: 'host-b:200:bb' });
  });

  it('lets a process run its own watch session beside its own full run', async () => {
    await startRun(store.db, ep, 'incremental', T0, PROCESS_OWNER);
    await expect(startRun(store.db, ep, 'full', later(10), PROCESS_OWNER)).resolves.toBeGreaterThan(
      0,
    );
  });

  it('a heartbeat keeps the lease; without it the run is swept at start-up', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let now = T0;
    const id = await startRun(store.db, ep, 'full', T0, 'host-a:100:aa');
    const stop = keepAlive(store.db, id, () => now);
    now = later(HEARTBEAT_MS * 5);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    await vi.waitFor(async () => expect((await rows())[0]?.heartbeat_at).toBe(now.toISOString()));
    stop();
    // Alive by its heartbeat though started long ago: the sweep leaves it.
    expect(await sweepInterruptedRuns(store.db, later(HEARTBEAT_MS * 5 + LEASE_MS - 1), 'x')).toBe(
      0,
    );
    expect(await sweepInterruptedRuns(store.db, later(HEARTBEAT_MS * 5 + LEASE_MS), 'x')).toBe(1);
    expect((await rows())[0]).toMatchObject({ status: 'failed', error_code: 'INTERRUPTED' });
    // The sweeping process's own runs are never swept.
    await startRun(store.db, ep, 'full', T0, 'x');
    expect(await sweepInterruptedRuns(store.db, later(10 * LEASE_MS), 'x')).toBe(0);
  });
});

describe('the sync engine and another process', () => {
  let h: CoreHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('reports CONFLICT while another process syncs the endpoint, and syncs once it is gone', async () => {
    const double = createCollectorDouble({ kind: 'ok', vms: 2 });
    h = await makeCore({ collectors: { vcenter: double.factory } });
    const { id } = await h.call('endpoints:add', {
      name: 'vc1',
      kind: 'vcenter',
      host: 'vc1.example.test',
      username: 'admin',
      password: 'pw',
    });
    // The other process's run, beating now.
    const now = new Date().toISOString();
    await h.core.store.db
      .insertInto('sync_run')
      .values({
        endpoint_id: id,
        mode: 'full',
        status: 'running',
        started_at: now,
        heartbeat_at: now,
        owner: 'elsewhere:4242:ff',
      })
      .execute();
    await h.call('sync:start', { ids: [id] });
    const [blocked] = await h.finished([id]);
    expect(blocked).toMatchObject({ state: 'failed', error: { code: 'CONFLICT' } });
    expect(blocked?.error?.message).toContain('pid 4242');
    expect(await h.core.store.db.selectFrom('vm').select('id').execute()).toHaveLength(0);

    // It stopped beating two minutes ago: the next sync closes its run and goes ahead.
    const old = new Date(Date.now() - 2 * LEASE_MS).toISOString();
    await h.core.store.db.updateTable('sync_run').set({ heartbeat_at: old }).execute();
    h.events.splice(0); // `finished` reports the first terminal event it holds
    await h.call('sync:start', { ids: [id] });
    const [ok] = await h.finished([id]);
    expect(ok?.state).toBe('succeeded');
    const runs = await h.core.store.db.selectFrom('sync_run').selectAll().orderBy('id').execute();
    expect(runs.map((r) => [r.status, r.error_code])).toEqual([
      ['failed', 'INTERRUPTED'],
      ['succeeded', null],
    ]);
    expect(await h.core.store.db.selectFrom('vm').select('id').execute()).toHaveLength(2);
  });
});
