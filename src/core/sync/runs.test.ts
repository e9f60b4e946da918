import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { addVcenter, makeCore } from '../../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  testStoreLocation,
} from '../../../tests/helpers/store.js';
import type { Store } from '../store/sqlite.js';
import type { StoreEngine } from '../store/location.js';
import {
  HEARTBEAT_MS,
  LEASE_MS,
  PROCESS_OWNER,
  keepAlive,
  ownerIsGone,
  processStartTime,
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

afterAll(stopSharedPostgres);

/** The store and endpoint of the test running now (see useRunStore). */
let store: Store;
let ep: number;
const rows = () => store.db.selectFrom('sync_run').selectAll().orderBy('id').execute();

/** A fresh store on `engine` with one endpoint for each test of the calling describe. */
function useRunStore(engine: StoreEngine): void {
  beforeEach(async () => {
    store = await openTestStore(engine);
    ep = await addEndpoint(store.db, 'vc1');
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });
}

describe.each(ENGINES)('on a %s store', (engine) => {
  describe('run ownership', () => {
    useRunStore(engine);

    it('refuses a second process while the first one is alive, and inserts nothing', async () => {
      await startRun(store.db, ep, 'full', T0, 'host-a:100:aa');
      const err = await startRun(
        store.db,
        ep,
        'full',
        later(LEASE_MS - 1000),
        'host-b:200:bb',
      ).catch((e: unknown) => e);
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
      await expect(
        startRun(store.db, ep, 'full', later(10), PROCESS_OWNER),
      ).resolves.toBeGreaterThan(0);
    });

    /** The pid of a process that has exited (pids are not reused that fast). */
    const deadPid = (): number => {
      const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
      return Number(r.stdout.toString());
    };

    it("records host, pid and start time in this process's owner", () => {
      const [host, pid, nonce, start] = PROCESS_OWNER.split(':');
      expect(host).toBe(hostname());
      expect(Number(pid)).toBe(process.pid);
      expect(nonce).toMatch(/^[0-9a-f]{8}$/);
      expect(start).toBe(processStartTime(process.pid) ?? '');
      expect(ownerIsGone(PROCESS_OWNER)).toBe(false);
    });

    it('takes over at once from a process of this host that no longer exists', async () => {
      const gone = `${hostname()}:${deadPid()}:aa:`;
      expect(ownerIsGone(gone)).toBe(true);
      const dead = await startRun(store.db, ep, 'full', T0, gone);
      // One second later, well inside the lease.
      const mine = await startRun(store.db, ep, 'full', later(1000), PROCESS_OWNER);
      const all = await store.db.selectFrom('sync_run').selectAll().orderBy('id').execute();
      expect(all.map((r) => [r.id, r.status, r.error_code])).toEqual([
        [dead, 'failed', 'INTERRUPTED'],
        [mine, 'running', null],
      ]);
    });

    it('takes over from a live pid whose start time differs (the pid was reused)', async () => {
      const start = processStartTime(process.pid);
      // Only where the platform tells start times (Linux /proc); elsewhere liveness alone decides.
      expect(start === null ? process.platform !== 'linux' : /^\d+$/.test(start)).toBe(true);
      if (start === null) return;
      const reused = `${hostname()}:${process.pid}:bb:${Number(start) - 1}`;
      expect(ownerIsGone(reused)).toBe(true);
      await startRun(store.db, ep, 'full', T0, reused);
      await expect(
        startRun(store.db, ep, 'full', later(1000), PROCESS_OWNER),
      ).resolves.toBeGreaterThan(0);
    });

    it('refuses while a live process of this host with the same start time syncs', async () => {
      // The parent of this test process: alive, on this host.
      const parent = `${hostname()}:${process.ppid}:cc:${processStartTime(process.ppid) ?? ''}`;
      expect(ownerIsGone(parent)).toBe(false);
      await startRun(store.db, ep, 'full', T0, parent);
      const err = await startRun(store.db, ep, 'full', later(1000), PROCESS_OWNER).catch(
        (e: unknown) => e,
      );
      expect((err as AppError).code).toBe('CONFLICT');
    });

    it("leaves owners on other hosts, and a dead pid's run swept at start-up, to their rules", async () => {
      expect(ownerIsGone(`not-${hostname()}:${deadPid()}:dd:1`)).toBe(false);
      expect(ownerIsGone('x')).toBe(false);
      expect(ownerIsGone(null)).toBe(false);
      await startRun(store.db, ep, 'full', T0, `${hostname()}:${deadPid()}:ee:`);
      expect(await sweepInterruptedRuns(store.db, later(1000))).toBe(1);
    });
  });
});

/*
 * Liveness by heartbeat is SQLite's: on PostgreSQL the endpoint's advisory lock says who syncs
 * and a dead owner's lock is gone at once (ownership.test.ts).
 */
describe('on a sqlite store, the lease', () => {
  const engine = 'sqlite';
  describe('run ownership', () => {
    useRunStore(engine);

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
      expect(
        await sweepInterruptedRuns(store.db, later(HEARTBEAT_MS * 5 + LEASE_MS - 1), 'x'),
      ).toBe(0);
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
      h = await makeCore({
        collectors: { vcenter: double.factory },
        store: await testStoreLocation(engine),
      });
      const id = await addVcenter(h);
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
});
