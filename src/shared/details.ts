import { z } from 'zod';
import { scopeSchema } from './query.js';
import type { QueryCell, QueryFieldInfo } from './query.js';
import { request, returns } from './channel.js';

/*
 * The detail views' slice of the contract: one entity with everything related to it
 * (`inventory:entity`), a small cross-kind search for the command palette (`inventory:search`)
 * and a cheap change token the renderer polls (`inventory:version`), which also notices writes
 * made by another process (the CLI syncing into the same store).
 */

export const DETAIL_KINDS = ['vm', 'host', 'cluster', 'datastore', 'network'] as const;
export type DetailKind = (typeof DETAIL_KINDS)[number];

export const entityRequestSchema = z
  .object({
    kind: z.enum(DETAIL_KINDS),
    endpointId: z.number().int().positive().optional(),
    /** The endpoint's name, for callers that hold a table row (rows carry the name, not the id). */
    endpoint: z.string().min(1).max(200).optional(),
    id: z.string().min(1).max(256),
  })
  .strict()
  .refine((x) => x.endpointId !== undefined || x.endpoint !== undefined, {
    message: 'give endpointId or endpoint',
    path: ['endpointId'],
  });
export type EntityRequest = z.input<typeof entityRequestSchema>;

export const searchRequestSchema = z
  .object({
    text: z.string().min(1).max(200),
    /** Hits per kind. */
    limit: z.number().int().min(1).max(50).default(8),
    /** Only what is in the workspace scope (as for inventory queries). */
    scope: scopeSchema.optional(),
  })
  .strict();
export type SearchRequest = z.input<typeof searchRequestSchema>;

/** A pointer to another entity's detail view. */
export interface EntityLink {
  readonly kind: DetailKind;
  readonly endpointId: number;
  readonly id: string;
  readonly name: string;
}

/** One labelled value; the renderer formats it by `type`/`unit` like a table cell. */
export interface DetailFact {
  readonly label: string;
  readonly value: QueryCell;
  readonly type?: QueryFieldInfo['type'];
  readonly unit?: QueryFieldInfo['unit'];
}

/** A related entity in a list (a host's VMs), with its state and one line of detail. */
export interface RelatedEntity {
  readonly link: EntityLink;
  readonly state: string | null;
  readonly detail: string | null;
}

/** A list that may have been cut short: `total` says how many there are. */
export interface RelatedList {
  readonly items: readonly RelatedEntity[];
  readonly total: number;
}

export interface ChangeEntry {
  readonly id: number;
  readonly at: string;
  readonly kind: 'created' | 'updated' | 'deleted';
  readonly field: string | null;
  readonly oldValue: string | null;
  readonly newValue: string | null;
  readonly user: string | null;
}

export interface EventEntry {
  readonly id: number;
  readonly at: string;
  readonly eventType: string;
  readonly user: string | null;
  readonly message: string;
}

export interface DiskEntry {
  readonly id: string;
  readonly label: string;
  readonly capacityBytes: number | null;
  readonly thin: boolean | null;
  readonly diskMode: string | null;
  readonly fileName: string | null;
  readonly controller: string | null;
  readonly datastore: EntityLink | null;
}

export interface NicEntry {
  readonly id: string;
  readonly label: string;
  readonly adapterType: string | null;
  readonly macAddress: string | null;
  readonly connected: boolean | null;
  readonly networkName: string | null;
  readonly network: EntityLink | null;
  readonly ipAddresses: readonly string[];
}

/** A partition as the guest reports it (RVTools' vPartition). */
export interface PartitionEntry {
  readonly id: string;
  readonly path: string;
  readonly capacityBytes: number | null;
  readonly freeBytes: number | null;
  readonly filesystemType: string | null;
}

export interface SnapshotNode {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: string | null;
  readonly sizeBytes: number | null;
  readonly isCurrent: boolean;
  readonly quiesced: boolean | null;
  readonly children: readonly SnapshotNode[];
}

/** Totals of a cluster: what its hosts have, what they use, and what its VMs are given. */
export interface ClusterCapacity {
  readonly cpuTotalMhz: number;
  readonly cpuUsedMhz: number;
  readonly memoryTotalBytes: number;
  readonly memoryUsedBytes: number;
  readonly storageCapacityBytes: number;
  readonly storageFreeBytes: number;
  readonly vcpus: number;
  readonly physicalCores: number;
  readonly vmMemoryBytes: number;
}

interface DetailBase {
  readonly endpointId: number;
  readonly endpoint: string;
  readonly id: string;
  readonly name: string;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly deletedAt: string | null;
  readonly summary: readonly DetailFact[];
  readonly tags: readonly string[];
  /** Newest first, at most 100. */
  readonly changes: readonly ChangeEntry[];
  /** Newest first, at most 50. */
  readonly events: readonly EventEntry[];
}

export interface VmDetails extends DetailBase {
  readonly kind: 'vm';
  readonly powerState: string | null;
  readonly annotation: string | null;
  readonly hardware: readonly DetailFact[];
  readonly host: EntityLink | null;
  readonly cluster: EntityLink | null;
  readonly resourcePool: string | null;
  readonly datastores: readonly EntityLink[];
  readonly networks: readonly EntityLink[];
  readonly disks: readonly DiskEntry[];
  readonly nics: readonly NicEntry[];
  /** Guest partitions, by path. */
  readonly partitions: readonly PartitionEntry[];
  /** Roots of the snapshot tree. */
  readonly snapshots: readonly SnapshotNode[];
  readonly ipAddresses: readonly string[];
}

/** One device of a host (a NIC, an HBA, a VMkernel adapter…): its name and facts. */
export interface HostDeviceRow {
  readonly id: string;
  readonly name: string;
  readonly facts: readonly DetailFact[];
}

/** A host's devices of one kind; `kind` is the query kind that lists them all. */
export interface HostDeviceGroup {
  readonly kind:
    'host-nics' | 'hbas' | 'vmkernels' | 'multipath-luns' | 'standard-switches' | 'port-groups';
  readonly title: string;
  readonly rows: readonly HostDeviceRow[];
}

export interface HostDetails extends DetailBase {
  readonly kind: 'host';
  readonly connectionState: string | null;
  readonly powerState: string | null;
  readonly inMaintenance: boolean | null;
  readonly hardware: readonly DetailFact[];
  /** BIOS, hyperthreading, power policy, DNS, NTP, time zone, EVC, vMotion and FT support. */
  readonly configuration: readonly DetailFact[];
  /** Physical NICs, HBAs, VMkernel adapters, LUNs, standard switches and port groups. */
  readonly devices: readonly HostDeviceGroup[];
  readonly cluster: EntityLink | null;
  readonly cpuTotalMhz: number | null;
  readonly cpuUsedMhz: number | null;
  readonly memoryTotalBytes: number | null;
  readonly memoryUsedBytes: number | null;
  readonly vms: RelatedList;
  readonly datastores: RelatedList;
  readonly networks: RelatedList;
}

export interface ClusterDetails extends DetailBase {
  readonly kind: 'cluster';
  readonly capacity: ClusterCapacity;
  readonly hosts: RelatedList;
  readonly vms: RelatedList;
}

export interface DatastoreDetails extends DetailBase {
  readonly kind: 'datastore';
  readonly capacityBytes: number | null;
  readonly freeBytes: number | null;
  readonly uncommittedBytes: number | null;
  readonly vms: RelatedList;
  readonly hosts: RelatedList;
}

export interface NetworkDetails extends DetailBase {
  readonly kind: 'network';
  readonly vms: RelatedList;
  readonly hosts: RelatedList;
}

export type EntityDetails =
  VmDetails | HostDetails | ClusterDetails | DatastoreDetails | NetworkDetails;

export interface SearchHit {
  readonly kind: DetailKind;
  readonly endpointId: number;
  readonly endpoint: string;
  readonly id: string;
  readonly name: string;
  /** What matched when it was not the name: "IP 10.0.0.7", "UUID 4200-…". */
  readonly matched: string | null;
  readonly detail: string | null;
}

export interface SearchResult {
  readonly text: string;
  readonly hits: readonly SearchHit[];
  readonly tookMs: number;
}

/** Changes when the inventory does (a sync, an incremental update, an endpoint added). */
export interface InventoryVersion {
  readonly version: string;
}

/** The detail views' slice of the contract. */
export const detailChannels = {
  'inventory:entity': request(entityRequestSchema, returns<EntityDetails>()),
  'inventory:search': request(searchRequestSchema, returns<SearchResult>()),
  'inventory:version': request(z.object({}).strict(), returns<InventoryVersion>()),
};
