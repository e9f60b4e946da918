import type { FieldValue, LacpGroup } from '../../shared/entities.js';
import { storedVlan } from '../export/rvtools/network-sheets.js';
import type { SheetContext } from './rvtools-children.js';
import type { Cell, Sheet } from './rvtools-sheet.js';
import { asMibBytes, asText, boundFields, splitList } from './rvtools-sheet.js';

/*
 * The RVTools import's distributed switches (dvSwitch), distributed port groups (dvPort) and
 * datastore clusters (vDatastore's cluster columns). RVTools 3.x writes the same headers on
 * dvSwitch and dvPort, without "Object ID": its switches and port groups are then keyed by name,
 * as vCluster's clusters are. No sheet has a StoragePod's moref, so a datastore cluster is keyed
 * by its name, and the diff pairs it with the collector's by that name (diff.ts NATURAL_KEYS).
 * Rows without a name, or repeating an id already read (the first wins), are left out.
 */

/** The records' sink of a sheet: where records go and a row's endpoint, as the other sheets. */
export type RecordSink = Pick<SheetContext, 'add' | 'fields' | 'epOf'>;

/** The row's "Object ID" (3.x: none), else its name: the id the row's record gets. */
function rowId(sheet: Sheet, nameCol: number): (row: readonly Cell[]) => string | null {
  const idCol = sheet.col('Object ID');
  return (row) => (idCol >= 0 ? asText(row[idCol] ?? null) : null) ?? asText(row[nameCol] ?? null);
}

/** Emits each named row once per endpoint and id (the first wins); `read` gives its fields. */
function emitOnce(
  sink: RecordSink,
  type: 'dvSwitch' | 'network' | 'datastoreCluster',
  sheet: Sheet,
  nameCol: number,
  idOf: (row: readonly Cell[]) => string | null,
  read: (row: readonly Cell[]) => Record<string, FieldValue>,
): void {
  const seen = new Set<string>();
  for (const row of sheet.rows) {
    const name = asText(row[nameCol] ?? null);
    const id = idOf(row);
    if (name === null || id === null) continue;
    const ep = sink.epOf(sheet, row);
    if (seen.has(`${ep.key}\u0000${id}`)) continue;
    seen.add(`${ep.key}\u0000${id}`);
    sink.add(type, ep, id, name, read(row));
  }
}

/** A switch of the workbook: its id and the name of its datacenter. */
interface SwitchRef {
  readonly id: string;
  readonly dc: string | null;
}

/** The switches of each name, by endpoint (`nameKey`): switch names are unique per datacenter. */
export type Switches = ReadonlyMap<string, readonly SwitchRef[]>;

const nameKey = (epKey: string, name: string): string => `${epKey}\u0000${name}`;

/**
 * dvSwitch: one distributed switch per row, its fields from the bound columns, `datacenterId`
 * from Datacenter (named by `noteDc`, as hosts' are), `hostIds` from Host members (each host's
 * vHost Object ID), `lacpGroups` from the three LACP columns (the export joins one value per
 * group into each). Returns the switches by name, for dvPort's switch relation.
 */
export function importDvSwitches(
  ctx: SheetContext,
  sheet: Sheet,
  noteDc: (row: readonly Cell[], name: string | null) => string | null,
): Switches {
  const byName = new Map<string, SwitchRef[]>();
  const nameCol = sheet.col('Switch');
  if (nameCol < 0) return byName;
  const m = boundFields('dvSwitch', sheet);
  const dcCol = sheet.col('Datacenter');
  const hostsCol = sheet.col('Host members');
  const lacp = (['LACP Name', 'LACP Mode', 'LACP Load Balance Alg.'] as const).map((h) =>
    sheet.col(h),
  );
  const hasLacp = lacp.some((i) => i >= 0);
  ctx.fields.set('dvSwitch', [
    ...m.getters.keys(),
    ...(dcCol >= 0 ? ['datacenterId'] : []),
    ...(hostsCol >= 0 ? ['hostIds'] : []),
    ...(hasLacp ? ['lacpGroups'] : []),
  ]);
  const idOf = rowId(sheet, nameCol);
  emitOnce(ctx, 'dvSwitch', sheet, nameCol, idOf, (row) => {
    const f: Record<string, FieldValue> = {};
    for (const [field, get] of m.getters) f[field] = get(row);
    const dc = dcCol >= 0 ? asText(row[dcCol] ?? null) : null;
    if (dcCol >= 0) f['datacenterId'] = noteDc(row, dc);
    if (hostsCol >= 0) {
      f['hostIds'] = [
        ...new Set(splitList(row[hostsCol] ?? null).map((h) => ctx.hostId(sheet, row, h))),
      ].sort();
    }
    if (hasLacp) f['lacpGroups'] = lacpGroups(lacp.map((i) => (i >= 0 ? (row[i] ?? null) : null)));
    // emitOnce reads only rows it keeps: both have a name and an id.
    const k = nameKey(ctx.epOf(sheet, row).key, asText(row[nameCol] ?? null)!);
    byName.set(k, [...(byName.get(k) ?? []), { id: idOf(row)!, dc }]);
    return f;
  });
  return byName;
}

/**
 * The datacenters each distributed port group name is used in, by endpoint: vNetwork's VM
 * adapters (Network) and vSC_VMK's VMkernel adapters (Port Group) name both. dvPort has no
 * Datacenter column, so this is how a port group finds its switch when switches of two
 * datacenters share a name.
 */
export function portgroupDatacenters(
  ctx: SheetContext,
  sheets: readonly (readonly [Sheet | undefined, string])[],
): ReadonlyMap<string, ReadonlySet<string>> {
  const out = new Map<string, Set<string>>();
  for (const [sheet, column] of sheets) {
    const pg = sheet?.col(column) ?? -1;
    const dc = sheet?.col('Datacenter') ?? -1;
    if (!sheet || pg < 0 || dc < 0) continue;
    for (const row of sheet.rows) {
      const name = asText(row[pg] ?? null);
      const dcName = asText(row[dc] ?? null);
      if (name === null || dcName === null) continue;
      const k = nameKey(ctx.epOf(sheet, row).key, name);
      const set = out.get(k) ?? new Set<string>();
      out.set(k, set.add(dcName));
    }
  }
  return out;
}

/**
 * The id of the switch named `switchName` that port group `pg` is on. One switch of that name:
 * its id; none (no dvSwitch row): the name, as a VM's cluster without vCluster. Several (two
 * datacenters): the one whose Object ID the uplink port group's name carries (vCenter names it
 * `<switch>-DVUplinks-<n>` after the switch's moref `dvs-<n>`; so does govmomi's simulator), else
 * the one in the datacenter the port group is used in; null when the workbook cannot tell.
 */
function switchOf(
  switches: Switches,
  used: ReadonlyMap<string, ReadonlySet<string>>,
  epKey: string,
  switchName: string,
  pg: string,
): string | null {
  const candidates = switches.get(nameKey(epKey, switchName)) ?? [];
  if (candidates.length === 0) return switchName;
  if (candidates.length === 1) return candidates[0]!.id;
  const one = (hits: readonly SwitchRef[]): string | null =>
    hits.length === 1 ? hits[0]!.id : null;
  const uplink = /-DVUplinks-(\d+)$/.exec(pg);
  const byUplink = uplink ? one(candidates.filter((s) => s.id === `dvs-${uplink[1]}`)) : null;
  if (byUplink !== null) return byUplink;
  const dcs = used.get(nameKey(epKey, pg));
  return dcs ? one(candidates.filter((s) => s.dc !== null && dcs.has(s.dc))) : null;
}

/**
 * The LACP groups of the three joined cells (name, mode, load balancing), zipped by position;
 * null when all are empty (a switch with no groups and one whose groups are unknown read alike,
 * and a diff holds an empty list and none as the same).
 */
function lacpGroups(cells: readonly Cell[]): LacpGroup[] | null {
  const [names, modes, algs] = cells.map(splitList) as [string[], string[], string[]];
  const n = Math.max(names.length, modes.length, algs.length);
  if (n === 0) return null;
  return Array.from({ length: n }, (_, i) => ({
    name: names[i] ?? null,
    mode: modes[i] ?? null,
    loadBalance: algs[i] ?? null,
  }));
}

/**
 * dvPort: one distributed port group per row, a `network` of type `distributedPortgroup`, its
 * fields from the bound columns, `vlanId` in the collector's form (see `storedVlan`), the uplink
 * lists, and `switchId`: the Object ID dvSwitch gives the switch the row names (see `switchOf`).
 */
export function importDvPortgroups(
  ctx: SheetContext,
  sheet: Sheet,
  switches: Switches,
  used: ReadonlyMap<string, ReadonlySet<string>>,
): void {
  const nameCol = sheet.col('Port');
  if (nameCol < 0) return;
  const m = boundFields('dvPort', sheet);
  const vlanCol = sheet.col('VLAN');
  const switchCol = sheet.col('Switch');
  const uplinks = (
    [
      ['activeUplinks', sheet.col('Active Uplink')],
      ['standbyUplinks', sheet.col('Standby Uplink')],
    ] as const
  ).filter(([, i]) => i >= 0);
  ctx.fields.set('network', [
    'networkType',
    ...m.getters.keys(),
    ...(switchCol >= 0 ? ['switchId'] : []),
    ...(vlanCol >= 0 ? ['vlanId'] : []),
    ...uplinks.map(([f]) => f),
  ]);
  emitOnce(ctx, 'network', sheet, nameCol, rowId(sheet, nameCol), (row) => {
    const f: Record<string, FieldValue> = { networkType: 'distributedPortgroup' };
    for (const [field, get] of m.getters) f[field] = get(row);
    if (switchCol >= 0) {
      const sw = asText(row[switchCol] ?? null);
      const pg = asText(row[nameCol] ?? null) ?? '';
      f['switchId'] =
        sw === null ? null : switchOf(switches, used, ctx.epOf(sheet, row).key, sw, pg);
    }
    if (vlanCol >= 0) f['vlanId'] = storedVlan(asText(row[vlanCol] ?? null));
    for (const [field, i] of uplinks) f[field] = splitList(row[i] ?? null);
    return f;
  });
}

/**
 * vDatastore's cluster columns (RVTools 3.x: "MB" for "MiB"): one datastore cluster per server
 * and name, its capacity and free space from the first row naming it. Returns the cluster id of
 * a datastore row (its "Cluster name"), or null when the sheet has no such column.
 */
export function importDatastoreClusters(
  sink: RecordSink,
  sheet: Sheet,
): ((row: readonly Cell[]) => string | null) | null {
  const nameCol = sheet.col('Cluster name');
  if (nameCol < 0) return null;
  const sizes = (
    [
      ['capacityBytes', sheet.col('Cluster capacity MiB', 'Cluster capacity MB')],
      ['freeBytes', sheet.col('Cluster free space MiB', 'Cluster free space MB')],
    ] as const
  ).filter(([, i]) => i >= 0);
  sink.fields.set(
    'datastoreCluster',
    sizes.map(([f]) => f),
  );
  // Only rows of a datastore (a Name) say which cluster it is in.
  const dsName = sheet.col('Name');
  const clusterOf = (row: readonly Cell[]): string | null =>
    dsName >= 0 && asText(row[dsName] ?? null) === null ? null : asText(row[nameCol] ?? null);
  emitOnce(sink, 'datastoreCluster', sheet, nameCol, clusterOf, (row) => {
    const f: Record<string, FieldValue> = {};
    for (const [field, i] of sizes) f[field] = asMibBytes(row[i] ?? null);
    return f;
  });
  return clusterOf;
}
