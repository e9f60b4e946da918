// PostgreSQL counterpart of migrations/2026-12-04T0300-natural-sort.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Names sort as people read them (VM2 before VM10): every entity table gets `name_key`, the name
 * in lower case with each run of digits written as its length (two digits) and its digits, so
 * plain byte order is natural order and an index serves a sorted window of 100,000 VMs. SQLite
 * has no such collation, and a registered function would make the file unwritable by any other
 * SQLite client; the writer computes the key beside the name instead, and this fills it in for
 * the rows already stored.
 * Frozen in time: never imports application code, so the key's rule is spelled out here as the
 * writer spelled it on this date.
 */
const TABLES = [
  'datacenter',
  'folder',
  'cluster',
  'host',
  'resource_pool',
  'datastore',
  'network',
  'vm',
  'vm_disk',
  'vm_nic',
  'snapshot',
  // The RVTools model's tables (2026-12-04T0100 and T0200, which run before this one).
  'guest_partition',
  'host_nic',
  'hba',
  'vmkernel',
  'multipath_lun',
  'license',
  'standard_switch',
  'port_group',
];

/** Rows per multi-row INSERT of the backfill (PostgreSQL allows 65,535 bound values). */
const BATCH = 500;

function keyOf(name: string): string {
  return name.toLowerCase().replace(/\d+/g, (run) => {
    const digits = run.replace(/^0+(?=\d)/, '');
    return String(Math.min(digits.length, 99)).padStart(2, '0') + digits;
  });
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw('CREATE TEMP TABLE natural_sort_backfill (id BIGINT PRIMARY KEY, k TEXT)')
    .execute(db);
  for (const table of TABLES) {
    await sql.raw(`ALTER TABLE ${table} ADD COLUMN name_key TEXT`).execute(db);
    const rows = (
      await sql<{ id: number; name: string }>`SELECT id, name FROM ${sql.table(table)}`.execute(db)
    ).rows;
    for (let i = 0; i < rows.length; i += BATCH) {
      const part = rows.slice(i, i + BATCH);
      await sql`INSERT INTO natural_sort_backfill (id, k) VALUES ${sql.join(part.map((r) => sql`(${r.id}, ${keyOf(r.name)})`))}`.execute(
        db,
      );
    }
    await sql
      .raw(
        `UPDATE ${table} SET name_key = (SELECT k FROM natural_sort_backfill b WHERE b.id = ${table}.id)`,
      )
      .execute(db);
    await sql.raw('DELETE FROM natural_sort_backfill').execute(db);
  }
  await sql.raw('DROP TABLE natural_sort_backfill').execute(db);
  // The tables' sorted windows read these in order (the VMs' with the id tiebreak a page uses).
  await sql
    .raw('CREATE INDEX vm_sort_name_key ON vm (deleted_at, name_key, native_id)')
    .execute(db);
  for (const table of [
    'host',
    'cluster',
    'datastore',
    'network',
    'resource_pool',
    'datacenter',
    'folder',
  ]) {
    await sql
      .raw(`CREATE INDEX ${table}_sort_name_key ON ${table} (deleted_at, name_key, native_id)`)
      .execute(db);
  }
}
