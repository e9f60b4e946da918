import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * The live VMs that carry tags, by an index of their own (issue 16). The workspace lists every
 * tag in the store (the scope selector and the tag chips, on each visit of a table), and that
 * read went through every VM's tag list, most of them empty: over 100,000 VMs, 100-250 ms here and
 * 0.5-2 s on PostgreSQL, beside the page's first rows. The tag listing now names the same
 * conditions, so only tagged VMs are read. SQLite's planner would still prefer an index with
 * deleted_at for `deleted_at IS NULL` over a partial one of ids; this one carries deleted_at and
 * the lists themselves, so it answers the read alone (PostgreSQL's holds ids: a btree entry there
 * has a size limit that a long tag list could pass). Frozen in time: never imports application
 * code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw("CREATE INDEX vm_tagged ON vm (deleted_at, tags) WHERE tags IS NOT NULL AND tags <> '[]'")
    .execute(db);
}
