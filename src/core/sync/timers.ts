/**
 * Time as the scheduler sees it. The default reads the globals at call time, so vitest's fake
 * timers (which replace them) drive it too; tests may also pass their own.
 */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** In [0, 1): jitter. Tests pass a fixed value. */
  random(): number;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  // Not unref'd: pending runs keep `infrascope watch` alive; dispose() clears them all.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};
