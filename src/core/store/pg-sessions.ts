import type { Kysely } from 'kysely';
import pg from 'pg';
import { AppError } from '../../shared/errors.js';
import type { Database } from './schema.js';

/*
 * Sessions of a PostgreSQL store that must outlive a query: the advisory locks that say which
 * process syncs an endpoint, and the LISTEN connection that hears other processes. Both live on
 * connections of their own, outside the query pool: a lock is a property of the session holding
 * it, and a watch session holds its endpoint for hours — one pooled connection per endpoint would
 * drain a pool of ten long before an estate of hundreds of endpoints. One lock session per
 * process holds every endpoint the process syncs (session-level locks stack on one connection).
 */

/**
 * Keepalives on the server's side of a dedicated session, so a machine that vanishes (power cut,
 * cable pulled) loses its locks in about a minute instead of the kernel's two hours. A killed
 * process closes its socket at once and the server frees its locks immediately. These settings
 * are per session and need no privilege.
 */
const KEEPALIVE_OPTIONS =
  '-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3';

/** A client with the pool's own settings (host, TLS as negotiated, number parsing), kept alive. */
export function dedicatedClient(pool: pg.Pool, purpose: string): pg.Client {
  return new pg.Client({
    ...pool.options,
    // pg-pool keeps the password off the enumerable options (so logging them cannot leak it).
    password: pool.options.password,
    keepAlive: true,
    options: KEEPALIVE_OPTIONS,
    application_name: `infrascope ${purpose}`,
  });
}

/** An advisory lock held by this process; `lost` aborts if the server may have freed it. */
export interface HeldLock {
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface LockSession {
  /**
   * Takes the session-level advisory lock (`namespace`, `key`) if no other session holds it:
   * null when one does (or this process already holds or is claiming it). Connects on first use.
   */
  tryLock(namespace: number, key: number): Promise<HeldLock | null>;
  close(): Promise<void>;
}

function lockKey(namespace: number, key: number): string {
  return `${namespace}:${key}`;
}

/**
 * The process's lock session. If its connection drops, every lock it held is gone on the server
 * (another process may take it at once), so each holder is told through `lost`; the next
 * `tryLock` connects afresh.
 */
export function createLockSession(pool: pg.Pool): LockSession {
  let client: Promise<pg.Client> | null = null;
  let closed = false;
  const held = new Map<string, AbortController>();
  // Keys being claimed now: a second claim while the first waits for the server gets null, as the
  // server would grant the same session the key twice (session locks stack) and one release
  // would leave it held.
  const claiming = new Set<string>();
  // Syncs of several endpoints claim and release at once, on this one connection: their queries
  // go one after another (pg 8 queues overlapping queries with a deprecation warning, pg 9
  // refuses them).
  let last: Promise<unknown> = Promise.resolve();
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = last.then(run, run);
    last = next.catch(() => undefined);
    return next;
  };

  const dropped = (c: pg.Client, why: string): void => {
    if (client === null) return;
    client = null;
    c.removeAllListeners();
    c.on('error', () => undefined);
    const reason = new AppError(
      'STORE_UNREACHABLE',
      `Lost the store connection that held this process's sync locks (${why}); another process may now sync these endpoints.`,
    );
    for (const ctl of held.values()) ctl.abort(reason);
    held.clear();
    void c.end().catch(() => undefined);
  };

  const connect = (): Promise<pg.Client> => {
    if (closed) return Promise.reject(new AppError('CANCELLED', 'The store is closed.'));
    client ??= (async () => {
      const c = dedicatedClient(pool, 'locks');
      c.on('error', (e) => dropped(c, e.message));
      c.on('end', () => dropped(c, 'connection ended'));
      try {
        await c.connect();
      } catch (e) {
        client = null;
        throw e;
      }
      return c;
    })();
    return client;
  };

  return {
    async tryLock(namespace, key) {
      const id = lockKey(namespace, key);
      // Session locks are re-entrant: the server would say yes to a second claim from this process.
      if (held.has(id) || claiming.has(id)) return null;
      claiming.add(id);
      let c: pg.Client;
      try {
        c = await connect();
        const r = await serial(() =>
          c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [namespace, key]),
        );
        if (!r.rows[0]?.ok) return null;
      } finally {
        claiming.delete(id);
      }
      const ctl = new AbortController();
      held.set(id, ctl);
      return {
        lost: ctl.signal,
        async release() {
          if (held.get(id) !== ctl) return; // lost with its connection, or released already
          held.delete(id);
          await serial(() => c.query('SELECT pg_advisory_unlock($1, $2)', [namespace, key])).catch(
            () => {
              // The connection failed meanwhile: the server dropped the lock with the session.
            },
          );
        },
      };
    },
    async close() {
      closed = true;
      const c = await client?.catch(() => null);
      client = null;
      held.clear();
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}

/** The long-lived sessions of each open PostgreSQL store, by its kysely instance. */
const SESSIONS = new WeakMap<Kysely<Database>, { locks: LockSession; pool: pg.Pool }>();

export function registerPgSessions(db: Kysely<Database>, pool: pg.Pool): LockSession {
  const locks = createLockSession(pool);
  SESSIONS.set(db, { locks, pool });
  return locks;
}

/** The lock session of the PostgreSQL store `db` belongs to (its root instance, not a trx). */
export function lockSessionOf(db: Kysely<Database>): LockSession {
  const s = SESSIONS.get(db);
  if (!s) throw new AppError('INTERNAL', 'This database handle is not an open PostgreSQL store.');
  return s.locks;
}
