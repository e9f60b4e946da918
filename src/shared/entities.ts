/**
 * The normalized inventory model shared by every collector, the store and every host.
 *
 * Each entity type has a fixed list of fields. Collectors emit entities whose `fields` use these
 * names; the store maps each field to a column and diffs it to build the change log.
 */

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
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

const t = (extra: Partial<FieldSpec> = {}): FieldSpec => ({ kind: 'text', ...extra });
const i = (extra: Partial<FieldSpec> = {}): FieldSpec => ({ kind: 'int', ...extra });
const b = (extra: Partial<FieldSpec> = {}): FieldSpec => ({ kind: 'bool', ...extra });
const j = (extra: Partial<FieldSpec> = {}): FieldSpec => ({ kind: 'json', ...extra });
const time = (extra: Partial<FieldSpec> = {}): FieldSpec => ({ kind: 'time', ...extra });

/** Field lists per entity type. The order is the column order of the store table. */
export const ENTITY_FIELDS = {
  datacenter: {},
  folder: {
    parentId: t({ ref: 'folder' }),
    datacenterId: t({ ref: 'datacenter' }),
    folderType: t(),
    path: t(),
  },
  cluster: {
    datacenterId: t({ ref: 'datacenter' }),
    haEnabled: b(),
    drsEnabled: b(),
    drsBehavior: t(),
    hostCount: i(),
    effectiveHostCount: i({ volatile: true }),
    totalCpuMhz: i(),
    totalMemoryBytes: i(),
    effectiveCpuMhz: i({ volatile: true }),
    effectiveMemoryBytes: i({ volatile: true }),
    overallStatus: t(),
  },
  host: {
    datacenterId: t({ ref: 'datacenter' }),
    clusterId: t({ ref: 'cluster' }),
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
    cpuUsageMhz: i({ volatile: true }),
    memoryUsageBytes: i({ volatile: true }),
    productName: t(),
    version: t(),
    build: t(),
    bootTime: time(),
    uptimeSeconds: i({ volatile: true }),
    overallStatus: t(),
    datastoreIds: j({ refs: 'datastore' }),
    networkIds: j({ refs: 'network' }),
    tags: j(),
    sshEnabled: b(),
    shellEnabled: b(),
    ntpRunning: b(),
    ntpServers: j(),
    certificateExpiresAt: time(),
  },
  resourcePool: {
    parentId: t({ ref: 'resourcePool' }),
    clusterId: t({ ref: 'cluster' }),
    datacenterId: t({ ref: 'datacenter' }),
    cpuReservationMhz: i(),
    cpuLimitMhz: i(),
    cpuShares: i(),
    memoryReservationMb: i(),
    memoryLimitMb: i(),
    memoryShares: i(),
    overallStatus: t(),
  },
  datastore: {
    datacenterId: t({ ref: 'datacenter' }),
    type: t(),
    url: t(),
    capacityBytes: i(),
    freeBytes: i({ volatile: true }),
    uncommittedBytes: i({ volatile: true }),
    accessible: b(),
    maintenanceMode: t(),
    hostIds: j({ refs: 'host' }),
    tags: j(),
  },
  network: {
    datacenterId: t({ ref: 'datacenter' }),
    networkType: t(),
    switchName: t(),
    switchId: t(),
    vlanId: t(),
    hostIds: j({ refs: 'host' }),
    tags: j(),
  },
  vm: {
    datacenterId: t({ ref: 'datacenter' }),
    clusterId: t({ ref: 'cluster' }),
    hostId: t({ ref: 'host' }),
    resourcePoolId: t({ ref: 'resourcePool' }),
    folderId: t({ ref: 'folder' }),
    folderPath: t(),
    powerState: t(),
    connectionState: t(),
    isTemplate: b(),
    guestOs: t(),
    guestOsRunning: t(),
    guestHostname: t(),
    ipAddress: t(),
    ipAddresses: j(),
    cpuCount: i(),
    coresPerSocket: i(),
    memoryMb: i(),
    provisionedBytes: i(),
    usedBytes: i({ volatile: true }),
    uncommittedBytes: i({ volatile: true }),
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
    cpuUsageMhz: i({ volatile: true }),
    memoryUsageMb: i({ volatile: true }),
    uptimeSeconds: i({ volatile: true }),
    nicCount: i(),
    diskCount: i(),
    generation: i(),
    datastoreIds: j({ refs: 'datastore' }),
    networkIds: j({ refs: 'network' }),
    customAttributes: j(),
    tags: j(),
    floppyConnected: b(),
    /**
     * What the guest reports per partition: `[{ path, capacityBytes, freeBytes }]`. Volatile: free
     * space moves on every poll.
     */
    guestDisks: j({ volatile: true }),
  },
  vmDisk: {
    vmId: t({ ref: 'vm' }),
    label: t(),
    capacityBytes: i(),
    thin: b(),
    diskMode: t(),
    fileName: t(),
    datastoreId: t({ ref: 'datastore' }),
    controller: t(),
    unitNumber: i(),
  },
  vmNic: {
    vmId: t({ ref: 'vm' }),
    label: t(),
    adapterType: t(),
    macAddress: t(),
    networkId: t({ ref: 'network' }),
    networkName: t(),
    connected: b(),
    startConnected: b(),
    ipAddresses: j(),
  },
  snapshot: {
    vmId: t({ ref: 'vm' }),
    parentId: t({ ref: 'snapshot' }),
    description: t(),
    createdAt: time(),
    sizeBytes: i(),
    powerState: t(),
    quiesced: b(),
    isCurrent: b(),
  },
} as const satisfies Record<EntityType, Record<string, FieldSpec>>;

export type EntityFields<T extends EntityType> = keyof (typeof ENTITY_FIELDS)[T] & string;

export type FieldValue =
  string | number | boolean | null | readonly unknown[] | Record<string, unknown>;

/** One entity as a collector reports it. `id` is the endpoint's native id (a vSphere moref value, a Hyper-V GUID). */
export interface CollectedEntity {
  readonly type: EntityType;
  readonly id: string;
  readonly name: string;
  /** Field values by field name; a field left out keeps its stored value on an incremental update. */
  readonly fields: Readonly<Record<string, FieldValue | undefined>>;
}

/** A full collection: everything the endpoint holds now. Entities missing from it are soft-deleted. */
export interface FullInventory {
  readonly entities: readonly CollectedEntity[];
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
