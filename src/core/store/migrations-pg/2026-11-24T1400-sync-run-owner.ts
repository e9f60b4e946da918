// PostgreSQL counterpart of migrations/2026-11-24T1400-sync-run-owner.ts: same version, same meaning (issue 16).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/*
 * Which process runs a sync, and when it last said it was alive: a second process (the CLI next
 * to the desktop app) refuses to sync an endpoint someone else is syncing, and a run left
 * `running` by a process that died is recognised and closed as interrupted.
 * Frozen in time: never imports application code.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE sync_run ADD COLUMN owner TEXT').execute(db);
  await sql.raw('ALTER TABLE sync_run ADD COLUMN heartbeat_at TEXT').execute(db);
  await sql.raw('CREATE INDEX sync_run_status ON sync_run (status, endpoint_id)').execute(db);
}
