import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type pg from 'pg';
import type { EventMap, EventName } from '../../shared/contract.js';
import type { EntityType } from '../../shared/entities.js';
import { serializeError } from '../../shared/errors.js';
import type { EventHub, EventSource } from '../contract/handlers.js';
import type { Logger } from '../logger.js';
import { dedicatedClient } from './pg-sessions.js';
import type { Database } from './schema.js';

/*
 * Live updates between processes on one PostgreSQL store. What changed the store here (a sync's
 * write, an endpoint edit, alerts) is announced with NOTIFY after it committed; every process
 * LISTENs on a connection of its own and feeds what it hears into its event hub as a `store`
 * event, which serve and the desktop forward to their pages like their own. A notification says
 * what changed (ids, entity kinds, counts, the run), never values or secrets: the page asks the
 * store for the rest.
 */

/** The one channel (NOTIFY names are identifiers: lower case, no quoting needed). */
export const STORE_EVENTS_CHANNEL = 'infrascope_events';

/** The events that travel, and the fields of each that do. */
type Shared = Pick<EventMap, 'inventory:changed' | 'endpoints:changed' | 'alerts:changed'>;
type SharedName = keyof Shared;

/** What is sent: the sending hub's origin, the event and its small payload. */
interface Notice<E extends SharedName = SharedName> {
  readonly o: string;
  readonly e: E;
  readonly p: Shared[E];
}

/** NOTIFY takes at most 8000 bytes; lists of ids past this are sent empty ("some changed"). */
const MAX_IDS_JSON = 6000;

function ids(list: readonly number[]): readonly number[] {
  return JSON.stringify(list).length > MAX_IDS_JSON ? [] : list;
}

/** The notice for a local event, or null for events that stay in their process. */
export function noticeOf<E extends EventName>(
  origin: string,
  event: E,
  payload: EventMap[E],
): Notice | null {
  switch (event) {
    case 'inventory:changed': {
      const p = payload as EventMap['inventory:changed'];
      return {
        o: origin,
        e: 'inventory:changed',
        p: {
          endpointId: p.endpointId,
          ...(p.runId === undefined ? {} : { runId: p.runId }),
          types: p.types,
          created: p.created,
          updated: p.updated,
          deleted: p.deleted,
        },
      };
    }
    case 'endpoints:changed':
      return {
        o: origin,
        e: 'endpoints:changed',
        p: { ids: ids((payload as EventMap['endpoints:changed']).ids) },
      };
    case 'alerts:changed':
      return {
        o: origin,
        e: 'alerts:changed',
        p: { ids: ids((payload as EventMap['alerts:changed']).ids) },
      };
    // Raised alerts carry whole alerts; the other processes' pages refetch on `changed`.
    case 'alerts:raised':
      return {
        o: origin,
        e: 'alerts:changed',
        p: { ids: ids((payload as EventMap['alerts:raised']).alerts.map((a) => a.id)) },
      };
    default:
      return null;
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount);

/** A notice read back, checked field by field (anyone with the store's role can NOTIFY). */
export function parseNotice(text: string): Notice | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const { o, e, p } = raw as { o?: unknown; e?: unknown; p?: Record<string, unknown> };
  if (typeof o !== 'string' || typeof p !== 'object' || p === null) return null;
  if (e === 'endpoints:changed' || e === 'alerts:changed')
    return isIds(p['ids']) ? { o, e, p: { ids: p['ids'] } } : null;
  if (e !== 'inventory:changed') return null;
  const { endpointId, runId, types, created, updated, deleted } = p;
  if (![endpointId, created, updated, deleted].every(isCount)) return null;
  if (runId !== undefined && !isCount(runId)) return null;
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string')) return null;
  return {
    o,
    e,
    p: {
      endpointId: endpointId as number,
      ...(runId === undefined ? {} : { runId }),
      types: types as EntityType[],
      created: created as number,
      updated: updated as number,
      deleted: deleted as number,
    },
  };
}

export interface StoreEventsOptions {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly events: EventHub;
  readonly log: Logger;
  /** First and longest wait before listening again after the connection dropped. */
  readonly retryMs?: { readonly first: number; readonly max: number };
  /**
   * Told when listening starts or stops (the connection dropped): while it is down the other
   * processes' changes are not heard, so pages fall back to polling (core.ts: `store:status`).
   */
  readonly onListening?: (up: boolean) => void;
}

export interface StoreEvents {
  /** This hub's name on its notices (its own come back to it, and are dropped). */
  readonly origin: string;
  /** Starts listening (idempotent); resolves once LISTEN is in place or the first try failed. */
  listen(): Promise<void>;
  /** Whether the LISTEN connection is up now. */
  readonly listening: boolean;
  /** Resolves once every change announced so far has been sent. */
  idle(): Promise<void>;
  /** Sends what is still queued, stops listening. */
  dispose(): Promise<void>;
}

/**
 * Announces this process's changes and, once `listen()` is called, hears the others'. Sending
 * starts at once: a CLI `sync` that never listens still tells the serve pages of other processes.
 */
export function createStoreEvents(o: StoreEventsOptions): StoreEvents {
  const origin = randomBytes(8).toString('hex');
  const retry = o.retryMs ?? { first: 500, max: 30_000 };
  const sending = new Set<Promise<unknown>>();
  let client: pg.Client | null = null;
  let up = false;
  let wanted = false;
  let disposed = false;
  let delay = retry.first;
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** Listening was up once: the next LISTEN follows a gap in which notices were lost. */
  let heardBefore = false;

  const setUp = (next: boolean): void => {
    if (up === next) return;
    up = next;
    o.onListening?.(next);
  };

  const unsubscribe = o.events.subscribe(
    <E extends EventName>(event: E, payload: EventMap[E], source: EventSource) => {
      if (source !== 'local' || disposed) return;
      const notice = noticeOf(origin, event, payload);
      if (!notice) return;
      const p = sql`SELECT pg_notify(${STORE_EVENTS_CHANNEL}, ${JSON.stringify(notice)})`
        .execute(o.db)
        .catch((e: unknown) =>
          // Unsent, the others miss it: the store is most likely unreachable from here, and
          // they reload when it is back (their own listener drops with it, or this is logged).
          o.log.warn({ err: serializeError(e), event }, 'could not announce a change to the store'),
        )
        .finally(() => sending.delete(p));
      sending.add(p);
    },
  );

  const heard = (msg: pg.Notification): void => {
    if (msg.channel !== STORE_EVENTS_CHANNEL || msg.payload === undefined) return;
    const notice = parseNotice(msg.payload);
    if (!notice) {
      o.log.debug({ bytes: msg.payload.length }, 'ignored a malformed store notification');
      return;
    }
    if (notice.o === origin) return;
    o.events.emit(notice.e, notice.p, 'store');
  };

  /*
   * Listening again after a gap: whatever the others announced meanwhile is lost, so this hub is
   * told that anything may have changed (empty ids say "some changed"): the scheduler re-reads
   * the endpoints, pages refetch them and the alerts; `onListening(true)` reloads the rest.
   */
  const caughtUp = (): void => {
    o.events.emit('endpoints:changed', { ids: [] }, 'store');
    o.events.emit('alerts:changed', { ids: [] }, 'store');
  };

  const again = (why: string): void => {
    if (disposed || !wanted || timer !== null) return;
    o.log.warn({ why, retryMs: delay }, 'store notifications: connection lost, listening again');
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref?.();
    delay = Math.min(retry.max, delay * 2);
  };

  const connect = async (): Promise<void> => {
    if (disposed || client) return;
    const c = dedicatedClient(o.pool, 'events');
    client = c;
    const drop = (why: string): void => {
      if (client !== c) return;
      client = null;
      c.removeAllListeners();
      c.on('error', () => undefined);
      void c.end().catch(() => undefined);
      setUp(false);
      again(why);
    };
    c.on('error', (e) => drop(e.message));
    c.on('end', () => drop('connection ended'));
    c.on('notification', heard);
    try {
      await c.connect();
      await c.query(`LISTEN ${STORE_EVENTS_CHANNEL}`);
      if (client !== c) return;
      delay = retry.first;
      if (heardBefore) caughtUp();
      heardBefore = true;
      setUp(true);
    } catch (e) {
      drop(e instanceof Error ? e.message : String(e));
    }
  };

  const idle = async (): Promise<void> => {
    while (sending.size > 0) await Promise.allSettled([...sending]);
  };

  return {
    origin,
    get listening() {
      return up;
    },
    idle,
    async listen() {
      if (wanted || disposed) return;
      wanted = true;
      await connect();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      unsubscribe();
      if (timer !== null) clearTimeout(timer);
      await idle();
      const c = client;
      client = null;
      up = false;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
