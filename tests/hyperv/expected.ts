/**
 * What the store must hold after a full collection of each fixture, worked out by hand from the
 * fixture files (not from the mapper): query rows by kind and id (a partial row each), plus
 * fields the list queries do not show, read from the tables.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { queryInventory } from '../../src/core/inventory/query.js';
import type { Database } from '../../src/core/store/schema.js';
import type { QueryKind } from '../../src/shared/query.js';

type Rows = Record<string, Record<string, unknown>>;

export interface Expected {
  readonly query: Record<string, Rows>;
  /** Table columns by table and native id (fields outside the list queries). */
  readonly tables: Record<string, Rows>;
}

const WEB01 = '9f2d0c1e-5a6b-4c7d-8e9f-0a1b2c3d4e01';
const DB01 = '9f2d0c1e-5a6b-4c7d-8e9f-0a1b2c3d4e02';
const SCRATCH = '9f2d0c1e-5a6b-4c7d-8e9f-0a1b2c3d4e03';
const STUCK = '9f2d0c1e-5a6b-4c7d-8e9f-0a1b2c3d4e04';
const D_VOL = '1b2c3d4e-0000-4000-8000-000000000002';
const SMB = 'smb:\\\\fs01\\vmstore';

/** standalone-ps51.json, collected as endpoint "hv-lab". */
export const STANDALONE: Expected = {
  query: {
    datacenters: { datacenter: { name: 'hv-lab' } },
    clusters: {},
    hosts: {
      hv01: {
        name: 'hv01.corp.example',
        datacenter: 'hv-lab',
        cluster: null,
        connectionState: 'connected',
        powerState: 'poweredOn',
        inMaintenance: false,
        vendor: 'Dell Inc.',
        model: 'PowerEdge R740',
        cpuModel: 'Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz',
        cpuSockets: 2,
        cpuCores: 16,
        cpuMhz: 2100,
        memoryBytes: 274877906944,
        // 16 cores × 2100 MHz × mean(10 %, 30 %)
        cpuUsageMhz: 6720,
        // (TotalVisibleMemorySize − FreePhysicalMemory) KB
        memoryUsageBytes: 137438953472,
        productName: 'Microsoft Windows Server 2019 Datacenter',
        version: '10.0.17763',
        build: '17763',
        uptimeSeconds: 1_000_000,
        overallStatus: 'green',
      },
    },
    datastores: {
      [D_VOL]: {
        name: 'HV01 D: (VMs)',
        type: 'ReFS',
        url: 'D:\\',
        capacityBytes: 2199023255552,
        freeBytes: 1099511627776,
        accessible: true,
        maintenanceMode: 'normal',
        vmCount: 3,
        hostCount: 1,
      },
      [SMB]: { name: '\\\\fs01\\VMStore', type: 'SMB', capacityBytes: null, vmCount: 2 },
    },
    networks: {
      'vmswitch:External': {
        name: 'External',
        networkType: 'hyperv-switch',
        switchName: 'External',
        vlanId: null,
        vmCount: 0,
      },
      'vmswitch:External/vlan:20': {
        name: 'External VLAN 20',
        networkType: 'hyperv-switch',
        switchName: 'External',
        vlanId: '20',
        vmCount: 1,
      },
      'vmswitch:Private Lab': { name: 'Private Lab', switchName: 'Private Lab', vmCount: 1 },
    },
    vms: {
      [WEB01]: {
        name: 'web01',
        powerState: 'poweredOn',
        connectionState: 'connected',
        datacenter: 'hv-lab',
        cluster: null,
        host: 'hv01.corp.example',
        ipAddress: '10.0.10.21',
        cpuCount: 4,
        memoryMb: 4096,
        provisionedBytes: 137438953472 + 53687091200,
        usedBytes: 21474836480 + 53691285504,
        datastores: ['HV01 D: (VMs)', '\\\\fs01\\VMStore'],
        networks: ['External VLAN 20'],
        uuid: WEB01,
        toolsStatus: 'Up to date',
        toolsVersion: null,
        hardwareVersion: '9.0',
        annotation: "Front end — owner: O'Brien <web team> & ops",
        cpuUsageMhz: 1680,
        memoryUsageMb: 4096,
        nicCount: 1,
        diskCount: 2,
        snapshotCount: 0,
        vmPathName: 'D:\\Hyper-V\\web01',
      },
      [DB01]: {
        name: 'db01',
        powerState: 'suspended',
        ipAddress: null,
        cpuCount: 8,
        memoryMb: 8192,
        provisionedBytes: 42949672960,
        usedBytes: 1073741824,
        datastores: ['HV01 D: (VMs)'],
        networks: ['Private Lab'],
        toolsStatus: 'Update required',
        toolsVersion: '6.3.9600.18080',
        hardwareVersion: '8.0',
        annotation: null,
        cpuUsageMhz: 0,
        memoryUsageMb: 0,
        nicCount: 1,
        diskCount: 2,
        snapshotCount: 3,
      },
      [SCRATCH]: {
        name: 'scratch',
        powerState: 'poweredOff',
        provisionedBytes: 10737418240,
        usedBytes: 10741612544,
        networks: [],
        nicCount: 0,
        diskCount: 1,
        toolsStatus: null,
      },
      [STUCK]: {
        name: 'stuck',
        powerState: 'OffCritical',
        connectionState: 'inaccessible',
        provisionedBytes: null,
        datastores: ['\\\\fs01\\VMStore'],
        diskCount: 0,
        nicCount: 0,
      },
    },
    disks: {
      [`${WEB01}/disk-scsi0-0`]: {
        vmId: WEB01,
        capacityBytes: 137438953472,
        thin: true,
        diskMode: 'dynamic',
        datastore: 'HV01 D: (VMs)',
        controller: 'scsi0',
        fileName: 'D:\\Hyper-V\\Virtual Hard Disks\\web01.vhdx',
      },
      [`${WEB01}/disk-scsi0-1`]: {
        capacityBytes: 53687091200,
        thin: false,
        diskMode: 'fixed',
        datastore: '\\\\fs01\\VMStore',
      },
      [`${DB01}/disk-ide0-0`]: {
        label: 'Hard Drive on IDE controller number 0 at location 0',
        capacityBytes: 42949672960,
        thin: true,
        diskMode: 'differencing',
        controller: 'ide0',
      },
      [`${DB01}/disk-scsi0-0`]: {
        capacityBytes: null,
        thin: null,
        diskMode: 'passthrough',
        datastore: null,
        fileName: 'Disk 3 2.00 TB Bus 0 Lun 3 Target 0',
      },
      [`${SCRATCH}/disk-scsi0-0`]: { diskMode: 'fixed', thin: false, capacityBytes: 10737418240 },
    },
    nics: {
      [`${WEB01}/nic-6a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9`]: {
        vmId: WEB01,
        label: 'Network Adapter',
        adapterType: 'synthetic',
        macAddress: '00:15:5d:01:02:03',
        network: 'External VLAN 20',
        connected: true,
        ipAddresses: ['fe80::1c2d:3e4f:5a6b:7c8d', '10.0.10.21'],
      },
      [`${DB01}/nic-1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7`]: {
        label: 'Legacy Network Adapter',
        adapterType: 'legacy',
        macAddress: null,
        network: 'Private Lab',
        ipAddresses: [],
      },
    },
    snapshots: {
      'c0000000-0000-4000-8000-0000000000c1': {
        name: 'before patch',
        vmId: DB01,
        parentId: null,
        description: 'baseline',
        createdAt: '2022-04-15T05:20:00.000Z',
        powerState: 'poweredOff',
        isCurrent: false,
      },
      'c0000000-0000-4000-8000-0000000000c2': {
        name: 'after patch',
        parentId: 'c0000000-0000-4000-8000-0000000000c1',
        description: null,
        createdAt: '2022-08-08T23:06:40.000Z',
        powerState: 'poweredOn',
        isCurrent: false,
      },
      'c0000000-0000-4000-8000-0000000000c3': {
        name: 'db01 - (11/14/2023 - 9:00:00 PM)',
        parentId: 'c0000000-0000-4000-8000-0000000000c2',
        createdAt: '2023-11-14T21:00:00.000Z',
        powerState: 'suspended',
        isCurrent: true,
      },
    },
  },
  tables: {
    host: {
      hv01: {
        serial_number: '7XK2L93',
        cpu_threads: 32,
        boot_time: '2023-11-03T08:26:40.000Z',
        tags: JSON.stringify([
          'Hyper-V/10.0.17763.1',
          'VirtualMachinePath/D:\\Hyper-V',
          'VirtualHardDiskPath/D:\\Hyper-V\\Virtual Hard Disks',
        ]),
      },
    },
    network: {
      'vmswitch:External': {
        switch_id: 'a1b2c3d4-1111-4111-8111-000000000001',
        host_ids: '["hv01"]',
        tags: JSON.stringify([
          'Adapter/Intel(R) Ethernet 10G 2P X520 Adapter',
          'SwitchType/External',
        ]),
      },
      'vmswitch:Private Lab': { tags: '["SwitchType/Private"]' },
    },
    vm: {
      [WEB01]: {
        generation: 2,
        firmware: 'efi',
        cdrom_connected: 1,
        overall_status: 'yellow',
        uptime_seconds: 86412,
        tools_running_status: 'OK',
        uncommitted_bytes: 137438953472 - 21474836480,
        ip_addresses: JSON.stringify(['fe80::1c2d:3e4f:5a6b:7c8d', '10.0.10.21']),
        custom_attributes: JSON.stringify({
          'Replication mode': 'Primary',
          'Replication state': 'Replicating',
          'Replication health': 'Warning',
          'Integration services':
            'Guest Service Interface: off; Heartbeat: OK; Key-Value Pair Exchange: OK; Shutdown: OK; Time Synchronization: OK; VSS: OK',
        }),
      },
      [DB01]: {
        generation: 1,
        firmware: 'bios',
        cdrom_connected: 0,
        overall_status: 'green',
        tools_running_status: 'No Contact',
        custom_attributes: JSON.stringify({
          'Dynamic memory': '2048 MB – 16384 MB',
          'Integration services': 'Heartbeat: No Contact; Shutdown: No Contact',
        }),
      },
      [SCRATCH]: { uncommitted_bytes: 0, custom_attributes: '{}' },
      [STUCK]: { overall_status: 'red' },
    },
  },
};

const CLU = '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f70001';
const CSV1 = 'd1000000-0000-4000-8000-000000000001';
const CSV2 = 'd1000000-0000-4000-8000-000000000002';
const FILES = 'f0000000-0000-4000-8000-000000000001';
const UNI = 'f0000000-0000-4000-8000-000000000002';
const SQL = 'f0000000-0000-4000-8000-000000000003';
const ISO = 'f0000000-0000-4000-8000-000000000004';
const TRUNK = 'vmswitch:ConvergedSwitch/vlan:trunk:100-110,200 native 1';

/** cluster-ps7.json, collected as endpoint "hv-clu". */
export const CLUSTER: Expected = {
  query: {
    datacenters: { datacenter: { name: 'hv-clu' } },
    clusters: {
      [CLU]: {
        name: 'HVCLU01',
        datacenter: 'hv-clu',
        haEnabled: true,
        drsEnabled: true,
        drsBehavior: 'always',
        hostCount: 3,
        // Collected nodes (HVC01, HVC02): 2 × 64 cores × 2800 MHz, 2 × 512 GiB.
        totalCpuMhz: 358400,
        totalMemoryBytes: 2 * 549755813888,
        overallStatus: 'yellow',
      },
    },
    hosts: {
      hvc01: {
        name: 'hvc01.corp.example',
        cluster: 'HVCLU01',
        connectionState: 'connected',
        powerState: 'poweredOn',
        inMaintenance: false,
        cpuCores: 64,
        // 64 × 2800 × mean(40 %, 60 %)
        cpuUsageMhz: 89600,
        memoryUsageBytes: 268435456 * 1024,
        // 2023-11-14T22:13:20.5Z − 2023-11-01T07:00:00Z
        uptimeSeconds: 1178000,
        overallStatus: 'green',
      },
      hvc02: {
        name: 'hvc02.corp.example',
        cluster: 'HVCLU01',
        connectionState: 'connected',
        inMaintenance: true,
        cpuUsageMhz: 0,
        overallStatus: 'yellow',
      },
      hvc03: {
        name: 'hvc03.corp.example',
        cluster: 'HVCLU01',
        connectionState: 'notResponding',
        powerState: 'unknown',
        inMaintenance: false,
        cpuCores: null,
        overallStatus: 'red',
      },
    },
    datastores: {
      [CSV1]: {
        name: 'Cluster Disk 1',
        type: 'CSV',
        url: 'C:\\ClusterStorage\\Volume1',
        capacityBytes: 4398046511104,
        freeBytes: 1649267441664,
        maintenanceMode: 'normal',
        accessible: true,
        hostCount: 3,
        vmCount: 2,
      },
      [CSV2]: {
        name: 'Cluster Disk 2',
        url: 'C:\\ClusterStorage\\Volume2',
        capacityBytes: 1099511627776,
        maintenanceMode: 'redirectedAccess',
        vmCount: 3,
      },
    },
    networks: {
      'vmswitch:ConvergedSwitch': { name: 'ConvergedSwitch', vlanId: null, vmCount: 1 },
      'vmswitch:ConvergedSwitch/vlan:20': {
        name: 'ConvergedSwitch VLAN 20',
        vlanId: '20',
        vmCount: 2,
      },
      [TRUNK]: {
        name: 'ConvergedSwitch trunk:100-110,200 native 1',
        vlanId: 'trunk:100-110,200 native 1',
        vmCount: 1,
      },
    },
    vms: {
      [FILES]: {
        name: 'ファイルサーバー01',
        powerState: 'poweredOn',
        heartbeat: 'OK',
        // Dynamic memory: up to its maximum (32 GiB), 12 GiB assigned now.
        memoryMaxMb: 32768,
        memoryConsumedMb: 12288,
        cluster: 'HVCLU01',
        host: 'hvc01.corp.example',
        ipAddress: '10.20.0.11',
        memoryMb: 16384,
        memoryUsageMb: 12288,
        // 12 % of 64 × 2800 MHz
        cpuUsageMhz: 21504,
        datastores: ['Cluster Disk 1'],
        networks: ['ConvergedSwitch trunk:100-110,200 native 1'],
        annotation: 'Dateiablage für München — 日本語メモ',
      },
      [UNI]: {
        name: 'Ünïcödé app',
        powerState: 'suspended',
        createdAt: '2023-01-01T00:00:00.000Z',
        // Fixed memory (no dynamic memory): its most is its startup size, and all of it assigned.
        memoryMaxMb: 4096,
        memoryConsumedMb: 4096,
        host: 'hvc01.corp.example',
        datastores: ['Cluster Disk 2'],
        networks: ['ConvergedSwitch VLAN 20'],
        annotation: null,
      },
      [SQL]: {
        name: 'sql-ß',
        powerState: 'poweredOn',
        host: 'hvc02.corp.example',
        ipAddress: '10.20.20.5',
        cpuCount: 16,
        provisionedBytes: 107374182400 + 1099511627776,
        usedBytes: 107378376704 + 536870912000,
        datastores: ['Cluster Disk 1', 'Cluster Disk 2'],
        networks: ['ConvergedSwitch', 'ConvergedSwitch VLAN 20'],
        nicCount: 2,
        diskCount: 2,
      },
      [ISO]: {
        name: 'isolated',
        powerState: 'poweredOff',
        host: 'hvc02.corp.example',
        provisionedBytes: null,
        usedBytes: null,
        datastores: ['Cluster Disk 2'],
        networks: [],
        nicCount: 0,
        diskCount: 0,
      },
    },
    disks: {
      [`${FILES}/disk-scsi0-0`]: { datastore: 'Cluster Disk 1', diskMode: 'dynamic' },
      [`${UNI}/disk-scsi0-0`]: { datastore: 'Cluster Disk 2' },
      [`${SQL}/disk-scsi0-0`]: { datastore: 'Cluster Disk 1', diskMode: 'fixed', thin: false },
      [`${SQL}/disk-scsi0-1`]: { datastore: 'Cluster Disk 2', capacityBytes: 1099511627776 },
    },
    nics: {
      [`${FILES}/nic-a0000000-0000-4000-8000-000000000001`]: {
        macAddress: '00:15:5d:0a:00:01',
        network: 'ConvergedSwitch trunk:100-110,200 native 1',
      },
      [`${UNI}/nic-a0000000-0000-4000-8000-000000000002`]: {
        network: 'ConvergedSwitch VLAN 20',
        ipAddresses: [],
      },
      [`${SQL}/nic-a0000000-0000-4000-8000-000000000003`]: {
        label: 'Network Adapter',
        network: 'ConvergedSwitch VLAN 20',
        connected: true,
      },
      [`${SQL}/nic-a0000000-0000-4000-8000-000000000004`]: {
        label: 'Backup',
        network: 'ConvergedSwitch',
        connected: false,
        ipAddresses: ['192.168.50.5', 'fe80::215:5dff:fe0b:4'],
      },
    },
    snapshots: {},
  },
  tables: {
    host: {
      hvc01: { boot_time: '2023-11-01T07:00:00.000Z', serial_number: 'CZ2D1F0ABC' },
      hvc03: { datastore_ids: JSON.stringify([CSV1, CSV2]) },
    },
    cluster: {
      [CLU]: { effective_host_count: 1, effective_cpu_mhz: 179200 },
    },
    datastore: { [CSV1]: { host_ids: '["hvc01","hvc02","hvc03"]' } },
    network: {
      'vmswitch:ConvergedSwitch': {
        host_ids: '["hvc01","hvc02"]',
        switch_id: 'e1000000-0000-4000-8000-0000000000c1',
      },
      'vmswitch:ConvergedSwitch/vlan:20': { host_ids: '["hvc01","hvc02"]' },
    },
    vm: {
      [SQL]: { overall_status: 'red', tools_running_status: 'Lost Communication' },
      [FILES]: {
        custom_attributes: JSON.stringify({
          'Dynamic memory': '4096 MB – 32768 MB',
          'Replication mode': 'Primary',
          'Replication state': 'Replicating',
          'Replication health': 'Normal',
          'Integration services': 'Heartbeat: OK',
          Clustered: 'yes',
        }),
      },
    },
  },
};

/** Checks the store against the expectation: the exact id set per kind, and each row's fields. */
/** Relation columns of the expectations, by table: the relation kind that holds them. */
const RELATION_COLUMNS: Record<string, Record<string, string>> = {
  host: { datastore_ids: 'host.datastoreIds', network_ids: 'host.networkIds' },
  vm: { datastore_ids: 'vm.datastoreIds', network_ids: 'vm.networkIds' },
  datastore: { host_ids: 'datastore.hostIds' },
  network: { host_ids: 'network.hostIds' },
};

/** The expected columns of a row without its relation lists (checked against relation rows). */
function withRelations(table: string, cols: Record<string, unknown>): Record<string, unknown> {
  const relations = RELATION_COLUMNS[table] ?? {};
  return Object.fromEntries(Object.entries(cols).filter(([c]) => !(c in relations)));
}

export async function expectStore(db: Kysely<Database>, expected: Expected): Promise<void> {
  for (const [kind, rows] of Object.entries(expected.query)) {
    const r = await queryInventory(db, { kind: kind as QueryKind, limit: 10_000 } as never);
    const byId = new Map(r.rows.map((row) => [String(row['id']), row]));
    expect([...byId.keys()].sort(), kind).toEqual(Object.keys(rows).sort());
    for (const [id, row] of Object.entries(rows))
      expect(byId.get(id), `${kind} ${id}`).toMatchObject(row);
  }
  for (const [table, rows] of Object.entries(expected.tables)) {
    for (const [id, cols] of Object.entries(rows)) {
      const found = await sql<
        Record<string, unknown>
      >`SELECT * FROM ${sql.table(table)} WHERE native_id = ${id}`.execute(db);
      expect(found.rows[0], `${table} ${id}`).toMatchObject(withRelations(table, cols));
      // Relation lists (`host_ids`...) live in the relation table: compare them as stored there.
      for (const [column, kind] of Object.entries(RELATION_COLUMNS[table] ?? {})) {
        if (!(column in cols)) continue;
        const related = await sql<{ to_id: string }>`SELECT to_id FROM relation
          WHERE kind = ${kind} AND from_id = ${id} ORDER BY to_id`.execute(db);
        expect(JSON.stringify(related.rows.map((r) => r.to_id)), `${table} ${id} ${column}`).toBe(
          cols[column],
        );
      }
    }
  }
}
