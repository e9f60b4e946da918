// PostgreSQL counterpart of migrations/2026-11-24T1000-metrics-time-major.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Metrics sized for the budget (a year of 10,000 VMs at 5-minute polls, a rollup pass in under
 * 2 s). Frozen in time: never imports application code.
 *
 * - Memory and storage are kept in whole MiB. Existing points are converted.
 * - `metric_raw` becomes time-major, keyed (t, series_id): a rollup reads one hour as one
 *   contiguous index range. It stays partitioned by time (migration 0700), so its key changes in
 *   place (on the parent, which changes every partition's) instead of a rebuild, and the units
 *   are converted in place. One series' raw points are found through `metric_tick`, the poll
 *   times of its endpoint, partitioned by time like raw so retention drops both by the day.
 *   Rollups stay series-major.
 * - Series ids never come back: an identity column's sequence never hands out an id twice, which
 *   is what SQLite needed AUTOINCREMENT (and a table rebuild) for, so `metric_series` stays.
 * - Removing an endpoint no longer deletes a year of rollups inside its transaction: the trigger
 *   queues the series in `metric_gone`, and the background pass deletes in small transactions.
 */
const STATEMENTS = [
  // The old trigger deletes points at once; the new one (below) queues the series instead.
  'DROP TRIGGER metric_series_gone ON metric_series',
  'DROP FUNCTION metric_series_gone()',
  // cpu in MHz; mem (memory used), su (storage used) and sc (storage capacity) in MiB.
  'ALTER TABLE metric_raw DROP CONSTRAINT metric_raw_pkey',
  'ALTER TABLE metric_raw ADD PRIMARY KEY (t, series_id)',
  // Through numeric: its round() breaks ties away from zero, as SQLite's does.
  `UPDATE metric_raw SET mem = round((mem / 1048576)::numeric), su = round((su / 1048576)::numeric),
     sc = round((sc / 1048576)::numeric)`,
  `CREATE TABLE metric_tick (
    endpoint_id BIGINT NOT NULL,
    t BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, t)
  ) PARTITION BY RANGE (t)`,
  // The ticks of the points already there, each raw partition's into a partition of its own span.
  `DO $$
  DECLARE p record;
  BEGIN
    FOR p IN SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'metric_raw'::regclass LOOP
      EXECUTE format('CREATE TABLE %I PARTITION OF metric_tick %s',
                     replace(p.name, 'metric_raw', 'metric_tick'), p.bound);
    END LOOP;
  END $$`,
  `INSERT INTO metric_tick (endpoint_id, t)
   SELECT DISTINCT ms.endpoint_id, r.t FROM metric_raw r JOIN metric_series ms ON ms.id = r.series_id
   ON CONFLICT DO NOTHING`,
  ...['metric_hourly', 'metric_daily'].map(
    (table) => `UPDATE ${table} SET
      mem_avg = round((mem_avg / 1048576)::numeric), mem_max = round((mem_max / 1048576)::numeric),
      su_avg = round((su_avg / 1048576)::numeric), su_max = round((su_max / 1048576)::numeric),
      sc_max = round((sc_max / 1048576)::numeric)`,
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
