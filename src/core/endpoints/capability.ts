import type { Kysely } from 'kysely';
import type { CollectorFactory } from '../collectors/collector.js';
import type { EventHub, HandlerSlice } from '../contract/handlers.js';
import type { DoctorDeps } from '../doctor/doctor.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import { runSync } from '../sync/engine.js';
import type { SyncEngineDeps } from '../sync/engine.js';
import { runSummary } from '../sync/runs.js';
import { createScheduler } from '../sync/scheduler.js';
import type { Scheduler, SchedulerOptions } from '../sync/scheduler.js';
import type { Timers } from '../sync/timers.js';
import type { VaultBackend } from '../vault/vault.js';
import { AppError, serializeError } from '../../shared/errors.js';
import type { EndpointService } from './service.js';
import { listEndpointRows } from './repository.js';
import { createEndpointService } from './service.js';
import type { EndpointKind } from '../../shared/endpoints.js';

export interface EndpointsDeps {
  readonly db: Kysely<Database>;
  readonly vault: VaultBackend;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly collectors: Partial<Record<EndpointKind, CollectorFactory>>;
  /** Scheduler time source (tests: fake timers). */
  readonly timers?: Timers;
  /** Scheduler tuning: concurrency, stagger, backoff, circuit breaker, watch. */
  readonly scheduler?: Partial<
    Pick<
      SchedulerOptions,
      | 'concurrency'
      | 'staggerMs'
      | 'intervalJitter'
      | 'backoffBaseMs'
      | 'backoffMaxMs'
      | 'circuitThreshold'
      | 'circuitCooldownMs'
      | 'watch'
    >
  >;
  /** Connectivity test tuning and probes. */
  readonly doctor?: Omit<DoctorDeps, 'now' | 'onFirstUsePin'>;
}

export type EndpointChannels =
  | 'endpoints:list'
  | 'endpoints:add'
  | 'endpoints:update'
  | 'endpoints:remove'
  | 'endpoints:test'
  | 'endpoints:trust'
  | 'sync:start'
  | 'sync:cancel';

export interface StartOptions {
  /** Schedule only these endpoints (`infrascope watch NAME...`); default all enabled. */
  readonly endpointIds?: readonly number[];
}

export interface EndpointsCapability {
  readonly handlers: HandlerSlice<EndpointChannels>;
  readonly service: EndpointService;
  readonly scheduler: Scheduler;
  start(opts?: StartOptions): Promise<void>;
  dispose(): Promise<void>;
}

const DEFAULT_CIRCUIT_THRESHOLD = 5;

/**
 * Endpoints, their sealed credentials, the connectivity doctor and the sync scheduler, with their
 * slice of the contract. `start()` begins scheduled syncs; `sync:start` works without it (the CLI's
 * one-shot `sync`). `dispose()` aborts in-flight syncs and waits for them.
 */
export function createEndpointsCapability(deps: EndpointsDeps): EndpointsCapability {
  const circuitThreshold = deps.scheduler?.circuitThreshold ?? DEFAULT_CIRCUIT_THRESHOLD;
  // The service needs the scheduler (status, refresh) and the engine needs the service (TOFU pins).
  let service: EndpointService | null = null;
  const engine: SyncEngineDeps = {
    db: deps.db,
    vault: deps.vault,
    events: deps.events,
    log: deps.log,
    now: deps.now,
    collectors: deps.collectors,
    pinFirstUse: (row, signal) => service!.pinFirstUse(row, signal),
  };
  const scheduler = createScheduler({
    log: deps.log,
    ...(deps.timers ? { timers: deps.timers } : {}),
    ...deps.scheduler,
    circuitThreshold,
    // The plan is news for an Endpoints page already open ("Next run" instead of "Not scheduled").
    onPlanned: (ids) => deps.events.emit('endpoints:changed', { ids }),
    load: async () =>
      (await listEndpointRows(deps.db)).map((r) => ({
        id: r.id,
        name: r.name,
        intervalMs: r.poll_interval_s * 1000,
        enabled: r.enabled === 1,
      })),
    initialFailures: async (id) => (await runSummary(deps.db, id)).consecutiveFailures,
    run: async (id, opts) => {
      try {
        return await runSync(engine, id, opts);
      } catch (e) {
        // Failed before a run row existed (the endpoint vanished): still tell listeners it ended.
        const error = serializeError(e);
        deps.events.emit('sync:progress', {
          endpointId: id,
          endpoint: String(id),
          runId: null,
          state: 'failed',
          phase: 'done',
          error,
        });
        throw e;
      } finally {
        deps.events.emit('endpoints:changed', { ids: [id] });
      }
    },
  });
  const svc = createEndpointService({
    db: deps.db,
    vault: deps.vault,
    events: deps.events,
    log: deps.log,
    now: deps.now,
    scheduler,
    circuitThreshold,
    ...(deps.doctor ? { doctor: deps.doctor } : {}),
  });
  service = svc;

  // One re-plan at a time; a burst of remote changes while one runs makes one more.
  let offRemote: (() => void) | null = null;
  let replanning: Promise<void> | null = null;
  let again = false;
  const refreshSoon = (): void => {
    if (replanning) {
      again = true;
      return;
    }
    replanning = scheduler
      .refresh()
      .catch((e: unknown) => deps.log.warn({ err: serializeError(e) }, 'scheduler refresh failed'))
      .finally(() => {
        replanning = null;
        if (again) {
          again = false;
          refreshSoon();
        }
      });
  };

  return {
    service: svc,
    scheduler,
    handlers: {
      'endpoints:list': () => svc.list(),
      'endpoints:add': (input, ctx) => svc.add(input, ctx.actor),
      'endpoints:update': (input, ctx) => svc.update(input, ctx.actor),
      'endpoints:remove': async (input, ctx) => {
        await svc.remove(input.id, ctx.actor);
        return { removed: true as const };
      },
      'endpoints:test': (input) => svc.test(input.id),
      'endpoints:trust': (input, ctx) => svc.trust(input.id, input.thumbprint, ctx.actor),
      'sync:start': async (input) => {
        // Without the team store's key no sync can open a password: say so, start nothing.
        await deps.vault.prepare?.(deps.db);
        const all = await listEndpointRows(deps.db);
        let ids: number[];
        if (input.ids && input.ids.length > 0) {
          const missing = input.ids.filter((id) => !all.some((r) => r.id === id));
          if (missing.length > 0)
            throw new AppError('NOT_FOUND', `No endpoint with id ${missing.join(', ')}.`);
          ids = [...new Set(input.ids)];
        } else {
          ids = all.filter((r) => r.enabled === 1).map((r) => r.id);
        }
        const res = await scheduler.syncNow(
          ids,
          input.fileInfo === undefined ? {} : { fileInfo: input.fileInfo },
        );
        res.done.catch((e: unknown) =>
          deps.log.warn({ err: String(e) }, 'sync failed unexpectedly'),
        );
        return {
          started: res.started.map((s) => ({ endpointId: s.id, endpoint: s.name })),
          alreadyRunning: res.alreadyRunning.map((s) => s.name),
        };
      },
      'sync:cancel': (input) => Promise.resolve({ cancelled: scheduler.cancel(input.id) }),
    },
    start: async (opts) => {
      // An endpoint added, changed or removed by another process on the team store: plan anew.
      offRemote ??= deps.events.subscribe((event, _payload, source) => {
        if (source === 'store' && event === 'endpoints:changed') refreshSoon();
      });
      try {
        await deps.vault.prepare?.(deps.db);
      } catch (e) {
        // A host without the team store's key reads and serves inventory; scheduled syncs would
        // only fill the shared history with failures, so none are scheduled here.
        deps.log.warn({ err: serializeError(e) }, 'scheduled syncs off: no usable store key');
        return;
      }
      await scheduler.start(opts?.endpointIds);
    },
    dispose: () => {
      offRemote?.();
      return scheduler.dispose();
    },
  };
}
