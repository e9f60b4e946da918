import type { CdDrive, FieldValue, UsbDevice } from '../../../shared/entities.js';
import type { SourceEndpoint } from '../records.js';
import { fieldOf } from '../records.js';
import { records } from '../source.js';
import type { WorkbookData } from './table.js';
import type { HostVmAgg as HostAgg } from './host-columns.js';
import { EpMap, bool, ids, interner, num, str } from './table.js';

/** What the sheets after vInfo need of a VM (its rows' tail columns), gathered in one pass. */
export interface VmCtx {
  readonly ep: SourceEndpoint;
  readonly name: string;
  readonly powerState: string | null;
  readonly template: boolean | null;
  readonly srmPlaceholder: boolean | null;
  readonly annotation: string | null;
  /** Custom attribute values by name (columns after Annotation on every VM sheet). */
  readonly custom: Readonly<Record<string, FieldValue>> | null;
  readonly datacenter: string | null;
  readonly cluster: string | null;
  readonly host: string | null;
  readonly folder: string | null;
  readonly osConfig: string | null;
  readonly osTools: string | null;
  readonly id: string;
  readonly uuid: string | null;
  readonly server: string;
}

/** A CD drive or USB device with its VM (vCD and vUSB rows). */
export interface DeviceRow<D> {
  readonly vm: VmCtx;
  readonly device: D;
}

/** Aggregates over all VMs (and their disks) that several sheets read. */
export interface VmFacts {
  readonly vms: EpMap<VmCtx>;
  /** Custom attribute names across all VMs, sorted: vInfo's columns after Annotation. */
  readonly customs: readonly string[];
  /** Bytes of all virtual disks of a VM. */
  readonly diskBytes: EpMap<number>;
  readonly hostAgg: EpMap<HostAgg>;
  readonly dsVms: EpMap<{ total: number; on: number }>;
  /** Guest partition paths per VM and disk key (vDisk's `Disk Path`). */
  readonly partitionsByDisk: EpMap<Map<number, string[]>>;
  readonly cdRows: readonly DeviceRow<CdDrive>[];
  readonly usbRows: readonly DeviceRow<UsbDevice>[];
  /** VMs per resource pool: all, powered on, and the powered-on VMs' vCPUs. */
  readonly rpVms: EpMap<{ total: number; on: number; vcpusOn: number }>;
  /** VMs with a NIC on a distributed switch's port groups, per switch (each VM once). */
  readonly dvsVms: EpMap<number>;
}

/** One pass over disks and VMs, once per workbook. */
export function vmFacts(wb: WorkbookData): VmFacts {
  return wb.memo('vmFacts', () => gather(wb));
}

function gather(wb: WorkbookData): VmFacts {
  const { source, lookups } = wb;
  const diskBytes = new EpMap<number>();
  for (const d of records(source, 'vmDisk')) {
    const vmId = fieldOf(d, 'vmId');
    if (typeof vmId !== 'string') continue;
    diskBytes.set(
      d.ep,
      vmId,
      (diskBytes.get(d.ep, vmId) ?? 0) + (num(fieldOf(d, 'capacityBytes')) ?? 0),
    );
  }
  const partitionsByDisk = new EpMap<Map<number, string[]>>();
  for (const g of records(source, 'guestPartition')) {
    const vmId = fieldOf(g, 'vmId');
    const key = num(fieldOf(g, 'diskKey'));
    const path = str(fieldOf(g, 'path'));
    if (typeof vmId !== 'string' || key === null || path === null) continue;
    let byKey = partitionsByDisk.get(g.ep, vmId);
    if (!byKey) partitionsByDisk.set(g.ep, vmId, (byKey = new Map()));
    byKey.set(key, [...(byKey.get(key) ?? []), path]);
  }
  wb.check();
  const vms = new EpMap<VmCtx>();
  const cdRows: DeviceRow<CdDrive>[] = [];
  const usbRows: DeviceRow<UsbDevice>[] = [];
  const customNames = new Set<string>();
  const hostAgg = new EpMap<HostAgg>();
  const dsVms = new EpMap<{ total: number; on: number }>();
  const rpVms = new EpMap<{ total: number; on: number; vcpusOn: number }>();
  const dvsVms = new EpMap<number>();
  const intern = interner();
  for (const v of records(source, 'vm')) {
    const ca = fieldOf(v, 'customAttributes');
    if (ca && typeof ca === 'object' && !Array.isArray(ca)) {
      for (const k of Object.keys(ca)) customNames.add(k);
    }
    const on = fieldOf(v, 'powerState') === 'poweredOn';
    const hostId = fieldOf(v, 'hostId');
    if (typeof hostId === 'string') {
      let agg = hostAgg.get(v.ep, hostId);
      if (!agg) hostAgg.set(v.ep, hostId, (agg = emptyHostAgg()));
      agg.vmsTotal++;
      if (on) {
        agg.vmsOn++;
        agg.vcpusOn += num(fieldOf(v, 'cpuCount')) ?? 0;
        agg.vramOn += num(fieldOf(v, 'memoryMb')) ?? 0;
        // A powered-off VM's quick stats are zero (or stale in a snapshot): only running ones.
        agg.usedMemOn += num(fieldOf(v, 'memoryConsumedMb')) ?? 0;
        agg.swappedOn += num(fieldOf(v, 'memorySwappedMb')) ?? 0;
        agg.balloonedOn += num(fieldOf(v, 'memoryBalloonedMb')) ?? 0;
      }
    }
    for (const ds of ids(fieldOf(v, 'datastoreIds'))) {
      let agg = dsVms.get(v.ep, ds);
      if (!agg) dsVms.set(v.ep, ds, (agg = { total: 0, on: 0 }));
      agg.total++;
      if (on) agg.on++;
    }
    const switches = new Set<string>();
    for (const n of ids(fieldOf(v, 'networkIds'))) {
      const sw = lookups.record(v.ep, 'network', n)?.fields.switchId;
      if (typeof sw === 'string') switches.add(sw);
    }
    for (const sw of switches) dvsVms.set(v.ep, sw, (dvsVms.get(v.ep, sw) ?? 0) + 1);
    const rp = fieldOf(v, 'resourcePoolId');
    if (typeof rp === 'string') {
      let agg = rpVms.get(v.ep, rp);
      if (!agg) rpVms.set(v.ep, rp, (agg = { total: 0, on: 0, vcpusOn: 0 }));
      agg.total++;
      if (on) {
        agg.on++;
        agg.vcpusOn += num(fieldOf(v, 'cpuCount')) ?? 0;
      }
    }
    const ctx: VmCtx = {
      ep: v.ep,
      name: v.name,
      powerState: intern(str(fieldOf(v, 'powerState'))),
      template: bool(fieldOf(v, 'isTemplate')),
      srmPlaceholder: bool(fieldOf(v, 'srmPlaceholder')),
      annotation: intern(str(fieldOf(v, 'annotation'))),
      custom:
        ca && typeof ca === 'object' && !Array.isArray(ca)
          ? (ca as Readonly<Record<string, FieldValue>>)
          : null,
      datacenter: lookups.name(v.ep, 'datacenter', fieldOf(v, 'datacenterId')),
      cluster: lookups.name(v.ep, 'cluster', fieldOf(v, 'clusterId')),
      host: lookups.name(v.ep, 'host', fieldOf(v, 'hostId')),
      folder: intern(str(fieldOf(v, 'folderPath'))),
      osConfig: intern(str(fieldOf(v, 'guestOs'))),
      osTools: intern(str(fieldOf(v, 'guestOsRunning'))),
      id: v.id,
      uuid: str(fieldOf(v, 'instanceUuid')),
      server: v.ep.host,
    };
    vms.set(v.ep, v.id, ctx);
    for (const device of devices(fieldOf(v, 'cdDrives'), readCd)) cdRows.push({ vm: ctx, device });
    for (const device of devices(fieldOf(v, 'usbDevices'), readUsb))
      usbRows.push({ vm: ctx, device });
  }
  wb.check();
  const customs = [...customNames].sort((a, b) => a.localeCompare(b));
  return {
    vms,
    customs,
    diskBytes,
    hostAgg,
    dsVms,
    rpVms,
    dvsVms,
    partitionsByDisk,
    cdRows,
    usbRows,
  };
}

const emptyHostAgg = (): HostAgg => ({
  vmsTotal: 0,
  vmsOn: 0,
  vcpusOn: 0,
  vramOn: 0,
  usedMemOn: 0,
  swappedOn: 0,
  balloonedOn: 0,
});

/** The items of a JSON device list (cdDrives, usbDevices), read defensively. */
function devices<D>(v: FieldValue | undefined, read: (o: Record<string, unknown>) => D): D[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object')
    .map(read);
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const flag = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const count = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const texts = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

const readCd = (o: Record<string, unknown>): CdDrive => ({
  label: text(o['label']),
  connected: flag(o['connected']),
  startConnected: flag(o['startConnected']),
  backing: text(o['backing']),
  fileName: text(o['fileName']),
});

const readUsb = (o: Record<string, unknown>): UsbDevice => ({
  label: text(o['label']),
  connected: flag(o['connected']),
  backing: text(o['backing']),
  family: texts(o['family']),
  speed: texts(o['speed']),
  ehciEnabled: flag(o['ehciEnabled']),
  autoConnect: flag(o['autoConnect']),
  busNumber: count(o['busNumber']),
  unitNumber: count(o['unitNumber']),
});
