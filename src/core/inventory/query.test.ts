import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';
import type { Store } from '../store/sqlite.js';
import { queryInventory } from './query.js';
import { writeFullInventory } from './writer.js';

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore(engine);
    const ep = await addEndpoint(store.db, 'vc-lab');
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(25) },
      { endpointId: ep, syncRunId: null, now: new Date('2026-11-24T08:00:00Z') },
    );
  });
  afterAll(async () => {
    await store.close();
  });

  describe('queryInventory', () => {
    it('returns flat camelCase VM rows with resolved relations', async () => {
      const res = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'name', op: '=', value: 'app-002' }],
      });
      expect(res.total).toBe(1);
      expect(res.rows[0]).toMatchObject({
        endpoint: 'vc-lab',
        id: 'vm-2',
        name: 'app-002',
        powerState: 'poweredOn',
        datacenter: 'DC0',
        cluster: 'Cluster A',
        host: 'esx2.example.test',
        ipAddress: '10.0.0.2',
        cpuCount: 3,
        memoryMb: 2048,
        isTemplate: false,
        datastores: ['ds-gold', 'ds-silver'],
        networks: ['VM Network'],
        snapshotCount: 0,
      });
    });

    it('pages and sorts on the server with a stable order', async () => {
      const all = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'memoryMb', desc: true }],
        limit: 100,
      });
      expect(all.total).toBe(25);
      const mem = all.rows.map((r) => r['memoryMb'] as number);
      expect(mem).toEqual([...mem].sort((a, b) => b - a));
      const p1 = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'cpuCount', desc: false }],
        limit: 10,
        offset: 0,
      });
      const p2 = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'cpuCount', desc: false }],
        limit: 10,
        offset: 10,
      });
      const p3 = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'cpuCount', desc: false }],
        limit: 10,
        offset: 20,
      });
      const ids = [...p1.rows, ...p2.rows, ...p3.rows].map((r) => r['id']);
      expect(new Set(ids).size).toBe(25);
    });

    it('filters by text, numbers, enums, lists and free-text search', async () => {
      const off = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'powerState', op: '=', value: 'poweredOff' }],
        limit: 100,
      });
      expect(off.total).toBe(8);
      const big = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'memoryMb', op: '>=', value: '20480' }],
      });
      expect(big.rows.map((r) => r['name'])).toEqual([
        'app-020',
        'app-021',
        'app-022',
        'app-023',
        'app-024',
        'app-025',
      ]);
      const silver = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'datastores', op: '=', value: 'ds-silver' }],
        limit: 100,
      });
      expect(silver.total).toBe(12);
      const search = await queryInventory(store.db, {
        kind: 'vms',
        search: '10.0.0.1',
        limit: 100,
      });
      expect(search.rows.map((r) => r['name']).sort()).toEqual([
        'app-001',
        ...Array.from({ length: 10 }, (_, i) => `app-0${10 + i}`),
      ]);
      // LIKE wildcards in user text are literal.
      const pct = await queryInventory(store.db, { kind: 'vms', search: '%' });
      expect(pct.total).toBe(0);
    });

    it('reads an empty value as "no value" for every field type, never as a store error', async () => {
      // Every sample VM has a vCPU count, a template flag and a first-seen time; none has notes.
      const count = async (field: string, op: '=' | '!='): Promise<number> =>
        (await queryInventory(store.db, { kind: 'vms', where: [{ field, op, value: '' }] })).total;
      for (const field of ['cpuCount', 'isTemplate', 'firstSeen']) {
        expect(await count(field, '='), field).toBe(0);
        expect(await count(field, '!='), field).toBe(25);
      }
      expect(await count('annotation', '=')).toBe(25);
      expect(await count('annotation', '!=')).toBe(0);
    });

    it('matches a number or flag by its text with ~ and !~', async () => {
      const matching = async (field: string, op: '~' | '!~', value: string): Promise<string[]> =>
        (
          await queryInventory(store.db, { kind: 'vms', where: [{ field, op, value }], limit: 100 })
        ).rows
          .map((r) => String(r['name']))
          .sort();
      // Sample VM i has 1024·i MB of memory.
      const memory = sampleInventory(25).filter(
        (e) => e.type === 'vm' && String(e.fields.memoryMb).includes('2048'),
      );
      expect(await matching('memoryMb', '~', '2048')).toEqual(memory.map((e) => e.name).sort());
      expect(await matching('memoryMb', '!~', '2048')).toHaveLength(25 - memory.length);
      expect(await matching('cpuCount', '~', '')).toHaveLength(25);
      expect(await matching('isTemplate', '!~', '')).toEqual([]);
    });

    it('computes host, datastore and endpoint aggregates', async () => {
      const hosts = await queryInventory(store.db, { kind: 'hosts' });
      expect(hosts.rows.map((r) => [r['name'], r['vmCount']])).toEqual([
        ['esx1.example.test', 13],
        ['esx2.example.test', 12],
      ]);
      const ds = await queryInventory(store.db, {
        kind: 'datastores',
        where: [{ field: 'name', op: '=', value: 'ds-gold' }],
      });
      expect(ds.rows[0]).toMatchObject({
        capacityBytes: 1000,
        freeBytes: 250,
        usedPercent: 75,
        hostCount: 2,
        vmCount: 25,
        accessible: true,
      });
    });

    it('returns only the fields asked for, with the same rows and total', async () => {
      const all = await queryInventory(store.db, {
        kind: 'datastores',
        sort: [{ field: 'name', desc: false }],
      });
      const some = await queryInventory(store.db, {
        kind: 'datastores',
        sort: [{ field: 'name', desc: false }],
        fields: ['name', 'capacityBytes', 'freeBytes'],
      });
      expect(some.total).toBe(all.total);
      expect(some.rows).toEqual(
        all.rows.map((r) => ({
          name: r['name'],
          capacityBytes: r['capacityBytes'],
          freeBytes: r['freeBytes'],
        })),
      );
      await expect(
        queryInventory(store.db, { kind: 'datastores', fields: ['nope'] }),
      ).rejects.toMatchObject({ code: 'UNKNOWN_FIELD' });
    });

    it('rejects unknown fields and bad values with typed errors', async () => {
      const e1 = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'nope', op: '=', value: '1' }],
      }).catch((e: unknown) => e);
      expect((e1 as AppError).code).toBe('UNKNOWN_FIELD');
      const e2 = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'name; DROP TABLE vm', desc: false }],
      }).catch((e: unknown) => e);
      expect(e2).toBeInstanceOf(AppError);
      expect((e2 as AppError).code).toBe('UNKNOWN_FIELD');
      const e3 = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'cpuCount', op: '>', value: 'many' }],
      }).catch((e: unknown) => e);
      expect((e3 as AppError).code).toBe('VALIDATION');
      const e4 = await queryInventory(store.db, { kind: 'planets' as 'vms' }).catch(
        (e: unknown) => e,
      );
      expect((e4 as AppError).code).toBe('VALIDATION');
      const count = await queryInventory(store.db, { kind: 'vms', limit: 0 });
      expect(count.total).toBe(25);
    });
  });
});
