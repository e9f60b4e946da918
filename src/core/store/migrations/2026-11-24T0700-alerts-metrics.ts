import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * History, alerts and capacity. Frozen in time: never imports application code.
 *
 * Metrics: the `sample` table stays the inventory writer's inbox; the metrics service moves its
 * rows into `metric_raw`, a compact table keyed by an integer series id and epoch seconds (about a
 * quarter of the size per row), and rolls them up into hourly and daily avg/max. WITHOUT ROWID
 * keeps each table a single B-tree ordered (series, time): a chart reads one contiguous range.
 *
 * Alerts: the open alert per condition is found by `alert_key` (rule, endpoint, entity); flaps
 * fold into it (`count`), acknowledgements carry a comment, and snoozes an end time. Every
 * transition goes to `alert_history`.
 */
const STATEMENTS = [
  `CREATE TABLE metric_series (
    id INTEGER PRIMARY KEY,
    endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    UNIQUE (endpoint_id, entity_type, entity_id)
  )`,
  `CREATE TABLE metric_raw (
    series_id INTEGER NOT NULL,
    t INTEGER NOT NULL,
    cpu REAL,
    mem REAL,
    su REAL,
    sc REAL,
    PRIMARY KEY (series_id, t)
  ) WITHOUT ROWID`,
  `CREATE TABLE metric_hourly (
    series_id INTEGER NOT NULL,
    t INTEGER NOT NULL,
    n INTEGER NOT NULL,
    cpu_avg REAL,
    cpu_max REAL,
    mem_avg REAL,
    mem_max REAL,
    su_avg REAL,
    su_max REAL,
    sc_max REAL,
    PRIMARY KEY (series_id, t)
  ) WITHOUT ROWID`,
  `CREATE TABLE metric_daily (
    series_id INTEGER NOT NULL,
    t INTEGER NOT NULL,
    n INTEGER NOT NULL,
    cpu_avg REAL,
    cpu_max REAL,
    mem_avg REAL,
    mem_max REAL,
    su_avg REAL,
    su_max REAL,
    sc_max REAL,
    PRIMARY KEY (series_id, t)
  ) WITHOUT ROWID`,
  // Buckets (hour or day starts) that received data after they were last rolled up.
  `CREATE TABLE metric_dirty (
    grain TEXT NOT NULL,
    t INTEGER NOT NULL,
    PRIMARY KEY (grain, t)
  ) WITHOUT ROWID`,
  // A series goes with its endpoint (cascade); its points go with it.
  `CREATE TRIGGER metric_series_gone AFTER DELETE ON metric_series BEGIN
    DELETE FROM metric_raw WHERE series_id = OLD.id;
    DELETE FROM metric_hourly WHERE series_id = OLD.id;
    DELETE FROM metric_daily WHERE series_id = OLD.id;
  END`,
  'ALTER TABLE alert ADD COLUMN alert_key TEXT',
  'ALTER TABLE alert ADD COLUMN count INTEGER NOT NULL DEFAULT 1',
  'ALTER TABLE alert ADD COLUMN last_seen TEXT',
  'ALTER TABLE alert ADD COLUMN ack_comment TEXT',
  'ALTER TABLE alert ADD COLUMN snoozed_until TEXT',
  'ALTER TABLE alert ADD COLUMN occurrence TEXT',
  "ALTER TABLE alert ADD COLUMN details TEXT NOT NULL DEFAULT '{}'",
  "CREATE UNIQUE INDEX alert_open_key ON alert (alert_key) WHERE state <> 'cleared'",
  'CREATE INDEX alert_key_cleared ON alert (alert_key, cleared_at)',
  'CREATE INDEX alert_endpoint ON alert (endpoint_id, state)',
  `CREATE TABLE alert_history (
    id INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alert(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT,
    comment TEXT
  )`,
  'CREATE INDEX alert_history_alert ON alert_history (alert_id, at)',
  `CREATE TABLE alert_rule (
    rule TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 1,
    params TEXT NOT NULL DEFAULT '{}',
    endpoint_ids TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    updated_by TEXT
  )`,
  `CREATE TABLE alert_suppression (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (rule, endpoint_id, entity_type, entity_id)
  )`,
  `CREATE TABLE webhook (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    url_backend TEXT NOT NULL,
    url_sealed BLOB NOT NULL,
    url_hint TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT 'json',
    min_severity TEXT NOT NULL DEFAULT 'warning',
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
  )`,
  `CREATE TABLE webhook_delivery (
    id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhook(id) ON DELETE CASCADE,
    alert_id INTEGER,
    at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
  )`,
  'CREATE INDEX webhook_delivery_at ON webhook_delivery (webhook_id, at)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
