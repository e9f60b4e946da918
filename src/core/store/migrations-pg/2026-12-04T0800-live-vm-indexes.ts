// PostgreSQL counterpart of migrations/2026-12-04T0800-live-vm-indexes.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * The VMs table's sort orders over live VMs, served by an index on PostgreSQL too. The sort indexes
 * so far lead with deleted_at, which SQLite's planner treats as fixed under `deleted_at IS NULL`,
 * so it reads them in order; PostgreSQL's does not (IS NULL is no equality to it), so over a team
 * store of 100,000 VMs every page sorted the whole table (200-300 ms a change where SQLite takes
 * 20-30). Partial indexes WHERE deleted_at IS NULL are in the sort's order as they stand. They
 * carry endpoint_id and id, so a page's ids and a filtered count come from the index alone, and
 * a partial index on endpoint_id counts the live VMs without reading the table.
 * Frozen in time: never imports application code.
 */
const SORTS: readonly (readonly [index: string, column: string])[] = [
  ['vm_sort_name_key', 'name_key'],
  ['vm_sort_host', 'host_name'],
  ['vm_sort_cluster', 'cluster_name'],
  ['vm_sort_memory', 'memory_mb'],
  ['vm_sort_cpu', 'cpu_count'],
  ['vm_sort_provisioned', 'provisioned_bytes'],
  ['vm_sort_used', 'used_bytes'],
  ['vm_sort_ip', 'ip_address'],
  ['vm_sort_guest', 'guest_os'],
  ['vm_sort_power', 'power_state'],
  ['vm_sort_last_seen', 'last_seen'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [index, column] of SORTS) {
    await sql.raw(`DROP INDEX ${index}`).execute(db);
    await sql
      .raw(
        `CREATE INDEX ${index} ON vm (${column}, native_id) INCLUDE (endpoint_id, id) WHERE deleted_at IS NULL`,
      )
      .execute(db);
  }
  await sql
    .raw('CREATE INDEX vm_live_endpoint ON vm (endpoint_id) WHERE deleted_at IS NULL')
    .execute(db);
}
