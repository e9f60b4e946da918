import type { Kysely } from 'kysely';
import type { EventMap, EventName } from '../../shared/contract.js';
import type { EvaluationSummary } from '../../shared/alerts.js';
import { serializeError } from '../../shared/errors.js';
import { scopeCapacityReport } from '../capacity/scope.js';
import { capacityReport } from '../capacity/report.js';
import type { EventHub, EventSource, HandlerSlice } from '../contract/handlers.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import type { Timers } from '../sync/timers.js';
import { realTimers } from '../sync/timers.js';
import { evaluateEndpoint } from './engine.js';
import {
  ackAlerts,
  alertHistory,
  alertSummary,
  getAlerts,
  listAlerts,
  snoozeAlerts,
} from './repository.js';
import { listRules, updateRule } from './rule-configs.js';
import { listSuppressions, suppress, unsuppress } from './suppressions.js';

export type AlertChannels =
  | 'alerts:list'
  | 'alerts:ack'
  | 'alerts:snooze'
  | 'alerts:history'
  | 'alerts:suppress'
  | 'alerts:unsuppress'
  | 'alerts:suppressions'
  | 'alerts:rules'
  | 'alerts:updateRule'
  | 'alerts:evaluate'
  | 'alerts:summary'
  | 'capacity:report';

export interface AlertsDeps {
  readonly db: Kysely<Database>;
  readonly events: EventHub;
  readonly log: Logger;
  readonly now: () => Date;
  readonly timers?: Timers;
  /** Runs before each evaluation so forecasts see the latest samples (the metrics drain). */
  readonly beforeEvaluate?: () => Promise<unknown>;
  /** Announces raised alerts (desktop notifications, webhooks). */
  readonly onRaised?: (alerts: Awaited<ReturnType<typeof getAlerts>>) => void;
  /** Period of the sweep that catches time-based conditions (staleness, age). Default 5 min. */
  readonly sweepIntervalMs?: number;
  readonly foldWindowMs?: number;
}

export interface AlertsService {
  readonly handlers: HandlerSlice<AlertChannels>;
  /** Evaluates one endpoint (or all) now, after any evaluation already queued. */
  evaluate(endpointId?: number): Promise<EvaluationSummary>;
  /** Resolves when queued evaluations have run (tests). */
  idle(): Promise<void>;
  start(): void;
  dispose(): Promise<void>;
}

const ZERO: EvaluationSummary = { raised: 0, repeated: 0, cleared: 0, open: 0 };

/**
 * The rule engine as a service: evaluates an endpoint after every `inventory:changed` and failed
 * sync, sweeps every endpoint on a timer for time-based rules, and serves the alerts console.
 */
export function createAlertsCapability(deps: AlertsDeps): AlertsService {
  const timers = deps.timers ?? realTimers;
  let chain: Promise<unknown> = Promise.resolve();
  const queued = new Set<number>();
  let running = false;
  let disposed = false;
  let sweepTimer: unknown = null;
  let unsubscribe: (() => void) | null = null;

  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const next = chain.then(job, job);
    chain = next.catch(() => undefined);
    return next;
  };

  const announce = async (
    raisedIds: readonly number[],
    changedIds: readonly number[],
  ): Promise<void> => {
    if (changedIds.length > 0) deps.events.emit('alerts:changed', { ids: changedIds });
    if (raisedIds.length === 0) return;
    const alerts = await getAlerts(deps.db, raisedIds);
    deps.events.emit('alerts:raised', { alerts });
    deps.onRaised?.(alerts);
  };

  const evaluateOne = async (endpointId: number): Promise<EvaluationSummary> => {
    const t0 = performance.now();
    const r = await evaluateEndpoint(deps.db, endpointId, {
      now: deps.now(),
      ...(deps.foldWindowMs === undefined ? {} : { foldWindowMs: deps.foldWindowMs }),
    });
    // The rule pass after each sync has a time budget (npm run bench reads this line).
    deps.log.info(
      {
        endpointId,
        ms: Math.round(performance.now() - t0),
        phases: r.phases,
        open: r.open,
        raised: r.raised,
      },
      'alert rules evaluated',
    );
    await announce(r.raisedIds, r.changedIds);
    return { raised: r.raised, repeated: r.repeated, cleared: r.cleared, open: r.open };
  };

  const runEvaluation = async (endpointId?: number): Promise<EvaluationSummary> => {
    if (disposed) return ZERO;
    await deps.beforeEvaluate?.();
    const ids =
      endpointId !== undefined
        ? [endpointId]
        : (await deps.db.selectFrom('endpoint').select('id').orderBy('id').execute()).map(
            (r) => r.id,
          );
    let sum = ZERO;
    for (const id of ids) {
      let r: EvaluationSummary;
      try {
        r = await evaluateOne(id);
      } catch (e) {
        // One endpoint (removed meanwhile, say) must not stop a sweep of the others.
        if (endpointId !== undefined) throw e;
        deps.log.warn({ err: serializeError(e), endpointId: id }, 'alert evaluation failed');
        continue;
      }
      sum = {
        raised: sum.raised + r.raised,
        repeated: sum.repeated + r.repeated,
        cleared: sum.cleared + r.cleared,
        open: sum.open + r.open,
      };
    }
    return sum;
  };

  const evaluate = (endpointId?: number): Promise<EvaluationSummary> =>
    enqueue(() => runEvaluation(endpointId));

  /** Coalesces bursts (an incremental session emits often): at most one queued run per endpoint. */
  const request = (endpointId: number): void => {
    if (queued.has(endpointId) || disposed) return;
    queued.add(endpointId);
    enqueue(() => {
      queued.delete(endpointId);
      return runEvaluation(endpointId);
    }).catch((e: unknown) =>
      deps.log.warn({ err: serializeError(e), endpointId }, 'alert evaluation failed'),
    );
  };

  const sweep = (): void => {
    if (!running) return;
    sweepTimer = timers.setTimeout(
      () => {
        evaluate()
          .catch((e: unknown) => deps.log.warn({ err: serializeError(e) }, 'alert sweep failed'))
          .finally(sweep);
      },
      deps.sweepIntervalMs ?? 5 * 60_000,
    );
  };

  // Listening costs nothing, so it starts at once: a CLI sync (which never calls start) gets its
  // alerts too. Timers (the sweep) wait for start().
  unsubscribe = deps.events.subscribe(
    <E extends EventName>(name: E, payload: EventMap[E], source: EventSource) => {
      // Another process's sync is evaluated by that process (see ALERT_LOCK_NAMESPACE for races).
      if (source !== 'local') return;
      if (name === 'inventory:changed') {
        request((payload as EventMap['inventory:changed']).endpointId);
      } else if (name === 'sync:progress') {
        const p = payload as EventMap['sync:progress'];
        if (p.state === 'failed') request(p.endpointId);
      }
    },
  );

  return {
    evaluate,
    idle: async () => {
      let seen: Promise<unknown> | null = null;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
    start() {
      if (running) return;
      running = true;
      sweep();
    },
    async dispose() {
      running = false;
      disposed = true;
      unsubscribe?.();
      if (sweepTimer !== null) timers.clearTimeout(sweepTimer);
      await chain;
    },
    handlers: {
      'alerts:list': (input) => listAlerts(deps.db, input, deps.now()),
      'alerts:ack': async (input, ctx) => {
        const ids = await ackAlerts(
          deps.db,
          input.ids,
          ctx.actor,
          input.comment ?? null,
          deps.now(),
        );
        if (ids.length) deps.events.emit('alerts:changed', { ids });
        return { updated: ids.length };
      },
      'alerts:snooze': async (input, ctx) => {
        const ids = await snoozeAlerts(deps.db, input.ids, input.minutes, ctx.actor, deps.now());
        if (ids.length) deps.events.emit('alerts:changed', { ids });
        return { updated: ids.length };
      },
      'alerts:history': ({ id }) => alertHistory(deps.db, id),
      'alerts:suppress': async (input, ctx) => {
        const r = await suppress(deps.db, input, ctx.actor, deps.now());
        if (r.clearedIds.length) deps.events.emit('alerts:changed', { ids: r.clearedIds });
        return r.suppression;
      },
      'alerts:unsuppress': async ({ id }) => {
        const removed = await unsuppress(deps.db, id);
        return { removed };
      },
      'alerts:suppressions': () => listSuppressions(deps.db),
      'alerts:rules': () => listRules(deps.db),
      'alerts:updateRule': (input, ctx) => updateRule(deps.db, input, ctx.actor, deps.now()),
      'alerts:evaluate': ({ endpointId }) => evaluate(endpointId),
      'alerts:summary': ({ endpointId }) => alertSummary(deps.db, deps.now(), endpointId),
      'capacity:report': async ({ endpointId, scope }) => {
        await deps.beforeEvaluate?.();
        const report = await capacityReport(deps.db, {
          now: deps.now(),
          ...(endpointId === undefined ? {} : { endpointId }),
        });
        return scopeCapacityReport(deps.db, report, scope);
      },
    },
  };
}
