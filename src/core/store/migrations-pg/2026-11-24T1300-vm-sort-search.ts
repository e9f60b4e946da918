// PostgreSQL counterpart of migrations/2026-11-24T1300-vm-sort-search.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * The names of a VM's host and cluster, copied onto the VM row and kept true by triggers, so the
 * VMs table sorts and searches by them through an index instead of joining and sorting 100,000
 * rows on every change. Triggers (not the writer) keep them, so every path that writes a VM, a
 * host or a cluster — full sync, incremental update, import — keeps them right. On PostgreSQL a
 * BEFORE trigger fills the VM's own row as it is written.
 *
 * The table's free-text search (name, IP, DNS name, guest OS, host, notes) goes through a pg_trgm
 * GIN index (where SQLite has its trigram FTS5 table) over those columns joined by a control
 * character no search text holds, so a match never spans two columns. A query uses exactly this
 * expression with ILIKE '%text%' (pg_trgm's trigrams ignore case, as FTS5's trigram tokenizer
 * does by default). pg_trgm ships with PostgreSQL (Debian's postgresql-NN package) and is a
 * trusted extension: the database's owner may create it.
 * Frozen in time: never imports application code.
 */
const SEARCH_EXPRESSION =
  "(coalesce(name, '') || chr(1) || coalesce(ip_address, '') || chr(1) || coalesce(guest_hostname, '') || chr(1) || coalesce(guest_os, '') || chr(1) || coalesce(host_name, '') || chr(1) || coalesce(annotation, ''))";

/** Triggers copying a host's or cluster's name onto its VMs when it is created or renamed. */
const copyName = (table: string, column: string, ref: string): string[] => [
  `CREATE FUNCTION ${table}_name_to_vm() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     UPDATE vm SET ${column} = NEW.name WHERE endpoint_id = NEW.endpoint_id AND ${ref} = NEW.native_id;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER ${table}_name_insert AFTER INSERT ON ${table}
     FOR EACH ROW EXECUTE FUNCTION ${table}_name_to_vm()`,
  `CREATE TRIGGER ${table}_name_update AFTER UPDATE OF name ON ${table}
     FOR EACH ROW EXECUTE FUNCTION ${table}_name_to_vm()`,
];

const STATEMENTS = [
  'ALTER TABLE vm ADD COLUMN host_name TEXT',
  'ALTER TABLE vm ADD COLUMN cluster_name TEXT',
  `UPDATE vm SET
     host_name = (SELECT h.name FROM host h WHERE h.endpoint_id = vm.endpoint_id AND h.native_id = vm.host_id),
     cluster_name = (SELECT c.name FROM cluster c WHERE c.endpoint_id = vm.endpoint_id AND c.native_id = vm.cluster_id)`,
  `CREATE FUNCTION vm_names() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     NEW.host_name := (SELECT h.name FROM host h WHERE h.endpoint_id = NEW.endpoint_id AND h.native_id = NEW.host_id);
     NEW.cluster_name := (SELECT c.name FROM cluster c WHERE c.endpoint_id = NEW.endpoint_id AND c.native_id = NEW.cluster_id);
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER vm_names_insert BEFORE INSERT ON vm
     FOR EACH ROW EXECUTE FUNCTION vm_names()`,
  `CREATE TRIGGER vm_names_move BEFORE UPDATE OF host_id, cluster_id, endpoint_id ON vm
     FOR EACH ROW EXECUTE FUNCTION vm_names()`,
  ...copyName('host', 'host_name', 'host_id'),
  ...copyName('cluster', 'cluster_name', 'cluster_id'),
  'CREATE EXTENSION IF NOT EXISTS pg_trgm',
  `CREATE INDEX vm_trgm ON vm USING gin (${SEARCH_EXPRESSION} gin_trgm_ops)`,
  'CREATE INDEX vm_sort_host ON vm (deleted_at, host_name, native_id)',
  'CREATE INDEX vm_sort_cluster ON vm (deleted_at, cluster_name, native_id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of STATEMENTS) await sql.raw(s).execute(db);
}
