/**
 * Maps a VirtualMachine's raw properties to the VM, its disks, NICs, snapshots and guest
 * partitions (src/shared/entities.ts): what RVTools' vInfo, vCPU, vMemory, vDisk, vPartition,
 * vNetwork, vCD, vUSB, vSnapshot and vTools sheets show. The paths read and the device members
 * kept are declared here, beside the code that reads them.
 */
import type { CdDrive, CollectedEntity, TypedFields, UsbDevice } from '../../../shared/entities.js';
import type { Keep, MoRef, VimObject, VimValue } from './codec.js';
import { arr, bool, num, obj, path, ref, str } from './codec.js';
import type { InventoryCache, RawObject } from './mapper.js';
import { keep, mul, one, sortedIds } from './mapper-util.js';

/**
 * The VirtualMachine paths one PropertyCollector pass reads. Paths a server's API version does not
 * know are left out: asking for one is an InvalidProperty fault that fails the whole retrieval.
 */
export function vmPropertyPaths(major: number, minor: number): readonly string[] {
  return [
    'name',
    'parent',
    'parentVApp',
    'resourcePool',
    'configStatus',
    'runtime.host',
    'runtime.powerState',
    'runtime.connectionState',
    'runtime.bootTime',
    'runtime.suspendTime',
    'runtime.consolidationNeeded',
    'runtime.minRequiredEVCModeKey',
    'runtime.dasVmProtection',
    'runtime.faultToleranceState',
    'runtime.maxCpuUsage',
    'runtime.maxMemoryUsage',
    'runtime.memoryOverhead',
    'config.template',
    'config.guestFullName',
    'config.changeVersion',
    ...(major > 6 || (major === 6 && minor >= 7) ? ['config.createDate'] : []),
    'config.hardware.numCPU',
    'config.hardware.numCoresPerSocket',
    'config.hardware.memoryMB',
    'config.hardware.device',
    'config.version',
    'config.firmware',
    'config.uuid',
    'config.instanceUuid',
    'config.files',
    'config.annotation',
    'config.managedBy',
    'config.latencySensitivity',
    'config.changeTrackingEnabled',
    'config.ftInfo',
    'config.bootOptions',
    'config.scheduledHardwareUpgradeInfo',
    'config.cpuAllocation',
    'config.memoryAllocation',
    'config.cpuHotAddEnabled',
    'config.cpuHotRemoveEnabled',
    'config.memoryHotAddEnabled',
    'config.memoryReservationLockedToMax',
    'config.tools.toolsUpgradePolicy',
    'config.tools.syncTimeWithHost',
    'guest.guestFullName',
    'guest.hostName',
    'guest.ipAddress',
    'guest.net',
    'guest.guestState',
    'guest.toolsStatus',
    'guest.toolsRunningStatus',
    'guest.toolsVersion',
    'guest.toolsVersionStatus2',
    'guest.appHeartbeatStatus',
    ...(major >= 6 ? ['guest.guestKernelCrashed'] : []),
    'guest.guestOperationsReady',
    'guest.guestStateChangeSupported',
    'guest.interactiveGuestOperationsReady',
    'guest.disk',
    'guestHeartbeatStatus',
    'summary.storage',
    'summary.quickStats',
    'overallStatus',
    'datastore',
    'network',
    'customValue',
    'snapshot',
    'layoutEx.snapshot',
    'layoutEx.file',
  ];
}

/**
 * The members of each device that {@link mapVm} reads; the rest of a device (PCI slots, controller
 * details...) is half of a VM's bytes and never read.
 */
const DEVICE: Keep = keep(
  [
    'key',
    'deviceInfo',
    'backing',
    'connectable',
    'controllerKey',
    'unitNumber',
    'busNumber',
    'macAddress',
    'capacityInBytes',
    'capacityInKB',
    'storageIOAllocation',
    'sharedBus',
    'connected',
    'family',
    'speed',
    'ehciEnabled',
    'autoConnectDevices',
    'numDisplays',
    'videoRamSizeInKB',
  ],
  {
    deviceInfo: keep(['label']),
    backing: keep([
      'fileName',
      'datastore',
      'thinProvisioned',
      'eagerlyScrub',
      'writeThrough',
      'split',
      'sharing',
      'uuid',
      'compatibilityMode',
      'lunUuid',
      'diskMode',
      'network',
      'port',
      'opaqueNetworkId',
      'deviceName',
    ]),
    connectable: keep(['connected', 'startConnected']),
    storageIOAllocation: keep(['limit', 'shares', 'reservation']),
  },
);

/** What {@link mapVm} reads of a VM's bulkiest array properties (see `PRUNED` in mapper.ts). */
export const VM_PRUNED: ReadonlyMap<string, Keep> = new Map([
  ['config.hardware.device', DEVICE],
  ['layoutEx.file', keep(['key', 'name', 'size'])],
  ['guest.net', keep(['deviceConfigId', 'ipAddress'])],
  [
    'guest.disk',
    keep(['diskPath', 'capacity', 'freeSpace', 'filesystemType', 'mappings'], {
      mappings: keep(['key']),
    }),
  ],
]);

const CONTROLLER_NAMES: readonly [string, string][] = [
  ['ParaVirtualSCSIController', 'pvscsi'],
  ['VirtualLsiLogicSASController', 'lsilogic-sas'],
  ['VirtualLsiLogicController', 'lsilogic'],
  ['VirtualBusLogicController', 'buslogic'],
  ['VirtualAHCIController', 'sata'],
  ['VirtualNVMEController', 'nvme'],
  ['VirtualIDEController', 'ide'],
];

function controllerName(dev: VimObject | undefined): string | null {
  if (!dev) return null;
  const t = dev._type ?? '';
  const kind =
    CONTROLLER_NAMES.find(([k]) => t === k)?.[1] ??
    t
      .replace(/^Virtual/, '')
      .replace(/Controller$/, '')
      .toLowerCase();
  const bus = str(dev['busNumber']);
  return bus === null ? kind : `${kind}${bus}`;
}

const NIC_TYPES: Readonly<Record<string, string>> = {
  VirtualE1000: 'e1000',
  VirtualE1000e: 'e1000e',
  VirtualVmxnet3: 'vmxnet3',
  VirtualVmxnet3Vrdma: 'vmxnet3vrdma',
  VirtualVmxnet2: 'vmxnet2',
  VirtualVmxnet: 'vmxnet',
  VirtualPCNet32: 'pcnet32',
  VirtualSriovEthernetCard: 'sriov',
};

/** A backing's data type without its device prefix and `BackingInfo` (`Iso`, `RemotePassthrough`). */
function backingKind(backing: VimObject | undefined, prefix: string): string | null {
  const t = backing?._type;
  if (!t) return null;
  return t.replace(prefix, '').replace(/BackingInfo$/, '') || t;
}

interface SnapshotNode {
  ref: MoRef;
  parent: string | null;
  node: VimObject;
}

function flattenSnapshots(
  list: VimValue | undefined,
  parent: string | null,
  out: SnapshotNode[],
): void {
  for (const item of arr(list)) {
    const node = obj(item);
    const r = ref(node?.['snapshot']);
    if (!node || !r) continue;
    out.push({ ref: r, parent, node });
    flattenSnapshots(node['childSnapshotList'], r.value, out);
  }
}

interface SnapshotFiles {
  /** Data + memory file sizes (the vmsn and vmem files). */
  readonly totalBytes: number;
  /** The state file (vmsn), from layoutEx's dataKey. */
  readonly vmsnName: string | null;
  readonly vmsnBytes: number | null;
}

/** Each snapshot's files, from layoutEx. */
function snapshotFiles(o: RawObject): Map<string, SnapshotFiles> {
  const files = new Map<string, { name: string | null; size: number | null }>();
  for (const f of arr(o.props.get('layoutEx.file'))) {
    const key = str(path(f, 'key'));
    if (key !== null) files.set(key, { name: str(path(f, 'name')), size: num(path(f, 'size')) });
  }
  const out = new Map<string, SnapshotFiles>();
  for (const s of arr(o.props.get('layoutEx.snapshot'))) {
    const r = ref(path(s, 'key'));
    if (!r) continue;
    const data = files.get(str(path(s, 'dataKey')) ?? '');
    const memory = files.get(str(path(s, 'memoryKey')) ?? '');
    out.set(r.value, {
      totalBytes: (data?.size ?? 0) + (memory?.size ?? 0),
      vmsnName: data?.name ?? null,
      vmsnBytes: data?.size ?? null,
    });
  }
  return out;
}

/** A 32-bit FNV-1a hash in hex: a partition's id from its path (ids keep to `[a-z0-9-]`). */
export function pathKey(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

interface HaSettings {
  readonly restartPriority: string | null;
  readonly isolationResponse: string | null;
  readonly vmMonitoring: string | null;
  readonly ruleNames: string[];
}

/**
 * The VM's HA settings in its cluster (ClusterConfigInfoEx): its own `dasVmConfig` entry where it
 * sets one, else the cluster's defaults; and the names of the DRS rules that list the VM.
 */
function haSettings(cluster: RawObject | undefined, vmId: string): HaSettings | null {
  const cfg = cluster?.props.get('configurationEx');
  if (!cluster || cfg === undefined) return null;
  const defaults = path(cfg, 'dasConfig.defaultVmSettings');
  const own = arr(path(cfg, 'dasVmConfig')).find((c) => ref(path(c, 'key'))?.value === vmId);
  // `cluster…` values and unset ones mean "as the cluster": its default.
  const pick = (p: string, asCluster: string): string | null => {
    const v = str(path(own, `dasSettings.${p}`));
    return v !== null && v !== asCluster ? v : str(path(defaults, p));
  };
  const monitoring = path(own, 'dasSettings.vmToolsMonitoringSettings');
  const ruleNames = arr(path(cfg, 'rule'))
    .filter((r) => arr(path(r, 'vm')).some((v) => ref(v)?.value === vmId))
    .map((r) => str(path(r, 'name')))
    .filter((n): n is string => n !== null)
    .sort();
  return {
    restartPriority: pick('restartPriority', 'clusterRestartPriority'),
    isolationResponse: pick('isolationResponse', 'clusterIsolationResponse'),
    vmMonitoring:
      bool(path(monitoring, 'clusterSettings')) === false
        ? str(path(monitoring, 'vmMonitoring'))
        : str(path(cfg, 'dasConfig.vmMonitoring')),
    ruleNames,
  };
}

/** SRM marks its placeholder VMs as managed by its extension, with the type `placeholderVm`. */
function srmPlaceholder(managedBy: VimValue | undefined): boolean {
  return (
    str(path(managedBy, 'extensionKey')) === 'com.vmware.vcDr' &&
    str(path(managedBy, 'type')) === 'placeholderVm'
  );
}

/** A VM and its disks, NICs, snapshots and guest partitions. */
export function mapVm(cache: InventoryCache, o: RawObject): CollectedEntity[] {
  const id = o.ref.value;
  const p = o.props;
  const hostRef = ref(p.get('runtime.host'));
  const host = cache.get(hostRef?.value);
  const hostParent = host ? cache.parentOf(host) : undefined;
  const cluster =
    hostParent && hostParent.ref.type === 'ClusterComputeResource' ? hostParent : undefined;
  const folder = ref(p.get('parent'));
  const folderObj = folder ? cache.get(folder.value) : undefined;
  const devices = arr(p.get('config.hardware.device'))
    .map((d) => obj(d))
    .filter((d): d is VimObject => d !== undefined);
  const byKey = new Map<string, VimObject>();
  for (const d of devices) {
    const k = str(d['key']);
    if (k !== null) byKey.set(k, d);
  }
  const controllerOf = (d: VimObject): VimObject | undefined =>
    byKey.get(str(d['controllerKey']) ?? '');
  const guestNets = arr(p.get('guest.net'));
  const ipsByDevice = new Map<string, string[]>();
  const allIps: string[] = [];
  for (const n of guestNets) {
    const ips = arr(path(n, 'ipAddress'))
      .map((x) => str(x))
      .filter((x): x is string => !!x);
    const dk = str(path(n, 'deviceConfigId'));
    if (dk !== null) ipsByDevice.set(dk, ips);
    for (const ip of ips) if (!allIps.includes(ip)) allIps.push(ip);
  }
  const children: CollectedEntity[] = [];
  const cdDrives: CdDrive[] = [];
  const usbDevices: UsbDevice[] = [];
  let nicCount = 0;
  let diskCount = 0;
  let diskBytes = 0;
  let floppyConnected = false;
  let numMonitors: number | null = null;
  let videoRamKib: number | null = null;
  for (const d of devices) {
    const t = d._type ?? '';
    const key = str(d['key']) ?? '';
    const label = str(path(d, 'deviceInfo.label'));
    const backing = obj(d['backing']);
    if (t === 'VirtualDisk') {
      diskCount++;
      const capBytes = num(d['capacityInBytes']) ?? mul(num(d['capacityInKB']), 1024);
      diskBytes += capBytes ?? 0;
      const controller = controllerOf(d);
      const raw = backing?._type === 'VirtualDiskRawDiskMappingVer1BackingInfo';
      const io = d['storageIOAllocation'];
      children.push({
        type: 'vmDisk',
        id: `${id}/disk-${key}`,
        name: label ?? `disk-${key}`,
        fields: {
          vmId: id,
          label,
          capacityBytes: capBytes,
          thin: bool(backing?.['thinProvisioned']),
          diskMode: str(backing?.['diskMode']),
          fileName: str(backing?.['fileName']),
          datastoreId: ref(backing?.['datastore'])?.value ?? null,
          controller: controllerName(controller),
          unitNumber: num(d['unitNumber']),
          diskKey: num(d['key']),
          diskUuid: str(backing?.['uuid']),
          controllerLabel: str(path(controller, 'deviceInfo.label')),
          controllerSharedBus: str(controller?.['sharedBus']),
          raw: backing ? raw : null,
          rawCompatibilityMode: raw ? str(backing['compatibilityMode']) : null,
          rawLunUuid: raw ? str(backing['lunUuid']) : null,
          sharing: str(backing?.['sharing']),
          eagerlyScrub: bool(backing?.['eagerlyScrub']),
          split: bool(backing?.['split']),
          writeThrough: bool(backing?.['writeThrough']),
          ioSharesLevel: str(path(io, 'shares.level')),
          ioShares: num(path(io, 'shares.shares')),
          ioReservation: num(path(io, 'reservation')),
          ioLimit: num(path(io, 'limit')),
        },
      });
    } else if (d['macAddress'] !== undefined || NIC_TYPES[t] !== undefined) {
      nicCount++;
      let networkId: string | null = ref(backing?.['network'])?.value ?? null;
      const pgKey = str(path(backing, 'port.portgroupKey'));
      if (!networkId && pgKey) networkId = pgKey; // a DVPG's key is its moref value
      const opaque = str(backing?.['opaqueNetworkId']);
      const netObj = cache.get(networkId);
      children.push({
        type: 'vmNic',
        id: `${id}/nic-${key}`,
        name: label ?? `nic-${key}`,
        fields: {
          vmId: id,
          label,
          adapterType: NIC_TYPES[t] ?? t.replace(/^Virtual/, '').toLowerCase(),
          macAddress: str(d['macAddress']),
          networkId,
          networkName: netObj ? cache.name(netObj) : (str(backing?.['deviceName']) ?? opaque),
          connected: bool(path(d, 'connectable.connected')),
          startConnected: bool(path(d, 'connectable.startConnected')),
          ipAddresses: ipsByDevice.get(key) ?? [],
        },
      });
    } else if (t === 'VirtualCdrom') {
      cdDrives.push({
        label,
        connected: bool(path(d, 'connectable.connected')),
        startConnected: bool(path(d, 'connectable.startConnected')),
        backing: backingKind(backing, 'VirtualCdrom'),
        fileName: str(backing?.['fileName']) ?? (str(backing?.['deviceName']) || null),
      });
    } else if (t === 'VirtualUSB') {
      const controller = controllerOf(d);
      usbDevices.push({
        label,
        connected: bool(d['connected']),
        backing: backingKind(backing, 'VirtualUSB'),
        family: arr(d['family'])
          .map((x) => str(x))
          .filter((x): x is string => x !== null),
        speed: arr(d['speed'])
          .map((x) => str(x))
          .filter((x): x is string => x !== null),
        ehciEnabled: bool(controller?.['ehciEnabled']),
        autoConnect: bool(controller?.['autoConnectDevices']),
        busNumber: num(controller?.['busNumber']),
        unitNumber: num(d['unitNumber']),
      });
    } else if (t === 'VirtualFloppy') {
      if (bool(path(d, 'connectable.connected')) === true) floppyConnected = true;
    } else if (t === 'VirtualMachineVideoCard') {
      numMonitors = num(d['numDisplays']);
      videoRamKib = num(d['videoRamSizeInKB']);
    }
  }

  const snap = p.get('snapshot');
  const current = ref(path(snap, 'currentSnapshot'))?.value ?? null;
  const nodes: SnapshotNode[] = [];
  flattenSnapshots(path(snap, 'rootSnapshotList'), null, nodes);
  const files = snapshotFiles(o);
  for (const s of nodes) {
    const f = files.get(s.ref.value);
    children.push({
      type: 'snapshot',
      id: s.ref.value,
      name: str(s.node['name']) ?? s.ref.value,
      fields: {
        vmId: id,
        parentId: s.parent,
        description: str(s.node['description']),
        createdAt: str(s.node['createTime']),
        sizeBytes: f?.totalBytes ?? null,
        powerState: str(s.node['state']),
        quiesced: bool(s.node['quiesced']),
        isCurrent: s.ref.value === current,
        fileName: f?.vmsnName ?? null,
        vmsnBytes: f?.vmsnBytes ?? null,
      },
    });
  }

  const guestDisks = arr(p.get('guest.disk'));
  const partitionIds = new Set<string>();
  for (const gd of guestDisks) {
    const diskPath = str(path(gd, 'diskPath'));
    if (diskPath === null) continue;
    const pid = `${id}/part-${pathKey(diskPath)}`;
    if (partitionIds.has(pid)) continue; // the guest listed the same mount twice
    partitionIds.add(pid);
    children.push({
      type: 'guestPartition',
      id: pid,
      name: diskPath,
      fields: {
        vmId: id,
        path: diskPath,
        capacityBytes: num(path(gd, 'capacity')),
        freeBytes: num(path(gd, 'freeSpace')),
        filesystemType: str(path(gd, 'filesystemType')),
        diskKey: num(path(one(path(gd, 'mappings')), 'key')),
      },
    });
  }

  const storage = p.get('summary.storage');
  const committed = num(path(storage, 'committed'));
  const uncommitted = num(path(storage, 'uncommitted'));
  const qs = p.get('summary.quickStats');
  const custom: Record<string, string> = {};
  for (const cv of arr(p.get('customValue'))) {
    const key = str(path(cv, 'key'));
    const value = str(one(path(cv, 'value')));
    if (key !== null && value !== null) custom[cache.customFieldNames.get(key) ?? key] = value;
  }
  const vmFiles = p.get('config.files');
  const boot = p.get('config.bootOptions');
  const upgrade = p.get('config.scheduledHardwareUpgradeInfo');
  const cpu = p.get('config.cpuAllocation');
  const mem = p.get('config.memoryAllocation');
  const ha = haSettings(cluster, id);
  const fields: TypedFields<'vm'> = {
    datacenterId:
      cache.ancestor(o, 'Datacenter')?.ref.value ??
      (host ? (cache.ancestor(host, 'Datacenter')?.ref.value ?? null) : null),
    clusterId: cluster?.ref.value ?? null,
    hostId: hostRef?.value ?? null,
    resourcePoolId: ref(p.get('resourcePool'))?.value ?? null,
    folderId: folder && folder.type === 'Folder' ? folder.value : null,
    folderPath: folderObj && folderObj.ref.type === 'Folder' ? cache.pathOf(folderObj) : null,
    powerState: str(p.get('runtime.powerState')),
    connectionState: str(p.get('runtime.connectionState')),
    isTemplate: bool(p.get('config.template')),
    guestOs: str(p.get('config.guestFullName')),
    guestOsRunning: str(p.get('guest.guestFullName')),
    guestHostname: str(p.get('guest.hostName')),
    ipAddress: str(p.get('guest.ipAddress')),
    ipAddresses: allIps,
    cpuCount: num(p.get('config.hardware.numCPU')),
    coresPerSocket: num(p.get('config.hardware.numCoresPerSocket')),
    memoryMb: num(p.get('config.hardware.memoryMB')),
    // Never below the disks' capacity (RVTools' rule: a thin disk's uncommitted space may lag).
    provisionedBytes:
      committed === null ? null : Math.max(committed + (uncommitted ?? 0), diskBytes),
    usedBytes: committed,
    uncommittedBytes: uncommitted,
    toolsStatus: str(p.get('guest.toolsStatus')),
    toolsRunningStatus: str(p.get('guest.toolsRunningStatus')),
    toolsVersion: str(p.get('guest.toolsVersion')),
    hardwareVersion: str(p.get('config.version')),
    firmware: str(p.get('config.firmware')),
    uuid: str(p.get('config.uuid')),
    instanceUuid: str(p.get('config.instanceUuid')),
    vmPathName: str(path(vmFiles, 'vmPathName')),
    annotation: str(p.get('config.annotation')),
    cdromConnected: cdDrives.some((c) => c.connected === true),
    consolidationNeeded: bool(p.get('runtime.consolidationNeeded')),
    overallStatus: str(p.get('overallStatus')),
    bootTime: str(p.get('runtime.bootTime')),
    cpuUsageMhz: num(path(qs, 'overallCpuUsage')),
    memoryUsageMb: num(path(qs, 'guestMemoryUsage')),
    uptimeSeconds: num(path(qs, 'uptimeSeconds')),
    nicCount,
    diskCount,
    generation: null,
    datastoreIds: sortedIds(p.get('datastore')),
    networkIds: sortedIds(p.get('network')),
    customAttributes: custom,
    tags: cache.tags.get(id) ?? [],
    floppyConnected,
    guestDisks: guestDisks.map((gd) => ({
      path: str(path(gd, 'diskPath')),
      capacityBytes: num(path(gd, 'capacity')),
      freeBytes: num(path(gd, 'freeSpace')),
    })),
    configStatus: str(p.get('configStatus')),
    srmPlaceholder: srmPlaceholder(p.get('config.managedBy')),
    guestState: str(p.get('guest.guestState')),
    heartbeat: str(p.get('guestHeartbeatStatus')),
    suspendTime: str(p.get('runtime.suspendTime')),
    createdAt: str(p.get('config.createDate')),
    changeVersion: str(p.get('config.changeVersion')),
    minRequiredEvcModeKey: str(p.get('runtime.minRequiredEVCModeKey')),
    latencySensitivity: str(path(p.get('config.latencySensitivity'), 'level')),
    cbtEnabled: bool(p.get('config.changeTrackingEnabled')),
    numMonitors,
    videoRamKib,
    vappId: ref(p.get('parentVApp'))?.value ?? null,
    haProtected: bool(path(p.get('runtime.dasVmProtection'), 'dasProtected')),
    ftState: str(p.get('runtime.faultToleranceState')),
    ftRole: num(path(p.get('config.ftInfo'), 'role')),
    ftLatencyStatus: str(path(qs, 'ftLatencyStatus')),
    ftBandwidthKbps: num(path(qs, 'ftLogBandwidth')),
    ftSecondaryLatencyMs: num(path(qs, 'ftSecondaryLatency')),
    unsharedBytes: num(path(storage, 'unshared')),
    haRestartPriority: ha?.restartPriority ?? null,
    haIsolationResponse: ha?.isolationResponse ?? null,
    haVmMonitoring: ha?.vmMonitoring ?? null,
    clusterRuleNames: ha ? ha.ruleNames : null,
    bootDelayMs: num(path(boot, 'bootDelay')),
    bootRetryEnabled: bool(path(boot, 'bootRetryEnabled')),
    bootRetryDelayMs: num(path(boot, 'bootRetryDelay')),
    enterBiosSetup: bool(path(boot, 'enterBIOSSetup')),
    efiSecureBoot: bool(path(boot, 'efiSecureBootEnabled')),
    hwUpgradeStatus: str(path(upgrade, 'scheduledHardwareUpgradeStatus')),
    hwUpgradePolicy: str(path(upgrade, 'upgradePolicy')),
    hwUpgradeTarget: str(path(upgrade, 'versionKey')),
    logDirectory: str(path(vmFiles, 'logDirectory')),
    snapshotDirectory: str(path(vmFiles, 'snapshotDirectory')),
    suspendDirectory: str(path(vmFiles, 'suspendDirectory')),
    cpuReservationMhz: num(path(cpu, 'reservation')),
    cpuLimitMhz: num(path(cpu, 'limit')),
    cpuSharesLevel: str(path(cpu, 'shares.level')),
    cpuShares: num(path(cpu, 'shares.shares')),
    cpuHotAdd: bool(p.get('config.cpuHotAddEnabled')),
    cpuHotRemove: bool(p.get('config.cpuHotRemoveEnabled')),
    cpuMaxMhz: num(p.get('runtime.maxCpuUsage')),
    cpuEntitlementMhz: num(path(qs, 'staticCpuEntitlement')),
    cpuDrsEntitlementMhz: num(path(qs, 'distributedCpuEntitlement')),
    memoryReservationMb: num(path(mem, 'reservation')),
    memoryLimitMb: num(path(mem, 'limit')),
    memorySharesLevel: str(path(mem, 'shares.level')),
    memoryShares: num(path(mem, 'shares.shares')),
    memoryHotAdd: bool(p.get('config.memoryHotAddEnabled')),
    memoryReservationLockedToMax: bool(p.get('config.memoryReservationLockedToMax')),
    memoryOverheadBytes: num(p.get('runtime.memoryOverhead')),
    memoryMaxMb: num(p.get('runtime.maxMemoryUsage')),
    memoryConsumedMb: num(path(qs, 'hostMemoryUsage')),
    memoryConsumedOverheadMb: num(path(qs, 'consumedOverheadMemory')),
    memoryPrivateMb: num(path(qs, 'privateMemory')),
    memorySharedMb: num(path(qs, 'sharedMemory')),
    memorySwappedMb: num(path(qs, 'swappedMemory')),
    memoryBalloonedMb: num(path(qs, 'balloonedMemory')),
    memoryEntitlementMb: num(path(qs, 'staticMemoryEntitlement')),
    memoryDrsEntitlementMb: num(path(qs, 'distributedMemoryEntitlement')),
    toolsVersionStatus: str(p.get('guest.toolsVersionStatus2')),
    toolsUpgradePolicy: str(p.get('config.tools.toolsUpgradePolicy')),
    toolsSyncTime: bool(p.get('config.tools.syncTimeWithHost')),
    appHeartbeatStatus: str(p.get('guest.appHeartbeatStatus')),
    guestKernelCrashed: bool(p.get('guest.guestKernelCrashed')),
    guestOperationsReady: bool(p.get('guest.guestOperationsReady')),
    guestStateChangeSupported: bool(p.get('guest.guestStateChangeSupported')),
    interactiveGuestOperationsReady: bool(p.get('guest.interactiveGuestOperationsReady')),
    cdDrives,
    usbDevices,
  };
  return [{ type: 'vm', id, name: cache.name(o), fields }, ...children];
}
