// PostgreSQL counterpart of migrations/2026-12-03T0100-relations-only.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * A relation (a VM's datastores and networks, a host's datastores and networks, the hosts that see
 * a datastore or a network) was stored twice: as a JSON list in a column of the entity's row and
 * as rows of the relation table, and readers disagreed about which to trust. The relation table
 * stays. Rows whose relation rows are missing get them from their JSON list first; then the
 * columns go. Frozen in time: never imports application code.
 */
const RELATION_COLUMNS: readonly (readonly [table: string, column: string, kind: string])[] = [
  ['host', 'datastore_ids', 'host.datastoreIds'],
  ['host', 'network_ids', 'host.networkIds'],
  ['datastore', 'host_ids', 'datastore.hostIds'],
  ['network', 'host_ids', 'network.hostIds'],
  ['vm', 'datastore_ids', 'vm.datastoreIds'],
  ['vm', 'network_ids', 'vm.networkIds'],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  // SQLite's json_valid, for this migration only: unreadable text reads as an empty list.
  await sql
    .raw(
      `CREATE FUNCTION pg_temp.json_list(t TEXT) RETURNS jsonb LANGUAGE plpgsql AS $$
       DECLARE j jsonb;
       BEGIN
         j := t::jsonb;
         RETURN CASE WHEN jsonb_typeof(j) = 'array' THEN j ELSE '[]'::jsonb END;
       EXCEPTION WHEN others THEN
         RETURN '[]'::jsonb;
       END $$`,
    )
    .execute(db);
  for (const [table, column, kind] of RELATION_COLUMNS) {
    // Live rows only (a soft delete removes relation rows), and only lists that hold text ids.
    await sql
      .raw(
        `INSERT INTO relation (endpoint_id, kind, from_id, to_id)
         SELECT t.endpoint_id, '${kind}', t.native_id, j.value #>> '{}'
         FROM ${table} t, jsonb_array_elements(pg_temp.json_list(t.${column})) j
         WHERE t.deleted_at IS NULL AND t.${column} IS NOT NULL
           AND jsonb_typeof(j.value) = 'string'
           AND NOT EXISTS (
             SELECT 1 FROM relation r
             WHERE r.endpoint_id = t.endpoint_id AND r.kind = '${kind}' AND r.from_id = t.native_id)
         ON CONFLICT DO NOTHING`,
      )
      .execute(db);
  }
  await sql.raw('DROP FUNCTION pg_temp.json_list(TEXT)').execute(db);
  for (const [table, column] of RELATION_COLUMNS) {
    await sql.raw(`ALTER TABLE ${table} DROP COLUMN ${column}`).execute(db);
  }
}
