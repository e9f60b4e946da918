import { AppError } from '../../shared/errors.js';
import type { StoreReachability } from '../../shared/app.js';
import type { Logger } from '../logger.js';

/*
 * A team store lives on another machine, and the network between can go. While it is gone every
 * request fails; rather than each page showing its own error, the core says once that the store
 * is unavailable (the `store:status` event and `app:storeStatus`), probes it with backoff, and
 * says when it is back, so the UI keeps what it shows under a banner and refreshes on return. A
 * SQLite file on the local disk does not go away like that: its status is always available.
 */

/** Node and pg codes, and pg messages, of a connection that is gone or cannot be made. */
const LOSS_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // admin_shutdown, crash_shutdown, cannot_connect_now
  '57P01',
  '57P02',
  '57P03',
]);
const LOSS_MESSAGE =
  /Connection terminated|connection timeout|terminating connection|Client has encountered a connection error|server closed the connection/i;

/** Whether `e` (or what caused it) says the store's server cannot be reached. */
export function isConnectionLoss(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof AppError && cur.code === 'STORE_UNREACHABLE') return true;
    const code = String((cur as { code?: unknown }).code ?? '');
    if (LOSS_CODES.has(code)) return true;
    if (cur instanceof Error && LOSS_MESSAGE.test(cur.message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** Waits between probes: doubling from the first, capped. */
export const PROBE_DELAYS_MS = { first: 1_000, max: 30_000 } as const;

export interface StoreAvailabilityOptions {
  /** The store's redacted location, for messages. */
  readonly where: string;
  /** Succeeds when the store answers (a `SELECT 1`). */
  readonly probe: () => Promise<void>;
  readonly onChange: (status: StoreReachability) => void;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly delays?: { readonly first: number; readonly max: number };
}

export interface StoreAvailability {
  status(): StoreReachability;
  /**
   * Looks at a failure: a lost connection marks the store unavailable (probing starts) and comes
   * back as a typed STORE_UNAVAILABLE error saying so; any other error comes back as it was.
   */
  failed(e: unknown): unknown;
  dispose(): void;
}

export function createStoreAvailability(opts: StoreAvailabilityOptions): StoreAvailability {
  const now = opts.now ?? ((): Date => new Date());
  const delays = opts.delays ?? PROBE_DELAYS_MS;
  let status: StoreReachability = { state: 'available' };
  let timer: NodeJS.Timeout | null = null;
  let disposed = false;

  const set = (next: StoreReachability): void => {
    status = next;
    opts.onChange(next);
  };

  const schedule = (attempt: number): void => {
    if (disposed) return;
    const delay = Math.min(delays.first * 2 ** (attempt - 1), delays.max);
    const since = status.state === 'unavailable' ? status.since : now().toISOString();
    const message = status.state === 'unavailable' ? status.message : '';
    set({
      state: 'unavailable',
      since,
      message,
      attempts: attempt - 1,
      nextProbeAt: new Date(now().getTime() + delay).toISOString(),
    });
    timer = setTimeout(() => void probe(attempt), delay);
    timer.unref();
  };

  const probe = async (attempt: number): Promise<void> => {
    timer = null;
    if (disposed) return;
    try {
      await opts.probe();
    } catch (e) {
      opts.log.debug({ attempt, code: (e as { code?: unknown }).code }, 'store still unavailable');
      schedule(attempt + 1);
      return;
    }
    if (disposed) return;
    opts.log.info({ store: opts.where, attempts: attempt }, 'the store is available again');
    set({ state: 'available' });
  };

  return {
    status: () => status,
    failed(e) {
      if (!isConnectionLoss(e)) return e;
      const reason = e instanceof Error ? e.message : String(e);
      if (status.state === 'available' && !disposed) {
        opts.log.warn({ store: opts.where, reason }, 'the store is unavailable; retrying');
        status = {
          state: 'unavailable',
          since: now().toISOString(),
          message: reason,
          attempts: 0,
          nextProbeAt: now().toISOString(),
        };
        schedule(1);
      }
      return new AppError(
        'STORE_UNAVAILABLE',
        `The store ${opts.where} is unavailable (${reason}). Infrascope retries with backoff and shows what it loaded before; check the PostgreSQL server and the network to it.`,
        { store: opts.where },
        { cause: e },
      );
    },
    dispose() {
      disposed = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
