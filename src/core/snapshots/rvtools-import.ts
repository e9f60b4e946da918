import type { EndpointAbout } from '../../shared/endpoints.js';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { EntityRecord, SourceEndpoint } from '../export/records.js';
import { keyEndpoints } from '../export/records.js';
import type { InventorySource } from '../export/source.js';
import { PAGE } from '../export/source.js';
import type { ImportControl } from './import-runs.js';
import type { SheetContext } from './rvtools-children.js';
import {
  importDisks,
  importHostDevices,
  importLicenses,
  importNics,
  importPartitions,
  importSnapshots,
  mergeVmFields,
  readSources,
  SOURCE_ABOUT,
  VINFO_ABOUT,
} from './rvtools-children.js';
import {
  importDatastoreClusters,
  importDvPortgroups,
  importDvSwitches,
  portgroupDatacenters,
} from './rvtools-network.js';
import type { Cell, FieldMap, Sheet } from './rvtools-sheet.js';
import { asText, asTime, boundFields, readSheet } from './rvtools-sheet.js';
import type { XlsxWorkbook } from './xlsx-stream.js';
import { openXlsx } from './xlsx-stream.js';

/*
 * Reads an RVTools workbook (the sheets below; any 3.x/4.x version: headers are found by name,
 * with the older "MB" spellings too) into an inventory source, which the snapshot
 * store saves read-only. Only the fields a workbook really carries are declared, so a diff
 * against a live snapshot compares those and nothing else. RVTools knows hosts, clusters and
 * datacenters of a VM by name; references use the workbook's Object IDs where it has them.
 * The workbook is streamed (see xlsx-stream.ts): only the sheets below are parsed, and only
 * their cell values are kept.
 */

/** The sheets whose names and references the others' rows resolve against. */
const CORE_SHEETS = ['vInfo', 'vHost', 'vDatastore', 'vCluster', 'vMetaData'] as const;
/** The sheets read after them: a VM's devices and fields, host devices, licenses, servers. */
const MORE_SHEETS = [
  'vRP',
  'vDisk',
  'vPartition',
  'vNetwork',
  'vSnapshot',
  'vCPU',
  'vMemory',
  'vTools',
  'vNIC',
  'vHBA',
  'vSC_VMK',
  'dvSwitch',
  'dvPort',
  'vLicense',
  'vSource',
] as const;

/** The sheets an import reads; every other sheet is left compressed in the zip. */
export const RVTOOLS_IMPORT_SHEETS: readonly string[] = [...CORE_SHEETS, ...MORE_SHEETS];

/** Sheets of one row per host device, keyed `<host id>/<prefix><device>` as the collector does. */
const HOST_DEVICE_SHEETS = [
  ['vNIC', 'hostNic', 'pnic-'],
  ['vHBA', 'hba', 'hba-'],
  ['vSC_VMK', 'vmkernel', 'vmk-'],
] as const;

/** Sheets of one row per VM whose bound columns add fields to vInfo's VM records. */
const VM_FIELD_SHEETS = ['vCPU', 'vMemory', 'vTools'] as const;

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
    for (const name of MORE_SHEETS) {
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

  // Endpoints: every VI SDK Server named anywhere, with the facts vSource gives of it.
  const hosts = new Set<string>();
  for (const s of [vInfo, vHost, vDatastore, vCluster, ...more.values()]) {
    if (s) for (const r of s.rows) hosts.add(serverOf(s, r));
  }
  // vSource first; a server it does not describe keeps what vInfo's rows say of it.
  const vSource = more.get('vSource');
  const abouts = new Map<string, EndpointAbout>();
  if (vSource) readSources(vSource, (row) => serverOf(vSource, row), SOURCE_ABOUT, abouts);
  readSources(vInfo, (row) => serverOf(vInfo!, row), VINFO_ABOUT, abouts);
  const endpoints = keyEndpoints(
    [...hosts].sort().map((h) => ({
      name: h,
      kind: 'vcenter',
      host: h,
      port: null,
      about: abouts.get(h) ?? null,
    })),
  );
  const epOf = new Map(endpoints.map((e) => [e.host, e]));
  const epOfRow = (s: Sheet, row: readonly Cell[]): SourceEndpoint => epOf.get(serverOf(s, row))!;

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
    // The datastore clusters its rows name, and each datastore's relation to its cluster.
    const clusterOf = importDatastoreClusters({ add, fields, epOf: epOfRow }, vDatastore);
    if (clusterOf) m.getters.set('datastoreClusterId', clusterOf);
    if (nameCol >= 0) emit('datastore', vDatastore, m, objectId(vDatastore), nameCol);
  }
  const vRP = more.get('vRP');
  if (vRP) {
    const nameCol = vRP.col('Resource Pool name');
    if (nameCol >= 0) emit('resourcePool', vRP, boundFields('vRP', vRP), objectId(vRP), nameCol);
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
  const vms = new Map<string, EntityRecord>();
  // A VM by name, per endpoint: null when two VMs share the name (the row cannot tell which).
  const vmByName = new Map<string, string | null>();
  for (const r of entities.get('vm') ?? []) {
    vms.set(`${r.ep.key}\u0000${r.id}`, r);
    const k = `${r.ep.key}\u0000${r.name}`;
    vmByName.set(k, vmByName.has(k) ? null : r.id);
  }
  const ctx: SheetContext = {
    add,
    fields,
    epOf: epOfRow,
    hostId: (s, row, name) => hostIds.get(refKey(serverOf(s, row), name)) ?? name,
    vmOf: (s) => {
      const idCol = s.col('VM ID');
      const nameCol = s.col('VM', 'VM Name');
      if (idCol < 0 && nameCol < 0) return null;
      return (row) => {
        const ep = epOfRow(s, row).key;
        if (idCol < 0)
          return vmByName.get(`${ep}\u0000${asText(row[nameCol] ?? null) ?? ''}`) ?? null;
        const id = asText(row[idCol] ?? null);
        return id !== null && vms.has(`${ep}\u0000${id}`) ? id : null;
      };
    },
  };
  for (const name of VM_FIELD_SHEETS) {
    const sheet = more.get(name);
    if (sheet) mergeVmFields(ctx, name, sheet, vms);
  }
  const children = [
    ['vDisk', importDisks],
    ['vPartition', importPartitions],
    ['vNetwork', importNics],
    ['vSnapshot', importSnapshots],
    ['vLicense', importLicenses],
  ] as const;
  for (const [name, read] of children) {
    const sheet = more.get(name);
    if (sheet) read(ctx, sheet);
  }
  for (const [name, type, prefix] of HOST_DEVICE_SHEETS) {
    const sheet = more.get(name);
    if (sheet) importHostDevices(ctx, name, type, prefix, sheet);
  }
  const dvSwitch = more.get('dvSwitch');
  const switches = dvSwitch
    ? importDvSwitches(ctx, dvSwitch, (row, name) => noteDc(serverOf(dvSwitch, row), name))
    : new Map();
  const dvPort = more.get('dvPort');
  if (dvPort) {
    const used = portgroupDatacenters(ctx, [
      [more.get('vNetwork'), 'Network'],
      [more.get('vSC_VMK'), 'Port Group'],
    ]);
    importDvPortgroups(ctx, dvPort, switches, used);
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
