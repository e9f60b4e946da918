import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { run as endpoint } from '../../src/cli/commands/endpoint.js';
import { run as sync } from '../../src/cli/commands/sync.js';
import { DEFAULT_COLLECTORS } from '../../src/core/core.js';
import type { StoreEngine } from '../../src/core/store/location.js';
import { cliContext } from '../doubles/cli-context.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { STANDALONE, expectStore } from './expected.js';
import type { DoubleHandle } from './helpers.js';
import { PASSWORD, USER, useDouble } from './helpers.js';

afterAll(stopSharedPostgres);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let h: CoreHarness | undefined;
let double: DoubleHandle | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  double?.restore();
  double = undefined;
});

/** A core on `engine`'s store with a Hyper-V endpoint "hv-lab" at `host`, added by the CLI. */
async function coreWithHyperV(engine: StoreEngine, host: string): Promise<CoreHarness> {
  const core = await makeCore({
    collectors: DEFAULT_COLLECTORS,
    store: await testStoreLocation(engine),
  });
  const add = cliContext(core.core, { stdin: `${PASSWORD}\n` });
  const args = ['add', 'hv-lab', '--type', 'hyperv', '--host', host, '--username', USER];
  expect(await endpoint(add.ctx, [...args, '--password-stdin']), add.err()).toBe(0);
  return core;
}

describe.each(ENGINES)(
  'infrascope endpoint add --type hyperv + infrascope sync on a %s store',
  (engine) => {
    it('stores the fixture inventory through the real Hyper-V collector', async () => {
      double = useDouble({ fixture: 'standalone-ps51.json' });
      h = await coreWithHyperV(engine, 'hv01.corp.example');

      const s = cliContext(h.core);
      expect(await sync(s.ctx, ['hv-lab']), s.err()).toBe(0);
      expect(s.out()).toMatch(/hv-lab: synced/);
      await expectStore(h.core.store.db, STANDALONE);
      expect(
        double
          .records()
          .filter((r) => r.event === 'script')
          .map((r) => r.passwordOk),
      ).toEqual([true, true]);
      // One PowerShell process served the sync, and it is gone once the sync is over.
      const pids = double
        .records()
        .filter((r) => r.event === 'start')
        .map((r) => r.pid);
      expect(pids).toHaveLength(1);
      // (The CLI returns on the sync's outcome; the engine disposes the collector right after.)
      await expect.poll(() => pids.some(alive), { timeout: 5000 }).toBe(false);
      for (const line of h.logs) expect(line.includes(PASSWORD)).toBe(false);
    });

    it('a failure class reaches the CLI as its code', async () => {
      double = useDouble({
        fixture: 'standalone-ps51.json',
        scripts: { 'get-endpoint': ['error:not-hyperv'] },
      });
      h = await coreWithHyperV(engine, 'web01.corp.example');
      const s = cliContext(h.core);
      expect(await sync(s.ctx, ['hv-lab', '--json'])).toBe(1);
      const [outcome] = JSON.parse(s.out()) as { status: string; error: { code: string } | null }[];
      expect(outcome).toMatchObject({ status: 'failed', error: { code: 'NOT_HYPERV' } });
    });
  },
);
