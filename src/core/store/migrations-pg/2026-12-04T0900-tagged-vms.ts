import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * PostgreSQL counterpart of migrations/2026-12-04T0900-tagged-vms.ts: same version, same meaning
 * (issue 16). The live VMs that carry tags, by an index of their own. The workspace lists every
 * tag in the store (the scope selector and the tag chips, on each visit of a table), and that
 * read went through every VM's tag list, most of them empty: over 100,000 VMs, 0.5-2 s here and
 * 100-250 ms on SQLite, beside the page's first rows. The tag listing now names the same
 * conditions, so only tagged VMs are read. Frozen in time: never imports application code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      "CREATE INDEX vm_tagged ON vm (id) WHERE deleted_at IS NULL AND tags IS NOT NULL AND tags <> '[]'",
    )
    .execute(db);
}
