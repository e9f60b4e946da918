import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Health fields the alert rules read: host SSH / ESXi Shell / NTP state, NTP servers and the host
 * certificate's expiry; a VM's connected floppy and its guest partitions. Frozen in time: never
 * imports application code. Existing rows keep NULL until their next sync.
 */
const STATEMENTS = [
  'ALTER TABLE host ADD COLUMN ssh_enabled INTEGER',
  'ALTER TABLE host ADD COLUMN shell_enabled INTEGER',
  'ALTER TABLE host ADD COLUMN ntp_running INTEGER',
  'ALTER TABLE host ADD COLUMN ntp_servers TEXT',
  'ALTER TABLE host ADD COLUMN certificate_expires_at TEXT',
  'ALTER TABLE vm ADD COLUMN floppy_connected INTEGER',
  'ALTER TABLE vm ADD COLUMN guest_disks TEXT',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
