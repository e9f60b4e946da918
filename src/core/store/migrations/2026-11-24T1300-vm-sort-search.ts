import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * The names of a VM's host and cluster, copied onto the VM row and kept true by triggers, so the
 * VMs table sorts and searches by them through an index instead of joining and sorting 100,000
 * rows on every change. Triggers (not the writer) keep them, so every path that writes a VM, a
 * host or a cluster — full sync, incremental update, import — keeps them right.
 *
 * The table's free-text search (name, IP, DNS name, guest OS, host, notes) goes through a trigram
 * FTS5 index of those columns: a substring match becomes an index lookup instead of six LIKEs
 * over every row. It stores its own copy (not external content), so replacing or deleting a row
 * it never saw is harmless. Rows enter it through the host/cluster-name UPDATE every insert runs.
 * Frozen in time: never imports application code.
 */
const names = (row: string): string =>
  `host_name = (SELECT h.name FROM host h WHERE h.endpoint_id = ${row}.endpoint_id AND h.native_id = ${row}.host_id),
   cluster_name = (SELECT c.name FROM cluster c WHERE c.endpoint_id = ${row}.endpoint_id AND c.native_id = ${row}.cluster_id)`;

/** Triggers copying a host's or cluster's name onto its VMs when it is created or renamed. */
const copyName = (table: string, column: string, ref: string): string[] =>
  ['INSERT', 'UPDATE OF name'].map(
    (event) => `CREATE TRIGGER ${table}_name_${event.startsWith('INSERT') ? 'insert' : 'update'}
       AFTER ${event} ON ${table} BEGIN
         UPDATE vm SET ${column} = NEW.name WHERE endpoint_id = NEW.endpoint_id AND ${ref} = NEW.native_id;
       END`,
  );

const SEARCHED = ['name', 'ip_address', 'guest_hostname', 'guest_os', 'host_name', 'annotation'];

const STATEMENTS = [
  'ALTER TABLE vm ADD COLUMN host_name TEXT',
  'ALTER TABLE vm ADD COLUMN cluster_name TEXT',
  `UPDATE vm SET ${names('vm')}`,
  `CREATE TRIGGER vm_names_insert AFTER INSERT ON vm BEGIN
     UPDATE vm SET ${names('NEW')} WHERE rowid = NEW.rowid;
   END`,
  `CREATE TRIGGER vm_names_move AFTER UPDATE OF host_id, cluster_id, endpoint_id ON vm BEGIN
     UPDATE vm SET ${names('NEW')} WHERE rowid = NEW.rowid;
   END`,
  ...copyName('host', 'host_name', 'host_id'),
  ...copyName('cluster', 'cluster_name', 'cluster_id'),
  `CREATE VIRTUAL TABLE vm_fts USING fts5(${SEARCHED.join(', ')}, tokenize = 'trigram')`,
  `INSERT INTO vm_fts (rowid, ${SEARCHED.join(', ')}) SELECT id, ${SEARCHED.join(', ')} FROM vm`,
  `CREATE TRIGGER vm_fts_update AFTER UPDATE OF ${SEARCHED.join(', ')} ON vm BEGIN
     INSERT OR REPLACE INTO vm_fts (rowid, ${SEARCHED.join(', ')})
       VALUES (NEW.id, ${SEARCHED.map((c) => `NEW.${c}`).join(', ')});
   END`,
  `CREATE TRIGGER vm_fts_delete AFTER DELETE ON vm BEGIN
     DELETE FROM vm_fts WHERE rowid = OLD.id;
   END`,
  'CREATE INDEX vm_sort_host ON vm (deleted_at, host_name, native_id)',
  'CREATE INDEX vm_sort_cluster ON vm (deleted_at, cluster_name, native_id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of STATEMENTS) await sql.raw(s).execute(db);
}
