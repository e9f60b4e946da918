import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Metrics sized for the budget (a year of 10,000 VMs at 5-minute polls in under 2 GB, a rollup
 * pass in under 2 s). Frozen in time: never imports application code.
 *
 * - Memory and storage are kept in whole MiB (2–3 bytes a value instead of 6–8; vSphere reports
 *   memory in MB anyway). Existing points are converted.
 * - `metric_raw` becomes time-major, keyed (t, series_id): a poll appends at the end of the tree
 *   (pages stay full and a poll dirties a few pages instead of one per series), a rollup reads
 *   one hour as one contiguous range, and pruning cuts off the front. One series' raw points are
 *   found through `metric_tick`, the poll times of its endpoint. Rollups stay series-major: a
 *   chart reads one contiguous range of them.
 * - Series ids never come back (AUTOINCREMENT), so raw rows of a removed endpoint's series can
 *   age out by time instead of costing a scan of the raw table.
 * - Removing an endpoint no longer deletes a year of rollups inside its transaction: the trigger
 *   queues the series in `metric_gone`, and the background pass deletes in small transactions.
 */
const STATEMENTS = [
  // The old trigger names metric_raw; it goes first so the tables can be rebuilt.
  'DROP TRIGGER metric_series_gone',
  `CREATE TABLE metric_series_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    UNIQUE (endpoint_id, entity_type, entity_id)
  )`,
  `INSERT INTO metric_series_next (id, endpoint_id, entity_type, entity_id)
   SELECT id, endpoint_id, entity_type, entity_id FROM metric_series`,
  'DROP TABLE metric_series',
  'ALTER TABLE metric_series_next RENAME TO metric_series',
  // cpu in MHz; mem (memory used), su (storage used) and sc (storage capacity) in MiB.
  `CREATE TABLE metric_raw_next (
    t INTEGER NOT NULL,
    series_id INTEGER NOT NULL,
    cpu REAL,
    mem REAL,
    su REAL,
    sc REAL,
    PRIMARY KEY (t, series_id)
  ) WITHOUT ROWID`,
  `INSERT INTO metric_raw_next (t, series_id, cpu, mem, su, sc)
   SELECT t, series_id, cpu, round(mem / 1048576.0), round(su / 1048576.0), round(sc / 1048576.0)
   FROM metric_raw`,
  'DROP TABLE metric_raw',
  'ALTER TABLE metric_raw_next RENAME TO metric_raw',
  `CREATE TABLE metric_tick (
    endpoint_id INTEGER NOT NULL,
    t INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, t)
  ) WITHOUT ROWID`,
  `INSERT OR IGNORE INTO metric_tick (endpoint_id, t)
   SELECT DISTINCT ms.endpoint_id, r.t FROM metric_raw r JOIN metric_series ms ON ms.id = r.series_id`,
  ...['metric_hourly', 'metric_daily'].map(
    (table) => `UPDATE ${table} SET
      mem_avg = round(mem_avg / 1048576.0), mem_max = round(mem_max / 1048576.0),
      su_avg = round(su_avg / 1048576.0), su_max = round(su_max / 1048576.0),
      sc_max = round(sc_max / 1048576.0)`,
  ),
  'CREATE TABLE metric_gone (series_id INTEGER PRIMARY KEY)',
  `CREATE TRIGGER metric_series_gone AFTER DELETE ON metric_series BEGIN
    INSERT OR IGNORE INTO metric_gone (series_id) VALUES (OLD.id);
  END`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
