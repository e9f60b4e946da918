import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * RVTools' vFileInfo: the datastore browser's file listing as its own entity table, and the
 * endpoint's setting that asks for it (off by default: browsing every datastore is slow on large
 * estates). Frozen in time: never imports application code.
 */
const STATEMENTS = [
  `CREATE TABLE datastore_file (
    id INTEGER PRIMARY KEY,
    endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    native_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT,
    datastore_id TEXT,
    folder_path TEXT,
    path TEXT,
    file_type TEXT,
    size_bytes INTEGER,
    modified_at TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    deleted_at TEXT,
    UNIQUE (endpoint_id, native_id)
  )`,
  'CREATE INDEX datastore_file_datastore ON datastore_file (endpoint_id, datastore_id)',
  'CREATE INDEX datastore_file_sort_name_key ON datastore_file (deleted_at, name_key, native_id)',
  'ALTER TABLE endpoint ADD COLUMN file_info INTEGER NOT NULL DEFAULT 0',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
