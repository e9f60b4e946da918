import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { twoPostgresProcesses } from '../../../tests/helpers/store.js';
import { lockSessionOf } from './pg-sessions.js';
import type { Store } from './sqlite.js';

/*
 * The process's lock session on a PostgreSQL store, claimed by several syncs at once (`sync` of
 * every endpoint starts them together): its one connection takes one query at a time, and a key
 * claimed twice at once is held once.
 */

afterAll(stopSharedPostgres);

const NS = 0x7e57;

describe('the lock session of a PostgreSQL store', () => {
  let stores: Store[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const s of stores) await s.close();
    stores = [];
  });

  it('sends concurrent claims one after another on its connection', async () => {
    const [a, b] = await twoPostgresProcesses();
    stores = [a, b];
    // Queries a client was given before the previous one settled: pg 8 queues them with a
    // deprecation warning, pg 9 refuses them.
    const busy = new Set<pg.Client>();
    let overlapping = 0;
    const query = pg.Client.prototype.query;
    function counted(this: pg.Client, ...args: unknown[]): unknown {
      if (busy.has(this)) overlapping++;
      busy.add(this);
      const r = (query as (...x: unknown[]) => Promise<unknown>).apply(this, args);
      return r.finally(() => busy.delete(this));
    }
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(counted as never);

    const session = lockSessionOf(a.db);
    const locks = await Promise.all([1, 2, 3, 4].map((key) => session.tryLock(NS, key)));
    expect(locks.every((l) => l !== null)).toBe(true);
    await Promise.all(locks.map((l) => l!.release()));
    expect(overlapping).toBe(0);
    // Released on the server: the other process takes every key.
    const other = lockSessionOf(b.db);
    for (const key of [1, 2, 3, 4]) expect(await other.tryLock(NS, key)).not.toBeNull();
  });

  it('holds a key claimed twice at once once, and frees it on release', async () => {
    const [a, b] = await twoPostgresProcesses();
    stores = [a, b];
    const session = lockSessionOf(a.db);
    const claims = await Promise.all([session.tryLock(NS, 9), session.tryLock(NS, 9)]);
    const won = claims.filter((l) => l !== null);
    expect(won).toHaveLength(1);
    expect(await lockSessionOf(b.db).tryLock(NS, 9)).toBeNull();
    await won[0]!.release();
    // Session locks stack: a second grant on the server would still hold it after one unlock.
    expect(await lockSessionOf(b.db).tryLock(NS, 9)).not.toBeNull();
  });
});
