import type { Kysely } from 'kysely';
import type { MetricRetention } from '../../shared/alerts.js';
import { metricRetentionSchema } from '../../shared/alerts.js';
import { AppError, serializeError } from '../../shared/errors.js';
import type { HandlerSlice } from '../contract/handlers.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import type { Timers } from '../sync/timers.js';
import { realTimers } from '../sync/timers.js';
import type { PassResult } from './rollup.js';
import { DEFAULT_RETENTION, drainSamples, metricsPass } from './rollup.js';
import { readSeries } from './series.js';

export const RETENTION_SETTING = 'metrics.retention';

export type MetricsChannels = 'metrics:series' | 'metrics:retention' | 'metrics:setRetention';

export interface MetricsDeps {
  readonly db: Kysely<Database>;
  readonly log: Logger;
  readonly now: () => Date;
  readonly timers?: Timers;
  /** Background pass period; default 5 minutes. */
  readonly passIntervalMs?: number;
}

export interface MetricsService {
  readonly handlers: HandlerSlice<MetricsChannels>;
  /** Moves new samples out of the writer's inbox (cheap; run after each sync). */
  drain(): Promise<number>;
  /** One full pass: drain, roll up, prune. Passes never overlap. */
  pass(): Promise<PassResult>;
  start(): void;
  dispose(): Promise<void>;
}

export async function readRetention(db: Kysely<Database>): Promise<MetricRetention> {
  const row = await db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', RETENTION_SETTING)
    .executeTakeFirst();
  if (!row) return DEFAULT_RETENTION;
  const parsed = metricRetentionSchema.safeParse(JSON.parse(row.value));
  return parsed.success ? parsed.data : DEFAULT_RETENTION;
}

/**
 * Usage history: a background pass (every few minutes, and soon after each sync) keeps rollups
 * current and the store inside its retention; the series API feeds charts.
 */
export function createMetricsCapability(deps: MetricsDeps): MetricsService {
  const timers = deps.timers ?? realTimers;
  const period = deps.passIntervalMs ?? 5 * 60_000;
  const controller = new AbortController();
  let chain: Promise<unknown> = Promise.resolve();
  let timer: unknown = null;
  let running = false;

  // One queue: a drain and a pass never interleave their transactions' bookkeeping.
  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const next = chain.then(job, job);
    chain = next.catch(() => undefined);
    return next;
  };

  const pass = (): Promise<PassResult> =>
    enqueue(async () =>
      metricsPass(deps.db, {
        now: deps.now(),
        retention: await readRetention(deps.db),
        signal: controller.signal,
      }),
    );

  const schedule = (): void => {
    if (!running) return;
    timer = timers.setTimeout(() => {
      pass()
        .then((r) => deps.log.debug(r, 'metrics pass'))
        .catch((e: unknown) => deps.log.warn({ err: serializeError(e) }, 'metrics pass failed'))
        .finally(schedule);
    }, period);
  };

  return {
    drain: () => enqueue(() => drainSamples(deps.db, { signal: controller.signal })),
    pass,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async dispose() {
      running = false;
      if (timer !== null) timers.clearTimeout(timer);
      controller.abort();
      await chain;
    },
    handlers: {
      'metrics:series': (input) =>
        readSeries(
          deps.db,
          { endpointId: input.endpointId, entityType: input.entityType, entityId: input.entityId },
          input.range,
          deps.now(),
        ),
      'metrics:retention': () => readRetention(deps.db),
      'metrics:setRetention': async (input) => {
        if (input.rawDays > input.hourlyDays || input.hourlyDays > input.dailyDays) {
          throw new AppError(
            'VALIDATION',
            'Retention must not shrink from raw to hourly to daily (raw ≤ hourly ≤ daily days).',
          );
        }
        const value = JSON.stringify(input);
        await deps.db
          .insertInto('setting')
          .values({ key: RETENTION_SETTING, value })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
          .execute();
        return input;
      },
    },
  };
}
