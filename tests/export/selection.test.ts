import { join } from 'node:path';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, testStoreLocation } from '../helpers/store.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import XLSX from 'xlsx';
import { MAX_EXPORT_IDS } from '../../src/shared/export.js';
import type { SnapshotInfo } from '../../src/shared/export.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { TRICKY, fillStore } from './fixtures.js';

/*
 * "Export selection": the VMs table's selected rows travel as `ids` (endpoint name + native id)
 * and the export keeps only those VMs, with their disks, NICs and snapshots.
 */

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let h: CoreHarness;

  function sheet(book: XLSX.WorkBook, name: string): Record<string, unknown>[] {
    return XLSX.utils.sheet_to_json<Record<string, unknown>>(book.Sheets[name]!, { defval: null });
  }

  beforeAll(async () => {
    // File-backed: the export reads through its own read-only connection, as in the app.
    h = await makeCore({ memory: false, store: await testStoreLocation(engine) });
    await fillStore(h.core.store.db);
  });

  afterAll(async () => {
    await h.close();
  });

  describe('export of selected VMs (ids)', () => {
    it('writes only the selected VMs to vInfo, with their disks, NICs and snapshots', async () => {
      const out = join(h.dir, 'selection.xlsx');
      const result = await h.call('export:run', {
        format: 'xlsx',
        out,
        ids: [
          { endpoint: 'vc1', id: 'vm-1' },
          { endpoint: 'vc1', id: 'vm-t1' },
          // Neither of these exists: they match nothing rather than failing the export.
          { endpoint: 'vc1', id: 'vm-missing' },
          { endpoint: 'no-such-endpoint', id: 'vm-2' },
        ],
      });
      const book = XLSX.readFile(out);
      const info = sheet(book, 'vInfo');
      expect(info.map((r) => r['VM']).sort()).toEqual(['app-001', TRICKY.quote].sort());
      expect(info.map((r) => r['VM ID']).sort()).toEqual(['vm-1', 'vm-t1']);
      expect(result.rows['vInfo']).toBe(2);
      expect(sheet(book, 'vCPU')).toHaveLength(2);
      expect(sheet(book, 'vMemory')).toHaveLength(2);

      const disks = sheet(book, 'vDisk');
      expect(disks.map((r) => r['VM']).sort()).toEqual(['app-001', TRICKY.quote].sort());
      const nics = sheet(book, 'vNetwork');
      expect(nics.map((r) => r['VM']).sort()).toEqual(['app-001', TRICKY.quote].sort());
      expect(sheet(book, 'vSnapshot')).toEqual([
        expect.objectContaining({ VM: 'app-001', Name: 'before upgrade' }),
      ]);
      // The estate around the VMs is exported whole.
      const hosts = await h.call('inventory:query', { kind: 'hosts', limit: 0 });
      expect(sheet(book, 'vHost')).toHaveLength(hosts.total);
    });

    it('leaves the snapshot sheet empty when no selected VM has a snapshot', async () => {
      const out = join(h.dir, 'no-snapshots.xlsx');
      await h.call('export:run', {
        format: 'xlsx',
        out,
        ids: [{ endpoint: 'vc1', id: 'vm-2' }],
      });
      const book = XLSX.readFile(out);
      expect(sheet(book, 'vInfo').map((r) => r['VM'])).toEqual(['app-002']);
      expect(book.SheetNames.includes('vSnapshot') ? sheet(book, 'vSnapshot') : []).toEqual([]);
    });

    it('combines with where: only selected VMs that also match', async () => {
      const out = join(h.dir, 'both.xlsx');
      await h.call('export:run', {
        format: 'xlsx',
        out,
        where: [{ field: 'host', op: '=', value: 'esx1.example.test' }],
        // vm-1 runs on esx1, vm-2 on esx2.
        ids: [
          { endpoint: 'vc1', id: 'vm-1' },
          { endpoint: 'vc1', id: 'vm-2' },
        ],
      });
      const book = XLSX.readFile(out);
      expect(sheet(book, 'vInfo').map((r) => r['VM'])).toEqual(['app-001']);
    });

    it('applies to CSV exports and to saved snapshots', async () => {
      const csv = join(h.dir, 'vms.csv');
      const r = await h.call('export:run', {
        format: 'csv',
        out: csv,
        types: ['vm'],
        ids: [{ endpoint: 'vc1', id: 'vm-3' }],
      });
      expect(r.rows['vm']).toBe(1);

      const snap = (await h.call('snapshots:save', { label: 'sel' })) as SnapshotInfo;
      const out = join(h.dir, 'from-snapshot.xlsx');
      await h.call('export:run', {
        format: 'xlsx',
        out,
        snapshot: snap.id,
        ids: [
          { endpoint: 'vc1', id: 'vm-4' },
          { endpoint: 'vc1', id: 'vm-5' },
        ],
      });
      const book = XLSX.readFile(out);
      expect(
        sheet(book, 'vInfo')
          .map((r) => r['VM'])
          .sort(),
      ).toEqual(['app-004', 'app-005']);
    });

    it('keeps to the workspace scope: a tag narrows the VMs, not the estate around them', async () => {
      await h.core.store.db
        .updateTable('vm')
        .set({ tags: '["gold"]' })
        .where('native_id', 'in', ['vm-2', 'vm-3'])
        .execute();
      const out = join(h.dir, 'scoped.xlsx');
      await h.call('export:run', { format: 'xlsx', out, scope: { tag: 'GOLD' } });
      const book = XLSX.readFile(out);
      expect(
        sheet(book, 'vInfo')
          .map((r) => r['VM'])
          .sort(),
      ).toEqual(['app-002', 'app-003']);
      const hosts = await h.call('inventory:query', { kind: 'hosts', limit: 0 });
      expect(sheet(book, 'vHost')).toHaveLength(hosts.total);
      // With filters: both apply.
      await h.call('export:run', {
        format: 'xlsx',
        out,
        scope: { tag: 'gold' },
        where: [{ field: 'name', op: '=', value: 'app-003' }],
      });
      expect(sheet(XLSX.readFile(out), 'vInfo').map((r) => r['VM'])).toEqual(['app-003']);
      const snap = (await h.call('snapshots:save', { label: 'scoped' })) as SnapshotInfo;
      await expect(
        h.call('export:run', { format: 'xlsx', out, snapshot: snap.id, scope: { tag: 'gold' } }),
      ).rejects.toMatchObject({ code: 'VALIDATION' });
    });

    it('rejects an empty selection and more than the maximum', async () => {
      const out = join(h.dir, 'bad.xlsx');
      await expect(h.call('export:run', { format: 'xlsx', out, ids: [] })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
      const many = Array.from({ length: MAX_EXPORT_IDS + 1 }, (_, i) => ({
        endpoint: 'vc1',
        id: `vm-${i}`,
      }));
      await expect(h.call('export:run', { format: 'xlsx', out, ids: many })).rejects.toMatchObject({
        code: 'VALIDATION',
      });
      const max = many.slice(0, MAX_EXPORT_IDS);
      const ok = await h.call('export:run', { format: 'xlsx', out, ids: max });
      expect(ok.rows['vInfo']).toBe(6); // vm-1 … vm-6 of the sample estate
    });
  });
});
