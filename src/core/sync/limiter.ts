import { AppError } from '../../shared/errors.js';

/** A counting semaphore: at most `limit` holders; waiters are served first come, first served. */
export interface Limiter {
  /** Resolves with a release function once a slot is free; rejects with CANCELLED on abort. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(limit: number): Limiter {
  let active = 0;
  const queue: { grant: () => void }[] = [];
  const releaser = (): (() => void) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active--;
      const next = queue.shift();
      if (next) next.grant();
    };
  };
  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      if (signal?.aborted)
        return Promise.reject(
          new AppError('CANCELLED', 'Cancelled while waiting for a free sync slot.'),
        );
      if (active < limit) {
        active++;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const entry = {
          grant: (): void => {
            signal?.removeEventListener('abort', onAbort);
            active++;
            resolve(releaser());
          },
        };
        const onAbort = (): void => {
          const i = queue.indexOf(entry);
          if (i >= 0) queue.splice(i, 1);
          reject(new AppError('CANCELLED', 'Cancelled while waiting for a free sync slot.'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(entry);
      });
    },
  };
}
