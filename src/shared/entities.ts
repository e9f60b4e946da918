/**
 * The normalized inventory model shared by every collector, the store and every host.
 *
 * Each entity type has a fixed list of fields. Collectors emit entities whose `fields` use these
 * names; the store maps each field to a column and diffs it to build the change log.
 */

import type { EndpointAbout } from './endpoints.js';

export type FieldKind = 'text' | 'int' | 'real' | 'bool' | 'json' | 'time';

export interface FieldSpec {
  readonly kind: FieldKind;
  /**
   * Volatile fields (usage counters, uptime) change on every poll: they are stored but kept out of
   * the change log, which would otherwise drown real changes.
   */
  readonly volatile?: boolean;
  /** Names the entity type this field refers to by native id (same endpoint). */
  readonly ref?: EntityType;
  /** A JSON array of native ids of this entity type (kept in the relation table too). */
  readonly refs?: EntityType;
}

export const ENTITY_TYPES = [
  'datacenter',
  'folder',
  'cluster',
  'host',
  'resourcePool',
  'datastore',
  'network',
  'vm',
  'vmDisk',
  'vmNic',
  'snapshot',
  'guestPartition',
  'hostNic',
  'hba',
  'vmkernel',
  'multipathLun',
  'license',
  'standardSwitch',
  'portGroup',
  'dvSwitch',
  'datastoreCluster',
  'datastoreFile',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * A field's spec with the TypeScript type of its value attached (phantom: never set at run time),
 * so `CollectedEntity` and every reader are typed from this one table.
 */
export interface TypedFieldSpec<K extends FieldKind, V> extends FieldSpec {
  readonly kind: K;
  readonly __value?: V;
}

type Extra = Omit<FieldSpec, 'kind'>;
/* Builders of specs; `extra` stays literal (`refs: 'host'`) so relation fields are typed too. */
const t = <E extends Extra>(extra: E = {} as E): TypedFieldSpec<'text', string> & E => ({
  kind: 'text',
  ...extra,
});
const i = <E extends Extra>(extra: E = {} as E): TypedFieldSpec<'int', number> & E => ({
  kind: 'int',
  ...extra,
});
const b = <E extends Extra>(extra: E = {} as E): TypedFieldSpec<'bool', boolean> & E => ({
  kind: 'bool',
  ...extra,
});
/** A JSON field; `V` declares the value's shape. */
const j = <V>(extra: Extra = {}): TypedFieldSpec<'json', V> => ({ kind: 'json', ...extra });
/** A list of native ids of entities of type `R`: a relation, stored in the relation table. */
const refs = <R extends EntityType>(
  type: R,
): TypedFieldSpec<'json', Ids> & { readonly refs: R } => ({
  kind: 'json',
  refs: type,
});
/** A time: an ISO 8601 string. */
const time = <E extends Extra>(extra: E = {} as E): TypedFieldSpec<'time', string> & E => ({
  kind: 'time',
  ...extra,
});

/** One partition as the guest reports it (`vm.guestDisks`). */
export interface GuestDisk {
  readonly path: string | null;
  readonly capacityBytes: number | null;
  readonly freeBytes: number | null;
}

/** A CD/DVD drive of a VM (`vm.cdDrives`): one row of RVTools' vCD. */
export interface CdDrive {
  /** vSphere's device label (`CD/DVD drive 1`) or Hyper-V's drive name. */
  readonly label: string | null;
  readonly connected: boolean | null;
  readonly startConnected: boolean | null;
  /** What backs it: vSphere's backing type without `VirtualCdrom`/`BackingInfo` (`Iso`). */
  readonly backing: string | null;
  /** The ISO file or host device, when the backing names one. */
  readonly fileName: string | null;
}

/** A USB device of a VM (`vm.usbDevices`): one row of RVTools' vUSB. */
export interface UsbDevice {
  readonly label: string | null;
  readonly connected: boolean | null;
  /** Backing type without `VirtualUSB`/`BackingInfo` (`USB`, `RemoteHost`, `RemoteClient`). */
  readonly backing: string | null;
  readonly family: readonly string[];
  readonly speed: readonly string[];
  /** Of the USB controller the device hangs on. */
  readonly ehciEnabled: boolean | null;
  readonly autoConnect: boolean | null;
  readonly busNumber: number | null;
  readonly unitNumber: number | null;
}

/** One path of a multipath LUN (`multipathInfo.lun[].path[]`). */
export interface LunPath {
  readonly name: string | null;
  readonly state: string | null;
}

/** A LACP link aggregation group of a distributed switch (`config.lacpGroupConfig[]`). */
export interface LacpGroup {
  readonly name: string | null;
  readonly mode: string | null;
  readonly loadBalance: string | null;
}

type Ids = readonly string[];
type Strings = readonly string[];
/** Custom attribute values (or Hyper-V's extra facts) by name. */
export type Attributes = Readonly<Record<string, string>>;

/**
 * A standard switch's network policy (security, traffic shaping, NIC teaming, offload), as its
 * port groups inherit or override it.
 */
const NETWORK_POLICY = {
  allowPromiscuous: b(),
  macChanges: b(),
  forgedTransmits: b(),
  shaping: b(),
  shapingAvgBps: i(),
  shapingPeakBps: i(),
  shapingBurstBytes: i(),
  teamingPolicy: t(),
  reversePolicy: b(),
  notifySwitches: b(),
  rollingOrder: b(),
  offload: b(),
  tso: b(),
  zeroCopyXmit: b(),
};

/** Distributed port traffic shaping (`in/outShapingPolicy`): a switch's default, a port group's. */
const DV_SHAPING = {
  inShaping: b(),
  inShapingAvgBps: i(),
  inShapingPeakBps: i(),
  inShapingBurstBytes: i(),
  outShaping: b(),
  outShapingAvgBps: i(),
  outShapingPeakBps: i(),
  outShapingBurstBytes: i(),
};

/** Field lists per entity type. The order is the column order of the store table. */
export const ENTITY_FIELDS = {
  datacenter: {},
  folder: {
    parentId: t({ ref: 'folder' as const }),
    datacenterId: t({ ref: 'datacenter' as const }),
    folderType: t(),
    path: t(),
  },
  cluster: {
    datacenterId: t({ ref: 'datacenter' as const }),
    haEnabled: b(),
    drsEnabled: b(),
    drsBehavior: t(),
    hostCount: i(),
    effectiveHostCount: i({ volatile: true as const }),
    totalCpuMhz: i(),
    totalMemoryBytes: i(),
    effectiveCpuMhz: i({ volatile: true as const }),
    effectiveMemoryBytes: i({ volatile: true as const }),
    overallStatus: t(),
    configStatus: t(),
    cpuCores: i(),
    cpuThreads: i(),
    vmotionCount: i({ volatile: true as const }),
    haFailoverLevel: i(),
    haAdmissionControl: b(),
    haHostMonitoring: t(),
    haHeartbeatPolicy: t(),
    haIsolationResponse: t(),
    haRestartPriority: t(),
    haVmMonitoring: t(),
    haMaxFailures: i(),
    haMaxFailureWindowSeconds: i(),
    haFailureIntervalSeconds: i(),
    haMinUpTimeSeconds: i(),
    drsVmotionRate: i(),
    dpmEnabled: b(),
    dpmBehavior: t(),
    dpmHostPowerActionRate: i(),
  },
  host: {
    datacenterId: t({ ref: 'datacenter' as const }),
    clusterId: t({ ref: 'cluster' as const }),
    connectionState: t(),
    powerState: t(),
    inMaintenance: b(),
    vendor: t(),
    model: t(),
    serialNumber: t(),
    cpuModel: t(),
    cpuSockets: i(),
    cpuCores: i(),
    cpuThreads: i(),
    cpuMhz: i(),
    memoryBytes: i(),
    cpuUsageMhz: i({ volatile: true as const }),
    memoryUsageBytes: i({ volatile: true as const }),
    productName: t(),
    version: t(),
    build: t(),
    bootTime: time(),
    uptimeSeconds: i({ volatile: true as const }),
    overallStatus: t(),
    datastoreIds: refs('datastore'),
    networkIds: refs('network'),
    tags: j<Strings>(),
    sshEnabled: b(),
    shellEnabled: b(),
    ntpRunning: b(),
    ntpServers: j<Strings>(),
    certificateExpiresAt: time(),
    configStatus: t(),
    htAvailable: b(),
    htActive: b(),
    vmotionSupported: b(),
    storageVmotionSupported: b(),
    ftSupported: b(),
    currentEvc: t(),
    maxEvc: t(),
    cpuPowerPolicy: t(),
    cpuPowerSupport: t(),
    powerPolicy: t(),
    dnsServers: j<Strings>(),
    dhcp: b(),
    domain: t(),
    searchDomains: j<Strings>(),
    timeZone: t(),
    timeZoneName: t(),
    gmtOffsetSeconds: i(),
    serviceTag: t(),
    oemString: t(),
    biosVendor: t(),
    biosVersion: t(),
    biosReleaseDate: time(),
    certificateIssuer: t(),
    certificateSubject: t(),
    certificateStartsAt: time(),
    hardwareUuid: t(),
    customAttributes: j<Attributes>(),
    /** `runtime.inQuarantineMode` (Proactive HA; API 6.5+). */
    inQuarantineMode: b(),
    /** `config.vsanHostConfig.faultDomainInfo.name`. */
    vsanFaultDomain: t(),
    /** `hardware.memoryTieringType` (API 8.0.3+). */
    memoryTieringType: t(),
  },
  resourcePool: {
    parentId: t({ ref: 'resourcePool' as const }),
    clusterId: t({ ref: 'cluster' as const }),
    datacenterId: t({ ref: 'datacenter' as const }),
    cpuReservationMhz: i(),
    cpuLimitMhz: i(),
    cpuShares: i(),
    memoryReservationMb: i(),
    memoryLimitMb: i(),
    memoryShares: i(),
    overallStatus: t(),
    cpuSharesLevel: t(),
    cpuExpandable: b(),
    memorySharesLevel: t(),
    memoryExpandable: b(),
    cpuMaxUsageMhz: i(),
    cpuOverallUsageMhz: i({ volatile: true as const }),
    cpuReservationUsedMhz: i({ volatile: true as const }),
    cpuReservationUsedForVmMhz: i({ volatile: true as const }),
    cpuUnreservedForPoolMhz: i({ volatile: true as const }),
    cpuUnreservedForVmMhz: i({ volatile: true as const }),
    memoryMaxUsageBytes: i(),
    memoryOverallUsageBytes: i({ volatile: true as const }),
    memoryReservationUsedBytes: i({ volatile: true as const }),
    memoryReservationUsedForVmBytes: i({ volatile: true as const }),
    memoryUnreservedForPoolBytes: i({ volatile: true as const }),
    memoryUnreservedForVmBytes: i({ volatile: true as const }),
    memoryConfiguredMb: i(),
    /** `summary.quickStats` of the pool, as reported (MHz and MB); volatile. */
    quickStats: j<Readonly<Record<string, number>>>({ volatile: true }),
    /** `config.cpuAllocation.overheadLimit` (MHz) and `memoryAllocation.overheadLimit` (MB). */
    cpuOverheadLimitMhz: i(),
    memoryOverheadLimitMb: i(),
  },
  datastore: {
    datacenterId: t({ ref: 'datacenter' as const }),
    type: t(),
    url: t(),
    capacityBytes: i(),
    freeBytes: i({ volatile: true as const }),
    uncommittedBytes: i({ volatile: true as const }),
    accessible: b(),
    maintenanceMode: t(),
    hostIds: refs('host'),
    tags: j<Strings>(),
    configStatus: t(),
    siocEnabled: b(),
    siocThresholdMs: i(),
    vmfsBlockSizeMb: i(),
    vmfsMaxBlocks: i(),
    vmfsExtents: j<Strings>(),
    vmfsMajorVersion: i(),
    vmfsVersion: t(),
    vmfsUpgradable: b(),
    multipleHostAccess: b(),
    /** The datastore cluster (StoragePod) the datastore is in, if any. */
    datastoreClusterId: t({ ref: 'datastoreCluster' as const }),
    /** An NFS datastore's server(s) and export (`info.nas.remoteHost` / `remotePath`). */
    nasRemoteHost: t(),
    nasRemotePath: t(),
  },
  network: {
    datacenterId: t({ ref: 'datacenter' as const }),
    networkType: t(),
    switchName: t(),
    /**
     * The switch: a distributed port group's `dvSwitch` (its native id), a Hyper-V network's
     * virtual switch GUID (no entity of its own), so not a typed reference.
     */
    switchId: t(),
    vlanId: t(),
    hostIds: refs('host'),
    tags: j<Strings>(),
    /** Distributed port group settings (`config.*`, `config.defaultPortConfig.*`). */
    portgroupType: t(),
    numPorts: i(),
    blocked: b(),
    allowPromiscuous: b(),
    macChanges: b(),
    forgedTransmits: b(),
    teamingPolicy: t(),
    activeUplinks: j<Strings>(),
    standbyUplinks: j<Strings>(),
    reversePolicy: b(),
    notifySwitches: b(),
    rollingOrder: b(),
    checkBeacon: b(),
    ...DV_SHAPING,
    livePortMoving: b(),
    blockOverride: b(),
    configReset: b(),
    shapingOverride: b(),
    vendorConfigOverride: b(),
    securityOverride: b(),
    teamingOverride: b(),
    vlanOverride: b(),
    /** Uplink failure detection (`uplinkTeamingPolicy.failureCriteria`). */
    checkDuplex: b(),
    checkErrorPercent: b(),
    checkSpeed: t(),
    failurePercentage: i(),
  },
  vm: {
    datacenterId: t({ ref: 'datacenter' as const }),
    clusterId: t({ ref: 'cluster' as const }),
    hostId: t({ ref: 'host' as const }),
    resourcePoolId: t({ ref: 'resourcePool' as const }),
    folderId: t({ ref: 'folder' as const }),
    folderPath: t(),
    powerState: t(),
    connectionState: t(),
    isTemplate: b(),
    guestOs: t(),
    guestOsRunning: t(),
    guestHostname: t(),
    ipAddress: t(),
    ipAddresses: j<Strings>(),
    cpuCount: i(),
    coresPerSocket: i(),
    memoryMb: i(),
    provisionedBytes: i(),
    usedBytes: i({ volatile: true as const }),
    uncommittedBytes: i({ volatile: true as const }),
    toolsStatus: t(),
    toolsRunningStatus: t(),
    toolsVersion: t(),
    hardwareVersion: t(),
    firmware: t(),
    uuid: t(),
    instanceUuid: t(),
    vmPathName: t(),
    annotation: t(),
    cdromConnected: b(),
    consolidationNeeded: b(),
    overallStatus: t(),
    bootTime: time(),
    cpuUsageMhz: i({ volatile: true as const }),
    memoryUsageMb: i({ volatile: true as const }),
    uptimeSeconds: i({ volatile: true as const }),
    nicCount: i(),
    diskCount: i(),
    generation: i(),
    datastoreIds: refs('datastore'),
    networkIds: refs('network'),
    customAttributes: j<Attributes>(),
    tags: j<Strings>(),
    floppyConnected: b(),
    /**
     * What the guest reports per partition: `[{ path, capacityBytes, freeBytes }]`. Volatile: free
     * space moves on every poll.
     */
    guestDisks: j<readonly GuestDisk[]>({ volatile: true }),
    /** ManagedEntity.configStatus (gray/green/yellow/red). */
    configStatus: t(),
    /** A Site Recovery Manager placeholder (config.managedBy: com.vmware.vcDr, placeholderVm). */
    srmPlaceholder: b(),
    /** guest.guestState: running, notRunning, shuttingDown, resetting, standby, unknown. */
    guestState: t(),
    /** guestHeartbeatStatus (gray/green/yellow/red). */
    heartbeat: t(),
    suspendTime: time(),
    /** config.createDate (API 6.7 and later). */
    createdAt: time(),
    /** config.changeVersion: changes on every reconfiguration. */
    changeVersion: t(),
    minRequiredEvcModeKey: t(),
    latencySensitivity: t(),
    /** Changed block tracking (config.changeTrackingEnabled). */
    cbtEnabled: b(),
    numMonitors: i(),
    videoRamKib: i(),
    /** The vApp the VM belongs to (parentVApp). */
    vappId: t({ ref: 'resourcePool' as const }),
    haProtected: b(),
    ftState: t(),
    ftRole: i(),
    ftLatencyStatus: t({ volatile: true as const }),
    ftBandwidthKbps: i({ volatile: true as const }),
    ftSecondaryLatencyMs: i({ volatile: true as const }),
    unsharedBytes: i({ volatile: true as const }),
    /** The VM's HA settings in its cluster (its own override, else the cluster default). */
    haRestartPriority: t(),
    haIsolationResponse: t(),
    haVmMonitoring: t(),
    /** Names of the cluster's DRS rules that name this VM. */
    clusterRuleNames: j<Strings>(),
    bootDelayMs: i(),
    bootRetryEnabled: b(),
    bootRetryDelayMs: i(),
    enterBiosSetup: b(),
    efiSecureBoot: b(),
    hwUpgradeStatus: t(),
    hwUpgradePolicy: t(),
    hwUpgradeTarget: t(),
    logDirectory: t(),
    snapshotDirectory: t(),
    suspendDirectory: t(),
    cpuReservationMhz: i(),
    cpuLimitMhz: i(),
    cpuSharesLevel: t(),
    cpuShares: i(),
    cpuHotAdd: b(),
    cpuHotRemove: b(),
    cpuMaxMhz: i({ volatile: true as const }),
    cpuEntitlementMhz: i({ volatile: true as const }),
    cpuDrsEntitlementMhz: i({ volatile: true as const }),
    memoryReservationMb: i(),
    memoryLimitMb: i(),
    memorySharesLevel: t(),
    memoryShares: i(),
    memoryHotAdd: b(),
    memoryReservationLockedToMax: b(),
    memoryOverheadBytes: i({ volatile: true as const }),
    memoryMaxMb: i({ volatile: true as const }),
    memoryConsumedMb: i({ volatile: true as const }),
    memoryConsumedOverheadMb: i({ volatile: true as const }),
    memoryPrivateMb: i({ volatile: true as const }),
    memorySharedMb: i({ volatile: true as const }),
    memorySwappedMb: i({ volatile: true as const }),
    memoryBalloonedMb: i({ volatile: true as const }),
    memoryEntitlementMb: i({ volatile: true as const }),
    memoryDrsEntitlementMb: i({ volatile: true as const }),
    /** guest.toolsVersionStatus2 (guestToolsCurrent, guestToolsNeedUpgrade, …). */
    toolsVersionStatus: t(),
    toolsUpgradePolicy: t(),
    toolsSyncTime: b(),
    appHeartbeatStatus: t(),
    guestKernelCrashed: b(),
    guestOperationsReady: b(),
    guestStateChangeSupported: b(),
    interactiveGuestOperationsReady: b(),
    cdDrives: j<readonly CdDrive[]>(),
    usbDevices: j<readonly UsbDevice[]>(),
  },
  vmDisk: {
    vmId: t({ ref: 'vm' as const }),
    label: t(),
    capacityBytes: i(),
    thin: b(),
    diskMode: t(),
    fileName: t(),
    datastoreId: t({ ref: 'datastore' as const }),
    controller: t(),
    unitNumber: i(),
    /** The device key (guest partitions name their disk by it). */
    diskKey: i(),
    diskUuid: t(),
    /** vSphere's label of the controller (`SCSI controller 0`). */
    controllerLabel: t(),
    /** The controller's bus sharing (noSharing, virtualSharing, physicalSharing). */
    controllerSharedBus: t(),
    /** A raw device mapping (RDM), not a VMDK. */
    raw: b(),
    rawCompatibilityMode: t(),
    rawLunUuid: t(),
    sharing: t(),
    eagerlyScrub: b(),
    split: b(),
    writeThrough: b(),
    ioSharesLevel: t(),
    ioShares: i(),
    ioReservation: i(),
    ioLimit: i(),
  },
  vmNic: {
    vmId: t({ ref: 'vm' as const }),
    label: t(),
    adapterType: t(),
    macAddress: t(),
    networkId: t({ ref: 'network' as const }),
    networkName: t(),
    connected: b(),
    startConnected: b(),
    ipAddresses: j<Strings>(),
  },
  snapshot: {
    vmId: t({ ref: 'vm' as const }),
    parentId: t({ ref: 'snapshot' as const }),
    description: t(),
    createdAt: time(),
    sizeBytes: i(),
    powerState: t(),
    quiesced: b(),
    isCurrent: b(),
    /** The snapshot's state file (vmsn) and its size. */
    fileName: t(),
    vmsnBytes: i(),
  },
  guestPartition: {
    vmId: t({ ref: 'vm' as const }),
    /** The mount point or drive (`C:\\`, `/var`): also the entity's name. */
    path: t(),
    capacityBytes: i(),
    freeBytes: i({ volatile: true as const }),
    filesystemType: t(),
    /** The device key of the virtual disk holding it (vmDisk.diskKey), when the guest says. */
    diskKey: i(),
  },
  /** A physical NIC of a host (`config.network.pnic`; Hyper-V: Get-NetAdapter -Physical). */
  hostNic: {
    hostId: t({ ref: 'host' as const }),
    device: t(),
    driver: t(),
    /** Link speed in Mb/s; null when the link is down. */
    speedMb: i(),
    fullDuplex: b(),
    macAddress: t(),
    /** The standard or distributed switch (or Hyper-V switch) the NIC is an uplink of. */
    switchName: t(),
    uplinkPort: t(),
    pci: t(),
    wakeOnLan: b(),
  },
  /** A host bus adapter (`config.storageDevice.hostBusAdapter`). */
  hba: {
    hostId: t({ ref: 'host' as const }),
    device: t(),
    /** The HBA's kind as vSphere types it: FibreChannel, InternetScsi, Block, ParallelScsi… */
    hbaType: t(),
    status: t(),
    bus: i(),
    pci: t(),
    driver: t(),
    model: t(),
    /** Port and node world wide names (FC and FCoE), as 16 hex digits each. */
    portWwn: t(),
    nodeWwn: t(),
    iscsiName: t(),
  },
  /** A VMkernel adapter (`config.network.vnic`; Hyper-V: a management OS virtual adapter). */
  vmkernel: {
    hostId: t({ ref: 'host' as const }),
    device: t(),
    portGroup: t(),
    /** The distributed switch port group the adapter is on (by native id), if any. */
    networkId: t({ ref: 'network' as const }),
    macAddress: t(),
    dhcp: b(),
    ipAddress: t(),
    subnetMask: t(),
    ipv6Addresses: j<Strings>(),
    gateway: t(),
    ipv6Gateway: t(),
    mtu: i(),
    /** The services the adapter carries: management, vmotion, vSphereReplication… */
    services: j<Strings>(),
  },
  /** A LUN as the host's multipathing sees it (`config.storageDevice.multipathInfo.lun`). */
  multipathLun: {
    hostId: t({ ref: 'host' as const }),
    datastoreId: t({ ref: 'datastore' as const }),
    canonicalName: t(),
    displayName: t(),
    policy: t(),
    operationalState: t(),
    /** `[{ name, state }]` per path, in the host's order. */
    paths: j<readonly LunPath[]>(),
    vStorageSupport: t(),
    queueDepth: i(),
    vendor: t(),
    model: t(),
    revision: t(),
    scsiLevel: i(),
    serialNumber: t(),
    uuid: t(),
    capacityBytes: i(),
  },
  /** A license of the endpoint (`LicenseManager.licenses`); the key is stored masked. */
  license: {
    /** The key as RVTools shows it: all but the last group masked. Never the full key. */
    maskedKey: t(),
    editionKey: t(),
    costUnit: t(),
    total: i(),
    used: i({ volatile: true as const }),
    expiresAt: time(),
    features: j<Strings>(),
    labels: j<Strings>(),
  },
  /** A standard virtual switch of a host (`config.network.vswitch`; Hyper-V: Get-VMSwitch). */
  standardSwitch: {
    hostId: t({ ref: 'host' as const }),
    switchType: t(),
    numPorts: i(),
    freePorts: i({ volatile: true as const }),
    mtu: i(),
    uplinks: j<Strings>(),
    ...NETWORK_POLICY,
  },
  /** A port group of a host's standard switch (`config.network.portgroup`). */
  portGroup: {
    hostId: t({ ref: 'host' as const }),
    switchName: t(),
    vlanId: i(),
    /** Effective policy (`computedPolicy`): the switch's, where the port group does not override. */
    ...NETWORK_POLICY,
  },
  /**
   * A distributed virtual switch (`DistributedVirtualSwitch`, `VmwareDistributedVirtualSwitch`):
   * its distributed port groups are `network` entities whose `switchId` names it.
   */
  dvSwitch: {
    datacenterId: t({ ref: 'datacenter' as const }),
    uuid: t(),
    /** `summary.productInfo`: the switch implementation's name, vendor and version. */
    productName: t(),
    vendor: t(),
    version: t(),
    description: t(),
    createdAt: time(),
    maxPorts: i(),
    numPorts: i(),
    /** The member hosts (`summary.hostMember`). */
    hostIds: refs('host'),
    /** Default port traffic shaping (`config.defaultPortConfig.in/outShapingPolicy`). */
    ...DV_SHAPING,
    /** Link discovery (`config.linkDiscoveryProtocolConfig`): cdp or lldp, and its operation. */
    discoveryProtocol: t(),
    discoveryOperation: t(),
    /** LACP link aggregation groups (`config.lacpGroupConfig`): `[{ name, mode, loadBalance }]`. */
    lacpGroups: j<readonly LacpGroup[]>(),
    maxMtu: i(),
    /** `config.contact`: the contact text and the administrator's name. */
    contact: t(),
    adminName: t(),
  },
  /** A datastore cluster (`StoragePod`); its datastores name it in `datastoreClusterId`. */
  datastoreCluster: {
    datacenterId: t({ ref: 'datacenter' as const }),
    capacityBytes: i(),
    freeBytes: i({ volatile: true as const }),
  },
  /**
   * A file or folder on a datastore, as the datastore browser lists it (RVTools' vFileInfo).
   * Collected only when the file listing is asked for (`sync --file-info`, the endpoint's
   * setting); the native id is the datastore's moref and the path within it.
   */
  datastoreFile: {
    datastoreId: t({ ref: 'datastore' as const }),
    /** The folder as the browser names it: `[ds1] vm1`. */
    folderPath: t(),
    /** The file's datastore path: `[ds1] vm1/vm1.vmx`. */
    path: t(),
    /** The browser's FileInfo type: VmDiskFileInfo, VmConfigFileInfo, FolderFileInfo, FileInfo… */
    fileType: t(),
    /** Volatile: logs and disks grow between listings. */
    sizeBytes: i({ volatile: true as const }),
    modifiedAt: time({ volatile: true as const }),
  },
} as const satisfies Record<EntityType, Record<string, FieldSpec>>;

type Specs<T extends EntityType> = (typeof ENTITY_FIELDS)[T];

/** The field names of an entity type. */
export type EntityFields<T extends EntityType> = keyof Specs<T> & string;

/** The TypeScript type of a field's value (null aside). */
export type ValueOf<S> = S extends TypedFieldSpec<FieldKind, infer V> ? V : never;

/** The value of field `F` of type `T`: its declared type, or null when unknown. */
export type FieldOf<T extends EntityType, F extends EntityFields<T>> = ValueOf<Specs<T>[F]> | null;

/**
 * The typed fields of an entity type. Each is optional: an incremental update carries only the
 * fields that changed, and a field left out keeps its stored value.
 */
export type TypedFields<T extends EntityType> = {
  readonly [F in EntityFields<T>]?: FieldOf<T, F>;
};

/** The fields of `T` that list other entities (stored only as rows of the relation table). */
export type RelationFields<T extends EntityType> = {
  [F in EntityFields<T>]: Specs<T>[F] extends { readonly refs: EntityType } ? F : never;
}[EntityFields<T>];

/** A relation kind as the relation table names it: `vm.datastoreIds`, `datastore.hostIds`. */
export type RelationKind = { [T in EntityType]: `${T}.${RelationFields<T>}` }[EntityType];

/** Any field value, for code that walks every field generically (writers, diffs, formats). */
export type FieldValue =
  string | number | boolean | null | readonly unknown[] | Readonly<Record<string, unknown>>;

/**
 * One entity as a collector reports it, discriminated by `type`: its `fields` are that type's
 * typed fields. `id` is the endpoint's native id (a vSphere moref value, a Hyper-V id).
 */
export type CollectedEntity = {
  [T in EntityType]: EntityOf<T>;
}[EntityType];

/** A collected entity of one type. */
export interface EntityOf<T extends EntityType> {
  readonly type: T;
  readonly id: string;
  readonly name: string;
  readonly fields: TypedFields<T>;
}

/** The field specs of a type, walked generically (column order). */
export function fieldSpecsOf(type: EntityType): readonly (readonly [string, FieldSpec])[] {
  return Object.entries(ENTITY_FIELDS[type] as Readonly<Record<string, FieldSpec>>);
}

/**
 * How complete a datastore file listing is. The listing is optional and bounded, so a stored file
 * missing from it is soft-deleted only when its datastore was listed whole (or is gone): a file
 * of a datastore the cap cut, that failed or was not reached is kept as last listed.
 */
export interface FileListing {
  /** Datastores (native ids) whose every file is in the collection. */
  readonly completeDatastoreIds: readonly string[];
  /** What was left out and why, in words an operator reads (the cap, a failed search). */
  readonly notes: readonly string[];
}

/** A full collection: everything the endpoint holds now. Entities missing from it are soft-deleted. */
export interface FullInventory {
  readonly entities: readonly CollectedEntity[];
  /**
   * Set when this collection listed datastore files (the listing is optional). Absent: stored
   * `datastoreFile` rows are left exactly as they are, neither seen nor deleted.
   */
  readonly fileListing?: FileListing;
  /** What the server said it is at login (vSphere); stored on the endpoint. */
  readonly about?: EndpointAbout;
  readonly events?: readonly CollectedEvent[];
  readonly samples?: readonly UsageSample[];
}

/** An incremental update: changed or new entities (partial fields allowed) and removals. */
export interface InventoryDelta {
  readonly upserts: readonly CollectedEntity[];
  readonly removals: readonly { readonly type: EntityType; readonly id: string }[];
  readonly events?: readonly CollectedEvent[];
}

/** An event the endpoint recorded (who powered off a VM), linked to changes by entity and time. */
export interface CollectedEvent {
  readonly key: string;
  readonly at: string;
  readonly eventType: string;
  readonly user: string | null;
  readonly message: string;
  readonly entityType: EntityType | null;
  readonly entityId: string | null;
}

export interface UsageSample {
  readonly entityType: 'host' | 'vm' | 'datastore' | 'cluster';
  readonly entityId: string;
  readonly at: string;
  readonly cpuMhz?: number | null;
  readonly memoryBytes?: number | null;
  readonly storageUsedBytes?: number | null;
  readonly storageCapacityBytes?: number | null;
}

/** A type guard for one entity type, for `filter`: `entities.filter(isEntity('vm'))`. */
export function isEntity<T extends EntityType>(
  type: T,
): <E extends CollectedEntity>(e: E) => e is E & EntityOf<T> {
  return <E extends CollectedEntity>(e: E): e is E & EntityOf<T> => e.type === type;
}

/**
 * The fields of any entity as values by name: for the code that walks `ENTITY_FIELDS` generically
 * (the writer's columns, snapshot encoders), never for reading one named field.
 */
export function fieldBag(e: CollectedEntity): Readonly<Record<string, FieldValue | undefined>> {
  return e.fields as Readonly<Record<string, FieldValue | undefined>>;
}

/** A copy of `e` with some fields replaced (type-checked against the fields of `e`'s type). */
export function withFields<E extends CollectedEntity>(e: E, fields: Partial<E['fields']>): E {
  return { ...e, fields: { ...e.fields, ...fields } };
}
