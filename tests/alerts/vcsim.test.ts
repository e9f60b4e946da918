import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlertDto, AlertsRaisedEvent, EvaluationSummary } from '../../src/shared/alerts.js';
import { DEFAULT_COLLECTORS } from '../../src/core/core.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { makeCore } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { openDriver, simEndpointInput } from '../vsphere/helpers.js';
import type { SimDriver } from '../vsphere/helpers.js';
import { enterMaintenance, exitMaintenance } from './vcsim-maintenance.js';

/*
 * The whole path against vcsim: sync → inventory:changed → the rule engine (run by the core on its
 * own) → alerts:raised → a webhook on 127.0.0.1. A host entering maintenance raises its alert;
 * leaving clears it. A VM powered off through the API carries its user and raises no
 * "powered off unexpectedly". One simulator for the file; each engine's store syncs it afresh, and
 * the test leaves the simulator as it found it.
 */

let sim: Vcsim;
let h: CoreHarness;
let driver: SimDriver;
let hook: Server;
const posted: unknown[] = [];
let endpointId = 0;

beforeAll(async () => {
  sim = await startVcsim();
  driver = await openDriver(sim);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posted.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
}, 120_000);

afterAll(async () => {
  await driver?.close();
  await sim?.stop();
  hook?.closeAllConnections();
  await new Promise((resolve) => hook?.close(resolve));
  await stopSharedPostgres();
});

/** Syncs, then waits for the core's own evaluation (this one queues behind it). */
async function sync(): Promise<EvaluationSummary> {
  h.events.splice(0);
  await h.call('sync:start', { ids: [endpointId] });
  const [done] = await h.finished([endpointId]);
  expect(done?.state).toBe('succeeded');
  return h.call('alerts:evaluate', { endpointId });
}

const open = (rule: string): Promise<readonly AlertDto[]> => h.call('alerts:list', { rule });

describe.each(ENGINES)('alerts against vcsim on a %s store', (engine) => {
  beforeAll(async () => {
    h = await makeCore({ collectors: DEFAULT_COLLECTORS, store: await testStoreLocation(engine) });
    posted.splice(0);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('raises and clears the maintenance alert, and knows who powered a VM off', async () => {
    const ep = await h.call('endpoints:add', simEndpointInput(sim));
    endpointId = ep.id;
    const port = (hook.address() as AddressInfo).port;
    await h.call('webhooks:add', {
      name: 'ops',
      url: `http://127.0.0.1:${port}/hook`,
      minSeverity: 'info',
    });
    await sync();
    expect(await open('host-maintenance')).toEqual([]);

    const [host] = await driver.list('HostSystem');
    await enterMaintenance(driver, host!.ref);
    // Raised by the evaluation the core ran after inventory:changed, not by this explicit one.
    expect((await sync()).raised).toBe(0);
    const raisedEvents = h.events.filter((e) => e.name === 'alerts:raised');
    const [alert] = await open('host-maintenance');
    expect(alert).toMatchObject({
      severity: 'info',
      state: 'active',
      entityId: host!.ref.value,
      entityName: host!.name,
      endpoint: 'sim',
    });
    expect(
      raisedEvents.flatMap((e) => (e.payload as AlertsRaisedEvent).alerts.map((a) => a.id)),
    ).toContain(alert!.id);

    await h.call('alerts:ack', { ids: [alert!.id], comment: 'firmware update' });
    expect((await open('host-maintenance'))[0]).toMatchObject({
      state: 'acknowledged',
      ackedBy: 'test:alice',
    });

    await exitMaintenance(driver, host!.ref);
    await sync();
    expect(await open('host-maintenance')).toEqual([]);
    const all = await h.call('alerts:list', { rule: 'host-maintenance', state: 'all' });
    expect(all).toMatchObject([{ id: alert!.id, state: 'cleared' }]);

    // The webhook got the raised alert, and the delivery log says so.
    await vi.waitFor(async () => {
      expect(posted).toContainEqual(
        expect.objectContaining({
          source: 'infrascope',
          alert: expect.objectContaining({ id: alert!.id }),
        }),
      );
      const deliveries = await h.call('webhooks:deliveries', {});
      expect(deliveries).toContainEqual(
        expect.objectContaining({ alertId: alert!.id, status: 'delivered' }),
      );
    });

    // A power-off through the API: vcsim records the user, so it is not unexpected.
    const vm = (await driver.list('VirtualMachine')).find((v) => v.name.length > 0)!;
    await driver.powerOff(vm.ref);
    await sync();
    const change = await h.core.store.db
      .selectFrom('change_log')
      .select(['user', 'new_value'])
      .where('entity_id', '=', vm.ref.value)
      .where('field', '=', 'powerState')
      .executeTakeFirstOrThrow();
    expect(change.new_value).toBe('poweredOff');
    expect(change.user).toBeTruthy();
    expect(await open('vm-powered-off-unexpectedly')).toEqual([]);
    // As it was, for the next engine's run.
    await driver.powerOn(vm.ref);
  }, 120_000);
});
