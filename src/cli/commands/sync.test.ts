import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { STORE_FILE, openStore } from '../../core/store/sqlite.js';
import { AppError } from '../../shared/errors.js';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import { cliContext } from '../../../tests/doubles/cli-context.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../../../tests/helpers/store.js';
import type { StoreEngine } from '../../core/store/location.js';
import { run as sync } from './sync.js';
import { run as watch } from './watch.js';

let h: CoreHarness | undefined;
/** The test's PostgreSQL database, or undefined on SQLite (in memory, or the data dir's file). */
let location: string | undefined;
afterAll(stopSharedPostgres);
afterEach(async () => {
  vi.useRealTimers();
  await h?.close();
  h = undefined;
});

async function withEndpoints(
  engine: StoreEngine,
  names: string[],
  double = createCollectorDouble({ kind: 'ok', vms: 2 }),
  memory = true,
): Promise<CoreHarness> {
  location = await testStoreLocation(engine);
  const c = await makeCore({ collectors: { vcenter: double.factory }, memory, store: location });
  for (const name of names) {
    await c.call('endpoints:add', {
      name,
      kind: 'vcenter',
      host: `${name}.corp`,
      username: 'u',
      password: 'p',
      pollIntervalSeconds: 60,
    });
  }
  return c;
}

describe.each(ENGINES)('on a %s store', (engine) => {
  describe('infrascope sync', () => {
    it('exits 0 when all succeed, printing each outcome and progress on stderr', async () => {
      h = await withEndpoints(engine, ['a', 'b']);
      const c = cliContext(h.core);
      expect(await sync(c.ctx, [])).toBe(0);
      expect(c.out()).toMatch(/✓ a: synced 3 objects \(3 new, 0 changed, 0 gone\)/);
      expect(c.out()).toMatch(/✓ b: synced 3 objects/);
      expect(c.err()).toMatch(/a: vm 2\/2/);
      expect(c.err()).toMatch(/b: succeeded/);
    });

    it('exits 1 on partial success and keeps what succeeded', async () => {
      const double = createCollectorDouble({ kind: 'ok', vms: 2 });
      double.behave('bad', {
        kind: 'fail',
        error: new AppError('INVALID_LOGIN', 'bad.corp rejected the user name or password.'),
      });
      h = await withEndpoints(engine, ['good', 'bad'], double);
      const c = cliContext(h.core);
      expect(await sync(c.ctx, ['--json'])).toBe(1);
      const outcomes = JSON.parse(c.out()) as {
        endpoint: string;
        status: string;
        seen: number | null;
        error: { code: string } | null;
      }[];
      expect(outcomes.find((o) => o.endpoint === 'good')).toMatchObject({
        status: 'succeeded',
        seen: 3,
        error: null,
      });
      expect(outcomes.find((o) => o.endpoint === 'bad')).toMatchObject({
        status: 'failed',
        error: { code: 'INVALID_LOGIN' },
      });
      expect(await h.core.store.db.selectFrom('vm').selectAll().execute()).toHaveLength(2);
      // Only the named endpoint, by name.
      const one = cliContext(h.core);
      expect(await sync(one.ctx, ['good'])).toBe(0);
      expect(one.out()).not.toContain('bad');
    });

    it('draws a progress bar on a terminal', async () => {
      h = await withEndpoints(engine, ['a']);
      const c = cliContext(h.core, { isTTY: true });
      expect(await sync(c.ctx, [])).toBe(0);
      expect(c.err()).toMatch(/\[#{20}\] 1\/1/);
    });

    it('cancels running syncs on SIGINT and exits 1', async () => {
      h = await withEndpoints(engine, ['slow'], createCollectorDouble({ kind: 'hang' }));
      const c = cliContext(h.core);
      const done = sync(c.ctx, []);
      await vi.waitFor(() => expect(c.err()).toContain('slow: login'), { timeout: 10_000 });
      c.interrupt();
      expect(await done).toBe(1);
      expect(c.out()).toContain('- slow: cancelled');
    });

    it('says so when there is nothing to sync', async () => {
      h = await makeCore({ store: await testStoreLocation(engine) });
      const c = cliContext(h.core);
      expect(await sync(c.ctx, [])).toBe(0);
      expect(c.err()).toContain('No enabled endpoints');
    });
  });

  describe('infrascope watch', () => {
    it('runs the scheduler until interrupted, then stops cleanly', async () => {
      const double = createCollectorDouble({ kind: 'ok', vms: 1 });
      h = await withEndpoints(engine, ['a'], double, false);
      // After the store opened: the fakes then also hold the pg pool's idle timers (10 s), which
      // this test does not advance to.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      const c = cliContext(h.core);
      const done = watch(c.ctx, ['a']);
      // Said once the scheduler has planned (on PostgreSQL after real round trips).
      await vi.waitFor(() => expect(c.err()).toContain('Watching a.'), { timeout: 5_000 });
      await vi.advanceTimersByTimeAsync(6_000); // first run within the stagger window
      await vi.waitFor(() => expect(c.err()).toContain('a: succeeded'), { timeout: 5_000 });
      c.interrupt();
      expect(await done).toBe(0);
      expect(c.err()).toContain('Stopped.');
      // watch disposed the core; read what it committed from the store.
      const store = await openStore({ file: location ?? join(h.dir, STORE_FILE) });
      const runs = await store.db
        .selectFrom('sync_run')
        .select(['endpoint_id', 'mode', 'status'])
        .orderBy('id')
        .execute();
      // The full run, then the update session that the stop ended.
      expect(runs).toEqual([
        { endpoint_id: 1, mode: 'full', status: 'succeeded' },
        { endpoint_id: 1, mode: 'incremental', status: 'succeeded' },
      ]);
      await store.close();
      expect(double.disposed).toEqual(['a']);
    });
  });
});
