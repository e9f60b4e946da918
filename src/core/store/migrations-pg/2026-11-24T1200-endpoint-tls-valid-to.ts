// PostgreSQL counterpart of migrations/2026-11-24T1200-endpoint-tls-valid-to.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * The expiry of the TLS certificate an endpoint presented at its last connectivity test, for the
 * endpoint-certificate-expiring alert rule. Frozen in time: never imports application code.
 * Existing rows keep NULL until their next test.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE endpoint ADD COLUMN tls_valid_to TEXT').execute(db);
}
