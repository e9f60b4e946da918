import { sql } from 'kysely';
import { join } from 'node:path';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import XLSX from 'xlsx';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import type { CollectedEntity } from '../../src/shared/entities.js';
import { fieldBag } from '../../src/shared/entities.js';
import type { DiffEntry } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { fillStore, richInventory } from './fixtures.js';

let h: CoreHarness;
let endpointId: number;
let base: CollectedEntity[];

async function sync(entities: CollectedEntity[]): Promise<void> {
  await writeFullInventory(
    h.core.store.db,
    { entities },
    { endpointId, syncRunId: null, now: new Date() },
  );
}

function edit(
  entities: CollectedEntity[],
  id: string,
  change: Partial<CollectedEntity> & { fields?: Record<string, unknown> },
): CollectedEntity[] {
  return entities.map((e) =>
    e.id === id
      ? ({ ...e, ...change, fields: { ...e.fields, ...(change.fields ?? {}) } } as CollectedEntity)
      : e,
  );
}

function byKey(entries: readonly DiffEntry[]): Map<string, DiffEntry> {
  return new Map(entries.map((e) => [`${e.type}:${e.id}`, e]));
}

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    base = richInventory();
    endpointId = await fillStore(h.core.store.db, base);
  });

  afterEach(async () => {
    await h.close();
  });

  describe('snapshots and diffs', () => {
    it('diffs a snapshot against now: added, removed, changed field by field, volatile fields ignored', async () => {
      const before = await h.call('snapshots:save', { label: 'before' });
      expect(before.counts.vm).toBe(13);
      expect(before.readOnly).toBe(false);

      let next = edit(base, 'vm-1', { name: 'app-001-renamed' });
      next = edit(next, 'vm-2', {
        fields: { powerState: 'poweredOff', hostId: 'host-1', usedBytes: 1 },
      });
      next = edit(next, 'vm-4', { fields: { usedBytes: 123_456_789, cpuUsageMhz: 999 } }); // volatile only
      next = edit(next, 'host-2', { fields: { memoryBytes: 512 * 2 ** 30 } });
      next = next.filter((e) => e.id !== 'vm-3' && fieldBag(e)['vmId'] !== 'vm-3');
      next.push({ type: 'vm', id: 'vm-99', name: 'new-vm', fields: { powerState: 'poweredOn' } });
      next.push({
        type: 'datastore',
        id: 'datastore-9',
        name: 'ds-new',
        fields: { capacityBytes: 5 },
      });
      await sync(next);

      const diff = await h.call('snapshots:diff', { from: 'before', to: 'now' });
      expect(diff.from).toMatchObject({ id: before.id, label: 'before' });
      expect(diff.to).toMatchObject({ id: null, label: 'now' });
      expect(diff.summary).toEqual({
        vm: { added: 1, removed: 1, changed: 2 },
        host: { added: 0, removed: 0, changed: 1 },
        datastore: { added: 1, removed: 0, changed: 0 },
        network: { added: 0, removed: 0, changed: 0 },
      });
      const e = byKey(diff.entries);
      expect(e.get('vm:vm-99')).toMatchObject({ change: 'added', name: 'new-vm', endpoint: 'vc1' });
      expect(e.get('vm:vm-3')).toMatchObject({ change: 'removed', name: 'app-003' });
      expect(e.get('vm:vm-1')!.fields).toEqual([
        { field: 'name', old: 'app-001', new: 'app-001-renamed' },
      ]);
      expect(e.get('vm:vm-2')!.fields).toEqual([
        {
          field: 'hostId',
          old: 'host-2',
          new: 'host-1',
          oldName: 'esx2.example.test',
          newName: 'esx1.example.test',
        },
        { field: 'powerState', old: 'poweredOn', new: 'poweredOff' },
      ]);
      expect(e.has('vm:vm-4')).toBe(false);
      expect(e.get('host:host-2')!.fields).toEqual([
        { field: 'memoryBytes', old: 256 * 2 ** 30, new: 512 * 2 ** 30 },
      ]);
      expect(e.get('datastore:datastore-9')).toMatchObject({ change: 'added' });

      // The same diff between two saved snapshots, by id.
      const after = await h.call('snapshots:save', { label: 'after' });
      const saved = await h.call('snapshots:diff', { from: before.id, to: after.id });
      expect(saved.summary).toEqual(diff.summary);
      expect(saved.entries).toEqual(diff.entries);
      // Reversed, additions become removals.
      const back = await h.call('snapshots:diff', { from: 'after', to: 'before', types: ['vm'] });
      expect(back.summary).toEqual({ vm: { added: 1, removed: 1, changed: 2 } });
      expect(byKey(back.entries).get('vm:vm-99')!.change).toBe('removed');
    });

    it('lists, resolves labels to the newest, deletes, and says what it cannot find', async () => {
      const a = await h.call('snapshots:save', { label: 'nightly' });
      const b = await h.call('snapshots:save', { label: 'nightly' });
      const c = await h.call('snapshots:save', {});
      const list = await h.call('snapshots:list', {});
      expect(list.map((s) => s.id).sort()).toEqual([a.id, b.id, c.id].sort());
      const d = await h.call('snapshots:diff', { from: 'nightly', to: a.id });
      expect(d.from.id).toBe(b.id);
      await h.call('snapshots:delete', { id: b.id });
      expect((await h.call('snapshots:diff', { from: 'nightly', to: 'now' })).from.id).toBe(a.id);
      // The snapshot tables are the snapshot store's own, not in the kysely schema.
      const [rows] = (
        await sql<{
          n: number;
        }>`SELECT COUNT(*) AS n FROM snapshot_entity WHERE snapshot_id = ${b.id}`.execute(
          h.core.store.db,
        )
      ).rows;
      expect(rows?.n).toBe(0);
      await expect(h.call('snapshots:diff', { from: 'nope', to: 'now' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(h.call('snapshots:delete', { id: 999 })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('imports a JSON snapshot read-only; it diffs empty against the inventory it came from', async () => {
      const out = join(h.dir, 'inv.json.gz');
      await h.call('export:run', { format: 'json', out });
      const imported = await h.call('snapshots:import', { file: out, label: 'site-b' });
      expect(imported).toMatchObject({
        source: 'import',
        origin: 'json',
        readOnly: true,
        label: 'site-b',
      });
      expect(imported.counts).toEqual((await h.call('snapshots:save', {})).counts);
      const diff = await h.call('snapshots:diff', {
        from: 'site-b',
        to: 'now',
        types: ['vm', 'host', 'datastore', 'network', 'cluster', 'vmDisk', 'vmNic', 'snapshot'],
      });
      expect(diff.entries).toEqual([]);
      // It exports again like any snapshot.
      const again = join(h.dir, 'again.xlsx');
      const r = await h.call('export:run', { format: 'xlsx', out: again, snapshot: 'site-b' });
      expect(r.rows['vInfo']).toBe(13);
    });

    it('imports an RVTools workbook (written by SheetJS, with older MB headers) into a read-only snapshot', async () => {
      const wb = XLSX.utils.book_new();
      XLSX.utils.book_append_sheet(
        wb,
        XLSX.utils.aoa_to_sheet([
          [
            'VM',
            'Powerstate',
            'Template',
            'CPUs',
            'Memory',
            'NICs',
            'Disks',
            'Provisioned MB',
            'Primary IP Address',
            'Annotation',
            'Owner',
            'Datacenter',
            'Cluster',
            'Host',
            'OS according to the configuration file',
            'VM ID',
            'VM UUID',
            'VI SDK Server',
          ],
          [
            'app-001',
            'poweredOn',
            'False',
            2,
            1024,
            1,
            1,
            0,
            '10.0.0.1',
            'owner: alice, cost center 42',
            'alice',
            'DC0',
            'Cluster A',
            'esx1.example.test',
            'ubuntu64Guest',
            'vm-1',
            '5000-1',
            'vc1.example.test',
          ],
          [
            'app-002',
            'poweredOff',
            'False',
            3,
            4096,
            1,
            1,
            0,
            '10.0.0.2',
            '',
            'bob',
            'DC0',
            'Cluster A',
            'esx1.example.test',
            'ubuntu64Guest',
            'vm-2',
            '5000-2',
            'vc1.example.test',
          ],
          [
            'legacy',
            'poweredOn',
            'True',
            1,
            512,
            0,
            0,
            0,
            '',
            '',
            '',
            'DC0',
            '',
            'esx1.example.test',
            '',
            'vm-500',
            '',
            'vc1.example.test',
          ],
        ]),
        'vInfo',
      );
      XLSX.utils.book_append_sheet(
        wb,
        XLSX.utils.aoa_to_sheet([
          [
            'Host',
            'Datacenter',
            'Cluster',
            'in Maintenance Mode',
            '# Cores',
            '# Memory',
            'Object ID',
            'VI SDK Server',
          ],
          [
            'esx1.example.test',
            'DC0',
            'Cluster A',
            'False',
            16,
            256 * 1024,
            'host-1',
            'vc1.example.test',
          ],
        ]),
        'vHost',
      );
      XLSX.utils.book_append_sheet(
        wb,
        XLSX.utils.aoa_to_sheet([
          ['Name', 'Type', 'Capacity MB', 'Free MB', 'Object ID', 'VI SDK Server'],
          ['ds-gold', 'VMFS', 1, 0, 'datastore-1', 'vc1.example.test'],
        ]),
        'vDatastore',
      );
      const file = join(h.dir, 'RVTools_export_all.xlsx');
      XLSX.writeFile(wb, file);

      const snap = await h.call('snapshots:import', { file });
      expect(snap).toMatchObject({
        source: 'import',
        origin: 'rvtools',
        readOnly: true,
        label: 'RVTools_export_all.xlsx',
      });
      expect(snap.counts).toMatchObject({ vm: 3, host: 1, datastore: 1, datacenter: 1 });
      expect(snap.endpoints).toEqual(['vc1.example.test']);

      // Against the live inventory (same vCenter host, ids from the workbook): only real differences.
      const diff = await h.call('snapshots:diff', {
        from: snap.id,
        to: 'now',
        types: ['vm', 'host'],
      });
      const e = byKey(diff.entries);
      expect(e.get('vm:vm-500')).toMatchObject({ change: 'removed', name: 'legacy' });
      // The workbook says app-002 was off with 3 CPUs and 4 GiB and host esx1; now it is on, 3 CPUs, 2 GiB, esx2.
      expect(
        e
          .get('vm:vm-2')!
          .fields!.map((f) => f.field)
          .sort(),
      ).toEqual(['hostId', 'memoryMb', 'powerState']);
      // app-001 matches but for what the workbook cannot know (its custom attribute list is partial).
      expect(e.get('vm:vm-1')!.fields!.map((f) => f.field)).toEqual(['customAttributes']);
      expect(e.has('host:host-1')).toBe(false);
      expect(diff.summary.vm!.added).toBe(11); // the 13 live VMs but the 2 the workbook lists
    });

    it('imports its own RVTools-shaped export and diffs empty against the live inventory', async () => {
      const file = join(h.dir, 'ours.xlsx');
      await h.call('export:run', { format: 'xlsx', out: file });
      const snap = await h.call('snapshots:import', { file, format: 'rvtools' });
      const diff = await h.call('snapshots:diff', {
        from: snap.id,
        to: 'now',
        types: ['vm', 'host', 'datastore', 'cluster'],
      });
      expect(diff.entries).toEqual([]);
    });
  });
});
