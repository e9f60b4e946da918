import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { SerializedError } from '../../shared/errors.js';
import type { Database, SyncRunRow } from '../store/schema.js';
import type { WriteCounts } from '../inventory/writer.js';

export type RunMode = 'full' | 'incremental';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export async function startRun(
  db: Kysely<Database>,
  endpointId: number,
  mode: RunMode,
  startedAt: Date,
): Promise<number> {
  const row = await db
    .insertInto('sync_run')
    .values({
      endpoint_id: endpointId,
      mode,
      status: 'running',
      started_at: startedAt.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Adds the counts of one incremental write to a running session row. */
export async function addRunCounts(
  db: Kysely<Database>,
  runId: number,
  c: WriteCounts,
): Promise<void> {
  await db
    .updateTable('sync_run')
    .set({
      seen: sql<number>`seen + ${c.seen}`,
      created: sql<number>`created + ${c.created}`,
      updated: sql<number>`updated + ${c.updated}`,
      deleted: sql<number>`deleted + ${c.deleted}`,
    })
    .where('id', '=', runId)
    .execute();
}

export async function finishRun(
  db: Kysely<Database>,
  runId: number,
  outcome: {
    readonly status: Exclude<RunStatus, 'running'>;
    readonly endedAt: Date;
    readonly durationMs: number;
    /** Full runs set the counts; incremental sessions accumulate them with addRunCounts. */
    readonly counts?: WriteCounts;
    readonly error?: SerializedError | null;
  },
): Promise<void> {
  await db
    .updateTable('sync_run')
    .set({
      status: outcome.status,
      ended_at: outcome.endedAt.toISOString(),
      duration_ms: Math.round(outcome.durationMs),
      ...(outcome.counts ?? {}),
      error_code: outcome.error?.code ?? null,
      error_message: outcome.error?.message ?? null,
    })
    .where('id', '=', runId)
    .execute();
}

export interface RunSummary {
  /** The latest full run (incremental sessions run for hours; their state is the scheduler's). */
  readonly last: SyncRunRow | null;
  /** End of the last successful run (or incremental write), for staleness. */
  readonly lastGoodAt: string | null;
  /** Failed full runs since the last successful one. */
  readonly consecutiveFailures: number;
}

/** The latest runs of one endpoint, folded into what the status card shows. */
export async function runSummary(db: Kysely<Database>, endpointId: number): Promise<RunSummary> {
  const recent = await db
    .selectFrom('sync_run')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('mode', '=', 'full')
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  const good = await db
    .selectFrom('sync_run')
    .select(({ fn }) => fn.max('ended_at').as('at'))
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  let consecutiveFailures = 0;
  for (const r of recent) {
    if (r.status === 'failed') consecutiveFailures++;
    else if (r.status === 'succeeded') break;
  }
  return { last: recent[0] ?? null, lastGoodAt: good?.at ?? null, consecutiveFailures };
}
