import type { EntityType, FieldValue } from '../../shared/entities.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { EntityRecord, SourceEndpoint } from '../export/records.js';
import { keyEndpoints } from '../export/records.js';
import type { InventorySource } from '../export/source.js';
import { PAGE } from '../export/source.js';
import type { ImportControl } from './import-runs.js';
import type { XlsxValue, XlsxWorkbook } from './xlsx-stream.js';
import { openXlsx } from './xlsx-stream.js';
import { columnBindings } from '../export/rvtools.js';
import { pathKey } from '../collectors/vsphere/vm-mapper.js';
import type { CellRead } from '../export/rvtools/table.js';

/*
 * Reads an RVTools workbook (vInfo, vHost, vDatastore, vCluster; any 3.x/4.x version: headers are
 * found by name, with the older "MB" spellings too) into an inventory source, which the snapshot
 * store saves read-only. Only the fields a workbook really carries are declared, so a diff
 * against a live snapshot compares those and nothing else. RVTools knows hosts, clusters and
 * datacenters of a VM by name; references use the workbook's Object IDs where it has them.
 * The workbook is streamed (see xlsx-stream.ts): only the sheets below are parsed, and only
 * their cell values are kept.
 */

const MIB = 2 ** 20;

/** The sheets an import reads; every other sheet is left compressed in the zip. */
export const RVTOOLS_IMPORT_SHEETS = [
  'vInfo',
  'vHost',
  'vDatastore',
  'vCluster',
  'vMetaData',
  'vDisk',
  'vPartition',
  'vCPU',
  'vMemory',
  'vTools',
  'vNIC',
  'vHBA',
  'vSC_VMK',
];

/** Sheets of one row per host device, keyed `<host id>/<prefix><device>` as the collector does. */
const HOST_DEVICE_SHEETS = [
  ['vNIC', 'hostNic', 'pnic-'],
  ['vHBA', 'hba', 'hba-'],
  ['vSC_VMK', 'vmkernel', 'vmk-'],
] as const;

/** Sheets of one row per VM whose bound columns add fields to vInfo's VM records. */
const VM_FIELD_SHEETS = ['vCPU', 'vMemory', 'vTools'] as const;

/** Rows read between two progress reports of a sheet. */
const PROGRESS_ROWS = 1000;

type Cell = XlsxValue;

const cellValue = (v: Cell | undefined): string | number | boolean | Date | null => v ?? null;

const asText = (v: Cell): string | null => {
  const x = cellValue(v);
  if (x === null) return null;
  if (x instanceof Date) return x.toISOString();
  const s = String(x).trim();
  return s === '' ? null : s;
};
const asNumber = (v: Cell): number | null => {
  const x = cellValue(v);
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    const n = Number(x.replace(/[ ,]/g, ''));
    return x.trim() !== '' && Number.isFinite(n) ? n : null;
  }
  return null;
};
const asBool = (v: Cell): boolean | null => {
  const x = cellValue(v);
  if (typeof x === 'boolean') return x;
  if (typeof x === 'string') {
    const s = x.trim().toLowerCase();
    if (s === 'true' || s === 'yes') return true;
    if (s === 'false' || s === 'no') return false;
  }
  return null;
};
const asTime = (v: Cell): string | null => {
  const x = cellValue(v);
  if (x instanceof Date) return x.toISOString();
  if (typeof x === 'number') return new Date(Math.round((x - 25_569) * 86_400_000)).toISOString();
  if (typeof x === 'string' && x.trim() !== '' && !Number.isNaN(Date.parse(x))) {
    return new Date(x).toISOString();
  }
  return null;
};

interface Sheet {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  col(...names: string[]): number;
}

async function readSheet(
  wb: XlsxWorkbook,
  name: string,
  ctl: ImportControl,
): Promise<Sheet | null> {
  if (!wb.has(name)) return null;
  const headers: string[] = [];
  const rows: Cell[][] = [];
  const phase = `read ${name}`;
  ctl.onProgress?.({ phase, done: 0 });
  await wb.rows(name, (row) => {
    if (row.n === 1) headers.push(...Array.from(row.values, (v) => asText(v ?? null) ?? ''));
    else if (row.values.some((v) => asText(v ?? null) !== null)) {
      // A workbook saved by Excel may carry blank formatted rows after the data.
      rows.push(row.values);
      if (rows.length % PROGRESS_ROWS === 0) ctl.onProgress?.({ phase, done: rows.length });
    }
  });
  ctl.onProgress?.({ phase, done: rows.length });
  const index = new Map<string, number>();
  headers.forEach((h, i) => {
    if (!index.has(h.toLowerCase())) index.set(h.toLowerCase(), i);
  });
  return {
    headers,
    rows,
    col: (...names) => {
      for (const n of names) {
        const i = index.get(n.toLowerCase());
        if (i !== undefined) return i;
      }
      return -1;
    },
  };
}

type Getter = (row: readonly Cell[]) => FieldValue;

/** Fields of one type: the getters of the columns present in the sheet. */
class FieldMap {
  readonly getters = new Map<string, Getter>();
  constructor(private readonly sheet: Sheet) {}
  add(field: string, names: string | string[], read: (v: Cell) => FieldValue): void {
    const i = this.sheet.col(...(Array.isArray(names) ? names : [names]));
    if (i >= 0) this.getters.set(field, (row) => read(row[i] ?? null));
  }
  derived(field: string, needs: string[], get: Getter): void {
    if (needs.every((n) => this.sheet.col(n) >= 0)) this.getters.set(field, get);
  }
}

const READ: Record<CellRead, (v: Cell) => FieldValue> = {
  text: asText,
  num: asNumber,
  bool: asBool,
  time: asTime,
  hwVersion: (v) => (typeof v === 'number' && Number.isInteger(v) ? `vmx-${v}` : asText(v)),
  mib: (v) => {
    const n = asNumber(v);
    return n === null ? null : n * MIB;
  },
};

/**
 * The fields the export's table binds to columns of `name` (../export/rvtools/), read back from
 * the columns this workbook has (by header or an older spelling of it).
 */
function boundFields(name: string, sheet: Sheet): FieldMap {
  const m = new FieldMap(sheet);
  for (const c of columnBindings(name)) {
    const b = c.binding;
    m.add(b.field, [c.header, ...(b.aliases ?? [])], READ[b.read]);
  }
  return m;
}

export interface RvtoolsInventory extends InventorySource {
  readonly sheets: readonly string[];
}

/**
 * Reads the workbook at `file` into an inventory source, streaming only the sheets an import
 * uses. Progress is reported per sheet as rows read so far; `signal` stops it with `CANCELLED`.
 *
 * @example
 * const inv = await readRvtoolsWorkbook('RVTools_export_all.xlsx', { onProgress: console.log });
 */
export async function readRvtoolsWorkbook(
  file: string,
  ctl: ImportControl = {},
): Promise<RvtoolsInventory> {
  let wb: XlsxWorkbook;
  const unreadable = (e: unknown): unknown =>
    isAppError(e)
      ? e
      : new AppError(
          'VALIDATION',
          `Cannot read ${file} as an XLSX workbook: ${(e as Error).message}`,
        );
  try {
    wb = await openXlsx(file, ctl.signal, ctl.limits);
  } catch (e) {
    throw unreadable(e);
  }
  let vInfo: Sheet | null;
  let vHost: Sheet | null;
  let vDatastore: Sheet | null;
  let vCluster: Sheet | null;
  let vMeta: Sheet | null;
  const more = new Map<string, Sheet>();
  try {
    vInfo = await readSheet(wb, 'vInfo', ctl);
    if (!vInfo || vInfo.col('VM', 'VM Name') < 0) {
      throw new AppError(
        'VALIDATION',
        `${file} is not an RVTools workbook: it has no vInfo sheet with a VM column`,
      );
    }
    vHost = await readSheet(wb, 'vHost', ctl);
    vDatastore = await readSheet(wb, 'vDatastore', ctl);
    vCluster = await readSheet(wb, 'vCluster', ctl);
    vMeta = await readSheet(wb, 'vMetaData', ctl);
    const deviceSheets = HOST_DEVICE_SHEETS.map(([name]) => name);
    for (const name of ['vDisk', 'vPartition', ...VM_FIELD_SHEETS, ...deviceSheets]) {
      const sheet = await readSheet(wb, name, ctl);
      if (sheet) more.set(name, sheet);
    }
  } catch (e) {
    throw unreadable(e);
  } finally {
    wb.close();
  }

  const metaServer =
    vMeta && vMeta.rows[0] ? asText(vMeta.rows[0][vMeta.col('Server')] ?? null) : null;
  const createdAt =
    (vMeta && vMeta.rows[0]
      ? asTime(vMeta.rows[0][vMeta.col('xlsx creation datetime')] ?? null)
      : null) ??
    wb.created?.toISOString() ??
    new Date().toISOString();
  const fallbackServer = metaServer?.split(',')[0]?.trim() || 'rvtools';

  const serverOf = (sheet: Sheet, row: readonly Cell[]): string => {
    const i = sheet.col('VI SDK Server');
    return (i >= 0 ? asText(row[i] ?? null) : null) ?? fallbackServer;
  };

  // Endpoints: every VI SDK Server named anywhere.
  const hosts = new Set<string>();
  for (const s of [vInfo, vHost, vDatastore, vCluster]) {
    if (s) for (const r of s.rows) hosts.add(serverOf(s, r));
  }
  const endpoints = keyEndpoints(
    [...hosts].sort().map((h) => ({ name: h, kind: 'vcenter', host: h, port: null })),
  );
  const epOf = new Map(endpoints.map((e) => [e.host, e]));

  const entities = new Map<EntityType, EntityRecord[]>();
  const fields = new Map<EntityType, string[]>();
  const add = (
    type: EntityType,
    ep: SourceEndpoint,
    id: string,
    name: string,
    f: Record<string, FieldValue>,
  ): void => {
    let list = entities.get(type);
    if (!list) entities.set(type, (list = []));
    list.push({ type, ep, id, name, fields: f });
  };
  const emit = (
    type: EntityType,
    sheet: Sheet,
    map: FieldMap,
    idOf: (row: readonly Cell[]) => string | null,
    nameCol: number,
    extra?: (row: readonly Cell[], f: Record<string, FieldValue>) => void,
  ): void => {
    fields.set(type, [...map.getters.keys(), ...(fields.get(type) ?? [])]);
    for (const row of sheet.rows) {
      const name = asText(row[nameCol] ?? null);
      if (name === null) continue;
      const f: Record<string, FieldValue> = {};
      for (const [field, get] of map.getters) f[field] = get(row);
      extra?.(row, f);
      add(type, epOf.get(serverOf(sheet, row))!, idOf(row) ?? name, name, f);
    }
  };
  const objectId = (sheet: Sheet) => {
    const i = sheet.col('Object ID', 'MoRef', 'MOID');
    return (row: readonly Cell[]): string | null => (i >= 0 ? asText(row[i] ?? null) : null);
  };

  // Name → id maps for references, per endpoint.
  const refKey = (server: string, name: string): string => `${server}\u0000${name}`;
  const hostIds = new Map<string, string>();
  const clusterIds = new Map<string, string>();
  const datacenters = new Map<string, { ep: SourceEndpoint; name: string }>();
  const noteDc = (server: string, name: string | null): string | null => {
    if (name === null) return null;
    datacenters.set(refKey(server, name), { ep: epOf.get(server)!, name });
    return name;
  };

  if (vCluster) {
    const m = boundFields('vCluster', vCluster);
    const id = objectId(vCluster);
    const nameCol = vCluster.col('Name');
    for (const row of vCluster.rows) {
      const name = asText(row[nameCol] ?? null);
      if (name !== null) clusterIds.set(refKey(serverOf(vCluster, row), name), id(row) ?? name);
    }
    if (nameCol >= 0) emit('cluster', vCluster, m, id, nameCol);
  }
  if (vHost) {
    const m = boundFields('vHost', vHost);
    const dcCol = vHost.col('Datacenter');
    const clCol = vHost.col('Cluster');
    if (dcCol >= 0) m.getters.set('datacenterId', () => null);
    if (clCol >= 0) m.getters.set('clusterId', () => null);
    const id = objectId(vHost);
    const nameCol = vHost.col('Host');
    for (const row of vHost.rows) {
      const name = asText(row[nameCol] ?? null);
      if (name !== null) hostIds.set(refKey(serverOf(vHost, row), name), id(row) ?? name);
    }
    if (nameCol >= 0) {
      emit('host', vHost, m, id, nameCol, (row, f) => {
        const server = serverOf(vHost, row);
        if (dcCol >= 0) f['datacenterId'] = noteDc(server, asText(row[dcCol] ?? null));
        if (clCol >= 0) {
          const c = asText(row[clCol] ?? null);
          f['clusterId'] = c === null ? null : (clusterIds.get(refKey(server, c)) ?? c);
        }
      });
    }
  }
  if (vDatastore) {
    const m = boundFields('vDatastore', vDatastore);
    const nameCol = vDatastore.col('Name');
    if (nameCol >= 0) emit('datastore', vDatastore, m, objectId(vDatastore), nameCol);
  }

  const m = boundFields('vInfo', vInfo);
  const dcCol = vInfo.col('Datacenter');
  const clCol = vInfo.col('Cluster');
  const hostCol = vInfo.col('Host');
  for (const [f, col] of [
    ['datacenterId', dcCol],
    ['clusterId', clCol],
    ['hostId', hostCol],
  ] as const) {
    if (col >= 0) m.getters.set(f, () => null);
  }
  // RVTools puts custom attributes between Annotation and Datacenter.
  const ann = vInfo.col('Annotation');
  const customCols: [string, number][] = [];
  if (ann >= 0 && dcCol > ann) {
    for (let i = ann + 1; i < dcCol; i++) {
      const h = vInfo.headers[i];
      if (h) customCols.push([h, i]);
    }
  }
  if (customCols.length > 0) m.getters.set('customAttributes', () => null);
  const vmIdCol = vInfo.col('VM ID');
  const uuidCol = vInfo.col('VM UUID');
  emit(
    'vm',
    vInfo,
    m,
    (row) =>
      (vmIdCol >= 0 ? asText(row[vmIdCol] ?? null) : null) ??
      (uuidCol >= 0 ? asText(row[uuidCol] ?? null) : null),
    vInfo.col('VM', 'VM Name'),
    (row, f) => {
      const server = serverOf(vInfo, row);
      if (dcCol >= 0) f['datacenterId'] = noteDc(server, asText(row[dcCol] ?? null));
      if (clCol >= 0) {
        const c = asText(row[clCol] ?? null);
        f['clusterId'] = c === null ? null : (clusterIds.get(refKey(server, c)) ?? c);
      }
      if (hostCol >= 0) {
        const h = asText(row[hostCol] ?? null);
        f['hostId'] = h === null ? null : (hostIds.get(refKey(server, h)) ?? h);
      }
      if (customCols.length > 0) {
        const ca: Record<string, string> = {};
        for (const [name, i] of customCols) {
          const v = asText(row[i] ?? null);
          if (v !== null) ca[name] = v;
        }
        f['customAttributes'] = ca;
      }
    },
  );
  const ctx: SheetContext = {
    add,
    fields,
    epOf: (s, row) => epOf.get(serverOf(s, row))!,
    hostId: (s, row, name) => hostIds.get(refKey(serverOf(s, row), name)) ?? name,
  };
  const vms = new Map<string, EntityRecord>();
  for (const r of entities.get('vm') ?? []) vms.set(`${r.ep.key}\u0000${r.id}`, r);
  for (const name of VM_FIELD_SHEETS) {
    const sheet = more.get(name);
    if (sheet) mergeVmFields(ctx, name, sheet, vms);
  }
  const vDisk = more.get('vDisk');
  if (vDisk) importDisks(ctx, vDisk);
  const vPartition = more.get('vPartition');
  if (vPartition) importPartitions(ctx, vPartition);
  for (const [name, type, prefix] of HOST_DEVICE_SHEETS) {
    const sheet = more.get(name);
    if (sheet) importHostDevices(ctx, name, type, prefix, sheet);
  }
  for (const dc of datacenters.values()) add('datacenter', dc.ep, dc.name, dc.name, {});
  if (datacenters.size > 0) fields.set('datacenter', []);
  // Without a vCluster (vHost) sheet, the clusters (hosts) VMs name still exist, by name only.
  for (const [type, sheet, col] of [
    ['cluster', vCluster, 'Cluster'],
    ['host', vHost, 'Host'],
  ] as const) {
    if (sheet !== null) continue;
    const i = vInfo.col(col);
    if (i < 0) continue;
    const seen = new Set<string>();
    for (const row of vInfo.rows) {
      const name = asText(row[i] ?? null);
      const server = serverOf(vInfo, row);
      if (name === null || seen.has(refKey(server, name))) continue;
      seen.add(refKey(server, name));
      add(type, epOf.get(server)!, name, name, {});
    }
    if (seen.size > 0) fields.set(type, []);
  }

  return inventoryOf(wb.sheetNames, createdAt, endpoints, entities, fields);
}

/** What a sheet's block needs from the import: where records go, and a row's endpoint. */
interface SheetContext {
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
}

/**
 * vNIC, vHBA, vSC_VMK: one host device per row, `hostId` from its Host column and the id the
 * collector gives it (`<host id>/<prefix><device>`); rows without a host or device are left out.
 */
function importHostDevices(
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

/**
 * Emits one record of `type` per row of a device sheet: fields from the sheet's bound columns,
 * `vmId` from its "VM ID" column, and the id the vSphere collector gives the record (`idOf`,
 * from the VM id and the row's fields; rows it cannot key are left out).
 */
function emitChildren(
  ctx: SheetContext,
  type: EntityType,
  name: string,
  sheet: Sheet,
  idOf: (vmId: string, f: Record<string, FieldValue>) => string | null,
  nameOf: (f: Record<string, FieldValue>, id: string) => string,
): void {
  const vmCol = sheet.col('VM ID');
  if (vmCol < 0) return;
  const m = boundFields(name, sheet);
  ctx.fields.set(type, ['vmId', ...m.getters.keys()]);
  for (const row of sheet.rows) {
    const vmId = asText(row[vmCol] ?? null);
    if (vmId === null) continue;
    const f: Record<string, FieldValue> = { vmId };
    for (const [field, get] of m.getters) f[field] = get(row);
    const id = idOf(vmId, f);
    if (id !== null) ctx.add(type, ctx.epOf(sheet, row), id, nameOf(f, id), f);
  }
}

/** vDisk: one virtual disk per row, keyed as the collector keys it (VM id and device key). */
function importDisks(ctx: SheetContext, sheet: Sheet): void {
  emitChildren(
    ctx,
    'vmDisk',
    'vDisk',
    sheet,
    (vmId, f) => (typeof f['diskKey'] === 'number' ? `${vmId}/disk-${f['diskKey']}` : null),
    (f) => (typeof f['label'] === 'string' ? f['label'] : `disk-${String(f['diskKey'])}`),
  );
}

/** vPartition: one guest disk per row, keyed as the collector keys it (VM id and path). */
function importPartitions(ctx: SheetContext, sheet: Sheet): void {
  emitChildren(
    ctx,
    'guestPartition',
    'vPartition',
    sheet,
    (vmId, f) => (typeof f['path'] === 'string' ? `${vmId}/part-${pathKey(f['path'])}` : null),
    (f, id) => (typeof f['path'] === 'string' ? f['path'] : id),
  );
}

/** vCPU, vMemory, vTools: their bound columns add fields to the VM of the row's "VM ID". */
function mergeVmFields(
  ctx: SheetContext,
  name: string,
  sheet: Sheet,
  vms: ReadonlyMap<string, EntityRecord>,
): void {
  const vmCol = sheet.col('VM ID');
  if (vmCol < 0) return;
  const m = boundFields(name, sheet);
  const known = new Set(ctx.fields.get('vm') ?? []);
  ctx.fields.set('vm', [...known, ...[...m.getters.keys()].filter((k) => !known.has(k))]);
  for (const row of sheet.rows) {
    const vm = vms.get(`${ctx.epOf(sheet, row).key}\u0000${asText(row[vmCol] ?? null) ?? ''}`);
    if (!vm) continue;
    const f = vm.fields as Record<string, FieldValue>;
    for (const [field, get] of m.getters) {
      const v = get(row);
      if (v !== null || !(field in f)) f[field] = v;
    }
  }
}

/**
 * The source over the records read. Built outside `readRvtoolsWorkbook` so its closures do not
 * keep that function's scope, and with it every sheet row, alive while the snapshot is saved.
 */
function inventoryOf(
  sheets: readonly string[],
  createdAt: string,
  endpoints: readonly SourceEndpoint[],
  entities: ReadonlyMap<EntityType, readonly EntityRecord[]>,
  fields: ReadonlyMap<EntityType, readonly string[]>,
): RvtoolsInventory {
  return {
    sheets,
    label: null,
    createdAt,
    endpoints,
    fieldsOf: (type) => fields.get(type) ?? [],
    count: (type) => entities.get(type)?.length ?? 0,
    *pages(type) {
      // Pages as a live source's, so a save reports progress and can stop between them.
      const list = entities.get(type) ?? [];
      for (let i = 0; i < list.length; i += PAGE) yield list.slice(i, i + PAGE);
    },
    close: () => undefined,
  };
}
