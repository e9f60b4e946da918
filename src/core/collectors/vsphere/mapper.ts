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
import { keep, MIB, mul, sortedIds } from './mapper-util.js';
import { mapVm, VM_PRUNED, vmPropertyPaths } from './vm-mapper.js';
import {
  certificateFacts,
  datastoresByDisk,
  HOST_CONFIG_PATHS,
  HOST_PRUNED,
  hostConfigFields,
  hostDevices,
} from './host-config.js';
import {
  DVS_PATHS,
  mapDvSwitch,
  mapStoragePod,
  setting,
  shapingFields,
  STORAGE_POD_PATHS,
  VMWARE_DVS_PATHS,
} from './dv-switch.js';

/** What we read per vSphere type. Kept narrow on purpose: these bytes dominate sync time. */
export function propertyPaths(apiVersion: string): Record<string, readonly string[]> {
  const major = Number(apiVersion.split('.')[0] ?? '0');
  const minor = Number(apiVersion.split('.')[1] ?? '0');
  // hardware.systemInfo.serialNumber exists from API 6.7; asking an older server for it is an
  // InvalidProperty fault that would fail the whole retrieval.
  const hasSerial = major > 6 || (major === 6 && minor >= 7);
  // HostConfigInfo.certificate exists from API 6.0, for the same reason.
  const hasCertificate = major >= 6;
  // runtime.inQuarantineMode from API 6.5, hardware.memoryTieringType from 8.0.3 (8.0 U3).
  const hasQuarantine = major > 6 || (major === 6 && minor >= 5);
  const patch = Number(apiVersion.split('.')[2] ?? '0');
  const hasTiering = major > 8 || (major === 8 && (minor > 0 || patch >= 3));
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
      ...(hasQuarantine ? ['runtime.inQuarantineMode'] : []),
      ...(hasTiering ? ['hardware.memoryTieringType'] : []),
      // VsanHostConfigInfo.faultDomainInfo exists from API 6.0, as the certificate does.
      ...(hasCertificate ? ['config.vsanHostConfig.faultDomainInfo'] : []),
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
    DistributedVirtualSwitch: DVS_PATHS,
    // lacpGroupConfig exists from API 5.5; the other VMware paths from 5.0.
    VmwareDistributedVirtualSwitch: [
      ...DVS_PATHS,
      ...VMWARE_DVS_PATHS.filter(
        (p) => p !== 'config.lacpGroupConfig' || major > 5 || (major === 5 && minor >= 5),
      ),
    ],
    StoragePod: STORAGE_POD_PATHS,
    VirtualMachine: vmPropertyPaths(major, minor),
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
  Folder: ['Folder', 'StoragePod'],
  ComputeResource: ['ComputeResource', 'ClusterComputeResource'],
  HostSystem: ['HostSystem'],
  ResourcePool: ['ResourcePool'],
  Datastore: ['Datastore'],
  Network: ['Network', 'DistributedVirtualPortgroup'],
  DistributedVirtualSwitch: ['DistributedVirtualSwitch', 'VmwareDistributedVirtualSwitch'],
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
      inQuarantineMode: bool(o.props.get('runtime.inQuarantineMode')),
      vsanFaultDomain:
        str(path(o.props.get('config.vsanHostConfig.faultDomainInfo'), 'name')) || null,
      memoryTieringType: str(o.props.get('hardware.memoryTieringType')),
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
      cpuOverheadLimitMhz: num(path(cpu, 'overheadLimit')),
      memoryOverheadLimitMb: num(path(mem, 'overheadLimit')),
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
  const nas = path(o.props.get('info'), 'nas');
  const pod = cache.parentOf(o);
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
      datastoreClusterId: pod?.ref.type === 'StoragePod' ? pod.ref.value : null,
      // NFS 4.1 names every server of the share in remoteHostNames; NFS 3 one in remoteHost.
      nasRemoteHost: nas
        ? arr(path(nas, 'remoteHostNames'))
            .map((x) => str(x))
            .filter((x): x is string => !!x)
            .join(', ') ||
          str(path(nas, 'remoteHost')) ||
          null
        : null,
      nasRemotePath: nas ? str(path(nas, 'remotePath')) || null : null,
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

/** A distributed port group's configuration: its default port settings and override policy. */
function dvPortgroupFields(o: RawObject | null): TypedFields<'network'> {
  const d = o?.props.get('config.defaultPortConfig');
  const policy = o?.props.get('config.policy');
  const team = path(d, 'uplinkTeamingPolicy');
  const sec = path(d, 'securityPolicy');
  const failure = path(team, 'failureCriteria');
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
    checkBeacon: bool(setting(failure, 'checkBeacon')),
    ...shapingFields(path(d, 'inShapingPolicy'), path(d, 'outShapingPolicy')),
    livePortMoving: bool(path(policy, 'livePortMovingAllowed')),
    blockOverride: bool(path(policy, 'blockOverrideAllowed')),
    configReset: bool(path(policy, 'portConfigResetAtDisconnect')),
    shapingOverride: bool(path(policy, 'shapingOverrideAllowed')),
    vendorConfigOverride: bool(path(policy, 'vendorConfigOverrideAllowed')),
    securityOverride: bool(path(policy, 'securityPolicyOverrideAllowed')),
    teamingOverride: bool(path(policy, 'uplinkTeamingOverrideAllowed')),
    vlanOverride: bool(path(policy, 'vlanOverrideAllowed')),
    checkDuplex: bool(setting(failure, 'checkDuplex')),
    checkErrorPercent: bool(setting(failure, 'checkErrorPercent')),
    checkSpeed: str(setting(failure, 'checkSpeed')),
    failurePercentage: num(setting(failure, 'percentage')),
  };
}

/**
 * What {@link mapObject} reads of the bulkiest array properties, per managed type: the full
 * collection decodes only that ({@link VimStream.prune}), and the watch cache, which keeps every
 * VM's raw properties between updates, keeps only that ({@link compactProperty}). The mapping is
 * the same either way.
 */
export const PRUNED: Pruning = new Map([
  ['HostSystem', new Map([['config.service.service', keep(['key', 'running'])], ...HOST_PRUNED])],
  ['VirtualMachine', VM_PRUNED],
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

/** Maps one raw object to its entities (none for types we only read for relations). */
export function mapObject(cache: InventoryCache, o: RawObject): CollectedEntity[] {
  switch (o.ref.type) {
    case 'Datacenter':
      return [mapDatacenter(cache, o)];
    case 'Folder':
      return o.ref.value === cache.rootFolderId ? [] : [mapFolder(cache, o)];
    case 'StoragePod':
      return [mapStoragePod(cache, o)];
    case 'DistributedVirtualSwitch':
    case 'VmwareDistributedVirtualSwitch':
      return [mapDvSwitch(cache, o)];
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
      return []; // ComputeResource: a relation source only
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
