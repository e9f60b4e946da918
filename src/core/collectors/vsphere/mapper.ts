/**
 * Maps raw vSphere property sets (path → decoded value, per managed object) to the normalized
 * entities of src/shared/entities.ts. The same code serves the full collection and the watch loop:
 * both keep an {@link InventoryCache} of raw properties and re-map objects from it.
 */
import type {
  CollectedEntity,
  CollectedEvent,
  EntityType,
  TypedFields,
  UsageSample,
} from '../../../shared/entities.js';
import { arr, bool, num, obj, path, ref, str } from './codec.js';
import type { Keep, MoRef, Pruning, VimObject, VimValue } from './codec.js';
import {
  certificateFacts,
  datastoresByDisk,
  HOST_CONFIG_PATHS,
  HOST_PRUNED,
  hostConfigFields,
  hostDevices,
} from './host-config.js';

/** What we read per vSphere type. Kept narrow on purpose: these bytes dominate sync time. */
export function propertyPaths(apiVersion: string): Record<string, readonly string[]> {
  const major = Number(apiVersion.split('.')[0] ?? '0');
  const minor = Number(apiVersion.split('.')[1] ?? '0');
  // hardware.systemInfo.serialNumber exists from API 6.7; asking an older server for it is an
  // InvalidProperty fault that would fail the whole retrieval.
  const hasSerial = major > 6 || (major === 6 && minor >= 7);
  // HostConfigInfo.certificate exists from API 6.0, for the same reason.
  const hasCertificate = major >= 6;
  return {
    Datacenter: ['name', 'parent'],
    Folder: ['name', 'parent', 'childType'],
    ComputeResource: ['name', 'parent', 'host'],
    ClusterComputeResource: [
      'name',
      'parent',
      'host',
      'summary',
      'overallStatus',
      'configurationEx',
      'configStatus',
    ],
    HostSystem: [
      'name',
      'parent',
      'runtime.connectionState',
      'runtime.powerState',
      'runtime.inMaintenanceMode',
      'runtime.bootTime',
      'summary.hardware',
      'summary.quickStats',
      'summary.config.product',
      'overallStatus',
      'datastore',
      'network',
      ...(hasSerial ? ['hardware.systemInfo.serialNumber'] : []),
      'config.service.service',
      'config.dateTimeInfo.ntpConfig.server',
      ...(hasCertificate ? ['config.certificate'] : []),
      ...HOST_CONFIG_PATHS,
    ],
    ResourcePool: [
      'name',
      'parent',
      'owner',
      'config.cpuAllocation',
      'config.memoryAllocation',
      'overallStatus',
      'runtime.cpu',
      'runtime.memory',
      'summary.quickStats',
      'summary.configuredMemoryMB',
    ],
    Datastore: ['name', 'parent', 'summary', 'host', 'info', 'iormConfiguration', 'configStatus'],
    Network: ['name', 'parent', 'host'],
    DistributedVirtualPortgroup: [
      'name',
      'parent',
      'host',
      'key',
      'config.distributedVirtualSwitch',
      'config.defaultPortConfig',
      'config.type',
      'config.numPorts',
      'config.policy',
    ],
    DistributedVirtualSwitch: ['name', 'uuid'],
    VirtualMachine: [
      'name',
      'parent',
      'parentVApp',
      'resourcePool',
      'runtime.host',
      'runtime.powerState',
      'runtime.connectionState',
      'runtime.bootTime',
      'runtime.consolidationNeeded',
      'config.template',
      'config.guestFullName',
      'config.hardware.numCPU',
      'config.hardware.numCoresPerSocket',
      'config.hardware.memoryMB',
      'config.hardware.device',
      'config.version',
      'config.firmware',
      'config.uuid',
      'config.instanceUuid',
      'config.files.vmPathName',
      'config.annotation',
      'guest.guestFullName',
      'guest.hostName',
      'guest.ipAddress',
      'guest.net',
      'guest.toolsStatus',
      'guest.toolsRunningStatus',
      'guest.toolsVersion',
      'guest.disk',
      'summary.storage',
      'summary.quickStats',
      'overallStatus',
      'datastore',
      'network',
      'customValue',
      'snapshot',
      'layoutEx.snapshot',
      'layoutEx.file',
    ],
  };
}

/**
 * Container views we open on the root folder, each listing the managed types it holds. A view of a
 * base type also returns its subtypes (ComputeResource → ClusterComputeResource, Network → DVPG).
 */
export const VIEW_TYPES: readonly {
  readonly phase: EntityType | 'switch';
  readonly types: readonly string[];
}[] = [
  { phase: 'datacenter', types: ['Datacenter'] },
  { phase: 'folder', types: ['Folder'] },
  { phase: 'cluster', types: ['ComputeResource'] },
  { phase: 'host', types: ['HostSystem'] },
  { phase: 'resourcePool', types: ['ResourcePool'] },
  { phase: 'datastore', types: ['Datastore'] },
  { phase: 'network', types: ['Network'] },
  { phase: 'switch', types: ['DistributedVirtualSwitch'] },
  { phase: 'vm', types: ['VirtualMachine'] },
];

/** Property specs of a view: the subtypes need their own propSet for their extra paths. */
export const VIEW_PROPSET_TYPES: Readonly<Record<string, readonly string[]>> = {
  Datacenter: ['Datacenter'],
  Folder: ['Folder'],
  ComputeResource: ['ComputeResource', 'ClusterComputeResource'],
  HostSystem: ['HostSystem'],
  ResourcePool: ['ResourcePool'],
  Datastore: ['Datastore'],
  Network: ['Network', 'DistributedVirtualPortgroup'],
  DistributedVirtualSwitch: ['DistributedVirtualSwitch'],
  VirtualMachine: ['VirtualMachine'],
};

export interface RawObject {
  readonly ref: MoRef;
  readonly props: Map<string, VimValue>;
}

/** Raw properties of every object we know, plus side tables the mapping needs. */
export class InventoryCache {
  readonly objects = new Map<string, RawObject>();
  /** custom field key → name (CustomFieldsManager.field). */
  customFieldNames = new Map<string, string>();
  /** moref value → sorted "Category/Tag" strings. */
  tags = new Map<string, string[]>();
  rootFolderId: string | null = null;

  put(r: MoRef, props: Map<string, VimValue>): RawObject {
    const existing = this.objects.get(r.value);
    if (existing) {
      for (const [k, v] of props) existing.props.set(k, v);
      return existing;
    }
    const o = { ref: r, props };
    this.objects.set(r.value, o);
    return o;
  }

  get(id: string | null | undefined): RawObject | undefined {
    return id ? this.objects.get(id) : undefined;
  }

  name(o: RawObject): string {
    return str(o.props.get('name')) ?? o.ref.value;
  }

  parentOf(o: RawObject): RawObject | undefined {
    const p = ref(o.props.get('parent')) ?? ref(o.props.get('parentVApp'));
    return p ? this.get(p.value) : undefined;
  }

  /** The nearest ancestor of the given managed type (walking `parent`). */
  ancestor(o: RawObject, type: string): RawObject | undefined {
    let cur = this.parentOf(o);
    for (let depth = 0; cur && depth < 64; depth++) {
      if (cur.ref.type === type) return cur;
      cur = this.parentOf(cur);
    }
    return undefined;
  }

  /** Inventory path like "/DC0/vm/sub": ancestor names below the (unnamed) root folder. */
  pathOf(o: RawObject): string {
    const names: string[] = [];
    let cur: RawObject | undefined = o;
    for (let depth = 0; cur && depth < 64; depth++) {
      if (cur.ref.value === this.rootFolderId) break;
      names.push(this.name(cur));
      const p = ref(cur.props.get('parent'));
      if (!p || p.value === this.rootFolderId) break;
      cur = this.get(p.value);
    }
    return '/' + names.reverse().join('/');
  }
}

function sortedIds(v: VimValue | undefined, key?: string): string[] {
  const ids = new Set<string>();
  for (const item of arr(v)) {
    const r = key ? ref(path(item, key)) : ref(item);
    if (r) ids.add(r.value);
  }
  return [...ids].sort();
}

function one(v: VimValue | undefined): VimValue | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const MIB = 1024 * 1024;

function mul(v: number | null, factor: number): number | null {
  return v === null ? null : v * factor;
}

function tagsOf(cache: InventoryCache, id: string): string[] {
  return cache.tags.get(id) ?? [];
}

function mapDatacenter(cache: InventoryCache, o: RawObject): CollectedEntity {
  return { type: 'datacenter', id: o.ref.value, name: cache.name(o), fields: {} };
}

function mapFolder(cache: InventoryCache, o: RawObject): CollectedEntity {
  const parent = ref(o.props.get('parent'));
  const childTypes = arr(o.props.get('childType')).map((t) => str(t) ?? '');
  return {
    type: 'folder',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      parentId:
        parent && parent.type === 'Folder' && parent.value !== cache.rootFolderId
          ? parent.value
          : null,
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      folderType: folderType(childTypes),
      path: cache.pathOf(o),
    },
  };
}

function folderType(childTypes: string[]): string {
  if (childTypes.includes('VirtualMachine')) return 'vm';
  if (childTypes.includes('ComputeResource')) return 'host';
  if (childTypes.includes('Datastore')) return 'datastore';
  if (childTypes.includes('Network')) return 'network';
  if (childTypes.includes('Datacenter')) return 'datacenter';
  return childTypes.join(',') || 'other';
}

function mapCluster(cache: InventoryCache, o: RawObject): CollectedEntity {
  const s = o.props.get('summary');
  const cfg = o.props.get('configurationEx');
  const tools = path(cfg, 'dasConfig.defaultVmSettings.vmToolsMonitoringSettings');
  return {
    type: 'cluster',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      haEnabled: bool(path(cfg, 'dasConfig.enabled')),
      drsEnabled: bool(path(cfg, 'drsConfig.enabled')),
      drsBehavior: str(path(cfg, 'drsConfig.defaultVmBehavior')),
      hostCount: num(path(s, 'numHosts')) ?? arr(o.props.get('host')).length,
      effectiveHostCount: num(path(s, 'numEffectiveHosts')),
      totalCpuMhz: num(path(s, 'totalCpu')),
      totalMemoryBytes: num(path(s, 'totalMemory')),
      effectiveCpuMhz: num(path(s, 'effectiveCpu')),
      // effectiveMemory is documented in MB; vcsim reports bytes-sized numbers, so we trust the unit
      // only when the value is plausibly MB (smaller than totalMemory in bytes).
      effectiveMemoryBytes: effectiveMemoryBytes(
        num(path(s, 'effectiveMemory')),
        num(path(s, 'totalMemory')),
      ),
      overallStatus: str(o.props.get('overallStatus')),
      configStatus: str(o.props.get('configStatus')),
      cpuCores: num(path(s, 'numCpuCores')),
      cpuThreads: num(path(s, 'numCpuThreads')),
      vmotionCount: num(path(s, 'numVmotions')),
      haFailoverLevel: num(path(cfg, 'dasConfig.admissionControlPolicy.failoverLevel')),
      haAdmissionControl: bool(path(cfg, 'dasConfig.admissionControlEnabled')),
      haHostMonitoring: str(path(cfg, 'dasConfig.hostMonitoring')),
      haHeartbeatPolicy: str(path(cfg, 'dasConfig.hBDatastoreCandidatePolicy')),
      haIsolationResponse: str(path(cfg, 'dasConfig.defaultVmSettings.isolationResponse')),
      haRestartPriority: str(path(cfg, 'dasConfig.defaultVmSettings.restartPriority')),
      haVmMonitoring: str(path(cfg, 'dasConfig.vmMonitoring')),
      haMaxFailures: num(path(tools, 'maxFailures')),
      haMaxFailureWindowSeconds: num(path(tools, 'maxFailureWindow')),
      haFailureIntervalSeconds: num(path(tools, 'failureInterval')),
      haMinUpTimeSeconds: num(path(tools, 'minUpTime')),
      drsVmotionRate: num(path(cfg, 'drsConfig.vmotionRate')),
      dpmEnabled: bool(path(cfg, 'dpmConfigInfo.enabled')),
      dpmBehavior: str(path(cfg, 'dpmConfigInfo.defaultDpmBehavior')),
      dpmHostPowerActionRate: num(path(cfg, 'dpmConfigInfo.hostPowerActionRate')),
    },
  };
}

function effectiveMemoryBytes(effective: number | null, total: number | null): number | null {
  if (effective === null) return null;
  if (total !== null && effective * MIB > total * 4) return effective;
  return effective * MIB;
}

function hostSerial(o: RawObject): string | null {
  const direct = str(o.props.get('hardware.systemInfo.serialNumber'));
  if (direct) return direct;
  const infos = arr(path(o.props.get('summary.hardware'), 'otherIdentifyingInfo'));
  for (const key of ['SerialNumberTag', 'EnclosureSerialNumberTag', 'ServiceTag']) {
    for (const info of infos) {
      if (str(path(info, 'identifierType.key')) === key) {
        const v = str(path(info, 'identifierValue'))?.trim();
        if (v) return v;
      }
    }
  }
  return null;
}

/** Whether the host service with this key (TSM-SSH, TSM, ntpd) runs; null if the host lists none. */
function serviceRunning(o: RawObject, key: string): boolean | null {
  const services = arr(o.props.get('config.service.service'));
  if (services.length === 0) return null;
  const service = services.find((sv) => str(path(sv, 'key')) === key);
  return service ? (bool(path(service, 'running')) ?? false) : false;
}

/**
 * The configured NTP servers. An unset list means none configured, but only on a host whose config
 * we can read at all (its service list is the sign): a disconnected host's `config` is unset, and
 * its NTP configuration is unknown (null), not empty.
 */
function ntpServers(o: RawObject): string[] | null {
  if (arr(o.props.get('config.service.service')).length === 0) return null;
  return arr(o.props.get('config.dateTimeInfo.ntpConfig.server'))
    .map((x) => str(x))
    .filter((x): x is string => !!x);
}

/**
 * The expiry of the host's certificate. vSphere sends the PEM text as an array of (signed) xsd
 * bytes; a server that sends it as text or base64 is read too. Anything that is not a PEM
 * certificate (vcsim sends two placeholder bytes) gives null.
 */
export function certificateExpiry(v: VimValue | undefined): string | null {
  return certificateFacts(v).validTo;
}

function mapHost(
  cache: InventoryCache,
  o: RawObject,
  disks: () => Map<string, string>,
): CollectedEntity[] {
  const hw = o.props.get('summary.hardware');
  const qs = o.props.get('summary.quickStats');
  const product = o.props.get('summary.config.product');
  const parent = cache.parentOf(o);
  const host: CollectedEntity = {
    type: 'host',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      clusterId: parent && parent.ref.type === 'ClusterComputeResource' ? parent.ref.value : null,
      connectionState: str(o.props.get('runtime.connectionState')),
      powerState: str(o.props.get('runtime.powerState')),
      inMaintenance: bool(o.props.get('runtime.inMaintenanceMode')),
      vendor: str(path(hw, 'vendor')),
      model: str(path(hw, 'model')),
      serialNumber: hostSerial(o),
      cpuModel: str(path(hw, 'cpuModel')),
      cpuSockets: num(path(hw, 'numCpuPkgs')),
      cpuCores: num(path(hw, 'numCpuCores')),
      cpuThreads: num(path(hw, 'numCpuThreads')),
      cpuMhz: num(path(hw, 'cpuMhz')),
      memoryBytes: num(path(hw, 'memorySize')),
      cpuUsageMhz: num(path(qs, 'overallCpuUsage')),
      memoryUsageBytes: mul(num(path(qs, 'overallMemoryUsage')), MIB),
      productName: str(path(product, 'fullName')) ?? str(path(product, 'name')),
      version: str(path(product, 'version')),
      build: str(path(product, 'build')),
      bootTime: str(o.props.get('runtime.bootTime')),
      uptimeSeconds: num(path(qs, 'uptime')),
      overallStatus: str(o.props.get('overallStatus')),
      datastoreIds: sortedIds(o.props.get('datastore')),
      networkIds: sortedIds(o.props.get('network')),
      tags: tagsOf(cache, o.ref.value),
      sshEnabled: serviceRunning(o, 'TSM-SSH'),
      shellEnabled: serviceRunning(o, 'TSM'),
      ntpRunning: serviceRunning(o, 'ntpd'),
      ntpServers: ntpServers(o),
      certificateExpiresAt: certificateExpiry(o.props.get('config.certificate')),
      ...hostConfigFields(cache, o),
    },
  };
  return [host, ...hostDevices(cache, o, disks)];
}

function mapResourcePool(cache: InventoryCache, o: RawObject): CollectedEntity {
  const parent = ref(o.props.get('parent'));
  const owner = ref(o.props.get('owner'));
  const cpu = o.props.get('config.cpuAllocation');
  const mem = o.props.get('config.memoryAllocation');
  const rc = o.props.get('runtime.cpu');
  const rm = o.props.get('runtime.memory');
  return {
    type: 'resourcePool',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      parentId:
        parent && (parent.type === 'ResourcePool' || parent.type === 'VirtualApp')
          ? parent.value
          : null,
      clusterId: owner && owner.type === 'ClusterComputeResource' ? owner.value : null,
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      cpuReservationMhz: num(path(cpu, 'reservation')),
      cpuLimitMhz: num(path(cpu, 'limit')),
      cpuShares: num(path(cpu, 'shares.shares')),
      memoryReservationMb: num(path(mem, 'reservation')),
      memoryLimitMb: num(path(mem, 'limit')),
      memoryShares: num(path(mem, 'shares.shares')),
      overallStatus: str(o.props.get('overallStatus')),
      cpuSharesLevel: str(path(cpu, 'shares.level')),
      cpuExpandable: bool(path(cpu, 'expandableReservation')),
      memorySharesLevel: str(path(mem, 'shares.level')),
      memoryExpandable: bool(path(mem, 'expandableReservation')),
      cpuMaxUsageMhz: num(path(rc, 'maxUsage')),
      cpuOverallUsageMhz: num(path(rc, 'overallUsage')),
      cpuReservationUsedMhz: num(path(rc, 'reservationUsed')),
      cpuReservationUsedForVmMhz: num(path(rc, 'reservationUsedForVm')),
      cpuUnreservedForPoolMhz: num(path(rc, 'unreservedForPool')),
      cpuUnreservedForVmMhz: num(path(rc, 'unreservedForVm')),
      memoryMaxUsageBytes: num(path(rm, 'maxUsage')),
      memoryOverallUsageBytes: num(path(rm, 'overallUsage')),
      memoryReservationUsedBytes: num(path(rm, 'reservationUsed')),
      memoryReservationUsedForVmBytes: num(path(rm, 'reservationUsedForVm')),
      memoryUnreservedForPoolBytes: num(path(rm, 'unreservedForPool')),
      memoryUnreservedForVmBytes: num(path(rm, 'unreservedForVm')),
      memoryConfiguredMb: num(o.props.get('summary.configuredMemoryMB')),
      quickStats: numbersOf(o.props.get('summary.quickStats')),
    },
  };
}

/** The numeric members of a data object (a quickStats), by name. */
function numbersOf(v: VimValue | undefined): Record<string, number> | null {
  const o = obj(v);
  if (!o) return null;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(o)) {
    if (k === '_type') continue;
    const n = num(x);
    if (n !== null) out[k] = n;
  }
  return out;
}

function mapDatastore(cache: InventoryCache, o: RawObject): CollectedEntity {
  const s = o.props.get('summary');
  const iorm = o.props.get('iormConfiguration');
  const vmfs = path(o.props.get('info'), 'vmfs');
  return {
    type: 'datastore',
    id: o.ref.value,
    name: cache.name(o) === o.ref.value ? (str(path(s, 'name')) ?? o.ref.value) : cache.name(o),
    fields: {
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      type: str(path(s, 'type')),
      url: str(path(s, 'url')),
      capacityBytes: num(path(s, 'capacity')),
      freeBytes: num(path(s, 'freeSpace')),
      uncommittedBytes: num(path(s, 'uncommitted')),
      accessible: bool(path(s, 'accessible')),
      maintenanceMode: str(path(s, 'maintenanceMode')),
      hostIds: sortedIds(o.props.get('host'), 'key'),
      tags: tagsOf(cache, o.ref.value),
      configStatus: str(o.props.get('configStatus')),
      siocEnabled: bool(path(iorm, 'enabled')),
      siocThresholdMs: num(path(iorm, 'congestionThreshold')),
      vmfsBlockSizeMb: num(path(vmfs, 'blockSizeMb')),
      vmfsMaxBlocks: num(path(vmfs, 'maxBlocks')),
      vmfsExtents: vmfs
        ? arr(path(vmfs, 'extent'))
            .map((e) => str(path(e, 'diskName')))
            .filter((d): d is string => !!d)
        : null,
      vmfsMajorVersion: num(path(vmfs, 'majorVersion')),
      vmfsVersion: str(path(vmfs, 'version')),
      vmfsUpgradable: bool(path(vmfs, 'vmfsUpgradable')),
      multipleHostAccess: bool(path(s, 'multipleHostAccess')),
    },
  };
}

function vlanOf(portConfig: VimValue | undefined): string | null {
  const vlan = obj(path(portConfig, 'vlan'));
  if (!vlan) return null;
  const id = vlan['vlanId'];
  if (vlan._type === 'VmwareDistributedVirtualSwitchVlanIdSpec') return str(id);
  if (vlan._type === 'VmwareDistributedVirtualSwitchPvlanSpec')
    return `pvlan:${str(vlan['pvlanId']) ?? ''}`;
  if (vlan._type === 'VmwareDistributedVirtualSwitchTrunkVlanSpec') {
    const ranges = arr(id).map(
      (r) => `${str(path(r, 'start')) ?? ''}-${str(path(r, 'end')) ?? ''}`,
    );
    return `trunk:${ranges.join(',')}`;
  }
  return str(id);
}

function mapNetwork(cache: InventoryCache, o: RawObject): CollectedEntity {
  const isDvpg = o.ref.type === 'DistributedVirtualPortgroup';
  const dvs = isDvpg ? ref(o.props.get('config.distributedVirtualSwitch')) : null;
  const dvsObj = dvs ? cache.get(dvs.value) : undefined;
  return {
    type: 'network',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      networkType: isDvpg
        ? 'distributedPortgroup'
        : o.ref.type === 'OpaqueNetwork'
          ? 'opaque'
          : 'standard',
      switchName: dvsObj ? cache.name(dvsObj) : null,
      switchId: dvs?.value ?? null,
      vlanId: isDvpg ? vlanOf(o.props.get('config.defaultPortConfig')) : null,
      hostIds: sortedIds(o.props.get('host')),
      tags: tagsOf(cache, o.ref.value),
      // A full collection names every field: a standard network's are null.
      ...dvPortgroupFields(isDvpg ? o : null),
    },
  };
}

/** A DVS setting's value (`BoolPolicy`, `LongPolicy`, `StringPolicy` wrap theirs in `value`). */
const setting = (v: VimValue | undefined, key: string): VimValue | undefined =>
  path(path(v, key), 'value');

/** A distributed port group's configuration: its default port settings and override policy. */
function dvPortgroupFields(o: RawObject | null): TypedFields<'network'> {
  const d = o?.props.get('config.defaultPortConfig');
  const policy = o?.props.get('config.policy');
  const team = path(d, 'uplinkTeamingPolicy');
  const sec = path(d, 'securityPolicy');
  const inS = path(d, 'inShapingPolicy');
  const outS = path(d, 'outShapingPolicy');
  const uplinks = (k: string): string[] =>
    arr(path(path(team, 'uplinkPortOrder'), k))
      .map((x) => str(x))
      .filter((x): x is string => !!x);
  return {
    portgroupType: str(o?.props.get('config.type')),
    numPorts: num(o?.props.get('config.numPorts')),
    blocked: bool(setting(d, 'blocked')),
    allowPromiscuous: bool(setting(sec, 'allowPromiscuous')),
    macChanges: bool(setting(sec, 'macChanges')),
    forgedTransmits: bool(setting(sec, 'forgedTransmits')),
    teamingPolicy: str(setting(team, 'policy')),
    activeUplinks: team === undefined ? null : uplinks('activeUplinkPort'),
    standbyUplinks: team === undefined ? null : uplinks('standbyUplinkPort'),
    reversePolicy: bool(setting(team, 'reversePolicy')),
    notifySwitches: bool(setting(team, 'notifySwitches')),
    rollingOrder: bool(setting(team, 'rollingOrder')),
    checkBeacon: bool(setting(path(team, 'failureCriteria'), 'checkBeacon')),
    inShaping: bool(setting(inS, 'enabled')),
    inShapingAvgBps: num(setting(inS, 'averageBandwidth')),
    inShapingPeakBps: num(setting(inS, 'peakBandwidth')),
    inShapingBurstBytes: num(setting(inS, 'burstSize')),
    outShaping: bool(setting(outS, 'enabled')),
    outShapingAvgBps: num(setting(outS, 'averageBandwidth')),
    outShapingPeakBps: num(setting(outS, 'peakBandwidth')),
    outShapingBurstBytes: num(setting(outS, 'burstSize')),
    livePortMoving: bool(path(policy, 'livePortMovingAllowed')),
    blockOverride: bool(path(policy, 'blockOverrideAllowed')),
    configReset: bool(path(policy, 'portConfigResetAtDisconnect')),
    shapingOverride: bool(path(policy, 'shapingOverrideAllowed')),
    vendorConfigOverride: bool(path(policy, 'vendorConfigOverrideAllowed')),
    securityOverride: bool(path(policy, 'securityPolicyOverrideAllowed')),
    teamingOverride: bool(path(policy, 'uplinkTeamingOverrideAllowed')),
    vlanOverride: bool(path(policy, 'vlanOverrideAllowed')),
  };
}

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

/** Data + memory file sizes of each snapshot, from layoutEx (the vmsn and vmem files). */
function snapshotSizes(o: RawObject): Map<string, number> {
  const fileSize = new Map<string, number>();
  for (const f of arr(o.props.get('layoutEx.file'))) {
    const key = str(path(f, 'key'));
    const size = num(path(f, 'size'));
    if (key !== null && size !== null) fileSize.set(key, size);
  }
  const out = new Map<string, number>();
  for (const s of arr(o.props.get('layoutEx.snapshot'))) {
    const r = ref(path(s, 'key'));
    if (!r) continue;
    let total = 0;
    for (const k of ['dataKey', 'memoryKey']) {
      const fk = str(path(s, k));
      if (fk !== null) total += fileSize.get(fk) ?? 0;
    }
    out.set(r.value, total);
  }
  return out;
}

/** A member filter: the listed members, `nested` ones filtered in turn. */
function keep(members: readonly string[], nested: Readonly<Record<string, Keep>> = {}): Keep {
  return new Map(members.map((m) => [m, nested[m] ?? null]));
}

/**
 * The members of each device that {@link mapObject} reads; the rest of a device (PCI slots, video
 * RAM, controller details...) is half of a VM's bytes and never read.
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
  ],
  {
    deviceInfo: keep(['label']),
    backing: keep([
      'fileName',
      'datastore',
      'thinProvisioned',
      'diskMode',
      'network',
      'port',
      'opaqueNetworkId',
      'deviceName',
    ]),
    connectable: keep(['connected', 'startConnected']),
  },
);

/**
 * What {@link mapObject} reads of the bulkiest array properties, per managed type: the full
 * collection decodes only that ({@link VimStream.prune}), and the watch cache, which keeps every
 * VM's raw properties between updates, keeps only that ({@link compactProperty}). The mapping is
 * the same either way.
 */
export const PRUNED: Pruning = new Map([
  ['HostSystem', new Map([['config.service.service', keep(['key', 'running'])], ...HOST_PRUNED])],
  [
    'VirtualMachine',
    new Map([
      ['config.hardware.device', DEVICE],
      ['layoutEx.file', keep(['key', 'size'])],
      ['guest.net', keep(['deviceConfigId', 'ipAddress'])],
      ['guest.disk', keep(['diskPath', 'capacity', 'freeSpace'])],
    ]),
  ],
]);

/** Keeps only the members of a data object (and its _type) that `filter` names, recursively. */
function pick(v: VimValue, filter: Keep): VimValue {
  const o = obj(v);
  if (!o) return v;
  const out: VimObject = {};
  if (o._type !== undefined) out._type = o._type;
  for (const [k, nested] of filter) {
    const m = o[k];
    if (m === undefined || !Object.hasOwn(o, k)) continue;
    out[k] = nested === null ? m : pick(m, nested);
  }
  return out;
}

/** A property as the watch cache keeps it: pruned like the full collection decodes it. */
export function compactProperty(type: string, name: string, v: VimValue): VimValue {
  const filter = PRUNED.get(type)?.get(name);
  return filter === undefined ? v : arr(v).map((item) => pick(item, filter));
}

/** A VM and its disks, NICs and snapshots. */
function mapVm(cache: InventoryCache, o: RawObject): CollectedEntity[] {
  const id = o.ref.value;
  const p = o.props;
  const hostRef = ref(p.get('runtime.host'));
  const host = cache.get(hostRef?.value);
  const hostParent = host ? cache.parentOf(host) : undefined;
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
  let nicCount = 0;
  let diskCount = 0;
  let cdromConnected = false;
  let floppyConnected = false;
  for (const d of devices) {
    const t = d._type ?? '';
    const key = str(d['key']) ?? '';
    const label = str(path(d, 'deviceInfo.label'));
    if (t === 'VirtualDisk') {
      diskCount++;
      const backing = obj(d['backing']);
      const capBytes = num(d['capacityInBytes']) ?? mul(num(d['capacityInKB']), 1024);
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
          controller: controllerName(byKey.get(str(d['controllerKey']) ?? '')),
          unitNumber: num(d['unitNumber']),
        },
      });
    } else if (d['macAddress'] !== undefined || NIC_TYPES[t] !== undefined) {
      nicCount++;
      const backing = obj(d['backing']);
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
      if (bool(path(d, 'connectable.connected')) === true) cdromConnected = true;
    } else if (t === 'VirtualFloppy') {
      if (bool(path(d, 'connectable.connected')) === true) floppyConnected = true;
    }
  }

  const snap = p.get('snapshot');
  const current = ref(path(snap, 'currentSnapshot'))?.value ?? null;
  const nodes: SnapshotNode[] = [];
  flattenSnapshots(path(snap, 'rootSnapshotList'), null, nodes);
  const sizes = snapshotSizes(o);
  for (const s of nodes) {
    children.push({
      type: 'snapshot',
      id: s.ref.value,
      name: str(s.node['name']) ?? s.ref.value,
      fields: {
        vmId: id,
        parentId: s.parent,
        description: str(s.node['description']),
        createdAt: str(s.node['createTime']),
        sizeBytes: sizes.get(s.ref.value) ?? null,
        powerState: str(s.node['state']),
        quiesced: bool(s.node['quiesced']),
        isCurrent: s.ref.value === current,
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
  const fields: TypedFields<'vm'> = {
    datacenterId:
      cache.ancestor(o, 'Datacenter')?.ref.value ??
      (host ? (cache.ancestor(host, 'Datacenter')?.ref.value ?? null) : null),
    clusterId:
      hostParent && hostParent.ref.type === 'ClusterComputeResource' ? hostParent.ref.value : null,
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
    provisionedBytes: committed === null ? null : committed + (uncommitted ?? 0),
    usedBytes: committed,
    uncommittedBytes: uncommitted,
    toolsStatus: str(p.get('guest.toolsStatus')),
    toolsRunningStatus: str(p.get('guest.toolsRunningStatus')),
    toolsVersion: str(p.get('guest.toolsVersion')),
    hardwareVersion: str(p.get('config.version')),
    firmware: str(p.get('config.firmware')),
    uuid: str(p.get('config.uuid')),
    instanceUuid: str(p.get('config.instanceUuid')),
    vmPathName: str(p.get('config.files.vmPathName')),
    annotation: str(p.get('config.annotation')),
    cdromConnected,
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
    tags: tagsOf(cache, id),
    floppyConnected,
    guestDisks: arr(p.get('guest.disk')).map((gd) => ({
      path: str(path(gd, 'diskPath')),
      capacityBytes: num(path(gd, 'capacity')),
      freeBytes: num(path(gd, 'freeSpace')),
    })),
  };
  return [{ type: 'vm', id, name: cache.name(o), fields }, ...children];
}

/** Maps one raw object to its entities (none for types we only read for relations). */
export function mapObject(cache: InventoryCache, o: RawObject): CollectedEntity[] {
  switch (o.ref.type) {
    case 'Datacenter':
      return [mapDatacenter(cache, o)];
    case 'Folder':
      return o.ref.value === cache.rootFolderId ? [] : [mapFolder(cache, o)];
    case 'ClusterComputeResource':
      return [mapCluster(cache, o)];
    case 'HostSystem':
      return mapHost(cache, o, () => datastoresByDisk(cache));
    case 'ResourcePool':
    case 'VirtualApp':
      return [mapResourcePool(cache, o)];
    case 'Datastore':
      return [mapDatastore(cache, o)];
    case 'Network':
    case 'DistributedVirtualPortgroup':
    case 'OpaqueNetwork':
      return [mapNetwork(cache, o)];
    case 'VirtualMachine':
      return mapVm(cache, o);
    default:
      return []; // ComputeResource, DistributedVirtualSwitch: relation sources only
  }
}

export function mapAll(cache: InventoryCache): CollectedEntity[] {
  const out: CollectedEntity[] = [];
  for (const o of cache.objects.values()) out.push(...mapObject(cache, o));
  return out;
}

/**
 * Usage samples from quickStats and datastore summaries, all stamped with one time. VMs mapped
 * without keeping their raw properties give theirs from the mapped fields (the same values).
 */
export function samplesFrom(
  cache: InventoryCache,
  at: string,
  mapped: readonly CollectedEntity[] = [],
): UsageSample[] {
  const out: UsageSample[] = [];
  for (const o of cache.objects.values()) {
    if (o.ref.type === 'HostSystem') {
      const qs = o.props.get('summary.quickStats');
      out.push({
        entityType: 'host',
        entityId: o.ref.value,
        at,
        cpuMhz: num(path(qs, 'overallCpuUsage')),
        memoryBytes: mul(num(path(qs, 'overallMemoryUsage')), MIB),
      });
    } else if (o.ref.type === 'VirtualMachine') {
      const qs = o.props.get('summary.quickStats');
      const storage = o.props.get('summary.storage');
      out.push({
        entityType: 'vm',
        entityId: o.ref.value,
        at,
        cpuMhz: num(path(qs, 'overallCpuUsage')),
        memoryBytes: mul(num(path(qs, 'guestMemoryUsage')), MIB),
        storageUsedBytes: num(path(storage, 'committed')),
      });
    } else if (o.ref.type === 'Datastore') {
      const s = o.props.get('summary');
      const cap = num(path(s, 'capacity'));
      const free = num(path(s, 'freeSpace'));
      out.push({
        entityType: 'datastore',
        entityId: o.ref.value,
        at,
        storageCapacityBytes: cap,
        storageUsedBytes: cap !== null && free !== null ? cap - free : null,
      });
    }
  }
  for (const e of mapped) {
    if (e.type !== 'vm' || cache.objects.has(e.id)) continue;
    const f = e.fields;
    const memMb = f['memoryUsageMb'];
    const cpu = f['cpuUsageMhz'];
    const used = f['usedBytes'];
    out.push({
      entityType: 'vm',
      entityId: e.id,
      at,
      cpuMhz: typeof cpu === 'number' ? cpu : null,
      memoryBytes: typeof memMb === 'number' ? memMb * MIB : null,
      storageUsedBytes: typeof used === 'number' ? used : null,
    });
  }
  return out;
}

const EVENT_ENTITIES: readonly [string, string, EntityType][] = [
  ['vm', 'vm', 'vm'],
  ['host', 'host', 'host'],
  ['ds', 'datastore', 'datastore'],
  ['net', 'network', 'network'],
  ['computeResource', 'computeResource', 'cluster'],
  ['datacenter', 'datacenter', 'datacenter'],
];

export function mapEvent(e: VimObject): CollectedEvent | null {
  const key = str(e['key']);
  const at = str(e['createdTime']);
  if (key === null || at === null) return null;
  let entityType: EntityType | null = null;
  let entityId: string | null = null;
  for (const [field, inner, type] of EVENT_ENTITIES) {
    const r = ref(path(e[field], inner));
    if (!r) continue;
    if (type === 'cluster' && r.type !== 'ClusterComputeResource') continue;
    entityType = type;
    entityId = r.value;
    break;
  }
  const user = str(e['userName']);
  return {
    key,
    at,
    eventType: e._type ?? 'Event',
    user: user ? user : null,
    message: str(e['fullFormattedMessage']) ?? '',
    entityType,
    entityId,
  };
}
