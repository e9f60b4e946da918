import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Every entity table gets `row_hash`: the digest of what the collector gave for the row, which a
 * full sync compares instead of reading and comparing every stored column (see
 * src/core/inventory/row-hash.ts). Rows stored before this migration keep NULL, which never
 * matches: the next full sync compares them in full once and stores their digest, so nothing is
 * backfilled here. The entity tables are those with a natural sort key (migration natural-sort
 * gave every one of them `name_key`), found in the schema rather than listed, so a table another
 * migration of the same day added is covered too; the writer checks for the column and compares
 * in full where a table has none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const tables = (
    await sql<{ name: string }>`SELECT m.name FROM sqlite_master m
      WHERE m.type = 'table'
        AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'name_key')
        AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'native_id')
        AND NOT EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'row_hash')
      ORDER BY m.name`.execute(db)
  ).rows;
  for (const { name } of tables) {
    await sql.raw(`ALTER TABLE "${name}" ADD COLUMN row_hash TEXT`).execute(db);
  }
}
