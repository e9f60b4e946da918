import type { EntityRecord, RecordOf, SourceEndpoint } from '../records.js';
import { fieldOf } from '../records.js';
import { records } from '../source.js';
import type { AnySheet, RvColumn, WorkbookData } from './table.js';
import { bool, col, ids, mib, none, num, ratio, sdkUuid, serverType, sheet, str } from './table.js';
import { vmFacts } from './vm-facts.js';

/*
 * The sheets after the VM sheets, in RVTools' order: vSource, vRP, vCluster, vHost, vSwitch,
 * vPort, dvSwitch, dvPort, vDatastore.
 */

const f = fieldOf;

/** The two columns every non-VM sheet ends with. */
function sdkTail<T>(ep: (row: T) => SourceEndpoint): RvColumn<T>[] {
  return [
    col<T>('VI SDK Server', 'text', 'the endpoint’s host name', (r) => ep(r).host, { width: 24 }),
    col<T>('VI SDK UUID', 'text', 'ServiceContent.about.instanceUuid', (r) => sdkUuid(ep(r)), {
      width: 38,
    }),
  ];
}
const epOf = (r: EntityRecord): SourceEndpoint => r.ep;

const vSource = sheet<SourceEndpoint>({
  name: 'vSource',
  count: (wb) => wb.source.endpoints.length,
  rows: (wb) => wb.source.endpoints,
  columns: () => [
    col('Name', 'text', 'ServiceContent.about.name', (e) => e.about?.name ?? e.host, { width: 24 }),
    col('OS type', 'text', 'ServiceContent.about.osType', (e) => e.about?.osType ?? null),
    col(
      'API type',
      'text',
      'ServiceContent.about.apiType',
      (e) => e.about?.apiType ?? serverType(e.kind),
    ),
    col(
      'API version',
      'text',
      'ServiceContent.about.apiVersion',
      (e) => e.about?.apiVersion ?? null,
    ),
    col('Version', 'text', 'ServiceContent.about.version', (e) => e.about?.version ?? null),
    none(
      'Patch level',
      'text',
      'Not in the vSphere API: RVTools derives it from a build-number table of its own.',
    ),
    col('Build', 'text', 'ServiceContent.about.build', (e) => e.about?.build ?? null),
    col('Fullname', 'text', 'ServiceContent.about.fullName', (e) => e.about?.fullName ?? null, {
      width: 40,
    }),
    col('Product name', 'text', 'ServiceContent.about.name', (e) => e.about?.name ?? null, {
      width: 30,
    }),
    col('Product version', 'text', 'ServiceContent.about.version', (e) => e.about?.version ?? null),
    col(
      'Product line',
      'text',
      'ServiceContent.about.productLineId',
      (e) => e.about?.productLineId ?? null,
    ),
    col('Vendor', 'text', 'ServiceContent.about.vendor', (e) => e.about?.vendor ?? null),
    ...sdkTail<SourceEndpoint>((e) => e),
  ],
});

function rpPath(wb: WorkbookData, r: RecordOf<'resourcePool'>): string {
  const parts = [r.name];
  let cur: RecordOf<'resourcePool'> | undefined = r;
  for (let i = 0; i < 64 && cur; i++) {
    cur = wb.lookups.record(r.ep, 'resourcePool', f(cur, 'parentId'));
    if (cur) parts.unshift(cur.name);
  }
  return `/${parts.join('/')}`;
}

const vRP = sheet<RecordOf<'resourcePool'>>({
  name: 'vRP',
  entity: 'resourcePool',
  count: (wb) => wb.count('resourcePool'),
  rows: (wb) => records(wb.source, 'resourcePool'),
  columns: (wb) => {
    const { rpVms } = vmFacts(wb);
    return [
      col('Resource Pool name', 'text', 'name', (r) => r.name, { width: 24 }),
      col('Resource Pool path', 'text', 'parent chain of names', (r) => rpPath(wb, r), {
        width: 36,
      }),
      col('Status', 'text', 'overallStatus', (r) => str(f(r, 'overallStatus')), {
        binding: { field: 'overallStatus', read: 'text' },
      }),
      col('# VMs', 'int', 'count of vm', (r) => rpVms.get(r.ep, r.id) ?? 0),
      col('CPU limit', 'int', 'config.cpuAllocation.limit', (r) => num(f(r, 'cpuLimitMhz')), {
        binding: { field: 'cpuLimitMhz', read: 'num' },
      }),
      col(
        'CPU reservation',
        'int',
        'config.cpuAllocation.reservation',
        (r) => num(f(r, 'cpuReservationMhz')),
        {
          binding: { field: 'cpuReservationMhz', read: 'num' },
        },
      ),
      col(
        'CPU shares',
        'int',
        'config.cpuAllocation.shares.shares',
        (r) => num(f(r, 'cpuShares')),
        {
          binding: { field: 'cpuShares', read: 'num' },
        },
      ),
      col('Mem limit', 'int', 'config.memoryAllocation.limit', (r) => num(f(r, 'memoryLimitMb')), {
        binding: { field: 'memoryLimitMb', read: 'num' },
      }),
      col(
        'Mem reservation',
        'int',
        'config.memoryAllocation.reservation',
        (r) => num(f(r, 'memoryReservationMb')),
        {
          binding: { field: 'memoryReservationMb', read: 'num' },
        },
      ),
      col(
        'Mem shares',
        'int',
        'config.memoryAllocation.shares.shares',
        (r) => num(f(r, 'memoryShares')),
        {
          binding: { field: 'memoryShares', read: 'num' },
        },
      ),
      col('Object ID', 'text', 'the pool’s managed object id', (r) => r.id),
      ...sdkTail(epOf),
    ];
  },
});

const vCluster = sheet<RecordOf<'cluster'>>({
  name: 'vCluster',
  entity: 'cluster',
  count: (wb) => wb.count('cluster'),
  rows: (wb) => records(wb.source, 'cluster'),
  columns: () => [
    col('Name', 'text', 'name', (r) => r.name, { width: 24 }),
    col('OverallStatus', 'text', 'overallStatus', (r) => str(f(r, 'overallStatus')), {
      binding: { field: 'overallStatus', read: 'text' },
    }),
    col('NumHosts', 'int', 'summary.numHosts', (r) => num(f(r, 'hostCount')), {
      binding: { field: 'hostCount', read: 'num' },
    }),
    col(
      'numEffectiveHosts',
      'int',
      'summary.numEffectiveHosts',
      (r) => num(f(r, 'effectiveHostCount')),
      {
        binding: { field: 'effectiveHostCount', read: 'num' },
      },
    ),
    col('TotalCpu', 'int', 'summary.totalCpu', (r) => num(f(r, 'totalCpuMhz')), {
      binding: { field: 'totalCpuMhz', read: 'num' },
    }),
    col('Effective Cpu', 'int', 'summary.effectiveCpu', (r) => num(f(r, 'effectiveCpuMhz')), {
      binding: { field: 'effectiveCpuMhz', read: 'num' },
    }),
    // RVTools writes both memory columns in MiB (summary.totalMemory is bytes).
    col(
      'TotalMemory',
      'int',
      'summary.totalMemory (bytes → MiB)',
      (r) => mib(num(f(r, 'totalMemoryBytes'))),
      {
        binding: { field: 'totalMemoryBytes', read: 'mib' },
      },
    ),
    col(
      'Effective Memory',
      'int',
      'summary.effectiveMemory (MiB)',
      (r) => mib(num(f(r, 'effectiveMemoryBytes'))),
      {
        binding: { field: 'effectiveMemoryBytes', read: 'mib' },
      },
    ),
    col('HA enabled', 'bool', 'configuration.dasConfig.enabled', (r) => bool(f(r, 'haEnabled')), {
      binding: { field: 'haEnabled', read: 'bool' },
    }),
    col('DRS enabled', 'bool', 'configuration.drsConfig.enabled', (r) => bool(f(r, 'drsEnabled')), {
      binding: { field: 'drsEnabled', read: 'bool' },
    }),
    col(
      'DRS default VM behavior',
      'text',
      'configuration.drsConfig.defaultVmBehavior',
      (r) => str(f(r, 'drsBehavior')),
      {
        binding: { field: 'drsBehavior', read: 'text' },
      },
    ),
    col('Object ID', 'text', 'the cluster’s managed object id', (r) => r.id),
    ...sdkTail(epOf),
  ],
});

const vHost = sheet<RecordOf<'host'>>({
  name: 'vHost',
  entity: 'host',
  count: (wb) => wb.count('host'),
  rows: (wb) => records(wb.source, 'host'),
  columns: (wb) => {
    const { lookups } = wb;
    const { hostAgg } = vmFacts(wb);
    const agg = (h: RecordOf<'host'>): ReturnType<typeof hostAgg.get> => hostAgg.get(h.ep, h.id);
    const cores = (h: RecordOf<'host'>): number | null => num(f(h, 'cpuCores'));
    return [
      col('Host', 'text', 'name', (r) => r.name, { width: 28 }),
      col('Datacenter', 'text', 'the host’s datacenter', (r) =>
        lookups.name(r.ep, 'datacenter', f(r, 'datacenterId')),
      ),
      col('Cluster', 'text', 'parent cluster', (r) =>
        lookups.name(r.ep, 'cluster', f(r, 'clusterId')),
      ),
      col(
        'in Maintenance Mode',
        'bool',
        'runtime.inMaintenanceMode',
        (r) => bool(f(r, 'inMaintenance')),
        {
          binding: { field: 'inMaintenance', read: 'bool' },
        },
      ),
      col('CPU Model', 'text', 'summary.hardware.cpuModel', (r) => str(f(r, 'cpuModel')), {
        width: 36,
        binding: { field: 'cpuModel', read: 'text' },
      }),
      col('Speed', 'int', 'summary.hardware.cpuMhz', (r) => num(f(r, 'cpuMhz')), {
        binding: { field: 'cpuMhz', read: 'num' },
      }),
      col('HT Available', 'bool', 'numCpuThreads > numCpuCores', (r) => {
        const t = num(f(r, 'cpuThreads'));
        const k = cores(r);
        return t === null || k === null ? null : t > k;
      }),
      col('# CPU', 'int', 'summary.hardware.numCpuPkgs', (r) => num(f(r, 'cpuSockets')), {
        binding: { field: 'cpuSockets', read: 'num' },
      }),
      col('Cores per CPU', 'int', 'numCpuCores / numCpuPkgs', (r) => {
        const s = num(f(r, 'cpuSockets'));
        const k = cores(r);
        return s && k !== null ? Math.round(k / s) : null;
      }),
      col('# Cores', 'int', 'summary.hardware.numCpuCores', cores, {
        binding: { field: 'cpuCores', read: 'num' },
      }),
      col('CPU usage %', 'pct', 'summary.quickStats.overallCpuUsage / (cpuMhz × cores)', (r) => {
        const mhz = num(f(r, 'cpuMhz'));
        const k = cores(r);
        return ratio(num(f(r, 'cpuUsageMhz')), mhz !== null && k !== null ? mhz * k : null);
      }),
      col(
        '# Memory',
        'int',
        'summary.hardware.memorySize (MiB)',
        (r) => mib(num(f(r, 'memoryBytes'))),
        {
          binding: { field: 'memoryBytes', read: 'mib' },
        },
      ),
      col('Memory usage %', 'pct', 'summary.quickStats.overallMemoryUsage / memorySize', (r) =>
        ratio(num(f(r, 'memoryUsageBytes')), num(f(r, 'memoryBytes'))),
      ),
      col('# VMs total', 'int', 'count of vm', (r) => agg(r)?.vmsTotal ?? 0),
      col('# VMs', 'int', 'count of powered-on vm', (r) => agg(r)?.vmsOn ?? 0),
      col('VMs per Core', 'num', 'powered-on VMs / cores', (r) =>
        ratio(agg(r)?.vmsOn ?? 0, cores(r), 1),
      ),
      col('# vCPUs', 'int', 'sum of powered-on VMs’ numCPU', (r) => agg(r)?.vcpusOn ?? 0),
      col('vCPUs per Core', 'num', 'vCPUs / cores', (r) =>
        ratio(agg(r)?.vcpusOn ?? 0, cores(r), 1),
      ),
      col('vRAM', 'int', 'sum of powered-on VMs’ memoryMB', (r) => agg(r)?.vramOn ?? 0),
      col('ESX Version', 'text', 'config.product.fullName', (r) => str(f(r, 'productName')), {
        width: 36,
        binding: { field: 'productName', read: 'text' },
      }),
      col('Boot time', 'date', 'runtime.bootTime', (r) => str(f(r, 'bootTime')), {
        binding: { field: 'bootTime', read: 'time' },
      }),
      col('Vendor', 'text', 'summary.hardware.vendor', (r) => str(f(r, 'vendor')), {
        binding: { field: 'vendor', read: 'text' },
      }),
      col('Model', 'text', 'summary.hardware.model', (r) => str(f(r, 'model')), {
        width: 24,
        binding: { field: 'model', read: 'text' },
      }),
      col(
        'Serial number',
        'text',
        'hardware.systemInfo.serialNumber',
        (r) => str(f(r, 'serialNumber')),
        {
          binding: { field: 'serialNumber', read: 'text' },
        },
      ),
      col('Object ID', 'text', 'the host’s managed object id', (r) => r.id),
      ...sdkTail(epOf),
    ];
  },
});

type Network = RecordOf<'network'>;

interface Networks {
  readonly dvPortgroups: Network[];
  readonly dvSwitches: DvSwitch[];
  readonly switchRows: HostNetwork[];
  readonly portRows: HostNetwork[];
}
interface DvSwitch {
  readonly ep: SourceEndpoint;
  readonly id: string;
  readonly name: string;
  readonly dc: string | null;
  readonly hosts: Set<string>;
}
/** A network as one host sees it (vSwitch and vPort list one row per host). */
interface HostNetwork {
  readonly n: Network;
  readonly host: RecordOf<'host'> | undefined;
  readonly hostId: string;
}

function networks(wb: WorkbookData): Networks {
  return wb.memo('networks', () => {
    const { lookups } = wb;
    const all = [...records(wb.source, 'network')];
    const dvPortgroups = all.filter((n) => f(n, 'networkType') === 'distributedPortgroup');
    const byId = new Map<SourceEndpoint, Map<string, DvSwitch>>();
    for (const pg of dvPortgroups) {
      const id = str(f(pg, 'switchId'));
      if (!id) continue;
      let m = byId.get(pg.ep);
      if (!m) byId.set(pg.ep, (m = new Map()));
      let sw = m.get(id);
      if (!sw) {
        sw = {
          ep: pg.ep,
          id,
          name: str(f(pg, 'switchName')) ?? id,
          dc: lookups.name(pg.ep, 'datacenter', f(pg, 'datacenterId')),
          hosts: new Set(),
        };
        m.set(id, sw);
      }
      for (const h of ids(f(pg, 'hostIds'))) sw.hosts.add(lookups.name(pg.ep, 'host', h) ?? h);
    }
    const perHost = (n: Network): HostNetwork[] =>
      ids(f(n, 'hostIds')).map((h) => ({
        n,
        host: lookups.record(n.ep, 'host', h),
        hostId: h,
      }));
    // Hyper-V virtual switches, one row per host that has the switch (RVTools' vSwitch).
    const switchRows = all.filter((n) => f(n, 'networkType') === 'hyperv-switch').flatMap(perHost);
    const portRows = all.filter((n) => f(n, 'networkType') === 'standard').flatMap(perHost);
    return {
      dvPortgroups,
      dvSwitches: [...byId.values()].flatMap((m) => [...m.values()]),
      switchRows,
      portRows,
    };
  });
}

function hostNetworkHead(wb: WorkbookData): RvColumn<HostNetwork>[] {
  return [
    col<HostNetwork>('Host', 'text', 'the host’s name', (p) => p.host?.name ?? p.hostId, {
      width: 28,
    }),
    col<HostNetwork>('Datacenter', 'text', 'the network’s datacenter', (p) =>
      wb.lookups.name(p.n.ep, 'datacenter', f(p.n, 'datacenterId')),
    ),
    col<HostNetwork>('Cluster', 'text', 'the host’s cluster', (p) =>
      p.host ? wb.lookups.name(p.n.ep, 'cluster', f(p.host, 'clusterId')) : null,
    ),
  ];
}
const hostNetworkEp = (p: HostNetwork): SourceEndpoint => p.n.ep;

const vSwitch = sheet<HostNetwork>({
  name: 'vSwitch',
  count: (wb) => networks(wb).switchRows.length,
  rows: (wb) => networks(wb).switchRows,
  columns: (wb) => [
    ...hostNetworkHead(wb),
    col<HostNetwork>(
      'Switch',
      'text',
      'config.network.vswitch[].name',
      (p) => str(f(p.n, 'switchName')) ?? p.n.name,
      { width: 24 },
    ),
    ...sdkTail(hostNetworkEp),
  ],
});

const vPort = sheet<HostNetwork>({
  name: 'vPort',
  count: (wb) => networks(wb).portRows.length,
  rows: (wb) => networks(wb).portRows,
  columns: (wb) => [
    ...hostNetworkHead(wb),
    col<HostNetwork>(
      'Port Group',
      'text',
      'config.network.portgroup[].spec.name',
      (p) => p.n.name,
      { width: 24 },
    ),
    col<HostNetwork>('Switch', 'text', 'config.network.portgroup[].spec.vswitchName', (p) =>
      str(f(p.n, 'switchName')),
    ),
    col<HostNetwork>('VLAN', 'text', 'config.network.portgroup[].spec.vlanId', (p) =>
      str(f(p.n, 'vlanId')),
    ),
    ...sdkTail(hostNetworkEp),
  ],
});

const dvSwitch = sheet<DvSwitch>({
  name: 'dvSwitch',
  count: (wb) => networks(wb).dvSwitches.length,
  rows: (wb) => networks(wb).dvSwitches,
  columns: () => [
    col<DvSwitch>('Switch', 'text', 'DistributedVirtualSwitch name', (s) => s.name, { width: 24 }),
    col<DvSwitch>('Datacenter', 'text', 'the switch’s datacenter', (s) => s.dc),
    col<DvSwitch>(
      'Host members',
      'text',
      'the portgroups’ hosts',
      (s) => [...s.hosts].sort().join(', '),
      { width: 40 },
    ),
    col<DvSwitch>('Object ID', 'text', 'the switch’s managed object id', (s) => s.id),
    ...sdkTail<DvSwitch>((s) => s.ep),
  ],
});

const dvPort = sheet<RecordOf<'network'>>({
  name: 'dvPort',
  count: (wb) => networks(wb).dvPortgroups.length,
  rows: (wb) => networks(wb).dvPortgroups,
  columns: () => [
    col('Port', 'text', 'DistributedVirtualPortgroup name', (r) => r.name, { width: 24 }),
    col(
      'Switch',
      'text',
      'config.distributedVirtualSwitch → name',
      (r) => str(f(r, 'switchName')),
      { width: 24 },
    ),
    col('VLAN', 'text', 'config.defaultPortConfig.vlan', (r) => str(f(r, 'vlanId'))),
    col('Object ID', 'text', 'the portgroup’s managed object id', (r) => r.id),
    ...sdkTail(epOf),
  ],
});

const vDatastore = sheet<RecordOf<'datastore'>>({
  name: 'vDatastore',
  entity: 'datastore',
  count: (wb) => wb.count('datastore'),
  rows: (wb) => records(wb.source, 'datastore'),
  columns: (wb) => {
    const { dsVms } = vmFacts(wb);
    const inUse = (r: RecordOf<'datastore'>): number | null => {
      const cap = num(f(r, 'capacityBytes'));
      const free = num(f(r, 'freeBytes'));
      return cap === null || free === null ? null : cap - free;
    };
    return [
      col('Name', 'text', 'summary.name', (r) => r.name, { width: 24 }),
      col('Accessible', 'bool', 'summary.accessible', (r) => bool(f(r, 'accessible')), {
        binding: { field: 'accessible', read: 'bool' },
      }),
      col('Type', 'text', 'summary.type', (r) => str(f(r, 'type')), {
        binding: { field: 'type', read: 'text' },
      }),
      col('# VMs total', 'int', 'count of vm', (r) => dsVms.get(r.ep, r.id)?.total ?? 0),
      col('# VMs', 'int', 'count of powered-on vm', (r) => dsVms.get(r.ep, r.id)?.on ?? 0),
      col('Capacity MiB', 'int', 'summary.capacity', (r) => mib(num(f(r, 'capacityBytes'))), {
        binding: { field: 'capacityBytes', read: 'mib', aliases: ['Capacity MB'] },
      }),
      col('Provisioned MiB', 'int', 'capacity − freeSpace + uncommitted', (r) => {
        const used = inUse(r);
        return used === null ? null : mib(used + (num(f(r, 'uncommittedBytes')) ?? 0));
      }),
      col('In Use MiB', 'int', 'capacity − freeSpace', (r) => mib(inUse(r))),
      col('Free MiB', 'int', 'summary.freeSpace', (r) => mib(num(f(r, 'freeBytes'))), {
        binding: { field: 'freeBytes', read: 'mib', aliases: ['Free MB'] },
      }),
      col('Free %', 'pct', 'freeSpace / capacity', (r) =>
        ratio(num(f(r, 'freeBytes')), num(f(r, 'capacityBytes'))),
      ),
      col('# Hosts', 'int', 'count of host[]', (r) => ids(f(r, 'hostIds')).length),
      col(
        'Hosts',
        'text',
        'host[].key → name',
        (r) =>
          ids(f(r, 'hostIds'))
            .map((h) => wb.lookups.name(r.ep, 'host', h) ?? h)
            .join(', ') || null,
        { width: 40 },
      ),
      col('URL', 'text', 'summary.url', (r) => str(f(r, 'url')), {
        width: 40,
        binding: { field: 'url', read: 'text' },
      }),
      col('Object ID', 'text', 'the datastore’s managed object id', (r) => r.id),
      ...sdkTail(epOf),
    ];
  },
});

/** The sheets after the VM sheets, in RVTools' order (vMetaData, last, is the writer's). */
export const HOST_SHEETS: readonly AnySheet[] = [
  vSource,
  vRP,
  vCluster,
  vHost,
  vSwitch,
  vPort,
  dvSwitch,
  dvPort,
  vDatastore,
];
