import type { SourceEndpoint } from '../records.js';
import { fieldOf } from '../records.js';
import { records } from '../source.js';
import type { WorkbookData } from './table.js';
import { EpMap, bool, ids, interner, num, str } from './table.js';

/** What the sheets after vInfo need of a VM (its rows' tail columns), gathered in one pass. */
export interface VmCtx {
  readonly ep: SourceEndpoint;
  readonly name: string;
  readonly powerState: string | null;
  readonly template: boolean | null;
  readonly annotation: string | null;
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

export interface HostAgg {
  vmsTotal: number;
  vmsOn: number;
  vcpusOn: number;
  vramOn: number;
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
  /** VMs per resource pool: all, powered on, and the powered-on VMs' vCPUs. */
  readonly rpVms: EpMap<{ total: number; on: number; vcpusOn: number }>;
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
  wb.check();
  const vms = new EpMap<VmCtx>();
  const customNames = new Set<string>();
  const hostAgg = new EpMap<HostAgg>();
  const dsVms = new EpMap<{ total: number; on: number }>();
  const rpVms = new EpMap<{ total: number; on: number; vcpusOn: number }>();
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
      if (!agg) hostAgg.set(v.ep, hostId, (agg = { vmsTotal: 0, vmsOn: 0, vcpusOn: 0, vramOn: 0 }));
      agg.vmsTotal++;
      if (on) {
        agg.vmsOn++;
        agg.vcpusOn += num(fieldOf(v, 'cpuCount')) ?? 0;
        agg.vramOn += num(fieldOf(v, 'memoryMb')) ?? 0;
      }
    }
    for (const ds of ids(fieldOf(v, 'datastoreIds'))) {
      let agg = dsVms.get(v.ep, ds);
      if (!agg) dsVms.set(v.ep, ds, (agg = { total: 0, on: 0 }));
      agg.total++;
      if (on) agg.on++;
    }
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
    vms.set(v.ep, v.id, {
      ep: v.ep,
      name: v.name,
      powerState: intern(str(fieldOf(v, 'powerState'))),
      template: bool(fieldOf(v, 'isTemplate')),
      annotation: intern(str(fieldOf(v, 'annotation'))),
      datacenter: lookups.name(v.ep, 'datacenter', fieldOf(v, 'datacenterId')),
      cluster: lookups.name(v.ep, 'cluster', fieldOf(v, 'clusterId')),
      host: lookups.name(v.ep, 'host', fieldOf(v, 'hostId')),
      folder: intern(str(fieldOf(v, 'folderPath'))),
      osConfig: intern(str(fieldOf(v, 'guestOs'))),
      osTools: intern(str(fieldOf(v, 'guestOsRunning'))),
      id: v.id,
      uuid: str(fieldOf(v, 'instanceUuid')),
      server: v.ep.host,
    });
  }
  wb.check();
  const customs = [...customNames].sort((a, b) => a.localeCompare(b));
  return { vms, customs, diskBytes, hostAgg, dsVms, rpVms };
}
