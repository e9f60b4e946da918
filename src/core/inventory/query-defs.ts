import type { QueryFieldInfo, QueryFieldType, QueryKind } from '../../shared/query.js';

/**
 * The allow-list of everything a query may select, filter or sort: field name → SQL expression.
 * User input never reaches SQL except as bound values; field names are looked up here.
 */
export interface FieldDef extends QueryFieldInfo {
  readonly expr: string;
  /** What a sort by the field orders by, when not `expr` (a name's natural sort key). */
  readonly sortExpr?: string;
}

export interface KindDef {
  readonly from: string;
  /** The alias whose `deleted_at` hides soft-deleted rows; null for kinds without soft delete. */
  readonly live: string | null;
  readonly fields: readonly FieldDef[];
  readonly search: readonly string[];
  readonly defaultSort: { field: string; desc: boolean };
  /**
   * A trigram FTS5 table holding exactly the `search` columns, keyed by the main table's rowid:
   * a search of 3 characters or more is an index lookup there instead of a LIKE scan.
   */
  readonly fts?: string;
}

/** Separator for aggregated lists (ASCII unit separator: never part of a name). */
export const LIST_SEP = '\u001f';

function f(
  name: string,
  expr: string,
  type: QueryFieldType = 'text',
  label?: string,
  extra: Partial<QueryFieldInfo> = {},
): FieldDef {
  return { name, expr, type, label: label ?? humanize(name), ...extra };
}

/**
 * The name of the entity aliased `alias`, sorted as people read names (VM2 before VM10) by the
 * key the writer stores beside it (migration natural-sort).
 */
function named(name: string, alias: string, label?: string): FieldDef {
  return { ...f(name, `${alias}.name`, 'text', label), sortExpr: `${alias}.name_key` };
}

function humanize(name: string): string {
  const s = name.replace(/([A-Z])/g, ' $1').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const join = (alias: string, table: string, on: string, col: string): string =>
  `LEFT JOIN ${table} ${alias} ON ${alias}.endpoint_id = ${on}.endpoint_id AND ${alias}.native_id = ${on}.${col}`;

/** Names of related entities through the relation table, aggregated into one list cell. */
const related = (kind: string, from: string, table: string): string =>
  `(SELECT group_concat(x.name, char(31)) FROM (SELECT DISTINCT t.name AS name FROM relation r JOIN ${table} t ON t.endpoint_id = r.endpoint_id AND t.native_id = r.to_id WHERE r.endpoint_id = ${from}.endpoint_id AND r.kind = '${kind}' AND r.from_id = ${from}.native_id ORDER BY t.name) x)`;

const relatedFrom = (kind: string, to: string, table: string): string =>
  `(SELECT COUNT(DISTINCT r.from_id) FROM relation r JOIN ${table} t ON t.endpoint_id = r.endpoint_id AND t.native_id = r.from_id AND t.deleted_at IS NULL WHERE r.endpoint_id = ${to}.endpoint_id AND r.kind = '${kind}' AND r.to_id = ${to}.native_id)`;

const common = (a: string): FieldDef[] => [
  f('endpoint', 'e.name', 'text'),
  f('id', `${a}.native_id`, 'text', 'ID'),
  named('name', a),
];
const seen = (a: string): FieldDef[] => [
  f('firstSeen', `${a}.first_seen`, 'time'),
  f('lastSeen', `${a}.last_seen`, 'time'),
  f('deletedAt', `${a}.deleted_at`, 'time'),
];

const POWER = ['poweredOn', 'poweredOff', 'suspended'];

/** A table of a host's devices, joined to its endpoint and its host. */
const hostChild = (table: string, a: string): string =>
  `${table} ${a} JOIN endpoint e ON e.id = ${a}.endpoint_id ${join('h', 'host', a, 'host_id')}`;
const hostOf = (a: string): FieldDef[] => [
  f('host', 'h.name'),
  f('hostId', `${a}.host_id`, 'text', 'Host ID'),
];

export const KINDS: Record<QueryKind, KindDef> = {
  vms: {
    from: `vm v JOIN endpoint e ON e.id = v.endpoint_id ${join('dc', 'datacenter', 'v', 'datacenter_id')} ${join('rp', 'resource_pool', 'v', 'resource_pool_id')} ${join('fo', 'folder', 'v', 'folder_id')}`,
    live: 'v',
    fields: [
      ...common('v'),
      f('powerState', 'v.power_state', 'enum', 'Power state', { values: POWER }),
      f('connectionState', 'v.connection_state', 'text'),
      named('datacenter', 'dc'),
      // Copied onto the VM row by triggers (migration vm-sort-search): sorted through an index.
      f('cluster', 'v.cluster_name'),
      f('host', 'v.host_name'),
      named('resourcePool', 'rp'),
      f('folder', 'v.folder_path'),
      f('guestOs', 'v.guest_os', 'text', 'Guest OS'),
      f('guestOsRunning', 'v.guest_os_running', 'text', 'Guest OS (tools)'),
      f('guestHostname', 'v.guest_hostname', 'text', 'DNS name'),
      f('ipAddress', 'v.ip_address', 'text', 'IP address'),
      f('cpuCount', 'v.cpu_count', 'number', 'vCPUs'),
      f('memoryMb', 'v.memory_mb', 'number', 'Memory', { unit: 'mb' }),
      f('provisionedBytes', 'v.provisioned_bytes', 'number', 'Provisioned', { unit: 'bytes' }),
      f('usedBytes', 'v.used_bytes', 'number', 'Used', { unit: 'bytes' }),
      f('datastores', related('vm.datastoreIds', 'v', 'datastore'), 'list'),
      f('networks', related('vm.networkIds', 'v', 'network'), 'list'),
      f('uuid', 'v.uuid', 'text', 'UUID'),
      f('instanceUuid', 'v.instance_uuid', 'text', 'Instance UUID'),
      f('isTemplate', 'v.is_template', 'bool', 'Template'),
      f('toolsStatus', 'v.tools_status', 'text', 'Tools status'),
      f('toolsVersion', 'v.tools_version', 'text', 'Tools version'),
      f('hardwareVersion', 'v.hardware_version', 'text', 'HW version'),
      f('annotation', 'v.annotation'),
      f('cpuUsageMhz', 'v.cpu_usage_mhz', 'number', 'CPU usage', { unit: 'mhz' }),
      f('memoryUsageMb', 'v.memory_usage_mb', 'number', 'Memory usage', { unit: 'mb' }),
      f('nicCount', 'v.nic_count', 'number', 'NICs'),
      f('diskCount', 'v.disk_count', 'number', 'Disks'),
      f(
        'snapshotCount',
        '(SELECT COUNT(*) FROM snapshot s WHERE s.endpoint_id = v.endpoint_id AND s.vm_id = v.native_id AND s.deleted_at IS NULL)',
        'number',
        'Snapshots',
      ),
      f('tags', 'v.tags', 'list'),
      f('vmPathName', 'v.vm_path_name', 'text', 'Path'),
      f('guestState', 'v.guest_state', 'text', 'Guest state'),
      f('heartbeat', 'v.heartbeat'),
      f('consolidationNeeded', 'v.consolidation_needed', 'bool', 'Consolidation needed'),
      f('cbtEnabled', 'v.cbt_enabled', 'bool', 'CBT'),
      f('haRestartPriority', 'v.ha_restart_priority', 'text', 'HA restart priority'),
      f('latencySensitivity', 'v.latency_sensitivity', 'text', 'Latency sensitivity'),
      f('createdAt', 'v.created_at', 'time', 'Created'),
      f('cpuReservationMhz', 'v.cpu_reservation_mhz', 'number', 'CPU reservation', {
        unit: 'mhz',
      }),
      f('cpuLimitMhz', 'v.cpu_limit_mhz', 'number', 'CPU limit', { unit: 'mhz' }),
      f('memoryReservationMb', 'v.memory_reservation_mb', 'number', 'Memory reservation', {
        unit: 'mb',
      }),
      f('memoryLimitMb', 'v.memory_limit_mb', 'number', 'Memory limit', { unit: 'mb' }),
      f('cpuHotAdd', 'v.cpu_hot_add', 'bool', 'CPU hot add'),
      f('memoryHotAdd', 'v.memory_hot_add', 'bool', 'Memory hot add'),
      f('memoryConsumedMb', 'v.memory_consumed_mb', 'number', 'Memory consumed', { unit: 'mb' }),
      f('memoryMaxMb', 'v.memory_max_mb', 'number', 'Memory max', { unit: 'mb' }),
      ...seen('v'),
    ],
    search: [
      'v.name',
      'v.ip_address',
      'v.guest_hostname',
      'v.guest_os',
      'v.host_name',
      'v.annotation',
    ],
    fts: 'vm_fts',
    defaultSort: { field: 'name', desc: false },
  },
  hosts: {
    from: `host h JOIN endpoint e ON e.id = h.endpoint_id ${join('dc', 'datacenter', 'h', 'datacenter_id')} ${join('c', 'cluster', 'h', 'cluster_id')}`,
    live: 'h',
    fields: [
      ...common('h'),
      named('datacenter', 'dc'),
      named('cluster', 'c'),
      f('connectionState', 'h.connection_state', 'enum', 'Connection', {
        values: ['connected', 'disconnected', 'notResponding'],
      }),
      f('powerState', 'h.power_state', 'enum', 'Power state', {
        values: ['poweredOn', 'poweredOff', 'standBy', 'unknown'],
      }),
      f('inMaintenance', 'h.in_maintenance', 'bool', 'Maintenance'),
      f('vendor', 'h.vendor'),
      f('model', 'h.model'),
      f('cpuModel', 'h.cpu_model', 'text', 'CPU model'),
      f('cpuSockets', 'h.cpu_sockets', 'number', 'Sockets'),
      f('cpuCores', 'h.cpu_cores', 'number', 'Cores'),
      f('cpuMhz', 'h.cpu_mhz', 'number', 'Core speed', { unit: 'mhz' }),
      f('memoryBytes', 'h.memory_bytes', 'number', 'Memory', { unit: 'bytes' }),
      f('cpuUsageMhz', 'h.cpu_usage_mhz', 'number', 'CPU usage', { unit: 'mhz' }),
      f('memoryUsageBytes', 'h.memory_usage_bytes', 'number', 'Memory usage', { unit: 'bytes' }),
      f(
        'vmCount',
        '(SELECT COUNT(*) FROM vm x WHERE x.endpoint_id = h.endpoint_id AND x.host_id = h.native_id AND x.deleted_at IS NULL)',
        'number',
        'VMs',
      ),
      f('productName', 'h.product_name', 'text', 'Product'),
      f('version', 'h.version'),
      f('build', 'h.build'),
      f('uptimeSeconds', 'h.uptime_seconds', 'number', 'Uptime', { unit: 'seconds' }),
      f('overallStatus', 'h.overall_status', 'text', 'Status'),
      f('tags', 'h.tags', 'list'),
      ...seen('h'),
    ],
    search: ['h.name', 'h.model', 'h.vendor', 'c.name'],
    defaultSort: { field: 'name', desc: false },
  },
  clusters: {
    from: `cluster c JOIN endpoint e ON e.id = c.endpoint_id ${join('dc', 'datacenter', 'c', 'datacenter_id')}`,
    live: 'c',
    fields: [
      ...common('c'),
      named('datacenter', 'dc'),
      f('haEnabled', 'c.ha_enabled', 'bool', 'HA'),
      f('drsEnabled', 'c.drs_enabled', 'bool', 'DRS'),
      f('drsBehavior', 'c.drs_behavior', 'text', 'DRS behavior'),
      f('hostCount', 'c.host_count', 'number', 'Hosts'),
      f(
        'vmCount',
        '(SELECT COUNT(*) FROM vm x WHERE x.endpoint_id = c.endpoint_id AND x.cluster_id = c.native_id AND x.deleted_at IS NULL)',
        'number',
        'VMs',
      ),
      f('totalCpuMhz', 'c.total_cpu_mhz', 'number', 'CPU total', { unit: 'mhz' }),
      f('totalMemoryBytes', 'c.total_memory_bytes', 'number', 'Memory total', { unit: 'bytes' }),
      f('overallStatus', 'c.overall_status', 'text', 'Status'),
      ...seen('c'),
    ],
    search: ['c.name'],
    defaultSort: { field: 'name', desc: false },
  },
  datacenters: {
    from: 'datacenter d JOIN endpoint e ON e.id = d.endpoint_id',
    live: 'd',
    fields: [...common('d'), ...seen('d')],
    search: ['d.name'],
    defaultSort: { field: 'name', desc: false },
  },
  datastores: {
    from: `datastore d JOIN endpoint e ON e.id = d.endpoint_id ${join('dc', 'datacenter', 'd', 'datacenter_id')}`,
    live: 'd',
    fields: [
      ...common('d'),
      named('datacenter', 'dc'),
      f('type', 'd.type'),
      f('capacityBytes', 'd.capacity_bytes', 'number', 'Capacity', { unit: 'bytes' }),
      f('freeBytes', 'd.free_bytes', 'number', 'Free', { unit: 'bytes' }),
      f(
        'provisionedBytes',
        '(d.capacity_bytes - d.free_bytes + COALESCE(d.uncommitted_bytes, 0))',
        'number',
        'Provisioned',
        { unit: 'bytes' },
      ),
      f(
        'usedPercent',
        'CASE WHEN d.capacity_bytes > 0 THEN ROUND(100.0 * (d.capacity_bytes - d.free_bytes) / d.capacity_bytes, 1) END',
        'number',
        'Used %',
        { unit: 'percent' },
      ),
      f(
        'hostCount',
        "(SELECT COUNT(*) FROM relation r WHERE r.endpoint_id = d.endpoint_id AND r.kind = 'datastore.hostIds' AND r.from_id = d.native_id)",
        'number',
        'Hosts',
      ),
      f('vmCount', relatedFrom('vm.datastoreIds', 'd', 'vm'), 'number', 'VMs'),
      f('accessible', 'd.accessible', 'bool'),
      f('maintenanceMode', 'd.maintenance_mode', 'text', 'Maintenance'),
      f('url', 'd.url', 'text', 'URL'),
      f('tags', 'd.tags', 'list'),
      ...seen('d'),
    ],
    search: ['d.name', 'd.type'],
    defaultSort: { field: 'name', desc: false },
  },
  networks: {
    from: `network n JOIN endpoint e ON e.id = n.endpoint_id ${join('dc', 'datacenter', 'n', 'datacenter_id')}`,
    live: 'n',
    fields: [
      ...common('n'),
      named('datacenter', 'dc'),
      f('networkType', 'n.network_type', 'enum', 'Type', {
        values: ['standard', 'dvportgroup', 'dvswitch', 'opaque', 'hyperv-switch'],
      }),
      f('switchName', 'n.switch_name', 'text', 'Switch'),
      f('vlanId', 'n.vlan_id', 'text', 'VLAN'),
      f('vmCount', relatedFrom('vm.networkIds', 'n', 'vm'), 'number', 'VMs'),
      f(
        'hostCount',
        "(SELECT COUNT(*) FROM relation r WHERE r.endpoint_id = n.endpoint_id AND r.kind = 'network.hostIds' AND r.from_id = n.native_id)",
        'number',
        'Hosts',
      ),
      f('tags', 'n.tags', 'list'),
      ...seen('n'),
    ],
    search: ['n.name', 'n.switch_name', 'n.vlan_id'],
    defaultSort: { field: 'name', desc: false },
  },
  'resource-pools': {
    from: `resource_pool p JOIN endpoint e ON e.id = p.endpoint_id ${join('c', 'cluster', 'p', 'cluster_id')} ${join('pp', 'resource_pool', 'p', 'parent_id')}`,
    live: 'p',
    fields: [
      ...common('p'),
      named('cluster', 'c'),
      named('parent', 'pp'),
      f('cpuReservationMhz', 'p.cpu_reservation_mhz', 'number', 'CPU reservation', { unit: 'mhz' }),
      f('cpuLimitMhz', 'p.cpu_limit_mhz', 'number', 'CPU limit', { unit: 'mhz' }),
      f('memoryReservationMb', 'p.memory_reservation_mb', 'number', 'Memory reservation', {
        unit: 'mb',
      }),
      f('memoryLimitMb', 'p.memory_limit_mb', 'number', 'Memory limit', { unit: 'mb' }),
      ...seen('p'),
    ],
    search: ['p.name'],
    defaultSort: { field: 'name', desc: false },
  },
  folders: {
    from: 'folder fo JOIN endpoint e ON e.id = fo.endpoint_id',
    live: 'fo',
    fields: [
      ...common('fo'),
      f('folderType', 'fo.folder_type', 'text', 'Type'),
      f('path', 'fo.path'),
      ...seen('fo'),
    ],
    search: ['fo.name', 'fo.path'],
    defaultSort: { field: 'path', desc: false },
  },
  snapshots: {
    from: `snapshot s JOIN endpoint e ON e.id = s.endpoint_id ${join('v', 'vm', 's', 'vm_id')}`,
    live: 's',
    fields: [
      ...common('s'),
      named('vm', 'v', 'VM'),
      f('vmId', 's.vm_id', 'text', 'VM ID'),
      f('parentId', 's.parent_id', 'text', 'Parent'),
      f('description', 's.description'),
      f('createdAt', 's.created_at', 'time', 'Created'),
      f('sizeBytes', 's.size_bytes', 'number', 'Size', { unit: 'bytes' }),
      f('powerState', 's.power_state', 'text', 'Power state'),
      f('quiesced', 's.quiesced', 'bool'),
      f('isCurrent', 's.is_current', 'bool', 'Current'),
      ...seen('s'),
    ],
    search: ['s.name', 'v.name', 's.description'],
    defaultSort: { field: 'createdAt', desc: false },
  },
  disks: {
    from: `vm_disk k JOIN endpoint e ON e.id = k.endpoint_id ${join('v', 'vm', 'k', 'vm_id')} ${join('d', 'datastore', 'k', 'datastore_id')}`,
    live: 'k',
    fields: [
      ...common('k'),
      named('vm', 'v', 'VM'),
      f('vmId', 'k.vm_id', 'text', 'VM ID'),
      f('label', 'k.label'),
      f('capacityBytes', 'k.capacity_bytes', 'number', 'Capacity', { unit: 'bytes' }),
      f('thin', 'k.thin', 'bool'),
      f('diskMode', 'k.disk_mode', 'text', 'Mode'),
      f('fileName', 'k.file_name', 'text', 'File'),
      named('datastore', 'd'),
      f('controller', 'k.controller'),
      ...seen('k'),
    ],
    search: ['v.name', 'k.file_name', 'k.label'],
    defaultSort: { field: 'vm', desc: false },
  },
  nics: {
    from: `vm_nic n JOIN endpoint e ON e.id = n.endpoint_id ${join('v', 'vm', 'n', 'vm_id')}`,
    live: 'n',
    fields: [
      ...common('n'),
      named('vm', 'v', 'VM'),
      f('vmId', 'n.vm_id', 'text', 'VM ID'),
      f('label', 'n.label'),
      f('adapterType', 'n.adapter_type', 'text', 'Adapter'),
      f('macAddress', 'n.mac_address', 'text', 'MAC address'),
      f('network', 'n.network_name'),
      f('connected', 'n.connected', 'bool'),
      f('startConnected', 'n.start_connected', 'bool', 'Connect at power on'),
      f('ipAddresses', 'n.ip_addresses', 'list', 'IP addresses'),
      ...seen('n'),
    ],
    search: ['v.name', 'n.mac_address', 'n.network_name'],
    defaultSort: { field: 'vm', desc: false },
  },
  partitions: {
    from: `guest_partition g JOIN endpoint e ON e.id = g.endpoint_id ${join('v', 'vm', 'g', 'vm_id')}`,
    live: 'g',
    fields: [
      ...common('g'),
      f('vm', 'v.name', 'text', 'VM'),
      f('vmId', 'g.vm_id', 'text', 'VM ID'),
      f('path', 'g.path'),
      f('capacityBytes', 'g.capacity_bytes', 'number', 'Capacity', { unit: 'bytes' }),
      f('freeBytes', 'g.free_bytes', 'number', 'Free', { unit: 'bytes' }),
      f(
        'freePercent',
        'CASE WHEN g.capacity_bytes > 0 THEN ROUND(100.0 * g.free_bytes / g.capacity_bytes, 1) END',
        'number',
        'Free %',
      ),
      f('filesystemType', 'g.filesystem_type', 'text', 'File system'),
      f('diskKey', 'g.disk_key', 'number', 'Disk key'),
      ...seen('g'),
    ],
    search: ['v.name', 'g.path'],
    defaultSort: { field: 'vm', desc: false },
  },
  'host-nics': {
    from: hostChild('host_nic', 'n'),
    live: 'n',
    fields: [
      ...common('n'),
      ...hostOf('n'),
      f('device', 'n.device'),
      f('driver', 'n.driver'),
      f('speedMb', 'n.speed_mb', 'number', 'Speed (Mb/s)'),
      f('fullDuplex', 'n.full_duplex', 'bool', 'Full duplex'),
      f('macAddress', 'n.mac_address', 'text', 'MAC address'),
      f('switchName', 'n.switch_name', 'text', 'Switch'),
      f('uplinkPort', 'n.uplink_port', 'text', 'Uplink port'),
      f('pci', 'n.pci', 'text', 'PCI'),
      f('wakeOnLan', 'n.wake_on_lan', 'bool', 'Wake on LAN'),
      ...seen('n'),
    ],
    search: ['n.name', 'h.name', 'n.mac_address', 'n.switch_name'],
    defaultSort: { field: 'host', desc: false },
  },
  hbas: {
    from: hostChild('hba', 'a'),
    live: 'a',
    fields: [
      ...common('a'),
      ...hostOf('a'),
      f('device', 'a.device'),
      f('hbaType', 'a.hba_type', 'text', 'Type'),
      f('status', 'a.status'),
      f('bus', 'a.bus', 'number'),
      f('pci', 'a.pci', 'text', 'PCI'),
      f('driver', 'a.driver'),
      f('model', 'a.model'),
      f('portWwn', 'a.port_wwn', 'text', 'Port WWN'),
      f('nodeWwn', 'a.node_wwn', 'text', 'Node WWN'),
      f('iscsiName', 'a.iscsi_name', 'text', 'iSCSI name'),
      ...seen('a'),
    ],
    search: ['a.name', 'h.name', 'a.model', 'a.port_wwn'],
    defaultSort: { field: 'host', desc: false },
  },
  vmkernels: {
    from: hostChild('vmkernel', 'k'),
    live: 'k',
    fields: [
      ...common('k'),
      ...hostOf('k'),
      f('device', 'k.device'),
      f('portGroup', 'k.port_group', 'text', 'Port group'),
      f('macAddress', 'k.mac_address', 'text', 'MAC address'),
      f('dhcp', 'k.dhcp', 'bool', 'DHCP'),
      f('ipAddress', 'k.ip_address', 'text', 'IP address'),
      f('subnetMask', 'k.subnet_mask', 'text', 'Subnet mask'),
      f('ipv6Addresses', 'k.ipv6_addresses', 'list', 'IPv6 addresses'),
      f('gateway', 'k.gateway'),
      f('mtu', 'k.mtu', 'number', 'MTU'),
      f('services', 'k.services', 'list'),
      ...seen('k'),
    ],
    search: ['k.name', 'h.name', 'k.ip_address', 'k.port_group'],
    defaultSort: { field: 'host', desc: false },
  },
  'multipath-luns': {
    from: `${hostChild('multipath_lun', 'l')} ${join('d', 'datastore', 'l', 'datastore_id')}`,
    live: 'l',
    fields: [
      ...common('l'),
      ...hostOf('l'),
      f('datastore', 'd.name'),
      f('displayName', 'l.display_name', 'text', 'Display name'),
      f('policy', 'l.policy'),
      f('operationalState', 'l.operational_state', 'text', 'State'),
      f('pathCount', 'json_array_length(l.paths)', 'number', 'Paths'),
      f('vendor', 'l.vendor'),
      f('model', 'l.model'),
      f('capacityBytes', 'l.capacity_bytes', 'number', 'Capacity', { unit: 'bytes' }),
      ...seen('l'),
    ],
    search: ['l.name', 'h.name', 'l.display_name', 'd.name'],
    defaultSort: { field: 'host', desc: false },
  },
  licenses: {
    from: 'license li JOIN endpoint e ON e.id = li.endpoint_id',
    live: 'li',
    fields: [
      ...common('li'),
      f('maskedKey', 'li.masked_key', 'text', 'Key'),
      f('editionKey', 'li.edition_key', 'text', 'Edition'),
      f('costUnit', 'li.cost_unit', 'text', 'Cost unit'),
      f('total', 'li.total', 'number'),
      f('used', 'li.used', 'number'),
      f('expiresAt', 'li.expires_at', 'time', 'Expires'),
      f('features', 'li.features', 'list'),
      ...seen('li'),
    ],
    search: ['li.name', 'li.edition_key'],
    defaultSort: { field: 'name', desc: false },
  },
  'standard-switches': {
    from: hostChild('standard_switch', 'w'),
    live: 'w',
    fields: [
      ...common('w'),
      ...hostOf('w'),
      f('switchType', 'w.switch_type', 'text', 'Type'),
      f('numPorts', 'w.num_ports', 'number', 'Ports'),
      f('freePorts', 'w.free_ports', 'number', 'Free ports'),
      f('mtu', 'w.mtu', 'number', 'MTU'),
      f('uplinks', 'w.uplinks', 'list'),
      f('allowPromiscuous', 'w.allow_promiscuous', 'bool', 'Promiscuous'),
      f('macChanges', 'w.mac_changes', 'bool', 'MAC changes'),
      f('forgedTransmits', 'w.forged_transmits', 'bool', 'Forged transmits'),
      f('teamingPolicy', 'w.teaming_policy', 'text', 'Teaming'),
      ...seen('w'),
    ],
    search: ['w.name', 'h.name'],
    defaultSort: { field: 'host', desc: false },
  },
  'port-groups': {
    from: hostChild('port_group', 'g'),
    live: 'g',
    fields: [
      ...common('g'),
      ...hostOf('g'),
      f('switchName', 'g.switch_name', 'text', 'Switch'),
      f('vlanId', 'g.vlan_id', 'number', 'VLAN'),
      f('allowPromiscuous', 'g.allow_promiscuous', 'bool', 'Promiscuous'),
      f('macChanges', 'g.mac_changes', 'bool', 'MAC changes'),
      f('forgedTransmits', 'g.forged_transmits', 'bool', 'Forged transmits'),
      f('teamingPolicy', 'g.teaming_policy', 'text', 'Teaming'),
      ...seen('g'),
    ],
    search: ['g.name', 'h.name', 'g.switch_name'],
    defaultSort: { field: 'host', desc: false },
  },
  'dv-switches': {
    from: `dv_switch w JOIN endpoint e ON e.id = w.endpoint_id ${join('dc', 'datacenter', 'w', 'datacenter_id')}`,
    live: 'w',
    fields: [
      ...common('w'),
      named('datacenter', 'dc'),
      f('vendor', 'w.vendor'),
      f('version', 'w.version'),
      f('description', 'w.description'),
      f('createdAt', 'w.created_at', 'time', 'Created'),
      f('maxPorts', 'w.max_ports', 'number', 'Max ports'),
      f('numPorts', 'w.num_ports', 'number', 'Ports'),
      f(
        'hostCount',
        "(SELECT COUNT(*) FROM relation r WHERE r.endpoint_id = w.endpoint_id AND r.kind = 'dvSwitch.hostIds' AND r.from_id = w.native_id)",
        'number',
        'Hosts',
      ),
      f(
        'portGroupCount',
        '(SELECT COUNT(*) FROM network n WHERE n.endpoint_id = w.endpoint_id AND n.switch_id = w.native_id AND n.deleted_at IS NULL)',
        'number',
        'Port groups',
      ),
      f('maxMtu', 'w.max_mtu', 'number', 'Max MTU'),
      f('discoveryProtocol', 'w.discovery_protocol', 'text', 'Discovery protocol'),
      f('discoveryOperation', 'w.discovery_operation', 'text', 'Discovery operation'),
      f('contact', 'w.contact'),
      f('adminName', 'w.admin_name', 'text', 'Admin name'),
      ...seen('w'),
    ],
    search: ['w.name', 'w.description'],
    defaultSort: { field: 'name', desc: false },
  },
  'datastore-clusters': {
    from: `datastore_cluster sp JOIN endpoint e ON e.id = sp.endpoint_id ${join('dc', 'datacenter', 'sp', 'datacenter_id')}`,
    live: 'sp',
    fields: [
      ...common('sp'),
      named('datacenter', 'dc'),
      f('capacityBytes', 'sp.capacity_bytes', 'number', 'Capacity', { unit: 'bytes' }),
      f('freeBytes', 'sp.free_bytes', 'number', 'Free', { unit: 'bytes' }),
      f(
        'datastoreCount',
        '(SELECT COUNT(*) FROM datastore d WHERE d.endpoint_id = sp.endpoint_id AND d.datastore_cluster_id = sp.native_id AND d.deleted_at IS NULL)',
        'number',
        'Datastores',
      ),
      ...seen('sp'),
    ],
    search: ['sp.name'],
    defaultSort: { field: 'name', desc: false },
  },
  'datastore-files': {
    from: `datastore_file fi JOIN endpoint e ON e.id = fi.endpoint_id ${join('d', 'datastore', 'fi', 'datastore_id')}`,
    live: 'fi',
    fields: [
      ...common('fi'),
      named('datastore', 'd'),
      f('datastoreId', 'fi.datastore_id', 'text', 'Datastore ID'),
      f('path', 'fi.path'),
      f('folderPath', 'fi.folder_path', 'text', 'Folder'),
      f('fileType', 'fi.file_type', 'text', 'Type'),
      f('sizeBytes', 'fi.size_bytes', 'number', 'Size', { unit: 'bytes' }),
      f('modifiedAt', 'fi.modified_at', 'time', 'Modified'),
      ...seen('fi'),
    ],
    search: ['fi.path', 'd.name'],
    defaultSort: { field: 'path', desc: false },
  },
  changes: {
    from: 'change_log ch JOIN endpoint e ON e.id = ch.endpoint_id',
    live: null,
    fields: [
      f('id', 'ch.id', 'number', 'ID'),
      f('at', 'ch.at', 'time', 'When'),
      f('endpoint', 'e.name'),
      f('entityType', 'ch.entity_type', 'enum', 'Type', {
        values: [
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
          'datastoreFile',
        ],
      }),
      f('entityId', 'ch.entity_id', 'text', 'Entity ID'),
      f('name', 'ch.entity_name'),
      f('kind', 'ch.kind', 'enum', 'Change', { values: ['created', 'updated', 'deleted'] }),
      f('field', 'ch.field'),
      f('oldValue', 'ch.old_value', 'text', 'Old value'),
      f('newValue', 'ch.new_value', 'text', 'New value'),
      f('user', 'ch.user', 'text', 'User'),
      f('syncRunId', 'ch.sync_run_id', 'number', 'Sync run'),
    ],
    search: ['ch.entity_name', 'ch.field', 'ch.new_value', 'ch.old_value', 'ch.user'],
    defaultSort: { field: 'id', desc: true },
  },
  events: {
    from: 'event ev JOIN endpoint e ON e.id = ev.endpoint_id',
    live: null,
    fields: [
      f('id', 'ev.id', 'number', 'ID'),
      f('at', 'ev.at', 'time', 'When'),
      f('endpoint', 'e.name'),
      f('eventType', 'ev.event_type', 'text', 'Type'),
      f('user', 'ev.user'),
      f('message', 'ev.message'),
      f('entityType', 'ev.entity_type', 'text', 'Entity type'),
      f('entityId', 'ev.entity_id', 'text', 'Entity ID'),
    ],
    search: ['ev.message', 'ev.user', 'ev.event_type'],
    defaultSort: { field: 'at', desc: true },
  },
  'sync-runs': {
    from: 'sync_run sr JOIN endpoint e ON e.id = sr.endpoint_id',
    live: null,
    fields: [
      f('id', 'sr.id', 'number', 'ID'),
      f('endpoint', 'e.name'),
      f('mode', 'sr.mode', 'enum', 'Mode', { values: ['full', 'incremental'] }),
      f('status', 'sr.status', 'enum', 'Status', {
        values: ['running', 'succeeded', 'failed', 'cancelled'],
      }),
      f('startedAt', 'sr.started_at', 'time', 'Started'),
      f('endedAt', 'sr.ended_at', 'time', 'Ended'),
      f('durationMs', 'sr.duration_ms', 'number', 'Duration (ms)'),
      f('seen', 'sr.seen', 'number'),
      f('created', 'sr.created', 'number'),
      f('updated', 'sr.updated', 'number'),
      f('deleted', 'sr.deleted', 'number'),
      f('errorCode', 'sr.error_code', 'text', 'Error code'),
      f('errorMessage', 'sr.error_message', 'text', 'Error'),
    ],
    search: ['e.name', 'sr.error_message'],
    defaultSort: { field: 'id', desc: true },
  },
  alerts: {
    from: 'alert a LEFT JOIN endpoint e ON e.id = a.endpoint_id',
    live: null,
    fields: [
      f('id', 'a.id', 'number', 'ID'),
      f('rule', 'a.rule'),
      f('severity', 'a.severity', 'enum', 'Severity', { values: ['info', 'warning', 'critical'] }),
      f('state', 'a.state', 'enum', 'State', { values: ['active', 'acknowledged', 'cleared'] }),
      f('endpoint', 'e.name'),
      f('entityType', 'a.entity_type', 'text', 'Entity type'),
      f('entityId', 'a.entity_id', 'text', 'Entity ID'),
      f('name', 'a.entity_name', 'text', 'Object'),
      f('message', 'a.message'),
      f('raisedAt', 'a.raised_at', 'time', 'Raised'),
      f('clearedAt', 'a.cleared_at', 'time', 'Cleared'),
      f('ackedAt', 'a.acked_at', 'time', 'Acknowledged'),
      f('ackedBy', 'a.acked_by', 'text', 'Acknowledged by'),
    ],
    search: ['a.message', 'a.entity_name', 'a.rule'],
    defaultSort: { field: 'raisedAt', desc: true },
  },
  audit: {
    from: 'audit_log al',
    live: null,
    fields: [
      f('id', 'al.id', 'number', 'ID'),
      f('at', 'al.at', 'time', 'When'),
      f('actor', 'al.actor', 'text', 'Who'),
      f('action', 'al.action'),
      f('target', 'al.target'),
      f('details', 'al.details'),
    ],
    search: ['al.action', 'al.target', 'al.actor', 'al.details'],
    defaultSort: { field: 'id', desc: true },
  },
  endpoints: {
    from: 'endpoint e',
    live: null,
    fields: [
      f('id', 'e.id', 'number', 'ID'),
      f('name', 'e.name'),
      f('kind', 'e.kind', 'enum', 'Type', { values: ['vcenter', 'esxi', 'hyperv'] }),
      f('host', 'e.host'),
      f('port', 'e.port', 'number'),
      f('username', 'e.username'),
      f('enabled', 'e.enabled', 'bool'),
      f('pollIntervalSeconds', 'e.poll_interval_s', 'number', 'Interval (s)'),
      f('tags', 'e.tags', 'list'),
      f('credentialState', 'e.credential_state', 'text', 'Credential'),
      f('thumbprint', 'e.tls_thumbprint', 'text', 'Pinned thumbprint'),
      f(
        'lastSyncAt',
        "(SELECT MAX(sr.ended_at) FROM sync_run sr WHERE sr.endpoint_id = e.id AND sr.status = 'succeeded')",
        'time',
        'Last good sync',
      ),
      f(
        'lastStatus',
        '(SELECT sr.status FROM sync_run sr WHERE sr.endpoint_id = e.id ORDER BY sr.id DESC LIMIT 1)',
        'text',
        'Last result',
      ),
      f('notes', 'e.notes'),
      f('createdAt', 'e.created_at', 'time', 'Created'),
      f('updatedAt', 'e.updated_at', 'time', 'Updated'),
    ],
    search: ['e.name', 'e.host', 'e.notes'],
    defaultSort: { field: 'name', desc: false },
  },
};

/*
 * The same kinds on PostgreSQL. The definitions above are SQLite's SQL; only a few of their
 * expressions use SQLite's own functions, and each has one PostgreSQL spelling, rewritten here
 * once at load. A definition using a SQLite function not listed fails the check below at start
 * (and query-defs.test), instead of failing a user's query later.
 */
const PG_REWRITES: readonly (readonly [RegExp, string])[] = [
  // Related names, aggregated in name order (the subquery's ORDER BY: explicit on PostgreSQL).
  [/group_concat\((\w+)\.name, char\(31\)\)/g, 'string_agg($1.name, chr(31) ORDER BY $1.name)'],
  [/json_array_length\(([\w.]+)\)/g, 'jsonb_array_length($1::jsonb)'],
  [/\bchar\(31\)/g, 'chr(31)'],
];

/** SQLite-only spellings that must not reach PostgreSQL. */
const SQLITE_ONLY =
  /\b(group_concat|json_\w+|typeof|char|ifnull|iif|instr|substr|printf|strftime|julianday|datetime)\s*\(|\browid\b|COLLATE\s+NOCASE/i;

/** A SQLite expression of the definitions above in PostgreSQL's words. */
export function toPostgresSql(text: string): string {
  let out = text;
  for (const [from, to] of PG_REWRITES) out = out.replace(from, to);
  const left = SQLITE_ONLY.exec(out);
  if (left)
    throw new Error(`query-defs: no PostgreSQL spelling for "${left[0]}" in ${out.slice(0, 80)}`);
  return out;
}

function kindOnPostgres(def: KindDef): KindDef {
  const { fts: _fts, ...rest } = def;
  return {
    ...rest,
    from: toPostgresSql(def.from),
    fields: def.fields.map((x) => ({
      ...x,
      expr: toPostgresSql(x.expr),
      ...(x.sortExpr !== undefined ? { sortExpr: toPostgresSql(x.sortExpr) } : {}),
    })),
    search: def.search.map(toPostgresSql),
  };
}

/** The kinds for a PostgreSQL store (the FTS5 table is SQLite's: see VM_SEARCH_TEXT). */
export const PG_KINDS = Object.fromEntries(
  Object.entries(KINDS).map(([k, def]) => [k, kindOnPostgres(def)]),
) as Record<QueryKind, KindDef>;

/**
 * The VMs' search text as the pg_trgm GIN index vm_trgm (PostgreSQL migration vm-sort-search)
 * indexes it: the FTS5 table's columns joined by a character no search holds. A query must spell
 * the expression exactly so for the index to serve it.
 */
export const VM_SEARCH_TEXT =
  "(coalesce(v.name, '') || chr(1) || coalesce(v.ip_address, '') || chr(1) || coalesce(v.guest_hostname, '') || chr(1) || coalesce(v.guest_os, '') || chr(1) || coalesce(v.host_name, '') || chr(1) || coalesce(v.annotation, ''))";
