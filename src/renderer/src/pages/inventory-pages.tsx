import type { ReactElement } from 'react';
import type { QueryKind } from '../../../shared/query.js';
import { InventoryTable } from '../components/inventory-table.js';

const NO_DATA = 'No inventory yet. Add an endpoint on the Endpoints page and sync it.';

interface TableDef {
  readonly kind: QueryKind;
  readonly title: string;
  readonly noun: string;
  readonly columns: readonly string[];
  readonly emptyHint: string;
}

/** The default columns of each inventory table; the rest are a click away in the column chooser. */
export const TABLES = {
  vms: {
    kind: 'vms',
    title: 'Virtual machines',
    noun: 'VMs',
    emptyHint: NO_DATA,
    columns: [
      'name',
      'powerState',
      'endpoint',
      'cluster',
      'host',
      'guestOs',
      'ipAddress',
      'cpuCount',
      'memoryMb',
      'provisionedBytes',
      'usedBytes',
      'snapshotCount',
      'lastSeen',
    ],
  },
  hosts: {
    kind: 'hosts',
    title: 'Hosts',
    noun: 'hosts',
    emptyHint: NO_DATA,
    columns: [
      'name',
      'connectionState',
      'powerState',
      'inMaintenance',
      'endpoint',
      'cluster',
      'model',
      'cpuCores',
      'cpuUsageMhz',
      'memoryBytes',
      'memoryUsageBytes',
      'vmCount',
      'version',
      'lastSeen',
    ],
  },
  clusters: {
    kind: 'clusters',
    title: 'Clusters',
    noun: 'clusters',
    emptyHint: NO_DATA,
    columns: [
      'name',
      'endpoint',
      'datacenter',
      'haEnabled',
      'drsEnabled',
      'hostCount',
      'vmCount',
      'totalCpuMhz',
      'totalMemoryBytes',
      'overallStatus',
    ],
  },
  datastores: {
    kind: 'datastores',
    title: 'Datastores',
    noun: 'datastores',
    emptyHint: NO_DATA,
    columns: [
      'name',
      'endpoint',
      'type',
      'capacityBytes',
      'freeBytes',
      'usedPercent',
      'provisionedBytes',
      'hostCount',
      'vmCount',
      'accessible',
    ],
  },
  networks: {
    kind: 'networks',
    title: 'Networks',
    noun: 'networks',
    emptyHint: NO_DATA,
    columns: ['name', 'endpoint', 'networkType', 'switchName', 'vlanId', 'vmCount', 'hostCount'],
  },
  'resource-pools': {
    kind: 'resource-pools',
    title: 'Resource pools',
    noun: 'resource pools',
    emptyHint: NO_DATA,
    columns: [
      'name',
      'endpoint',
      'cluster',
      'parent',
      'cpuReservationMhz',
      'cpuLimitMhz',
      'memoryReservationMb',
      'memoryLimitMb',
    ],
  },
  snapshots: {
    kind: 'snapshots',
    title: 'Snapshots',
    noun: 'snapshots',
    emptyHint: 'No snapshots. VMs with snapshots show them here, oldest first.',
    columns: [
      'vm',
      'name',
      'createdAt',
      'sizeBytes',
      'isCurrent',
      'quiesced',
      'description',
      'endpoint',
    ],
  },
  changes: {
    kind: 'changes',
    title: 'Changes',
    noun: 'changes',
    emptyHint: 'No changes recorded yet.',
    columns: [
      'at',
      'endpoint',
      'entityType',
      'name',
      'kind',
      'field',
      'oldValue',
      'newValue',
      'user',
    ],
  },
} as const satisfies Record<string, TableDef>;

export type TablePage = keyof typeof TABLES;

export function isTablePage(page: string): page is TablePage {
  return Object.prototype.hasOwnProperty.call(TABLES, page);
}

/** One inventory table page; keyed by kind so switching pages starts a fresh table. */
export function InventoryPage({ page }: { page: TablePage }): ReactElement {
  const t: TableDef = TABLES[page];
  return (
    <InventoryTable
      key={t.kind}
      kind={t.kind}
      title={t.title}
      noun={t.noun}
      columns={t.columns}
      emptyHint={t.emptyHint}
    />
  );
}
