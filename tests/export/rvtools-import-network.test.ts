import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EntityRecord } from '../../src/core/export/records.js';
import { rvVlan, storedVlan } from '../../src/core/export/rvtools/network-sheets.js';
import { readRvtoolsWorkbook } from '../../src/core/snapshots/rvtools-import.js';
import type { EntityType } from '../../src/shared/entities.js';
import {
  coreEachTest,
  dirEachTest,
  expectBrokenSheetSavesNothing,
  expectImportSavesWhatItReads,
  writeSheetJsWorkbook,
} from './fixtures.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES } from '../helpers/store.js';
import { RVTOOLS_HEADERS } from './rvtools-reference.js';

/*
 * The RVTools import's dvSwitch, dvPort and vDatastore's datastore-cluster columns, from
 * workbooks SheetJS writes (an independent writer): RVTools 4.x headers, RVTools 3.x ones (dvSwitch
 * and dvPort without "Object ID", vDatastore's "Cluster capacity MB" / "Cluster free space MB", as
 * a 3.x header dump lists them), blank rows after the data, malformed rows, a broken sheet.
 */

// The reader's tests need only a folder for their workbooks; the store-facing ones (what an
// import saves, and that a refused one saves nothing) run on both engines below.
const dir = dirEachTest('rvtools-import-');
afterAll(stopSharedPostgres);

const MIB = 2 ** 20;
const SERVER = 'vc1.example.test';

const write = (name: string, sheets: Record<string, unknown[][]>): string =>
  writeSheetJsWorkbook(join(dir(), name), sheets);

/** A sheet with `headers`, each row's values by header name (others left empty). */
function sheet(headers: readonly string[], rows: Record<string, unknown>[]): unknown[][] {
  return [[...headers], ...rows.map((r) => headers.map((x) => r[x] ?? null))];
}

const all = (inv: Awaited<ReturnType<typeof readRvtoolsWorkbook>>, type: EntityType) =>
  [...inv.pages(type)].flat();
const byId = (list: EntityRecord[]): Record<string, EntityRecord> =>
  Object.fromEntries(list.map((r) => [r.id, r]));

const VINFO = [
  ['VM', 'Powerstate', 'VM ID', 'Datacenter', 'VI SDK Server'],
  ['app-001', 'poweredOn', 'vm-7', 'DC-East', SERVER],
];
const VHOST = [
  ['Host', 'Datacenter', 'Object ID', 'VI SDK Server'],
  ['esx1.example.test', 'DC-East', 'host-11', SERVER],
  ['esx2.example.test', 'DC-West', 'host-12', SERVER],
];

/** RVTools 4.x's dvSwitch, dvPort and vDatastore, with blank, unnamed and repeated rows. */
function workbook4x(): string {
  const H = RVTOOLS_HEADERS;
  return write('RVTools_export_all.xlsx', {
    vInfo: VINFO,
    vHost: VHOST,
    dvSwitch: [
      ...sheet(H['dvSwitch']!, [
        {
          Switch: 'DSwitch',
          Datacenter: 'DC-East',
          Name: 'DVS',
          Vendor: 'VMware, Inc.',
          Version: '8.0.0',
          Description: 'East core',
          'Host members': 'esx1.example.test',
          'Max Ports': 2048,
          '# Ports': 24,
          '# VMs': 1,
          'In Traffic Shaping': 'True',
          'In Avg': 100_000_000,
          'Out Traffic Shaping': 'False',
          'CDP Type': 'lldp',
          'CDP Operation': 'both',
          'LACP Name': 'lag1, lag2',
          'LACP Mode': 'active, passive',
          'LACP Load Balance Alg.': 'srcDestIpTcpUdpPortVlan, srcMac',
          'Max MTU': 9000,
          Contact: 'noc@example.test',
          'Admin Name': 'netadmin',
          'Object ID': 'dvs-21',
          'VI SDK Server': SERVER,
        },
        // The same name in another datacenter.
        {
          Switch: 'DSwitch',
          Datacenter: 'DC-West',
          'Host members': 'esx2.example.test, esx9.example.test',
          'Object ID': 'dvs-35',
          'VI SDK Server': SERVER,
        },
        // No switch name: nothing to call it.
        { Datacenter: 'DC-West', 'Object ID': 'dvs-99', 'VI SDK Server': SERVER },
        // The same Object ID again: the first row wins.
        { Switch: 'Again', 'Object ID': 'dvs-21', 'VI SDK Server': SERVER },
      ]),
      ['', '', '', ''],
    ],
    dvPort: [
      ...sheet(H['dvPort']!, [
        {
          Port: 'Prod',
          Switch: 'DSwitch',
          Type: 'earlyBinding',
          '# Ports': 8,
          VLAN: 120,
          Blocked: 'False',
          'Active Uplink': 'Uplink 1, Uplink 2',
          'Standby Uplink': '',
          'Check Speed': 'minimum',
          Percentage: 5,
          'Vlan Override': 'True',
          'Object ID': 'dvportgroup-40',
          'VI SDK Server': SERVER,
        },
        // Found on DC-West's switch: the uplink port group carries its switch's moref number.
        {
          Port: 'DSwitch-DVUplinks-35',
          Switch: 'DSwitch',
          VLAN: '0-4094',
          'Object ID': 'dvportgroup-36',
          'VI SDK Server': SERVER,
        },
        // Two switches of this name, no hint of which: the relation is unknown.
        {
          Port: 'Lab',
          Switch: 'DSwitch',
          VLAN: '10-20,30-40',
          'Object ID': 'dvportgroup-41',
          'VI SDK Server': SERVER,
        },
        // A switch the dvSwitch sheet does not list: known by its name.
        {
          Port: 'Other',
          Switch: 'Elsewhere',
          'Object ID': 'dvportgroup-50',
          'VI SDK Server': SERVER,
        },
        // No port group name.
        { Switch: 'DSwitch', VLAN: 5, 'Object ID': 'dvportgroup-51', 'VI SDK Server': SERVER },
      ]),
      ['', '', ''],
    ],
    // Prod is used by a VM in DC-East: that tells its switch.
    vNetwork: [
      ['VM', 'NIC label', 'Network', 'Switch', 'Datacenter', 'VM ID', 'VI SDK Server'],
      ['app-001', 'Network adapter 1', 'Prod', 'DSwitch', 'DC-East', 'vm-7', SERVER],
    ],
    vDatastore: sheet(H['vDatastore']!, [
      {
        Name: 'ds-a1',
        'Capacity MiB': 1024,
        'Cluster name': 'POD-A',
        'Cluster capacity MiB': 3072,
        'Cluster free space MiB': 1000,
        'Object ID': 'datastore-1',
        'VI SDK Server': SERVER,
      },
      {
        Name: 'ds-a2',
        'Capacity MiB': 2048,
        'Cluster name': 'POD-A',
        'Cluster capacity MiB': 3072,
        'Cluster free space MiB': 1000,
        'Object ID': 'datastore-2',
        'VI SDK Server': SERVER,
      },
      { Name: 'local', 'Capacity MiB': 512, 'Object ID': 'datastore-3', 'VI SDK Server': SERVER },
      // No datastore: the row says nothing of a cluster.
      { 'Cluster name': 'POD-GHOST', 'Cluster capacity MiB': 1, 'VI SDK Server': SERVER },
    ]),
  });
}

describe('RVTools import: dvSwitch, dvPort, datastore clusters (4.x headers)', () => {
  it('reads switches, port groups with their switch and VLAN, and datastore clusters; skips blank, unnamed and repeated rows', async () => {
    const file = workbook4x();
    const inv = await readRvtoolsWorkbook(file);

    const switches = byId(all(inv, 'dvSwitch'));
    expect(Object.keys(switches).sort()).toEqual(['dvs-21', 'dvs-35']);
    expect(switches['dvs-21']!.name).toBe('DSwitch');
    expect(switches['dvs-21']!.fields).toMatchObject({
      datacenterId: 'DC-East',
      productName: 'DVS',
      vendor: 'VMware, Inc.',
      version: '8.0.0',
      description: 'East core',
      hostIds: ['host-11'],
      maxPorts: 2048,
      numPorts: 24,
      inShaping: true,
      inShapingAvgBps: 100_000_000,
      outShaping: false,
      discoveryProtocol: 'lldp',
      discoveryOperation: 'both',
      lacpGroups: [
        { name: 'lag1', mode: 'active', loadBalance: 'srcDestIpTcpUdpPortVlan' },
        { name: 'lag2', mode: 'passive', loadBalance: 'srcMac' },
      ],
      maxMtu: 9000,
      contact: 'noc@example.test',
      adminName: 'netadmin',
    });
    // A member host vHost does not list keeps its name.
    expect(switches['dvs-35']!.fields['hostIds']).toEqual(['esx9.example.test', 'host-12']);
    expect(switches['dvs-35']!.fields['lacpGroups']).toBeNull();
    expect(inv.fieldsOf('dvSwitch')).toEqual(
      expect.arrayContaining(['datacenterId', 'hostIds', 'lacpGroups', 'createdAt', 'numPorts']),
    );
    expect(all(inv, 'datacenter').map((d) => d.name)).toEqual(
      expect.arrayContaining(['DC-East', 'DC-West']),
    );

    const pgs = byId(all(inv, 'network'));
    expect(Object.keys(pgs).sort()).toEqual([
      'dvportgroup-36',
      'dvportgroup-40',
      'dvportgroup-41',
      'dvportgroup-50',
    ]);
    expect(pgs['dvportgroup-40']!.fields).toMatchObject({
      networkType: 'distributedPortgroup',
      switchName: 'DSwitch',
      switchId: 'dvs-21',
      portgroupType: 'earlyBinding',
      numPorts: 8,
      vlanId: '120',
      blocked: false,
      activeUplinks: ['Uplink 1', 'Uplink 2'],
      standbyUplinks: [],
      checkSpeed: 'minimum',
      failurePercentage: 5,
      vlanOverride: true,
    });
    expect(pgs['dvportgroup-36']!.fields).toMatchObject({
      switchId: 'dvs-35',
      vlanId: 'trunk:0-4094',
    });
    expect(pgs['dvportgroup-41']!.fields).toMatchObject({
      switchId: null,
      vlanId: 'trunk:10-20,30-40',
    });
    expect(pgs['dvportgroup-50']!.fields['switchId']).toBe('Elsewhere');

    const pods = all(inv, 'datastoreCluster');
    expect(pods.map((p) => [p.id, p.name, p.fields])).toEqual([
      ['POD-A', 'POD-A', { capacityBytes: 3072 * MIB, freeBytes: 1000 * MIB }],
    ]);
    const stores = byId(all(inv, 'datastore'));
    expect(stores['datastore-1']!.fields['datastoreClusterId']).toBe('POD-A');
    expect(stores['datastore-2']!.fields['datastoreClusterId']).toBe('POD-A');
    expect(stores['datastore-3']!.fields['datastoreClusterId']).toBeNull();
  });
});

describe('RVTools import: dvSwitch, dvPort, datastore clusters (3.x headers)', () => {
  it('keys switches and port groups by name without Object ID and reads the clusters’ MB columns', async () => {
    const file = write('RVTools3.xlsx', {
      vInfo: [
        ['VM', 'Powerstate', 'VM UUID'],
        ['app-001', 'poweredOn', '5003a1b2-0000-0000-0000-000000000001'],
      ],
      // prettier-ignore
      dvSwitch: [
        ['Switch', 'Datacenter', 'Name', 'Vendor', 'Version', 'Host members', 'Max Ports', '# Ports',
          'In Traffic Shaping', 'Max MTU', 'VI SDK Server', 'VI SDK UUID'],
        ['dvSwitch0', 'DC1', 'DVS', 'VMware', '6.5.0', 'esx1, esx2', 1024, 12, 'False', 1500,
          SERVER, ''],
      ],
      // prettier-ignore
      dvPort: [
        ['Port', 'Switch', 'Type', '# Ports', 'VLAN', 'Speed', 'Full Duplex', 'Blocked',
          'Allow Promiscuous', 'VI SDK Server'],
        ['pg-web', 'dvSwitch0', 'earlyBinding', 8, 30, '', '', 'False', 'True', SERVER],
      ],
      // prettier-ignore
      vDatastore: [
        ['Name', 'Capacity MB', 'Free MB', 'Cluster name', 'Cluster capacity MB',
          'Cluster free space MB', 'VI SDK Server'],
        ['ds1', 4096, 1024, 'POD3', 8192, 2048, SERVER],
      ],
    });
    const inv = await readRvtoolsWorkbook(file);
    const [sw] = all(inv, 'dvSwitch');
    expect(sw).toMatchObject({ id: 'dvSwitch0', name: 'dvSwitch0' });
    expect(sw!.fields).toMatchObject({
      datacenterId: 'DC1',
      hostIds: ['esx1', 'esx2'],
      maxPorts: 1024,
      numPorts: 12,
      inShaping: false,
      maxMtu: 1500,
    });
    const [pg] = all(inv, 'network');
    expect(pg).toMatchObject({ id: 'pg-web', name: 'pg-web' });
    expect(pg!.fields).toMatchObject({
      switchId: 'dvSwitch0',
      vlanId: '30',
      allowPromiscuous: true,
    });
    expect(all(inv, 'datastoreCluster').map((p) => [p.name, p.fields])).toEqual([
      ['POD3', { capacityBytes: 8192 * MIB, freeBytes: 2048 * MIB }],
    ]);
    expect(all(inv, 'datastore')[0]!.fields).toMatchObject({
      capacityBytes: 4096 * MIB,
      datastoreClusterId: 'POD3',
    });
  });
});

describe('RVTools import: without the network sheets', () => {
  it('a workbook without dvSwitch, dvPort or cluster columns holds none of those objects', async () => {
    const file = write('vinfo-only.xlsx', {
      vInfo: VINFO,
      vDatastore: [
        ['Name', 'Capacity MiB', 'VI SDK Server'],
        ['ds1', 100, SERVER],
      ],
    });
    const inv = await readRvtoolsWorkbook(file);
    for (const type of ['dvSwitch', 'network', 'datastoreCluster'] as const) {
      expect(inv.count(type), type).toBe(0);
      expect(inv.fieldsOf(type), type).toEqual([]);
    }
    expect(inv.fieldsOf('datastore')).not.toContain('datastoreClusterId');
  });
});

describe.each(ENGINES)('RVTools import into a %s store', (engine) => {
  const core = coreEachTest(engine);

  it('saves what the reader reads: the same records and server facts, read back from the store', async () => {
    await expectImportSavesWhatItReads(core(), workbook4x(), [
      'vm',
      'host',
      'dvSwitch',
      'network',
      'datastore',
      'datastoreCluster',
    ]);
  });

  it('refuses the workbook with a typed error naming dvPort and saves nothing', async () => {
    const h = core();
    const marker = 987_654_321_123;
    const file = write('broken.xlsx', {
      vInfo: VINFO,
      dvPort: [
        ['Port', 'Switch', '# Ports', 'Object ID'],
        ['Prod', 'DSwitch', marker, 'dvportgroup-40'],
      ],
    });
    await expectBrokenSheetSavesNothing(h, file, marker, 'dvPort');
  });
});

describe('dvPort VLAN forms', () => {
  it('read back to what the collector stores: an id, a trunk’s ranges', () => {
    for (const stored of ['0', '120', 'trunk:0-4094', 'trunk:10-20,30-40']) {
      const cell = rvVlan(stored);
      expect(storedVlan(cell === null || cell === undefined ? null : String(cell))).toBe(stored);
    }
    // A private VLAN is written as its id: the workbook cannot tell it from a VLAN id.
    expect(storedVlan(String(rvVlan('pvlan:7')))).toBe('7');
    expect(storedVlan(' 10-20, 30-40 ')).toBe('trunk:10-20,30-40');
    expect(storedVlan('')).toBeNull();
  });
});
