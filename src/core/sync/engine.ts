import type { Kysely } from 'kysely';
import type { SyncProgressEvent } from '../../shared/contract.js';
import type { EntityType, FullInventory, InventoryDelta } from '../../shared/entities.js';
import type { EndpointKind } from '../../shared/endpoints.js';
import type { SerializedError } from '../../shared/errors.js';
import { AppError, serializeError } from '../../shared/errors.js';
import type {
  CollectContext,
  Collector,
  CollectorFactory,
  FileListingRequest,
} from '../collectors/collector.js';
import type { EventHub } from '../contract/handlers.js';
import type { WriteCounts } from '../inventory/writer.js';
import { writeFullInventory, writeInventoryDelta } from '../inventory/writer.js';
import type { Logger } from '../logger.js';
import type { Database, EndpointRow } from '../store/schema.js';
import { openCredential } from '../vault/credentials.js';
import type { VaultBackend } from '../vault/vault.js';
import type { HeldLock } from '../store/pg-sessions.js';
import { claimEndpoint } from './ownership.js';
import { addRunCounts, finishRun, keepAlive, startRun } from './runs.js';

export interface SyncEngineDeps {
  readonly db: Kysely<Database>;
  readonly vault: VaultBackend;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly collectors: Partial<Record<EndpointKind, CollectorFactory>>;
  /**
   * Takes a trust-on-first-use pin before the collector connects (the collector itself only ever
   * connects with a pin or the system CAs). Returns the thumbprint to use.
   */
  readonly pinFirstUse?: (endpoint: EndpointRow, signal: AbortSignal) => Promise<string | null>;
  /** How often a broken update stream may fall back to a full collection within one session. */
  readonly maxWatchRestarts?: number;
  /** Whose runs these are (default: this process); tests give two cores two owners. */
  readonly owner?: string;
}

export interface SyncRunOptions {
  readonly signal: AbortSignal;
  /** After the full collection, follow incremental updates until the signal aborts. */
  readonly watch: boolean;
  /** Waits for a slot of the global concurrency limit; held only during full collections. */
  readonly acquire?: (signal: AbortSignal) => Promise<() => void>;
  /** Told each time data is known good (a full write, an incremental write). */
  readonly onGood?: (at: Date) => void;
  /** Told when the session switches between a full collection and following updates. */
  readonly onWatching?: (watching: boolean) => void;
  /**
   * List the datastores' files (RVTools' vFileInfo) in this run's full collections, with these
   * bounds (`true`: the defaults), or not (`false`). Absent: the endpoint's setting decides.
   */
  readonly fileInfo?: boolean | FileListingRequest;
}

export interface SyncOutcome {
  readonly endpointId: number;
  readonly endpoint: string;
  /** The run row of the (last) full collection. */
  readonly runId: number | null;
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly counts: WriteCounts | null;
  readonly error: SerializedError | null;
  readonly durationMs: number;
  /** What the collection left out and why (a file listing cut by its cap); empty when complete. */
  readonly notes?: readonly string[];
}

const ZERO: WriteCounts = { seen: 0, created: 0, updated: 0, deleted: 0 };

/** Replaces every occurrence of the secret in an error before it is stored, logged or emitted. */
export function scrubSecret(err: SerializedError, secret: string | null): SerializedError {
  if (!secret) return err;
  const json = JSON.stringify(err);
  if (!json.includes(JSON.stringify(secret).slice(1, -1))) return err;
  return JSON.parse(
    json.split(JSON.stringify(secret).slice(1, -1)).join('[redacted]'),
  ) as SerializedError;
}

function typesOf(
  entities: readonly { type: EntityType }[],
  removals: readonly { type: EntityType }[] = [],
): EntityType[] {
  return [...new Set([...entities.map((e) => e.type), ...removals.map((r) => r.type)])];
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'The sync was cancelled.');
}

/**
 * Runs one sync of one endpoint: opens its secret, collects everything, writes it in one
 * transaction and records the run. With `watch`, it then follows incremental updates (one
 * `incremental` run row per update session, its counts summed over the deltas) until the signal
 * aborts; a broken update stream falls back to a full collection, then watching resumes.
 *
 * The collector is always disposed. Cancellation never leaves a half-written store: each write
 * is one transaction, and a run cancelled before its write records `cancelled`.
 */
export async function runSync(
  deps: SyncEngineDeps,
  endpointId: number,
  opts: SyncRunOptions,
): Promise<SyncOutcome> {
  const row = await deps.db
    .selectFrom('endpoint')
    .selectAll()
    .where('id', '=', endpointId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', `No endpoint with id ${endpointId}.`);
  const log = deps.log.child({ endpoint: row.name, endpointId });
  const emit = (p: Omit<SyncProgressEvent, 'endpointId' | 'endpoint'>): void =>
    deps.events.emit('sync:progress', { endpointId, endpoint: row.name, ...p });

  // Another process is syncing this endpoint (or the store refused the row): no run of ours.
  const notStarted = (e: unknown): SyncOutcome => {
    const error = serializeError(e);
    emit({ runId: null, state: 'failed', phase: 'done', error });
    log.warn({ code: error.code, message: error.message }, 'sync not started');
    return {
      endpointId,
      endpoint: row.name,
      runId: null,
      status: 'failed',
      counts: null,
      error,
      durationMs: 0,
    };
  };
  // PostgreSQL: the endpoint's sync lock, held until the session (watching included) ends.
  let claim: HeldLock | null;
  try {
    claim = await claimEndpoint(deps.db, row);
  } catch (e) {
    return notStarted(e);
  }
  // Losing the lock (its connection dropped) stops the sync: another process may hold it now.
  const run: SyncRunOptions = claim
    ? { ...opts, signal: AbortSignal.any([opts.signal, claim.lost]) }
    : opts;
  const lostError = (): SerializedError | null =>
    claim?.lost.aborted && !opts.signal.aborted ? serializeError(claim.lost.reason) : null;

  let secret: string | null = null;
  let collector: Collector | null = null;
  const t0 = deps.now().getTime();
  const fileInfo = fileListingOf(opts.fileInfo ?? row.file_info === 1);

  const full = async (): Promise<SyncOutcome> => {
    const started = deps.now();
    let runId: number;
    try {
      runId = await startRun(deps.db, endpointId, 'full', started, deps.owner, claim !== null);
    } catch (e) {
      return notStarted(e);
    }
    emit({ runId, state: 'running', phase: 'queued' });
    // The lock says the owner is alive where there is one; the lease needs beats where not.
    const stopBeating = claim ? () => undefined : keepAlive(deps.db, runId, deps.now);
    let release: (() => void) | null = null;
    try {
      if (run.acquire) release = await run.acquire(run.signal);
      if (run.signal.aborted) throw cancelled();
      if (!collector) {
        emit({ runId, state: 'running', phase: 'connect' });
        collector = await createCollector(deps, row, run.signal, (s) => (secret = s));
      }
      const ctx: CollectContext = {
        signal: run.signal,
        log,
        watchNext: opts.watch === true,
        ...(fileInfo ? { fileInfo } : {}),
        progress: (p) =>
          emit({
            runId,
            state: 'running',
            phase: p.phase,
            ...(p.done === undefined ? {} : { done: p.done }),
            ...(p.total === undefined ? {} : { total: p.total }),
          }),
      };
      const inv: FullInventory = await collector.collectFull(ctx);
      if (run.signal.aborted) throw cancelled();
      emit({ runId, state: 'running', phase: 'write', total: inv.entities.length });
      const at = deps.now();
      const counts = await writeFullInventory(deps.db, inv, {
        endpointId,
        syncRunId: runId,
        now: at,
      });

      const durationMs = deps.now().getTime() - started.getTime();
      await finishRun(deps.db, runId, {
        status: 'succeeded',
        endedAt: deps.now(),
        durationMs,
        counts,
      });
      opts.onGood?.(at);
      deps.events.emit('inventory:changed', {
        endpointId,
        runId,
        types: typesOf(inv.entities),
        ...countsOf(counts),
      });
      const notes = inv.fileListing?.notes ?? [];
      emit({
        runId,
        state: 'succeeded',
        phase: 'done',
        done: counts.seen,
        total: counts.seen,
        ...(notes.length > 0 ? { notes } : {}),
      });
      log.info({ runId, durationMs, ...counts }, 'sync succeeded');
      return {
        ...(notes.length > 0 ? { notes } : {}),
        endpointId,
        endpoint: row.name,
        runId,
        status: 'succeeded',
        counts,
        error: null,
        durationMs,
      };
    } catch (e) {
      const status = opts.signal.aborted ? 'cancelled' : 'failed';
      const error = scrubSecret(
        opts.signal.aborted ? cancelled().toJSON() : (lostError() ?? serializeError(e)),
        secret,
      );
      const durationMs = deps.now().getTime() - started.getTime();
      await finishRun(deps.db, runId, {
        status,
        endedAt: deps.now(),
        durationMs,
        counts: ZERO,
        error,
      });
      emit({ runId, state: status, phase: 'done', error });
      if (status === 'failed')
        log.warn({ runId, code: error.code, message: error.message }, 'sync failed');
      else log.info({ runId }, 'sync cancelled');
      return { endpointId, endpoint: row.name, runId, status, counts: null, error, durationMs };
    } finally {
      stopBeating();
      release?.();
    }
  };

  try {
    let outcome = await full();
    if (!opts.watch || outcome.status !== 'succeeded') return outcome;
    let restarts = 0;
    while (!run.signal.aborted && collector && (collector as Collector).watch) {
      opts.onWatching?.(true);
      const broke = await watchSession(deps, row, collector as Collector, run, log, () => secret, {
        claimed: claim !== null,
        lostError,
      });
      opts.onWatching?.(false);
      if (!broke || run.signal.aborted) break;
      if (restarts++ >= (deps.maxWatchRestarts ?? 3)) {
        log.warn('update stream keeps breaking; waiting for the next scheduled full sync');
        break;
      }
      outcome = await full();
      if (outcome.status !== 'succeeded') return outcome;
    }
    return { ...outcome, durationMs: deps.now().getTime() - t0 };
  } finally {
    if (collector) {
      await (collector as Collector).dispose().catch((e: unknown) => {
        log.warn({ err: scrubSecret(serializeError(e), secret) }, 'collector dispose failed');
      });
    }
    secret = null;
    await claim?.release();
  }
}

/** One incremental session. Returns true when the stream broke (the caller collects in full). */
async function watchSession(
  deps: SyncEngineDeps,
  row: EndpointRow,
  collector: Collector,
  opts: SyncRunOptions,
  log: Logger,
  secret: () => string | null,
  ownership: { readonly claimed: boolean; readonly lostError: () => SerializedError | null },
): Promise<boolean> {
  const started = deps.now();
  let runId: number;
  try {
    runId = await startRun(deps.db, row.id, 'incremental', started, deps.owner, ownership.claimed);
  } catch (e) {
    log.warn({ code: serializeError(e).code }, 'update session not started');
    return false;
  }
  const stopBeating = ownership.claimed ? () => undefined : keepAlive(deps.db, runId, deps.now);
  const ctx: CollectContext = {
    signal: opts.signal,
    log,
    progress: (p) =>
      deps.events.emit('sync:progress', {
        endpointId: row.id,
        endpoint: row.name,
        runId,
        state: 'running',
        phase: p.phase,
        ...(p.done === undefined ? {} : { done: p.done }),
        ...(p.total === undefined ? {} : { total: p.total }),
      }),
  };
  const onDelta = async (delta: InventoryDelta): Promise<void> => {
    const at = deps.now();
    const counts = await writeInventoryDelta(deps.db, delta, {
      endpointId: row.id,
      syncRunId: runId,
      now: at,
    });
    await addRunCounts(deps.db, runId, counts);
    opts.onGood?.(at);
    deps.events.emit('inventory:changed', {
      endpointId: row.id,
      runId,
      types: typesOf(delta.upserts, delta.removals),
      ...countsOf(counts),
    });
  };
  try {
    await collector.watch!(ctx, onDelta);
    await finishRun(deps.db, runId, {
      status: 'succeeded',
      endedAt: deps.now(),
      durationMs: deps.now().getTime() - started.getTime(),
    });
    return false;
  } catch (e) {
    const lost = ownership.lostError();
    const error = scrubSecret(lost ?? serializeError(e), secret());
    // Stopped on purpose ends the session well; losing the endpoint's lock does not.
    const aborted = opts.signal.aborted && !lost;
    await finishRun(deps.db, runId, {
      status: aborted ? 'succeeded' : 'failed',
      endedAt: deps.now(),
      durationMs: deps.now().getTime() - started.getTime(),
      error: aborted ? null : error,
    });
    if (!aborted)
      log.warn(
        { runId, code: error.code, message: error.message },
        'update stream broke; collecting in full',
      );
    return !opts.signal.aborted;
  } finally {
    stopBeating();
  }
}

/** The file listing a run asks for: `true` means the collector's default bounds. */
function fileListingOf(v: boolean | FileListingRequest): FileListingRequest | null {
  if (v === false) return null;
  return v === true ? {} : v;
}

function countsOf(c: WriteCounts): { created: number; updated: number; deleted: number } {
  return { created: c.created, updated: c.updated, deleted: c.deleted };
}

async function createCollector(
  deps: SyncEngineDeps,
  row: EndpointRow,
  signal: AbortSignal,
  keep: (secret: string) => void,
): Promise<Collector> {
  const kind = row.kind as EndpointKind;
  const factory = deps.collectors[kind];
  if (!factory) {
    throw new AppError('UNKNOWN_KIND', `This build has no collector for ${kind} endpoints yet.`, {
      kind,
    });
  }
  const password = await openCredential(deps.db, deps.vault, row);
  if (password === null && kind !== 'hyperv') {
    throw new AppError(
      'CREDENTIALS_REQUIRED',
      `No password is stored for "${row.name}". Set one: \`infrascope endpoint set "${row.name}" --password-env VAR\`.`,
    );
  }
  if (password) keep(password);
  let thumbprint = row.tls_thumbprint;
  if (row.tls_trust_on_first_use === 1 && thumbprint === null && deps.pinFirstUse) {
    thumbprint = await deps.pinFirstUse(row, signal);
  }
  return factory({
    endpointId: row.id,
    name: row.name,
    kind,
    host: row.host,
    port: row.port,
    username: row.username,
    password: password ?? '',
    thumbprint,
    useSsl: row.use_ssl === 1,
  });
}
