import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type {
  ChangeEntry,
  ClusterDetails,
  DatastoreDetails,
  DetailFact,
  DetailKind,
  DiskEntry,
  PartitionEntry,
  EntityDetails,
  EntityLink,
  EntityRequest,
  EventEntry,
  HostDetails,
  NetworkDetails,
  NicEntry,
  RelatedEntity,
  RelatedList,
  SnapshotNode,
  VmDetails,
} from '../../shared/details.js';
import { entityRequestSchema } from '../../shared/details.js';
import type { RelationKind } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { HandlerSlice } from '../contract/handlers.js';
import { decodeField, decodeRow } from '../store/columns.js';
import { hostConfiguration, hostDeviceGroups } from './host-devices.js';
import { relationTargets } from './relations.js';
import { searchInventory } from './search.js';
import { inventoryVersion } from './version.js';
import type { Database } from '../store/schema.js';

/*
 * Detail views: one entity and everything related to it, read in a handful of indexed queries
 * (by endpoint and native id), and the handlers of the detail channels (the palette's search is
 * in search.ts, the change token in version.ts).
 */

type Db = Kysely<Database>;

/** Related lists are cut at this many rows; `total` still counts them all. */
export const RELATED_LIMIT = 500;
const CHANGE_LIMIT = 100;
const EVENT_LIMIT = 50;

const TABLE: Record<DetailKind, 'vm' | 'host' | 'cluster' | 'datastore' | 'network'> = {
  vm: 'vm',
  host: 'host',
  cluster: 'cluster',
  datastore: 'datastore',
  network: 'network',
};

function notFound(kind: DetailKind, id: string): AppError {
  return new AppError('NOT_FOUND', `No ${kind} with id ${id} in the store`, { kind, id });
}

/** One entity's row (live or deleted), or NOT_FOUND. Each kind's table bears its name. */
async function entityRow<K extends DetailKind>(
  db: Db,
  kind: K,
  endpointId: number,
  id: string,
): Promise<Selectable<Database[K]>> {
  const table: DetailKind = kind;
  const row: unknown = await db
    .selectFrom(TABLE[table])
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('native_id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(kind, id);
  return row as Selectable<Database[K]>;
}

/** The hosts that see a datastore or network: its `hostIds` relation. */
async function hostsOf(
  db: Db,
  endpointId: number,
  kind: 'datastore' | 'network',
  id: string,
): Promise<RelatedList> {
  return hostList(db, endpointId, {
    ids: await relationTargets(db, endpointId, `${kind}.hostIds`, id),
  });
}

/** What every detail view starts with: which entity, where, and when it was seen. */
function identity<K extends DetailKind>(
  kind: K,
  endpoint: { id: number; name: string },
  id: string,
  row: { name: string; first_seen: string; last_seen: string; deleted_at: string | null },
) {
  return {
    kind,
    endpointId: endpoint.id,
    endpoint: endpoint.name,
    id,
    name: row.name,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    deletedAt: row.deleted_at,
  };
}

async function resolveEndpoint(
  db: Db,
  req: { endpointId?: number | undefined; endpoint?: string | undefined },
): Promise<{ id: number; name: string }> {
  const q = db.selectFrom('endpoint').select(['id', 'name']);
  const row =
    req.endpointId !== undefined
      ? await q.where('id', '=', req.endpointId).executeTakeFirst()
      : await q.where('name', '=', req.endpoint ?? '').executeTakeFirst();
  if (!row) {
    throw new AppError('NOT_FOUND', `No endpoint ${String(req.endpointId ?? req.endpoint)}`);
  }
  return row;
}

async function changesOf(
  db: Db,
  endpointId: number,
  entityType: string,
  id: string,
): Promise<ChangeEntry[]> {
  const rows = await db
    .selectFrom('change_log')
    .select(['id', 'at', 'kind', 'field', 'old_value', 'new_value', 'user'])
    .where('endpoint_id', '=', endpointId)
    .where('entity_type', '=', entityType)
    .where('entity_id', '=', id)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(CHANGE_LIMIT)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    kind: r.kind,
    field: r.field,
    oldValue: r.old_value,
    newValue: r.new_value,
    user: r.user,
  }));
}

async function eventsOf(
  db: Db,
  endpointId: number,
  entityType: string,
  id: string,
): Promise<EventEntry[]> {
  const rows = await db
    .selectFrom('event')
    .select(['id', 'at', 'event_type', 'user', 'message'])
    .where('endpoint_id', '=', endpointId)
    .where('entity_type', '=', entityType)
    .where('entity_id', '=', id)
    .orderBy('at', 'desc')
    .limit(EVENT_LIMIT)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    eventType: r.event_type,
    user: r.user,
    message: r.message,
  }));
}

/** Names of entities of one table by native id (one query for a whole list). */
async function linksOf(
  db: Db,
  kind: DetailKind,
  endpointId: number,
  ids: readonly string[],
): Promise<EntityLink[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom(TABLE[kind])
    .select(['native_id', 'name'])
    .where('endpoint_id', '=', endpointId)
    .where('native_id', 'in', [...ids])
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ kind, endpointId, id: r.native_id, name: r.name }));
}

async function linkOf(
  db: Db,
  kind: DetailKind,
  endpointId: number,
  id: string | null,
): Promise<EntityLink | null> {
  if (!id) return null;
  return (await linksOf(db, kind, endpointId, [id]))[0] ?? null;
}

function related(
  kind: DetailKind,
  endpointId: number,
  rows: readonly { native_id: string; name: string; state: string | null; detail: string | null }[],
  total: number,
): RelatedList {
  const items: RelatedEntity[] = rows.map((r) => ({
    link: { kind, endpointId, id: r.native_id, name: r.name },
    state: r.state,
    detail: r.detail,
  }));
  return { items, total };
}

/** VMs matching a condition on the vm table, cut at RELATED_LIMIT, with their total. */
async function vmList(
  db: Db,
  endpointId: number,
  where:
    { column: 'host_id' | 'cluster_id'; value: string } | { relation: RelationKind; to: string },
): Promise<RelatedList> {
  let q = db
    .selectFrom('vm')
    .where('vm.endpoint_id', '=', endpointId)
    .where('vm.deleted_at', 'is', null);
  if ('column' in where) {
    q = q.where(`vm.${where.column}`, '=', where.value);
  } else {
    q = q.where((eb) =>
      eb(
        'vm.native_id',
        'in',
        eb
          .selectFrom('relation')
          .select('relation.from_id')
          .where('relation.endpoint_id', '=', endpointId)
          .where('relation.kind', '=', where.relation)
          .where('relation.to_id', '=', where.to),
      ),
    );
  }
  const [rows, count] = await Promise.all([
    q
      .select([
        'vm.native_id',
        'vm.name',
        'vm.power_state as state',
        sql<string | null>`vm.guest_os`.as('detail'),
      ])
      .orderBy('vm.name')
      .limit(RELATED_LIMIT)
      .execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
  ]);
  return related('vm', endpointId, rows, Number(count?.n ?? 0));
}

async function hostList(
  db: Db,
  endpointId: number,
  where: { cluster: string } | { ids: readonly string[] },
): Promise<RelatedList> {
  if ('ids' in where && where.ids.length === 0) return { items: [], total: 0 };
  let q = db
    .selectFrom('host')
    .where('endpoint_id', '=', endpointId)
    .where('deleted_at', 'is', null);
  q =
    'cluster' in where
      ? q.where('cluster_id', '=', where.cluster)
      : q.where('native_id', 'in', [...where.ids]);
  const rows = await q
    .select(['native_id', 'name', 'connection_state as state', 'version as detail'])
    .orderBy('name')
    .limit(RELATED_LIMIT)
    .execute();
  const total =
    rows.length < RELATED_LIMIT
      ? rows.length
      : Number(
          (await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0,
        );
  return related('host', endpointId, rows, total);
}

async function datastoreList(
  db: Db,
  endpointId: number,
  ids: readonly string[],
): Promise<RelatedList> {
  if (ids.length === 0) return { items: [], total: 0 };
  const rows = await db
    .selectFrom('datastore')
    .select(['native_id', 'name', 'type as state', 'capacity_bytes', 'free_bytes'])
    .where('endpoint_id', '=', endpointId)
    .where('native_id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .limit(RELATED_LIMIT)
    .execute();
  // Formatted here, not by SQLite's printf: PostgreSQL has none.
  const shown = rows.map(({ capacity_bytes: cap, free_bytes: free, ...r }) => ({
    ...r,
    detail:
      cap !== null && cap > 0 ? `${((100 * (cap - (free ?? 0))) / cap).toFixed(1)} % used` : null,
  }));
  return related('datastore', endpointId, shown, shown.length);
}

async function networkList(
  db: Db,
  endpointId: number,
  ids: readonly string[],
): Promise<RelatedList> {
  if (ids.length === 0) return { items: [], total: 0 };
  const rows = await db
    .selectFrom('network')
    .select(['native_id', 'name', 'network_type as state', 'vlan_id as detail'])
    .where('endpoint_id', '=', endpointId)
    .where('native_id', 'in', [...ids])
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .limit(RELATED_LIMIT)
    .execute();
  return related('network', endpointId, rows, rows.length);
}

function fact(
  label: string,
  value: DetailFact['value'] | undefined,
  extra: Omit<DetailFact, 'label' | 'value'> = {},
): DetailFact {
  return { label, value: value ?? null, ...extra };
}

/** Builds the snapshot tree from flat rows (parent ids), oldest first at each level. */
export function snapshotTree(
  rows: readonly {
    native_id: string;
    name: string;
    parent_id: string | null;
    description: string | null;
    created_at: string | null;
    size_bytes: unknown;
    is_current: unknown;
    quiesced: unknown;
  }[],
): SnapshotNode[] {
  const ids = new Set(rows.map((r) => r.native_id));
  const children = new Map<string | null, typeof rows>();
  for (const r of rows) {
    const parent = r.parent_id && ids.has(r.parent_id) ? r.parent_id : null;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const build = (parent: string | null, depth: number): SnapshotNode[] =>
    [...(children.get(parent) ?? [])]
      .sort((a, b) => (a.created_at ?? '').localeCompare(b.created_at ?? ''))
      .map((r) => ({
        id: r.native_id,
        name: r.name,
        description: r.description,
        createdAt: r.created_at,
        sizeBytes: decodeField(r.size_bytes, 'int') as number | null,
        isCurrent: decodeField(r.is_current, 'bool') === true,
        quiesced: decodeField(r.quiesced, 'bool') as boolean | null,
        // A cycle in bad data must not recurse forever.
        children: depth > 64 ? [] : build(r.native_id, depth + 1),
      }));
  return build(null, 0);
}

/** `normal (1000)`: a shares level with its count, or null when neither is known. */
function shares(level: string | null, count: number | null): string | null {
  if (level === null) return count === null ? null : String(count);
  return count === null ? level : `${level} (${count})`;
}

async function vmDetails(
  db: Db,
  endpoint: { id: number; name: string },
  id: string,
): Promise<VmDetails> {
  const vm = await entityRow(db, 'vm', endpoint.id, id);
  const vf = decodeRow('vm', vm);
  const dsIds = await relationTargets(db, endpoint.id, 'vm.datastoreIds', id);
  const netIds = await relationTargets(db, endpoint.id, 'vm.networkIds', id);
  const [host, cluster, pool, datastores, networks, disks, nics, snaps, parts, changes, events] =
    await Promise.all([
      linkOf(db, 'host', endpoint.id, vm.host_id),
      linkOf(db, 'cluster', endpoint.id, vm.cluster_id),
      vm.resource_pool_id
        ? db
            .selectFrom('resource_pool')
            .select('name')
            .where('endpoint_id', '=', endpoint.id)
            .where('native_id', '=', vm.resource_pool_id)
            .executeTakeFirst()
        : Promise.resolve(undefined),
      linksOf(db, 'datastore', endpoint.id, dsIds),
      linksOf(db, 'network', endpoint.id, netIds),
      db
        .selectFrom('vm_disk as k')
        .leftJoin('datastore as d', (j) =>
          j
            .onRef('d.endpoint_id', '=', 'k.endpoint_id')
            .onRef('d.native_id', '=', 'k.datastore_id'),
        )
        .select([
          'k.native_id',
          'k.label',
          'k.capacity_bytes',
          'k.thin',
          'k.disk_mode',
          'k.file_name',
          'k.controller',
          'k.datastore_id',
          'd.name as datastore_name',
        ])
        .where('k.endpoint_id', '=', endpoint.id)
        .where('k.vm_id', '=', id)
        .where('k.deleted_at', 'is', null)
        .orderBy('k.label')
        .execute(),
      db
        .selectFrom('vm_nic as n')
        .leftJoin('network as w', (j) =>
          j.onRef('w.endpoint_id', '=', 'n.endpoint_id').onRef('w.native_id', '=', 'n.network_id'),
        )
        .select([
          'n.native_id',
          'n.label',
          'n.adapter_type',
          'n.mac_address',
          'n.connected',
          'n.network_name',
          'n.network_id',
          'n.ip_addresses',
          'w.name as network_real_name',
        ])
        .where('n.endpoint_id', '=', endpoint.id)
        .where('n.vm_id', '=', id)
        .where('n.deleted_at', 'is', null)
        .orderBy('n.label')
        .execute(),
      db
        .selectFrom('snapshot')
        .select([
          'native_id',
          'name',
          'parent_id',
          'description',
          'created_at',
          'size_bytes',
          'is_current',
          'quiesced',
        ])
        .where('endpoint_id', '=', endpoint.id)
        .where('vm_id', '=', id)
        .where('deleted_at', 'is', null)
        .execute(),
      db
        .selectFrom('guest_partition')
        .select(['native_id', 'path', 'capacity_bytes', 'free_bytes', 'filesystem_type'])
        .where('endpoint_id', '=', endpoint.id)
        .where('vm_id', '=', id)
        .where('deleted_at', 'is', null)
        .orderBy('path')
        .execute(),
      changesOf(db, endpoint.id, 'vm', id),
      eventsOf(db, endpoint.id, 'vm', id),
    ]);
  const diskEntries: DiskEntry[] = disks.map((d) => ({
    id: d.native_id,
    label: d.label ?? d.native_id,
    capacityBytes: d.capacity_bytes,
    thin: decodeRow('vmDisk', d).thin ?? null,
    diskMode: d.disk_mode,
    fileName: d.file_name,
    controller: d.controller,
    datastore:
      d.datastore_id && d.datastore_name
        ? { kind: 'datastore', endpointId: endpoint.id, id: d.datastore_id, name: d.datastore_name }
        : null,
  }));
  const nicEntries: NicEntry[] = nics.map((n) => ({
    id: n.native_id,
    label: n.label ?? n.native_id,
    adapterType: n.adapter_type,
    macAddress: n.mac_address,
    connected: decodeRow('vmNic', n).connected ?? null,
    networkName: n.network_name ?? n.network_real_name,
    network:
      n.network_id && n.network_real_name
        ? { kind: 'network', endpointId: endpoint.id, id: n.network_id, name: n.network_real_name }
        : null,
    ipAddresses: [...(decodeRow('vmNic', n).ipAddresses ?? [])],
  }));
  const partitions: PartitionEntry[] = parts.map((g) => ({
    id: g.native_id,
    path: g.path ?? g.native_id,
    capacityBytes: g.capacity_bytes,
    freeBytes: g.free_bytes,
    filesystemType: g.filesystem_type,
  }));
  const ips = [...(vf.ipAddresses ?? [])];
  return {
    ...identity('vm', endpoint, id, vm),
    powerState: vm.power_state,
    annotation: vm.annotation,
    summary: [
      fact('Power state', vm.power_state),
      fact('Connection', vm.connection_state),
      fact('Guest OS', vm.guest_os_running ?? vm.guest_os),
      fact('DNS name', vm.guest_hostname),
      fact('IP address', vm.ip_address),
      fact('Guest state', vm.guest_state),
      fact('Heartbeat', vm.heartbeat),
      fact('Tools', [vm.tools_status, vm.tools_version].filter(Boolean).join(' · ') || null),
      fact('Template', vf.isTemplate ?? null, { type: 'bool' }),
      fact('Folder', vm.folder_path),
      fact('Path', vm.vm_path_name),
      fact('UUID', vm.uuid),
      fact('Instance UUID', vm.instance_uuid),
      fact('Created', vm.created_at, { type: 'time' }),
      fact('Boot time', vm.boot_time, { type: 'time' }),
      fact('Uptime', vf.uptimeSeconds ?? null, { type: 'number', unit: 'seconds' }),
      fact('Endpoint', endpoint.name),
      fact('ID', id),
    ],
    hardware: [
      fact('vCPUs', vf.cpuCount ?? null, { type: 'number' }),
      fact('Cores per socket', vf.coresPerSocket ?? null, { type: 'number' }),
      fact('Memory', vf.memoryMb ?? null, { type: 'number', unit: 'mb' }),
      fact('Provisioned', vf.provisionedBytes ?? null, { type: 'number', unit: 'bytes' }),
      fact('Used', vf.usedBytes ?? null, { type: 'number', unit: 'bytes' }),
      fact('CPU usage', vf.cpuUsageMhz ?? null, { type: 'number', unit: 'mhz' }),
      fact('Memory usage', vf.memoryUsageMb ?? null, { type: 'number', unit: 'mb' }),
      fact('HW version', vm.hardware_version),
      fact('Firmware', vm.firmware),
      fact('Generation', vf.generation ?? null, { type: 'number' }),
      fact('Consolidation needed', vf.consolidationNeeded ?? null, { type: 'bool' }),
      fact('CPU reservation', vf.cpuReservationMhz ?? null, { type: 'number', unit: 'mhz' }),
      fact('CPU limit', vf.cpuLimitMhz ?? null, { type: 'number', unit: 'mhz' }),
      fact('CPU shares', shares(vm.cpu_shares_level, vf.cpuShares ?? null)),
      fact('CPU hot add', vf.cpuHotAdd ?? null, { type: 'bool' }),
      fact('Memory reservation', vf.memoryReservationMb ?? null, { type: 'number', unit: 'mb' }),
      fact('Memory limit', vf.memoryLimitMb ?? null, { type: 'number', unit: 'mb' }),
      fact('Memory shares', shares(vm.memory_shares_level, vf.memoryShares ?? null)),
      fact('Memory hot add', vf.memoryHotAdd ?? null, { type: 'bool' }),
      fact('Memory consumed', vf.memoryConsumedMb ?? null, { type: 'number', unit: 'mb' }),
      fact('Memory ballooned', vf.memoryBalloonedMb ?? null, { type: 'number', unit: 'mb' }),
      fact('Memory swapped', vf.memorySwappedMb ?? null, { type: 'number', unit: 'mb' }),
      fact('Changed block tracking', vf.cbtEnabled ?? null, { type: 'bool' }),
      fact('Latency sensitivity', vm.latency_sensitivity),
      fact('HA restart priority', vm.ha_restart_priority),
    ],
    host,
    cluster,
    resourcePool: pool?.name ?? null,
    datastores,
    networks,
    disks: diskEntries,
    nics: nicEntries,
    partitions,
    snapshots: snapshotTree(snaps),
    ipAddresses: ips.length > 0 ? ips : vm.ip_address ? [vm.ip_address] : [],
    tags: [...(vf.tags ?? [])],
    changes,
    events,
  };
}

async function hostDetails(
  db: Db,
  endpoint: { id: number; name: string },
  id: string,
): Promise<HostDetails> {
  const h = await entityRow(db, 'host', endpoint.id, id);
  const hf = decodeRow('host', h);
  const dsIds = await relationTargets(db, endpoint.id, 'host.datastoreIds', id);
  const netIds = await relationTargets(db, endpoint.id, 'host.networkIds', id);
  // Datastores and networks name their hosts too; either side may be the one a collector filled.
  const [dsBack, netBack] = await Promise.all(
    ['datastore.hostIds', 'network.hostIds'].map(async (kind) =>
      (
        await db
          .selectFrom('relation')
          .select('from_id')
          .where('endpoint_id', '=', endpoint.id)
          .where('kind', '=', kind)
          .where('to_id', '=', id)
          .execute()
      ).map((r) => r.from_id),
    ),
  );
  const [cluster, vms, datastores, networks, changes, events, devices] = await Promise.all([
    linkOf(db, 'cluster', endpoint.id, h.cluster_id),
    vmList(db, endpoint.id, { column: 'host_id', value: id }),
    datastoreList(db, endpoint.id, [...new Set([...dsIds, ...(dsBack ?? [])])]),
    networkList(db, endpoint.id, [...new Set([...netIds, ...(netBack ?? [])])]),
    changesOf(db, endpoint.id, 'host', id),
    eventsOf(db, endpoint.id, 'host', id),
    hostDeviceGroups(db, endpoint.id, id),
  ]);
  const mhz = hf.cpuMhz ?? null;
  const cores = hf.cpuCores ?? null;
  const cpuTotal = mhz !== null && cores !== null ? mhz * cores : null;
  return {
    ...identity('host', endpoint, id, h),
    connectionState: h.connection_state,
    powerState: h.power_state,
    inMaintenance: hf.inMaintenance ?? null,
    summary: [
      fact('Connection', h.connection_state),
      fact('Power state', h.power_state),
      fact('Maintenance', hf.inMaintenance ?? null, { type: 'bool' }),
      fact('Status', h.overall_status),
      fact('Product', [h.product_name, h.version, h.build].filter(Boolean).join(' ') || null),
      fact('Boot time', h.boot_time, { type: 'time' }),
      fact('Uptime', hf.uptimeSeconds ?? null, { type: 'number', unit: 'seconds' }),
      fact('Endpoint', endpoint.name),
      fact('ID', id),
    ],
    hardware: [
      fact('Vendor', h.vendor),
      fact('Model', h.model),
      fact('Serial number', h.serial_number),
      fact('CPU model', h.cpu_model),
      fact('Sockets', hf.cpuSockets ?? null, { type: 'number' }),
      fact('Cores', hf.cpuCores ?? null, { type: 'number' }),
      fact('Threads', hf.cpuThreads ?? null, { type: 'number' }),
      fact('Core speed', hf.cpuMhz ?? null, { type: 'number', unit: 'mhz' }),
      fact('Memory', hf.memoryBytes ?? null, { type: 'number', unit: 'bytes' }),
    ],
    configuration: hostConfiguration(hf),
    devices,
    cluster,
    cpuTotalMhz: cpuTotal,
    cpuUsedMhz: hf.cpuUsageMhz ?? null,
    memoryTotalBytes: hf.memoryBytes ?? null,
    memoryUsedBytes: hf.memoryUsageBytes ?? null,
    vms,
    datastores,
    networks,
    tags: [...(hf.tags ?? [])],
    changes,
    events,
  };
}

async function clusterDetails(
  db: Db,
  endpoint: { id: number; name: string },
  id: string,
): Promise<ClusterDetails> {
  const c = await entityRow(db, 'cluster', endpoint.id, id);
  const cf = decodeRow('cluster', c);
  const live = db
    .selectFrom('host')
    .where('endpoint_id', '=', endpoint.id)
    .where('cluster_id', '=', id)
    .where('deleted_at', 'is', null);
  const [hosts, vms, hostSums, vmSums, dsIds, changes, events] = await Promise.all([
    hostList(db, endpoint.id, { cluster: id }),
    vmList(db, endpoint.id, { column: 'cluster_id', value: id }),
    live
      .select([
        sql<number>`COALESCE(SUM(cpu_mhz * cpu_cores), 0)`.as('cpu'),
        sql<number>`COALESCE(SUM(cpu_usage_mhz), 0)`.as('cpuUsed'),
        sql<number>`COALESCE(SUM(memory_bytes), 0)`.as('mem'),
        sql<number>`COALESCE(SUM(memory_usage_bytes), 0)`.as('memUsed'),
        sql<number>`COALESCE(SUM(cpu_cores), 0)`.as('cores'),
      ])
      .executeTakeFirst(),
    db
      .selectFrom('vm')
      .select([
        sql<number>`COALESCE(SUM(cpu_count), 0)`.as('vcpus'),
        sql<number>`COALESCE(SUM(memory_mb), 0)`.as('memMb'),
      ])
      .where('endpoint_id', '=', endpoint.id)
      .where('cluster_id', '=', id)
      .where('deleted_at', 'is', null)
      .where((eb) => eb.or([eb('is_template', 'is', null), eb('is_template', '=', 0)]))
      .executeTakeFirst(),
    // The cluster's datastores: those mounted by any of its hosts.
    db
      .selectFrom('relation as r')
      .innerJoin('host as h', (j) =>
        j.onRef('h.endpoint_id', '=', 'r.endpoint_id').onRef('h.native_id', '=', 'r.to_id'),
      )
      .select('r.from_id')
      .distinct()
      .where('r.endpoint_id', '=', endpoint.id)
      .where('r.kind', '=', 'datastore.hostIds')
      .where('h.cluster_id', '=', id)
      .where('h.deleted_at', 'is', null)
      .execute(),
    changesOf(db, endpoint.id, 'cluster', id),
    eventsOf(db, endpoint.id, 'cluster', id),
  ]);
  const ds =
    dsIds.length === 0
      ? { cap: 0, free: 0 }
      : await db
          .selectFrom('datastore')
          .select([
            sql<number>`COALESCE(SUM(capacity_bytes), 0)`.as('cap'),
            sql<number>`COALESCE(SUM(free_bytes), 0)`.as('free'),
          ])
          .where('endpoint_id', '=', endpoint.id)
          .where('deleted_at', 'is', null)
          .where(
            'native_id',
            'in',
            dsIds.map((r) => r.from_id),
          )
          .executeTakeFirstOrThrow();
  const cpuTotal = Number(hostSums?.cpu ?? 0) || (cf.totalCpuMhz ?? 0);
  const memTotal = Number(hostSums?.mem ?? 0) || (cf.totalMemoryBytes ?? 0);
  return {
    ...identity('cluster', endpoint, id, c),
    summary: [
      fact('HA', cf.haEnabled ?? null, { type: 'bool' }),
      fact('DRS', cf.drsEnabled ?? null, { type: 'bool' }),
      fact('DRS behavior', c.drs_behavior),
      fact('Hosts', hosts.total, { type: 'number' }),
      fact('VMs', vms.total, { type: 'number' }),
      fact('Status', c.overall_status),
      fact('Endpoint', endpoint.name),
      fact('ID', id),
    ],
    capacity: {
      cpuTotalMhz: cpuTotal,
      cpuUsedMhz: Number(hostSums?.cpuUsed ?? 0),
      memoryTotalBytes: memTotal,
      memoryUsedBytes: Number(hostSums?.memUsed ?? 0),
      storageCapacityBytes: Number(ds.cap),
      storageFreeBytes: Number(ds.free),
      vcpus: Number(vmSums?.vcpus ?? 0),
      physicalCores: Number(hostSums?.cores ?? 0),
      vmMemoryBytes: Number(vmSums?.memMb ?? 0) * 1024 * 1024,
    },
    hosts,
    vms,
    tags: [],
    changes,
    events,
  };
}

async function datastoreDetails(
  db: Db,
  endpoint: { id: number; name: string },
  id: string,
): Promise<DatastoreDetails> {
  const d = await entityRow(db, 'datastore', endpoint.id, id);
  const df = decodeRow('datastore', d);
  const [vms, hosts, changes, events] = await Promise.all([
    vmList(db, endpoint.id, { relation: 'vm.datastoreIds', to: id }),
    hostsOf(db, endpoint.id, 'datastore', id),
    changesOf(db, endpoint.id, 'datastore', id),
    eventsOf(db, endpoint.id, 'datastore', id),
  ]);
  const cap = df.capacityBytes ?? null;
  const free = df.freeBytes ?? null;
  const used = cap !== null && free !== null ? cap - free : null;
  return {
    ...identity('datastore', endpoint, id, d),
    capacityBytes: df.capacityBytes ?? null,
    freeBytes: df.freeBytes ?? null,
    uncommittedBytes: df.uncommittedBytes ?? null,
    summary: [
      fact('Type', d.type),
      fact('Capacity', df.capacityBytes ?? null, { type: 'number', unit: 'bytes' }),
      fact('Used', used, { type: 'number', unit: 'bytes' }),
      fact('Free', df.freeBytes ?? null, { type: 'number', unit: 'bytes' }),
      fact('Provisioned', used !== null ? used + (df.uncommittedBytes ?? 0) : null, {
        type: 'number',
        unit: 'bytes',
      }),
      fact('Accessible', df.accessible ?? null, { type: 'bool' }),
      fact('Maintenance', d.maintenance_mode),
      fact('URL', d.url),
      fact('Endpoint', endpoint.name),
      fact('ID', id),
    ],
    vms,
    hosts,
    tags: [...(df.tags ?? [])],
    changes,
    events,
  };
}

/** A distributed port group's switch, by its native id (none for other networks). */
async function dvSwitchOf(
  db: Db,
  endpointId: number,
  switchId: string | null,
): Promise<
  | {
      vendor: string | null;
      version: string | null;
      max_mtu: number | null;
      discovery_protocol: string | null;
      contact: string | null;
    }
  | undefined
> {
  if (!switchId) return undefined;
  return db
    .selectFrom('dv_switch')
    .select(['vendor', 'version', 'max_mtu', 'discovery_protocol', 'contact'])
    .where('endpoint_id', '=', endpointId)
    .where('native_id', '=', switchId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

async function networkDetails(
  db: Db,
  endpoint: { id: number; name: string },
  id: string,
): Promise<NetworkDetails> {
  const n = await entityRow(db, 'network', endpoint.id, id);
  const nf = decodeRow('network', n);
  const [vms, hosts, changes, events, sw] = await Promise.all([
    vmList(db, endpoint.id, { relation: 'vm.networkIds', to: id }),
    hostsOf(db, endpoint.id, 'network', id),
    changesOf(db, endpoint.id, 'network', id),
    eventsOf(db, endpoint.id, 'network', id),
    dvSwitchOf(db, endpoint.id, n.switch_id),
  ]);
  return {
    ...identity('network', endpoint, id, n),
    summary: [
      fact('Type', n.network_type),
      fact('Switch', n.switch_name),
      fact('VLAN', n.vlan_id),
      // A distributed port group: what its switch is (the dv-switches kind lists the rest).
      ...(sw
        ? [
            fact('Switch version', [sw.vendor, sw.version].filter(Boolean).join(' ') || null),
            fact('Switch max MTU', sw.max_mtu),
            fact('Switch discovery', sw.discovery_protocol),
            fact('Switch contact', sw.contact),
          ]
        : []),
      fact('Endpoint', endpoint.name),
      fact('ID', id),
    ],
    vms,
    hosts,
    tags: [...(nf.tags ?? [])],
    changes,
    events,
  };
}

/**
 * One entity with everything related to it, for the detail panel.
 *
 * @example
 * const vm = await entityDetails(db, { kind: 'vm', endpoint: 'vc-lab', id: 'vm-42' });
 * vm.kind === 'vm' && vm.host?.name; // "esx1.example.test"
 */
export async function entityDetails(db: Db, input: EntityRequest): Promise<EntityDetails> {
  const parsed = entityRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('VALIDATION', parsed.error.issues.map((i) => i.message).join('; '));
  }
  const req = parsed.data;
  const endpoint = await resolveEndpoint(db, req);
  switch (req.kind) {
    case 'vm':
      return vmDetails(db, endpoint, req.id);
    case 'host':
      return hostDetails(db, endpoint, req.id);
    case 'cluster':
      return clusterDetails(db, endpoint, req.id);
    case 'datastore':
      return datastoreDetails(db, endpoint, req.id);
    case 'network':
      return networkDetails(db, endpoint, req.id);
  }
}

/** The detail panel, the command palette's search and the change token the renderer polls. */
export type DetailChannels = 'inventory:entity' | 'inventory:search' | 'inventory:version';

export function createDetailsCapability(db: Db): HandlerSlice<DetailChannels> {
  return {
    'inventory:entity': (input) => entityDetails(db, input),
    'inventory:search': (input) => searchInventory(db, input),
    'inventory:version': () => inventoryVersion(db),
  };
}
