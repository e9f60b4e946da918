import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { addVcenter, makeCore } from '../../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  addEndpoint,
  testStoreLocation,
  twoPostgresProcesses,
} from '../../../tests/helpers/store.js';
import type { HeldLock } from '../store/pg-sessions.js';
import type { Store } from '../store/sqlite.js';
import { openStore } from '../store/sqlite.js';
import { claimEndpoint, lockedEndpoints } from './ownership.js';
import { startRun, sweepInterruptedRuns } from './runs.js';

/*
 * Sync ownership on a PostgreSQL team store: the endpoint's advisory lock, held by one process's
 * lock session for the whole sync. Two stores opened on one database are two processes here:
 * each has its own pool and its own lock session, as separate machines would.
 */

afterAll(stopSharedPostgres);

/** Ends the server sessions of this database named `application_name` (a process dying). */
async function terminate(store: Store, application: string): Promise<number> {
  const r = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND application_name = ${application}`.execute(store.db);
  for (const { pid } of r.rows)
    // Waits (up to 5 s) until the backend has exited, and with it released its locks.
    await sql`SELECT pg_terminate_backend(${pid}, 5000)`.execute(store.db);
  return r.rows.length;
}

const lostReason = (lock: HeldLock): Promise<unknown> =>
  new Promise((resolve) => {
    if (lock.lost.aborted) resolve(lock.lost.reason);
    else lock.lost.addEventListener('abort', () => resolve(lock.lost.reason), { once: true });
  });

describe('sync ownership on a PostgreSQL store', () => {
  let a: Store;
  let b: Store;
  let ep: number;
  beforeEach(async () => {
    [a, b] = await twoPostgresProcesses();
    ep = await addEndpoint(a.db, 'vc1');
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('lets one process hold an endpoint; the other gets CONFLICT naming it until it is released', async () => {
    const held = await claimEndpoint(a.db, { id: ep, name: 'vc1' });
    expect(held).not.toBeNull();
    const runId = await startRun(a.db, ep, 'full', new Date(), 'host-a:100:aa:', true);
    const err = await claimEndpoint(b.db, { id: ep, name: 'vc1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('CONFLICT');
    expect((err as AppError).message).toContain('"vc1"');
    expect((err as AppError).message).toContain(`pid 100 on host-a, run ${runId}`);
    // The same process asking twice is refused too (the server would count a second hold).
    await expect(claimEndpoint(a.db, { id: ep, name: 'vc1' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    // Another endpoint is not affected.
    const other = await addEndpoint(b.db, 'vc2');
    const second = await claimEndpoint(b.db, { id: other, name: 'vc2' });
    expect(second).not.toBeNull();
    expect([...(await lockedEndpoints(b.db))].sort()).toEqual([ep, other].sort());

    await held!.release();
    expect(await lockedEndpoints(b.db)).toEqual(new Set([other]));
    const taken = await claimEndpoint(b.db, { id: ep, name: 'vc1' });
    expect(taken).not.toBeNull();
    await taken!.release();
    await second!.release();
  });

  it('frees the lock when the holding session dies, tells the holder, and the sweep closes its run', async () => {
    const held = (await claimEndpoint(a.db, { id: ep, name: 'vc1' }))!;
    const runId = await startRun(a.db, ep, 'full', new Date(), 'host-a:100:aa:', true);
    // Alive: its run is not swept, though no heartbeat was ever written after the start.
    expect(await sweepInterruptedRuns(b.db, new Date(Date.now() + 3_600_000), 'host-b:1:bb:')).toBe(
      0,
    );

    expect(await terminate(b, 'infrascope locks')).toBe(1);
    const reason = await lostReason(held);
    expect(reason).toBeInstanceOf(AppError);
    expect((reason as AppError).code).toBe('STORE_UNREACHABLE');
    expect(await lockedEndpoints(b.db)).toEqual(new Set());

    // The other process takes over at once: no lease to wait for.
    expect(await sweepInterruptedRuns(b.db, new Date(), 'host-b:1:bb:')).toBe(1);
    const row = await b.db
      .selectFrom('sync_run')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'failed', error_code: 'INTERRUPTED' });
    const taken = await claimEndpoint(b.db, { id: ep, name: 'vc1' });
    expect(taken).not.toBeNull();
    // The dead session's process connects afresh for its next claim.
    await taken!.release();
    const again = await claimEndpoint(a.db, { id: ep, name: 'vc1' });
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('closes a dead holder’s running row when the next owner starts, whatever its heartbeat', async () => {
    const dead = await startRun(a.db, ep, 'full', new Date(), 'elsewhere:4242:ff:');
    const lock = (await claimEndpoint(b.db, { id: ep, name: 'vc1' }))!;
    const mine = await startRun(b.db, ep, 'full', new Date(), 'host-b:1:bb:', true);
    const rows = await b.db.selectFrom('sync_run').selectAll().orderBy('id').execute();
    expect(rows.map((r) => [r.id, r.status, r.error_code])).toEqual([
      [dead, 'failed', 'INTERRUPTED'],
      [mine, 'running', null],
    ]);
    await lock.release();
  });
});

describe('the sync engine on a PostgreSQL store', () => {
  let h: CoreHarness | undefined;
  let other: Store | undefined;
  afterEach(async () => {
    await h?.close();
    await other?.close();
    h = other = undefined;
  });

  it('reports CONFLICT while another process holds the endpoint, syncs once it lets go, and holds it while syncing', async () => {
    const url = (await testStoreLocation('postgres'))!;
    const double = createCollectorDouble({ kind: 'ok', vms: 2 });
    h = await makeCore({ collectors: { vcenter: double.factory }, store: url });
    other = await openStore({ file: url });
    const id = await addVcenter(h);
    const held = (await claimEndpoint(other.db, { id, name: 'vc1' }))!;
    await h.call('sync:start', { ids: [id] });
    const [blocked] = await h.finished([id]);
    expect(blocked).toMatchObject({ state: 'failed', error: { code: 'CONFLICT' } });
    expect(blocked?.error?.message).toContain('"vc1"');
    expect(await h.core.store.db.selectFrom('sync_run').select('id').execute()).toHaveLength(0);
    expect(double.stats.collects).toBe(0);

    await held.release();
    // While the sync collects, this process holds the endpoint's lock.
    double.behave('vc1', { kind: 'hang' });
    h.events.splice(0);
    await h.call('sync:start', { ids: [id] });
    await expect.poll(() => double.stats.running).toBe(1);
    expect(await lockedEndpoints(other.db)).toEqual(new Set([id]));
    await expect(claimEndpoint(other.db, { id, name: 'vc1' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    double.behave('vc1', { kind: 'ok', vms: 2 });
    await h.call('sync:cancel', { id });
    expect((await h.finished([id]))[0]?.state).toBe('cancelled');
    // Released with the run.
    await expect.poll(() => lockedEndpoints(other!.db)).toEqual(new Set());
    h.events.splice(0);
    await h.call('sync:start', { ids: [id] });
    expect((await h.finished([id]))[0]?.state).toBe('succeeded');
    expect(await h.core.store.db.selectFrom('vm').select('id').execute()).toHaveLength(2);
  });
});
