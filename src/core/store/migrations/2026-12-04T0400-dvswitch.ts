import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * RVTools parity, the rest of what vSphere offers: distributed virtual switches and datastore
 * clusters (StoragePod) as entities, and the plain properties still missing from vHost, vRP,
 * vDatastore and dvPort. Frozen in time: never imports application code. Existing rows keep
 * NULL until their next sync.
 */

/** The columns every entity table starts with. */
const ENTITY_HEAD = `id INTEGER PRIMARY KEY,
    endpoint_id INTEGER NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
    native_id TEXT NOT NULL,
    name TEXT NOT NULL`;

/** The columns every entity table ends with (name_key: see 2026-12-04T0300-natural-sort). */
const ENTITY_TAIL = `first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    deleted_at TEXT,
    name_key TEXT,
    UNIQUE (endpoint_id, native_id)`;

const STATEMENTS = [
  'ALTER TABLE host ADD COLUMN in_quarantine_mode INTEGER',
  'ALTER TABLE host ADD COLUMN vsan_fault_domain TEXT',
  'ALTER TABLE host ADD COLUMN memory_tiering_type TEXT',
  'ALTER TABLE resource_pool ADD COLUMN cpu_overhead_limit_mhz INTEGER',
  'ALTER TABLE resource_pool ADD COLUMN memory_overhead_limit_mb INTEGER',
  'ALTER TABLE datastore ADD COLUMN datastore_cluster_id TEXT',
  'ALTER TABLE datastore ADD COLUMN nas_remote_host TEXT',
  'ALTER TABLE datastore ADD COLUMN nas_remote_path TEXT',
  'ALTER TABLE network ADD COLUMN check_duplex INTEGER',
  'ALTER TABLE network ADD COLUMN check_error_percent INTEGER',
  'ALTER TABLE network ADD COLUMN check_speed TEXT',
  'ALTER TABLE network ADD COLUMN failure_percentage INTEGER',
  `CREATE TABLE dv_switch (
    ${ENTITY_HEAD},
    datacenter_id TEXT,
    uuid TEXT,
    product_name TEXT,
    vendor TEXT,
    version TEXT,
    description TEXT,
    created_at TEXT,
    max_ports INTEGER,
    num_ports INTEGER,
    in_shaping INTEGER,
    in_shaping_avg_bps INTEGER,
    in_shaping_peak_bps INTEGER,
    in_shaping_burst_bytes INTEGER,
    out_shaping INTEGER,
    out_shaping_avg_bps INTEGER,
    out_shaping_peak_bps INTEGER,
    out_shaping_burst_bytes INTEGER,
    discovery_protocol TEXT,
    discovery_operation TEXT,
    lacp_groups TEXT,
    max_mtu INTEGER,
    contact TEXT,
    admin_name TEXT,
    ${ENTITY_TAIL}
  )`,
  'CREATE INDEX dv_switch_sort_name_key ON dv_switch (deleted_at, name_key, native_id)',
  `CREATE TABLE datastore_cluster (
    ${ENTITY_HEAD},
    datacenter_id TEXT,
    capacity_bytes INTEGER,
    free_bytes INTEGER,
    ${ENTITY_TAIL}
  )`,
  'CREATE INDEX datastore_cluster_sort_name_key ON datastore_cluster (deleted_at, name_key, native_id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of STATEMENTS) {
    await sql.raw(statement).execute(db);
  }
}
