import type { EntityType, FieldValue } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { EntityRecord, SourceEndpoint } from './records.js';
import type { InventorySource, Lookups } from './source.js';
import { hostSheets } from './rvtools-host.js';
import { buildLookups, records } from './source.js';
import type { CellKind, CellValue, SheetColumn } from './xlsx-writer.js';
import { XlsxStreamWriter } from './xlsx-writer.js';

/*
 * The workbook RVTools writes, for the sheets and columns we hold: RVTools' own sheet names and
 * column headers, in its order (RVTools 4.x), so tools that import RVTools workbooks read ours.
 * Columns we do not collect are left out rather than written empty. Custom attributes follow
 * `Annotation` in vInfo, as RVTools places them. Hyper-V rows share the sheets; `VI SDK Server`
 * names their endpoint and `VI SDK Server type` says Hyper-V.
 */

export const RVTOOLS_LAYOUT_VERSION = 4;

export interface XlsxProgress {
  (phase: string, done: number, total: number): void;
}

export interface XlsxExportOptions {
  readonly signal?: AbortSignal;
  readonly progress?: XlsxProgress;
  readonly appVersion: string;
  readonly now?: Date;
  readonly compressionLevel?: number;
}

const MIB = 2 ** 20;

const str = (v: FieldValue | undefined): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
const num = (v: FieldValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const bool = (v: FieldValue | undefined): boolean | null => (typeof v === 'boolean' ? v : null);
const ids = (v: FieldValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
const mib = (bytes: number | null): number | null =>
  bytes === null ? null : Math.round(bytes / MIB);

export function serverType(kind: string): string {
  return kind === 'hyperv' ? 'Hyper-V' : kind === 'esxi' ? 'HostAgent' : 'VirtualCenter';
}

/** A map keyed by (endpoint, id) without building a key string per lookup. */
class EpMap<T> {
  private readonly map = new Map<SourceEndpoint, Map<string, T>>();
  get(ep: SourceEndpoint, id: FieldValue | undefined): T | undefined {
    return typeof id === 'string' ? this.map.get(ep)?.get(id) : undefined;
  }
  set(ep: SourceEndpoint, id: string, value: T): void {
    let m = this.map.get(ep);
    if (!m) this.map.set(ep, (m = new Map()));
    m.set(id, value);
  }
  *values(): IterableIterator<T> {
    for (const m of this.map.values()) yield* m.values();
  }
  get size(): number {
    let n = 0;
    for (const m of this.map.values()) n += m.size;
    return n;
  }
}

/** One copy of each repeated text (OS names, versions, folders) across 100,000 VM contexts. */
function interner(): (v: string | null) => string | null {
  const seen = new Map<string, string>();
  return (v) => {
    if (v === null || v.length > 200) return v;
    const hit = seen.get(v);
    if (hit !== undefined) return hit;
    if (seen.size < 50_000) seen.set(v, v);
    return v;
  };
}

/** What the VM sheets after vInfo need of a VM, gathered in one pass. */
interface VmCtx {
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
  readonly cpus: number | null;
  readonly coresPerSocket: number | null;
  readonly cpuUsageMhz: number | null;
  readonly memoryMb: number | null;
  readonly memoryUsageMb: number | null;
  readonly hwVersion: string | null;
  readonly toolsStatus: string | null;
  readonly toolsVersion: string | null;
  readonly cdromConnected: boolean | null;
}

interface Col<T> {
  readonly header: string;
  readonly kind: CellKind;
  readonly get: (row: T) => CellValue;
  readonly width?: number;
}

const c = <T>(
  header: string,
  kind: CellKind,
  get: (row: T) => CellValue,
  width?: number,
): Col<T> => (width === undefined ? { header, kind, get } : { header, kind, get, width });

/** The columns every VM sheet ends with, in RVTools' order. */
function vmTail<T>(ctx: (row: T) => VmCtx | undefined, withAnnotation = true): Col<T>[] {
  return [
    ...(withAnnotation ? [c<T>('Annotation', 'text', (r) => ctx(r)?.annotation, 30)] : []),
    c<T>('Datacenter', 'text', (r) => ctx(r)?.datacenter),
    c<T>('Cluster', 'text', (r) => ctx(r)?.cluster),
    c<T>('Host', 'text', (r) => ctx(r)?.host, 24),
    c<T>('Folder', 'text', (r) => ctx(r)?.folder, 24),
    c<T>('OS according to the configuration file', 'text', (r) => ctx(r)?.osConfig, 30),
    c<T>('OS according to the VMware Tools', 'text', (r) => ctx(r)?.osTools, 30),
    c<T>('VM ID', 'text', (r) => ctx(r)?.id),
    c<T>('VM UUID', 'text', (r) => ctx(r)?.uuid, 38),
    c<T>('VI SDK Server', 'text', (r) => ctx(r)?.server, 24),
  ];
}

function vmHead<T>(ctx: (row: T) => VmCtx | undefined, template = true): Col<T>[] {
  return [
    c<T>('VM', 'text', (r) => ctx(r)?.name, 28),
    c<T>('Powerstate', 'text', (r) => ctx(r)?.powerState),
    ...(template ? [c<T>('Template', 'text', (r) => ctx(r)?.template)] : []),
  ];
}

interface HostAgg {
  vmsTotal: number;
  vmsOn: number;
  vcpusOn: number;
  vramOn: number;
}

interface Plan {
  readonly name: string;
  readonly rows: number;
  readonly write: () => Promise<number>;
}

/**
 * Writes the RVTools-shaped workbook of `source` to `file` (the caller renames it into place).
 * Returns rows written per sheet.
 */
export async function writeRvtoolsWorkbook(
  source: InventorySource,
  file: string,
  opts: XlsxExportOptions,
): Promise<Record<string, number>> {
  const signal = opts.signal;
  const check = (): void => {
    if (signal?.aborted) throw new AppError('CANCELLED', 'Export cancelled');
  };
  const count = (t: EntityType): number => source.count(t);
  const lookups: Lookups = buildLookups(source);

  // One pass over disks and VMs gathers what later sheets need (totals, per-host counts).
  const diskMib = new EpMap<number>();
  for (const d of records(source, 'vmDisk')) {
    const vmId = d.fields['vmId'];
    if (typeof vmId !== 'string') continue;
    diskMib.set(d.ep, vmId, (diskMib.get(d.ep, vmId) ?? 0) + (num(d.fields['capacityBytes']) ?? 0));
  }
  check();
  const vms = new EpMap<VmCtx>();
  const customNames = new Set<string>();
  const hostAgg = new EpMap<HostAgg>();
  const dsVms = new EpMap<{ total: number; on: number }>();
  const rpVms = new EpMap<{ total: number; on: number; vcpusOn: number }>();
  const intern = interner();
  let cdRows = 0;
  for (const v of records(source, 'vm')) {
    const f = v.fields;
    const ca = f['customAttributes'];
    if (ca && typeof ca === 'object' && !Array.isArray(ca)) {
      for (const k of Object.keys(ca)) customNames.add(k);
    }
    const on = f['powerState'] === 'poweredOn';
    const hostId = f['hostId'];
    if (typeof hostId === 'string') {
      let agg = hostAgg.get(v.ep, hostId);
      if (!agg) hostAgg.set(v.ep, hostId, (agg = { vmsTotal: 0, vmsOn: 0, vcpusOn: 0, vramOn: 0 }));
      agg.vmsTotal++;
      if (on) {
        agg.vmsOn++;
        agg.vcpusOn += num(f['cpuCount']) ?? 0;
        agg.vramOn += num(f['memoryMb']) ?? 0;
      }
    }
    for (const ds of ids(f['datastoreIds'])) {
      let agg = dsVms.get(v.ep, ds);
      if (!agg) dsVms.set(v.ep, ds, (agg = { total: 0, on: 0 }));
      agg.total++;
      if (on) agg.on++;
    }
    const rp = f['resourcePoolId'];
    if (typeof rp === 'string') {
      let agg = rpVms.get(v.ep, rp);
      if (!agg) rpVms.set(v.ep, rp, (agg = { total: 0, on: 0, vcpusOn: 0 }));
      agg.total++;
      if (on) {
        agg.on++;
        agg.vcpusOn += num(f['cpuCount']) ?? 0;
      }
    }
    if (f['cdromConnected'] === true) cdRows++;
    vms.set(v.ep, v.id, {
      name: v.name,
      powerState: intern(str(f['powerState'])),
      template: bool(f['isTemplate']),
      annotation: intern(str(f['annotation'])),
      datacenter: lookups.name(v.ep, 'datacenter', f['datacenterId']),
      cluster: lookups.name(v.ep, 'cluster', f['clusterId']),
      host: lookups.name(v.ep, 'host', f['hostId']),
      folder: intern(str(f['folderPath'])),
      osConfig: intern(str(f['guestOs'])),
      osTools: intern(str(f['guestOsRunning'])),
      id: v.id,
      uuid: str(f['instanceUuid']),
      server: v.ep.host,
      cpus: num(f['cpuCount']),
      coresPerSocket: num(f['coresPerSocket']),
      cpuUsageMhz: num(f['cpuUsageMhz']),
      memoryMb: num(f['memoryMb']),
      memoryUsageMb: num(f['memoryUsageMb']),
      hwVersion: intern(str(f['hardwareVersion'])),
      toolsStatus: intern(str(f['toolsStatus'])),
      toolsVersion: intern(str(f['toolsVersion'])),
      cdromConnected: bool(f['cdromConnected']),
    });
  }
  check();
  const customs = [...customNames].sort((a, b) => a.localeCompare(b));

  const w = new XlsxStreamWriter(file, {
    creator: 'Infrascope',
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.compressionLevel !== undefined ? { compressionLevel: opts.compressionLevel } : {}),
  });
  const rowsBy: Record<string, number> = {};
  let done = 0;
  let total = 0;

  async function sheet<T>(
    name: string,
    cols: readonly Col<T>[],
    rows: Iterable<T>,
  ): Promise<number> {
    check();
    await w.startSheet(
      name,
      cols.map((x): SheetColumn =>
        x.width === undefined
          ? { header: x.header, kind: x.kind }
          : { header: x.header, kind: x.kind, width: x.width },
      ),
    );
    opts.progress?.(name, done, total);
    let n = 0;
    const values: CellValue[] = new Array<CellValue>(cols.length);
    for (const row of rows) {
      for (let i = 0; i < cols.length; i++) values[i] = cols[i]!.get(row);
      const wait = w.addRow(values);
      if (wait) await wait;
      n++;
      done++;
      if ((n & 1023) === 0) {
        check();
        opts.progress?.(name, done, total);
      }
    }
    await w.endSheet();
    rowsBy[name] = n;
    opts.progress?.(name, done, total);
    return n;
  }

  const ctxOf = (r: EntityRecord): VmCtx | undefined => vms.get(r.ep, r.fields['vmId']);
  const vmCtx = (x: VmCtx): VmCtx => x;

  // vInfo: one row per VM, read again so its wide row is never held for all VMs at once.
  const infoCols: Col<EntityRecord>[] = [
    c('VM', 'text', (r) => r.name, 28),
    c('Powerstate', 'text', (r) => str(r.fields['powerState'])),
    c('Template', 'text', (r) => bool(r.fields['isTemplate'])),
    c('DNS Name', 'text', (r) => str(r.fields['guestHostname']), 28),
    c('Connection state', 'text', (r) => str(r.fields['connectionState'])),
    c('Consolidation Needed', 'text', (r) => bool(r.fields['consolidationNeeded'])),
    c('PowerOn', 'date', (r) => str(r.fields['bootTime'])),
    c('CPUs', 'int', (r) => num(r.fields['cpuCount'])),
    c('Memory', 'int', (r) => num(r.fields['memoryMb'])),
    c('NICs', 'int', (r) => num(r.fields['nicCount'])),
    c('Disks', 'int', (r) => num(r.fields['diskCount'])),
    c('Total disk capacity MiB', 'int', (r) => {
      const b = diskMib.get(r.ep, r.id);
      return b === undefined ? null : mib(b);
    }),
    c('Primary IP Address', 'text', (r) => str(r.fields['ipAddress'])),
    ...Array.from({ length: 8 }, (_, i) =>
      c<EntityRecord>(`Network #${i + 1}`, 'text', (r) => {
        const id = ids(r.fields['networkIds'])[i];
        return id === undefined ? null : (lookups.name(r.ep, 'network', id) ?? id);
      }),
    ),
    c('Resource pool', 'text', (r) =>
      lookups.name(r.ep, 'resourcePool', r.fields['resourcePoolId']),
    ),
    c('Folder ID', 'text', (r) => str(r.fields['folderId'])),
    c('Folder', 'text', (r) => str(r.fields['folderPath']), 24),
    c('Provisioned MiB', 'int', (r) => mib(num(r.fields['provisionedBytes']))),
    c('In Use MiB', 'int', (r) => mib(num(r.fields['usedBytes']))),
    c('Firmware', 'text', (r) => str(r.fields['firmware'])),
    c('HW version', 'text', (r) => str(r.fields['hardwareVersion'])),
    c('Path', 'text', (r) => str(r.fields['vmPathName']), 40),
    c('Annotation', 'text', (r) => str(r.fields['annotation']), 30),
    ...customs.map((name) =>
      c<EntityRecord>(name, 'text', (r) => {
        const ca = r.fields['customAttributes'];
        return ca && typeof ca === 'object' && !Array.isArray(ca)
          ? str((ca as Record<string, FieldValue>)[name])
          : null;
      }),
    ),
    c('Datacenter', 'text', (r) => lookups.name(r.ep, 'datacenter', r.fields['datacenterId'])),
    c('Cluster', 'text', (r) => lookups.name(r.ep, 'cluster', r.fields['clusterId'])),
    c('Host', 'text', (r) => lookups.name(r.ep, 'host', r.fields['hostId']), 24),
    c('OS according to the configuration file', 'text', (r) => str(r.fields['guestOs']), 30),
    c('OS according to the VMware Tools', 'text', (r) => str(r.fields['guestOsRunning']), 30),
    c('VM ID', 'text', (r) => r.id),
    c('SMBIOS UUID', 'text', (r) => str(r.fields['uuid']), 38),
    c('VM UUID', 'text', (r) => str(r.fields['instanceUuid']), 38),
    c('VI SDK Server type', 'text', (r) => serverType(r.ep.kind)),
    c('VI SDK Server', 'text', (r) => r.ep.host, 24),
  ];

  const plans: Plan[] = [
    {
      name: 'vInfo',
      rows: count('vm'),
      write: () => sheet('vInfo', infoCols, records(source, 'vm')),
    },
    {
      name: 'vCPU',
      rows: vms.size,
      write: () =>
        sheet<VmCtx>(
          'vCPU',
          [
            ...vmHead(vmCtx),
            c('CPUs', 'int', (x) => x.cpus),
            c('Sockets', 'int', (x) =>
              x.cpus !== null && x.coresPerSocket ? Math.ceil(x.cpus / x.coresPerSocket) : null,
            ),
            c('Cores p/s', 'int', (x) => x.coresPerSocket),
            c('Overall', 'int', (x) => x.cpuUsageMhz),
            ...vmTail(vmCtx),
          ],
          vms.values(),
        ),
    },
    {
      name: 'vMemory',
      rows: vms.size,
      write: () =>
        sheet<VmCtx>(
          'vMemory',
          [
            ...vmHead(vmCtx),
            c('Size MiB', 'int', (x) => x.memoryMb),
            c('Active', 'int', (x) => x.memoryUsageMb),
            ...vmTail(vmCtx),
          ],
          vms.values(),
        ),
    },
    {
      name: 'vDisk',
      rows: count('vmDisk'),
      write: () =>
        sheet<EntityRecord>(
          'vDisk',
          [
            ...vmHead(ctxOf),
            c('Disk', 'text', (r) => str(r.fields['label'])),
            c('Disk Path', 'text', (r) => str(r.fields['fileName']), 40),
            c('Capacity MiB', 'int', (r) => mib(num(r.fields['capacityBytes']))),
            c('Disk Mode', 'text', (r) => str(r.fields['diskMode'])),
            c('Thin', 'text', (r) => bool(r.fields['thin'])),
            c('Controller', 'text', (r) => str(r.fields['controller'])),
            c('Unit #', 'int', (r) => num(r.fields['unitNumber'])),
            ...vmTail(ctxOf),
          ],
          records(source, 'vmDisk'),
        ),
    },
    {
      name: 'vNetwork',
      rows: count('vmNic'),
      write: () =>
        sheet<EntityRecord>(
          'vNetwork',
          [
            ...vmHead(ctxOf),
            c('NIC label', 'text', (r) => str(r.fields['label'])),
            c('Adapter', 'text', (r) => str(r.fields['adapterType'])),
            c('Network', 'text', (r) => str(r.fields['networkName']), 24),
            c('Switch', 'text', (r) => {
              const n = lookups.record(r.ep, 'network', r.fields['networkId']);
              return n ? str(n.fields['switchName']) : null;
            }),
            c('Connected', 'text', (r) => bool(r.fields['connected'])),
            c('Starts Connected', 'text', (r) => bool(r.fields['startConnected'])),
            c('Mac Address', 'text', (r) => str(r.fields['macAddress'])),
            c(
              'IPv4 Address',
              'text',
              (r) =>
                ids(r.fields['ipAddresses'])
                  .filter((ip) => !ip.includes(':'))
                  .join(', ') || null,
            ),
            c(
              'IPv6 Address',
              'text',
              (r) =>
                ids(r.fields['ipAddresses'])
                  .filter((ip) => ip.includes(':'))
                  .join(', ') || null,
            ),
            ...vmTail(ctxOf),
          ],
          records(source, 'vmNic'),
        ),
    },
    ...(cdRows > 0
      ? [
          {
            name: 'vCD',
            rows: cdRows,
            write: () =>
              sheet<VmCtx>(
                'vCD',
                [
                  ...vmHead(vmCtx),
                  c('Connected', 'text', (x) => x.cdromConnected),
                  ...vmTail(vmCtx),
                ],
                [...vms.values()].filter((x) => x.cdromConnected === true),
              ),
          },
        ]
      : []),
    {
      name: 'vSnapshot',
      rows: count('snapshot'),
      write: () =>
        sheet<EntityRecord>(
          'vSnapshot',
          [
            ...vmHead(ctxOf, false),
            c('Name', 'text', (r) => r.name, 24),
            c('Description', 'text', (r) => str(r.fields['description']), 30),
            c('Date / time', 'date', (r) => str(r.fields['createdAt'])),
            c('Size MiB (total)', 'int', (r) => mib(num(r.fields['sizeBytes']))),
            c('Quiesced', 'text', (r) => bool(r.fields['quiesced'])),
            c('State', 'text', (r) => str(r.fields['powerState'])),
            ...vmTail(ctxOf),
          ],
          records(source, 'snapshot'),
        ),
    },
    {
      name: 'vTools',
      rows: vms.size,
      write: () =>
        sheet<VmCtx>(
          'vTools',
          [
            ...vmHead(vmCtx),
            c('VM Version', 'text', (x) => x.hwVersion),
            c('Tools', 'text', (x) => x.toolsStatus),
            c('Tools Version', 'text', (x) => x.toolsVersion),
            ...vmTail(vmCtx),
          ],
          vms.values(),
        ),
    },
    ...hostSheets(source, lookups, {
      host: (ep, id) => hostAgg.get(ep, id),
      datastore: (ep, id) => dsVms.get(ep, id),
      pool: (ep, id) => rpVms.get(ep, id),
    }).map((p): Plan => ({ name: p.name, rows: p.rows, write: () => p.write(sheet) })),
    {
      name: 'vMetaData',
      rows: 1,
      write: () =>
        sheet<null>(
          'vMetaData',
          [
            c('RVTools major version', 'int', () => RVTOOLS_LAYOUT_VERSION),
            c(
              'RVTools version',
              'text',
              () => `Infrascope ${opts.appVersion} (RVTools 4 layout)`,
              36,
            ),
            c('xlsx creation datetime', 'date', () => (opts.now ?? new Date()).toISOString()),
            c('Server', 'text', () => source.endpoints.map((e) => e.host).join(', ') || null, 36),
          ],
          [null],
        ),
    },
  ];

  total = plans.reduce((s, p) => s + p.rows, 0);
  try {
    await w.begin(plans.map((p) => p.name));
    for (const p of plans) await p.write();
    check();
    await w.finish();
  } catch (e) {
    await w.abort();
    throw e;
  }
  opts.progress?.('done', done, total);
  return rowsBy;
}
