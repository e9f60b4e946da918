import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MetricRetention } from '../../shared/alerts.js';
import type { Database } from '../store/schema.js';
import { dropPartitionsBefore, ensurePartitions, spanOf, SPAN_OF } from './partitions.js';
import type { PartitionedTable } from './partitions.js';

/*
 * The metrics pass's writes on PostgreSQL: the same steps and results as the SQLite ones in
 * rollup.ts, each step one set-based statement computed by the server, into tables partitioned by
 * time (partitions.ts). Rounding goes through numeric, whose round() breaks ties away from zero
 * as SQLite's does (round() of a double breaks them to even).
 */

const HOUR = 3600;
const DAY = 86_400;

/** pg's "no partition of relation found for row": a sample arrived for a day not made yet. */
const NO_PARTITION = '23514';

/** Epoch seconds of the samples' timestamps; text without an offset is UTC, as in SQLite. */
const EPOCH_OF_AT = `floor(extract(epoch FROM at::timestamptz))::bigint`;

/** Creates the raw and tick partitions for every day the inbox holds. */
async function partitionsForInbox(db: Kysely<Database>): Promise<void> {
  const days = await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL timezone = 'UTC'`.execute(trx);
    return (
      await sql<{ t: number }>`
        SELECT DISTINCT floor(${sql.raw(EPOCH_OF_AT)} / 86400.0)::bigint * 86400 AS t FROM sample`.execute(
        trx,
      )
    ).rows.map((r) => r.t);
  });
  await ensurePartitions(db, 'metric_raw', days);
  await ensurePartitions(db, 'metric_tick', days);
}

/**
 * One batch of the inbox moved in one statement: the rows are taken (SKIP LOCKED, so two
 * processes draining at once take different rows), their series registered, and their points,
 * poll ticks and dirty hours written, all from the same deleted rows. Rows whose series another
 * statement is registering right now stay for the next batch rather than being lost.
 */
async function drainBatch(db: Kysely<Database>, batch: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL timezone = 'UTC'`.execute(trx);
    await sql`
      INSERT INTO metric_series (endpoint_id, entity_type, entity_id)
      SELECT DISTINCT endpoint_id, entity_type, entity_id
      FROM (SELECT endpoint_id, entity_type, entity_id FROM sample LIMIT ${batch}) s
      ON CONFLICT DO NOTHING`.execute(trx);
    const r = await sql<{ n: number }>`
      WITH taken AS (
        DELETE FROM sample WHERE ctid = ANY(ARRAY(
          SELECT s.ctid FROM sample s
          JOIN metric_series ms ON ms.endpoint_id = s.endpoint_id
           AND ms.entity_type = s.entity_type AND ms.entity_id = s.entity_id
          LIMIT ${batch} FOR UPDATE OF s SKIP LOCKED))
        RETURNING endpoint_id, entity_type, entity_id, ${sql.raw(EPOCH_OF_AT)} AS t, at,
          cpu_mhz, memory_bytes, storage_used_bytes, storage_capacity_bytes
      ),
      raw AS (
        INSERT INTO metric_raw (t, series_id, cpu, mem, su, sc)
        SELECT DISTINCT ON (x.t, ms.id) x.t, ms.id, x.cpu_mhz,
               round((x.memory_bytes / 1048576)::numeric), round((x.storage_used_bytes / 1048576)::numeric),
               round((x.storage_capacity_bytes / 1048576)::numeric)
        FROM taken x
        JOIN metric_series ms ON ms.endpoint_id = x.endpoint_id
         AND ms.entity_type = x.entity_type AND ms.entity_id = x.entity_id
        ORDER BY x.t, ms.id, x.at DESC
        ON CONFLICT (t, series_id) DO UPDATE SET cpu = EXCLUDED.cpu, mem = EXCLUDED.mem,
          su = EXCLUDED.su, sc = EXCLUDED.sc
      ),
      tick AS (
        INSERT INTO metric_tick (endpoint_id, t)
        SELECT DISTINCT endpoint_id, t FROM taken ON CONFLICT DO NOTHING
      ),
      dirty AS (
        INSERT INTO metric_dirty (grain, t)
        SELECT DISTINCT 'hour', (t / 3600) * 3600 FROM taken ON CONFLICT DO NOTHING
      )
      SELECT count(*) AS n FROM taken`.execute(trx);
    return Number(r.rows[0]?.n ?? 0);
  });
}

/** {@link drainSamples} on PostgreSQL. */
export async function drainSamplesPg(
  db: Kysely<Database>,
  opts: { batch: number; signal?: AbortSignal },
): Promise<number> {
  await partitionsForInbox(db);
  let moved = 0;
  let retried = false;
  for (;;) {
    if (opts.signal?.aborted) break;
    let n: number;
    try {
      n = await drainBatch(db, opts.batch);
    } catch (e) {
      // Samples for a new day landed after the partitions were made: make them, once.
      if ((e as { code?: unknown }).code !== NO_PARTITION || retried) throw e;
      retried = true;
      await partitionsForInbox(db);
      continue;
    }
    moved += n;
    if (n < opts.batch) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return moved;
}

/** Weighted average of an hourly column over a day, rounded as SQLite rounds. */
const weighted = (c: string): string =>
  `round((sum(h.${c} * h.n) / sum(CASE WHEN h.${c} IS NULL THEN NULL ELSE h.n END))::numeric)`;

const ROLLUP_SET = `n = EXCLUDED.n, cpu_avg = EXCLUDED.cpu_avg, cpu_max = EXCLUDED.cpu_max,
  mem_avg = EXCLUDED.mem_avg, mem_max = EXCLUDED.mem_max, su_avg = EXCLUDED.su_avg,
  su_max = EXCLUDED.su_max, sc_max = EXCLUDED.sc_max`;

/**
 * {@link rollupHour} on PostgreSQL: the hour for every series in one statement (readers are
 * never blocked by a writer there), then the bookkeeping, in one transaction.
 */
export async function rollupHourPg(db: Kysely<Database>, hour: number): Promise<void> {
  await ensurePartitions(db, 'metric_hourly', [hour]);
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO metric_hourly
        (series_id, t, n, cpu_avg, cpu_max, mem_avg, mem_max, su_avg, su_max, sc_max)
      SELECT r.series_id, ${hour}::bigint, count(*),
             round(avg(r.cpu)::numeric), max(r.cpu), round(avg(r.mem)::numeric), max(r.mem),
             round(avg(r.su)::numeric), max(r.su), max(r.sc)
      FROM metric_raw r
      WHERE r.t >= ${hour}::bigint AND r.t < ${hour + HOUR}::bigint
        AND r.series_id IN (SELECT id FROM metric_series)
      GROUP BY r.series_id
      ON CONFLICT (series_id, t) DO UPDATE SET ${sql.raw(ROLLUP_SET)}`.execute(trx);
    await sql`
      INSERT INTO metric_dirty (grain, t) VALUES ('day', ${Math.floor(hour / DAY) * DAY}::bigint)
      ON CONFLICT DO NOTHING`.execute(trx);
    await sql`DELETE FROM metric_dirty WHERE grain = 'hour' AND t = ${hour}::bigint`.execute(trx);
  });
}

/** {@link rollupDay} on PostgreSQL: every series' day from its hours, weighted by samples. */
export async function rollupDayPg(db: Kysely<Database>, day: number): Promise<void> {
  await ensurePartitions(db, 'metric_daily', [day]);
  await db.transaction().execute(async (trx) => {
    await sql`
      INSERT INTO metric_daily
        (series_id, t, n, cpu_avg, cpu_max, mem_avg, mem_max, su_avg, su_max, sc_max)
      SELECT h.series_id, ${day}::bigint, sum(h.n), ${sql.raw(weighted('cpu_avg'))}, max(h.cpu_max),
             ${sql.raw(weighted('mem_avg'))}, max(h.mem_max),
             ${sql.raw(weighted('su_avg'))}, max(h.su_max), max(h.sc_max)
      FROM metric_hourly h
      WHERE h.t >= ${day}::bigint AND h.t < ${day + DAY}::bigint
        AND h.series_id IN (SELECT id FROM metric_series)
      GROUP BY h.series_id
      ON CONFLICT (series_id, t) DO UPDATE SET ${sql.raw(ROLLUP_SET)}`.execute(trx);
    await sql`DELETE FROM metric_dirty WHERE grain = 'day' AND t = ${day}::bigint`.execute(trx);
  });
}

/** The current and the next span of every partitioned table, made ahead of the rows. */
export async function partitionsAhead(db: Kysely<Database>, now: Date): Promise<void> {
  const t = Math.floor(now.getTime() / 1000);
  for (const table of Object.keys(SPAN_OF) as PartitionedTable[]) {
    const [, next] = spanOf(SPAN_OF[table], t);
    await ensurePartitions(db, table, [t, next]);
  }
}

/**
 * Retention on PostgreSQL: whole partitions older than each table's window are dropped (no row is
 * deleted, so no table bloats and no vacuum follows). Returns the rows the dropped partitions held.
 */
export async function prunePartitions(
  db: Kysely<Database>,
  now: Date,
  retention: MetricRetention,
  signal?: AbortSignal,
): Promise<number> {
  const t = Math.floor(now.getTime() / 1000);
  const rawCutoff = t - retention.rawDays * DAY;
  const cutoffs: [PartitionedTable, number][] = [
    ['metric_raw', rawCutoff],
    ['metric_tick', rawCutoff],
    ['metric_hourly', Math.floor((t - retention.hourlyDays * DAY) / HOUR) * HOUR],
    ['metric_daily', Math.floor((t - retention.dailyDays * DAY) / DAY) * DAY],
  ];
  let dropped = 0;
  for (const [table, cutoff] of cutoffs) {
    const rows = await dropPartitionsBefore(db, table, cutoff, signal);
    // Ticks are the raw table's index, not points: they do not count as pruned points.
    if (table !== 'metric_tick') dropped += rows;
  }
  return dropped;
}
