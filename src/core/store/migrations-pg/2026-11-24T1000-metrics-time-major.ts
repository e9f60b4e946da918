// PostgreSQL counterpart of migrations/2026-11-24T1000-metrics-time-major.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Metrics sized for the budget (a year of 10,000 VMs at 5-minute polls, a rollup pass in under
 * 2 s). Frozen in time: never imports application code.
 *
 * - Memory and storage are kept in whole MiB. Existing points are converted.
 * - `metric_raw` becomes time-major, keyed (t, series_id): a rollup reads one hour as one
 *   contiguous index range, and pruning cuts off the front. One series' raw points are found
 *   through `metric_tick`, the poll times of its endpoint. Rollups stay series-major.
 * - Series ids never come back: an identity column's sequence never hands out an id twice, which
 *   is what SQLite needed AUTOINCREMENT (and a table rebuild) for, so `metric_series` stays.
 * - Removing an endpoint no longer deletes a year of rollups inside its transaction: the trigger
 *   queues the series in `metric_gone`, and the background pass deletes in small transactions.
 *
 * Not here: time partitioning of the metrics tables (issue 16 asks for it) comes as its own later
 * migration of both sets' versions, so that retention drops partitions.
 */
const STATEMENTS = [
  // The old trigger deletes from metric_raw; it goes first so the table can be rebuilt.
  'DROP TRIGGER metric_series_gone ON metric_series',
  'DROP FUNCTION metric_series_gone()',
  // cpu in MHz; mem (memory used), su (storage used) and sc (storage capacity) in MiB.
  `CREATE TABLE metric_raw_next (
    t BIGINT NOT NULL,
    series_id BIGINT NOT NULL,
    cpu DOUBLE PRECISION,
    mem DOUBLE PRECISION,
    su DOUBLE PRECISION,
    sc DOUBLE PRECISION,
    PRIMARY KEY (t, series_id)
  )`,
  `INSERT INTO metric_raw_next (t, series_id, cpu, mem, su, sc)
   SELECT t, series_id, cpu, round(mem / 1048576.0), round(su / 1048576.0), round(sc / 1048576.0)
   FROM metric_raw`,
  'DROP TABLE metric_raw',
  'ALTER TABLE metric_raw_next RENAME TO metric_raw',
  'ALTER INDEX metric_raw_next_pkey RENAME TO metric_raw_pkey',
  `CREATE TABLE metric_tick (
    endpoint_id BIGINT NOT NULL,
    t BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, t)
  )`,
  `INSERT INTO metric_tick (endpoint_id, t)
   SELECT DISTINCT ms.endpoint_id, r.t FROM metric_raw r JOIN metric_series ms ON ms.id = r.series_id
   ON CONFLICT DO NOTHING`,
  ...['metric_hourly', 'metric_daily'].map(
    (table) => `UPDATE ${table} SET
      mem_avg = round(mem_avg / 1048576.0), mem_max = round(mem_max / 1048576.0),
      su_avg = round(su_avg / 1048576.0), su_max = round(su_max / 1048576.0),
      sc_max = round(sc_max / 1048576.0)`,
  ),
  'CREATE TABLE metric_gone (series_id BIGINT PRIMARY KEY)',
  `CREATE FUNCTION metric_series_gone() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO metric_gone (series_id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
    RETURN OLD;
  END $$`,
  `CREATE TRIGGER metric_series_gone AFTER DELETE ON metric_series
    FOR EACH ROW EXECUTE FUNCTION metric_series_gone()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
