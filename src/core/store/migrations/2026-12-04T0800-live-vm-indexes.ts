import type { Kysely } from 'kysely';

/*
 * The VMs table's sort orders over live VMs, served by an index (issue 16). On SQLite they already
 * are: the sort indexes lead with deleted_at, and SQLite's planner reads them in order under
 * `deleted_at IS NULL` (it treats IS NULL as an equality). PostgreSQL's planner does not, so its
 * counterpart (migrations-pg) rebuilds them as partial indexes. This version changes nothing here;
 * it exists because both sets hold the same versions.
 * Frozen in time: never imports application code.
 */
export async function up(_db: Kysely<unknown>): Promise<void> {}
