import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { SerializedError } from '../../shared/errors.js';
import { AppError } from '../../shared/errors.js';
import type { Database, SyncRunRow } from '../store/schema.js';
import type { WriteCounts } from '../inventory/writer.js';
import { engineOf } from '../store/sqlite.js';
import { lockedEndpoints } from './ownership.js';

export type RunMode = 'full' | 'incremental';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A running sync whose owner has not said it is alive for this long is taken as interrupted. */
export const LEASE_MS = 60_000;
/** How often a running sync says it is alive. */
export const HEARTBEAT_MS = 15_000;

/**
 * When process `pid` started, as the kernel counts it (field 22 of /proc/<pid>/stat, clock ticks
 * since boot), or null where there is no /proc or the process is gone. Together with the pid it
 * names one process: a pid reused by a later process has another start time.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start && /^\d+$/.test(start) ? start : null;
  } catch {
    return null;
  }
}

/**
 * This process's name on the runs it starts: `host:pid:nonce:start` — the host, the pid, a nonce
 * (two runs of one pid are told apart) and the process's start time where the platform gives it
 * (see {@link processStartTime}; empty elsewhere).
 */
export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}:${processStartTime(process.pid) ?? ''}`;

/** Whether a process with this pid exists: signal 0 checks without sending anything. */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the owner of a run is known to be gone: it ran on this host and its pid no longer
 * exists, or the pid now belongs to a process that started at another time (pids are reused).
 * Owners on other hosts, and owners that do not parse, are never known gone: for them the
 * heartbeat lease decides.
 */
export function ownerIsGone(owner: string | null, host: string = hostname()): boolean {
  const [ownerHost, pidText, , start] = owner?.split(':') ?? [];
  if (ownerHost !== host || !pidText || !/^\d+$/.test(pidText)) return false;
  const pid = Number(pidText);
  if (!pidExists(pid)) return true;
  if (!start) return false;
  const now = processStartTime(pid);
  return now !== null && now !== start;
}

const INTERRUPTED = {
  status: 'failed',
  error_code: 'INTERRUPTED',
  error_message: 'The process running this sync stopped before it finished.',
} as const;

function lastSignOfLife(r: { heartbeat_at: string | null; started_at: string }): number {
  return Date.parse(r.heartbeat_at ?? r.started_at);
}

/**
 * Records a new run, unless another process is syncing the endpoint: one transaction (BEGIN
 * IMMEDIATE) checks the endpoint's running rows, closes those whose owner is gone (a process of
 * this host that no longer exists, at once) or stopped saying it is alive (the lease, for owners
 * elsewhere) as interrupted, and inserts ours — so two processes never both start.
 *
 * `claimed`: the caller holds the endpoint's sync lock (PostgreSQL, see ownership.ts), so any
 * other process's running row is a dead one's, whatever its heartbeat says.
 */
export async function startRun(
  db: Kysely<Database>,
  endpointId: number,
  mode: RunMode,
  startedAt: Date,
  owner: string = PROCESS_OWNER,
  claimed = false,
): Promise<number> {
  const at = startedAt.toISOString();
  return db.transaction().execute(async (trx) => {
    const running = await trx
      .selectFrom('sync_run')
      .select(['id', 'owner', 'heartbeat_at', 'started_at'])
      .where('endpoint_id', '=', endpointId)
      .where('status', '=', 'running')
      .execute();
    const others = running.filter((r) => r.owner !== owner);
    const alive = claimed
      ? undefined
      : others.find(
          (r) => !ownerIsGone(r.owner) && startedAt.getTime() - lastSignOfLife(r) < LEASE_MS,
        );
    if (alive) {
      const pid = alive.owner?.split(':')[1];
      throw new AppError(
        'CONFLICT',
        `Another process${pid ? ` (pid ${pid})` : ''} is syncing this endpoint (run ${alive.id}); try again when it has finished.`,
        { runId: alive.id, endpointId },
      );
    }
    if (others.length > 0) {
      await trx
        .updateTable('sync_run')
        .set({ ...INTERRUPTED, ended_at: at })
        .where(
          'id',
          'in',
          others.map((r) => r.id),
        )
        .execute();
    }
    const row = await trx
      .insertInto('sync_run')
      .values({
        endpoint_id: endpointId,
        mode,
        status: 'running',
        started_at: at,
        owner,
        heartbeat_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/** Says a running sync is alive (see {@link LEASE_MS}). */
export async function heartbeat(db: Kysely<Database>, runId: number, at: Date): Promise<void> {
  await db
    .updateTable('sync_run')
    .set({ heartbeat_at: at.toISOString() })
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .execute();
}

/**
 * Beats every {@link HEARTBEAT_MS} until stopped. A failed beat is only logged by the caller's
 * next write failing; the lease is generous enough to miss a few.
 */
export function keepAlive(db: Kysely<Database>, runId: number, now: () => Date): () => void {
  const timer = setInterval(() => {
    heartbeat(db, runId, now()).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref?.();
  return () => clearInterval(timer);
}

/**
 * Closes runs left `running` by processes that stopped (a crash, a kill, a power cut) as
 * interrupted, so the history and the endpoint cards do not show them running forever. Runs of
 * live processes and of this process are left alone. Returns how many. A process is live by its
 * heartbeat on SQLite; on PostgreSQL by its endpoint's sync lock, which the server frees when the
 * process's session ends.
 */
export async function sweepInterruptedRuns(
  db: Kysely<Database>,
  now: Date,
  owner: string = PROCESS_OWNER,
): Promise<number> {
  const running = await db
    .selectFrom('sync_run')
    .select(['id', 'endpoint_id', 'owner', 'heartbeat_at', 'started_at'])
    .where('status', '=', 'running')
    .execute();
  const held = engineOf(db) === 'postgres' ? await lockedEndpoints(db) : null;
  const dead = running.filter(
    (r) =>
      r.owner !== owner &&
      (held
        ? !held.has(r.endpoint_id)
        : ownerIsGone(r.owner) || now.getTime() - lastSignOfLife(r) >= LEASE_MS),
  );
  if (dead.length === 0) return 0;
  await db
    .updateTable('sync_run')
    .set({ ...INTERRUPTED, ended_at: now.toISOString() })
    .where(
      'id',
      'in',
      dead.map((r) => r.id),
    )
    .where('status', '=', 'running')
    .execute();
  return dead.length;
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
