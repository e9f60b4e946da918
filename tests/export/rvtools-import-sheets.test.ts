import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import XLSX from 'xlsx';
import { pathKey } from '../../src/core/collectors/vsphere/vm-mapper.js';
import type { EntityRecord } from '../../src/core/export/records.js';
import { readRvtoolsWorkbook } from '../../src/core/snapshots/rvtools-import.js';
import type { ImportProgress } from '../../src/shared/export.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES } from '../helpers/store.js';
import { coreEachTest, dirEachTest, expectImportSavesWhatItReads } from './fixtures.js';

/*
 * The RVTools import's device and per-VM sheets, in RVTools 3.x's "MB" spellings, from a workbook
 * with blank rows after the data (as Excel leaves formatted rows behind).
 */

const dir = dirEachTest('rvtools-import-');
afterAll(stopSharedPostgres);

const MIB = 2 ** 20;
const SERVER = 'vc1.example.test';
const BLANK = ['', '', '', '', '', ''];

function workbook(): string {
  const wb = XLSX.utils.book_new();
  const add = (name: string, rows: unknown[][]): void =>
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), name);
  add('vInfo', [
    ['VM', 'Powerstate', 'VM ID', 'VI SDK Server'],
    ['app-001', 'poweredOn', 'vm-7', SERVER],
  ]);
  add('vDisk', [
    ['VM', 'Disk', 'Disk Key', 'Capacity MB', 'Thin', 'VM ID', 'VI SDK Server'],
    ['app-001', 'Hard disk 1', 2000, 40_960, 'True', 'vm-7', SERVER],
    ['app-001', 'Hard disk 2', 2001, 1024, 'False', 'vm-7', SERVER],
    BLANK,
    BLANK,
    BLANK,
  ]);
  add('vPartition', [
    ['VM', 'Disk', 'Capacity MB', 'Free MB', 'VM ID', 'VI SDK Server'],
    ['app-001', 'C:\\', 40_000, 10_000, 'vm-7', SERVER],
    BLANK,
  ]);
  add('vCPU', [
    ['VM', 'CPUs', 'Cores p/s', 'Hot Add', 'VM ID', 'VI SDK Server'],
    ['app-001', 4, 2, 'True', 'vm-7', SERVER],
  ]);
  add('vMemory', [
    ['VM', 'Size MB', 'Reservation', 'VM ID', 'VI SDK Server'],
    ['app-001', 8192, 1024, 'vm-7', SERVER],
  ]);
  const file = join(dir(), 'RVTools_export_all.xlsx');
  XLSX.writeFile(wb, file);
  return file;
}

function all(
  inv: Awaited<ReturnType<typeof readRvtoolsWorkbook>>,
  type: 'vm' | 'vmDisk' | 'guestPartition',
): EntityRecord[] {
  return [...inv.pages(type)].flat();
}

describe('RVTools import: device and per-VM sheets', () => {
  it('keys disks and partitions as the vSphere collector does, merges vCPU/vMemory into the VM, reads 3.x MB headers and skips blank rows', async () => {
    const progress: ImportProgress[] = [];
    const inv = await readRvtoolsWorkbook(workbook(), { onProgress: (p) => progress.push(p) });

    const disks = all(inv, 'vmDisk');
    expect(disks.map((d) => [d.id, d.name])).toEqual([
      ['vm-7/disk-2000', 'Hard disk 1'],
      ['vm-7/disk-2001', 'Hard disk 2'],
    ]);
    expect(disks[0]!.fields).toMatchObject({
      vmId: 'vm-7',
      diskKey: 2000,
      capacityBytes: 40_960 * MIB,
      thin: true,
    });
    expect(disks[1]!.fields['thin']).toBe(false);

    const parts = all(inv, 'guestPartition');
    expect(parts.map((p) => p.id)).toEqual([`vm-7/part-${pathKey('C:\\')}`]);
    expect(parts[0]!.fields).toMatchObject({
      vmId: 'vm-7',
      path: 'C:\\',
      capacityBytes: 40_000 * MIB,
      freeBytes: 10_000 * MIB,
    });

    const [vm] = all(inv, 'vm');
    expect(vm!.fields).toMatchObject({
      powerState: 'poweredOn',
      cpuCount: 4,
      coresPerSocket: 2,
      cpuHotAdd: true,
      memoryMb: 8192,
      memoryReservationMb: 1024,
    });
    expect(inv.fieldsOf('vm')).toEqual(expect.arrayContaining(['cpuCount', 'memoryMb']));

    // Only the non-empty rows were read.
    const last = (phase: string): number | undefined =>
      progress.filter((p) => p.phase === phase).at(-1)?.done;
    expect(last('read vDisk')).toBe(2);
    expect(last('read vPartition')).toBe(1);
  });
});

describe.each(ENGINES)('RVTools import into a %s store', (engine) => {
  const core = coreEachTest(engine);
  it('saves the disks, partitions and merged VM the reader reads, read back from the store', async () => {
    await expectImportSavesWhatItReads(core(), workbook(), ['vm', 'vmDisk', 'guestPartition']);
  });
});
