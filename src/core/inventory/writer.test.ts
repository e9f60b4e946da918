import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';
import { sql } from 'kysely';
import type { Store } from '../store/sqlite.js';
import { sqliteOf } from '../store/sqlite.js';
import { writeFullInventory, writeInventoryDelta } from './writer.js';

let store: Store;
let ep: number;
const t0 = new Date('2026-11-24T08:00:00Z');
const t1 = new Date('2026-11-24T08:15:00Z');

afterAll(stopSharedPostgres);

/** A full write of `entities` for the test endpoint at `now`. */
const writeFull = (entities: CollectedEntity[], now: Date): ReturnType<typeof writeFullInventory> =>
  writeFullInventory(store.db, { entities }, { endpointId: ep, syncRunId: null, now });

const vmRow = (id: string): Promise<Record<string, unknown>> =>
  store.db.selectFrom('vm').selectAll().where('native_id', '=', id).executeTakeFirstOrThrow();

const changes = async (): Promise<Record<string, unknown>[]> =>
  store.db.selectFrom('change_log').selectAll().orderBy('id').execute();

function withVm(
  entities: CollectedEntity[],
  id: string,
  fields: Record<string, unknown>,
  name?: string,
): CollectedEntity[] {
  return entities.map((e) =>
    e.type === 'vm' && e.id === id
      ? { ...e, name: name ?? e.name, fields: { ...e.fields, ...fields } }
      : e,
  ) as CollectedEntity[];
}

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(async () => {
    store = await openTestStore(engine);
    ep = await addEndpoint(store.db);
  });
  afterEach(async () => {
    await store.close();
  });

  describe('writeFullInventory', () => {
    it('creates every entity with first/last seen and logs each creation', async () => {
      const inv = sampleInventory(3);
      const cacheSize = (): unknown =>
        engine === 'sqlite'
          ? sqliteOf(store, 'read the cache size').sqlite.pragma('cache_size', { simple: true })
          : null;
      const cache = cacheSize();
      const counts = await writeFull(inv, t0);
      // The write runs with a smaller page cache; the readers' size is back afterwards.
      expect(cacheSize()).toBe(cache);
      if (engine === 'postgres') {
        // A first load is analyzed at once (never-analyzed tables have reltuples -1).
        const { rows } = await sql<{
          n: number;
        }>`SELECT reltuples AS n FROM pg_class WHERE relname = 'vm'`.execute(store.db);
        expect(rows[0]?.n).toBe(3);
      }
      expect(counts).toEqual({ seen: inv.length, created: inv.length, updated: 0, deleted: 0 });
      const vms = await store.db.selectFrom('vm').selectAll().orderBy('native_id').execute();
      expect(vms.map((v) => v.name)).toEqual(['app-001', 'app-002', 'app-003']);
      expect(vms[0]).toMatchObject({
        first_seen: t0.toISOString(),
        last_seen: t0.toISOString(),
        deleted_at: null,
        is_template: 0,
        cpu_count: 2,
      });
      const log = await changes();
      expect(log.filter((c) => c['kind'] === 'created')).toHaveLength(inv.length);
      const rel = await store.db
        .selectFrom('relation')
        .selectAll()
        .where('kind', '=', 'vm.datastoreIds')
        .execute();
      expect(rel).toHaveLength(1 + 2 + 1);
    });

    it('logs only the fields that changed, with old and new values, and skips volatile ones', async () => {
      const inv = sampleInventory(3);
      await writeFull(inv, t0);
      let next = withVm(inv, 'vm-2', {
        powerState: 'poweredOff',
        cpuUsageMhz: 999,
        memoryMb: 4096,
      });
      next = withVm(next, 'vm-3', {}, 'app-003-renamed');
      const counts = await writeFull(next, t1);
      expect(counts).toMatchObject({ created: 0, updated: 2, deleted: 0 });
      const updates = (await changes()).filter((c) => c['kind'] === 'updated');
      expect(
        updates.map((c) => [c['entity_id'], c['field'], c['old_value'], c['new_value']]),
      ).toEqual([
        ['vm-2', 'powerState', 'poweredOn', 'poweredOff'],
        ['vm-2', 'memoryMb', '2048', '4096'],
        ['vm-3', 'name', 'app-003', 'app-003-renamed'],
      ]);
      const vm2 = await vmRow('vm-2');
      // The volatile field is stored even though it is not logged.
      expect(vm2.cpu_usage_mhz).toBe(999);
      expect(vm2.last_seen).toBe(t1.toISOString());
      expect(vm2.first_seen).toBe(t0.toISOString());
    });

    it('soft-deletes what vanished and revives it when it returns', async () => {
      const inv = sampleInventory(3);
      await writeFull(inv, t0);
      const without = inv.filter((e) => e.id !== 'vm-3');
      const c1 = await writeFull(without, t1);
      expect(c1.deleted).toBe(1);
      const gone = await vmRow('vm-3');
      expect(gone.deleted_at).toBe(t1.toISOString());
      const rel = await store.db
        .selectFrom('relation')
        .selectAll()
        .where('from_id', '=', 'vm-3')
        .execute();
      expect(rel).toEqual([]);
      const c2 = await writeFull(inv, new Date('2026-11-24T09:00:00Z'));
      expect(c2.created).toBe(1);
      const back = await vmRow('vm-3');
      expect(back.deleted_at).toBeNull();
      expect(back.first_seen).toBe(t0.toISOString());
    });

    it('writes nothing at all when one entity is bad', async () => {
      const inv = sampleInventory(3);
      await writeFull(inv, t0);
      const before = await changes();
      const bad = [
        ...withVm(inv, 'vm-1', { powerState: 'suspended' }),
        {
          type: 'vm',
          id: 'vm-9',
          name: 'x',
          fields: { cpuCount: 'four' },
        } as unknown as CollectedEntity,
      ];
      const err = await writeFull(bad, t1).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('VALIDATION');
      expect(await changes()).toEqual(before);
      const vm1 = await store.db
        .selectFrom('vm')
        .select('power_state')
        .where('native_id', '=', 'vm-1')
        .executeTakeFirstOrThrow();
      expect(vm1.power_state).toBe('poweredOn');
    });

    it('links a change to the user an event names', async () => {
      const inv = sampleInventory(2);
      await writeFull(inv, t0);
      await writeFullInventory(
        store.db,
        {
          entities: withVm(inv, 'vm-1', { powerState: 'poweredOff' }),
          events: [
            {
              key: '77',
              at: '2026-11-24T08:10:00Z',
              eventType: 'VmPoweredOffEvent',
              user: 'VSPHERE.LOCAL\\alice',
              message: 'app-001 is powered off',
              entityType: 'vm',
              entityId: 'vm-1',
            },
          ],
        },
        { endpointId: ep, syncRunId: null, now: t1 },
      );
      const upd = (await changes()).find((c) => c['field'] === 'powerState');
      expect(upd?.['user']).toBe('VSPHERE.LOCAL\\alice');
      const ev = await store.db.selectFrom('event').selectAll().execute();
      expect(ev).toHaveLength(1);
    });
  });

  describe('the row digest of a full write', () => {
    // `row_hash` is read with plain SQL: like `name_key`, the writer's own column is not typed.
    const digests = async (): Promise<Record<string, unknown>> => {
      const { rows } = await sql<{
        native_id: string;
        row_hash: unknown;
      }>`SELECT native_id, row_hash FROM vm`.execute(store.db);
      return Object.fromEntries(rows.map((r) => [r.native_id, r.row_hash]));
    };

    it('leaves an unchanged row as it was but for last_seen and a volatile column, logging nothing', async () => {
      const inv = sampleInventory(3);
      await writeFull(inv, t0);
      const before = await digests();
      expect(Object.values(before).every((d) => typeof d === 'string')).toBe(true);
      const counts = await writeFull(withVm(inv, 'vm-2', { cpuUsageMhz: 777 }), t1);
      expect(counts).toEqual({ seen: inv.length, created: 0, updated: 0, deleted: 0 });
      expect((await changes()).filter((c) => c['kind'] !== 'created')).toEqual([]);
      const vm2 = await vmRow('vm-2');
      expect(vm2['cpu_usage_mhz']).toBe(777);
      expect(vm2['last_seen']).toBe(t1.toISOString());
      // A volatile value is not part of the digest.
      expect(await digests()).toEqual(before);
    });

    it('sees a changed relation list as a change of the row', async () => {
      const inv = sampleInventory(2);
      await writeFull(inv, t0);
      await writeFull(withVm(inv, 'vm-2', { datastoreIds: ['datastore-2'] }), t1);
      expect((await changes()).filter((c) => c['kind'] === 'updated')).toMatchObject([
        {
          entity_id: 'vm-2',
          field: 'datastoreIds',
          old_value: '["datastore-1","datastore-2"]',
          new_value: '["datastore-2"]',
        },
      ]);
    });

    it('compares a row an update changed in full at the next full write, which restores it', async () => {
      const inv = sampleInventory(2);
      await writeFull(inv, t0);
      const first = await digests();
      await writeInventoryDelta(
        store.db,
        {
          upserts: [
            { type: 'vm', id: 'vm-1', name: 'app-001', fields: { powerState: 'suspended' } },
          ],
          removals: [],
        },
        { endpointId: ep, syncRunId: null, now: t1 },
      );
      // The update stored part of a row: its digest no longer says what the row holds.
      expect((await digests())['vm-1']).toBeNull();
      const counts = await writeFull(inv, new Date('2026-11-24T08:30:00Z'));
      expect(counts.updated).toBe(1);
      expect((await vmRow('vm-1'))['power_state']).toBe('poweredOn');
      const last = (await changes()).at(-1);
      expect(last).toMatchObject({
        field: 'powerState',
        old_value: 'suspended',
        new_value: 'poweredOn',
      });
      expect(await digests()).toEqual(first);
    });
  });

  describe('writeInventoryDelta', () => {
    it('updates only the given fields and removes explicitly', async () => {
      const inv = sampleInventory(3);
      await writeFull(inv, t0);
      const counts = await writeInventoryDelta(
        store.db,
        {
          upserts: [
            { type: 'vm', id: 'vm-1', name: 'app-001', fields: { powerState: 'suspended' } },
          ],
          removals: [{ type: 'vm', id: 'vm-2' }],
        },
        { endpointId: ep, syncRunId: null, now: t1 },
      );
      expect(counts).toMatchObject({ updated: 1, deleted: 1, created: 0 });
      const vm1 = await vmRow('vm-1');
      expect(vm1.power_state).toBe('suspended');
      expect(vm1.ip_address).toBe('10.0.0.1');
      const vm3 = await vmRow('vm-3');
      expect(vm3.deleted_at).toBeNull();
    });

    it('creates an entity with only its given fields and rewrites the relations that changed', async () => {
      const inv = sampleInventory(2);
      await writeFull(inv, t0);
      const counts = await writeInventoryDelta(
        store.db,
        {
          upserts: [
            { type: 'vm', id: 'vm-9', name: 'new-vm', fields: { datastoreIds: ['datastore-2'] } },
            { type: 'vm', id: 'vm-1', name: 'app-001', fields: { datastoreIds: ['datastore-2'] } },
          ],
          removals: [],
        },
        { endpointId: ep, syncRunId: null, now: t1 },
      );
      expect(counts).toMatchObject({ created: 1, updated: 1, deleted: 0 });
      const vm9 = await vmRow('vm-9');
      expect(vm9).toMatchObject({
        name: 'new-vm',
        power_state: null,
        first_seen: t1.toISOString(),
      });
      const rel = await store.db
        .selectFrom('relation')
        .select(['from_id', 'to_id'])
        .where('kind', '=', 'vm.datastoreIds')
        .where('from_id', 'in', ['vm-1', 'vm-9'])
        .orderBy('from_id')
        .execute();
      expect(rel).toEqual([
        { from_id: 'vm-1', to_id: 'datastore-2' },
        { from_id: 'vm-9', to_id: 'datastore-2' },
      ]);
    });

    it('keeps relation lists only in the relation table and logs a changed list as a change', async () => {
      const inv = sampleInventory(2);
      await writeFull(inv, t0);
      expect(Object.keys(await vmRow('vm-1'))).not.toContain('datastore_ids');
      // The same list in another order is no change; a different one is, with old and new lists.
      await writeFull(withVm(inv, 'vm-2', { datastoreIds: ['datastore-2', 'datastore-1'] }), t1);
      expect((await changes()).filter((c) => c['kind'] === 'updated')).toEqual([]);
      await writeInventoryDelta(
        store.db,
        {
          upserts: withVm(inv, 'vm-2', { datastoreIds: ['datastore-2'] }).filter(
            (e) => e.id === 'vm-2',
          ),
          removals: [],
        },
        { endpointId: ep, syncRunId: null, now: t1 },
      );
      const updates = (await changes()).filter((c) => c['kind'] === 'updated');
      expect(updates).toMatchObject([
        {
          entity_id: 'vm-2',
          field: 'datastoreIds',
          old_value: '["datastore-1","datastore-2"]',
          new_value: '["datastore-2"]',
        },
      ]);
    });

    it('refuses a relation field that is not a list of ids, writing nothing', async () => {
      const inv = sampleInventory(2);
      await writeFull(inv, t0);
      const before = await changes();
      const bad = withVm(inv, 'vm-1', { networkIds: 'network-1' });
      await expect(writeFull(bad, t1)).rejects.toMatchObject({ code: 'VALIDATION' });
      expect(await changes()).toEqual(before);
    });
  });
});
