import { Socket, createServer } from 'node:net';
import type { Server } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.js';
import type { StoreReachability, StoreStatus } from '../../shared/app.js';
import { makeCore } from '../../../tests/doubles/core-harness.js';
import type { CoreHarness } from '../../../tests/doubles/core-harness.js';
import { freePort, stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { testStoreLocation } from '../../../tests/helpers/store.js';
import { silentLogger } from '../logger.js';
import { createStoreAvailability, isConnectionLoss } from './availability.js';

afterAll(stopSharedPostgres);

describe('isConnectionLoss', () => {
  it('knows a refused or dropped connection, through causes, and nothing else', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5'), {
      code: 'ECONNREFUSED',
    });
    expect(isConnectionLoss(refused)).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(new AppError('STORE_UNREACHABLE', 'x'))).toBe(true);
    expect(
      isConnectionLoss(new AppError('STORE_WRITE_FAILED', 'x', undefined, { cause: refused })),
    ).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('admin shutdown'), { code: '57P01' }))).toBe(
      true,
    );
    expect(isConnectionLoss(new AppError('VALIDATION', 'bad'))).toBe(false);
    expect(isConnectionLoss(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(
      false,
    );
  });
});

describe('createStoreAvailability', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes unavailable on a lost connection, probes with doubling delays and says when it is back', async () => {
    vi.useFakeTimers({ now: new Date('2026-12-04T10:00:00Z') });
    let failures = 3;
    const probes: number[] = [];
    const seen: StoreReachability[] = [];
    const a = createStoreAvailability({
      where: 'postgres://u:***@db/x',
      probe: () => {
        probes.push(Date.now());
        return failures-- > 0 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve();
      },
      onChange: (s) => seen.push(s),
      log: silentLogger(),
      delays: { first: 100, max: 300 },
    });
    const other = new AppError('VALIDATION', 'not a connection problem');
    expect(a.failed(other)).toBe(other);
    expect(a.status()).toEqual({ state: 'available' });

    const err = a.failed(new Error('Connection terminated unexpectedly'));
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORE_UNAVAILABLE');
    expect((err as AppError).message).toContain('postgres://u:***@db/x');
    expect(a.status()).toMatchObject({ state: 'unavailable', attempts: 0 });
    // A second failure while down changes nothing and starts no second probe loop.
    a.failed(new Error('Connection terminated unexpectedly'));
    await vi.advanceTimersByTimeAsync(2_000);
    const start = new Date('2026-12-04T10:00:00Z').getTime();
    // 100, then 200, then 300 (capped), then 300: the fourth probe succeeds.
    expect(probes.map((t) => t - start)).toEqual([100, 300, 600, 900]);
    expect(seen.map((s) => (s.state === 'unavailable' ? s.attempts : 'up'))).toEqual([
      0,
      1,
      2,
      3,
      'up',
    ]);
    expect(a.status()).toEqual({ state: 'available' });
    a.dispose();
  });

  it('stops probing when disposed', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(() => Promise.reject(new Error('ECONNREFUSED')));
    const a = createStoreAvailability({
      where: 'x',
      probe,
      onChange: () => undefined,
      log: silentLogger(),
      delays: { first: 100, max: 100 },
    });
    a.failed(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    a.dispose();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probe).not.toHaveBeenCalled();
  });
});

/** A TCP relay in front of PostgreSQL that a test can cut (refusing and dropping) and restore. */
async function relay(target: { host: string; port: number }): Promise<{
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client).add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        upstream.connect(target.port, target.host, () => {
          client.pipe(upstream).pipe(client);
        });
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
      server = s;
    });
  const stop = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    const s = server;
    server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { port, cut: stop, restore: listen, close: stop };
}

describe('a core on a team store whose server goes away', () => {
  let h: CoreHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers STORE_UNAVAILABLE, says so once, and says when the store is back', async () => {
    const direct = new URL((await testStoreLocation('postgres'))!);
    const r = await relay({ host: direct.hostname, port: Number(direct.port) });
    try {
      const url = new URL(direct);
      url.port = String(r.port);
      // A serve's core: it listens for the other processes' changes from the start.
      h = await makeCore({ store: url.toString(), host: 'serve' });
      await h.call('endpoints:list', {});
      expect(await h.call('app:storeStatus', {})).toEqual({
        state: 'available',
        changes: 'pushed',
      });

      await r.cut();
      const failure = await h.call('endpoints:list', {}).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      // Never the password, whatever the driver said.
      expect(String((failure as Error).message)).not.toContain(direct.password);
      const status = await h.call('app:storeStatus', {});
      expect(status.state).toBe('unavailable');
      const statuses = (): StoreStatus[] =>
        h!.events.filter((e) => e.name === 'store:status').map((e) => e.payload as StoreStatus);
      // The listener may say first that it went down (the store still answering then).
      expect(statuses().find((s) => s.state === 'unavailable')).toMatchObject({ attempts: 0 });

      await r.restore();
      // The first probe is a second after the loss; the pool reconnects through the relay, and so
      // does the listener, which went down with the rest: pages polled meanwhile.
      await vi.waitFor(
        () => {
          expect(statuses().at(-1)).toEqual({ state: 'available', changes: 'pushed' });
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(statuses().some((s) => s.changes === 'polled')).toBe(true);
      // What other processes announced in the gap is lost: the core says anything may have
      // changed after it (its scheduler re-reads the endpoints, pages refetch), and pages reload
      // on `changes` going back to `pushed` (renderer stores/live.ts).
      const back = h.events.findLastIndex(
        (e) => e.name === 'store:status' && (e.payload as StoreStatus).changes === 'polled',
      );
      expect(h.events.slice(back).map((e) => e.name)).toContain('endpoints:changed');
      expect(await h.call('endpoints:list', {})).toEqual(expect.any(Array));
      expect(h.logs.join('')).not.toContain(direct.password);
    } finally {
      await r.close();
    }
  });
});
