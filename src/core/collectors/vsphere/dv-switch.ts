/**
 * Distributed virtual switches and datastore clusters (StoragePod) as entities: what RVTools'
 * dvSwitch sheet and vDatastore's cluster columns show. A handful of objects per datacenter, read
 * in the inventory's own retrieval (the switch view, and the folder view that StoragePods belong
 * to), so they cost no extra round trip and nothing per VM.
 */
import type { CollectedEntity, LacpGroup, TypedFields } from '../../../shared/entities.js';
import { arr, bool, num, path, str } from './codec.js';
import type { VimValue } from './codec.js';
import { sortedIds } from './mapper-util.js';
import type { InventoryCache, RawObject } from './mapper.js';

/**
 * DistributedVirtualSwitch paths: members of `DVSConfigInfo` and `DVSSummary` only, so a
 * third-party switch (no VMware subtype) is read too. Not `summary.vm`: it lists every VM on the
 * switch, and the export counts those from the VMs' own networks instead.
 */
export const DVS_PATHS: readonly string[] = [
  'name',
  'parent',
  'uuid',
  'summary.productInfo',
  'summary.hostMember',
  'config.description',
  'config.createTime',
  'config.maxPorts',
  'config.numPorts',
  'config.contact',
  'config.defaultPortConfig.inShapingPolicy',
  'config.defaultPortConfig.outShapingPolicy',
];

/** What only `VMwareDVSConfigInfo` has: its own propSet, as the collector matches subtypes. */
export const VMWARE_DVS_PATHS: readonly string[] = [
  'config.linkDiscoveryProtocolConfig',
  'config.lacpGroupConfig',
  'config.maxMtu',
];

/** StoragePod (a Folder subtype) adds its summary: capacity and free space of its datastores. */
export const STORAGE_POD_PATHS: readonly string[] = ['name', 'parent', 'childType', 'summary'];

/** A DVS setting's value (`BoolPolicy`, `LongPolicy`, `StringPolicy` wrap theirs in `value`). */
export const setting = (v: VimValue | undefined, key: string): VimValue | undefined =>
  path(path(v, key), 'value');

/** A switch property that is absent when unset: a text, or null for empty. */
const text = (v: VimValue | undefined): string | null => {
  const s = str(v);
  return s === null || s === '' ? null : s;
};

/**
 * A time, or null when unset. Go-based servers (vcsim) send an unset time as the zero time
 * (year 1), which no real switch was created at and no spreadsheet can hold as a date.
 */
const time = (v: VimValue | undefined): string | null => {
  const s = text(v);
  return s === null || s.startsWith('0001-') ? null : s;
};

/**
 * Traffic shaping of a distributed port setting (`inShapingPolicy`, `outShapingPolicy`), as the
 * switch's defaults and each distributed port group's name them alike.
 */
export function shapingFields(
  inS: VimValue | undefined,
  outS: VimValue | undefined,
): TypedFields<'dvSwitch'> & TypedFields<'network'> {
  return {
    inShaping: bool(setting(inS, 'enabled')),
    inShapingAvgBps: num(setting(inS, 'averageBandwidth')),
    inShapingPeakBps: num(setting(inS, 'peakBandwidth')),
    inShapingBurstBytes: num(setting(inS, 'burstSize')),
    outShaping: bool(setting(outS, 'enabled')),
    outShapingAvgBps: num(setting(outS, 'averageBandwidth')),
    outShapingPeakBps: num(setting(outS, 'peakBandwidth')),
    outShapingBurstBytes: num(setting(outS, 'burstSize')),
  };
}

export function mapDvSwitch(cache: InventoryCache, o: RawObject): CollectedEntity {
  const p = (k: string): VimValue | undefined => o.props.get(k);
  const product = p('summary.productInfo');
  const ldp = p('config.linkDiscoveryProtocolConfig');
  const lacp = p('config.lacpGroupConfig');
  const contact = p('config.contact');
  return {
    type: 'dvSwitch',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      uuid: text(p('uuid')),
      productName: text(path(product, 'name')),
      vendor: text(path(product, 'vendor')),
      version: text(path(product, 'version')),
      description: text(p('config.description')),
      createdAt: time(p('config.createTime')),
      maxPorts: num(p('config.maxPorts')),
      numPorts: num(p('config.numPorts')),
      hostIds: sortedIds(p('summary.hostMember')),
      ...shapingFields(
        p('config.defaultPortConfig.inShapingPolicy'),
        p('config.defaultPortConfig.outShapingPolicy'),
      ),
      discoveryProtocol: text(path(ldp, 'protocol')),
      discoveryOperation: text(path(ldp, 'operation')),
      // Unset on a switch that is not a VMware one (or before API 5.5): unknown, not none.
      lacpGroups:
        lacp === undefined
          ? null
          : arr(lacp).map((g): LacpGroup => ({
              name: text(path(g, 'name')),
              mode: text(path(g, 'mode')),
              loadBalance: text(path(g, 'loadbalanceAlgorithm')),
            })),
      maxMtu: num(p('config.maxMtu')),
      contact: text(path(contact, 'contact')),
      adminName: text(path(contact, 'name')),
    },
  };
}

export function mapStoragePod(cache: InventoryCache, o: RawObject): CollectedEntity {
  const s = o.props.get('summary');
  return {
    type: 'datastoreCluster',
    id: o.ref.value,
    name: cache.name(o),
    fields: {
      datacenterId: cache.ancestor(o, 'Datacenter')?.ref.value ?? null,
      capacityBytes: num(path(s, 'capacity')),
      freeBytes: num(path(s, 'freeSpace')),
    },
  };
}
