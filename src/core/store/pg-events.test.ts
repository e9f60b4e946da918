import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventMap, EventName } from '../../shared/contract.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { testStoreLocation } from '../../../tests/helpers/store.js';
import type { EventHub, EventSource } from '../contract/handlers.js';
import { createEventHub } from '../contract/handlers.js';
import { silentLogger } from '../logger.js';
import type { StoreEvents } from './pg-events.js';
import { STORE_EVENTS_CHANNEL, createStoreEvents, parseNotice } from './pg-events.js';
import type { PostgresStore } from './sqlite.js';
import { openStore } from './sqlite.js';

/*
 * Two processes on one PostgreSQL store, each with its hub: what one does reaches the other's hub
 * as a `store` event through LISTEN/NOTIFY, and never comes back to itself.
 */

afterAll(stopSharedPostgres);

const CHANGE: EventMap['inventory:changed'] = {
  endpointId: 7,
  runId: 42,
  types: ['vm', 'host'],
  created: 3,
  updated: 1,
  deleted: 0,
};

interface Side {
  store: PostgresStore;
  hub: EventHub;
  bridge: StoreEvents;
  heard: { event: EventName; payload: unknown; source: EventSource }[];
  /** What onListening said, in order. */
  listening: boolean[];
  /** Resolves with the first heard event from the store matching `pick`. */
  next(pick: (e: { event: EventName; payload: unknown }) => boolean): Promise<unknown>;
}

async function side(url: string): Promise<Side> {
  const store = (await openStore({ file: url })) as PostgresStore;
  const hub = createEventHub(silentLogger());
  const heard: Side['heard'] = [];
  const waiters: (() => void)[] = [];
  const listening: boolean[] = [];
  hub.subscribe(<E extends EventName>(event: E, payload: EventMap[E], source: EventSource) => {
    heard.push({ event, payload, source });
    for (const w of waiters.splice(0)) w();
  });
  const bridge = createStoreEvents({
    db: store.db,
    pool: store.pool,
    events: hub,
    log: silentLogger(),
    retryMs: { first: 20, max: 200 },
    onListening: (up) => listening.push(up),
  });
  await bridge.listen();
  return {
    store,
    hub,
    bridge,
    heard,
    listening,
    async next(pick) {
      for (;;) {
        const hit = heard.find((e) => e.source === 'store' && pick(e));
        if (hit) return hit.payload;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe('live updates between processes (LISTEN/NOTIFY)', () => {
  let a: Side;
  let b: Side;
  beforeEach(async () => {
    const url = (await testStoreLocation('postgres'))!;
    a = await side(url);
    b = await side(url);
  });
  afterEach(async () => {
    for (const s of [a, b]) {
      await s.bridge.dispose();
      await s.store.close();
    }
  });

  it("hears the other process's changes as store events, in their small form, and never its own", async () => {
    expect(a.bridge.listening && b.bridge.listening).toBe(true);
    a.hub.emit('inventory:changed', CHANGE);
    // Progress stays in its process (another process's page would show it as its own sync's).
    a.hub.emit('sync:progress', {
      endpointId: 7,
      endpoint: 'vc1',
      runId: 42,
      state: 'succeeded',
      phase: 'done',
    });
    a.hub.emit('alerts:raised', { alerts: [{ id: 5 } as EventMap['alerts:raised']['alerts'][0]] });
    a.hub.emit('endpoints:changed', { ids: [7] });
    await a.bridge.idle();
    expect(await b.next((e) => e.event === 'inventory:changed')).toEqual(CHANGE);
    // Raised alerts travel as their ids: the page refetches what it shows.
    expect(await b.next((e) => e.event === 'alerts:changed')).toEqual({ ids: [5] });
    expect(await b.next((e) => e.event === 'endpoints:changed')).toEqual({ ids: [7] });
    // b's own change goes to a; by the time a hears it, a's notices reached a long ago.
    b.hub.emit('endpoints:changed', { ids: [8] });
    expect(await a.next((e) => e.event === 'endpoints:changed')).toEqual({ ids: [8] });
    expect(a.heard.filter((e) => e.source === 'store').map((e) => e.event)).toEqual([
      'endpoints:changed',
    ]);
    expect(
      b.heard
        .filter((e) => e.source === 'store')
        .map((e) => e.event)
        .sort(),
    ).toEqual(['alerts:changed', 'endpoints:changed', 'inventory:changed']);
    // What b heard from the store it does not announce again.
    await b.bridge.idle();
    expect(a.heard.filter((e) => e.source === 'store')).toHaveLength(1);
  });

  it('ignores a malformed notification and listens again after its connection drops', async () => {
    // Anyone with the store's role can NOTIFY: a bad notice is dropped, the next one heard.
    const bad = '{"o":"x","e":"inventory:changed","p":{"endpointId":"1; DROP"}}';
    await sql`SELECT pg_notify(${STORE_EVENTS_CHANNEL}, ${bad})`.execute(a.store.db);
    a.hub.emit('alerts:changed', { ids: [1] });
    expect(await b.next((e) => e.event === 'alerts:changed')).toEqual({ ids: [1] });
    expect(b.heard.filter((e) => e.source === 'store')).toHaveLength(1);
    expect(b.listening).toEqual([true]);

    const cut = await sql<{ pid: number }>`
      SELECT pid FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'infrascope events'`.execute(
      a.store.db,
    );
    expect(cut.rows).toHaveLength(2);
    for (const { pid } of cut.rows)
      await sql`SELECT pg_terminate_backend(${pid}, 5000)`.execute(a.store.db);
    // Both listeners were cut: each connects again after its backoff, and says so both times.
    await expect.poll(() => a.bridge.listening && b.bridge.listening).toBe(true);
    expect(b.listening).toEqual([true, false, true]);
    // What was announced in the gap is lost: the hub is told that anything may have changed.
    expect(b.heard.filter((e) => e.source === 'store').slice(1)).toEqual([
      { event: 'endpoints:changed', payload: { ids: [] }, source: 'store' },
      { event: 'alerts:changed', payload: { ids: [] }, source: 'store' },
    ]);
    a.hub.emit('alerts:changed', { ids: [1, 2] });
    expect(
      await b.next(
        (e) => e.event === 'alerts:changed' && (e.payload as { ids: number[] }).ids.length === 2,
      ),
    ).toEqual({ ids: [1, 2] });
  });

  it('checks what it reads field by field', () => {
    expect(parseNotice('not json')).toBeNull();
    expect(parseNotice('{"o":"x","e":"sync:progress","p":{}}')).toBeNull();
    expect(parseNotice('{"o":"x","e":"alerts:changed","p":{"ids":[1,"2"]}}')).toBeNull();
    expect(
      parseNotice(
        '{"o":"x","e":"inventory:changed","p":{"endpointId":1,"types":["vm"],"created":0,"updated":0,"deleted":-1}}',
      ),
    ).toBeNull();
    expect(
      parseNotice('{"o":"x","e":"endpoints:changed","p":{"ids":[3],"extra":"dropped"}}'),
    ).toEqual({ o: 'x', e: 'endpoints:changed', p: { ids: [3] } });
  });
});
