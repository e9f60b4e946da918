import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/core.js';
import { createCore } from '../../src/core/core.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Store } from '../../src/core/store/sqlite.js';
import { openStore } from '../../src/core/store/sqlite.js';
import { lockedEndpoints } from '../../src/core/sync/ownership.js';
import { keyFileVault } from '../../src/core/vault/key-file-vault.js';
import type { EventMap } from '../../src/shared/contract.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { testStoreLocation } from '../helpers/store.js';
import { endpointAddArgs, startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import type { CliRun } from './team-cli.js';
import { teamCli } from './team-cli.js';

/*
 * Separate processes (the bundled CLI) on one PostgreSQL store with one vcsim endpoint: a watch
 * holds the endpoint, a second process is refused; kill -9 of the holder lets another process
 * sync at once; and a process listening on the store (a serve's core) hears that sync land.
 */

let sim: Vcsim;
let url: string;
let dir: string;
let store: Store;
/** The team store's key every process here holds (a team store seals passwords with it). */
const TEAM_KEY = randomBytes(32);
const cli = teamCli({
  dir: () => dir,
  store: () => url,
  env: () => ({ SIM_PW: sim.password, INFRASCOPE_STORE_KEY: TEAM_KEY.toString('base64') }),
});
const start = (args: string[]): CliRun => cli.start(args);

beforeAll(async () => {
  // The CLI as shipped: one bundle run by plain Node.
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
  sim = await startVcsim();
  url = (await testStoreLocation('postgres'))!;
  dir = mkdtempSync(join(tmpdir(), 'infrascope-team-'));
  const added = await start(endpointAddArgs(sim, 'vcsim', 'SIM_PW')).done;
  expect(added.code, added.out).toBe(0);
  store = await openStore({ file: url });
}, 180_000);

afterAll(async () => {
  cli.killAll();
  await store?.close();
  await sim?.stop();
  await stopSharedPostgres();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('two processes on one PostgreSQL store', () => {
  it('syncs an endpoint in one process at a time, takes over at once after kill -9, and tells a listening process', async () => {
    const [ep] = await store.db.selectFrom('endpoint').select('id').execute();
    const id = ep!.id;
    // A: a scheduler that syncs the endpoint, then follows its updates (holding it all along).
    const a = start(['watch', 'vcsim']);
    await expect
      .poll(
        async () =>
          (await lockedEndpoints(store.db)).has(id) &&
          // Its full run done, its update session open.
          (await store.db.selectFrom('sync_run').select(['mode', 'status']).orderBy('id').execute())
            .map((r) => `${r.mode}:${r.status}`)
            .join() === 'full:succeeded,incremental:running',
        { timeout: 90_000, interval: 200 },
      )
      .toBe(true);

    // B: refused while A holds it, and nothing of B's is recorded.
    const b = await start(['sync', 'vcsim']).done;
    expect(b.code).toBe(1);
    expect(b.out).toContain('holds the endpoint "vcsim"');
    expect(b.out).toContain(`pid ${a.child.pid}`);
    const owners = await store.db.selectFrom('sync_run').select('owner').execute();
    expect(owners.every((r) => r.owner?.split(':')[1] === String(a.child.pid))).toBe(true);

    // A listening process (a serve's core) on the same store.
    const listener: Core = await createCore({
      dataDir: dir,
      host: 'serve',
      vault: keyFileVault(dir),
      store: url,
      storeKey: { key: TEAM_KEY, source: 'test key' },
      log: silentLogger(),
    });
    const heard: EventMap['inventory:changed'][] = [];
    listener.events.subscribe((event, payload, source) => {
      if (event === 'inventory:changed' && source === 'store')
        heard.push(payload as EventMap['inventory:changed']);
    });
    try {
      a.child.kill('SIGKILL');
      await a.done;
      // C: right away, no lease to wait out.
      const cp = start(['sync', 'vcsim']);
      const c = await cp.done;
      expect(c.code, c.out).toBe(0);
      const runs = await store.db.selectFrom('sync_run').selectAll().orderBy('id').execute();
      const last = runs.at(-1)!;
      // A's update session was closed as interrupted when C claimed the endpoint.
      expect(runs.map((r) => [r.owner?.split(':')[1], r.mode, r.status, r.error_code])).toEqual([
        [String(a.child.pid), 'full', 'succeeded', null],
        [String(a.child.pid), 'incremental', 'failed', 'INTERRUPTED'],
        [String(cp.child.pid), 'full', 'succeeded', null],
      ]);
      // The store holds what vcsim says it has.
      const vms = await store.db
        .selectFrom('vm')
        .select('id')
        .where('deleted_at', 'is', null)
        .execute();
      expect(vms).toHaveLength(sim.counts['VirtualMachine']!);
      // The listening process heard C's write, naming its run.
      await expect
        .poll(() => heard.some((h) => h.runId === last.id && h.endpointId === id))
        .toBe(true);
      expect(heard.find((h) => h.runId === last.id)?.types).toContain('vm');
    } finally {
      await listener.dispose();
    }
  }, 240_000);
});
