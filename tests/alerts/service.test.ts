import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AlertsRaisedEvent } from '../../src/shared/alerts.js';
import { AppError } from '../../src/shared/errors.js';
import { run as alertsCli } from '../../src/cli/commands/alerts.js';
import { createAlertsCapability } from '../../src/core/alerts/service.js';
import { createEventHub } from '../../src/core/contract/handlers.js';
import { silentLogger } from '../../src/core/logger.js';
import { createMetricsCapability } from '../../src/core/metrics/service.js';
import { metricsDb } from '../../src/core/metrics/tables.js';
import { writeSamples } from '../../src/core/inventory/writer.js';
import type { Timers } from '../../src/core/sync/timers.js';
import type { Store } from '../../src/core/store/sqlite.js';
import { cliContext } from '../doubles/cli-context.js';
import { createCollectorDouble } from '../doubles/collector-double.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, openTestStore, testStoreLocation } from '../helpers/store.js';

/** A hand-driven clock: timers fire only when the test says so. */
function manualTimers(
  start: Date,
): Timers & { fire(): void; pending(): number; set(d: Date): void } {
  let now = start.getTime();
  let queue: { fn: () => void; at: number }[] = [];
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const t = { fn, at: now + ms };
      queue.push(t);
      return t;
    },
    clearTimeout(h) {
      queue = queue.filter((t) => t !== h);
    },
    random: () => 0.5,
    fire() {
      const due = queue.filter((t) => t.at <= now);
      queue = queue.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    pending: () => queue.length,
    set(d) {
      now = d.getTime();
    },
  };
}

afterAll(stopSharedPostgres);

describe.each(ENGINES)('alerts as a core service (%s store)', (engine) => {
  let h: CoreHarness | null = null;
  let store: Store | null = null;
  afterEach(async () => {
    await h?.close();
    await store?.close();
    h = null;
    store = null;
  });

  it('raises "sync failing" on its own after three failed syncs, and the CLI lists and acknowledges it', async () => {
    const double = createCollectorDouble({ kind: 'ok', vms: 2 });
    double.behave('bad', {
      kind: 'fail',
      error: new AppError('CONNECTION_REFUSED', 'bad.example.test refused the connection.'),
    });
    h = await makeCore({
      collectors: { vcenter: double.factory },
      store: await testStoreLocation(engine),
    });
    const ep = await h.call('endpoints:add', {
      name: 'bad',
      kind: 'vcenter',
      host: 'bad.example.test',
      username: 'u',
      password: 'pw',
    });
    for (let i = 0; i < 3; i++) {
      h.events.splice(0);
      await h.call('sync:start', { ids: [ep.id] });
      await h.finished([ep.id]);
    }
    // Queued behind the evaluation the failed sync triggered.
    expect((await h.call('alerts:evaluate', { endpointId: ep.id })).raised).toBe(0);
    const raised = h.events
      .filter((e) => e.name === 'alerts:raised')
      .map((e) => (e.payload as AlertsRaisedEvent).alerts);
    expect(raised.flat().map((a) => a.rule)).toEqual(['endpoint-sync-failing']);

    const list = cliContext(h.core);
    expect(await alertsCli(list.ctx, ['list'])).toBe(0);
    expect(list.out()).toMatch(/critical\s+active\s+endpoint-sync-failing\s+bad/);
    const [alert] = await h.call('alerts:list', {});
    expect(alert!.message).toBe(
      'Sync of bad failed 3 times in a row: bad.example.test refused the connection.',
    );

    const ack = cliContext(h.core);
    expect(
      await alertsCli(ack.ctx, ['ack', String(alert!.id), '--comment', 'DNS change pending']),
    ).toBe(0);
    expect(ack.out()).toBe('Acknowledged 1 of 1 alert(s).\n');
    const json = cliContext(h.core);
    expect(await alertsCli(json.ctx, ['list', '--json'])).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject([
      {
        id: alert!.id,
        state: 'acknowledged',
        ackComment: 'DNS change pending',
        ackedBy: expect.stringMatching(/^cli:/),
      },
    ]);
    // The query engine reads the same table.
    const q = await h.call('inventory:query', {
      kind: 'alerts',
      where: [{ field: 'state', op: '=', value: 'acknowledged' }],
    });
    expect(q.rows.map((r) => r['rule'])).toEqual(['endpoint-sync-failing']);

    const rules = cliContext(h.core);
    expect(
      await alertsCli(rules.ctx, ['rule', 'endpoint-sync-failing', '--set', 'failures=5']),
    ).toBe(0);
    expect(rules.out()).toBe('endpoint-sync-failing: enabled; failures=5\n');
    expect((await h.call('alerts:evaluate', { endpointId: ep.id })).cleared).toBe(1);
    const bad = cliContext(h.core);
    await expect(alertsCli(bad.ctx, ['ack'])).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('sweeps on its timer for time-based rules, and the metrics pass runs on its own timer', async () => {
    store = await openTestStore(engine);
    const ep = await addEndpoint(store.db);
    const created = await store.db
      .selectFrom('endpoint')
      .select('created_at')
      .executeTakeFirstOrThrow();
    const start = new Date(created.created_at);
    const timers = manualTimers(start);
    const now = (): Date => new Date(timers.now());
    const events = createEventHub(silentLogger());
    const metrics = createMetricsCapability({
      db: store.db,
      log: silentLogger(),
      now,
      timers,
      passIntervalMs: 300_000,
    });
    const alerts = createAlertsCapability({
      db: store.db,
      events,
      log: silentLogger(),
      now,
      timers,
      sweepIntervalMs: 300_000,
      beforeEvaluate: () => metrics.drain(),
    });
    const raised: string[] = [];
    events.subscribe((name, payload) => {
      if (name === 'alerts:raised')
        raised.push(...(payload as AlertsRaisedEvent).alerts.map((a) => a.rule));
    });
    metrics.start();
    alerts.start();
    expect(timers.pending()).toBe(2);
    await writeSamples(store.db, ep, [
      { entityType: 'vm', entityId: 'vm-1', at: start.toISOString(), cpuMhz: 100 },
    ]);

    // The endpoint was created now and has never synced: stale after an hour.
    timers.set(new Date(start.getTime() + 30 * 60_000));
    timers.fire();
    await alerts.idle();
    await metrics.pass();
    expect(raised).toEqual([]);
    timers.set(new Date(start.getTime() + 65 * 60_000));
    timers.fire();
    await alerts.idle();
    expect(raised).toEqual(['endpoint-stale']);
    // The drain before evaluation and the timed pass moved and rolled up the sample.
    await metrics.pass();
    const hourly = await metricsDb(store.db)
      .selectFrom('metric_hourly')
      .select(['t', 'n'])
      .execute();
    expect(hourly).toEqual([{ t: Math.floor(start.getTime() / 3_600_000) * 3600, n: 1 }]);
    await alerts.dispose();
    await metrics.dispose();
    expect(timers.pending()).toBe(0);
  });
});
