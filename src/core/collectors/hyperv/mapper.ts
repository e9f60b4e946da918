/**
 * Maps the validated script documents to the normalized model.
 *
 * Hyper-V has no datacenter: each endpoint gets one synthesized datacenter, and a failover
 * cluster becomes a cluster. Virtual switches are per host in Hyper-V but, as vCenter does with
 * standard port groups, switches of one name on several nodes are one network (VMs move between
 * nodes and keep their switch by name); a VLAN that NICs use on a switch is a network of its own,
 * like a port group. Cluster Shared Volumes, local volumes and SMB shares holding VM files are
 * datastores.
 */
import type {
  CollectedEntity,
  EntityOf,
  TypedFields,
  UsageSample,
} from '../../../shared/entities.js';
import { withFields } from '../../../shared/entities.js';
import type { EndpointDoc, NodeDoc, NodesDoc, VmDoc } from './schema.js';

/** The id of the one datacenter synthesized per Hyper-V endpoint. */
export const DATACENTER_ID = 'datacenter';

const MIB = 1024 * 1024;

/** Hyper-V VMState names → the model's power states; any other state is kept as Hyper-V names it. */
export function vmPowerState(state: string): string {
  switch (state) {
    case 'Running':
      return 'poweredOn';
    case 'Off':
      return 'poweredOff';
    case 'Saved':
    case 'Paused':
      return 'suspended';
    default:
      return state;
  }
}

/** "00155D010203" → "00:15:5d:01:02:03"; a dynamic MAC not yet assigned (all zeros) → null. */
export function formatMac(mac: string | null): string | null {
  if (!mac) return null;
  const hex = mac.replace(/[^0-9a-f]/gi, '').toLowerCase();
  if (hex.length !== 12 || /^0+$/.test(hex)) return null;
  return hex.match(/../g)?.join(':') ?? null;
}

/** The VHD type as the model's disk mode and thin flag (pass-through disks have no VHD). */
export function diskKind(
  vhdType: string | null,
  passThrough: boolean,
): { diskMode: string | null; thin: boolean | null } {
  if (passThrough) return { diskMode: 'passthrough', thin: null };
  if (vhdType === null) return { diskMode: null, thin: null };
  const t = vhdType.toLowerCase();
  return {
    diskMode: t,
    thin: t === 'dynamic' || t === 'differencing' ? true : t === 'fixed' ? false : null,
  };
}

/** The VLAN a NIC is on, as vSphere writes port group VLANs ("20", "trunk:1-100", "pvlan:..."). */
export function vlanOf(v: VmDoc['NetworkAdapters'][number]['Vlan']): string | null {
  if (!v) return null;
  switch (v.OperationMode) {
    case 'Access':
      return v.AccessVlanId && v.AccessVlanId > 0 ? String(v.AccessVlanId) : null;
    case 'Trunk':
      return `trunk:${v.AllowedVlanIdListString ?? ''}${v.NativeVlanId ? ` native ${v.NativeVlanId}` : ''}`;
    case 'Private':
      return `pvlan:${v.AccessVlanId ?? ''}`;
    default:
      return null;
  }
}

/** Host ids are node names, lower case ("hv01"): what cluster nodes, VMs and hosts agree on. */
export function hostIdOf(name: string): string {
  return (name.split('.')[0] ?? name).toLowerCase();
}

function guid(s: string): string {
  return s.replace(/^\{|\}$/g, '').toLowerCase();
}

function sum(values: readonly (number | null | undefined)[]): number | null {
  let total = 0;
  let any = false;
  for (const v of values) {
    if (typeof v === 'number') {
      total += v;
      any = true;
    }
  }
  return any ? total : null;
}

function sorted(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}

interface Store {
  readonly id: string;
  /** Lower-case path prefix ending in a backslash. */
  readonly prefix: string;
}

function dirPrefix(path: string): string {
  const p = path.replace(/\//g, '\\').toLowerCase();
  return p.endsWith('\\') ? p : `${p}\\`;
}

/** The datastore whose path is the longest prefix of `path` (a CSV wins over C:\). */
function storeOf(stores: readonly Store[], path: string | null | undefined): string | null {
  if (!path) return null;
  const p = dirPrefix(path);
  let best: Store | null = null;
  for (const s of stores) {
    if (p.startsWith(s.prefix) && (!best || s.prefix.length > best.prefix.length)) best = s;
  }
  return best?.id ?? null;
}

/** "\\server\share\dir\x.vhdx" → "\\server\share". */
function shareOf(path: string | null | undefined): string | null {
  if (!path) return null;
  const m = /^\\\\([^\\]+)\\([^\\]+)/.exec(path.replace(/\//g, '\\'));
  return m ? `\\\\${m[1] ?? ''}\\${m[2] ?? ''}` : null;
}

function vmFilePaths(vm: VmDoc): string[] {
  const out: string[] = [];
  if (vm.ConfigurationLocation) out.push(vm.ConfigurationLocation);
  else if (vm.Path) out.push(vm.Path);
  for (const d of vm.HardDrives) if (d.Path && d.DiskNumber == null) out.push(d.Path);
  return out;
}

const NODE_STATUS: Readonly<Record<string, string>> = {
  Up: 'green',
  Paused: 'yellow',
  Down: 'red',
};

export interface MapInput {
  /** The endpoint's display name: the synthesized datacenter's name. */
  readonly endpointName: string;
  readonly endpoint: EndpointDoc;
  readonly nodes: NodesDoc;
}

export interface MapOutput {
  readonly entities: CollectedEntity[];
  readonly samples: UsageSample[];
  /** VM ids reported by more than one node (a live migration in flight); the first one is kept. */
  readonly duplicateVmIds: string[];
}

/**
 * Maps one collection. Pure: the same documents always give the same entities, in the same order.
 *
 * @example
 * const { entities } = mapInventory({ endpointName: 'hv-prod', endpoint, nodes });
 */
export function mapInventory(input: MapInput): MapOutput {
  const { endpoint, nodes } = input;
  const cluster = endpoint.Cluster;
  const clusterId = cluster ? guid(cluster.Id) : null;
  const entities: CollectedEntity[] = [];
  const samples: UsageSample[] = [];
  const firstAt = nodes.Nodes[0]?.CollectedAt ?? new Date(0).toISOString();

  entities.push({ type: 'datacenter', id: DATACENTER_ID, name: input.endpointName, fields: {} });

  // Datastores: CSVs (cluster-wide) first, then per-node volumes that hold VM files, then shares.
  const csvStores: Store[] = [];
  const datastores = new Map<string, EntityOf<'datastore'>>();
  const nodeIds = cluster
    ? sorted(cluster.Nodes.map((n) => hostIdOf(n.Name)))
    : sorted(nodes.Nodes.map((n) => hostIdOf(n.ComputerName)));
  for (const csv of cluster?.SharedVolumes ?? []) {
    const info = csv.SharedVolumeInfo[0];
    const id = guid(csv.Id);
    if (info) csvStores.push({ id, prefix: dirPrefix(info.FriendlyVolumeName) });
    const cap = info?.Partition.Size ?? null;
    const free = info?.Partition.FreeSpace ?? null;
    datastores.set(id, {
      type: 'datastore',
      id,
      name: csv.Name,
      fields: {
        datacenterId: DATACENTER_ID,
        type: 'CSV',
        url: info?.FriendlyVolumeName ?? null,
        capacityBytes: cap,
        freeBytes: free,
        uncommittedBytes: null,
        accessible: csv.State === 'Online',
        maintenanceMode: info?.RedirectedAccess ? 'redirectedAccess' : 'normal',
        hostIds: nodeIds,
        tags: [],
      },
    });
    if (cap !== null) {
      samples.push({
        entityType: 'datastore',
        entityId: id,
        at: firstAt,
        storageCapacityBytes: cap,
        storageUsedBytes: free !== null ? cap - free : null,
      });
    }
  }

  const storesByHost = new Map<string, Store[]>();
  const usedLocal = new Set<string>();
  const localVolume = new Map<string, { node: NodeDoc; v: NodeDoc['Volumes'][number] }>();
  for (const node of nodes.Nodes) {
    const hostId = hostIdOf(node.ComputerName);
    const stores: Store[] = [...csvStores];
    for (const v of node.Volumes) {
      const id = guid(/\{([0-9a-f-]+)\}/i.exec(v.DeviceID)?.[1] ?? `${hostId}-${v.Name}`);
      stores.push({ id, prefix: dirPrefix(v.Name) });
      localVolume.set(id, { node, v });
    }
    storesByHost.set(hostId, stores);
    const paths = [node.Host.VirtualMachinePath, node.Host.VirtualHardDiskPath];
    for (const vm of node.VMs) paths.push(...vmFilePaths(vm));
    for (const p of paths) {
      const id = storeOf(stores, p);
      if (id && localVolume.has(id)) usedLocal.add(id);
    }
  }
  for (const id of [...usedLocal].sort()) {
    const lv = localVolume.get(id);
    if (!lv) continue;
    const { node, v } = lv;
    const drive = v.Name.replace(/\\$/, '');
    datastores.set(id, {
      type: 'datastore',
      id,
      name: `${node.ComputerName} ${drive}${v.Label ? ` (${v.Label})` : ''}`,
      fields: {
        datacenterId: DATACENTER_ID,
        type: v.FileSystem,
        url: v.Name,
        capacityBytes: v.Capacity,
        freeBytes: v.FreeSpace,
        uncommittedBytes: null,
        accessible: true,
        maintenanceMode: 'normal',
        hostIds: [hostIdOf(node.ComputerName)],
        tags: [],
      },
    });
    if (v.Capacity !== null) {
      samples.push({
        entityType: 'datastore',
        entityId: id,
        at: node.CollectedAt ?? firstAt,
        storageCapacityBytes: v.Capacity,
        storageUsedBytes: v.FreeSpace !== null ? v.Capacity - v.FreeSpace : null,
      });
    }
  }

  const smbHosts = new Map<string, Set<string>>();
  /** The datastore of a path on a host: a volume, a CSV, or an SMB share (created on first use). */
  const datastoreFor = (hostId: string, path: string | null | undefined): string | null => {
    const hit = storeOf(storesByHost.get(hostId) ?? csvStores, path);
    if (hit) return hit;
    const share = shareOf(path);
    if (!share) return null;
    const id = `smb:${share.toLowerCase()}`;
    const hosts = smbHosts.get(id) ?? new Set<string>();
    hosts.add(hostId);
    smbHosts.set(id, hosts);
    if (!datastores.has(id)) {
      datastores.set(id, {
        type: 'datastore',
        id,
        name: share,
        fields: {
          datacenterId: DATACENTER_ID,
          type: 'SMB',
          url: share,
          capacityBytes: null,
          freeBytes: null,
          uncommittedBytes: null,
          accessible: true,
          maintenanceMode: 'normal',
          hostIds: [],
          tags: [],
        },
      });
    }
    return id;
  };

  // Networks: one per switch name, one per (switch, VLAN) in use.
  interface Net {
    name: string;
    switchName: string;
    switchIds: Map<string, string>;
    vlanId: string | null;
    hosts: Set<string>;
    tags: Set<string>;
  }
  const nets = new Map<string, Net>();
  const switchNetId = (name: string): string => `vmswitch:${name}`;
  for (const node of nodes.Nodes) {
    const hostId = hostIdOf(node.ComputerName);
    for (const sw of node.Switches) {
      const id = switchNetId(sw.Name);
      const net = nets.get(id) ?? {
        name: sw.Name,
        switchName: sw.Name,
        switchIds: new Map<string, string>(),
        vlanId: null,
        hosts: new Set<string>(),
        tags: new Set<string>(),
      };
      net.switchIds.set(hostId, guid(sw.Id));
      net.hosts.add(hostId);
      net.tags.add(`SwitchType/${sw.SwitchType}`);
      if (sw.NetAdapterInterfaceDescription)
        net.tags.add(`Adapter/${sw.NetAdapterInterfaceDescription}`);
      nets.set(id, net);
    }
  }
  const nicNetwork = (
    hostId: string,
    nic: VmDoc['NetworkAdapters'][number],
  ): { id: string | null; name: string | null } => {
    if (!nic.SwitchName) return { id: null, name: null };
    const base = switchNetId(nic.SwitchName);
    const vlan = vlanOf(nic.Vlan);
    if (vlan === null) return { id: base, name: nic.SwitchName };
    const id = `${base}/vlan:${vlan}`;
    const name = /^\d+$/.test(vlan)
      ? `${nic.SwitchName} VLAN ${vlan}`
      : `${nic.SwitchName} ${vlan}`;
    const net = nets.get(id) ?? {
      name,
      switchName: nic.SwitchName,
      switchIds: new Map<string, string>(),
      vlanId: vlan,
      hosts: new Set<string>(),
      tags: new Set<string>(),
    };
    net.hosts.add(hostId);
    const sw = nets.get(base);
    const swId = sw?.switchIds.get(hostId) ?? (nic.SwitchId ? guid(nic.SwitchId) : null);
    if (swId) net.switchIds.set(hostId, swId);
    for (const t of sw?.tags ?? []) net.tags.add(t);
    nets.set(id, net);
    return { id, name };
  };

  // VMs (mapped first, so that hosts can list the VLAN networks their VMs use).
  const vmEntities: CollectedEntity[] = [];
  const seenVms = new Set<string>();
  const duplicateVmIds: string[] = [];
  const hostNetworks = new Map<string, Set<string>>();
  const hostStores = new Map<string, Set<string>>();
  for (const node of nodes.Nodes) {
    const hostId = hostIdOf(node.ComputerName);
    const capacityMhz = hostCapacityMhz(node);
    const netsHere = hostNetworks.get(hostId) ?? new Set<string>();
    hostNetworks.set(hostId, netsHere);
    const storesHere = hostStores.get(hostId) ?? new Set<string>();
    hostStores.set(hostId, storesHere);
    for (const vm of node.VMs) {
      const vmId = guid(vm.Id);
      if (seenVms.has(vmId)) {
        duplicateVmIds.push(vmId);
        continue;
      }
      seenVms.add(vmId);
      const mapped = mapVm(vm, vmId, hostId, clusterId, capacityMhz, datastoreFor, nicNetwork);
      for (const id of mapped.networkIds) netsHere.add(id);
      for (const id of mapped.datastoreIds) storesHere.add(id);
      vmEntities.push(...mapped.entities);
      samples.push({
        entityType: 'vm',
        entityId: vmId,
        at: node.CollectedAt ?? firstAt,
        cpuMhz: mapped.cpuUsageMhz,
        memoryBytes: vm.MemoryAssigned,
        storageUsedBytes: mapped.usedBytes,
      });
    }
  }

  for (const [id, hosts] of smbHosts) {
    const ds = datastores.get(id);
    if (ds) datastores.set(id, withFields(ds, { hostIds: sorted(hosts) }));
  }

  // Hosts: every collected node, plus cluster nodes that were not collected (down).
  const hostEntities: EntityOf<'host'>[] = [];
  const collected = new Map(nodes.Nodes.map((n) => [hostIdOf(n.ComputerName), n]));
  const nodeState = new Map(cluster?.Nodes.map((n) => [hostIdOf(n.Name), n.State]) ?? []);
  for (const node of nodes.Nodes) {
    const hostId = hostIdOf(node.ComputerName);
    const host = mapHost(node, hostId, clusterId, nodeState.get(hostId) ?? null);
    const dsIds = new Set<string>(hostStores.get(hostId));
    for (const [id, ds] of datastores) {
      if (ds.fields.hostIds?.includes(hostId)) dsIds.add(id);
    }
    const netIds = new Set<string>(hostNetworks.get(hostId));
    for (const [id, net] of nets) if (net.hosts.has(hostId) && net.vlanId === null) netIds.add(id);
    hostEntities.push(
      withFields(host.entity, { datastoreIds: sorted(dsIds), networkIds: sorted(netIds) }),
    );
    entities.push(...hostAdapters(node, hostId));
    samples.push({
      entityType: 'host',
      entityId: hostId,
      at: node.CollectedAt ?? firstAt,
      cpuMhz: host.cpuUsageMhz,
      memoryBytes: host.memoryUsageBytes,
    });
  }
  for (const n of cluster?.Nodes ?? []) {
    const hostId = hostIdOf(n.Name);
    if (collected.has(hostId)) continue;
    const fqdn = cluster?.Domain ? `${n.Name}.${cluster.Domain}` : n.Name;
    hostEntities.push({
      type: 'host',
      id: hostId,
      name: fqdn.toLowerCase(),
      fields: {
        datacenterId: DATACENTER_ID,
        clusterId,
        connectionState: 'notResponding',
        powerState: 'unknown',
        inMaintenance: n.State === 'Paused',
        overallStatus: NODE_STATUS[n.State] ?? 'gray',
        datastoreIds: sorted(csvStores.map((s) => s.id)),
        networkIds: [],
        tags: [],
      },
    });
  }

  if (cluster && clusterId) {
    const collectedHosts = hostEntities.filter((h) => h.fields.connectionState === 'connected');
    const up = cluster.Nodes.filter((n) => n.State === 'Up').map((n) => hostIdOf(n.Name));
    const upHosts = hostEntities.filter((h) => up.includes(h.id));
    const cpu = (h: EntityOf<'host'>): number | null => {
      const { cpuCores, cpuMhz } = h.fields;
      return typeof cpuCores === 'number' && typeof cpuMhz === 'number' ? cpuCores * cpuMhz : null;
    };
    const mem = (h: EntityOf<'host'>): number | null => h.fields.memoryBytes ?? null;
    const mode = cluster.AutoBalancerMode ?? null;
    entities.push({
      type: 'cluster',
      id: clusterId,
      name: cluster.Name,
      fields: {
        datacenterId: DATACENTER_ID,
        haEnabled: true,
        // Node fairness (AutoBalancerMode) is Hyper-V's nearest thing to DRS.
        drsEnabled: mode === null ? null : mode > 0,
        drsBehavior:
          mode === null ? null : (['disabled', 'onNodeJoin', 'always'][mode] ?? String(mode)),
        hostCount: cluster.Nodes.length,
        effectiveHostCount: up.length,
        totalCpuMhz: sum(collectedHosts.map(cpu)),
        totalMemoryBytes: sum(collectedHosts.map(mem)),
        effectiveCpuMhz: sum(upHosts.map(cpu)),
        effectiveMemoryBytes: sum(upHosts.map(mem)),
        overallStatus:
          up.length === cluster.Nodes.length ? 'green' : up.length === 0 ? 'red' : 'yellow',
      },
    });
  }
  entities.push(...hostEntities.sort((a, b) => a.id.localeCompare(b.id)));
  entities.push(...[...datastores.values()].sort((a, b) => a.id.localeCompare(b.id)));
  for (const [id, net] of [...nets].sort(([a], [b]) => a.localeCompare(b))) {
    const firstHost = sorted(net.switchIds.keys())[0];
    entities.push({
      type: 'network',
      id,
      name: net.name,
      fields: {
        datacenterId: DATACENTER_ID,
        networkType: 'hyperv-switch',
        switchName: net.switchName,
        switchId: firstHost ? (net.switchIds.get(firstHost) ?? null) : null,
        vlanId: net.vlanId,
        hostIds: sorted(net.hosts),
        tags: sorted(net.tags),
      },
    });
  }
  entities.push(...vmEntities);
  return { entities, samples, duplicateVmIds };
}

function hostCapacityMhz(node: NodeDoc): number | null {
  const cores = sum(node.Processors.map((p) => p.NumberOfCores));
  const mhz = node.Processors[0]?.MaxClockSpeed ?? null;
  return cores !== null && mhz !== null ? cores * mhz : null;
}

function mapHost(
  node: NodeDoc,
  hostId: string,
  clusterId: string | null,
  clusterState: string | null,
): { entity: EntityOf<'host'>; cpuUsageMhz: number | null; memoryUsageBytes: number | null } {
  const os = node.OperatingSystem;
  const cs = node.ComputerSystem;
  const procs = node.Processors;
  const loads = procs.map((p) => p.LoadPercentage).filter((l): l is number => l !== null);
  const capacity = hostCapacityMhz(node);
  const cpuUsageMhz =
    capacity !== null && loads.length > 0
      ? Math.round((capacity * loads.reduce((a, b) => a + b, 0)) / loads.length / 100)
      : null;
  const memoryUsageBytes =
    os.TotalVisibleMemorySize !== null && os.FreePhysicalMemory !== null
      ? (os.TotalVisibleMemorySize - os.FreePhysicalMemory) * 1024
      : null;
  const boot = os.LastBootUpTime;
  const at = node.CollectedAt;
  const tags: string[] = [];
  if (node.Host.HyperVVersion) tags.push(`Hyper-V/${node.Host.HyperVVersion}`);
  if (node.Host.VirtualMachinePath) tags.push(`VirtualMachinePath/${node.Host.VirtualMachinePath}`);
  if (node.Host.VirtualHardDiskPath)
    tags.push(`VirtualHardDiskPath/${node.Host.VirtualHardDiskPath}`);
  const fields: TypedFields<'host'> = {
    datacenterId: DATACENTER_ID,
    clusterId,
    connectionState: 'connected',
    powerState: 'poweredOn',
    inMaintenance: clusterState === 'Paused',
    vendor: cs.Manufacturer,
    model: cs.Model,
    serialNumber: node.Bios?.SerialNumber?.trim() || null,
    cpuModel: procs[0]?.Name?.trim() ?? null,
    cpuSockets: cs.NumberOfProcessors ?? (procs.length || null),
    cpuCores: sum(procs.map((p) => p.NumberOfCores)),
    cpuThreads:
      node.Host.LogicalProcessorCount ?? sum(procs.map((p) => p.NumberOfLogicalProcessors)),
    cpuMhz: procs[0]?.MaxClockSpeed ?? null,
    memoryBytes: node.Host.MemoryCapacity ?? cs.TotalPhysicalMemory,
    cpuUsageMhz,
    memoryUsageBytes,
    productName: os.Caption?.trim() ?? null,
    version: os.Version,
    build: os.BuildNumber,
    bootTime: boot,
    uptimeSeconds:
      boot && at ? Math.max(0, Math.floor((Date.parse(at) - Date.parse(boot)) / 1000)) : null,
    overallStatus: clusterState ? (NODE_STATUS[clusterState] ?? 'gray') : 'green',
    tags,
  };
  const fqdn = node.Host.FullyQualifiedDomainName ?? node.Host.ComputerName;
  return {
    entity: { type: 'host', id: hostId, name: fqdn.toLowerCase(), fields },
    cpuUsageMhz,
    memoryUsageBytes,
  };
}

/** An IPv4 prefix length as a dotted mask (24 → 255.255.255.0). */
function maskOf(prefix: number | null): string | null {
  if (prefix === null || prefix < 0 || prefix > 32) return null;
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 0xff).join('.');
}

/**
 * A node's physical NICs (RVTools' vNIC) and its management OS's virtual adapters, the Hyper-V
 * counterpart of VMkernel adapters (vSC_VMK). Only what Windows reports: no PCI address, no
 * gateway, no services.
 */
function hostAdapters(node: NodeDoc, hostId: string): CollectedEntity[] {
  const out: CollectedEntity[] = [];
  // An external switch names the adapter it is bound to by its interface description.
  const switchOf = new Map<string, string>();
  for (const sw of node.Switches)
    if (sw.NetAdapterInterfaceDescription) switchOf.set(sw.NetAdapterInterfaceDescription, sw.Name);
  for (const a of node.NetAdapters) {
    out.push({
      type: 'hostNic',
      id: `${hostId}/pnic-${a.Name}`,
      name: a.Name,
      fields: {
        hostId,
        device: a.Name,
        driver: a.DriverDescription ?? a.InterfaceDescription,
        speedMb:
          a.Speed !== null && a.Speed !== undefined && a.Status === 'Up'
            ? Math.round(a.Speed / 1e6)
            : null,
        fullDuplex: a.FullDuplex ?? null,
        macAddress: formatMac(a.MacAddress),
        switchName: a.InterfaceDescription ? (switchOf.get(a.InterfaceDescription) ?? null) : null,
        uplinkPort: null,
        pci: null,
        wakeOnLan: null,
      },
    });
  }
  for (const v of node.HostVnics) {
    const v4 = v.IPAddresses.filter((ip) => !ip.IPAddress.includes(':'));
    const v6 = v.IPAddresses.filter((ip) => ip.IPAddress.includes(':'));
    const origin = v4[0]?.PrefixOrigin ?? null;
    out.push({
      type: 'vmkernel',
      id: `${hostId}/vmk-${v.Name}`,
      name: `vEthernet (${v.Name})`,
      fields: {
        hostId,
        device: `vEthernet (${v.Name})`,
        portGroup: v.SwitchName,
        networkId: null,
        macAddress: formatMac(v.MacAddress),
        dhcp: origin === null ? null : origin === 'Dhcp',
        ipAddress: v4[0]?.IPAddress ?? null,
        subnetMask: maskOf(v4[0]?.PrefixLength ?? null),
        ipv6Addresses: v6.map((ip) => ip.IPAddress),
        gateway: null,
        ipv6Gateway: null,
        mtu: v.MtuSize ?? null,
        services: [],
      },
    });
  }
  return out;
}

function firstIp(ips: readonly string[]): string | null {
  const v4 = ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ip.startsWith('169.254.'));
  return v4 ?? ips[0] ?? null;
}

function mbOf(bytes: number | null): number | null {
  return bytes === null ? null : Math.round(bytes / MIB);
}

function mapVm(
  vm: VmDoc,
  vmId: string,
  hostId: string,
  clusterId: string | null,
  hostCapacityMhz: number | null,
  datastoreFor: (hostId: string, path: string | null | undefined) => string | null,
  nicNetwork: (
    hostId: string,
    nic: VmDoc['NetworkAdapters'][number],
  ) => { id: string | null; name: string | null },
): {
  entities: CollectedEntity[];
  networkIds: string[];
  datastoreIds: string[];
  cpuUsageMhz: number | null;
  usedBytes: number | null;
} {
  const children: CollectedEntity[] = [];
  const datastoreIds = new Set<string>();
  const configStore = datastoreFor(hostId, vm.ConfigurationLocation ?? vm.Path);
  if (configStore) datastoreIds.add(configStore);
  let provisioned = 0;
  let used = 0;
  let uncommitted = 0;
  let sized = false;
  for (const d of vm.HardDrives) {
    const passThrough = d.DiskNumber !== null && d.DiskNumber !== undefined;
    const kind = diskKind(d.Vhd?.VhdType ?? null, passThrough);
    const ds = passThrough ? null : datastoreFor(hostId, d.Path);
    if (ds) datastoreIds.add(ds);
    if (d.Vhd) {
      sized = true;
      provisioned += d.Vhd.Size;
      used += d.Vhd.FileSize ?? 0;
      if (kind.thin) uncommitted += Math.max(0, d.Vhd.Size - (d.Vhd.FileSize ?? 0));
    }
    const ctl = `${d.ControllerType.toLowerCase()}${d.ControllerNumber}`;
    children.push({
      type: 'vmDisk',
      id: `${vmId}/disk-${ctl}-${d.ControllerLocation}`,
      name: d.Name ?? `${d.ControllerType} ${d.ControllerNumber}:${d.ControllerLocation}`,
      fields: {
        vmId,
        label: d.Name,
        capacityBytes: d.Vhd?.Size ?? null,
        thin: kind.thin,
        diskMode: kind.diskMode,
        fileName: d.Path,
        datastoreId: ds,
        controller: ctl,
        unitNumber: d.ControllerLocation,
        // A pass-through disk is Hyper-V's raw device mapping.
        raw: passThrough,
      },
    });
  }
  const networkIds = new Set<string>();
  const allIps: string[] = [];
  vm.NetworkAdapters.forEach((nic, i) => {
    const net = nicNetwork(hostId, nic);
    if (net.id) networkIds.add(net.id);
    for (const ip of nic.IPAddresses) if (!allIps.includes(ip)) allIps.push(ip);
    const nicGuid = nic.Id ? /([0-9a-f-]{36})\}?$/i.exec(nic.Id)?.[1] : undefined;
    children.push({
      type: 'vmNic',
      id: `${vmId}/nic-${nicGuid ? nicGuid.toLowerCase() : String(i)}`,
      name: nic.Name,
      fields: {
        vmId,
        label: nic.Name,
        adapterType: nic.IsLegacy ? 'legacy' : 'synthetic',
        macAddress: formatMac(nic.MacAddress),
        networkId: net.id,
        networkName: net.name,
        connected: nic.Connected,
        startConnected: null,
        ipAddresses: nic.IPAddresses,
      },
    });
  });
  const current = vm.ParentCheckpointId ? guid(vm.ParentCheckpointId) : null;
  for (const c of vm.Checkpoints) {
    const id = guid(c.Id);
    children.push({
      type: 'snapshot',
      id,
      name: c.Name,
      fields: {
        vmId,
        parentId: c.ParentCheckpointId ? guid(c.ParentCheckpointId) : null,
        description: c.Notes || null,
        createdAt: c.CreationTime,
        sizeBytes: null,
        powerState: c.State === null ? null : vmPowerState(c.State),
        quiesced: null,
        isCurrent: id === current,
      },
    });
  }
  const heartbeat = vm.IntegrationServices.find((s) => s.Name === 'Heartbeat');
  const custom: Record<string, string> = {};
  if (vm.DynamicMemoryEnabled) {
    const mb = (b: number | null | undefined): string =>
      typeof b === 'number' ? `${Math.round(b / MIB)} MB` : '?';
    custom['Dynamic memory'] = `${mb(vm.MemoryMinimum)} – ${mb(vm.MemoryMaximum)}`;
  }
  if (vm.ReplicationMode && vm.ReplicationMode !== 'None') {
    custom['Replication mode'] = vm.ReplicationMode;
  }
  if (vm.ReplicationState && vm.ReplicationState !== 'Disabled') {
    custom['Replication state'] = vm.ReplicationState;
    if (vm.ReplicationHealth) custom['Replication health'] = vm.ReplicationHealth;
  }
  if (vm.IntegrationServices.length > 0) {
    custom['Integration services'] = [...vm.IntegrationServices]
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((s) => `${s.Name}: ${s.Enabled ? (s.PrimaryStatusDescription ?? 'on') : 'off'}`)
      .join('; ');
  }
  if (vm.IsClustered) custom['Clustered'] = 'yes';
  const critical = /Critical$/.test(vm.State);
  const cpuUsageMhz =
    vm.CPUUsage !== null && hostCapacityMhz !== null
      ? Math.round((vm.CPUUsage * hostCapacityMhz) / 100)
      : null;
  const usedBytes = sized ? used : null;
  const fields: TypedFields<'vm'> = {
    datacenterId: DATACENTER_ID,
    clusterId,
    hostId,
    resourcePoolId: null,
    folderId: null,
    folderPath: null,
    powerState: vmPowerState(vm.State),
    connectionState: critical ? 'inaccessible' : 'connected',
    isTemplate: false,
    guestOs: null,
    guestOsRunning: null,
    guestHostname: null,
    ipAddress: firstIp(allIps),
    ipAddresses: allIps,
    cpuCount: vm.ProcessorCount,
    coresPerSocket: null,
    memoryMb: vm.MemoryStartup === null ? null : Math.round(vm.MemoryStartup / MIB),
    provisionedBytes: sized ? provisioned : null,
    usedBytes,
    uncommittedBytes: sized ? uncommitted : null,
    toolsStatus: vm.IntegrationServicesState,
    toolsRunningStatus: heartbeat?.Enabled ? heartbeat.PrimaryStatusDescription : null,
    toolsVersion: vm.IntegrationServicesVersion || null,
    hardwareVersion: vm.Version,
    firmware: vm.Generation === 2 ? 'efi' : vm.Generation === 1 ? 'bios' : null,
    uuid: vmId,
    instanceUuid: null,
    vmPathName: vm.ConfigurationLocation ?? vm.Path,
    annotation: vm.Notes === '' ? null : vm.Notes,
    cdromConnected: vm.DVDDrives.some((d) => !!d.Path),
    consolidationNeeded: null,
    overallStatus:
      critical || vm.ReplicationHealth === 'Critical'
        ? 'red'
        : vm.ReplicationHealth === 'Warning'
          ? 'yellow'
          : 'green',
    bootTime: null,
    cpuUsageMhz,
    memoryUsageMb: vm.MemoryAssigned === null ? null : Math.round(vm.MemoryAssigned / MIB),
    uptimeSeconds: vm.Uptime === null ? null : Math.floor(vm.Uptime),
    nicCount: vm.NetworkAdapters.length,
    diskCount: vm.HardDrives.length,
    generation: vm.Generation,
    datastoreIds: sorted(datastoreIds),
    networkIds: sorted(networkIds),
    customAttributes: custom,
    tags: [],
    createdAt: vm.CreationTime ?? null,
    heartbeat: heartbeat?.Enabled ? heartbeat.PrimaryStatusDescription : null,
    // The most memory the VM may be given: dynamic memory's maximum, else its fixed size.
    memoryMaxMb: mbOf(vm.DynamicMemoryEnabled ? (vm.MemoryMaximum ?? null) : vm.MemoryStartup),
    memoryConsumedMb: mbOf(vm.MemoryAssigned),
    cdDrives: vm.DVDDrives.map((d) => ({
      label: d.Name ?? null,
      connected: !!d.Path,
      startConnected: null,
      backing: d.DvdMediaType,
      fileName: d.Path,
    })),
  };
  return {
    entities: [{ type: 'vm', id: vmId, name: vm.Name, fields }, ...children],
    networkIds: sorted(networkIds),
    datastoreIds: sorted(datastoreIds),
    cpuUsageMhz,
    usedBytes,
  };
}
