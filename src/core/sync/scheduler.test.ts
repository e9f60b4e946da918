import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logger.js';
import type { SyncOutcome, SyncRunOptions } from './engine.js';
import type { ScheduledEndpoint, SchedulerOptions } from './scheduler.js';
import { createScheduler } from './scheduler.js';
import type { Timers } from './timers.js';

const T0 = Date.parse('2026-11-24T08:00:00Z');

/** Real globals (faked by vitest) with a fixed "random" so jitter is predictable. */
function fixedTimers(random = 0.5): Timers {
  return {
    now: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    random: () => random,
  };
}

interface Harness {
  starts: { id: number; at: number; manual: boolean }[];
  running: Map<number, number>;
  maxPerEndpoint: number;
  maxGlobal: number;
  /** Outcome of the next runs, per endpoint: 'ok' | 'fail' | 'busy' (another process syncs it). */
  results: Map<number, 'ok' | 'fail' | 'busy'>;
  /** How long a run takes (ms of fake time). */
  durationMs: number;
  run: SchedulerOptions['run'];
}

function harness(): Harness {
  const h: Harness = {
    starts: [],
    running: new Map(),
    maxPerEndpoint: 0,
    maxGlobal: 0,
    results: new Map(),
    durationMs: 1_000,
    run: async (id: number, opts: SyncRunOptions): Promise<SyncOutcome> => {
      const release = opts.acquire ? await opts.acquire(opts.signal) : () => {};
      try {
        h.starts.push({ id, at: Date.now() - T0, manual: !opts.watch });
        h.running.set(id, (h.running.get(id) ?? 0) + 1);
        h.maxPerEndpoint = Math.max(h.maxPerEndpoint, h.running.get(id) ?? 0);
        h.maxGlobal = Math.max(
          h.maxGlobal,
          [...h.running.values()].reduce((a, b) => a + b, 0),
        );
        const cancelled = await new Promise<boolean>((resolve) => {
          if (h.durationMs === 0) {
            resolve(false);
            return;
          }
          const t = setTimeout(() => resolve(false), h.durationMs);
          opts.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve(true);
          });
        });
        const result = h.results.get(id);
        const status = cancelled
          ? 'cancelled'
          : result === 'fail' || result === 'busy'
            ? 'failed'
            : 'succeeded';
        return {
          endpointId: id,
          endpoint: `ep${id}`,
          runId: null,
          status,
          counts: null,
          error:
            status !== 'failed'
              ? null
              : result === 'busy'
                ? { code: 'CONFLICT', message: 'Another process is syncing this endpoint' }
                : { code: 'CONNECTION_REFUSED', message: 'refused' },
          durationMs: h.durationMs,
        };
      } finally {
        h.running.set(id, (h.running.get(id) ?? 1) - 1);
        release();
      }
    },
  };
  return h;
}

const eps = (n: number, intervalMs = 60_000): ScheduledEndpoint[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    name: `ep${i + 1}`,
    intervalMs,
    enabled: true,
  }));

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('scheduler', () => {
  it('staggers first runs with jitter, then runs each endpoint on its interval', async () => {
    const h = harness();
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0.5),
      load: () => Promise.resolve(eps(3)),
      run: h.run,
      staggerMs: 1_000,
      intervalJitter: 0.1,
      watch: false,
    });
    await s.start();
    expect(s.status(1)?.nextRunAt).toBe(T0 + 500);
    await vi.advanceTimersByTimeAsync(3_000);
    // i × stagger + random × stagger
    expect(h.starts.map((x) => [x.id, x.at])).toEqual([
      [1, 500],
      [2, 1_500],
      [3, 2_500],
    ]);
    await vi.advanceTimersByTimeAsync(62_000);
    // Next run: end of run (500 + 1000) + interval × (1 + (2×0.5−1)×0.1) = 1500 + 60000
    expect(h.starts.filter((x) => x.id === 1).map((x) => x.at)).toEqual([500, 61_500]);
    await s.dispose();
  });

  it('never runs two syncs of one endpoint at once', async () => {
    const h = harness();
    h.durationMs = 150_000; // longer than the interval
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0),
      load: () => Promise.resolve(eps(1, 60_000)),
      run: h.run,
      staggerMs: 0,
      intervalJitter: 0,
      watch: false,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(s.status(1)?.running).toBe(true);
    const now = await s.syncNow([1]);
    expect(now.started).toEqual([]);
    expect(now.alreadyRunning).toEqual([{ id: 1, name: 'ep1' }]);
    await vi.advanceTimersByTimeAsync(400_000);
    expect(h.maxPerEndpoint).toBe(1);
    expect(h.starts.map((x) => x.at)).toEqual([0, 210_000]); // next = end (150 s) + interval (60 s)
    await s.dispose();
  });

  it('backs off exponentially with jitter, then opens the circuit and pauses the endpoint', async () => {
    const h = harness();
    h.durationMs = 0;
    h.results.set(1, 'fail');
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0.5),
      load: () => Promise.resolve(eps(1, 600_000)),
      run: h.run,
      staggerMs: 0,
      backoffBaseMs: 1_000,
      backoffMaxMs: 4_000,
      circuitThreshold: 5,
      circuitCooldownMs: 3_600_000,
      watch: false,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(20_000);
    const at = h.starts.map((x) => x.at);
    // delays: exp/2 + 0.5 × exp/2 = 0.75 × min(max, base × 2^(n−1)): 750, 1500, 3000, 3000 (capped)
    expect(at).toEqual([0, 750, 2_250, 5_250, 8_250]);
    expect(s.status(1)).toMatchObject({ circuitOpen: true, consecutiveFailures: 5 });
    expect(s.status(1)?.nextRunAt).toBe(T0 + 8_250 + 3_600_000);
    // Paused: nothing for the cooldown; then one trial run, which closes the circuit on success.
    await vi.advanceTimersByTimeAsync(3_000_000);
    expect(h.starts).toHaveLength(5);
    h.results.set(1, 'ok');
    await vi.advanceTimersByTimeAsync(700_000);
    expect(h.starts).toHaveLength(6);
    expect(s.status(1)).toMatchObject({ circuitOpen: false, consecutiveFailures: 0 });
    await s.dispose();
  });

  it('waits an interval, without backoff or circuit, while another process syncs the endpoint', async () => {
    const h = harness();
    h.durationMs = 0;
    h.results.set(1, 'busy');
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0.5),
      load: () => Promise.resolve(eps(1, 60_000)),
      run: h.run,
      staggerMs: 0,
      backoffBaseMs: 1_000,
      circuitThreshold: 2,
      watch: false,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(250_000);
    // Every interval (60 s, jitter centred), never the 1 s backoff; the circuit stays closed.
    expect(h.starts.map((x) => x.at)).toEqual([0, 60_000, 120_000, 180_000, 240_000]);
    expect(s.status(1)).toMatchObject({ circuitOpen: false, consecutiveFailures: 0 });
    await s.dispose();
  });

  it('keeps an open circuit open across restarts (failures read from history)', async () => {
    const h = harness();
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0),
      load: () => Promise.resolve(eps(1)),
      initialFailures: () => Promise.resolve(5),
      run: h.run,
      circuitCooldownMs: 1_000_000,
      watch: false,
    });
    await s.start();
    expect(s.status(1)).toMatchObject({ circuitOpen: true, nextRunAt: T0 + 1_000_000 });
    // "Sync now" still tries it: a manual attempt is how an operator checks a fix.
    const r = await s.syncNow([1]);
    expect(r.started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await r.done;
    expect(s.status(1)?.circuitOpen).toBe(false);
    await s.dispose();
  });

  it('respects the global concurrency limit', async () => {
    const h = harness();
    h.durationMs = 10_000;
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0),
      load: () => Promise.resolve(eps(6)),
      run: h.run,
      concurrency: 2,
      staggerMs: 100,
      watch: false,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(35_000);
    expect(h.starts).toHaveLength(6);
    expect(h.maxGlobal).toBe(2);
    await s.dispose();
  });

  it('dispose aborts in-flight syncs and waits for them', async () => {
    const h = harness();
    h.durationMs = 1_000_000;
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0),
      load: () => Promise.resolve(eps(2)),
      run: h.run,
      staggerMs: 0,
      watch: false,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(10);
    const r = await s.syncNow([1, 2]);
    expect(r.alreadyRunning.map((x) => x.id)).toEqual([1, 2]);
    await s.dispose();
    expect([...h.running.values()].every((n) => n === 0)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a refresh racing dispose plans nothing and reports nothing (the store closed under it)', async () => {
    const h = harness();
    // Loads the host's shutdown overtakes: one answers after dispose, one then fails as a closed
    // pool does ("driver has already been destroyed").
    const pending: {
      resolve: (v: ScheduledEndpoint[]) => void;
      reject: (e: Error) => void;
    }[] = [];
    const make = () =>
      createScheduler({
        log: silentLogger(),
        timers: fixedTimers(0),
        load: () => new Promise((resolve, reject) => pending.push({ resolve, reject })),
        run: h.run,
        staggerMs: 0,
        watch: false,
      });
    // Until the refresh's read is in flight (it starts in its turn, a microtask later).
    const reading = async (n: number): Promise<void> => {
      for (let i = 0; i < 50 && pending.length < n; i++) await Promise.resolve();
      expect(pending).toHaveLength(n);
    };
    const answeredLate = make();
    const answered = answeredLate.refresh();
    await reading(1);
    await answeredLate.dispose();
    pending[0]!.resolve(eps(2));
    await expect(answered).resolves.toBeUndefined();
    const failedLate = make();
    const failed = failedLate.refresh();
    await reading(2);
    await failedLate.dispose();
    pending[1]!.reject(new Error('driver has already been destroyed'));
    await expect(failed).resolves.toBeUndefined();
    // Nothing planned on the closed store: no timers, no runs.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.starts).toEqual([]);
  });

  it('cancel aborts one run; the endpoint keeps its schedule', async () => {
    const h = harness();
    h.durationMs = 50_000;
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0),
      load: () => Promise.resolve(eps(1)),
      run: h.run,
      staggerMs: 0,
      intervalJitter: 0,
      watch: false,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(s.cancel(1)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.status(1)).toMatchObject({
      running: false,
      consecutiveFailures: 0,
      nextRunAt: T0 + 10 + 60_000,
    });
    expect(s.cancel(1)).toBe(false);
    await s.dispose();
  });
  it('reports a watch session as watching, not running, and still refuses a second sync', async () => {
    const s = createScheduler({
      log: silentLogger(),
      timers: fixedTimers(0),
      load: () => Promise.resolve(eps(1)),
      run: async (id, opts) => {
        opts.onGood?.(new Date());
        opts.onWatching?.(true);
        await new Promise<void>((resolve) =>
          opts.signal.addEventListener('abort', () => resolve()),
        );
        opts.onWatching?.(false);
        return {
          endpointId: id,
          endpoint: 'ep1',
          runId: null,
          status: 'succeeded',
          counts: null,
          error: null,
          durationMs: 0,
        };
      },
      staggerMs: 0,
    });
    await s.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(s.status(1)).toMatchObject({ running: false, watching: true, lastGoodAt: T0 });
    expect((await s.syncNow([1])).alreadyRunning).toHaveLength(1);
    await s.dispose();
    expect(s.status(1)).toMatchObject({ running: false, watching: false });
  });

  describe('re-plans one at a time (endpoint edits refresh without waiting)', () => {
    /** A load answered only when the test says, with the endpoints as they were when asked. */
    function slowLoads(initial: ScheduledEndpoint[]): {
      load: SchedulerOptions['load'];
      set(next: ScheduledEndpoint[]): void;
      /** Answers the waiting loads together, the last asked first (a store out of order). */
      answerNewestFirst(): Promise<void>;
    } {
      let current = initial;
      const waiting: (() => void)[] = [];
      return {
        load: () =>
          new Promise((resolve) => {
            const seen = current;
            waiting.push(() => resolve(seen));
          }),
        set: (next) => {
          current = next;
        },
        async answerNewestFirst() {
          // A re-plan queued behind another asks only once that one is done: keep answering.
          for (let round = 0; round < 10; round++) {
            for (const answer of waiting.splice(0).reverse()) answer();
            await vi.advanceTimersByTimeAsync(0);
          }
        },
      };
    }

    it('announces one plan when start() comes while an earlier refresh still reads', async () => {
      const loads = slowLoads(eps(1));
      const planned: number[][] = [];
      const s = createScheduler({
        log: silentLogger(),
        timers: fixedTimers(0),
        load: loads.load,
        run: harness().run,
        staggerMs: 60_000,
        watch: false,
        onPlanned: (ids) => planned.push([...ids]),
      });
      // endpoints:add refreshes before the host starts the scheduler.
      const refreshing = s.refresh();
      const starting = s.start();
      await loads.answerNewestFirst();
      await Promise.all([refreshing, starting]);
      expect(planned).toEqual([[1]]);
      await s.dispose();
    });

    it('never schedules an endpoint again from a read older than its removal', async () => {
      const h = harness();
      const loads = slowLoads(eps(2));
      const s = createScheduler({
        log: silentLogger(),
        timers: fixedTimers(0),
        load: loads.load,
        run: h.run,
        staggerMs: 60_000,
        watch: false,
      });
      const starting = s.start();
      await loads.answerNewestFirst();
      await starting;
      expect(s.status(2)?.nextRunAt).not.toBeNull();
      // An edit's refresh reads both endpoints; then endpoint 2 is removed and refreshes again.
      const edited = s.refresh();
      loads.set(eps(1));
      const removed = s.refresh();
      await loads.answerNewestFirst();
      await Promise.all([edited, removed]);
      expect(s.status(2)).toBeNull();
      await vi.advanceTimersByTimeAsync(200_000);
      expect(h.starts.some((x) => x.id === 2)).toBe(false);
      expect(h.starts.some((x) => x.id === 1)).toBe(true);
      await s.dispose();
    });
  });
});
