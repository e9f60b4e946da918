import type {
  CdDrive,
  EntityFields,
  EntityType,
  FieldValue,
  UsbDevice,
} from '../../../shared/entities.js';
import type { EntityRecord, RecordOf } from '../records.js';
import { records } from '../source.js';
import type { CellKind, CellValue } from '../xlsx-writer.js';
import type { AnySheet, CellRead, RvColumn, WorkbookData } from './table.js';
import { bool, col, ids, mib, none, num, sdkUuid, serverType, sheet, str } from './table.js';
import type { DeviceRow, VmCtx } from './vm-facts.js';
import { vmFacts } from './vm-facts.js';

/*
 * The VM sheets, in RVTools' order: vInfo, vCPU, vMemory, vDisk, vPartition, vNetwork, vCD, vUSB,
 * vSnapshot, vTools. Every RVTools 4.x column is here: read from the model with the vSphere
 * property it comes from, or declared unavailable with the reason. Rows of a VM's devices
 * (disks, partitions, NICs, CD drives, USB devices, snapshots) end with the VM's own columns.
 */

type Ctx<T> = (row: T) => VmCtx | undefined;

const NOT_COLLECTED = 'not collected';
const SRM = 'config.managedBy is com.vmware.vcDr / placeholderVm';
const UNDOCUMENTED = 'RVTools does not document what it writes here; not guessed';
const SORT = 'RVTools’ own row order key; no vSphere property';

interface TailOptions {
  /** vInfo's tail: no Folder (it came earlier) and it stops after the OS columns. */
  readonly vInfo?: boolean;
  /** vCD, vUSB and vTools carry `VMRef` before `VM ID`. */
  readonly vmRef?: boolean;
  /** vUSB spells it `OS according to the VMware tools`. */
  readonly toolsLower?: boolean;
}

/** The columns every VM sheet ends with, in RVTools' order; custom attributes after Annotation. */
function vmTail<T>(ctx: Ctx<T>, customs: readonly string[], opts: TailOptions = {}): RvColumn<T>[] {
  return [
    col<T>('Annotation', 'text', 'config.annotation', (r) => ctx(r)?.annotation, { width: 30 }),
    ...customs.map((name) =>
      col<T>(name, 'text', 'customValue (custom attribute)', (r) => str(ctx(r)?.custom?.[name])),
    ),
    col<T>('Datacenter', 'text', 'the VM’s datacenter (inventory path)', (r) => ctx(r)?.datacenter),
    col<T>('Cluster', 'text', 'runtime.host → the host’s cluster', (r) => ctx(r)?.cluster),
    col<T>('Host', 'text', 'runtime.host → name', (r) => ctx(r)?.host, { width: 24 }),
    ...(opts.vInfo
      ? []
      : [col<T>('Folder', 'text', 'parent folder path', (r) => ctx(r)?.folder, { width: 24 })]),
    col<T>(
      'OS according to the configuration file',
      'text',
      'config.guestFullName',
      (r) => ctx(r)?.osConfig,
      { width: 30 },
    ),
    col<T>(
      opts.toolsLower ? 'OS according to the VMware tools' : 'OS according to the VMware Tools',
      'text',
      'guest.guestFullName',
      (r) => ctx(r)?.osTools,
      { width: 30 },
    ),
    ...(opts.vInfo ? [] : vmIds(ctx, opts)),
  ];
}

function vmIds<T>(ctx: Ctx<T>, opts: TailOptions): RvColumn<T>[] {
  return [
    ...(opts.vmRef ? [none<T>('VMRef', 'text', UNDOCUMENTED)] : []),
    col<T>('VM ID', 'text', 'the VM’s managed object id', (r) => ctx(r)?.id),
    col<T>('VM UUID', 'text', 'config.instanceUuid', (r) => ctx(r)?.uuid, { width: 38 }),
    col<T>('VI SDK Server', 'text', 'the endpoint’s host name', (r) => ctx(r)?.server, {
      width: 24,
    }),
    col<T>(
      'VI SDK UUID',
      'text',
      'ServiceContent.about.instanceUuid',
      (r) => {
        const c = ctx(r);
        return c ? sdkUuid(c.ep) : null;
      },
      { width: 38 },
    ),
  ];
}

/** VM, Powerstate, Template, SRM Placeholder: how RVTools' VM sheets start. */
function vmHead<T>(ctx: Ctx<T>, template = true): RvColumn<T>[] {
  return [
    col<T>('VM', 'text', 'name', (r) => ctx(r)?.name, { width: 28 }),
    col<T>('Powerstate', 'text', 'runtime.powerState', (r) => ctx(r)?.powerState),
    ...(template
      ? [
          col<T>('Template', 'bool', 'config.template', (r) => ctx(r)?.template),
          col<T>('SRM Placeholder', 'bool', SRM, (r) => ctx(r)?.srmPlaceholder),
        ]
      : []),
  ];
}

/** The VM a VM record is (for the VM sheets after vInfo). */
const selfOf =
  (wb: WorkbookData): Ctx<EntityRecord> =>
  (r) =>
    vmFacts(wb).vms.get(r.ep, r.id);
/** The VM a device record belongs to (`vmId`). */
const parentOf =
  (wb: WorkbookData): Ctx<EntityRecord> =>
  (r) =>
    vmFacts(wb).vms.get(r.ep, r.fields['vmId']);

type VmRecord = RecordOf<'vm'>;
const vmRows = (wb: WorkbookData): Iterable<VmRecord> => records(wb.source, 'vm');
const f = (r: EntityRecord, name: string): FieldValue | undefined => r.fields[name];

/** `vmx-13` → 13 (RVTools writes the number); Hyper-V's `9.0` stays as it is. */
function hwVersion(v: FieldValue | undefined): CellValue {
  const s = str(v);
  const m = s === null ? null : /^vmx-(\d+)$/.exec(s);
  return m ? Number(m[1]) : s;
}

const READS: Record<CellRead, (v: FieldValue | undefined) => CellValue> = {
  text: str,
  num,
  bool,
  time: str,
  mib: (v) => mib(num(v)),
  hwVersion,
};
const KINDS: Record<CellRead, CellKind> = {
  text: 'text',
  num: 'int',
  bool: 'bool',
  time: 'date',
  mib: 'int',
  hwVersion: 'int',
};

/**
 * A column holding one field of the row's record as it is (bytes as MiB), bound so the RVTools
 * import reads it back.
 */
function field(
  header: string,
  name: EntityFields<'vm'>,
  read: CellRead,
  source: string,
  opts: { readonly width?: number; readonly aliases?: readonly string[] } = {},
): RvColumn<VmRecord> {
  const { width, aliases } = opts;
  return col(header, KINDS[read], source, (r) => READS[read](f(r, name)), {
    ...(width === undefined ? {} : { width }),
    binding: aliases ? { field: name, read, aliases } : { field: name, read },
  });
}

/** RVTools 3.x wrote "MB" where 4.x writes "MiB": the import reads both spellings. */
const olderSpelling = (header: string): readonly string[] =>
  header.includes('MiB') ? [header.replace('MiB', 'MB')] : [];

/**
 * Field columns of records of type `E` holding the field as it is (bytes as MiB), bound so the
 * RVTools import reads them back (with RVTools 3.x's "MB" spelling too); the field names are
 * checked against the model.
 */
function plainOf<E extends EntityType>(): (
  header: string,
  name: EntityFields<E>,
  read: CellRead,
  source: string,
  opts?: { readonly width?: number },
) => RvColumn<RecordOf<E>> {
  return (header, name, read, source, opts = {}) => {
    const aliases = olderSpelling(header);
    return col(header, KINDS[read], source, (r) => READS[read](f(r, name)), {
      ...opts,
      binding: aliases.length > 0 ? { field: name, read, aliases } : { field: name, read },
    });
  };
}
const vmCol = plainOf<'vm'>();
const diskCol = plainOf<'vmDisk'>();
const partitionCol = plainOf<'guestPartition'>();
const nicCol = plainOf<'vmNic'>();
const snapshotCol = plainOf<'snapshot'>();

const vInfo = sheet<VmRecord>({
  name: 'vInfo',
  entity: 'vm',
  count: (wb) => wb.count('vm'),
  rows: vmRows,
  columns: (wb) => {
    const { lookups } = wb;
    const { customs, diskBytes } = vmFacts(wb);
    const ctx = selfOf(wb);
    return [
      col('VM', 'text', 'name', (r) => r.name, { width: 28 }),
      field('Powerstate', 'powerState', 'text', 'runtime.powerState', {
        aliases: ['Power State', 'Power state'],
      }),
      field('Template', 'isTemplate', 'bool', 'config.template'),
      field('SRM Placeholder', 'srmPlaceholder', 'bool', SRM),
      field('Config status', 'configStatus', 'text', 'configStatus'),
      field('DNS Name', 'guestHostname', 'text', 'guest.hostName', { width: 28 }),
      field('Connection state', 'connectionState', 'text', 'runtime.connectionState'),
      field('Guest state', 'guestState', 'text', 'guest.guestState'),
      field('Heartbeat', 'heartbeat', 'text', 'guestHeartbeatStatus'),
      field('Consolidation Needed', 'consolidationNeeded', 'bool', 'runtime.consolidationNeeded'),
      field('PowerOn', 'bootTime', 'time', 'runtime.bootTime'),
      none('Suspended To Memory', 'bool', 'no documented source property in the vSphere API'),
      field('Suspend time', 'suspendTime', 'time', 'runtime.suspendTime'),
      none('Suspend Interval', 'int', `${NOT_COLLECTED} (runtime.suspendInterval)`),
      field('Creation date', 'createdAt', 'time', 'config.createDate (API 6.7 and later)'),
      field('Change Version', 'changeVersion', 'text', 'config.changeVersion'),
      field('CPUs', 'cpuCount', 'num', 'config.hardware.numCPU'),
      none('Overall Cpu Readiness', 'int', 'a performance counter (cpu.ready), not a property'),
      field('Memory', 'memoryMb', 'num', 'config.hardware.memoryMB'),
      field('Active Memory', 'memoryUsageMb', 'num', 'summary.quickStats.guestMemoryUsage'),
      field('NICs', 'nicCount', 'num', 'count of config.hardware.device (VirtualEthernetCard)'),
      field('Disks', 'diskCount', 'num', 'count of config.hardware.device (VirtualDisk)'),
      col('Total disk capacity MiB', 'int', 'sum of the VM’s vDisk Capacity MiB', (r) => {
        const b = diskBytes.get(r.ep, r.id);
        return b === undefined ? null : mib(b);
      }),
      none(
        'Fixed Passthru HotPlug',
        'bool',
        `${NOT_COLLECTED} (config.fixedPassthruHotPlugEnabled, API 8.0 and later)`,
      ),
      field(
        'min Required EVC Mode Key',
        'minRequiredEvcModeKey',
        'text',
        'runtime.minRequiredEVCModeKey',
      ),
      field('Latency Sensitivity', 'latencySensitivity', 'text', 'config.latencySensitivity.level'),
      none(
        'Op Notification Timeout',
        'int',
        `${NOT_COLLECTED} (config.vmOpNotificationTimeout, API 8.0 and later)`,
      ),
      none(
        'EnableUUID',
        'bool',
        `${NOT_COLLECTED}: only in config.extraConfig (disk.EnableUUID), whose bytes would weigh on every sync`,
      ),
      field('CBT', 'cbtEnabled', 'bool', 'config.changeTrackingEnabled'),
      field('Primary IP Address', 'ipAddress', 'text', 'guest.ipAddress'),
      ...Array.from({ length: 8 }, (_, i) =>
        col<VmRecord>(`Network #${i + 1}`, 'text', 'network (the VM’s networks, by name)', (r) => {
          const id = ids(f(r, 'networkIds'))[i];
          return id === undefined ? null : (lookups.name(r.ep, 'network', id) ?? id);
        }),
      ),
      field('Num Monitors', 'numMonitors', 'num', 'VirtualMachineVideoCard.numDisplays'),
      field('Video Ram KiB', 'videoRamKib', 'num', 'VirtualMachineVideoCard.videoRamSizeInKB'),
      col('Resource pool', 'text', 'resourcePool → name', (r) =>
        lookups.name(r.ep, 'resourcePool', f(r, 'resourcePoolId')),
      ),
      field('Folder ID', 'folderId', 'text', 'parent'),
      field('Folder', 'folderPath', 'text', 'parent folder path', { width: 24 }),
      col('vApp', 'text', 'parentVApp → name', (r) =>
        lookups.name(r.ep, 'resourcePool', f(r, 'vappId')),
      ),
      field('DAS protection', 'haProtected', 'bool', 'runtime.dasVmProtection.dasProtected'),
      field('FT State', 'ftState', 'text', 'runtime.faultToleranceState'),
      field('FT Role', 'ftRole', 'num', 'config.ftInfo.role'),
      vmCol('FT Latency', 'ftLatencyStatus', 'text', 'summary.quickStats.ftLatencyStatus'),
      vmCol('FT Bandwidth', 'ftBandwidthKbps', 'num', 'summary.quickStats.ftLogBandwidth'),
      vmCol(
        'FT Sec. Latency',
        'ftSecondaryLatencyMs',
        'num',
        'summary.quickStats.ftSecondaryLatency',
      ),
      none(
        'Vm Failover In Progress',
        'bool',
        `${NOT_COLLECTED} (runtime.vmFailoverInProgress, API 7.0.2 and later)`,
      ),
      field(
        'Provisioned MiB',
        'provisionedBytes',
        'mib',
        'summary.storage.committed + uncommitted, never below the disks’ capacity',
        { aliases: ['Provisioned MB'] },
      ),
      field('In Use MiB', 'usedBytes', 'mib', 'summary.storage.committed', {
        aliases: ['In Use MB'],
      }),
      vmCol('Unshared MiB', 'unsharedBytes', 'mib', 'summary.storage.unshared'),
      field(
        'HA Restart Priority',
        'haRestartPriority',
        'text',
        'cluster configurationEx.dasVmConfig[VM].dasSettings.restartPriority, else dasConfig.defaultVmSettings',
      ),
      field(
        'HA Isolation Response',
        'haIsolationResponse',
        'text',
        'cluster configurationEx.dasVmConfig[VM].dasSettings.isolationResponse, else dasConfig.defaultVmSettings',
      ),
      field(
        'HA VM Monitoring',
        'haVmMonitoring',
        'text',
        'cluster dasVmConfig[VM].dasSettings.vmToolsMonitoringSettings, else dasConfig.vmMonitoring',
      ),
      none('Cluster rule(s)', 'text', UNDOCUMENTED),
      col(
        'Cluster rule name(s)',
        'text',
        'cluster configurationEx.rule[].name of the rules that list the VM',
        (r) => ids(f(r, 'clusterRuleNames')).join(', ') || null,
      ),
      none('Boot Required', 'bool', 'no documented source property in the vSphere API'),
      field('Boot delay', 'bootDelayMs', 'num', 'config.bootOptions.bootDelay'),
      field('Boot retry delay', 'bootRetryDelayMs', 'num', 'config.bootOptions.bootRetryDelay'),
      field(
        'Boot retry enabled',
        'bootRetryEnabled',
        'bool',
        'config.bootOptions.bootRetryEnabled',
      ),
      field('Boot BIOS setup', 'enterBiosSetup', 'bool', 'config.bootOptions.enterBIOSSetup'),
      none('Reboot PowerOff', 'bool', 'no documented source property in the vSphere API'),
      field('EFI Secure boot', 'efiSecureBoot', 'bool', 'config.bootOptions.efiSecureBootEnabled'),
      field('Firmware', 'firmware', 'text', 'config.firmware'),
      field('HW version', 'hardwareVersion', 'hwVersion', 'config.version (vmx-N → N)'),
      field(
        'HW upgrade status',
        'hwUpgradeStatus',
        'text',
        'config.scheduledHardwareUpgradeInfo.scheduledHardwareUpgradeStatus',
      ),
      field(
        'HW upgrade policy',
        'hwUpgradePolicy',
        'text',
        'config.scheduledHardwareUpgradeInfo.upgradePolicy',
      ),
      field(
        'HW target',
        'hwUpgradeTarget',
        'text',
        'config.scheduledHardwareUpgradeInfo.versionKey',
      ),
      field('Path', 'vmPathName', 'text', 'config.files.vmPathName', { width: 40 }),
      field('Log directory', 'logDirectory', 'text', 'config.files.logDirectory'),
      field('Snapshot directory', 'snapshotDirectory', 'text', 'config.files.snapshotDirectory'),
      field('Suspend directory', 'suspendDirectory', 'text', 'config.files.suspendDirectory'),
      // Annotation, custom attributes, the VM's place and OS (bound for the import here).
      ...vmTail(ctx, customs, { vInfo: true }).map((c) => BOUND_TAIL[c.header] ?? c),
      none('Customization Info', 'text', `${NOT_COLLECTED} (guest.customizationInfo, API 7.0.2+)`),
      none('Guest Detailed Data', 'text', `${NOT_COLLECTED} (guest.guestDetailedData, API 8.0.2+)`),
      col('VM ID', 'text', 'the VM’s managed object id', (r) => r.id),
      field('SMBIOS UUID', 'uuid', 'text', 'config.uuid', { width: 38 }),
      field('VM UUID', 'instanceUuid', 'text', 'config.instanceUuid', { width: 38 }),
      col('VI SDK Server type', 'text', 'ServiceContent.about.apiType', (r) =>
        serverType(r.ep.kind),
      ),
      col(
        'VI SDK API Version',
        'text',
        'ServiceContent.about.apiVersion',
        (r) => r.ep.about?.apiVersion ?? null,
      ),
      col('VI SDK Server', 'text', 'the endpoint’s host name', (r) => r.ep.host, { width: 24 }),
      col('VI SDK UUID', 'text', 'ServiceContent.about.instanceUuid', (r) => sdkUuid(r.ep), {
        width: 38,
      }),
    ];
  },
});

/** vInfo's tail columns that hold one VM field: bound so the import reads them back. */
const BOUND_TAIL: Readonly<Record<string, RvColumn<VmRecord>>> = {
  Annotation: field('Annotation', 'annotation', 'text', 'config.annotation', { width: 30 }),
  'OS according to the configuration file': field(
    'OS according to the configuration file',
    'guestOs',
    'text',
    'config.guestFullName',
    { width: 30 },
  ),
  'OS according to the VMware Tools': field(
    'OS according to the VMware Tools',
    'guestOsRunning',
    'text',
    'guest.guestFullName',
    { width: 30 },
  ),
};

/** A sheet of one row per VM: the VM's head columns, `middle`, then the VM's tail columns. */
function perVmSheet(
  name: string,
  middle: (wb: WorkbookData) => RvColumn<VmRecord>[],
  tail: TailOptions = {},
): AnySheet {
  return sheet<VmRecord>({
    name,
    count: (wb) => wb.count('vm'),
    rows: vmRows,
    columns: (wb) => {
      const ctx = selfOf(wb);
      return [...vmHead(ctx), ...middle(wb), ...vmTail(ctx, vmFacts(wb).customs, tail)];
    },
  });
}

/** A sheet of one row per record of a VM's device type, ending with the VM's columns. */
function perDeviceSheet<E extends 'vmDisk' | 'vmNic' | 'snapshot' | 'guestPartition'>(
  name: string,
  entity: E,
  middle: (wb: WorkbookData) => RvColumn<RecordOf<E>>[],
  template = true,
): AnySheet {
  return sheet<RecordOf<E>>({
    name,
    count: (wb) => wb.count(entity),
    rows: (wb) => records(wb.source, entity),
    columns: (wb) => {
      const ctx = parentOf(wb);
      return [...vmHead(ctx, template), ...middle(wb), ...vmTail(ctx, vmFacts(wb).customs)];
    },
  });
}

const vCPU = perVmSheet('vCPU', () => [
  vmCol('CPUs', 'cpuCount', 'num', 'config.hardware.numCPU'),
  col('Sockets', 'int', 'numCPU / numCoresPerSocket', (r) => {
    const cpus = num(f(r, 'cpuCount'));
    const cps = num(f(r, 'coresPerSocket'));
    return cpus !== null && cps ? Math.ceil(cpus / cps) : null;
  }),
  vmCol('Cores p/s', 'coresPerSocket', 'num', 'config.hardware.numCoresPerSocket'),
  vmCol('Max', 'cpuMaxMhz', 'num', 'runtime.maxCpuUsage'),
  vmCol('Overall', 'cpuUsageMhz', 'num', 'summary.quickStats.overallCpuUsage'),
  vmCol('Level', 'cpuSharesLevel', 'text', 'config.cpuAllocation.shares.level'),
  vmCol('Shares', 'cpuShares', 'num', 'config.cpuAllocation.shares.shares'),
  vmCol('Reservation', 'cpuReservationMhz', 'num', 'config.cpuAllocation.reservation'),
  vmCol('Entitlement', 'cpuEntitlementMhz', 'num', 'summary.quickStats.staticCpuEntitlement'),
  vmCol(
    'DRS Entitlement',
    'cpuDrsEntitlementMhz',
    'num',
    'summary.quickStats.distributedCpuEntitlement',
  ),
  vmCol('Limit', 'cpuLimitMhz', 'num', 'config.cpuAllocation.limit'),
  vmCol('Hot Add', 'cpuHotAdd', 'bool', 'config.cpuHotAddEnabled'),
  vmCol('Hot Remove', 'cpuHotRemove', 'bool', 'config.cpuHotRemoveEnabled'),
  none(
    'Numa Hotadd Exposed',
    'bool',
    `${NOT_COLLECTED} (config.hardware.virtualNumaInfo, API 8.0.0.1 and later)`,
  ),
]);

const qs = (header: string, member: string, name: EntityFields<'vm'>): RvColumn<VmRecord> =>
  vmCol(header, name, 'num', `summary.quickStats.${member}`);

const vMemory = perVmSheet('vMemory', () => [
  vmCol('Size MiB', 'memoryMb', 'num', 'config.hardware.memoryMB'),
  vmCol(
    'Memory Reservation Locked To Max',
    'memoryReservationLockedToMax',
    'bool',
    'config.memoryReservationLockedToMax',
  ),
  vmCol('Overhead', 'memoryOverheadBytes', 'mib', 'runtime.memoryOverhead'),
  vmCol('Max', 'memoryMaxMb', 'num', 'runtime.maxMemoryUsage'),
  qs('Consumed', 'hostMemoryUsage', 'memoryConsumedMb'),
  qs('Consumed Overhead', 'consumedOverheadMemory', 'memoryConsumedOverheadMb'),
  qs('Private', 'privateMemory', 'memoryPrivateMb'),
  qs('Shared', 'sharedMemory', 'memorySharedMb'),
  qs('Swapped', 'swappedMemory', 'memorySwappedMb'),
  qs('Ballooned', 'balloonedMemory', 'memoryBalloonedMb'),
  qs('Active', 'guestMemoryUsage', 'memoryUsageMb'),
  qs('Entitlement', 'staticMemoryEntitlement', 'memoryEntitlementMb'),
  qs('DRS Entitlement', 'distributedMemoryEntitlement', 'memoryDrsEntitlementMb'),
  vmCol('Level', 'memorySharesLevel', 'text', 'config.memoryAllocation.shares.level'),
  vmCol('Shares', 'memoryShares', 'num', 'config.memoryAllocation.shares.shares'),
  vmCol('Reservation', 'memoryReservationMb', 'num', 'config.memoryAllocation.reservation'),
  vmCol('Limit', 'memoryLimitMb', 'num', 'config.memoryAllocation.limit'),
  vmCol('Hot Add', 'memoryHotAdd', 'bool', 'config.memoryHotAddEnabled'),
]);

const IO = 'VirtualDisk.storageIOAllocation';

const vDisk = perDeviceSheet('vDisk', 'vmDisk', (wb) => {
  const { partitionsByDisk } = vmFacts(wb);
  return [
    diskCol('Disk', 'label', 'text', 'VirtualDisk.deviceInfo.label'),
    diskCol('Disk Key', 'diskKey', 'num', 'VirtualDisk.key'),
    diskCol('Disk UUID', 'diskUuid', 'text', 'VirtualDisk.backing.uuid'),
    col(
      'Disk Path',
      'text',
      'guest.disk[].diskPath of the partitions whose mappings[].key is the disk (API 7.0+)',
      (r) => {
        const key = num(f(r, 'diskKey'));
        const paths = key === null ? undefined : partitionsByDisk.get(r.ep, f(r, 'vmId'))?.get(key);
        return paths?.join(', ') || null;
      },
      { width: 24 },
    ),
    diskCol('Capacity MiB', 'capacityBytes', 'mib', 'VirtualDisk.capacityInBytes'),
    diskCol(
      'Raw',
      'raw',
      'bool',
      'VirtualDisk.backing is VirtualDiskRawDiskMappingVer1BackingInfo',
    ),
    diskCol('Disk Mode', 'diskMode', 'text', 'VirtualDisk.backing.diskMode'),
    diskCol('Sharing mode', 'sharing', 'text', 'VirtualDisk.backing.sharing'),
    diskCol('Thin', 'thin', 'bool', 'VirtualDisk.backing.thinProvisioned'),
    diskCol('Eagerly Scrub', 'eagerlyScrub', 'bool', 'VirtualDisk.backing.eagerlyScrub'),
    diskCol('Split', 'split', 'bool', 'VirtualDisk.backing.split'),
    diskCol('Write Through', 'writeThrough', 'bool', 'VirtualDisk.backing.writeThrough'),
    diskCol('Level', 'ioSharesLevel', 'text', `${IO}.shares.level`),
    diskCol('Shares', 'ioShares', 'num', `${IO}.shares.shares`),
    diskCol('Reservation', 'ioReservation', 'num', `${IO}.reservation`),
    diskCol('Limit', 'ioLimit', 'num', `${IO}.limit`),
    diskCol(
      'Controller',
      'controllerLabel',
      'text',
      'VirtualDisk.controllerKey → deviceInfo.label',
    ),
    none('Label', 'text', UNDOCUMENTED),
    none('SCSI Unit #', 'int', UNDOCUMENTED),
    diskCol('Unit #', 'unitNumber', 'num', 'VirtualDisk.unitNumber'),
    diskCol('Shared Bus', 'controllerSharedBus', 'text', 'VirtualSCSIController.sharedBus'),
    diskCol('Path', 'fileName', 'text', 'VirtualDisk.backing.fileName', { width: 40 }),
    diskCol('Raw LUN ID', 'rawLunUuid', 'text', 'raw disk mapping backing.lunUuid'),
    diskCol(
      'Raw Comp. Mode',
      'rawCompatibilityMode',
      'text',
      'raw disk mapping backing.compatibilityMode',
    ),
    none('Internal Sort Column', 'text', SORT),
  ];
});

const vPartition = perDeviceSheet('vPartition', 'guestPartition', () => {
  const cap = (r: EntityRecord): number | null => num(f(r, 'capacityBytes'));
  const free = (r: EntityRecord): number | null => num(f(r, 'freeBytes'));
  return [
    partitionCol('Disk Key', 'diskKey', 'num', 'guest.disk[].mappings[0].key (API 7.0+)'),
    partitionCol('Disk', 'path', 'text', 'guest.disk[].diskPath', { width: 24 }),
    partitionCol('Capacity MiB', 'capacityBytes', 'mib', 'guest.disk[].capacity'),
    col('Consumed MiB', 'int', 'guest.disk[].capacity − freeSpace', (r) => {
      const a = cap(r);
      const b = free(r);
      return a === null || b === null ? null : mib(a - b);
    }),
    partitionCol('Free MiB', 'freeBytes', 'mib', 'guest.disk[].freeSpace'),
    col('Free %', 'pct', 'guest.disk[].freeSpace / capacity', (r) => {
      const a = cap(r);
      const b = free(r);
      return a === null || b === null || a === 0 ? null : Math.round((b / a) * 1000) / 10;
    }),
    none('Internal Sort Column', 'text', SORT),
  ];
});

const ipv = (r: EntityRecord, v6: boolean): string | null =>
  ids(f(r, 'ipAddresses'))
    .filter((ip) => ip.includes(':') === v6)
    .join(', ') || null;

const vNetwork = perDeviceSheet('vNetwork', 'vmNic', (wb) => [
  nicCol('NIC label', 'label', 'text', 'VirtualEthernetCard.deviceInfo.label'),
  nicCol('Adapter', 'adapterType', 'text', 'the VirtualEthernetCard’s type'),
  nicCol('Network', 'networkName', 'text', 'VirtualEthernetCard.backing → network name', {
    width: 24,
  }),
  col('Switch', 'text', 'the network’s switch', (r) => {
    const n = wb.lookups.record(r.ep, 'network', f(r, 'networkId'));
    return n ? str(n.fields['switchName']) : null;
  }),
  nicCol('Connected', 'connected', 'bool', 'VirtualEthernetCard.connectable.connected'),
  nicCol(
    'Starts Connected',
    'startConnected',
    'bool',
    'VirtualEthernetCard.connectable.startConnected',
  ),
  nicCol('Mac Address', 'macAddress', 'text', 'VirtualEthernetCard.macAddress'),
  none('Type', 'text', UNDOCUMENTED),
  col('IPv4 Address', 'text', 'guest.net[].ipAddress (IPv4)', (r) => ipv(r, false)),
  col('IPv6 Address', 'text', 'guest.net[].ipAddress (IPv6)', (r) => ipv(r, true)),
  none('Direct Path IO', 'bool', UNDOCUMENTED),
  none('Internal Sort Column', 'text', SORT),
]);

type CdRow = DeviceRow<CdDrive>;
type UsbRow = DeviceRow<UsbDevice>;
const deviceVm = <D>(r: DeviceRow<D>): VmCtx => r.vm;

const vCD = sheet<CdRow>({
  name: 'vCD',
  count: (wb) => vmFacts(wb).cdRows.length,
  rows: (wb) => vmFacts(wb).cdRows,
  columns: (wb) => [
    ...vmHead<CdRow>(deviceVm),
    col<CdRow>('Device Node', 'text', 'VirtualCdrom.deviceInfo.label', (r) => r.device.label),
    col<CdRow>(
      'Connected',
      'bool',
      'VirtualCdrom.connectable.connected',
      (r) => r.device.connected,
    ),
    col<CdRow>(
      'Starts Connected',
      'bool',
      'VirtualCdrom.connectable.startConnected',
      (r) => r.device.startConnected,
    ),
    col<CdRow>(
      'Device Type',
      'text',
      'VirtualCdrom.backing type (VirtualCdromIsoBackingInfo → Iso)',
      (r) => r.device.backing,
    ),
    ...vmTail<CdRow>(deviceVm, vmFacts(wb).customs, { vmRef: true }),
  ],
});

const vUSB = sheet<UsbRow>({
  name: 'vUSB',
  count: (wb) => vmFacts(wb).usbRows.length,
  rows: (wb) => vmFacts(wb).usbRows,
  columns: (wb) => [
    ...vmHead<UsbRow>(deviceVm),
    col<UsbRow>('Device Node', 'text', 'VirtualUSB.deviceInfo.label', (r) => r.device.label),
    col<UsbRow>(
      'Device Type',
      'text',
      'VirtualUSB.backing type (VirtualUSBUSBBackingInfo → USB)',
      (r) => r.device.backing,
    ),
    col<UsbRow>('Connected', 'bool', 'VirtualUSB.connected', (r) => r.device.connected),
    col<UsbRow>('Family', 'text', 'VirtualUSB.family', (r) => r.device.family.join(', ') || null),
    col<UsbRow>('Speed', 'text', 'VirtualUSB.speed', (r) => r.device.speed.join(', ') || null),
    col<UsbRow>(
      'EHCI enabled',
      'bool',
      'VirtualUSBController.ehciEnabled',
      (r) => r.device.ehciEnabled,
    ),
    col<UsbRow>(
      'Auto connect',
      'bool',
      'the USB controller’s autoConnectDevices',
      (r) => r.device.autoConnect,
    ),
    col<UsbRow>('Bus number', 'int', 'the USB controller’s busNumber', (r) => r.device.busNumber),
    col<UsbRow>('Unit number', 'int', 'VirtualUSB.unitNumber', (r) => r.device.unitNumber),
    ...vmTail<UsbRow>(deviceVm, vmFacts(wb).customs, { vmRef: true, toolsLower: true }),
  ],
});

const vSnapshot = perDeviceSheet(
  'vSnapshot',
  'snapshot',
  () => [
    col('Name', 'text', 'snapshot.rootSnapshotList[].name', (r) => r.name, { width: 24 }),
    snapshotCol('Description', 'description', 'text', 'VirtualMachineSnapshotTree.description', {
      width: 30,
    }),
    snapshotCol('Date / time', 'createdAt', 'time', 'VirtualMachineSnapshotTree.createTime'),
    snapshotCol('Filename', 'fileName', 'text', 'layoutEx.file[dataKey].name (the vmsn file)'),
    snapshotCol('Size MiB (vmsn)', 'vmsnBytes', 'mib', 'layoutEx.file[dataKey].size'),
    snapshotCol('Size MiB (total)', 'sizeBytes', 'mib', 'layoutEx.file[dataKey, memoryKey].size'),
    snapshotCol('Quiesced', 'quiesced', 'bool', 'VirtualMachineSnapshotTree.quiesced'),
    snapshotCol('State', 'powerState', 'text', 'VirtualMachineSnapshotTree.state'),
  ],
  false,
);

const UPGRADEABLE = new Set([
  'guestToolsNeedUpgrade',
  'guestToolsSupportedOld',
  'guestToolsTooOld',
]);
const CURRENT = new Set([
  'guestToolsCurrent',
  'guestToolsSupportedNew',
  'guestToolsTooNew',
  'guestToolsUnmanaged',
  'guestToolsNotInstalled',
  'guestToolsBlacklisted',
]);

const vTools = perVmSheet(
  'vTools',
  () => [
    vmCol('VM Version', 'hardwareVersion', 'hwVersion', 'config.version (vmx-N → N)'),
    vmCol('Tools', 'toolsStatus', 'text', 'guest.toolsStatus'),
    vmCol('Tools Version', 'toolsVersion', 'text', 'guest.toolsVersion'),
    none('Required Version', 'text', 'no documented source property in the vSphere API'),
    col(
      'Upgradeable',
      'bool',
      'guest.toolsVersionStatus2 is guestToolsNeedUpgrade, guestToolsSupportedOld or guestToolsTooOld',
      (r) => {
        const s = str(f(r, 'toolsVersionStatus'));
        return s === null ? null : UPGRADEABLE.has(s) ? true : CURRENT.has(s) ? false : null;
      },
    ),
    vmCol('Upgrade Policy', 'toolsUpgradePolicy', 'text', 'config.tools.toolsUpgradePolicy'),
    vmCol('Sync time', 'toolsSyncTime', 'bool', 'config.tools.syncTimeWithHost'),
    vmCol('App status', 'appHeartbeatStatus', 'text', 'guest.appHeartbeatStatus'),
    vmCol('Heartbeat status', 'heartbeat', 'text', 'guestHeartbeatStatus'),
    vmCol(
      'Kernel Crash state',
      'guestKernelCrashed',
      'bool',
      'guest.guestKernelCrashed (API 6.0+)',
    ),
    vmCol('Operation Ready', 'guestOperationsReady', 'bool', 'guest.guestOperationsReady'),
    vmCol(
      'State change support',
      'guestStateChangeSupported',
      'bool',
      'guest.guestStateChangeSupported',
    ),
    vmCol(
      'Interactive Guest',
      'interactiveGuestOperationsReady',
      'bool',
      'guest.interactiveGuestOperationsReady',
    ),
  ],
  { vmRef: true },
);

/** The VM sheets, in RVTools' order. */
export const VM_SHEETS: readonly AnySheet[] = [
  vInfo,
  vCPU,
  vMemory,
  vDisk,
  vPartition,
  vNetwork,
  vCD,
  vUSB,
  vSnapshot,
  vTools,
];
