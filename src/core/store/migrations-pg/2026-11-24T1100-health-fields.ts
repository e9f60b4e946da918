// PostgreSQL counterpart of migrations/2026-11-24T1100-health-fields.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Health fields the alert rules read: host SSH / ESXi Shell / NTP state, NTP servers and the host
 * certificate's expiry; a VM's connected floppy and its guest partitions. Frozen in time: never
 * imports application code. Existing rows keep NULL until their next sync.
 */
const STATEMENTS = [
  'ALTER TABLE host ADD COLUMN ssh_enabled BIGINT',
  'ALTER TABLE host ADD COLUMN shell_enabled BIGINT',
  'ALTER TABLE host ADD COLUMN ntp_running BIGINT',
  'ALTER TABLE host ADD COLUMN ntp_servers TEXT',
  'ALTER TABLE host ADD COLUMN certificate_expires_at TEXT',
  'ALTER TABLE vm ADD COLUMN floppy_connected BIGINT',
  'ALTER TABLE vm ADD COLUMN guest_disks TEXT',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
