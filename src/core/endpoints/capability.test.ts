import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCollectorDouble } from '../../../tests/doubles/collector-double.js';
import { createEventHub } from '../contract/handlers.js';
import { silentLogger } from '../logger.js';
import { openStore } from '../store/sqlite.js';
import type { Store } from '../store/sqlite.js';
import { keyFileVault } from '../vault/key-file-vault.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEndpointsCapability } from './capability.js';

let store: Store;
let dir: string;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  store = await openStore({ file: ':memory:' });
  dir = mkdtempSync(join(tmpdir(), 'infrascope-cap-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createEndpointsCapability', () => {
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
      const dto = await cap.handlers['endpoints:add'](
        {
          name,
          kind: 'vcenter',
          host: name,
          username: 'u',
          password: 'p',
          tags: [],
          pollIntervalSeconds: 60,
          enabled: true,
          trustOnFirstUse: false,
          useSsl: false,
          notes: '',
        },
        ctx,
      );
      ids.push(dto.id);
    }
    await cap.start({ endpointIds: [ids[0]!, ids[2]!] });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(double.targets.map((t) => t.name).sort()).toEqual(['a', 'c']);
    const list = await cap.handlers['endpoints:list']({}, ctx);
    expect(list.find((e) => e.name === 'a')?.status.nextRunAt).not.toBeNull();
    expect(list.find((e) => e.name === 'b')?.status.nextRunAt).toBeNull();
    await cap.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
