import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EntityRecord } from '../../src/core/export/records.js';
import { readRvtoolsWorkbook } from '../../src/core/snapshots/rvtools-import.js';
import type { EntityType } from '../../src/shared/entities.js';
import type { ImportProgress } from '../../src/shared/export.js';
import {
  coreEachTest,
  dirEachTest,
  expectBrokenSheetSavesNothing,
  expectImportSavesWhatItReads,
  writeSheetJsWorkbook,
} from './fixtures.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES } from '../helpers/store.js';

/*
 * The RVTools import's vNetwork, vSnapshot, vLicense and vSource sheets from workbooks SheetJS
 * writes (an independent writer): RVTools 4.x headers, RVTools 3.x ones (the "MB" size headers
 * and a vSnapshot without "VM ID", as RVTools 3.8's vSnapshot lists: VM, Name, Description,
 * Date / time, Filename, Size MB (vmsn), Size MB (total), Quiesced, State, Annotation, …), blank
 * rows after the data as Excel leaves them, and malformed rows.
 */

// The reader's tests need only a folder for their workbooks; the store-facing ones (what an
// import saves, and that a refused one saves nothing) run on both engines below.
const dir = dirEachTest('rvtools-import-');
afterAll(stopSharedPostgres);

const MIB = 2 ** 20;
const SERVER = 'vc1.example.test';
const UUID = '2f1d3c4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const BLANK = ['', '', '', '', '', ''];

const write = (name: string, sheets: Record<string, unknown[][]>): string =>
  writeSheetJsWorkbook(join(dir(), name), sheets);

const all = (inv: Awaited<ReturnType<typeof readRvtoolsWorkbook>>, type: EntityType) =>
  [...inv.pages(type)].flat();
const byName = (list: EntityRecord[]): Record<string, EntityRecord> =>
  Object.fromEntries(list.map((r) => [r.name, r]));

const VINFO = [
  ['VM', 'Powerstate', 'VM ID', 'VI SDK Server'],
  ['app-001', 'poweredOn', 'vm-7', SERVER],
  ['db-001', 'poweredOff', 'vm-9', SERVER],
];
const TAKEN = new Date(Date.UTC(2026, 10, 30, 8, 15, 42));

/** RVTools 4.x's vNetwork, vSnapshot, vLicense and vSource, with blank and unkeyable rows. */
function workbook4x(): string {
  return write('RVTools_export_all.xlsx', {
    vInfo: VINFO,
    vNetwork: [
      // prettier-ignore
      ['VM', 'NIC label', 'Adapter', 'Network', 'Connected', 'Starts Connected', 'Mac Address',
          'IPv4 Address', 'IPv6 Address', 'VM ID', 'VI SDK Server'],
      // prettier-ignore
      ['app-001', 'Network adapter 1', 'vmxnet3', 'VM Network', 'True', 'False',
          '00:50:56:aa:bb:01', '10.0.0.5, 10.0.0.6', 'fe80::1', 'vm-7', SERVER],
      [
        'app-001',
        'Network adapter 2',
        'e1000',
        'Backup',
        'False',
        'False',
        '00:50:56:aa:bb:02',
        '',
        '',
        'vm-7',
        SERVER,
      ],
      // No label: nothing to key it by.
      ['app-001', '', 'e1000', 'x', 'True', 'True', '00:50:56:aa:bb:03', '', '', 'vm-7', SERVER],
      // A VM vInfo does not list.
      [
        'ghost',
        'Network adapter 1',
        'e1000',
        'x',
        'True',
        'True',
        '00:50:56:aa:bb:04',
        '',
        '',
        'vm-404',
        SERVER,
      ],
      // The same adapter again: the first row wins.
      [
        'app-001',
        'Network adapter 1',
        'e1000',
        'Other',
        'False',
        'False',
        '00:50:56:aa:bb:05',
        '',
        '',
        'vm-7',
        SERVER,
      ],
      BLANK,
      BLANK,
    ],
    vSnapshot: [
      // prettier-ignore
      ['VM', 'Powerstate', 'Name', 'Description', 'Date / time', 'Filename', 'Size MiB (vmsn)',
          'Size MiB (total)', 'Quiesced', 'State', 'VM ID', 'VI SDK Server'],
      // prettier-ignore
      ['app-001', 'poweredOn', 'before-upgrade', 'pre patch', TAKEN, '[ds1] app-001/app-001-Snapshot1.vmsn',
          12, 2060, 'False', 'poweredOn', 'vm-7', SERVER],
      // Malformed cells read as nothing, never as text in a number field.
      [
        'app-001',
        'poweredOn',
        'broken',
        '',
        'not a date',
        '',
        'n/a',
        'lots',
        'maybe',
        '',
        'vm-7',
        SERVER,
      ],
      ['app-001', 'poweredOn', '', 'no name', TAKEN, '', 1, 1, 'False', '', 'vm-7', SERVER],
      BLANK,
    ],
    vLicense: [
      // prettier-ignore
      ['Name', 'Key', 'Labels', 'Cost Unit', 'Total', 'Used', 'Expiration Date', 'Features',
          'VI SDK Server', 'VI SDK UUID'],
      // prettier-ignore
      ['VMware vSphere 8 Enterprise Plus', '*****-*****-*****-*****-4AB12', 'team: infra', 'cpuPackage',
          32, 20, TAKEN, 'vMotion, Storage vMotion', SERVER, UUID],
      ['Unkeyed', '', '', '', 1, 1, '', '', SERVER, UUID],
      BLANK,
    ],
    vSource: [
      // prettier-ignore
      ['Name', 'OS type', 'API type', 'API version', 'Version', 'Patch level', 'Build', 'Fullname',
          'Product name', 'Product version', 'Product line', 'Vendor', 'VI SDK Server', 'VI SDK UUID'],
      // prettier-ignore
      ['VMware vCenter Server', 'linux-x64', 'VirtualCenter', '8.0.3.0', '8.0.3', '', '24322831',
          'VMware vCenter Server 8.0.3 build-24322831', '', '', 'vpx', 'VMware, Inc.', SERVER, UUID],
      BLANK,
    ],
  });
}

describe('RVTools import: vNetwork, vSnapshot, vLicense, vSource (4.x headers)', () => {
  it('reads adapters, snapshots, licenses and the server facts, skipping blank and unkeyable rows', async () => {
    const file = workbook4x();
    const progress: ImportProgress[] = [];
    const inv = await readRvtoolsWorkbook(file, { onProgress: (p) => progress.push(p) });

    const nics = all(inv, 'vmNic');
    expect(nics.map((n) => n.name)).toEqual(['Network adapter 1', 'Network adapter 2']);
    expect(new Set(nics.map((n) => n.id)).size).toBe(2);
    expect(byName(nics)['Network adapter 1']!.fields).toEqual({
      vmId: 'vm-7',
      label: 'Network adapter 1',
      adapterType: 'vmxnet3',
      networkName: 'VM Network',
      connected: true,
      startConnected: false,
      macAddress: '00:50:56:aa:bb:01',
      ipAddresses: ['10.0.0.5', '10.0.0.6', 'fe80::1'],
    });
    expect(byName(nics)['Network adapter 2']!.fields['ipAddresses']).toEqual([]);

    const snaps = byName(all(inv, 'snapshot'));
    expect(Object.keys(snaps).sort()).toEqual(['before-upgrade', 'broken']);
    expect(snaps['before-upgrade']!.fields).toEqual({
      vmId: 'vm-7',
      description: 'pre patch',
      createdAt: TAKEN.toISOString(),
      fileName: '[ds1] app-001/app-001-Snapshot1.vmsn',
      vmsnBytes: 12 * MIB,
      sizeBytes: 2060 * MIB,
      quiesced: false,
      powerState: 'poweredOn',
    });
    expect(snaps['broken']!.fields).toMatchObject({
      createdAt: null,
      vmsnBytes: null,
      sizeBytes: null,
      quiesced: null,
    });

    const licenses = all(inv, 'license');
    expect(licenses).toHaveLength(1);
    expect(licenses[0]!.name).toBe('VMware vSphere 8 Enterprise Plus');
    expect(licenses[0]!.fields).toEqual({
      maskedKey: '*****-*****-*****-*****-4AB12',
      costUnit: 'cpuPackage',
      total: 32,
      used: 20,
      expiresAt: TAKEN.toISOString(),
      features: ['vMotion', 'Storage vMotion'],
      labels: ['team: infra'],
    });

    expect(inv.endpoints).toHaveLength(1);
    expect(inv.endpoints[0]!.about).toEqual({
      name: 'VMware vCenter Server',
      osType: 'linux-x64',
      apiType: 'VirtualCenter',
      apiVersion: '8.0.3.0',
      version: '8.0.3',
      build: '24322831',
      fullName: 'VMware vCenter Server 8.0.3 build-24322831',
      productLineId: 'vpx',
      vendor: 'VMware, Inc.',
      instanceUuid: UUID,
    });

    // Only the non-empty rows were read.
    const last = (phase: string): number | undefined =>
      progress.filter((p) => p.phase === phase).at(-1)?.done;
    expect(last('read vNetwork')).toBe(5);
    expect(last('read vSnapshot')).toBe(3);
    expect(last('read vLicense')).toBe(2);
    expect(last('read vSource')).toBe(1);
  });
});

/** A vSnapshot row in RVTools 3.x's columns (above): no VM ID, no VI SDK Server. */
const row3x = (vm: string, file: string): unknown[] => [
  vm,
  'nightly',
  '',
  TAKEN,
  file,
  3,
  40,
  'True',
  'poweredOff',
  '',
  'dc1',
  'c1',
  'esx1',
  '',
];

describe('RVTools import: the server without vSource', () => {
  it('keeps what vInfo says of the server (type, API version, instance UUID) and nothing more', async () => {
    const file = write('no-vsource.xlsx', {
      vInfo: [
        ['VM', 'VM ID', 'VI SDK Server type', 'VI SDK API Version', 'VI SDK Server', 'VI SDK UUID'],
        ['app-001', 'vm-7', 'VirtualCenter', '8.0.3.0', SERVER, UUID],
        ['db-001', 'vm-9', 'VirtualCenter', '8.0.3.0', SERVER, UUID],
      ],
    });
    const inv = await readRvtoolsWorkbook(file);
    expect(inv.endpoints.map((e) => e.about)).toEqual([
      {
        name: null,
        osType: null,
        apiType: 'VirtualCenter',
        apiVersion: '8.0.3.0',
        version: null,
        build: null,
        fullName: null,
        productLineId: null,
        vendor: null,
        instanceUuid: UUID,
      },
    ]);
  });
});

describe('RVTools import: older headers', () => {
  it('reads RVTools 3.x "MB" sizes and finds a vSnapshot row’s VM by name when the sheet has no VM ID', async () => {
    const file = write('RVTools3.xlsx', {
      vInfo: [
        ['VM', 'Powerstate', 'VM UUID'],
        ['app-001', 'poweredOn', '5003a1b2-0000-0000-0000-000000000001'],
        ['twin', 'poweredOn', '5003a1b2-0000-0000-0000-000000000002'],
        ['twin', 'poweredOff', '5003a1b2-0000-0000-0000-000000000003'],
      ],
      vSnapshot: [
        // prettier-ignore
        ['VM', 'Name', 'Description', 'Date / time', 'Filename', 'Size MB (vmsn)', 'Size MB (total)',
          'Quiesced', 'State', 'Annotation', 'Datacenter', 'Cluster', 'Host', 'OS'],
        row3x('app-001', 'a.vmsn'),
        // Two VMs share this name: the row cannot tell which one it belongs to.
        row3x('twin', 'b.vmsn'),
      ],
      vMetaData: [
        ['RVTools major version', 'Server'],
        [3, SERVER],
      ],
    });
    const inv = await readRvtoolsWorkbook(file);
    const snaps = all(inv, 'snapshot');
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.ep.host).toBe(SERVER);
    expect(snaps[0]!.fields).toMatchObject({
      vmId: '5003a1b2-0000-0000-0000-000000000001',
      vmsnBytes: 3 * MIB,
      sizeBytes: 40 * MIB,
      quiesced: true,
      createdAt: TAKEN.toISOString(),
    });
    // No vSource: the endpoint's facts stay unknown rather than invented.
    expect(inv.endpoints[0]!.about).toBeNull();
  });
});

describe.each(ENGINES)('RVTools import into a %s store', (engine) => {
  const core = coreEachTest(engine);

  it('saves what the reader reads: the same records and server facts, read back from the store', async () => {
    await expectImportSavesWhatItReads(core(), workbook4x(), [
      'vm',
      'vmNic',
      'snapshot',
      'license',
    ]);
  });

  it('refuses the workbook with a typed error and saves nothing', async () => {
    const h = core();
    const marker = 987_654_321_123;
    const file = write('broken.xlsx', {
      vInfo: VINFO,
      vSnapshot: [
        ['VM', 'Name', 'Date / time', 'Size MiB (vmsn)', 'VM ID', 'VI SDK Server'],
        ['app-001', 'nightly', TAKEN, marker, 'vm-7', SERVER],
      ],
    });
    await expectBrokenSheetSavesNothing(h, file, marker, 'vSnapshot');
  });
});
