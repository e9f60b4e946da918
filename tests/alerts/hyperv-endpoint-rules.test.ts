import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity, FieldValue } from '../../src/shared/entities.js';
import { evaluateEndpoint } from '../../src/core/alerts/engine.js';
import { alertHistory, listAlerts } from '../../src/core/alerts/repository.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { alertListSchema } from '../../src/shared/alerts.js';
import type { AlertDto } from '../../src/shared/alerts.js';
import type { Store } from '../../src/core/store/sqlite.js';
import { makeCore } from '../doubles/core-harness.js';
import type { FakeVsphere } from '../doubles/fake-vsphere.js';
import { startFakeVsphere } from '../doubles/fake-vsphere.js';
import { makeSelfSigned } from '../doubles/self-signed.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
  testStoreLocation,
} from '../helpers/store.js';

/*
 * The Hyper-V VM health rule (replication health, integration services, from the collector's
 * custom attributes) and the endpoint TLS certificate rule over scripted histories: each raises,
 * follows the change, and clears.
 */

type Overrides = Record<string, Record<string, FieldValue>>;

function inventory(over: Overrides = {}): CollectedEntity[] {
  return sampleInventory(3).map((e) =>
    over[e.id] ? { ...e, fields: { ...e.fields, ...over[e.id] } } : e,
  );
}

const T0 = new Date('2026-11-10T08:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const inDays = (days: number): string => new Date(T0.getTime() + days * 86_400_000).toISOString();

afterAll(stopSharedPostgres);

const HEALTHY_IS = 'Guest Service Interface: off; Heartbeat: OK; Shutdown: OK; VSS: on';

describe.each(ENGINES)(
  'Hyper-V and endpoint certificate rules over scripted histories on a %s store',
  (engine) => {
    let store: Store;
    beforeEach(async () => {
      store = await openTestStore(engine);
    });
    afterEach(async () => {
      await store.close();
    });

    const write = (ep: number, now: Date, over: Overrides = {}) =>
      writeFullInventory(
        store.db,
        { entities: inventory(over) },
        { endpointId: ep, syncRunId: null, now },
      );
    const evaluate = (ep: number, now: Date) => evaluateEndpoint(store.db, ep, { now });
    const open = async (now: Date, rule: string): Promise<AlertDto[]> =>
      listAlerts(store.db, alertListSchema.parse({ rule }), now);
    const history = async (id: number): Promise<string[]> =>
      (await alertHistory(store.db, id)).map((h) => h.action);

    it('raises unhealthy integration services or replication on a Hyper-V VM and clears', async () => {
      const ep = await addEndpoint(store.db, 'hv1', 'hyperv');
      const vm1 = (attrs: Record<string, string>): Overrides => ({
        'vm-1': { customAttributes: attrs },
      });
      // Healthy: OK, disabled ("off") or status-less ("on") services, Normal replication.
      await write(
        ep,
        at(0),
        vm1({ 'Integration services': HEALTHY_IS, 'Replication health': 'Normal' }),
      );
      await evaluate(ep, at(0));
      expect(await open(at(0), 'hyperv-vm-health')).toEqual([]);

      await write(
        ep,
        at(15),
        vm1({
          'Integration services': 'Heartbeat: Lost Communication; Shutdown: OK',
          'Replication health': 'Normal',
        }),
      );
      await evaluate(ep, at(15));
      const [a] = await open(at(15), 'hyperv-vm-health');
      expect(a).toMatchObject({ severity: 'warning', entityType: 'vm', entityId: 'vm-1' });
      expect(a!.message).toBe('VM app-001 has integration services Heartbeat: Lost Communication');

      await write(
        ep,
        at(30),
        vm1({
          'Integration services': 'Heartbeat: Lost Communication; Shutdown: OK',
          'Replication health': 'Critical',
        }),
      );
      await evaluate(ep, at(30));
      const [b] = await open(at(30), 'hyperv-vm-health');
      expect(b).toMatchObject({ id: a!.id, count: 1 });
      expect(b!.message).toBe(
        'VM app-001 has replication health Critical and integration services Heartbeat: Lost Communication',
      );
      expect(b!.details).toMatchObject({ replicationHealth: 'Critical' });

      await write(
        ep,
        at(45),
        vm1({ 'Integration services': HEALTHY_IS, 'Replication health': 'Normal' }),
      );
      expect((await evaluate(ep, at(45))).cleared).toBe(1);
      expect(await open(at(45), 'hyperv-vm-health')).toEqual([]);
      expect(await history(a!.id)).toEqual(['raised', 'cleared']);
    });

    it('checks integration services only on a powered-on VM, and only on Hyper-V endpoints', async () => {
      const hv = await addEndpoint(store.db, 'hv1', 'hyperv');
      const vc = await addEndpoint(store.db, 'vc1', 'vcenter');
      // vm-3 is powered off in the sample: "No Contact" is expected there.
      const over: Overrides = {
        'vm-3': { customAttributes: { 'Integration services': 'Heartbeat: No Contact' } },
        'vm-2': { customAttributes: { 'Replication health': 'Warning' } },
      };
      await write(hv, at(0), over);
      await write(vc, at(0), over);
      await evaluate(hv, at(0));
      await evaluate(vc, at(0));
      const alerts = await open(at(0), 'hyperv-vm-health');
      expect(alerts.map((x) => [x.endpoint, x.entityId, x.message])).toEqual([
        ['hv1', 'vm-2', 'VM app-002 has replication health Warning'],
      ]);
    });

    it('raises an endpoint certificate expiring within 30 days, escalates once expired, clears on renewal', async () => {
      const ep = await addEndpoint(store.db, 'vc1');
      const setValidTo = (v: string | null) =>
        store.db.updateTable('endpoint').set({ tls_valid_to: v }).where('id', '=', ep).execute();
      await write(ep, at(0));
      // Unknown (never tested) is no finding.
      await evaluate(ep, at(0));
      expect(await open(at(0), 'endpoint-certificate-expiring')).toEqual([]);
      await setValidTo(inDays(31));
      await evaluate(ep, at(1));
      expect(await open(at(1), 'endpoint-certificate-expiring')).toEqual([]);
      // Two days later: 29 days to go, inside the window.
      await evaluate(ep, at(2 * 24 * 60));
      const [a] = await open(at(2 * 24 * 60), 'endpoint-certificate-expiring');
      expect(a).toMatchObject({
        severity: 'warning',
        entityType: 'endpoint',
        entityId: String(ep),
        entityName: 'vc1',
      });
      expect(a!.message).toBe('The TLS certificate of vc1 expires in 29 days (2026-12-11)');
      // Expired: the same alert turns critical.
      const later = at(32 * 24 * 60);
      await evaluate(ep, later);
      const [b] = await open(later, 'endpoint-certificate-expiring');
      expect(b).toMatchObject({ id: a!.id, severity: 'critical' });
      expect(b!.message).toBe('The TLS certificate of vc1 expired on 2026-12-11');
      expect(await history(a!.id)).toEqual(['raised', 'escalated']);
      // Renewed for a year: cleared.
      await setValidTo(inDays(32 + 365));
      expect((await evaluate(ep, at(32 * 24 * 60 + 15))).cleared).toBe(1);
      expect(await open(at(32 * 24 * 60 + 15), 'endpoint-certificate-expiring')).toEqual([]);
    });
  },
);

describe('endpoint certificate expiry from a connectivity test', () => {
  // A pinned certificate that expires in 10 days.
  const cert = makeSelfSigned('localhost', 10);
  let vc: FakeVsphere;
  beforeAll(async () => {
    vc = await startFakeVsphere({ tls: cert, apiType: 'VirtualCenter', password: 'pw-right' });
  });
  afterAll(async () => vc.close());

  it.each(ENGINES)(
    'records the expiry the TLS step sees, and the rule raises from it (%s store)',
    async (engine) => {
      const h = await makeCore({ store: await testStoreLocation(engine) });
      try {
        const ep = await h.call('endpoints:add', {
          name: 'vc',
          kind: 'vcenter',
          host: '127.0.0.1',
          port: vc.port,
          username: 'admin',
          password: 'pw-right',
          thumbprint: cert.fingerprint256,
        });
        const db = h.core.store.db;
        const validTo = async (): Promise<string | null> =>
          (
            await db
              .selectFrom('endpoint')
              .select('tls_valid_to')
              .where('id', '=', ep.id)
              .executeTakeFirstOrThrow()
          ).tls_valid_to;
        expect(await validTo()).toBeNull();
        const report = await h.call('endpoints:test', { id: ep.id });
        const tls = report.steps.find((x) => x.id === 'tls');
        expect(tls?.status).toBe('warning');
        expect(await validTo()).toBe(tls?.facts?.['validTo']);
        const days = (Date.parse((await validTo())!) - Date.now()) / 86_400_000;
        expect(days).toBeGreaterThan(9);
        expect(days).toBeLessThanOrEqual(10);

        await evaluateEndpoint(db, ep.id, { now: new Date() });
        const [a] = await listAlerts(
          db,
          alertListSchema.parse({ rule: 'endpoint-certificate-expiring' }),
          new Date(),
        );
        expect(a).toMatchObject({ severity: 'warning', entityType: 'endpoint', endpoint: 'vc' });
        expect(a!.message).toMatch(
          /^The TLS certificate of vc expires in 9 days \(\d{4}-\d\d-\d\d\)$/,
        );
      } finally {
        await h.close();
      }
    },
  );
});
