// PostgreSQL counterpart of migrations/2026-11-24T0930-workspace-indexes.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Indexes for the inventory workspace at 100,000 VMs. Frozen in time: never imports application
 * code.
 * - `vm_search` covers every column the command palette matches (name, IPs, DNS name, UUIDs), so
 *   a search that finds nothing reads this narrow index instead of the wide table.
 * - `vm_*_nocase` answer the palette's prefix matches (a name, an IP, a DNS name or a UUID as it
 *   is typed) as an index range: PostgreSQL has no NOCASE collation, so they index lower(column)
 *   with text_pattern_ops, which serves `lower(column) LIKE 'x%'` in any database collation.
 * - `vm_sort_*` let a table sorted by a common numeric or text column read its first page in
 *   index order instead of sorting every live VM (native id last: the query's tiebreak).
 */
const STATEMENTS = [
  'CREATE INDEX vm_search ON vm (deleted_at, name, ip_address, guest_hostname, uuid, instance_uuid, ip_addresses, native_id, endpoint_id)',
  'CREATE INDEX vm_name_nocase ON vm (lower(name) text_pattern_ops)',
  'CREATE INDEX vm_ip_nocase ON vm (lower(ip_address) text_pattern_ops)',
  'CREATE INDEX vm_dns_nocase ON vm (lower(guest_hostname) text_pattern_ops)',
  'CREATE INDEX vm_uuid_nocase ON vm (lower(uuid) text_pattern_ops)',
  'CREATE INDEX vm_sort_memory ON vm (deleted_at, memory_mb, native_id)',
  'CREATE INDEX vm_sort_cpu ON vm (deleted_at, cpu_count, native_id)',
  'CREATE INDEX vm_sort_provisioned ON vm (deleted_at, provisioned_bytes, native_id)',
  'CREATE INDEX vm_sort_used ON vm (deleted_at, used_bytes, native_id)',
  'CREATE INDEX vm_sort_ip ON vm (deleted_at, ip_address, native_id)',
  'CREATE INDEX vm_sort_guest ON vm (deleted_at, guest_os, native_id)',
  'CREATE INDEX vm_sort_power ON vm (deleted_at, power_state, native_id)',
  'CREATE INDEX vm_sort_last_seen ON vm (deleted_at, last_seen, native_id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
