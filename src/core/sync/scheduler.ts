import type { Logger } from '../logger.js';
import type { Limiter } from './limiter.js';
import { createLimiter } from './limiter.js';
import type { FileListingRequest } from '../collectors/collector.js';
import type { SyncOutcome, SyncRunOptions } from './engine.js';
import type { Timers } from './timers.js';
import { realTimers } from './timers.js';

/** What the scheduler knows of an endpoint. */
export interface ScheduledEndpoint {
  readonly id: number;
  readonly name: string;
  readonly intervalMs: number;
  readonly enabled: boolean;
}

export interface SchedulerOptions {
  readonly log: Logger;
  readonly timers?: Timers;
  /** Endpoints to schedule (all of them; disabled ones are skipped by the scheduler). */
  readonly load: () => Promise<readonly ScheduledEndpoint[]>;
  /** Failed runs since the last success, read at start so a restart keeps an open circuit open. */
  readonly initialFailures?: (id: number) => Promise<number>;
  /** Runs one sync (see runSync). */
  readonly run: (id: number, opts: SyncRunOptions) => Promise<SyncOutcome>;
  /** Global limit of concurrent full collections (default 4). */
  readonly concurrency?: number;
  /** Spacing of first runs at start (default 5 s per endpoint), plus up to as much random jitter. */
  readonly staggerMs?: number;
  /** ± fraction of the interval added as jitter to each next run (default 0.1). */
  readonly intervalJitter?: number;
  /** First retry delay after a failure (default 30 s); doubles per failure up to backoffMaxMs. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** Consecutive failures that open the circuit (default 5). */
  readonly circuitThreshold?: number;
  /** How long an open circuit pauses the endpoint before one trial run (default 1 h). */
  readonly circuitCooldownMs?: number;
  /** Scheduled runs follow incremental updates after their full collection (default true). */
  readonly watch?: boolean;
  /**
   * Told which endpoints' next run changed after the scheduler (re)planned them (start, refresh),
   * so a page already showing them can show the new "next run" at once.
   */
  readonly onPlanned?: (ids: readonly number[]) => void;
}

export interface EndpointSchedule {
  /** A full collection is running (queued or collecting). */
  readonly running: boolean;
  /** Following incremental updates (a watch session is open). */
  readonly watching: boolean;
  readonly nextRunAt: number | null;
  readonly circuitOpen: boolean;
  readonly consecutiveFailures: number;
  /** Last time data was known good in this process (a full or incremental write). */
  readonly lastGoodAt: number | null;
}

export interface SyncNowResult {
  readonly started: readonly { id: number; name: string }[];
  readonly alreadyRunning: readonly { id: number; name: string }[];
  /** Settles when every started sync has finished. */
  readonly done: Promise<readonly SyncOutcome[]>;
}

export interface Scheduler {
  /** Schedules every enabled endpoint (or only `only`), staggered. Idempotent. */
  start(only?: readonly number[]): Promise<void>;
  /** Starts a full sync now (manual: it also tries an endpoint whose circuit is open). */
  syncNow(
    ids: readonly number[],
    opts?: { readonly fileInfo?: boolean | FileListingRequest },
  ): Promise<SyncNowResult>;
  /** Aborts the endpoint's running sync; true when one was running. */
  cancel(id: number): boolean;
  /** Re-reads the endpoints after a change (added, removed, interval, enabled). */
  refresh(): Promise<void>;
  /** Forgets an endpoint (removed): aborts its run and waits for it. */
  forget(id: number): Promise<void>;
  status(id: number): EndpointSchedule | null;
  /** Stops scheduling, aborts in-flight syncs and waits for them to finish. */
  dispose(): Promise<void>;
}

interface Slot {
  ep: ScheduledEndpoint;
  timer: unknown;
  nextAt: number | null;
  controller: AbortController | null;
  running: Promise<SyncOutcome> | null;
  /** The run is past its full collection and follows incremental updates. */
  watching: boolean;
  failures: number;
  lastGoodAt: number | null;
}

/**
 * The per-endpoint scheduler. Each endpoint runs on its own interval (± jitter); first runs are
 * staggered; a global limiter caps concurrent full collections; a failure retries after an
 * exponential backoff with jitter; after `circuitThreshold` consecutive failures the circuit opens
 * and the endpoint pauses for `circuitCooldownMs` before one trial run. One endpoint never has two
 * syncs at once. All time flows through `timers`, so tests drive it with fake clocks.
 */
export function createScheduler(o: SchedulerOptions): Scheduler {
  const timers = o.timers ?? realTimers;
  const limiter: Limiter = createLimiter(o.concurrency ?? 4);
  const staggerMs = o.staggerMs ?? 5_000;
  const jitter = o.intervalJitter ?? 0.1;
  const backoffBase = o.backoffBaseMs ?? 30_000;
  const backoffMax = o.backoffMaxMs ?? 30 * 60_000;
  const threshold = o.circuitThreshold ?? 5;
  const cooldown = o.circuitCooldownMs ?? 60 * 60_000;
  const slots = new Map<number, Slot>();
  let started = false;
  let disposed = false;
  let only: Set<number> | null = null;

  const inScope = (ep: ScheduledEndpoint): boolean =>
    ep.enabled && (only === null || only.has(ep.id));

  const clear = (slot: Slot): void => {
    if (slot.timer !== null) timers.clearTimeout(slot.timer);
    slot.timer = null;
    slot.nextAt = null;
  };

  const schedule = (slot: Slot, delayMs: number): void => {
    clear(slot);
    if (!started || disposed || !inScope(slot.ep)) return;
    const delay = Math.max(0, Math.round(delayMs));
    slot.nextAt = timers.now() + delay;
    slot.timer = timers.setTimeout(() => {
      slot.timer = null;
      slot.nextAt = null;
      // launch() never rejects (failures become outcomes) and reschedules itself when done.
      if (slot.controller === null) void launch(slot, o.watch ?? true);
    }, delay);
  };

  /** Delay before the next run after an outcome, and whether the circuit is open. */
  const nextDelay = (slot: Slot, outcome: SyncOutcome['status'], elsewhere = false): number => {
    if (outcome !== 'failed' || elsewhere) {
      return slot.ep.intervalMs * (1 + (timers.random() * 2 - 1) * jitter);
    }
    if (slot.failures >= threshold) return cooldown;
    const exp = Math.min(backoffMax, backoffBase * 2 ** (slot.failures - 1));
    // "Equal jitter": at least half the backoff, so retries spread without collapsing to zero.
    return exp / 2 + timers.random() * (exp / 2);
  };

  const launch = (
    slot: Slot,
    watch: boolean,
    fileInfo?: boolean | FileListingRequest,
  ): Promise<SyncOutcome> => {
    const controller = new AbortController();
    slot.controller = controller;
    const p = o
      .run(slot.ep.id, {
        signal: controller.signal,
        watch,
        ...(fileInfo === undefined ? {} : { fileInfo }),
        acquire: (signal) => limiter.acquire(signal),
        onGood: (at) => {
          slot.lastGoodAt = at.getTime();
        },
        onWatching: (watching) => {
          slot.watching = watching;
        },
      })
      .catch((e: unknown): SyncOutcome => ({
        endpointId: slot.ep.id,
        endpoint: slot.ep.name,
        runId: null,
        status: 'failed',
        counts: null,
        error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) },
        durationMs: 0,
      }))
      .then((outcome) => {
        slot.controller = null;
        slot.running = null;
        slot.watching = false;
        // Another process (the CLI next to the app) is syncing it: not a failure of the
        // endpoint — no backoff, no step towards the circuit; try again on the interval.
        const elsewhere = outcome.status === 'failed' && outcome.error?.code === 'CONFLICT';
        if (outcome.status === 'succeeded') slot.failures = 0;
        else if (outcome.status === 'failed' && !elsewhere) {
          slot.failures++;
          if (slot.failures === threshold) {
            o.log.warn(
              { endpoint: slot.ep.name, failures: slot.failures, pauseMs: cooldown },
              'circuit open: pausing the endpoint after repeated failures',
            );
          }
        }
        if (slots.get(slot.ep.id) === slot) {
          schedule(slot, nextDelay(slot, outcome.status, elsewhere));
        }
        return outcome;
      });
    slot.running = p;
    return p;
  };

  const slotFor = async (ep: ScheduledEndpoint): Promise<Slot> => {
    let slot = slots.get(ep.id);
    if (slot) {
      slot.ep = ep;
      return slot;
    }
    const failures = (await o.initialFailures?.(ep.id)) ?? 0;
    slot = slots.get(ep.id); // another caller may have created it meanwhile
    if (slot) return slot;
    slot = {
      ep,
      timer: null,
      nextAt: null,
      controller: null,
      running: null,
      watching: false,
      failures,
      lastGoodAt: null,
    };
    slots.set(ep.id, slot);
    return slot;
  };

  const reconcile = async (): Promise<void> => {
    const eps = await o.load();
    // Disposed while loading: planning now would set timers on a closed store.
    if (disposed) return;
    const before = new Map([...slots].map(([id, slot]) => [id, slot.nextAt]));
    const ids = new Set(eps.map((e) => e.id));
    for (const [id, slot] of slots) {
      if (!ids.has(id)) {
        clear(slot);
        slot.controller?.abort();
        slots.delete(id);
      }
    }
    let i = 0;
    for (const ep of eps) {
      const slot = await slotFor(ep);
      if (disposed) return;
      if (!inScope(ep)) {
        clear(slot);
        continue;
      }
      if (slot.controller !== null || slot.timer !== null) continue;
      const stagger = i++ * staggerMs + timers.random() * staggerMs;
      schedule(slot, slot.failures >= threshold ? cooldown : stagger);
    }
    const planned = eps
      .map((e) => e.id)
      .filter((id) => (before.get(id) ?? null) !== (slots.get(id)?.nextAt ?? null));
    if (planned.length > 0) o.onPlanned?.(planned);
  };

  /*
   * Re-plans run one at a time, in call order. Edits refresh without waiting (endpoints:add,
   * update, remove), so several can overlap the host's start(); interleaved, one that read the
   * endpoints before a removal could schedule the removed endpoint again after the later one
   * dropped it, and two would each announce the same plan (two endpoints:changed). On SQLite the
   * reads answer before the next call; on PostgreSQL they overlap.
   */
  let turn: Promise<void> = Promise.resolve();
  const reconcileInTurn = (): Promise<void> => {
    // A turn that comes after dispose has nothing to plan.
    const mine = turn.then(() => (disposed ? undefined : reconcile()));
    turn = mine.catch(() => undefined);
    return mine;
  };

  return {
    async start(onlyIds) {
      if (disposed || started) return;
      started = true;
      only = onlyIds && onlyIds.length > 0 ? new Set(onlyIds) : null;
      await reconcileInTurn();
    },
    async syncNow(ids, opts) {
      const eps = await o.load();
      const startedList: { id: number; name: string }[] = [];
      const already: { id: number; name: string }[] = [];
      const runs: Promise<SyncOutcome>[] = [];
      for (const id of ids) {
        const ep = eps.find((e) => e.id === id);
        if (!ep || disposed) continue;
        const slot = await slotFor(ep);
        if (slot.controller !== null) {
          already.push({ id, name: ep.name });
          continue;
        }
        clear(slot);
        startedList.push({ id, name: ep.name });
        runs.push(launch(slot, false, opts?.fileInfo));
      }
      return { started: startedList, alreadyRunning: already, done: Promise.all(runs) };
    },
    cancel(id) {
      const slot = slots.get(id);
      if (!slot?.controller) return false;
      slot.controller.abort();
      return true;
    },
    async refresh() {
      if (disposed) return;
      try {
        await reconcileInTurn();
      } catch (e) {
        // A refresh racing the host's shutdown (a CLI command exits right after its change; a
        // team store's pool is gone then) has nothing left to plan: only a live one reports.
        if (!disposed) throw e;
      }
    },
    async forget(id) {
      const slot = slots.get(id);
      if (!slot) return;
      slots.delete(id);
      clear(slot);
      slot.controller?.abort();
      await slot.running;
    },
    status(id) {
      const slot = slots.get(id);
      if (!slot) return null;
      return {
        running: slot.controller !== null && !slot.watching,
        watching: slot.watching,
        nextRunAt: slot.nextAt,
        circuitOpen: slot.failures >= threshold,
        consecutiveFailures: slot.failures,
        lastGoodAt: slot.lastGoodAt,
      };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const inflight: Promise<SyncOutcome>[] = [];
      for (const slot of slots.values()) {
        clear(slot);
        slot.controller?.abort();
        if (slot.running) inflight.push(slot.running);
      }
      await Promise.allSettled(inflight);
    },
  };
}
