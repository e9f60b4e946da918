import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './schema.js';

/**
 * Runs ANALYZE on those of `tables` that were never analyzed or mostly changed since. PostgreSQL
 * plans with table statistics, and autovacuum gathers them only a while after a bulk load: right
 * after a first sync (or into a fresh snapshot table) the planner reads each VM's relation lists
 * through the wrong index, and a diff that takes 2 s took 200 s. Names come from the caller's
 * fixed lists, never from input.
 */
export async function analyzeStale(db: Kysely<Database>, tables: readonly string[]): Promise<void> {
  const stale = await sql<{ name: string }>`SELECT c.relname AS name FROM pg_class c
      LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
     WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
       AND c.relname = ANY(${[...tables]}::text[])
       AND (c.reltuples < 0 OR coalesce(s.n_mod_since_analyze, 0) > greatest(c.reltuples, 0) + 1000)`.execute(
    db,
  );
  if (stale.rows.length > 0)
    await sql.raw(`ANALYZE ${stale.rows.map((r) => `"${r.name}"`).join(', ')}`).execute(db);
}
