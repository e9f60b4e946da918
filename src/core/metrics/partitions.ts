import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../store/schema.js';

/*
 * Time partitions of the metrics tables on PostgreSQL (issue 16). Each table is partitioned by
 * RANGE on its epoch-seconds column `t`; a partition covers one UTC span:
 *
 * - `metric_raw` and `metric_tick`: a day. Raw is the bulk (10,000 VMs at 5-minute polls are
 *   2.9 million rows a day) and is kept for days (7 by default): a day is the unit retention
 *   thinks in, and a week of raw is 7–8 partitions, few enough for the planner. The poll ticks
 *   share raw's days so both are dropped together.
 * - `metric_hourly`: a week (Monday to Monday, UTC). 240,000 rows a day at that size, kept 90
 *   days by default: 13–14 partitions, and dropping by week keeps at most 7 days beyond the window
 *   (a month would keep up to 31, a third more than asked).
 * - `metric_daily`: a calendar month. 10,000 rows a day, kept two years by default: 24–25
 *   partitions of about 300,000 rows.
 *
 * Partitions are made on demand before rows go in (the drain, a rollup) and ahead of time for the
 * current and next span in every pass, so a new day normally finds its partition waiting. There
 * is no DEFAULT partition: a row outside every partition fails loudly instead of landing in a
 * catch-all that would have to be scanned whenever a partition is added. Retention drops a
 * partition once all of it is older than the window; rows of the partition the cutoff falls in
 * stay until that partition is wholly older (never longer than one span).
 */

export type Span = 'day' | 'week' | 'month';

export type PartitionedTable = 'metric_raw' | 'metric_tick' | 'metric_hourly' | 'metric_daily';

export const SPAN_OF: Readonly<Record<PartitionedTable, Span>> = {
  metric_raw: 'day',
  metric_tick: 'day',
  metric_hourly: 'week',
  metric_daily: 'month',
};

const DAY = 86_400;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday after the epoch. */
const MONDAY = 4 * DAY;

/** The [from, to) epoch-second bounds of the span holding `t`. */
export function spanOf(span: Span, t: number): [number, number] {
  if (span === 'day') {
    const from = Math.floor(t / DAY) * DAY;
    return [from, from + DAY];
  }
  if (span === 'week') {
    const from = Math.floor((t - MONDAY) / WEEK) * WEEK + MONDAY;
    return [from, from + WEEK];
  }
  const d = new Date(t * 1000);
  const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
  const to = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
  return [from, to];
}

/** `metric_raw_p20260301`: the parent's name and the span's first UTC day. */
export function partitionName(table: PartitionedTable, from: number): string {
  const iso = new Date(from * 1000).toISOString();
  // Years outside 0000–9999 (toISOString writes ±YYYYYY) get the epoch seconds instead.
  const day = /^\d{4}-/.test(iso) ? iso.slice(0, 10).replace(/-/g, '') : `e${from}`;
  return `${table}_p${day.replace('-', 'm')}`;
}

export interface Partition {
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

const BOUND = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/;

/** The partitions of `table` as the catalog has them, oldest first. */
export async function partitionsOf(
  db: Kysely<Database>,
  table: PartitionedTable,
): Promise<Partition[]> {
  const r = await sql<{ name: string; bound: string }>`
    SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = ${table}::regclass`.execute(db);
  const out: Partition[] = [];
  for (const row of r.rows) {
    const m = BOUND.exec(row.bound);
    if (m) out.push({ name: row.name, from: Number(m[1]), to: Number(m[2]) });
  }
  return out.sort((a, b) => a.from - b.from);
}

/**
 * Creates the partitions of `table` that hold `times` (epoch seconds) and do not exist yet, in
 * one short transaction of their own (creating a partition locks its parent), serialized between
 * processes by an advisory lock so two drains never race to create the same day.
 */
export async function ensurePartitions(
  db: Kysely<Database>,
  table: PartitionedTable,
  times: Iterable<number>,
): Promise<number> {
  const wanted = new Map<number, number>();
  for (const t of times) {
    const [from, to] = spanOf(SPAN_OF[table], t);
    wanted.set(from, to);
  }
  if (wanted.size === 0) return 0;
  const have = new Set((await partitionsOf(db, table)).map((p) => p.from));
  const missing = [...wanted].filter(([from]) => !have.has(from));
  if (missing.length === 0) return 0;
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('infrascope.metric_partitions'))`.execute(trx);
    // Another process may have made some while this one waited for the lock.
    const now = new Set((await partitionsOf(trx, table)).map((p) => p.from));
    for (const [from, to] of missing) {
      if (now.has(from)) continue;
      await sql
        .raw(
          `CREATE TABLE ${partitionName(table, from)} PARTITION OF ${table} FOR VALUES FROM (${from}) TO (${to})`,
        )
        .execute(trx);
    }
  });
  return missing.length;
}

/**
 * Drops the partitions of `table` that lie wholly before `cutoff` (epoch seconds) and returns the
 * rows they held. Each goes in its own statement: a drop holds its parent's lock only briefly.
 */
export async function dropPartitionsBefore(
  db: Kysely<Database>,
  table: PartitionedTable,
  cutoff: number,
  signal?: AbortSignal,
): Promise<number> {
  let rows = 0;
  for (const p of await partitionsOf(db, table)) {
    if (p.to > cutoff || signal?.aborted) break;
    await db.transaction().execute(async (trx) => {
      const n = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(p.name)}`.execute(
        trx,
      );
      rows += Number(n.rows[0]?.n ?? 0);
      await sql`DROP TABLE ${sql.table(p.name)}`.execute(trx);
    });
  }
  return rows;
}
