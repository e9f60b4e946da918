import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as endpointCli } from '../../src/cli/commands/endpoint.js';
import { run as syncCli } from '../../src/cli/commands/sync.js';
import { cliContext } from '../doubles/cli-context.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { DEFAULT_COLLECTORS } from '../../src/core/core.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';

/*
 * The whole path with the real vSphere collector: add (trust on first use) → test → sync. One
 * simulator for the file, added and synced afresh into a store of each engine.
 */

let sim: Vcsim;
let h: CoreHarness;
beforeAll(async () => {
  sim = await startVcsim();
}, 120_000);
afterAll(async () => {
  await sim?.stop();
  await stopSharedPostgres();
});

describe.each(ENGINES)('sync against vcsim on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ collectors: DEFAULT_COLLECTORS, store: await testStoreLocation(engine) });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('pins on first use during sync, collects, and saves the inventory', async () => {
    const env = { SIM_PW: sim.password };
    const add = cliContext(h.core, { env });
    const args = ['--type', 'vcenter', '--host', `${sim.host}:${sim.port}`, '-u', sim.username];
    expect(
      await endpointCli(add.ctx, [
        'add',
        'sim',
        ...args,
        '--password-env',
        'SIM_PW',
        '--trust-on-first-use',
      ]),
    ).toBe(0);
    const c = cliContext(h.core);
    expect(await syncCli(c.ctx, ['sim'])).toBe(0);
    expect(c.out()).toMatch(/✓ sim: synced \d+ objects/);
    const [ep] = await h.call('endpoints:list', {});
    expect(ep?.thumbprint).toBe(sim.thumbprint);
    expect(ep?.status.lastStatus).toBe('succeeded');
    const vms = await h.core.store.db.selectFrom('vm').select('name').execute();
    expect(vms.length).toBe(sim.counts['VirtualMachine']);
    const audit = await h.core.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['endpoint.add', 'endpoint.trust']);
  });
});
