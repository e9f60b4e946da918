import type { EntityType, FieldValue } from '../../../shared/entities.js';
import type { EntityRecord, SourceEndpoint } from '../records.js';
import type { CellKind, CellValue } from '../xlsx-writer.js';
import type { CellRead, RvColumn } from './table.js';
import { bool, col as tableCol, mib, num, sdkUuid, str } from './table.js';

/*
 * The building blocks of the host-side sheets (host-sheets.ts, network-sheets.ts): columns read
 * from a field (bound for the RVTools import), the closing VI SDK columns, and a sheet's plan.
 */

/**
 * What the VM pass gathered per host: VM counts, and the powered-on VMs' vCPUs, memory (MiB) and
 * memory quick stats (MiB: host memory used, swapped, ballooned).
 */
export interface HostVmAgg {
  vmsTotal: number;
  vmsOn: number;
  vcpusOn: number;
  vramOn: number;
  usedMemOn: number;
  swappedOn: number;
  balloonedOn: number;
}

/** What the VM pass of the workbook gathered per host, datastore and resource pool. */
export interface VmAggregates {
  host(ep: SourceEndpoint, id: string): HostVmAgg | undefined;
  datastore(ep: SourceEndpoint, id: string): { total: number; on: number } | undefined;
  pool(ep: SourceEndpoint, id: string): { total: number; on: number; vcpusOn: number } | undefined;
  /** VMs on a distributed switch (a NIC on one of its port groups). */
  dvSwitchVms(ep: SourceEndpoint, id: string): number | undefined;
}

/** A sheet's rows and columns, computed once per workbook. */
export interface SheetPlan {
  readonly name: string;
  readonly entity?: EntityType;
  readonly rows: readonly unknown[];
  readonly columns: readonly RvColumn<unknown>[];
}

export const texts = (v: FieldValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
export const joined = (v: FieldValue | undefined): string | null => texts(v).join(', ') || null;

/** A column read from the model. */
export function col<T>(
  header: string,
  kind: CellKind,
  source: string,
  get: (row: T) => CellValue,
  width?: number,
): RvColumn<T> {
  return tableCol(header, kind, source, get, width === undefined ? {} : { width });
}

const READ: Record<CellKind, CellRead> = {
  text: 'text',
  int: 'num',
  num: 'num',
  pct: 'num',
  date: 'time',
  bool: 'bool',
};

/**
 * A column that holds one stored field as it is: bound, so the RVTools import reads it back.
 * Host-side rows are named by field strings (one sheet mixes entity types: Hyper-V switches beside
 * standard switches); host-sheets.test.ts holds every binding to its sheet entity's fields.
 */
export function field(
  header: string,
  kind: CellKind,
  source: string,
  name: string,
  width?: number,
): RvColumn<EntityRecord> {
  const read =
    kind === 'bool'
      ? (r: EntityRecord): CellValue => bool(r.fields[name])
      : kind === 'int' || kind === 'num' || kind === 'pct'
        ? (r: EntityRecord): CellValue => num(r.fields[name])
        : (r: EntityRecord): CellValue => str(r.fields[name]);
  return bound(tableCol(header, kind, source, read, width === undefined ? {} : { width }), name);
}

/** `c` bound to the stored field `name`, read back as its cell kind says (the RVTools import). */
export function bound<T>(c: RvColumn<T>, name: string): RvColumn<T> {
  return { ...c, binding: { field: name, read: READ[c.kind] } };
}

/** A field of bytes written in MiB, bound the same way. */
export function fieldMib(
  header: string,
  source: string,
  name: string,
  aliases?: readonly string[],
): RvColumn<EntityRecord> {
  return {
    ...tableCol(header, 'int', source, (r: EntityRecord) => mib(num(r.fields[name]))),
    binding: { field: name, read: 'mib', ...(aliases ? { aliases } : {}) },
  };
}

export const NOT_READ = 'not collected yet (available from vSphere)';

/** The closing columns of every sheet. */
export function sdk<T>(ep: (row: T) => SourceEndpoint): RvColumn<T>[] {
  return [
    col<T>('VI SDK Server', 'text', 'the endpoint', (r) => ep(r).host, 24),
    col<T>('VI SDK UUID', 'text', 'ServiceContent.about.instanceUuid', (r) => sdkUuid(ep(r)), 38),
  ];
}

export function plan<T>(
  name: string,
  cols: readonly RvColumn<T>[],
  rows: readonly T[],
  entity?: EntityType,
): SheetPlan {
  return {
    name,
    ...(entity ? { entity } : {}),
    rows,
    columns: cols as readonly RvColumn<unknown>[],
  };
}

/** RVTools writes every sheet, empty ones with their headers: a list of one plan. */
export function planIf<T>(
  name: string,
  cols: readonly RvColumn<T>[],
  rows: readonly T[],
): SheetPlan[] {
  return [plan(name, cols, rows)];
}
