import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { ENGINES, openTestStore } from '../../../tests/helpers/store.js';
import { createEventHub } from '../contract/handlers.js';
import { silentLogger } from '../logger.js';
import type { Store } from '../store/sqlite.js';
import { keyFileVault } from '../vault/key-file-vault.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEndpointsCapability } from './capability.js';
import type { ParsedInput } from '../../shared/contract.js';

type EndpointInput = ParsedInput<'endpoints:add'>;

let store: Store;
let dir: string;
afterAll(stopSharedPostgres);

function endpointInput(name: string, enabled = true, pollIntervalSeconds = 600): EndpointInput {
  return {
    name,
    kind: 'vcenter',
    host: name,
    username: 'u',
    password: 'p',
    tags: [],
    pollIntervalSeconds,
    enabled,
    trustOnFirstUse: false,
    useSsl: false,
    fileInfo: false,
    notes: '',
  };
}

describe.each(ENGINES)('createEndpointsCapability on a %s store', (engine) => {
  beforeEach(async () => {
    // Opened with real timers; the fakes then also hold the pg pool's idle timers (10 s), which
    // no test here advances to, so no client is dropped under a test.
    store = await openTestStore(engine);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    dir = mkdtempSync(join(tmpdir(), 'infrascope-cap-'));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start() schedules only the chosen endpoints (watch NAME...), staggered; dispose stops everything', async () => {
    const double = createCollectorDouble({ kind: 'ok', vms: 1 });
    const cap = createEndpointsCapability({
      db: store.db,
      vault: keyFileVault(dir),
      events: createEventHub(silentLogger()),
      log: silentLogger(),
      now: () => new Date(),
      collectors: { vcenter: double.factory },
      scheduler: { staggerMs: 1_000, watch: false },
    });
    const ctx = { actor: 'test', host: 'cli' } as const;
    const ids: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      const dto = await cap.handlers['endpoints:add'](endpointInput(name, true, 60), ctx);
      ids.push(dto.id);
    }
    await cap.start({ endpointIds: [ids[0]!, ids[2]!] });
    await vi.advanceTimersByTimeAsync(5_000);
    // The runs the timers started reach the collector after their store writes (real I/O on
    // PostgreSQL, which advancing fake time does not wait for); then each is planned again.
    await vi.waitFor(
      () => {
        expect(double.targets.map((t) => t.name).sort()).toEqual(['a', 'c']);
        for (const id of [ids[0]!, ids[2]!]) {
          expect(cap.scheduler.status(id)).toMatchObject({
            running: false,
            nextRunAt: expect.any(Number),
          });
        }
      },
      { timeout: 5_000 },
    );
    const list = await cap.handlers['endpoints:list']({}, ctx);
    expect(list.find((e) => e.name === 'a')?.status.nextRunAt).not.toBeNull();
    expect(list.find((e) => e.name === 'b')?.status.nextRunAt).toBeNull();
    await cap.dispose();
    // Nothing of the scheduler's is left; on PostgreSQL the fakes also hold one idle timer per
    // pooled client (pg-pool's idleTimeoutMillis), which are the pool's, not the scheduler's.
    expect(vi.getTimerCount()).toBe(store.engine === 'postgres' ? store.pool.idleCount : 0);
  });

  it('announces the plan: endpoints:changed after start and after an add, and the list read then shows the next run', async () => {
    const events = createEventHub(silentLogger());
    const cap = createEndpointsCapability({
      db: store.db,
      vault: keyFileVault(dir),
      events,
      log: silentLogger(),
      now: () => new Date(),
      collectors: { vcenter: createCollectorDouble({ kind: 'ok', vms: 1 }).factory },
      scheduler: { staggerMs: 60_000, watch: false },
    });
    const ctx = { actor: 'test', host: 'cli' } as const;
    const a = await cap.handlers['endpoints:add'](endpointInput('a'), ctx);
    const off = await cap.handlers['endpoints:add'](endpointInput('off', false), ctx);
    // What a page that refetches on each event would show.
    const seen: { ids: readonly number[]; next: Record<string, string | null> }[] = [];
    const reads: Promise<void>[] = [];
    events.subscribe((name, payload) => {
      if (name !== 'endpoints:changed') return;
      reads.push(
        cap.handlers['endpoints:list']({}, ctx).then((list) => {
          seen.push({
            ids: (payload as { ids: readonly number[] }).ids,
            next: Object.fromEntries(list.map((e) => [e.name, e.status.nextRunAt])),
          });
        }),
      );
    });
    await cap.start();
    await Promise.all(reads);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.ids).toEqual([a.id]);
    expect(seen[0]!.next['a']).not.toBeNull();
    expect(seen[0]!.next['off']).toBeNull();
    // Enabling an endpoint: the last event is the plan, which has its next run.
    seen.length = 0;
    await cap.handlers['endpoints:update']({ id: off.id, enabled: true }, ctx);
    await vi.waitFor(() => expect(seen.at(-1)?.next['off']).toBeTruthy(), { timeout: 5_000 });
    expect(seen.at(-1)!.ids).toEqual([off.id]);
    await cap.dispose();
    // Reads a late event started finish before the store closes (else they reject unhandled,
    // on the next test's time).
    while (reads.length > 0) await Promise.all(reads.splice(0));
  });
});
