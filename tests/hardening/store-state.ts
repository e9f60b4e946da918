import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/core/store/schema.js';

/**
 * Every row of every table of a store (either engine), each table's rows as sorted JSON: what a
 * test compares before and after hostile input to show that it changed nothing.
 */
export async function storeState(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const tables = await db.introspection.getTables();
  const state: Record<string, string[]> = {};
  for (const t of tables) {
    const name = t.schema ? `${t.schema}.${t.name}` : t.name;
    const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(name)}`.execute(db);
    state[name] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return state;
}
