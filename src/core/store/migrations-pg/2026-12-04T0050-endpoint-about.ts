// PostgreSQL counterpart of migrations/2026-12-04T0050-endpoint-about.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * What the server said it is at login (vim25 ServiceContent.about: version, build, API version,
 * instance UUID, …), as JSON, written by each full sync: RVTools' vSource sheet and its
 * "VI SDK UUID" / "VI SDK API Version" columns read it. Frozen in time: never imports
 * application code. Existing rows keep NULL until their next full sync.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE endpoint ADD COLUMN about TEXT').execute(db);
}
