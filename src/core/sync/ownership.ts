import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { AppError } from '../../shared/errors.js';
import type { HeldLock } from '../store/pg-sessions.js';
import { lockSessionOf } from '../store/pg-sessions.js';
import type { Database } from '../store/schema.js';
import { engineOf } from '../store/sqlite.js';

/*
 * Which process syncs an endpoint, on a PostgreSQL store: the one whose session holds the
 * advisory lock (SYNC_LOCK_NAMESPACE, endpoint id) for the whole sync, watch sessions included.
 * The server frees it when that session ends — a finished sync, a killed process, a dropped
 * connection — so nothing has to beat or expire. On SQLite the run rows' lease decides (runs.ts).
 */

/** First key of the sync locks (the two-int form never meets kysely's one-bigint migration lock). */
export const SYNC_LOCK_NAMESPACE = 0x1f5c_0001;

/**
 * Claims `endpoint` for this process's sync. PostgreSQL: its advisory lock, or CONFLICT naming
 * the endpoint when another process holds it. SQLite: null (startRun's lease does the job).
 */
export async function claimEndpoint(
  db: Kysely<Database>,
  endpoint: { readonly id: number; readonly name: string },
): Promise<HeldLock | null> {
  if (engineOf(db) !== 'postgres') return null;
  const lock = await lockSessionOf(db).tryLock(SYNC_LOCK_NAMESPACE, endpoint.id);
  if (lock) return lock;
  // Who it is, as far as the store knows: the holder's running row, if it wrote one yet.
  const run = await db
    .selectFrom('sync_run')
    .select(['id', 'owner'])
    .where('endpoint_id', '=', endpoint.id)
    .where('status', '=', 'running')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  const [host, pid] = run?.owner?.split(':') ?? [];
  const who = run && host && pid ? ` (pid ${pid} on ${host}, run ${run.id})` : '';
  throw new AppError(
    'CONFLICT',
    `Another process${who} holds the endpoint "${endpoint.name}" and is syncing it; try again when it has finished.`,
    { endpointId: endpoint.id, ...(run ? { runId: run.id } : {}) },
  );
}

/** Endpoints whose sync lock some session holds now (in this database), on PostgreSQL. */
export async function lockedEndpoints(db: Kysely<Database>): Promise<Set<number>> {
  // A two-int advisory lock shows its keys as classid and objid with objsubid 2.
  const r = await sql<{ id: number }>`
    SELECT objid::bigint AS id FROM pg_locks
     WHERE locktype = 'advisory' AND granted AND objsubid = 2
       AND classid::bigint = ${SYNC_LOCK_NAMESPACE}
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`.execute(db);
  return new Set(r.rows.map((x) => Number(x.id)));
}
