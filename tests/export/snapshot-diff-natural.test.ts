import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import type { CollectedEntity } from '../../src/shared/entities.js';
import type { DiffEntry } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { fillStore, richInventory } from './fixtures.js';

/*
 * A diff pairs VM network adapters, snapshots and licenses that an RVTools workbook lists without
 * the collector's key (device key, snapshot moref, full license key) by their natural key, and
 * everything else, as before, by id.
 */

let h: CoreHarness;
let endpointId: number;
afterAll(stopSharedPostgres);

const TYPES = ['vmNic', 'snapshot', 'license'] as const;

function snapshot(id: string, vmId: string, name: string, createdAt: string): CollectedEntity {
  return {
    type: 'snapshot',
    id,
    name,
    fields: {
      vmId,
      parentId: null,
      description: `${name} of ${vmId}`,
      createdAt,
      sizeBytes: 3 * 2 ** 30,
      powerState: 'poweredOff',
      quiesced: false,
      isCurrent: true,
      fileName: `[ds-gold] ${vmId}/${vmId}-Snapshot1.vmsn`,
      vmsnBytes: 2 ** 20,
    },
  };
}

function inventory(
  change: (list: CollectedEntity[]) => CollectedEntity[] = (x) => x,
): CollectedEntity[] {
  return change([
    ...richInventory(),
    snapshot('snapshot-11', 'vm-1', 'nightly', '2026-11-20T02:00:05.000Z'),
    // The same name on another VM, and a second one on vm-1: the natural key tells them apart.
    snapshot('snapshot-12', 'vm-2', 'nightly', '2026-11-20T02:00:05.000Z'),
    snapshot('snapshot-13', 'vm-1', 'nightly', '2026-11-21T02:00:07.000Z'),
    {
      type: 'license',
      id: 'license-5a1b2c3d4e5f6a7b',
      name: 'VMware vSphere 8 Enterprise Plus',
      fields: {
        maskedKey: '*****-*****-*****-*****-4AB12',
        editionKey: 'esx.enterprisePlus.cpuPackage',
        costUnit: 'cpuPackage',
        total: 32,
        used: 20,
        expiresAt: null,
        features: ['vMotion', 'Storage vMotion'],
        labels: [],
      },
    },
  ]);
}

/** `e` with some fields replaced: the test's edits of the live inventory. */
const edit = (e: CollectedEntity, fields: Record<string, string | number>): CollectedEntity =>
  ({ ...e, fields: { ...e.fields, ...fields } }) as CollectedEntity;

const key = (e: DiffEntry): string => `${e.type}:${e.change}:${e.name}`;

async function importOwnExport(): Promise<number> {
  const file = join(h.dir, 'ours.xlsx');
  await h.call('export:run', { format: 'xlsx', out: file });
  const snap = await h.call('snapshots:import', { file, format: 'rvtools' });
  const count = (t: string): number => inventory().filter((e) => e.type === t).length;
  expect(count('vmNic')).toBeGreaterThan(0);
  expect(snap.counts).toMatchObject({
    vmNic: count('vmNic'),
    snapshot: count('snapshot'),
    license: count('license'),
  });
  return snap.id;
}

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(async () => {
    h = await makeCore({ store: await testStoreLocation(engine) });
    endpointId = await fillStore(h.core.store.db, inventory());
  });
  afterEach(async () => {
    await h.close();
  });

  describe('diff: records a workbook lists without their vSphere key', () => {
    it('pairs an imported workbook’s adapters, snapshots and licenses with the live ones', async () => {
      const id = await importOwnExport();
      const same = await h.call('snapshots:diff', { from: id, to: 'now', types: [...TYPES] });
      expect(same.entries).toEqual([]);

      // Now the live inventory moves on: vm-1's adapter gets another MAC, its first snapshot is
      // deleted and one of the same name taken later, and the license gains seats.
      await writeFullInventory(
        h.core.store.db,
        {
          entities: inventory((list) =>
            list
              .filter((e) => e.id !== 'snapshot-11')
              .concat(snapshot('snapshot-14', 'vm-1', 'nightly', '2026-11-22T02:00:09.000Z'))
              .map((e) =>
                e.id === 'vm-1/nic-4000'
                  ? edit(e, { macAddress: '00:50:56:00:00:99' })
                  : e.type === 'license'
                    ? edit(e, { total: 48 })
                    : e,
              ),
          ),
        },
        { endpointId, syncRunId: null, now: new Date('2026-11-25T06:00:00Z') },
      );
      const diff = await h.call('snapshots:diff', { from: id, to: 'now', types: [...TYPES] });
      expect(diff.entries.map(key).sort()).toEqual([
        'license:changed:VMware vSphere 8 Enterprise Plus',
        'snapshot:added:nightly',
        'snapshot:removed:nightly',
        'vmNic:changed:Network adapter 1',
      ]);
      const nic = diff.entries.find((e) => e.type === 'vmNic')!;
      // Reported under the live record's id, with only the field that changed.
      expect(nic.id).toBe('vm-1/nic-4000');
      expect(nic.fields).toEqual([
        { field: 'macAddress', old: '00:50:56:00:00:01', new: '00:50:56:00:00:99' },
      ]);
      expect(diff.entries.find((e) => e.type === 'license')!.fields).toEqual([
        { field: 'total', old: 32, new: 48 },
      ]);
      expect(diff.entries.find((e) => e.change === 'added')!.id).toBe('snapshot-14');
    });

    it('still pairs two collected snapshots by id: a relabelled adapter is a change, not a swap', async () => {
      const before = await h.call('snapshots:save', { label: 'before' });
      await writeFullInventory(
        h.core.store.db,
        {
          entities: inventory((list) =>
            list.map((e) =>
              e.id === 'vm-1/nic-4000'
                ? { ...edit(e, { label: 'Network adapter 2' }), name: 'Network adapter 2' }
                : e,
            ),
          ),
        },
        { endpointId, syncRunId: null, now: new Date('2026-11-25T06:00:00Z') },
      );
      const diff = await h.call('snapshots:diff', { from: before.id, to: 'now', types: ['vmNic'] });
      expect(diff.entries).toHaveLength(1);
      expect(diff.entries[0]).toMatchObject({
        change: 'changed',
        id: 'vm-1/nic-4000',
        fields: [
          { field: 'name', old: 'Network adapter 1', new: 'Network adapter 2' },
          { field: 'label', old: 'Network adapter 1', new: 'Network adapter 2' },
        ],
      });
    });
  });
});
