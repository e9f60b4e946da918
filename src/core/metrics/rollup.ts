import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MetricRetention } from '../../shared/alerts.js';
import type { Database } from '../store/schema.js';
import { engineOf } from '../store/sqlite.js';
import {
  drainSamplesPg,
  partitionsAhead,
  prunePartitions,
  rollupDayPg,
  rollupHourPg,
} from './rollup-pg.js';
import { metricsDb } from './tables.js';

/*
 * The metrics pass: drain the writer's `sample` inbox into `metric_raw`, roll closed hours and
 * days up into avg/max, prune by retention. Every step works in small transactions and yields to
 * the event loop between them, so a sync or a UI read never waits behind one long write lock.
 * All buckets are UTC: an hour starts at a multiple of 3600 epoch seconds, a day at 86400.
 * On PostgreSQL each step is rollup-pg.ts's set-based statement into time-partitioned tables, and
 * retention drops whole partitions (partitions.ts).
 */

export const HOUR = 3600;
export const DAY = 86_400;

export const DEFAULT_RETENTION: MetricRetention = { rawDays: 7, hourlyDays: 90, dailyDays: 730 };

export interface PassOptions {
  readonly now: Date;
  readonly retention?: MetricRetention;
  /** Rows moved from the inbox per transaction. */
  readonly drainBatch?: number;
  /** Series pruned per transaction (SQLite; PostgreSQL drops whole partitions). */
  readonly pruneBatch?: number;
  readonly signal?: AbortSignal;
}

export interface PassResult {
  readonly drained: number;
  readonly hoursRolled: number;
  readonly daysRolled: number;
  readonly pruned: number;
  readonly ms: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function epoch(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

/**
 * Moves up to `batch` inbox rows per transaction into `metric_raw`, registering new series and
 * marking the hours they touch dirty. Returns the number of rows moved.
 */
export async function drainSamples(
  db: Kysely<Database>,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  const batch = opts.batch ?? 20_000;
  if (engineOf(db) === 'postgres')
    return drainSamplesPg(db, { batch, ...(opts.signal ? { signal: opts.signal } : {}) });
  let moved = 0;
  for (;;) {
    if (opts.signal?.aborted) break;
    const n = await db.transaction().execute(async (trx) => {
      const bound = await sql<{ id: number }>`
        SELECT rowid AS id FROM sample ORDER BY rowid LIMIT 1 OFFSET ${batch - 1}`.execute(trx);
      const last =
        bound.rows[0]?.id ??
        (await sql<{ id: number | null }>`SELECT max(rowid) AS id FROM sample`.execute(trx)).rows[0]
          ?.id ??
        null;
      if (last === null) return 0;
      await sql`
        INSERT OR IGNORE INTO metric_series (endpoint_id, entity_type, entity_id)
        SELECT DISTINCT endpoint_id, entity_type, entity_id FROM sample WHERE rowid <= ${last}`.execute(
        trx,
      );
      // Memory and storage become whole MiB (vSphere reports memory in MB anyway).
      await sql`
        INSERT OR REPLACE INTO metric_raw (t, series_id, cpu, mem, su, sc)
        SELECT CAST(strftime('%s', s.at) AS INTEGER), ms.id, s.cpu_mhz,
               round(s.memory_bytes / 1048576.0), round(s.storage_used_bytes / 1048576.0),
               round(s.storage_capacity_bytes / 1048576.0)
        FROM sample s
        JOIN metric_series ms
          ON ms.endpoint_id = s.endpoint_id AND ms.entity_type = s.entity_type
         AND ms.entity_id = s.entity_id
        WHERE s.rowid <= ${last}`.execute(trx);
      await sql`
        INSERT OR IGNORE INTO metric_tick (endpoint_id, t)
        SELECT DISTINCT endpoint_id, CAST(strftime('%s', at) AS INTEGER)
        FROM sample WHERE rowid <= ${last}`.execute(trx);
      await sql`
        INSERT OR IGNORE INTO metric_dirty (grain, t)
        SELECT DISTINCT 'hour', (CAST(strftime('%s', at) AS INTEGER) / 3600) * 3600
        FROM sample WHERE rowid <= ${last}`.execute(trx);
      const del = await sql`DELETE FROM sample WHERE rowid <= ${last}`.execute(trx);
      return Number(del.numAffectedRows ?? 0n);
    });
    moved += n;
    if (n < batch) break;
    await yieldToLoop();
  }
  return moved;
}

/** Consecutive ranges (lo, hi] of series ids, `size` series each. */
async function seriesRanges(db: Kysely<Database>, size: number): Promise<[number, number][]> {
  const ids = (await sql<{ id: number }>`SELECT id FROM metric_series ORDER BY id`.execute(db))
    .rows;
  const out: [number, number][] = [];
  for (let i = 0; i < ids.length; i += size) {
    out.push([
      i === 0 ? 0 : (ids[i - 1]?.id ?? 0),
      ids[Math.min(i + size, ids.length) - 1]?.id ?? 0,
    ]);
  }
  return out;
}

/**
 * Rolls one closed hour up from raw, a range of series per transaction so no write lock is held
 * for long. The hour stays dirty until every range is done (recomputing is idempotent). On
 * PostgreSQL, whose writers do not block readers, the hour is one statement and `batch` is unused.
 */
export async function rollupHour(db: Kysely<Database>, hour: number, batch = 2_500): Promise<void> {
  if (engineOf(db) === 'postgres') return rollupHourPg(db, hour);
  for (const [lo, hi] of await seriesRanges(db, batch)) {
    // Raw is time-major: the hour is one contiguous range of the primary key.
    await sql`
      INSERT OR REPLACE INTO metric_hourly
        (series_id, t, n, cpu_avg, cpu_max, mem_avg, mem_max, su_avg, su_max, sc_max)
      SELECT r.series_id, ${hour}, count(*),
             round(avg(r.cpu)), max(r.cpu), round(avg(r.mem)), max(r.mem),
             round(avg(r.su)), max(r.su), max(r.sc)
      FROM metric_raw r
      WHERE r.t >= ${hour} AND r.t < ${hour + HOUR}
        AND r.series_id > ${lo} AND r.series_id <= ${hi}
        AND r.series_id IN (SELECT id FROM metric_series)
      GROUP BY r.series_id`.execute(db);
    await yieldToLoop();
  }
  await db.transaction().execute(async (trx) => {
    await sql`INSERT OR IGNORE INTO metric_dirty (grain, t) VALUES ('day', ${Math.floor(hour / DAY) * DAY})`.execute(
      trx,
    );
    await sql`DELETE FROM metric_dirty WHERE grain = 'hour' AND t = ${hour}`.execute(trx);
  });
}

/**
 * Rolls one closed day up from its hours, a range of series per transaction; averages are
 * weighted by each hour's sample count.
 */
export async function rollupDay(db: Kysely<Database>, day: number, batch = 2_500): Promise<void> {
  if (engineOf(db) === 'postgres') return rollupDayPg(db, day);
  for (const [lo, hi] of await seriesRanges(db, batch)) {
    // CROSS JOIN pins the loop order: each series, then a range of its primary key.
    await sql`
      INSERT OR REPLACE INTO metric_daily
        (series_id, t, n, cpu_avg, cpu_max, mem_avg, mem_max, su_avg, su_max, sc_max)
      SELECT ms.id, ${day}, sum(h.n),
             round(sum(h.cpu_avg * h.n) / sum(CASE WHEN h.cpu_avg IS NULL THEN NULL ELSE h.n END)),
             max(h.cpu_max),
             round(sum(h.mem_avg * h.n) / sum(CASE WHEN h.mem_avg IS NULL THEN NULL ELSE h.n END)),
             max(h.mem_max),
             round(sum(h.su_avg * h.n) / sum(CASE WHEN h.su_avg IS NULL THEN NULL ELSE h.n END)),
             max(h.su_max), max(h.sc_max)
      FROM metric_series ms CROSS JOIN metric_hourly h
      WHERE ms.id > ${lo} AND ms.id <= ${hi}
        AND h.series_id = ms.id AND h.t >= ${day} AND h.t < ${day + DAY}
      GROUP BY ms.id`.execute(db);
    await yieldToLoop();
  }
  await sql`DELETE FROM metric_dirty WHERE grain = 'day' AND t = ${day}`.execute(db);
}

/**
 * Rolls up every dirty bucket that has closed: hours first (which dirty their days), then days
 * whose last hour has closed. A bucket that gets late samples is dirtied again and recomputed
 * from the finer data, which retention keeps longer than any sync can be late.
 */
export async function rollupClosed(
  db: Kysely<Database>,
  now: Date,
  signal?: AbortSignal,
): Promise<{ hours: number; days: number }> {
  const mdb = metricsDb(db);
  const t = epoch(now);
  const hours = await mdb
    .selectFrom('metric_dirty')
    .select('t')
    .where('grain', '=', 'hour')
    .where('t', '<=', t - HOUR)
    .orderBy('t')
    .execute();
  for (const h of hours) {
    if (signal?.aborted) break;
    await rollupHour(db, h.t);
    await yieldToLoop();
  }
  // A day closes when its last hour has, and that hour has been rolled up.
  const pendingHours = await mdb
    .selectFrom('metric_dirty')
    .select(({ fn }) => fn.min('t').as('t'))
    .where('grain', '=', 'hour')
    .executeTakeFirst();
  const firstOpenHour = Math.min(pendingHours?.t ?? Infinity, Math.floor(t / HOUR) * HOUR);
  const days = await mdb
    .selectFrom('metric_dirty')
    .select('t')
    .where('grain', '=', 'day')
    .where('t', '<=', firstOpenHour - DAY)
    .orderBy('t')
    .execute();
  for (const d of days) {
    if (signal?.aborted) break;
    await rollupDay(db, d.t);
    await yieldToLoop();
  }
  return { hours: hours.length, days: days.length };
}

/** Deletes the rollups of series whose endpoint was removed, a few series per transaction. */
async function pruneGone(db: Kysely<Database>, signal?: AbortSignal): Promise<number> {
  let deleted = 0;
  for (;;) {
    if (signal?.aborted) return deleted;
    const gone = await sql<{ id: number }>`
      SELECT series_id AS id FROM metric_gone ORDER BY series_id LIMIT 20`.execute(db);
    if (gone.rows.length === 0) break;
    const ids = gone.rows.map((r) => r.id);
    deleted += await db.transaction().execute(async (trx) => {
      let n = 0;
      for (const table of ['metric_hourly', 'metric_daily'] as const) {
        const r =
          await sql`DELETE FROM ${sql.table(table)} WHERE series_id IN (${sql.join(ids)})`.execute(
            trx,
          );
        n += Number(r.numAffectedRows ?? 0n);
      }
      await sql`DELETE FROM metric_gone WHERE series_id IN (${sql.join(ids)})`.execute(trx);
      return n;
    });
    await yieldToLoop();
  }
  return deleted;
}

/**
 * Deletes points older than retention, a batch of series per transaction (SQLite). On PostgreSQL
 * whole partitions older than the window are dropped instead.
 */
export async function prune(
  db: Kysely<Database>,
  now: Date,
  retention: MetricRetention,
  opts: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  if (engineOf(db) === 'postgres')
    return (
      (await prunePartitions(db, now, retention, opts.signal)) + (await pruneGone(db, opts.signal))
    );
  const batch = opts.batch ?? 2_000;
  const t = epoch(now);
  const rawCutoff = t - retention.rawDays * DAY;
  const cutoffs = [
    ['metric_hourly', Math.floor((t - retention.hourlyDays * DAY) / HOUR) * HOUR],
    ['metric_daily', Math.floor((t - retention.dailyDays * DAY) / DAY) * DAY],
  ] as const;
  let deleted = 0;
  // Raw is time-major: cut the front off, an hour per transaction.
  for (;;) {
    if (opts.signal?.aborted) return deleted;
    const n = await db.transaction().execute(async (trx) => {
      const first = await sql<{ t: number | null }>`SELECT min(t) AS t FROM metric_raw`.execute(
        trx,
      );
      const from = first.rows[0]?.t ?? null;
      if (from === null || from >= rawCutoff) return 0;
      const upTo = Math.min(rawCutoff, from + HOUR);
      const r = await sql`DELETE FROM metric_raw WHERE t < ${upTo}`.execute(trx);
      await sql`DELETE FROM metric_tick WHERE t < ${upTo}`.execute(trx);
      return Math.max(1, Number(r.numAffectedRows ?? 0n));
    });
    if (n === 0) break;
    deleted += n;
    await yieldToLoop();
  }
  deleted += await pruneGone(db, opts.signal);
  let after = 0;
  for (;;) {
    if (opts.signal?.aborted) break;
    const ids = await sql<{ id: number }>`
      SELECT id FROM metric_series WHERE id > ${after} ORDER BY id LIMIT ${batch}`.execute(db);
    const last = ids.rows.at(-1)?.id;
    if (last === undefined) break;
    const lo = after;
    deleted += await db.transaction().execute(async (trx) => {
      let n = 0;
      for (const [table, cutoff] of cutoffs) {
        // `series_id IN (range)` walks the primary key per series: no full-table scan.
        const r = await sql`
          DELETE FROM ${sql.table(table)}
          WHERE series_id IN (SELECT id FROM metric_series WHERE id > ${lo} AND id <= ${last})
            AND t < ${cutoff}`.execute(trx);
        n += Number(r.numAffectedRows ?? 0n);
      }
      return n;
    });
    after = last;
    await yieldToLoop();
  }
  return deleted;
}

/** One full background pass: drain, roll up what has closed, prune. */
export async function metricsPass(db: Kysely<Database>, opts: PassOptions): Promise<PassResult> {
  const t0 = performance.now();
  if (engineOf(db) === 'postgres') await partitionsAhead(db, opts.now);
  const drained = await drainSamples(db, {
    ...(opts.drainBatch === undefined ? {} : { batch: opts.drainBatch }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const rolled = await rollupClosed(db, opts.now, opts.signal);
  const pruned = await prune(db, opts.now, opts.retention ?? DEFAULT_RETENTION, {
    ...(opts.pruneBatch === undefined ? {} : { batch: opts.pruneBatch }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return {
    drained,
    hoursRolled: rolled.hours,
    daysRolled: rolled.days,
    pruned,
    ms: Math.round(performance.now() - t0),
  };
}
