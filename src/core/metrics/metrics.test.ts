import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageSample } from '../../shared/entities.js';
import { writeSamples } from '../inventory/writer.js';
import {
  DEFAULT_RETENTION,
  drainSamples,
  metricsPass,
  prune,
  rollupClosed,
  rollupHour,
} from './rollup.js';
import { readSeries } from './series.js';
import { metricsDb } from './tables.js';
import { staticMigrationProvider } from '../store/migrations/index.js';
import { pgMigrationProvider } from '../store/migrations-pg/index.js';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/sqlite.js';
import { sharedPostgres, stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  testStoreLocation,
} from '../../../tests/helpers/store.js';

const vm = (at: string, cpuMhz: number | null, memoryBytes: number | null = null): UsageSample => ({
  entityType: 'vm',
  entityId: 'vm-1',
  at,
  cpuMhz,
  memoryBytes,
});

const epoch = (iso: string): number => Date.parse(iso) / 1000;

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  describe('metrics rollups', () => {
    let store: Store;
    let ep: number;
    beforeEach(async () => {
      store = await openTestStore(engine);
      ep = await addEndpoint(store.db);
    });
    afterEach(async () => {
      await store.close();
    });

    const hourly = async (): Promise<
      { t: number; n: number; cpu_avg: number | null; cpu_max: number | null }[]
    > =>
      metricsDb(store.db)
        .selectFrom('metric_hourly')
        .select(['t', 'n', 'cpu_avg', 'cpu_max'])
        .orderBy('t')
        .execute();

    it('averages and peaks each UTC hour separately, whatever offset the samples were stamped in', async () => {
      // 10:50Z, 10:55Z (as 12:55+02:00), 11:00Z exactly (belongs to 11:00), 11:59Z, 12:00Z.
      await writeSamples(store.db, ep, [
        vm('2026-03-01T10:50:00Z', 100),
        vm('2026-03-01T12:55:00+02:00', 300),
        vm('2026-03-01T11:00:00Z', 1000),
        vm('2026-03-01T06:59:30-05:00', 2000),
        vm('2026-03-01T12:00:00Z', 50),
      ]);
      expect(await drainSamples(store.db)).toBe(5);
      // At 12:30 only hours 10 and 11 have closed.
      const r = await rollupClosed(store.db, new Date('2026-03-01T12:30:00Z'));
      expect(r.hours).toBe(2);
      expect(await hourly()).toEqual([
        { t: epoch('2026-03-01T10:00:00Z'), n: 2, cpu_avg: 200, cpu_max: 300 },
        { t: epoch('2026-03-01T11:00:00Z'), n: 2, cpu_avg: 1500, cpu_max: 2000 },
      ]);
    });

    it('leaves gaps as gaps and weights daily averages by samples per hour', async () => {
      // Day 1: hour 22 has 3 samples of 10, hour 23 one sample of 50; nothing in between hours.
      // Day 2 (after midnight UTC) is a separate day.
      await writeSamples(store.db, ep, [
        vm('2026-03-01T22:00:00Z', 10),
        vm('2026-03-01T22:20:00Z', 10),
        vm('2026-03-01T22:40:00Z', 10),
        vm('2026-03-01T23:59:59Z', 50),
        vm('2026-03-02T00:00:00Z', 7),
        vm('2026-03-02T03:00:00Z', 9),
      ]);
      await drainSamples(store.db);
      const r = await rollupClosed(store.db, new Date('2026-03-03T01:00:00Z'));
      expect(r).toEqual({ hours: 4, days: 2 });
      expect((await hourly()).map((h) => new Date(h.t * 1000).toISOString())).toEqual([
        '2026-03-01T22:00:00.000Z',
        '2026-03-01T23:00:00.000Z',
        '2026-03-02T00:00:00.000Z',
        '2026-03-02T03:00:00.000Z',
      ]);
      const daily = await metricsDb(store.db)
        .selectFrom('metric_daily')
        .select(['t', 'n', 'cpu_avg', 'cpu_max'])
        .orderBy('t')
        .execute();
      // (3×10 + 50) / 4 = 20, not the mean of hourly means (30).
      expect(daily).toEqual([
        { t: epoch('2026-03-01T00:00:00Z'), n: 4, cpu_avg: 20, cpu_max: 50 },
        { t: epoch('2026-03-02T00:00:00Z'), n: 2, cpu_avg: 8, cpu_max: 9 },
      ]);
    });

    it('does not roll up a day while one of its hours is still pending', async () => {
      await writeSamples(store.db, ep, [vm('2026-03-01T23:30:00Z', 10)]);
      await drainSamples(store.db);
      // 23:59: hour 23 not closed, so neither is the day.
      expect(await rollupClosed(store.db, new Date('2026-03-01T23:59:00Z'))).toEqual({
        hours: 0,
        days: 0,
      });
      expect(await rollupClosed(store.db, new Date('2026-03-02T00:00:00Z'))).toEqual({
        hours: 1,
        days: 1,
      });
    });

    it('recomputes an hour that receives late samples', async () => {
      await writeSamples(store.db, ep, [vm('2026-03-01T10:10:00Z', 100)]);
      await metricsPass(store.db, { now: new Date('2026-03-01T11:05:00Z') });
      expect((await hourly())[0]).toMatchObject({ n: 1, cpu_avg: 100 });
      await writeSamples(store.db, ep, [vm('2026-03-01T10:40:00Z', 300)]);
      await metricsPass(store.db, { now: new Date('2026-03-01T11:10:00Z') });
      expect(await hourly()).toEqual([
        { t: epoch('2026-03-01T10:00:00Z'), n: 2, cpu_avg: 200, cpu_max: 300 },
      ]);
    });

    it('prunes by retention per table', async () => {
      const now = new Date('2026-06-01T00:30:00Z');
      const samples: UsageSample[] = [];
      // One sample a day for 100 days before `now`.
      for (let d = 1; d <= 100; d++)
        samples.push(vm(new Date(now.getTime() - d * 86_400_000).toISOString(), d));
      await writeSamples(store.db, ep, samples);
      await metricsPass(store.db, {
        now,
        retention: { rawDays: 7, hourlyDays: 30, dailyDays: 60 },
      });
      const rows = async (
        table: 'metric_raw' | 'metric_hourly' | 'metric_daily',
      ): Promise<{ n: number; since: number; oldest: string }> => {
        const r = (
          await sql<{ n: number; since: number; oldest: number }>`
            SELECT count(*) AS n, min(t) AS oldest,
                   count(CASE WHEN t >= ${epoch(CUTOFF[table])} THEN 1 END) AS since
            FROM ${sql.table(table)}`.execute(store.db)
        ).rows[0]!;
        return {
          n: Number(r.n),
          since: Number(r.since),
          oldest: new Date(Number(r.oldest) * 1000).toISOString(),
        };
      };
      // Every point inside the window stays, on both engines. SQLite deletes exactly what is
      // older; PostgreSQL drops whole partitions, so the partition the cutoff falls in stays
      // whole: raw's day (it starts at midnight, before the 00:30 cutoff, and its only point is
      // the 00:30 one), hourly's week from Monday 27 April, daily's month of April.
      const CUTOFF = {
        metric_raw: '2026-05-25T00:30:00.000Z',
        metric_hourly: '2026-05-02T00:00:00.000Z',
        metric_daily: '2026-04-02T00:00:00.000Z',
      };
      const OLDEST =
        engine === 'sqlite'
          ? CUTOFF
          : {
              metric_raw: '2026-05-25T00:30:00.000Z',
              metric_hourly: '2026-04-27T00:00:00.000Z',
              metric_daily: '2026-04-01T00:00:00.000Z',
            };
      expect(await rows('metric_raw')).toEqual({ n: 7, since: 7, oldest: OLDEST.metric_raw });
      expect(await rows('metric_hourly')).toEqual({
        n: engine === 'sqlite' ? 30 : 35,
        since: 30,
        oldest: OLDEST.metric_hourly,
      });
      expect(await rows('metric_daily')).toEqual({
        n: engine === 'sqlite' ? 60 : 61,
        since: 60,
        oldest: OLDEST.metric_daily,
      });
      // Idempotent.
      expect(await prune(store.db, now, { rawDays: 7, hourlyDays: 30, dailyDays: 60 })).toBe(0);
      expect(DEFAULT_RETENTION).toEqual({ rawDays: 7, hourlyDays: 90, dailyDays: 730 });
    });

    it('drains in small batches and empties the inbox', async () => {
      const samples: UsageSample[] = [];
      for (let i = 0; i < 250; i++)
        samples.push({ ...vm('2026-03-01T10:00:00Z', i), entityId: `vm-${i}` });
      await writeSamples(store.db, ep, samples);
      expect(await drainSamples(store.db, { batch: 40 })).toBe(250);
      const left = await store.db
        .selectFrom('sample')
        .select(({ fn }) => fn.countAll<number>().as('n'))
        .executeTakeFirst();
      expect(Number(left?.n)).toBe(0);
      const series = await metricsDb(store.db).selectFrom('metric_series').select('id').execute();
      expect(series).toHaveLength(250);
      // Rolled up 40 series per transaction: every series gets its hour, each with its own value.
      await rollupHour(store.db, epoch('2026-03-01T10:00:00Z'), 40);
      const rows = await metricsDb(store.db)
        .selectFrom('metric_hourly')
        .select(['cpu_max'])
        .execute();
      expect(rows.map((r) => r.cpu_max).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        Array.from({ length: 250 }, (_, i) => i),
      );
    });

    it('reads the resolution the range asks for, with the unrolled tail and the inbox', async () => {
      const now = new Date('2026-03-10T12:07:00Z');
      const samples: UsageSample[] = [];
      // Every 5 minutes for 3 days, CPU = 100 × the hour of day, so hourly avg = max = 100 × hour.
      // (Rollups store averages rounded to whole units — MHz, bytes — to keep rows small.)
      for (let t = now.getTime() - 3 * 86_400_000; t <= now.getTime() - 10 * 60_000; t += 300_000) {
        samples.push(vm(new Date(t).toISOString(), 100 * new Date(t).getUTCHours(), 2 ** 30));
      }
      await writeSamples(store.db, ep, samples);
      await metricsPass(store.db, { now: new Date('2026-03-10T10:30:00Z') });
      // Written after the pass: still in the inbox.
      await writeSamples(store.db, ep, [vm('2026-03-10T12:05:00Z', 1200, 2 ** 30)]);
      const key = { endpointId: ep, entityType: 'vm' as const, entityId: 'vm-1' };

      const day = await readSeries(store.db, key, '24h', now);
      expect(day.resolution).toBe('raw');
      // 12:07 yesterday to 11:57 today every 5 minutes (287), plus the inbox sample.
      expect(day.points.length).toBe(288);
      expect(day.points.at(-1)).toMatchObject({ at: '2026-03-10T12:05:00.000Z', cpuMhzAvg: 1200 });

      const week = await readSeries(store.db, key, '7d', now);
      expect(week.resolution).toBe('hourly');
      // Hours 12:00 on the 7th to 12:00 on the 10th; 11:00 comes from raw, 12:00 from the inbox.
      expect(week.points).toHaveLength(73);
      for (const p of week.points) {
        const h = new Date(p.at).getUTCHours();
        expect(p.cpuMhzAvg).toBe(100 * h);
        expect(p.cpuMhzMax).toBe(100 * h);
        expect(p.memoryBytesAvg).toBe(2 ** 30);
      }
      expect(week.points.at(-1)).toMatchObject({ at: '2026-03-10T12:00:00.000Z', samples: 1 });

      const year = await readSeries(store.db, key, '1y', now);
      expect(year.resolution).toBe('daily');
      expect(year.points.map((p) => p.at.slice(0, 10))).toEqual([
        '2026-03-07',
        '2026-03-08',
        '2026-03-09',
        '2026-03-10',
      ]);
      // A full day of hours 0..23 averages 1150.
      expect(year.points[1]).toMatchObject({ cpuMhzAvg: 1150, cpuMhzMax: 2300, samples: 288 });
    });
  });

  describe('removing an endpoint', () => {
    it('drops its series at once and deletes their rollups in the background pass', async () => {
      const store = await openTestStore(engine);
      const ep = await addEndpoint(store.db);
      const keep = await addEndpoint(store.db, 'vc2');
      await writeSamples(store.db, ep, [vm('2026-03-01T10:10:00Z', 100)]);
      await writeSamples(store.db, keep, [vm('2026-03-01T10:10:00Z', 200)]);
      const now = new Date('2026-03-01T11:05:00Z');
      await metricsPass(store.db, { now });
      const count = async (): Promise<number> =>
        (await metricsDb(store.db).selectFrom('metric_hourly').select('series_id').execute())
          .length;
      expect(await count()).toBe(2);
      await store.db.deleteFrom('endpoint').where('id', '=', ep).execute();
      expect(
        await metricsDb(store.db).selectFrom('metric_gone').selectAll().execute(),
      ).toHaveLength(1);
      expect(await count()).toBe(2);
      await metricsPass(store.db, { now });
      expect(await count()).toBe(1);
      expect(await metricsDb(store.db).selectFrom('metric_gone').selectAll().execute()).toEqual([]);
      await store.close();
    });
  });
});

describe('time partitions on PostgreSQL', () => {
  let store: Store;
  let ep: number;
  beforeEach(async () => {
    store = await openTestStore('postgres');
    ep = await addEndpoint(store.db);
  });
  afterEach(async () => {
    await store.close();
  });

  /** The partitions of `table` as the catalog lists them: name, and bounds as ISO times. */
  const partitions = async (table: string): Promise<string[]> =>
    (
      await sql<{ name: string; bound: string }>`
        SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = ${table}::regclass ORDER BY c.relname`.execute(store.db)
    ).rows.map((r) => {
      const [from, to] = [...r.bound.matchAll(/\d+/g)].map((m) =>
        new Date(Number(m[0]) * 1000).toISOString().slice(0, 10),
      );
      return `${r.name} ${from}..${to}`;
    });
  const relationExists = async (name: string): Promise<boolean> =>
    (
      await sql<{ n: number }>`SELECT count(*) AS n FROM pg_class WHERE relname = ${name}`.execute(
        store.db,
      )
    ).rows[0]?.n === 1;

  it('drops the partitions wholly older than the window and keeps every newer point', async () => {
    // Every 6 hours from 1 March 00:00 to 10 March 18:00: ten days, four points each.
    const samples: UsageSample[] = [];
    for (let h = 0; h < 10 * 24; h += 6)
      samples.push(
        vm(new Date(Date.parse('2026-03-01T00:00:00Z') + h * 3_600_000).toISOString(), h),
      );
    await writeSamples(store.db, ep, samples);
    await drainSamples(store.db);
    expect(await partitions('metric_raw')).toHaveLength(10);
    expect(await partitions('metric_raw')).toContain('metric_raw_p20260301 2026-03-01..2026-03-02');
    expect(await relationExists('metric_tick_p20260301')).toBe(true);

    // Three days of raw at 11 March 12:00: the cutoff is 8 March 12:00.
    const now = new Date('2026-03-11T12:00:00Z');
    const pruned = await prune(store.db, now, { rawDays: 3, hourlyDays: 90, dailyDays: 730 });
    // 1–7 March went whole (4 points a day); 8 March holds the cutoff and stays.
    expect(pruned).toBe(28);
    expect(await partitions('metric_raw')).toEqual([
      'metric_raw_p20260308 2026-03-08..2026-03-09',
      'metric_raw_p20260309 2026-03-09..2026-03-10',
      'metric_raw_p20260310 2026-03-10..2026-03-11',
    ]);
    for (const day of ['01', '04', '07']) {
      expect(await relationExists(`metric_raw_p202603${day}`)).toBe(false);
      expect(await relationExists(`metric_tick_p202603${day}`)).toBe(false);
    }
    const left = await metricsDb(store.db)
      .selectFrom('metric_raw')
      .select(['t', 'cpu'])
      .orderBy('t')
      .execute();
    expect(left.map((r) => r.cpu)).toEqual(samples.slice(28).map((s) => s.cpuMhz));
    // The kept points are still read through their poll ticks (not rolled up yet: from raw).
    const week = await readSeries(
      store.db,
      { endpointId: ep, entityType: 'vm', entityId: 'vm-1' },
      '7d',
      now,
    );
    expect(week.points.map((p) => p.cpuMhzAvg)).toEqual(samples.slice(28).map((s) => s.cpuMhz));
  });

  it('makes a partition for a point far in the future or the past instead of failing the insert', async () => {
    await writeSamples(store.db, ep, [
      vm('1999-12-31T23:10:00Z', 5),
      vm('2099-07-04T09:20:00Z', 7),
      vm('2099-07-04T09:40:00Z', 9),
    ]);
    expect(await drainSamples(store.db)).toBe(3);
    expect(await partitions('metric_raw')).toEqual([
      'metric_raw_p19991231 1999-12-31..2000-01-01',
      'metric_raw_p20990704 2099-07-04..2099-07-05',
    ]);
    expect(await rollupClosed(store.db, new Date('2099-07-05T01:00:00Z'))).toEqual({
      hours: 2,
      days: 2,
    });
    // Weeks start on Monday (27 December 1999, 29 June 2099); months on the first.
    expect(await partitions('metric_hourly')).toEqual([
      'metric_hourly_p19991227 1999-12-27..2000-01-03',
      'metric_hourly_p20990629 2099-06-29..2099-07-06',
    ]);
    expect(await partitions('metric_daily')).toEqual([
      'metric_daily_p19991201 1999-12-01..2000-01-01',
      'metric_daily_p20990701 2099-07-01..2099-08-01',
    ]);
    const daily = await metricsDb(store.db)
      .selectFrom('metric_daily')
      .select(['t', 'n', 'cpu_avg'])
      .orderBy('t')
      .execute();
    expect(daily).toEqual([
      { t: epoch('1999-12-31T00:00:00Z'), n: 1, cpu_avg: 5 },
      { t: epoch('2099-07-04T00:00:00Z'), n: 2, cpu_avg: 8 },
    ]);
  });

  it('lets two processes drain one inbox at once: every point lands once, none is lost', async () => {
    const url = await testStoreLocation('postgres');
    const [one, two] = [await openStore({ file: url! }), await openStore({ file: url! })];
    try {
      const endpoint = await addEndpoint(one.db);
      // 3,000 points of 600 series new to both: each drain registers series the other may too.
      const samples: UsageSample[] = [];
      for (let p = 0; p < 5; p++)
        for (let i = 0; i < 600; i++)
          samples.push({
            ...vm(new Date(Date.parse('2026-03-01T10:00:00Z') + p * 300_000).toISOString(), i),
            entityId: `vm-${i}`,
          });
      await writeSamples(one.db, endpoint, samples);
      const moved = await Promise.all([
        drainSamples(one.db, { batch: 250 }),
        drainSamples(two.db, { batch: 250 }),
      ]);
      expect(moved[0]! + moved[1]!).toBe(3000);
      const raw = await sql<{ n: number; series: number; cpu: number }>`
        SELECT count(*) AS n, count(DISTINCT series_id) AS series, sum(cpu) AS cpu
        FROM metric_raw`.execute(one.db);
      expect(raw.rows[0]).toEqual({ n: 3000, series: 600, cpu: 5 * ((599 * 600) / 2) });
      const left = await sql<{ n: number }>`SELECT count(*) AS n FROM sample`.execute(two.db);
      expect(left.rows[0]?.n).toBe(0);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('makes the current and the next span of every table ahead of the rows', async () => {
    await metricsPass(store.db, { now: new Date('2026-12-31T23:00:00Z') });
    expect(await partitions('metric_raw')).toEqual([
      'metric_raw_p20261231 2026-12-31..2027-01-01',
      'metric_raw_p20270101 2027-01-01..2027-01-02',
    ]);
    expect(await partitions('metric_tick')).toHaveLength(2);
    expect(await partitions('metric_hourly')).toEqual([
      'metric_hourly_p20261228 2026-12-28..2027-01-04',
      'metric_hourly_p20270104 2027-01-04..2027-01-11',
    ]);
    expect(await partitions('metric_daily')).toEqual([
      'metric_daily_p20261201 2026-12-01..2027-01-01',
      'metric_daily_p20270101 2027-01-01..2027-02-01',
    ]);
  });
});

describe('the metrics layout migration', () => {
  it('converts points stored by the first layout: time-major raw, MiB units, poll ticks', async () => {
    const db = new Kysely<Record<string, never>>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
    });
    const migrator = new Migrator({ db, provider: staticMigrationProvider });
    expect((await migrator.migrateTo('2026-11-24T0930-workspace-indexes')).error).toBeUndefined();
    await sql`INSERT INTO endpoint (id, name, kind, host, port, username, created_at, updated_at)
            VALUES (1, 'vc', 'vcenter', 'h', 443, 'u', '2026-01-01', '2026-01-01')`.execute(db);
    await sql`INSERT INTO metric_series (id, endpoint_id, entity_type, entity_id) VALUES (5, 1, 'vm', 'vm-1')`.execute(
      db,
    );
    await sql`INSERT INTO metric_raw (series_id, t, cpu, mem, su, sc) VALUES (5, 3600, 100, ${2 ** 31}, ${3 * 2 ** 30}, NULL)`.execute(
      db,
    );
    await sql`INSERT INTO metric_hourly (series_id, t, n, cpu_avg, cpu_max, mem_avg, mem_max, su_avg, su_max, sc_max)
            VALUES (5, 3600, 1, 100, 100, ${2 ** 31}, ${2 ** 31}, NULL, NULL, NULL)`.execute(db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect((await sql`SELECT * FROM metric_raw`.execute(db)).rows).toEqual([
      { t: 3600, series_id: 5, cpu: 100, mem: 2048, su: 3072, sc: null },
    ]);
    expect((await sql`SELECT * FROM metric_tick`.execute(db)).rows).toEqual([
      { endpoint_id: 1, t: 3600 },
    ]);
    expect((await sql`SELECT mem_avg, mem_max FROM metric_hourly`.execute(db)).rows).toEqual([
      { mem_avg: 2048, mem_max: 2048 },
    ]);
    // Removing the endpoint queues its series for the background pass.
    await sql`PRAGMA foreign_keys = ON`.execute(db);
    await sql`DELETE FROM endpoint`.execute(db);
    expect((await sql`SELECT * FROM metric_gone`.execute(db)).rows).toEqual([{ series_id: 5 }]);
    await db.destroy();
  });

  it('converts them on PostgreSQL too, partitions and all: ticks get partitions of the raw days', async () => {
    const url = await (await sharedPostgres()).createDatabase();
    const pool = new pg.Pool({ connectionString: url });
    // The cluster stops after this file; a connection still closing then must not throw.
    pool.on('error', () => undefined);
    const db = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
    const migrator = new Migrator({ db, provider: pgMigrationProvider });
    expect((await migrator.migrateTo('2026-11-24T0930-workspace-indexes')).error).toBeUndefined();
    await sql`INSERT INTO endpoint (id, name, kind, host, port, username, created_at, updated_at)
            VALUES (1, 'vc', 'vcenter', 'h', 443, 'u', '2026-01-01', '2026-01-01')`.execute(db);
    await sql`INSERT INTO metric_series (id, endpoint_id, entity_type, entity_id) VALUES (5, 1, 'vm', 'vm-1')`.execute(
      db,
    );
    // The partition the application would have made for 1 January 1970 (hour 1).
    await sql`CREATE TABLE metric_raw_p19700101 PARTITION OF metric_raw FOR VALUES FROM (0) TO (86400)`.execute(
      db,
    );
    await sql`INSERT INTO metric_raw (series_id, t, cpu, mem, su, sc) VALUES (5, 3600, 100, ${2 ** 31}, ${3 * 2 ** 30 + 2 ** 19}, NULL)`.execute(
      db,
    );
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    // 3 GiB and a half MiB: the half rounds away from zero, as SQLite rounds.
    expect(
      (await sql`SELECT t::int, series_id::int, cpu, mem, su, sc FROM metric_raw`.execute(db)).rows,
    ).toEqual([{ t: 3600, series_id: 5, cpu: 100, mem: 2048, su: 3073, sc: null }]);
    expect(
      (
        await sql`SELECT endpoint_id::int, t::int, tableoid::regclass::text AS part FROM metric_tick`.execute(
          db,
        )
      ).rows,
    ).toEqual([{ endpoint_id: 1, t: 3600, part: 'metric_tick_p19700101' }]);
    expect(
      (await sql`SELECT indexdef FROM pg_indexes WHERE indexname = 'metric_raw_pkey'`.execute(db))
        .rows,
    ).toEqual([{ indexdef: expect.stringMatching(/\(t, series_id\)$/) }]);
    await sql`DELETE FROM endpoint`.execute(db);
    expect((await sql`SELECT series_id::int FROM metric_gone`.execute(db)).rows).toEqual([
      { series_id: 5 },
    ]);
    await db.destroy();
  });
});
