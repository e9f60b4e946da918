import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity, CollectedEvent, FieldValue } from '../../shared/entities.js';
import { evaluateEndpoint } from './engine.js';
import { ackAlerts, alertHistory, alertSummary, listAlerts, snoozeAlerts } from './repository.js';
import { listRules, updateRule } from './rule-configs.js';
import { suppress } from './suppressions.js';
import { writeFullInventory, writeSamples } from '../inventory/writer.js';
import { alertListSchema } from '../../shared/alerts.js';
import type { AlertDto } from '../../shared/alerts.js';
import type { Store } from '../store/sqlite.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';

type Overrides = Record<string, Record<string, FieldValue>>;

/** The helper inventory with some fields changed, by entity id. */
function inventory(over: Overrides = {}, extra: CollectedEntity[] = []): CollectedEntity[] {
  return [
    ...sampleInventory(3).map((e) =>
      over[e.id] ? { ...e, fields: { ...e.fields, ...over[e.id] } } : e,
    ),
    ...extra,
  ];
}

const T0 = new Date('2026-11-10T08:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

afterAll(stopSharedPostgres);

describe.each(ENGINES)('alert rules over scripted histories (%s store)', (engine) => {
  let store: Store;
  let ep: number;
  beforeEach(async () => {
    store = await openTestStore(engine);
    ep = await addEndpoint(store.db);
  });
  afterEach(async () => {
    await store.close();
  });

  const write = (
    now: Date,
    over: Overrides = {},
    events: CollectedEvent[] = [],
    extra: CollectedEntity[] = [],
  ) =>
    writeFullInventory(
      store.db,
      { entities: inventory(over, extra), events },
      { endpointId: ep, syncRunId: null, now },
    );
  const evaluate = (now: Date, foldWindowMs?: number) =>
    evaluateEndpoint(store.db, ep, {
      now,
      ...(foldWindowMs === undefined ? {} : { foldWindowMs }),
    });
  const open = async (now: Date, rule?: string, includeSnoozed = false): Promise<AlertDto[]> =>
    listAlerts(store.db, alertListSchema.parse({ ...(rule ? { rule } : {}), includeSnoozed }), now);
  const all = async (rule: string): Promise<AlertDto[]> =>
    listAlerts(store.db, alertListSchema.parse({ state: 'all', rule }), T0);

  it('raises, acknowledges and clears a host maintenance alert', async () => {
    await write(at(0));
    await evaluate(at(0));
    expect(await open(at(0), 'host-maintenance')).toEqual([]);
    await write(at(15), { 'host-2': { inMaintenance: true } });
    const r = await evaluate(at(15));
    expect(r.raised).toBe(1);
    const [alert] = await open(at(15), 'host-maintenance');
    expect(alert).toMatchObject({
      severity: 'info',
      state: 'active',
      entityType: 'host',
      entityId: 'host-2',
      entityName: 'esx2.example.test',
      endpoint: 'vc1',
      count: 1,
    });
    expect(await ackAlerts(store.db, [alert!.id], 'alice', 'planned patching', at(20))).toEqual([
      alert!.id,
    ]);
    // Still in maintenance: stays acknowledged, not raised again, last seen moves.
    await write(at(30), { 'host-2': { inMaintenance: true } });
    // (The helper inventory's old snapshot keeps one more alert open.)
    expect(await evaluate(at(30))).toMatchObject({ raised: 0, repeated: 0, cleared: 0, open: 2 });
    expect((await open(at(30), 'host-maintenance'))[0]).toMatchObject({
      state: 'acknowledged',
      ackedBy: 'alice',
      ackComment: 'planned patching',
      lastSeen: at(30).toISOString(),
    });
    await write(at(45));
    expect((await evaluate(at(45))).cleared).toBe(1);
    expect(await open(at(45), 'host-maintenance')).toEqual([]);
    const [cleared] = await all('host-maintenance');
    expect(cleared).toMatchObject({ state: 'cleared', clearedAt: at(45).toISOString() });
    expect((await alertHistory(store.db, alert!.id)).map((h) => [h.action, h.actor])).toEqual([
      ['raised', null],
      ['acknowledged', 'alice'],
      ['cleared', null],
    ]);
  });

  it('escalates one datastore alert from warning to critical and clears it', async () => {
    await write(at(0), { 'datastore-1': { freeBytes: 150 } });
    await evaluate(at(0));
    const [warn] = await open(at(0), 'datastore-usage');
    expect(warn).toMatchObject({ severity: 'warning', entityId: 'datastore-1' });
    expect(warn!.message).toContain('85.0 %');
    await write(at(15), { 'datastore-1': { freeBytes: 50 } });
    await evaluate(at(15));
    const [crit] = await open(at(15), 'datastore-usage');
    expect(crit).toMatchObject({ id: warn!.id, severity: 'critical', count: 1 });
    expect((await alertHistory(store.db, warn!.id)).map((h) => h.action)).toEqual([
      'raised',
      'escalated',
    ]);
    await write(at(30), { 'datastore-1': { freeBytes: 500 } });
    expect((await evaluate(at(30))).cleared).toBe(1);
  });

  it('tells a power-off with a user behind it from an unexpected one', async () => {
    await write(at(0));
    // vm-1 is powered off by alice (the event arrives with the inventory); vm-2 with no event.
    await write(
      at(15),
      { 'vm-1': { powerState: 'poweredOff' }, 'vm-2': { powerState: 'poweredOff' } },
      [
        {
          key: 'e1',
          at: at(14).toISOString(),
          eventType: 'VmPoweredOffEvent',
          user: 'VSPHERE.LOCAL\\alice',
          message: 'app-001 is powered off',
          entityType: 'vm',
          entityId: 'vm-1',
        },
      ],
    );
    await evaluate(at(15));
    const alerts = await open(at(15), 'vm-powered-off-unexpectedly');
    expect(alerts.map((a) => a.entityId)).toEqual(['vm-2']);
    expect(alerts[0]!.message).toContain('was poweredOn');
    // The change log shows who powered vm-1 off.
    const change = await store.db
      .selectFrom('change_log')
      .select('user')
      .where('entity_id', '=', 'vm-1')
      .where('field', '=', 'powerState')
      .executeTakeFirstOrThrow();
    expect(change.user).toBe('VSPHERE.LOCAL\\alice');
    // A late user event for vm-2 (arriving in a later write) explains it: the alert clears.
    await write(
      at(20),
      { 'vm-1': { powerState: 'poweredOff' }, 'vm-2': { powerState: 'poweredOff' } },
      [
        {
          key: 'e2',
          at: at(13).toISOString(),
          eventType: 'VmPoweredOffEvent',
          user: 'VSPHERE.LOCAL\\bob',
          message: 'app-002 is powered off',
          entityType: 'vm',
          entityId: 'vm-2',
        },
      ],
    );
    expect((await evaluate(at(20))).cleared).toBe(1);
  });

  it('folds a flapping condition into one alert with a count, and opens a new one after the window', async () => {
    await write(at(0), { 'vm-2': { cdromConnected: true } });
    await evaluate(at(0));
    const [first] = await open(at(0), 'vm-cdrom-connected');
    await write(at(10));
    await evaluate(at(10));
    await write(at(20), { 'vm-2': { cdromConnected: true } });
    await evaluate(at(20), 3_600_000);
    const [again] = await open(at(20), 'vm-cdrom-connected');
    expect(again).toMatchObject({
      id: first!.id,
      count: 2,
      raisedAt: at(0).toISOString(),
      lastSeen: at(20).toISOString(),
    });
    expect((await alertHistory(store.db, first!.id)).map((h) => h.action)).toEqual([
      'raised',
      'cleared',
      'reopened',
    ]);
    await write(at(30));
    await evaluate(at(30));
    await write(at(200), { 'vm-2': { cdromConnected: true } });
    await evaluate(at(200), 3_600_000);
    const history = await all('vm-cdrom-connected');
    expect(history).toHaveLength(2);
    expect(history.find((a) => a.state === 'active')).toMatchObject({
      count: 1,
      raisedAt: at(200).toISOString(),
    });
  });

  it('counts repeated occurrences of an event-like condition and reactivates an acknowledged alert', async () => {
    const failRun = async (minutes: number): Promise<void> => {
      await store.db
        .insertInto('sync_run')
        .values({
          endpoint_id: ep,
          mode: 'full',
          status: 'failed',
          started_at: at(minutes).toISOString(),
          ended_at: at(minutes).toISOString(),
          error_code: 'CONNECTION_REFUSED',
          error_message: 'Connection refused',
        })
        .execute();
    };
    await failRun(0);
    await failRun(15);
    await evaluate(at(15));
    expect(await open(at(15), 'endpoint-sync-failing')).toEqual([]);
    await failRun(30);
    await evaluate(at(30));
    const [alert] = await open(at(30), 'endpoint-sync-failing');
    expect(alert).toMatchObject({
      severity: 'critical',
      entityType: 'endpoint',
      entityId: String(ep),
      count: 1,
    });
    expect(alert!.message).toContain('failed 3 times in a row: Connection refused');
    await ackAlerts(store.db, [alert!.id], 'bob', null, at(31));
    await evaluate(at(32));
    expect((await open(at(32), 'endpoint-sync-failing'))[0]).toMatchObject({
      state: 'acknowledged',
      count: 1,
    });
    await failRun(45);
    expect((await evaluate(at(45))).repeated).toBe(1);
    expect((await open(at(45), 'endpoint-sync-failing'))[0]).toMatchObject({
      state: 'active',
      count: 2,
    });
    await store.db
      .insertInto('sync_run')
      .values({
        endpoint_id: ep,
        mode: 'full',
        status: 'succeeded',
        started_at: at(60).toISOString(),
        ended_at: at(60).toISOString(),
      })
      .execute();
    expect((await evaluate(at(60))).cleared).toBe(1);
  });

  it('raises stale data after the poll intervals have passed without a good sync', async () => {
    await store.db
      .insertInto('sync_run')
      .values({
        endpoint_id: ep,
        mode: 'full',
        status: 'succeeded',
        started_at: at(0).toISOString(),
        ended_at: at(0).toISOString(),
      })
      .execute();
    // Poll interval 900 s × 3 = 45 min, but at least 60 min.
    await evaluate(at(59));
    expect(await open(at(59), 'endpoint-stale')).toEqual([]);
    await evaluate(at(61));
    expect((await open(at(61), 'endpoint-stale'))[0]!.message).toBe(
      'vc1 was last synced 61 minutes ago',
    );
  });

  it('covers the inventory rules with their default thresholds', async () => {
    const big = 60 * 2 ** 30;
    const extra: CollectedEntity[] = [
      {
        type: 'snapshot',
        id: 'snapshot-2',
        name: 'huge',
        fields: { vmId: 'vm-2', createdAt: at(-60).toISOString(), sizeBytes: big },
      },
      ...Array.from({ length: 40 }, (_, i): CollectedEntity => ({
        type: 'vm',
        id: `vm-x${i}`,
        name: `filler-${i}`,
        fields: {
          hostId: 'host-1',
          powerState: 'poweredOn',
          cpuCount: 2,
          toolsStatus: 'toolsOk',
          datastoreIds: ['datastore-2'],
        },
      })),
    ];
    await write(
      at(0),
      {
        'host-1': { connectionState: 'notResponding' },
        'datastore-1': { freeBytes: 50, uncommittedBytes: 1000 },
        'vm-1': { toolsStatus: 'toolsNotInstalled', consolidationNeeded: true },
        'vm-2': { toolsStatus: 'toolsOld' },
      },
      [],
      extra,
    );
    // vm-3 is off from the start; 8 days later it has been off for long.
    await evaluate(at(8 * 24 * 60));
    const got = (await open(at(8 * 24 * 60)))
      .map((a) => `${a.rule} ${a.entityId} ${a.severity}`)
      .sort();
    expect(got).toEqual(
      [
        // 40 fillers × 2 vCPUs + vm-1 (2) on host-1's 16 cores.
        'host-connection host-1 critical',
        'host-vcpu-ratio host-1 warning',
        'datastore-usage datastore-1 critical',
        'datastore-overallocated datastore-1 warning',
        'datastore-vm-count datastore-2 warning',
        'vm-tools vm-1 warning',
        'vm-tools vm-2 info',
        'vm-consolidation-needed vm-1 warning',
        'vm-powered-off-long vm-3 info',
        // snapshot-1 (2026-11-01) and snapshot-2 are old; snapshot-2 is also large.
        'snapshot-old snapshot-1 warning',
        'snapshot-old snapshot-2 warning',
        'snapshot-large snapshot-2 warning',
      ].sort(),
    );
  });

  it('honours edited thresholds, disabled rules, scopes and suppressions', async () => {
    await write(at(0), {
      'datastore-1': { freeBytes: 150 },
      'host-1': { inMaintenance: true },
      'host-2': { inMaintenance: true },
    });
    await evaluate(at(0));
    expect((await open(at(0), 'datastore-usage')).length).toBe(1);
    await updateRule(
      store.db,
      { rule: 'datastore-usage', params: { warningPercent: 86 } },
      'alice',
      at(1),
    );
    expect((await evaluate(at(1))).cleared).toBe(1);
    const rule = (await listRules(store.db)).find((r) => r.rule === 'datastore-usage');
    expect(rule).toMatchObject({
      params: { warningPercent: 86, criticalPercent: 90 },
      enabled: true,
    });
    await expect(
      updateRule(store.db, { rule: 'datastore-usage', params: { nope: 1 } }, 'a', at(1)),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });

    // Suppress one host: its alert clears at once and stays away; the other host keeps its alert.
    const [h1] = (await open(at(2), 'host-maintenance')).filter((a) => a.entityId === 'host-1');
    const s = await suppress(
      store.db,
      {
        rule: 'host-maintenance',
        endpointId: ep,
        entityType: 'host',
        entityId: 'host-1',
        reason: 'lab host',
      },
      'alice',
      at(2),
    );
    expect(s.clearedIds).toEqual([h1!.id]);
    await evaluate(at(3));
    expect((await open(at(3), 'host-maintenance')).map((a) => a.entityId)).toEqual(['host-2']);
    expect((await alertHistory(store.db, h1!.id)).at(-1)).toMatchObject({
      action: 'suppressed',
      actor: 'alice',
      comment: 'lab host',
    });

    // Scope to another endpoint: nothing here. Scope to a tag the endpoint has not: nothing.
    await updateRule(store.db, { rule: 'host-maintenance', endpointIds: [ep + 1] }, 'alice', at(4));
    await evaluate(at(4));
    expect(await open(at(4), 'host-maintenance')).toEqual([]);
    await updateRule(
      store.db,
      { rule: 'host-maintenance', endpointIds: [], tags: ['Env/prod'] },
      'alice',
      at(5),
    );
    await write(at(5), {
      'host-1': { inMaintenance: true },
      'host-2': { inMaintenance: true, tags: ['Env/prod'] },
    });
    await evaluate(at(5));
    expect((await open(at(5), 'host-maintenance')).map((a) => a.entityId)).toEqual(['host-2']);
    await updateRule(store.db, { rule: 'host-maintenance', enabled: false }, 'alice', at(6));
    expect((await evaluate(at(6))).cleared).toBe(1);
  });

  it('hides snoozed alerts from open lists until the snooze ends', async () => {
    await write(at(0), { 'vm-2': { cdromConnected: true } });
    await evaluate(at(0));
    const rule = 'vm-cdrom-connected';
    const [a] = await open(at(0), rule);
    expect(await snoozeAlerts(store.db, [a!.id], 60, 'alice', at(1))).toEqual([a!.id]);
    expect(await open(at(2), rule)).toEqual([]);
    expect((await open(at(2), rule, true))[0]).toMatchObject({
      id: a!.id,
      snoozedUntil: at(61).toISOString(),
    });
    expect((await open(at(62), rule)).map((x) => x.id)).toEqual([a!.id]);
    // The summary (dashboard counts, table badges) leaves snoozed alerts out too.
    const during = await alertSummary(store.db, at(2));
    expect(during.snoozed).toBe(1);
    expect(during.entities.find((e) => e.entityId === 'vm-2')).toBeUndefined();
    const after = await alertSummary(store.db, at(62));
    expect(after.snoozed).toBe(0);
    expect(after.entities.find((e) => e.entityId === 'vm-2')).toEqual({
      endpointId: ep,
      endpoint: 'vc1',
      entityType: 'vm',
      entityId: 'vm-2',
      severity: 'info',
      count: 1,
    });
    // The helper inventory's old snapshot is the one warning.
    expect(after.open).toEqual({ info: 1, warning: 1, critical: 0 });
    // Its alert badges the snapshot and, rolled up, the VM it belongs to (vm-1).
    expect(after.entities.find((e) => e.entityType === 'snapshot')).toMatchObject({
      entityId: 'snapshot-1',
      severity: 'warning',
      count: 1,
    });
    // …and the VM's own list shows it (the detail panel and the console filtered to the VM).
    const ofVm = await listAlerts(
      store.db,
      alertListSchema.parse({ endpointId: ep, entityType: 'vm', entityId: 'vm-1' }),
      at(62),
    );
    expect(ofVm.map((a) => [a.entityType, a.entityId])).toEqual([['snapshot', 'snapshot-1']]);
    expect(after.entities.find((e) => e.entityType === 'vm' && e.entityId === 'vm-1')).toEqual({
      endpointId: ep,
      endpoint: 'vc1',
      entityType: 'vm',
      entityId: 'vm-1',
      severity: 'warning',
      count: 1,
    });
  });

  it('raises the forecast rule when daily peaks reach capacity within 30 days', async () => {
    // ds-silver (capacity 2000 MiB) grows 50 MiB a day from 500 over 20 days. Daily peaks sit at
    // day starts; the line at now (08:00, a third of a day on) is 1516.7: full in 483.3 / 50 days.
    const samples = Array.from({ length: 21 }, (_, d) => ({
      entityType: 'datastore' as const,
      entityId: 'datastore-2',
      at: new Date(T0.getTime() - (20 - d) * 86_400_000).toISOString(),
      storageUsedBytes: (500 + 50 * d) * 2 ** 20,
      storageCapacityBytes: 2000 * 2 ** 20,
    }));
    await writeSamples(store.db, ep, samples);
    await write(at(0), {
      'datastore-2': { capacityBytes: 2000 * 2 ** 20, freeBytes: 550 * 2 ** 20 },
    });
    await evaluate(at(0));
    const [f] = await open(at(0), 'datastore-forecast-full');
    expect(f).toMatchObject({ entityId: 'datastore-2', severity: 'warning' });
    expect(f!.details['daysUntilFull']).toBeCloseTo(483.33 / 50, 2);
    expect(f!.details['confidence']).toBeCloseTo(1, 6);
  });
});
