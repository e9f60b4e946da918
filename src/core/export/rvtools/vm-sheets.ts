import type { EntityRecord, RecordOf } from '../records.js';
import { fieldOf } from '../records.js';
import { records } from '../source.js';
import type { AnySheet, RvColumn, WorkbookData } from './table.js';
import { bool, col, ids, mib, num, sdkUuid, serverType, sheet, str } from './table.js';
import type { VmCtx } from './vm-facts.js';
import { vmFacts } from './vm-facts.js';

/*
 * The VM sheets, in RVTools' order: vInfo, vCPU, vMemory, vDisk, vNetwork, vCD, vSnapshot,
 * vTools. Rows of a VM's devices (disks, NICs, snapshots) end with the VM's own columns.
 */

type Ctx<T> = (row: T) => VmCtx | undefined;

/** The columns every VM sheet ends with, in RVTools' order. */
function vmTail<T>(ctx: Ctx<T>, withAnnotation = true): RvColumn<T>[] {
  return [
    ...(withAnnotation
      ? [
          col<T>('Annotation', 'text', 'config.annotation', (r) => ctx(r)?.annotation, {
            width: 30,
          }),
        ]
      : []),
    col<T>('Datacenter', 'text', 'the VM’s datacenter (inventory path)', (r) => ctx(r)?.datacenter),
    col<T>('Cluster', 'text', 'runtime.host → the host’s cluster', (r) => ctx(r)?.cluster),
    col<T>('Host', 'text', 'runtime.host → name', (r) => ctx(r)?.host, { width: 24 }),
    col<T>('Folder', 'text', 'parent folder path', (r) => ctx(r)?.folder, { width: 24 }),
    col<T>(
      'OS according to the configuration file',
      'text',
      'config.guestFullName',
      (r) => ctx(r)?.osConfig,
      { width: 30 },
    ),
    col<T>(
      'OS according to the VMware Tools',
      'text',
      'guest.guestFullName',
      (r) => ctx(r)?.osTools,
      { width: 30 },
    ),
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

function vmHead<T>(ctx: Ctx<T>, template = true): RvColumn<T>[] {
  return [
    col<T>('VM', 'text', 'name', (r) => ctx(r)?.name, { width: 28 }),
    col<T>('Powerstate', 'text', 'runtime.powerState', (r) => ctx(r)?.powerState),
    ...(template ? [col<T>('Template', 'bool', 'config.template', (r) => ctx(r)?.template)] : []),
  ];
}

/** The VM a VM record is (for the VM sheets after vInfo). */
const selfOf =
  (wb: WorkbookData): Ctx<Vm> =>
  (r) =>
    vmFacts(wb).vms.get(r.ep, r.id);
/** The VM a device record belongs to (`vmId`). */
const parentOf =
  (wb: WorkbookData): Ctx<EntityRecord> =>
  (r) =>
    vmFacts(wb).vms.get(r.ep, r.fields['vmId']);

const vmRows = (wb: WorkbookData): Iterable<Vm> => records(wb.source, 'vm');
const f = fieldOf;
type Vm = RecordOf<'vm'>;

/** A sheet of one row per VM: the VM's head columns, `middle`, then the VM's tail columns. */
function perVmSheet(name: string, middle: (wb: WorkbookData) => RvColumn<Vm>[]): AnySheet {
  return sheet<Vm>({
    name,
    count: (wb) => wb.count('vm'),
    rows: vmRows,
    columns: (wb) => {
      const ctx = selfOf(wb);
      return [...vmHead(ctx), ...middle(wb), ...vmTail(ctx)];
    },
  });
}

const vInfo = sheet<Vm>({
  name: 'vInfo',
  entity: 'vm',
  count: (wb) => wb.count('vm'),
  rows: vmRows,
  columns: (wb) => {
    const { lookups } = wb;
    const { customs, diskBytes } = vmFacts(wb);
    return [
      col('VM', 'text', 'name', (r) => r.name, { width: 28 }),
      col('Powerstate', 'text', 'runtime.powerState', (r) => str(f(r, 'powerState')), {
        binding: { field: 'powerState', read: 'text', aliases: ['Power State', 'Power state'] },
      }),
      col('Template', 'bool', 'config.template', (r) => bool(f(r, 'isTemplate')), {
        binding: { field: 'isTemplate', read: 'bool' },
      }),
      col('DNS Name', 'text', 'guest.hostName', (r) => str(f(r, 'guestHostname')), {
        width: 28,
        binding: { field: 'guestHostname', read: 'text' },
      }),
      col(
        'Connection state',
        'text',
        'runtime.connectionState',
        (r) => str(f(r, 'connectionState')),
        {
          binding: { field: 'connectionState', read: 'text' },
        },
      ),
      col(
        'Consolidation Needed',
        'bool',
        'runtime.consolidationNeeded',
        (r) => bool(f(r, 'consolidationNeeded')),
        {
          binding: { field: 'consolidationNeeded', read: 'bool' },
        },
      ),
      col('PowerOn', 'date', 'runtime.bootTime', (r) => str(f(r, 'bootTime')), {
        binding: { field: 'bootTime', read: 'time' },
      }),
      col('CPUs', 'int', 'config.hardware.numCPU', (r) => num(f(r, 'cpuCount')), {
        binding: { field: 'cpuCount', read: 'num' },
      }),
      col('Memory', 'int', 'config.hardware.memoryMB', (r) => num(f(r, 'memoryMb')), {
        binding: { field: 'memoryMb', read: 'num' },
      }),
      col(
        'NICs',
        'int',
        'count of config.hardware.device (VirtualEthernetCard)',
        (r) => num(f(r, 'nicCount')),
        {
          binding: { field: 'nicCount', read: 'num' },
        },
      ),
      col(
        'Disks',
        'int',
        'count of config.hardware.device (VirtualDisk)',
        (r) => num(f(r, 'diskCount')),
        {
          binding: { field: 'diskCount', read: 'num' },
        },
      ),
      col('Total disk capacity MiB', 'int', 'sum of the VM’s vDisk Capacity MiB', (r) => {
        const b = diskBytes.get(r.ep, r.id);
        return b === undefined ? null : mib(b);
      }),
      col('Primary IP Address', 'text', 'guest.ipAddress', (r) => str(f(r, 'ipAddress')), {
        binding: { field: 'ipAddress', read: 'text' },
      }),
      ...Array.from({ length: 8 }, (_, i) =>
        col<Vm>(`Network #${i + 1}`, 'text', 'network (the VM’s networks, by name)', (r) => {
          const id = ids(f(r, 'networkIds'))[i];
          return id === undefined ? null : (lookups.name(r.ep, 'network', id) ?? id);
        }),
      ),
      col('Resource pool', 'text', 'resourcePool → name', (r) =>
        lookups.name(r.ep, 'resourcePool', f(r, 'resourcePoolId')),
      ),
      col('Folder ID', 'text', 'parent', (r) => str(f(r, 'folderId')), {
        binding: { field: 'folderId', read: 'text' },
      }),
      col('Folder', 'text', 'parent folder path', (r) => str(f(r, 'folderPath')), {
        width: 24,
        binding: { field: 'folderPath', read: 'text' },
      }),
      col(
        'Provisioned MiB',
        'int',
        'summary.storage.committed + uncommitted',
        (r) => mib(num(f(r, 'provisionedBytes'))),
        {
          binding: { field: 'provisionedBytes', read: 'mib', aliases: ['Provisioned MB'] },
        },
      ),
      col('In Use MiB', 'int', 'summary.storage.committed', (r) => mib(num(f(r, 'usedBytes'))), {
        binding: { field: 'usedBytes', read: 'mib', aliases: ['In Use MB'] },
      }),
      col('Firmware', 'text', 'config.firmware', (r) => str(f(r, 'firmware')), {
        binding: { field: 'firmware', read: 'text' },
      }),
      col('HW version', 'text', 'config.version', (r) => str(f(r, 'hardwareVersion')), {
        binding: { field: 'hardwareVersion', read: 'text' },
      }),
      col('Path', 'text', 'config.files.vmPathName', (r) => str(f(r, 'vmPathName')), {
        width: 40,
        binding: { field: 'vmPathName', read: 'text' },
      }),
      col('Annotation', 'text', 'config.annotation', (r) => str(f(r, 'annotation')), {
        width: 30,
        binding: { field: 'annotation', read: 'text' },
      }),
      ...customs.map((name) =>
        col<Vm>(name, 'text', 'customValue (custom attribute)', (r) => {
          const ca = f(r, 'customAttributes');
          return ca && typeof ca === 'object' && !Array.isArray(ca) ? (ca[name] ?? null) : null;
        }),
      ),
      col('Datacenter', 'text', 'the VM’s datacenter (inventory path)', (r) =>
        lookups.name(r.ep, 'datacenter', f(r, 'datacenterId')),
      ),
      col('Cluster', 'text', 'runtime.host → the host’s cluster', (r) =>
        lookups.name(r.ep, 'cluster', f(r, 'clusterId')),
      ),
      col(
        'Host',
        'text',
        'runtime.host → name',
        (r) => lookups.name(r.ep, 'host', f(r, 'hostId')),
        {
          width: 24,
        },
      ),
      col(
        'OS according to the configuration file',
        'text',
        'config.guestFullName',
        (r) => str(f(r, 'guestOs')),
        {
          width: 30,
          binding: { field: 'guestOs', read: 'text' },
        },
      ),
      col(
        'OS according to the VMware Tools',
        'text',
        'guest.guestFullName',
        (r) => str(f(r, 'guestOsRunning')),
        {
          width: 30,
          binding: { field: 'guestOsRunning', read: 'text' },
        },
      ),
      col('VM ID', 'text', 'the VM’s managed object id', (r) => r.id),
      col('SMBIOS UUID', 'text', 'config.uuid', (r) => str(f(r, 'uuid')), {
        width: 38,
        binding: { field: 'uuid', read: 'text' },
      }),
      col('VM UUID', 'text', 'config.instanceUuid', (r) => str(f(r, 'instanceUuid')), {
        width: 38,
        binding: { field: 'instanceUuid', read: 'text' },
      }),
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

const vCPU = perVmSheet('vCPU', () => [
  col('CPUs', 'int', 'config.hardware.numCPU', (r) => num(f(r, 'cpuCount'))),
  col('Sockets', 'int', 'numCPU / numCoresPerSocket', (r) => {
    const cpus = num(f(r, 'cpuCount'));
    const cps = num(f(r, 'coresPerSocket'));
    return cpus !== null && cps ? Math.ceil(cpus / cps) : null;
  }),
  col('Cores p/s', 'int', 'config.hardware.numCoresPerSocket', (r) => num(f(r, 'coresPerSocket'))),
  col('Overall', 'int', 'summary.quickStats.overallCpuUsage', (r) => num(f(r, 'cpuUsageMhz'))),
]);

const vMemory = perVmSheet('vMemory', () => [
  col('Size MiB', 'int', 'config.hardware.memoryMB', (r) => num(f(r, 'memoryMb'))),
  col('Active', 'int', 'summary.quickStats.guestMemoryUsage', (r) => num(f(r, 'memoryUsageMb'))),
]);

const vDisk = sheet<RecordOf<'vmDisk'>>({
  name: 'vDisk',
  entity: 'vmDisk',
  count: (wb) => wb.count('vmDisk'),
  rows: (wb) => records(wb.source, 'vmDisk'),
  columns: (wb) => {
    const ctx = parentOf(wb);
    return [
      ...vmHead(ctx),
      col('Disk', 'text', 'VirtualDisk.deviceInfo.label', (r) => str(f(r, 'label'))),
      col('Disk Path', 'text', 'VirtualDisk.backing.fileName', (r) => str(f(r, 'fileName')), {
        width: 40,
      }),
      col('Capacity MiB', 'int', 'VirtualDisk.capacityInBytes', (r) =>
        mib(num(f(r, 'capacityBytes'))),
      ),
      col('Disk Mode', 'text', 'VirtualDisk.backing.diskMode', (r) => str(f(r, 'diskMode'))),
      col('Thin', 'bool', 'VirtualDisk.backing.thinProvisioned', (r) => bool(f(r, 'thin'))),
      col('Controller', 'text', 'VirtualDisk.controllerKey → the controller’s label', (r) =>
        str(f(r, 'controller')),
      ),
      col('Unit #', 'int', 'VirtualDisk.unitNumber', (r) => num(f(r, 'unitNumber'))),
      ...vmTail(ctx),
    ];
  },
});

const ipv = (r: RecordOf<'vmNic'>, v6: boolean): string | null =>
  ids(f(r, 'ipAddresses'))
    .filter((ip) => ip.includes(':') === v6)
    .join(', ') || null;

const vNetwork = sheet<RecordOf<'vmNic'>>({
  name: 'vNetwork',
  entity: 'vmNic',
  count: (wb) => wb.count('vmNic'),
  rows: (wb) => records(wb.source, 'vmNic'),
  columns: (wb) => {
    const ctx = parentOf(wb);
    return [
      ...vmHead(ctx),
      col('NIC label', 'text', 'VirtualEthernetCard.deviceInfo.label', (r) => str(f(r, 'label'))),
      col('Adapter', 'text', 'the VirtualEthernetCard’s type', (r) => str(f(r, 'adapterType'))),
      col(
        'Network',
        'text',
        'VirtualEthernetCard.backing → network name',
        (r) => str(f(r, 'networkName')),
        { width: 24 },
      ),
      col('Switch', 'text', 'the network’s switch', (r) => {
        const n = wb.lookups.record(r.ep, 'network', f(r, 'networkId'));
        return n ? str(f(n, 'switchName')) : null;
      }),
      col('Connected', 'bool', 'VirtualEthernetCard.connectable.connected', (r) =>
        bool(f(r, 'connected')),
      ),
      col('Starts Connected', 'bool', 'VirtualEthernetCard.connectable.startConnected', (r) =>
        bool(f(r, 'startConnected')),
      ),
      col('Mac Address', 'text', 'VirtualEthernetCard.macAddress', (r) => str(f(r, 'macAddress'))),
      col('IPv4 Address', 'text', 'guest.net[].ipAddress (IPv4)', (r) => ipv(r, false)),
      col('IPv6 Address', 'text', 'guest.net[].ipAddress (IPv6)', (r) => ipv(r, true)),
      ...vmTail(ctx),
    ];
  },
});

const vCD = sheet<Vm>({
  name: 'vCD',
  count: (wb) => cdVms(wb).length,
  rows: cdVms,
  columns: (wb) => {
    const ctx = selfOf(wb);
    return [
      ...vmHead(ctx),
      col('Connected', 'bool', 'VirtualCdrom.connectable.connected', (r) =>
        bool(f(r, 'cdromConnected')),
      ),
      ...vmTail(ctx),
    ];
  },
});

function cdVms(wb: WorkbookData): Vm[] {
  return wb.memo('cdVms', () => {
    const out: Vm[] = [];
    for (const r of vmRows(wb)) if (f(r, 'cdromConnected') === true) out.push(r);
    return out;
  });
}

const vSnapshot = sheet<RecordOf<'snapshot'>>({
  name: 'vSnapshot',
  entity: 'snapshot',
  count: (wb) => wb.count('snapshot'),
  rows: (wb) => records(wb.source, 'snapshot'),
  columns: (wb) => {
    const ctx = parentOf(wb);
    return [
      ...vmHead(ctx, false),
      col('Name', 'text', 'snapshot.rootSnapshotList[].name', (r) => r.name, { width: 24 }),
      col(
        'Description',
        'text',
        'VirtualMachineSnapshotTree.description',
        (r) => str(f(r, 'description')),
        { width: 30 },
      ),
      col('Date / time', 'date', 'VirtualMachineSnapshotTree.createTime', (r) =>
        str(f(r, 'createdAt')),
      ),
      col('Size MiB (total)', 'int', 'layoutEx files of the snapshot', (r) =>
        mib(num(f(r, 'sizeBytes'))),
      ),
      col('Quiesced', 'bool', 'VirtualMachineSnapshotTree.quiesced', (r) => bool(f(r, 'quiesced'))),
      col('State', 'text', 'VirtualMachineSnapshotTree.state', (r) => str(f(r, 'powerState'))),
      ...vmTail(ctx),
    ];
  },
});

const vTools = perVmSheet('vTools', () => [
  col('VM Version', 'text', 'config.version', (r) => str(f(r, 'hardwareVersion'))),
  col('Tools', 'text', 'guest.toolsStatus', (r) => str(f(r, 'toolsStatus'))),
  col('Tools Version', 'text', 'guest.toolsVersion', (r) => str(f(r, 'toolsVersion'))),
]);

/** The VM sheets, in RVTools' order. */
export const VM_SHEETS: readonly AnySheet[] = [
  vInfo,
  vCPU,
  vMemory,
  vDisk,
  vNetwork,
  vCD,
  vSnapshot,
  vTools,
];
