import type { EntityType, FieldValue, LunPath } from '../../../shared/entities.js';
import type { EntityRecord, SourceEndpoint } from '../records.js';
import type { InventorySource, Lookups, SourceAlert } from '../source.js';
import { records } from '../source.js';
import type { CellValue } from '../xlsx-writer.js';
import type { AnySheet, RvColumn, WorkbookData } from './table.js';
import { mib, none, num, ratio, serverType, sheet, str } from './table.js';
import type { SheetPlan, VmAggregates } from './host-columns.js';
import {
  col,
  field,
  fieldMib,
  joined,
  NOT_READ,
  plan,
  planIf,
  sdk,
  texts,
} from './host-columns.js';
import { fileInfoSheet } from './file-sheet.js';
import { networkSheets } from './network-sheets.js';
import { vmFacts } from './vm-facts.js';

/*
 * RVTools' host-side sheets, in its order: vSource, vRP, vCluster, vHost, vHBA, vNIC, vSwitch,
 * vPort, dvSwitch, dvPort, vSC_VMK, vDatastore, vMultiPath, vLicense: every RVTools 4.x header.
 * A column is read from the model (its source names the vSphere property) or declared
 * unavailable with the reason and written empty: never an invented value. Values in RVTools'
 * units: MiB, MHz, booleans, dates as dates, numbers as numbers. Columns that hold one stored
 * field carry its binding, so the RVTools import reads the field back.
 */

/**
 * Why a host's advanced options stay unread: OptionManager.QueryOptions is one round trip per
 * host (405 on the benchmark's estate), and reading `setting` instead brings every one of a
 * host's ~1,000 advanced options.
 */
const PER_HOST =
  '; left out: one QueryOptions round trip per host (or every advanced option of every host)';

/** Builds the host-side sheets of `source` (every one, with its headers, even when empty). */
function hostSheets(source: InventorySource, lookups: Lookups, agg: VmAggregates): SheetPlan[] {
  const all = (t: EntityType): EntityRecord[] => [...records(source, t)];
  const hosts = all('host');
  const dc = (
    r: EntityRecord,
    id: FieldValue | undefined = r.fields['datacenterId'],
  ): string | null => lookups.name(r.ep, 'datacenter', id);
  const clusterName = (r: EntityRecord): string | null =>
    lookups.name(r.ep, 'cluster', r.fields['clusterId']);
  const ep = (r: EntityRecord): SourceEndpoint => r.ep;

  // A host's devices: the host row they name gives Host, Datacenter and Cluster.
  const hostOf = (r: EntityRecord): EntityRecord | undefined =>
    lookups.record(r.ep, 'host', r.fields['hostId']);
  const hostHead: RvColumn<EntityRecord>[] = [
    col('Host', 'text', 'HostSystem.name', (r) => hostOf(r)?.name ?? str(r.fields['hostId']), 28),
    col('Datacenter', 'text', 'the host’s datacenter', (r) => {
      const h = hostOf(r);
      return h ? dc(h) : null;
    }),
    col('Cluster', 'text', 'the host’s cluster', (r) => {
      const h = hostOf(r);
      return h ? clusterName(h) : null;
    }),
  ];
  const perHost = (list: EntityRecord[]): Map<string, number> => {
    const out = new Map<string, number>();
    for (const r of list) {
      const k = `${r.ep.key}\u0000${str(r.fields['hostId']) ?? ''}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  };

  const nics = all('hostNic');
  const hbas = all('hba');
  const nicCount = perHost(nics);
  const hbaCount = perHost(hbas);
  const hostKey = (r: EntityRecord): string => `${r.ep.key}\u0000${r.id}`;
  const cores = (h: EntityRecord): number | null => num(h.fields['cpuCores']);

  const customNames = new Set<string>();
  for (const h of hosts) {
    const ca = h.fields['customAttributes'];
    if (ca && typeof ca === 'object' && !Array.isArray(ca)) {
      for (const k of Object.keys(ca)) customNames.add(k);
    }
  }
  const customs = [...customNames].sort((a, b) => a.localeCompare(b));

  const devices = deviceSheets(hostHead, nics, hbas, all('vmkernel'), ep);
  const vHost: RvColumn<EntityRecord>[] = [
    col('Host', 'text', 'HostSystem.name', (r) => r.name, 28),
    col('Datacenter', 'text', 'parent Datacenter', (r) => dc(r)),
    col('Cluster', 'text', 'parent ClusterComputeResource', clusterName),
    field('Config status', 'text', 'configStatus', 'configStatus'),
    none(
      'Compliance Check State',
      'text',
      NOT_READ +
        ': host profile compliance (ProfileComplianceManager.QueryComplianceStatus, one call for' +
        ' all hosts); left out: it needs host profiles, which vcsim (the test peer) has none of,' +
        ' so nothing could check it',
    ),
    field('in Maintenance Mode', 'bool', 'runtime.inMaintenanceMode', 'inMaintenance'),
    field('in Quarantine Mode', 'bool', 'runtime.inQuarantineMode (API 6.5+)', 'inQuarantineMode'),
    field(
      'vSAN Fault Domain Name',
      'text',
      'config.vsanHostConfig.faultDomainInfo.name',
      'vsanFaultDomain',
    ),
    field('CPU Model', 'text', 'summary.hardware.cpuModel', 'cpuModel', 36),
    field('Speed', 'int', 'summary.hardware.cpuMhz', 'cpuMhz'),
    field('HT Available', 'bool', 'config.hyperThread.available', 'htAvailable'),
    field('HT Active', 'bool', 'config.hyperThread.active', 'htActive'),
    field('# CPU', 'int', 'summary.hardware.numCpuPkgs', 'cpuSockets'),
    col('Cores per CPU', 'int', 'numCpuCores / numCpuPkgs', (r) => {
      const s = num(r.fields['cpuSockets']);
      const k = cores(r);
      return s && k !== null ? Math.round(k / s) : null;
    }),
    field('# Cores', 'int', 'summary.hardware.numCpuCores', 'cpuCores'),
    col('CPU usage %', 'pct', 'summary.quickStats.overallCpuUsage / (cpuMhz × cores)', (r) => {
      const mhz = num(r.fields['cpuMhz']);
      const k = cores(r);
      return ratio(num(r.fields['cpuUsageMhz']), mhz !== null && k !== null ? mhz * k : null);
    }),
    col('# Memory', 'int', 'summary.hardware.memorySize (MiB)', (r) =>
      mib(num(r.fields['memoryBytes'])),
    ),
    field(
      'Memory Tiering Type',
      'text',
      'hardware.memoryTieringType (API 8.0.3+; empty before)',
      'memoryTieringType',
    ),
    col('Memory usage %', 'pct', 'summary.quickStats.overallMemoryUsage / memorySize', (r) =>
      ratio(num(r.fields['memoryUsageBytes']), num(r.fields['memoryBytes'])),
    ),
    none('Console', 'int', 'the ESX service console (ESX 4 and older) has no counterpart on ESXi'),
    col('# NICs', 'int', 'config.network.pnic (count)', (r) => nicCount.get(hostKey(r)) ?? 0),
    col(
      '# HBAs',
      'int',
      'config.storageDevice.hostBusAdapter (count)',
      (r) => hbaCount.get(hostKey(r)) ?? 0,
    ),
    col('# VMs total', 'int', 'VMs on the host', (r) => agg.host(r.ep, r.id)?.vmsTotal ?? 0),
    col('# VMs', 'int', 'powered-on VMs on the host', (r) => agg.host(r.ep, r.id)?.vmsOn ?? 0),
    col('VMs per Core', 'num', '# VMs / # Cores', (r) =>
      ratio(agg.host(r.ep, r.id)?.vmsOn ?? 0, cores(r), 1),
    ),
    col('# vCPUs', 'int', 'vCPUs of powered-on VMs', (r) => agg.host(r.ep, r.id)?.vcpusOn ?? 0),
    col('vCPUs per Core', 'num', '# vCPUs / # Cores', (r) =>
      ratio(agg.host(r.ep, r.id)?.vcpusOn ?? 0, cores(r), 1),
    ),
    col('vRAM', 'int', 'memory (MiB) of powered-on VMs', (r) => agg.host(r.ep, r.id)?.vramOn ?? 0),
    col(
      'VM Used memory',
      'int',
      'sum of the host’s VMs’ summary.quickStats.hostMemoryUsage (MiB)',
      (r) => agg.host(r.ep, r.id)?.usedMemOn ?? 0,
    ),
    col(
      'VM Memory Swapped',
      'int',
      'sum of the host’s VMs’ summary.quickStats.swappedMemory (MiB)',
      (r) => agg.host(r.ep, r.id)?.swappedOn ?? 0,
    ),
    col(
      'VM Memory Ballooned',
      'int',
      'sum of the host’s VMs’ summary.quickStats.balloonedMemory (MiB)',
      (r) => agg.host(r.ep, r.id)?.balloonedOn ?? 0,
    ),
    field('VMotion support', 'bool', 'capability.vmotionSupported', 'vmotionSupported'),
    field(
      'Storage VMotion support',
      'bool',
      'capability.storageVMotionSupported',
      'storageVmotionSupported',
    ),
    field('Current EVC', 'text', 'summary.currentEVCModeKey', 'currentEvc'),
    field('Max EVC', 'text', 'summary.maxEVCModeKey', 'maxEvc'),
    none(
      'Assigned License(s)',
      'text',
      NOT_READ +
        ': LicenseAssignmentManager.QueryAssignedLicenses (one call for all hosts); left out:' +
        ' vcsim answers it without the hosts’ ids, so no test could hold it to a host',
    ),
    none(
      'ATS Heartbeat',
      'text',
      NOT_READ + ': advanced option VMFS3.UseATSForHBOnVMFS5' + PER_HOST,
    ),
    none(
      'ATS Locking',
      'text',
      NOT_READ + ': advanced option VMFS3.HardwareAcceleratedLocking' + PER_HOST,
    ),
    field(
      'Current CPU power man. policy',
      'text',
      'hardware.cpuPowerManagementInfo.currentPolicy',
      'cpuPowerPolicy',
    ),
    field(
      'Supported CPU power man.',
      'text',
      'hardware.cpuPowerManagementInfo.hardwareSupport',
      'cpuPowerSupport',
    ),
    field(
      'Host Power Policy',
      'text',
      'config.powerSystemInfo.currentPolicy.shortName',
      'powerPolicy',
    ),
    field('ESX Version', 'text', 'summary.config.product.fullName', 'productName', 36),
    field('Boot time', 'date', 'runtime.bootTime', 'bootTime'),
    col('DNS Servers', 'text', 'config.network.dnsConfig.address', (r) =>
      joined(r.fields['dnsServers']),
    ),
    field('DHCP', 'bool', 'config.network.dnsConfig.dhcp', 'dhcp'),
    field('Domain', 'text', 'config.network.dnsConfig.domainName', 'domain'),
    none(
      'Domain List',
      'text',
      'RVTools does not document it; no vSphere property identified with certainty',
    ),
    col('DNS Search Order', 'text', 'config.network.dnsConfig.searchDomain', (r) =>
      joined(r.fields['searchDomains']),
    ),
    col('NTP Server(s)', 'text', 'config.dateTimeInfo.ntpConfig.server', (r) =>
      joined(r.fields['ntpServers']),
    ),
    field('NTPD running', 'bool', 'config.service.service[ntpd].running', 'ntpRunning'),
    field('Time Zone', 'text', 'config.dateTimeInfo.timeZone.key', 'timeZone'),
    field('Time Zone Name', 'text', 'config.dateTimeInfo.timeZone.name', 'timeZoneName'),
    field(
      'GMT Offset',
      'int',
      'config.dateTimeInfo.timeZone.gmtOffset (seconds)',
      'gmtOffsetSeconds',
    ),
    field('Vendor', 'text', 'summary.hardware.vendor', 'vendor'),
    field('Model', 'text', 'summary.hardware.model', 'model', 24),
    field('Serial number', 'text', 'hardware.systemInfo.serialNumber', 'serialNumber'),
    field('Service tag', 'text', 'summary.hardware.otherIdentifyingInfo[ServiceTag]', 'serviceTag'),
    field(
      'OEM specific string',
      'text',
      'summary.hardware.otherIdentifyingInfo[OemSpecificString]',
      'oemString',
    ),
    field('BIOS Vendor', 'text', 'hardware.biosInfo.vendor', 'biosVendor'),
    field('BIOS Version', 'text', 'hardware.biosInfo.biosVersion', 'biosVersion'),
    field('BIOS Date', 'date', 'hardware.biosInfo.releaseDate', 'biosReleaseDate'),
    field('Certificate Issuer', 'text', 'config.certificate (issuer)', 'certificateIssuer'),
    field(
      'Certificate Start Date',
      'date',
      'config.certificate (not before)',
      'certificateStartsAt',
    ),
    field(
      'Certificate Expiry Date',
      'date',
      'config.certificate (not after)',
      'certificateExpiresAt',
    ),
    none(
      'Certificate Status',
      'text',
      NOT_READ +
        ': HostCertificateManager.certificateInfo.status (one more retrieval over every host’s' +
        ' certificate manager); left out: vcsim has no such object to check it against',
    ),
    field('Certificate Subject', 'text', 'config.certificate (subject)', 'certificateSubject'),
    col('Object ID', 'text', 'the HostSystem moref', (r) => r.id),
    ...customs.map((name) =>
      col<EntityRecord>(name, 'text', 'customValue', (r) => {
        const ca = r.fields['customAttributes'];
        return ca && typeof ca === 'object' && !Array.isArray(ca)
          ? str((ca as Record<string, FieldValue>)[name])
          : null;
      }),
    ),
    field('UUID', 'text', 'hardware.systemInfo.uuid', 'hardwareUuid', 38),
    ...sdk(ep),
  ];

  return [
    ...sourceSheet(source),
    ...poolSheet(all('resourcePool'), lookups, agg),
    ...clusterSheet(all('cluster')),
    plan('vHost', vHost, hosts, 'host'),
    ...devices.hba,
    ...devices.nic,
    ...networkSheets(lookups, all, ep, agg),
    ...devices.vmk,
    ...datastoreSheet(all('datastore'), lookups, agg),
    ...multipathSheet(hostHead, all('multipathLun'), lookups, ep),
    ...licenseSheet(all('license')),
    ...fileInfoSheet(source),
    ...healthSheet(source),
  ];
}

function sourceSheet(source: InventorySource): SheetPlan[] {
  const about = (e: SourceEndpoint): NonNullable<SourceEndpoint['about']> | null => e.about ?? null;
  const type = serverType;
  const cols: RvColumn<SourceEndpoint>[] = [
    // Before the endpoint's first sync, its server name is unknown: the host we connect to.
    col(
      'Name',
      'text',
      'ServiceContent.about.name (the endpoint host before it is known)',
      (e) => about(e)?.name ?? e.host,
      24,
    ),
    col('OS type', 'text', 'ServiceContent.about.osType', (e) => about(e)?.osType ?? null),
    col(
      'API type',
      'text',
      'ServiceContent.about.apiType',
      (e) => about(e)?.apiType ?? type(e.kind),
    ),
    col(
      'API version',
      'text',
      'ServiceContent.about.apiVersion',
      (e) => about(e)?.apiVersion ?? null,
    ),
    col('Version', 'text', 'ServiceContent.about.version', (e) => about(e)?.version ?? null),
    none(
      'Patch level',
      'text',
      'Not in the vSphere API: RVTools derives it from a build-number table of its own.',
    ),
    col('Build', 'text', 'ServiceContent.about.build', (e) => about(e)?.build ?? null),
    col('Fullname', 'text', 'ServiceContent.about.fullName', (e) => about(e)?.fullName ?? null, 36),
    col(
      'Product name',
      'text',
      'ServiceContent.about.licenseProductName',
      (e) => about(e)?.licenseProductName ?? null,
    ),
    col(
      'Product version',
      'text',
      'ServiceContent.about.licenseProductVersion',
      (e) => about(e)?.licenseProductVersion ?? null,
    ),
    col(
      'Product line',
      'text',
      'ServiceContent.about.productLineId',
      (e) => about(e)?.productLineId ?? null,
    ),
    col('Vendor', 'text', 'ServiceContent.about.vendor', (e) => about(e)?.vendor ?? null),
    ...sdk((e: SourceEndpoint) => e),
  ];
  return [plan('vSource', cols, source.endpoints)];
}

function poolSheet(pools: EntityRecord[], lookups: Lookups, agg: VmAggregates): SheetPlan[] {
  const rpPath = (r: EntityRecord): string => {
    const parts = [r.name];
    let cur: EntityRecord | undefined = r;
    for (let i = 0; i < 64 && cur; i++) {
      cur = lookups.record(r.ep, 'resourcePool', cur.fields['parentId']);
      if (cur) parts.unshift(cur.name);
    }
    return `/${parts.join('/')}`;
  };
  const qs =
    (key: string) =>
    (r: EntityRecord): CellValue => {
      const q = r.fields['quickStats'];
      return q && typeof q === 'object' && !Array.isArray(q)
        ? num((q as Record<string, FieldValue>)[key])
        : null;
    };
  const bytes =
    (name: string) =>
    (r: EntityRecord): CellValue =>
      mib(num(r.fields[name]));
  const qsCol = (key: string): RvColumn<EntityRecord> =>
    col(`QS ${key}`, 'int', `summary.quickStats.${key}`, qs(key));
  const cols: RvColumn<EntityRecord>[] = [
    col('Resource Pool name', 'text', 'ResourcePool.name', (r) => r.name, 24),
    col('Resource Pool path', 'text', 'parent chain', rpPath, 36),
    field('Status', 'text', 'overallStatus', 'overallStatus'),
    col('# VMs total', 'int', 'VMs in the pool', (r) => agg.pool(r.ep, r.id)?.total ?? 0),
    col('# VMs', 'int', 'powered-on VMs in the pool', (r) => agg.pool(r.ep, r.id)?.on ?? 0),
    col(
      '# vCPUs',
      'int',
      'vCPUs of powered-on VMs in the pool',
      (r) => agg.pool(r.ep, r.id)?.vcpusOn ?? 0,
    ),
    field('CPU limit', 'int', 'config.cpuAllocation.limit', 'cpuLimitMhz'),
    field('CPU overheadLimit', 'int', 'config.cpuAllocation.overheadLimit', 'cpuOverheadLimitMhz'),
    field('CPU reservation', 'int', 'config.cpuAllocation.reservation', 'cpuReservationMhz'),
    field('CPU level', 'text', 'config.cpuAllocation.shares.level', 'cpuSharesLevel'),
    field('CPU shares', 'int', 'config.cpuAllocation.shares.shares', 'cpuShares'),
    field(
      'CPU expandableReservation',
      'bool',
      'config.cpuAllocation.expandableReservation',
      'cpuExpandable',
    ),
    field('CPU maxUsage', 'int', 'runtime.cpu.maxUsage', 'cpuMaxUsageMhz'),
    field('CPU overallUsage', 'int', 'runtime.cpu.overallUsage', 'cpuOverallUsageMhz'),
    field('CPU reservationUsed', 'int', 'runtime.cpu.reservationUsed', 'cpuReservationUsedMhz'),
    field(
      'CPU reservationUsedForVm',
      'int',
      'runtime.cpu.reservationUsedForVm',
      'cpuReservationUsedForVmMhz',
    ),
    field(
      'CPU unreservedForPool',
      'int',
      'runtime.cpu.unreservedForPool',
      'cpuUnreservedForPoolMhz',
    ),
    field('CPU unreservedForVm', 'int', 'runtime.cpu.unreservedForVm', 'cpuUnreservedForVmMhz'),
    field('Mem Configured', 'int', 'summary.configuredMemoryMB', 'memoryConfiguredMb'),
    field('Mem limit', 'int', 'config.memoryAllocation.limit', 'memoryLimitMb'),
    field(
      'Mem overheadLimit',
      'int',
      'config.memoryAllocation.overheadLimit',
      'memoryOverheadLimitMb',
    ),
    field('Mem reservation', 'int', 'config.memoryAllocation.reservation', 'memoryReservationMb'),
    field('Mem level', 'text', 'config.memoryAllocation.shares.level', 'memorySharesLevel'),
    field('Mem shares', 'int', 'config.memoryAllocation.shares.shares', 'memoryShares'),
    field(
      'Mem expandableReservation',
      'bool',
      'config.memoryAllocation.expandableReservation',
      'memoryExpandable',
    ),
    col('Mem maxUsage', 'int', 'runtime.memory.maxUsage (MiB)', bytes('memoryMaxUsageBytes')),
    col(
      'Mem overallUsage',
      'int',
      'runtime.memory.overallUsage (MiB)',
      bytes('memoryOverallUsageBytes'),
    ),
    col(
      'Mem reservationUsed',
      'int',
      'runtime.memory.reservationUsed (MiB)',
      bytes('memoryReservationUsedBytes'),
    ),
    col(
      'Mem reservationUsedForVm',
      'int',
      'runtime.memory.reservationUsedForVm (MiB)',
      bytes('memoryReservationUsedForVmBytes'),
    ),
    col(
      'Mem unreservedForPool',
      'int',
      'runtime.memory.unreservedForPool (MiB)',
      bytes('memoryUnreservedForPoolBytes'),
    ),
    col(
      'Mem unreservedForVm',
      'int',
      'runtime.memory.unreservedForVm (MiB)',
      bytes('memoryUnreservedForVmBytes'),
    ),
    ...[
      'overallCpuDemand',
      'overallCpuUsage',
      'staticCpuEntitlement',
      'distributedCpuEntitlement',
      'balloonedMemory',
      'compressedMemory',
      'consumedOverheadMemory',
      'distributedMemoryEntitlement',
      'guestMemoryUsage',
      'hostMemoryUsage',
      'overheadMemory',
      'privateMemory',
      'sharedMemory',
      'staticMemoryEntitlement',
      'swappedMemory',
    ].map(qsCol),
    col('Object ID', 'text', 'the ResourcePool moref', (r) => r.id),
    ...sdk((r: EntityRecord) => r.ep),
  ];
  return [plan('vRP', cols, pools, 'resourcePool')];
}

function clusterSheet(clusters: EntityRecord[]): SheetPlan[] {
  const cols: RvColumn<EntityRecord>[] = [
    col('Name', 'text', 'ClusterComputeResource.name', (r) => r.name, 24),
    field('Config status', 'text', 'configStatus', 'configStatus'),
    field('OverallStatus', 'text', 'overallStatus', 'overallStatus'),
    field('NumHosts', 'int', 'summary.numHosts', 'hostCount'),
    field('numEffectiveHosts', 'int', 'summary.numEffectiveHosts', 'effectiveHostCount'),
    field('TotalCpu', 'int', 'summary.totalCpu', 'totalCpuMhz'),
    field('NumCpuCores', 'int', 'summary.numCpuCores', 'cpuCores'),
    field('NumCpuThreads', 'int', 'summary.numCpuThreads', 'cpuThreads'),
    field('Effective Cpu', 'int', 'summary.effectiveCpu', 'effectiveCpuMhz'),
    col('TotalMemory', 'int', 'summary.totalMemory (MiB)', (r) =>
      mib(num(r.fields['totalMemoryBytes'])),
    ),
    col('Effective Memory', 'int', 'summary.effectiveMemory (MiB)', (r) =>
      mib(num(r.fields['effectiveMemoryBytes'])),
    ),
    field('Num VMotions', 'int', 'summary.numVmotions', 'vmotionCount'),
    field('HA enabled', 'bool', 'configurationEx.dasConfig.enabled', 'haEnabled'),
    field(
      'Failover Level',
      'int',
      'configurationEx.dasConfig.admissionControlPolicy.failoverLevel',
      'haFailoverLevel',
    ),
    field(
      'AdmissionControlEnabled',
      'bool',
      'configurationEx.dasConfig.admissionControlEnabled',
      'haAdmissionControl',
    ),
    field(
      'Host monitoring',
      'text',
      'configurationEx.dasConfig.hostMonitoring',
      'haHostMonitoring',
    ),
    field(
      'HB Datastore Candidate Policy',
      'text',
      'configurationEx.dasConfig.hBDatastoreCandidatePolicy',
      'haHeartbeatPolicy',
    ),
    field(
      'Isolation Response',
      'text',
      'configurationEx.dasConfig.defaultVmSettings.isolationResponse',
      'haIsolationResponse',
    ),
    field(
      'Restart Priority',
      'text',
      'configurationEx.dasConfig.defaultVmSettings.restartPriority',
      'haRestartPriority',
    ),
    none(
      'Cluster Settings',
      'text',
      'RVTools does not document it; no vSphere property identified with certainty',
    ),
    field(
      'Max Failures',
      'int',
      'dasConfig.defaultVmSettings.vmToolsMonitoringSettings.maxFailures',
      'haMaxFailures',
    ),
    field(
      'Max Failure Window',
      'int',
      'dasConfig.defaultVmSettings.vmToolsMonitoringSettings.maxFailureWindow',
      'haMaxFailureWindowSeconds',
    ),
    field(
      'Failure Interval',
      'int',
      'dasConfig.defaultVmSettings.vmToolsMonitoringSettings.failureInterval',
      'haFailureIntervalSeconds',
    ),
    field(
      'Min Up Time',
      'int',
      'dasConfig.defaultVmSettings.vmToolsMonitoringSettings.minUpTime',
      'haMinUpTimeSeconds',
    ),
    field('VM Monitoring', 'text', 'configurationEx.dasConfig.vmMonitoring', 'haVmMonitoring'),
    field('DRS enabled', 'bool', 'configurationEx.drsConfig.enabled', 'drsEnabled'),
    field(
      'DRS default VM behavior',
      'text',
      'configurationEx.drsConfig.defaultVmBehavior',
      'drsBehavior',
    ),
    field('DRS vmotion rate', 'int', 'configurationEx.drsConfig.vmotionRate', 'drsVmotionRate'),
    field('DPM enabled', 'bool', 'configurationEx.dpmConfigInfo.enabled', 'dpmEnabled'),
    field(
      'DPM default behavior',
      'text',
      'configurationEx.dpmConfigInfo.defaultDpmBehavior',
      'dpmBehavior',
    ),
    field(
      'DPM Host Power Action Rate',
      'int',
      'configurationEx.dpmConfigInfo.hostPowerActionRate',
      'dpmHostPowerActionRate',
    ),
    col('Object ID', 'text', 'the ClusterComputeResource moref', (r) => r.id),
    ...sdk((r: EntityRecord) => r.ep),
  ];
  return [plan('vCluster', cols, clusters, 'cluster')];
}

/** vHBA, vNIC and vSC_VMK: a row per device, led by its host. */
function deviceSheets(
  head: RvColumn<EntityRecord>[],
  nics: EntityRecord[],
  hbas: EntityRecord[],
  vmkernels: EntityRecord[],
  ep: (r: EntityRecord) => SourceEndpoint,
): { hba: SheetPlan[]; nic: SheetPlan[]; vmk: SheetPlan[] } {
  const vHba: RvColumn<EntityRecord>[] = [
    ...head,
    field('Device', 'text', 'hostBusAdapter.device', 'device'),
    field(
      'Type',
      'text',
      'the HostHostBusAdapter subtype (FibreChannel, InternetScsi, Block…)',
      'hbaType',
    ),
    field('Status', 'text', 'hostBusAdapter.status', 'status'),
    field('Bus', 'int', 'hostBusAdapter.bus', 'bus'),
    field('Pci', 'text', 'hostBusAdapter.pci', 'pci'),
    field('Driver', 'text', 'hostBusAdapter.driver', 'driver'),
    field('Model', 'text', 'hostBusAdapter.model', 'model', 30),
    col(
      'WWN',
      'text',
      'HostFibreChannelHba.portWorldWideName (iSCSI: iScsiName)',
      (r) => str(r.fields['portWwn']) ?? str(r.fields['iscsiName']),
      28,
    ),
    ...sdk(ep),
  ];
  const vNic: RvColumn<EntityRecord>[] = [
    ...head,
    field('Network Device', 'text', 'config.network.pnic.device', 'device'),
    field('Driver', 'text', 'pnic.driver', 'driver'),
    field('Speed', 'int', 'pnic.linkSpeed.speedMb', 'speedMb'),
    field('Duplex', 'bool', 'pnic.linkSpeed.duplex', 'fullDuplex'),
    field('MAC', 'text', 'pnic.mac', 'macAddress'),
    field('Switch', 'text', 'the vswitch / proxySwitch listing the NIC', 'switchName'),
    field(
      'Uplink port',
      'text',
      'proxySwitch.spec.backing.pnicSpec.uplinkPortKey (named)',
      'uplinkPort',
    ),
    field('PCI', 'text', 'pnic.pci', 'pci'),
    field('WakeOn', 'bool', 'pnic.wakeOnLanSupported', 'wakeOnLan'),
    ...sdk(ep),
  ];
  const vmk: RvColumn<EntityRecord>[] = [
    ...head,
    field(
      'Port Group',
      'text',
      'config.network.vnic.portgroup (or its DV port group)',
      'portGroup',
      24,
    ),
    field('Device', 'text', 'vnic.device', 'device'),
    field('Mac Address', 'text', 'vnic.spec.mac', 'macAddress'),
    field('DHCP', 'bool', 'vnic.spec.ip.dhcp', 'dhcp'),
    field('IP Address', 'text', 'vnic.spec.ip.ipAddress', 'ipAddress'),
    col('IP 6 Address', 'text', 'vnic.spec.ip.ipV6Config.ipV6Address', (r) =>
      joined(r.fields['ipv6Addresses']),
    ),
    field('Subnet mask', 'text', 'vnic.spec.ip.subnetMask', 'subnetMask'),
    field(
      'Gateway',
      'text',
      'vnic.spec.ipRouteSpec or config.network.ipRouteConfig.defaultGateway',
      'gateway',
    ),
    field('IP 6 Gateway', 'text', 'ipRouteConfig.ipV6DefaultGateway', 'ipv6Gateway'),
    field('MTU', 'int', 'vnic.spec.mtu', 'mtu'),
    ...sdk(ep),
  ];
  return {
    hba: planIf('vHBA', vHba, hbas),
    nic: planIf('vNIC', vNic, nics),
    vmk: planIf('vSC_VMK', vmk, vmkernels),
  };
}

function datastoreSheet(stores: EntityRecord[], lookups: Lookups, agg: VmAggregates): SheetPlan[] {
  const cap = (r: EntityRecord): number | null => num(r.fields['capacityBytes']);
  const free = (r: EntityRecord): number | null => num(r.fields['freeBytes']);
  const pod = (r: EntityRecord): EntityRecord | undefined =>
    lookups.record(r.ep, 'datastoreCluster', r.fields['datastoreClusterId']);
  const cols: RvColumn<EntityRecord>[] = [
    col('Name', 'text', 'Datastore.name', (r) => r.name, 24),
    field('Config status', 'text', 'configStatus', 'configStatus'),
    col('Address', 'text', 'info.nas.remoteHost(Names):remotePath (NAS datastores)', (r) => {
      const host = str(r.fields['nasRemoteHost']);
      const share = str(r.fields['nasRemotePath']);
      return host === null && share === null ? null : `${host ?? ''}:${share ?? ''}`;
    }),
    field('Accessible', 'bool', 'summary.accessible', 'accessible'),
    field('Type', 'text', 'summary.type', 'type'),
    col('# VMs total', 'int', 'VMs on the datastore', (r) => agg.datastore(r.ep, r.id)?.total ?? 0),
    col(
      '# VMs',
      'int',
      'powered-on VMs on the datastore',
      (r) => agg.datastore(r.ep, r.id)?.on ?? 0,
    ),
    fieldMib('Capacity MiB', 'summary.capacity', 'capacityBytes', ['Capacity MB']),
    col('Provisioned MiB', 'int', 'summary.capacity − freeSpace + uncommitted', (r) => {
      const c = cap(r);
      const f = free(r);
      return c === null || f === null
        ? null
        : mib(c - f + (num(r.fields['uncommittedBytes']) ?? 0));
    }),
    col('In Use MiB', 'int', 'summary.capacity − freeSpace', (r) => {
      const c = cap(r);
      const f = free(r);
      return c === null || f === null ? null : mib(c - f);
    }),
    fieldMib('Free MiB', 'summary.freeSpace', 'freeBytes', ['Free MB']),
    col('Free %', 'pct', 'summary.freeSpace / capacity', (r) => ratio(free(r), cap(r))),
    field('SIOC enabled', 'bool', 'iormConfiguration.enabled', 'siocEnabled'),
    field('SIOC Threshold', 'int', 'iormConfiguration.congestionThreshold', 'siocThresholdMs'),
    col('# Hosts', 'int', 'host (count)', (r) => texts(r.fields['hostIds']).length),
    col(
      'Hosts',
      'text',
      'host (names)',
      (r) =>
        texts(r.fields['hostIds'])
          .map((h) => lookups.name(r.ep, 'host', h) ?? h)
          .join(', ') || null,
      40,
    ),
    col('Cluster name', 'text', 'the parent StoragePod’s name', (r) => pod(r)?.name ?? null),
    col('Cluster capacity MiB', 'int', 'StoragePod.summary.capacity', (r) => {
      const p = pod(r);
      return p ? mib(num(p.fields['capacityBytes'])) : null;
    }),
    col('Cluster free space MiB', 'int', 'StoragePod.summary.freeSpace', (r) => {
      const p = pod(r);
      return p ? mib(num(p.fields['freeBytes'])) : null;
    }),
    field('Block size', 'int', 'info.vmfs.blockSizeMb', 'vmfsBlockSizeMb'),
    field('Max Blocks', 'int', 'info.vmfs.maxBlocks', 'vmfsMaxBlocks'),
    col('# Extents', 'int', 'info.vmfs.extent (count)', (r) =>
      Array.isArray(r.fields['vmfsExtents']) ? texts(r.fields['vmfsExtents']).length : null,
    ),
    field('Major Version', 'int', 'info.vmfs.majorVersion', 'vmfsMajorVersion'),
    field('Version', 'text', 'info.vmfs.version', 'vmfsVersion'),
    field('VMFS Upgradeable', 'bool', 'info.vmfs.vmfsUpgradable', 'vmfsUpgradable'),
    field('MHA', 'bool', 'summary.multipleHostAccess', 'multipleHostAccess'),
    field('URL', 'text', 'summary.url', 'url', 40),
    col('Object ID', 'text', 'the Datastore moref', (r) => r.id),
    ...sdk((r: EntityRecord) => r.ep),
  ];
  return [plan('vDatastore', cols, stores, 'datastore')];
}

function multipathSheet(
  head: RvColumn<EntityRecord>[],
  luns: EntityRecord[],
  lookups: Lookups,
  ep: (r: EntityRecord) => SourceEndpoint,
): SheetPlan[] {
  const paths = (r: EntityRecord): LunPath[] =>
    Array.isArray(r.fields['paths']) ? (r.fields['paths'] as LunPath[]) : [];
  const [host, datacenter, cluster] = head as [
    RvColumn<EntityRecord>,
    RvColumn<EntityRecord>,
    RvColumn<EntityRecord>,
  ];
  const cols: RvColumn<EntityRecord>[] = [
    host,
    cluster,
    datacenter,
    col('Datastore', 'text', 'the datastore whose VMFS extent is on the LUN', (r) =>
      lookups.name(r.ep, 'datastore', r.fields['datastoreId']),
    ),
    field('Disk', 'text', 'scsiLun.canonicalName', 'canonicalName', 30),
    field('Display name', 'text', 'scsiLun.displayName', 'displayName', 40),
    field('Policy', 'text', 'multipathInfo.lun.policy.policy', 'policy'),
    field('Oper. State', 'text', 'scsiLun.operationalState', 'operationalState'),
    ...Array.from({ length: 8 }, (_, i) => [
      col<EntityRecord>(
        `Path ${i + 1}`,
        'text',
        `multipathInfo.lun.path[${i}].name`,
        (r) => paths(r)[i]?.name ?? null,
      ),
      col<EntityRecord>(
        `Path ${i + 1} state`,
        'text',
        `multipathInfo.lun.path[${i}].pathState`,
        (r) => paths(r)[i]?.state ?? null,
      ),
    ]).flat(),
    field('vStorage', 'text', 'scsiLun.vStorageSupport', 'vStorageSupport'),
    field('Queue depth', 'int', 'scsiLun.queueDepth', 'queueDepth'),
    field('Vendor', 'text', 'scsiLun.vendor', 'vendor'),
    field('Model', 'text', 'scsiLun.model', 'model'),
    field('Revision', 'text', 'scsiLun.revision', 'revision'),
    field('Level', 'int', 'scsiLun.scsiLevel', 'scsiLevel'),
    field('Serial #', 'text', 'scsiLun.serialNumber', 'serialNumber'),
    field('UUID', 'text', 'scsiLun.uuid', 'uuid', 38),
    none(
      'Object ID',
      'text',
      'a LUN is a data object of its host, not a managed object: it has no moref',
    ),
    ...sdk(ep),
  ];
  return planIf('vMultiPath', cols, luns);
}

function licenseSheet(licenses: EntityRecord[]): SheetPlan[] {
  const cols: RvColumn<EntityRecord>[] = [
    col('Name', 'text', 'LicenseManager.licenses.name', (r) => r.name, 36),
    field('Key', 'text', 'licenses.licenseKey (masked: all but the last group)', 'maskedKey', 32),
    col('Labels', 'text', 'licenses.labels', (r) => joined(r.fields['labels'])),
    field('Cost Unit', 'text', 'licenses.costUnit', 'costUnit'),
    field('Total', 'int', 'licenses.total', 'total'),
    field('Used', 'int', 'licenses.used', 'used'),
    field('Expiration Date', 'date', 'licenses.properties[expirationDate]', 'expiresAt'),
    col(
      'Features',
      'text',
      'licenses.properties[feature]',
      (r) => joined(r.fields['features']),
      40,
    ),
    ...sdk((r: EntityRecord) => r.ep),
  ];
  return planIf('vLicense', cols, licenses);
}

/**
 * vHealth: the open alerts, as RVTools lists its health checks: the object, the message, and a
 * message type (here the alert rule). Only the live store has alerts.
 */
function healthSheet(source: InventorySource): SheetPlan[] {
  const eps = new Set(source.endpoints);
  const alerts = (source.alerts?.() ?? []).filter((a) => eps.has(a.ep));
  const cols: RvColumn<SourceAlert>[] = [
    col('Name', 'text', 'the alert’s entity name', (a) => a.entityName, 28),
    col('Message', 'text', 'the alert’s message', (a) => a.message, 60),
    col('Message type', 'text', 'the alert rule', (a) => a.rule, 24),
    ...sdk((a: SourceAlert) => a.ep),
  ];
  return planIf('vHealth', cols, alerts);
}

/** The host-side sheets of a workbook, built once. */
function plans(wb: WorkbookData): ReadonlyMap<string, SheetPlan> {
  return wb.memo('hostSheets', () => {
    const facts = vmFacts(wb);
    const built = hostSheets(wb.source, wb.lookups, {
      host: (ep, id) => facts.hostAgg.get(ep, id),
      datastore: (ep, id) => facts.dsVms.get(ep, id),
      pool: (ep, id) => facts.rpVms.get(ep, id),
      dvSwitchVms: (ep, id) => facts.dvsVms.get(ep, id),
    });
    return new Map(built.map((p) => [p.name, p]));
  });
}

const SHEET_ENTITIES: readonly (readonly [string, EntityType | null])[] = [
  ['vSource', null],
  ['vRP', 'resourcePool'],
  ['vCluster', 'cluster'],
  ['vHost', 'host'],
  ['vHBA', 'hba'],
  ['vNIC', 'hostNic'],
  ['vSwitch', null],
  ['vPort', null],
  ['dvSwitch', 'dvSwitch'],
  ['dvPort', 'network'],
  ['vSC_VMK', 'vmkernel'],
  ['vDatastore', 'datastore'],
  ['vMultiPath', 'multipathLun'],
  ['vLicense', 'license'],
  ['vFileInfo', 'datastoreFile'],
  ['vHealth', null],
];

/** The sheets after the VM sheets, in RVTools' order (vMetaData, last, is the writer's). */
export const HOST_SHEETS: readonly AnySheet[] = SHEET_ENTITIES.map(([name, entity]) =>
  sheet<unknown>({
    name,
    ...(entity ? { entity } : {}),
    count: (wb) => plans(wb).get(name)?.rows.length ?? 0,
    rows: (wb) => plans(wb).get(name)?.rows ?? [],
    columns: (wb) => plans(wb).get(name)?.columns ?? [],
  }),
);
