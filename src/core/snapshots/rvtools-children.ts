import type { EntityType, FieldValue } from '../../shared/entities.js';
import type { EndpointAbout } from '../../shared/endpoints.js';
import { pathKey } from '../collectors/vsphere/vm-mapper.js';
import type { EntityRecord, SourceEndpoint } from '../export/records.js';
import type { Cell, Sheet } from './rvtools-sheet.js';
import { asText, boundFields, splitList } from './rvtools-sheet.js';

/*
 * The RVTools import's records of one sheet each: a VM's devices, snapshots and guest disks, a
 * host's devices, the endpoint's licenses, and the server facts of vSource. Rows that cannot be
 * keyed (no VM, no label, no device), that name a VM vInfo does not list, or that repeat a row
 * already read are left out: an imported snapshot holds whole records or none.
 */

/** What a sheet's block needs from the import: where records go, and a row's endpoint. */
export interface SheetContext {
  readonly add: (
    type: EntityType,
    ep: SourceEndpoint,
    id: string,
    name: string,
    f: Record<string, FieldValue>,
  ) => void;
  readonly fields: Map<EntityType, string[]>;
  readonly epOf: (sheet: Sheet, row: readonly Cell[]) => SourceEndpoint;
  /** The id of the host a row names (vHost's Object ID; the name when vHost lacks the host). */
  readonly hostId: (sheet: Sheet, row: readonly Cell[], name: string) => string;
  /**
   * The id of the VM a row belongs to, from its "VM ID", or (RVTools 3.x wrote no "VM ID" on
   * vSnapshot and other VM sheets) from its "VM" name when vInfo lists one VM of that name on
   * the row's server. Null when the row names no VM vInfo lists; null for the sheet when it has
   * neither column.
   */
  readonly vmOf: (sheet: Sheet) => ((row: readonly Cell[]) => string | null) | null;
}

/**
 * vNIC, vHBA, vSC_VMK: one host device per row, `hostId` from its Host column and the id the
 * collector gives it (`<host id>/<prefix><device>`); rows without a host or device are left out.
 */
export function importHostDevices(
  ctx: SheetContext,
  name: string,
  type: EntityType,
  prefix: string,
  sheet: Sheet,
): void {
  const hostCol = sheet.col('Host');
  if (hostCol < 0) return;
  const m = boundFields(name, sheet);
  if (!m.getters.has('device')) return;
  ctx.fields.set(type, ['hostId', ...m.getters.keys()]);
  for (const row of sheet.rows) {
    const host = asText(row[hostCol] ?? null);
    if (host === null) continue;
    const hostId = ctx.hostId(sheet, row, host);
    const f: Record<string, FieldValue> = { hostId };
    for (const [field, get] of m.getters) f[field] = get(row);
    const device = f['device'];
    if (typeof device !== 'string') continue;
    ctx.add(type, ctx.epOf(sheet, row), `${hostId}/${prefix}${device}`, device, f);
  }
}

/** How a VM sheet's rows become records beyond their bound columns. */
interface ChildShape {
  /** The record's id from the VM id and the row's fields; null leaves the row out. */
  readonly idOf: (
    vmId: string,
    f: Record<string, FieldValue>,
    row: readonly Cell[],
  ) => string | null;
  readonly nameOf: (f: Record<string, FieldValue>, id: string, row: readonly Cell[]) => string;
  /** Fields the bound columns do not give, and the columns they come from. */
  readonly extra?: {
    readonly fields: readonly string[];
    readonly read: (sheet: Sheet) => (row: readonly Cell[], f: Record<string, FieldValue>) => void;
  };
}

/**
 * Emits one record of `type` per row of a VM sheet: fields from the sheet's bound columns,
 * `vmId` from the row's VM, and the id `shape.idOf` gives it. A row whose id repeats an earlier
 * row's is left out (the first wins), as the collector keeps one record per id.
 */
function emitChildren(
  ctx: SheetContext,
  type: EntityType,
  name: string,
  sheet: Sheet,
  shape: ChildShape,
): void {
  const vmOf = ctx.vmOf(sheet);
  if (!vmOf) return;
  const m = boundFields(name, sheet);
  const extra = shape.extra?.read(sheet);
  ctx.fields.set(type, ['vmId', ...m.getters.keys(), ...(shape.extra?.fields ?? [])]);
  const seen = new Set<string>();
  for (const row of sheet.rows) {
    const vmId = vmOf(row);
    if (vmId === null) continue;
    const f: Record<string, FieldValue> = { vmId };
    for (const [field, get] of m.getters) f[field] = get(row);
    extra?.(row, f);
    const id = shape.idOf(vmId, f, row);
    const ep = ctx.epOf(sheet, row);
    if (id === null || seen.has(`${ep.key}\u0000${id}`)) continue;
    seen.add(`${ep.key}\u0000${id}`);
    ctx.add(type, ep, id, shape.nameOf(f, id, row), f);
  }
}

/** vDisk: one virtual disk per row, keyed as the collector keys it (VM id and device key). */
export function importDisks(ctx: SheetContext, sheet: Sheet): void {
  emitChildren(ctx, 'vmDisk', 'vDisk', sheet, {
    idOf: (vmId, f) => (typeof f['diskKey'] === 'number' ? `${vmId}/disk-${f['diskKey']}` : null),
    nameOf: (f) => (typeof f['label'] === 'string' ? f['label'] : `disk-${String(f['diskKey'])}`),
  });
}

/** vPartition: one guest disk per row, keyed as the collector keys it (VM id and path). */
export function importPartitions(ctx: SheetContext, sheet: Sheet): void {
  emitChildren(ctx, 'guestPartition', 'vPartition', sheet, {
    idOf: (vmId, f) =>
      typeof f['path'] === 'string' ? `${vmId}/part-${pathKey(f['path'])}` : null,
    nameOf: (f, id) => (typeof f['path'] === 'string' ? f['path'] : id),
  });
}

/**
 * vNetwork: one VM network adapter per row. The workbook has no device key, so the id is the
 * VM's and the adapter's label (`Network adapter 1`), which vSphere keeps unique per VM; the
 * diff pairs it with the collector's record by that label (snapshots/diff.ts NATURAL_KEYS).
 * The guest's addresses come back from the IPv4 and IPv6 columns.
 */
export function importNics(ctx: SheetContext, sheet: Sheet): void {
  const v4 = sheet.col('IPv4 Address');
  const v6 = sheet.col('IPv6 Address');
  const hasIps = v4 >= 0 || v6 >= 0;
  emitChildren(ctx, 'vmNic', 'vNetwork', sheet, {
    idOf: (vmId, f) =>
      typeof f['label'] === 'string' ? `${vmId}/nic-label-${pathKey(f['label'])}` : null,
    nameOf: (f, id) => (typeof f['label'] === 'string' ? f['label'] : id),
    ...(hasIps
      ? {
          extra: {
            fields: ['ipAddresses'],
            read: () => (row, f) => {
              f['ipAddresses'] = [
                ...(v4 >= 0 ? splitList(row[v4] ?? null) : []),
                ...(v6 >= 0 ? splitList(row[v6] ?? null) : []),
              ];
            },
          },
        }
      : {}),
  });
}

/**
 * vSnapshot: one VM snapshot per row. The workbook has no snapshot moref (nor the tree's
 * parent), so the id is the VM's, the snapshot's name and its creation time, which together tell
 * a VM's snapshots apart; the diff pairs it with the collector's record by the same three.
 */
export function importSnapshots(ctx: SheetContext, sheet: Sheet): void {
  const nameCol = sheet.col('Name');
  if (nameCol < 0) return;
  const nameOf = (row: readonly Cell[]): string | null => asText(row[nameCol] ?? null);
  emitChildren(ctx, 'snapshot', 'vSnapshot', sheet, {
    idOf: (vmId, f, row) => {
      const name = nameOf(row);
      if (name === null) return null;
      return `${vmId}/snapshot-${pathKey(`${name}\u0000${String(f['createdAt'] ?? '')}`)}`;
    },
    nameOf: (_f, id, row) => nameOf(row) ?? id,
  });
}

/**
 * vLicense: one license of the endpoint per row. Its key is masked in the workbook (RVTools masks
 * all but the last group; so does our export) while the collector's id is a digest of the full
 * key, so the id here is the masked key and the name: the natural key the diff pairs licenses by.
 * Rows without a key are left out.
 */
export function importLicenses(ctx: SheetContext, sheet: Sheet): void {
  const m = boundFields('vLicense', sheet);
  if (!m.getters.has('maskedKey')) return;
  const nameCol = sheet.col('Name');
  const lists = (['features', 'labels'] as const)
    .map((field) => [field, sheet.col(field === 'features' ? 'Features' : 'Labels')] as const)
    .filter(([, i]) => i >= 0);
  ctx.fields.set('license', [...m.getters.keys(), ...lists.map(([field]) => field)]);
  const seen = new Set<string>();
  for (const row of sheet.rows) {
    const f: Record<string, FieldValue> = {};
    for (const [field, get] of m.getters) f[field] = get(row);
    const key = f['maskedKey'];
    if (typeof key !== 'string') continue;
    for (const [field, i] of lists) f[field] = splitList(row[i] ?? null);
    const name = (nameCol >= 0 ? asText(row[nameCol] ?? null) : null) ?? key;
    const ep = ctx.epOf(sheet, row);
    const id = `license-masked-${pathKey(`${key}\u0000${name}`)}`;
    if (seen.has(`${ep.key}\u0000${id}`)) continue;
    seen.add(`${ep.key}\u0000${id}`);
    ctx.add('license', ep, id, name, f);
  }
}

/** vSource's columns of the server's facts (`ServiceContent.about`), by the field they fill. */
export const SOURCE_ABOUT: readonly (readonly [keyof EndpointAbout, string])[] = [
  ['name', 'Name'],
  ['osType', 'OS type'],
  ['apiType', 'API type'],
  ['apiVersion', 'API version'],
  ['version', 'Version'],
  ['build', 'Build'],
  ['fullName', 'Fullname'],
  ['productLineId', 'Product line'],
  ['vendor', 'Vendor'],
  ['instanceUuid', 'VI SDK UUID'],
];

/** The few facts vInfo repeats on every VM row: what a workbook without vSource still says. */
export const VINFO_ABOUT: readonly (readonly [keyof EndpointAbout, string])[] = [
  ['apiType', 'VI SDK Server type'],
  ['apiVersion', 'VI SDK API Version'],
  ['instanceUuid', 'VI SDK UUID'],
];

/**
 * The facts each server gave about itself, by its VI SDK Server, from the `columns` of `sheet`
 * (vSource's, or vInfo's few); the first row of a server wins, absent columns are null. A row
 * without any of version, build, API version, full name or instance UUID is an endpoint never
 * synced (the export then writes only its host and type): it gives no facts rather than
 * invented ones.
 */
export function readSources(
  sheet: Sheet,
  serverOf: (row: readonly Cell[]) => string,
  columns: readonly (readonly [keyof EndpointAbout, string])[],
  into: Map<string, EndpointAbout> = new Map(),
): Map<string, EndpointAbout> {
  const cols = columns.map(([k, header]) => [k, sheet.col(header)] as const);
  if (cols.every(([, i]) => i < 0)) return into;
  const blank = Object.fromEntries(SOURCE_ABOUT.map(([k]) => [k, null])) as EndpointAbout;
  for (const row of sheet.rows) {
    const server = serverOf(row);
    if (into.has(server)) continue;
    const about: EndpointAbout = { ...blank };
    for (const [k, i] of cols) if (i >= 0) about[k] = asText(row[i] ?? null);
    const facts = [
      about.version,
      about.build,
      about.apiVersion,
      about.fullName,
      about.instanceUuid,
    ];
    if (facts.some((v) => v !== null)) into.set(server, about);
  }
  return into;
}

/** vCPU, vMemory, vTools: their bound columns add fields to the VM of the row. */
export function mergeVmFields(
  ctx: SheetContext,
  name: string,
  sheet: Sheet,
  vms: ReadonlyMap<string, EntityRecord>,
): void {
  const vmOf = ctx.vmOf(sheet);
  if (!vmOf) return;
  const m = boundFields(name, sheet);
  const known = new Set(ctx.fields.get('vm') ?? []);
  ctx.fields.set('vm', [...known, ...[...m.getters.keys()].filter((k) => !known.has(k))]);
  for (const row of sheet.rows) {
    const vm = vms.get(`${ctx.epOf(sheet, row).key}\u0000${vmOf(row) ?? ''}`);
    if (!vm) continue;
    const f = vm.fields as Record<string, FieldValue>;
    for (const [field, get] of m.getters) {
      const v = get(row);
      if (v !== null || !(field in f)) f[field] = v;
    }
  }
}
