// PostgreSQL counterpart of migrations/2026-12-04T0600-row-hash.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Every entity table gets `row_hash`: the digest of what the collector gave for the row, which a
 * full sync compares instead of comparing every stored column (see
 * src/core/inventory/row-hash.ts). Rows stored before this migration keep NULL, which never
 * matches, so nothing is backfilled. The entity tables are those with both `native_id` and
 * `name_key`, found in the schema as the SQLite migration finds them. Frozen in time: never
 * imports application code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = (
    await sql<{ name: string }>`SELECT t.table_name AS name FROM information_schema.tables t
      WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        AND EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema
          AND c.table_name = t.table_name AND c.column_name = 'name_key')
        AND EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema
          AND c.table_name = t.table_name AND c.column_name = 'native_id')
        AND NOT EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = t.table_schema
          AND c.table_name = t.table_name AND c.column_name = 'row_hash')
      ORDER BY t.table_name`.execute(db)
  ).rows;
  for (const { name } of tables) {
    await sql.raw(`ALTER TABLE "${name}" ADD COLUMN row_hash TEXT`).execute(db);
  }
}
