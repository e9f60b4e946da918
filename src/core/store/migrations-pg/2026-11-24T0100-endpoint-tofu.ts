// PostgreSQL counterpart of migrations/2026-11-24T0100-endpoint-tofu.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Trust on first use: the endpoint asked to pin the certificate it sees on first contact. Cleared
 * once the pin is taken. Frozen in time: never imports application code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw('ALTER TABLE endpoint ADD COLUMN tls_trust_on_first_use BIGINT NOT NULL DEFAULT 0')
    .execute(db);
}
