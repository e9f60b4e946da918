import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Point-in-time snapshots of the inventory. One row per snapshot, and one row per entity in it:
 * a diff joins two snapshots on (type, endpoint, native id) and decodes only the rows whose hash
 * differs. Endpoints are keyed by host, not by local id, so snapshots imported from another
 * machine (or an RVTools workbook) line up with this one's. Frozen in time: never imports
 * application code.
 */
const STATEMENTS = [
  `CREATE TABLE snapshot_set (
    id INTEGER PRIMARY KEY,
    label TEXT,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('local', 'import')),
    origin TEXT NOT NULL,
    read_only INTEGER NOT NULL DEFAULT 0,
    counts TEXT NOT NULL DEFAULT '{}',
    endpoints TEXT NOT NULL DEFAULT '[]',
    fields TEXT NOT NULL DEFAULT '{}'
  )`,
  'CREATE INDEX snapshot_set_label ON snapshot_set (label, created_at)',
  `CREATE TABLE snapshot_entity (
    snapshot_id INTEGER NOT NULL REFERENCES snapshot_set(id) ON DELETE CASCADE,
    entity_type TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    native_id TEXT NOT NULL,
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (snapshot_id, entity_type, endpoint, native_id)
  ) WITHOUT ROWID`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
