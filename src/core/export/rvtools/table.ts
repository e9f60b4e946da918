import type { EntityFields, EntityType, FieldValue } from '../../../shared/entities.js';
import type { RecordOf, SourceEndpoint } from '../records.js';
import type { InventorySource, Lookups } from '../source.js';
import type { CellKind, CellValue } from '../xlsx-writer.js';

/*
 * The RVTools workbook as data: each sheet is a name, the rows it lists and its columns, each
 * column RVTools' header, a cell kind, where the value comes from in the vSphere API (or why
 * RVTools' column stays empty here) and, for columns that hold one stored field as it is, the
 * binding the RVTools import uses to read the field back. The writer (../rvtools.ts), the import
 * (../../snapshots/rvtools-import.ts) and the column reference in docs/ all read this one table.
 */

/** How an import turns a cell back into a field value. */
export type CellRead =
  /** Text, trimmed; empty is null. */
  | 'text'
  /** A number (numeric text with separators accepted). */
  | 'num'
  /** A number of MiB, stored as bytes. */
  | 'mib'
  /** True/False (also yes/no). */
  | 'bool'
  /** An Excel date or date text, stored as ISO 8601. */
  | 'time';

/** The field names a binding may name: the model's, for a sheet of records of one type. */
export type BindableField<T> = T extends RecordOf<infer E> ? EntityFields<E> : never;

/** A column that holds one field of the sheet's entity as it is (after unit conversion). */
export interface FieldBinding<F extends string = string> {
  readonly field: F;
  readonly read: CellRead;
  /** Older spellings of the header that mean the same (RVTools 3.x `MB` beside 4.x `MiB`). */
  readonly aliases?: readonly string[];
}

export interface RvColumn<T> {
  readonly header: string;
  readonly kind: CellKind;
  readonly get: (row: T) => CellValue;
  readonly width?: number;
  /**
   * Where the value comes from: a vim25 property path (`config.hardware.numCPU`), a derivation
   * (`sum of vDisk Capacity MiB`), or, when `unavailable`, why the column stays empty.
   */
  readonly source: string;
  readonly unavailable?: true;
  readonly binding?: FieldBinding;
}

/**
 * A column read from a source.
 *
 * @example
 *  col('CPUs', 'int', 'config.hardware.numCPU', (r) => num(fieldOf(r, 'cpuCount')), {
 *   binding: { field: 'cpuCount', read: 'num' },
 * })
 */
export function col<T>(
  header: string,
  kind: CellKind,
  source: string,
  get: (row: T) => CellValue,
  opts: { readonly width?: number; readonly binding?: FieldBinding<BindableField<T>> } = {},
): RvColumn<T> {
  return { header, kind, source, get, ...opts };
}

/** A column RVTools has and we cannot fill: written empty, and `reason` goes into the docs. */
export function none<T>(header: string, kind: CellKind, reason: string): RvColumn<T> {
  return { header, kind, source: reason, unavailable: true, get: () => null };
}

/** A map keyed by (endpoint, id) without building a key string per lookup. */
export class EpMap<T> {
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

export interface WorkbookOptions {
  readonly appVersion: string;
  readonly now?: Date;
}

/** What every sheet may read: the source, name lookups and a per-workbook memo. */
export interface WorkbookData {
  readonly source: InventorySource;
  readonly lookups: Lookups;
  readonly opts: WorkbookOptions;
  /** Live records of a type. */
  count(type: EntityType): number;
  /**
   * A value computed once per workbook (an aggregate several sheets share), on first use.
   *
   * @example
   * const agg = wb.memo('hostAgg', () => aggregateHosts(wb));
   */
  memo<V>(key: string, make: () => V): V;
  /** Throws `CANCELLED` when the export was cancelled (long pre-passes call it). */
  check(): void;
}

/** A sheet: its name, its rows and its columns (which may depend on the data: custom attributes). */
export interface RvSheet<T> {
  readonly name: string;
  /** The entity type listed one per row, whose bound columns the RVTools import reads back. */
  readonly entity?: EntityType;
  count(wb: WorkbookData): number;
  rows(wb: WorkbookData): Iterable<T>;
  columns(wb: WorkbookData): readonly RvColumn<T>[];
}

/** A sheet with its row type erased, so sheets of different rows share one list. */
export interface AnySheet {
  readonly name: string;
  readonly entity?: EntityType;
  count(wb: WorkbookData): number;
  rows(wb: WorkbookData): Iterable<unknown>;
  columns(wb: WorkbookData): readonly RvColumn<unknown>[];
}

/** Declares a sheet (typed by its rows) for the workbook's list. */
export function sheet<T>(def: RvSheet<T>): AnySheet {
  return def as unknown as AnySheet;
}

/* Reading decoded field values into cells. */
export const MIB = 2 ** 20;
export const str = (v: FieldValue | undefined): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
export const num = (v: FieldValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
export const bool = (v: FieldValue | undefined): boolean | null =>
  typeof v === 'boolean' ? v : null;
export const ids = (v: FieldValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
export const mib = (bytes: number | null): number | null =>
  bytes === null ? null : Math.round(bytes / MIB);
export const ratio = (a: number | null, b: number | null, scale = 100): number | null =>
  a === null || b === null || b === 0 ? null : Math.round((a / b) * scale * 10) / 10;

/** RVTools' "VI SDK Server type" for an endpoint kind. */
export function serverType(kind: string): string {
  return kind === 'hyperv' ? 'Hyper-V' : kind === 'esxi' ? 'HostAgent' : 'VirtualCenter';
}

/** The "VI SDK UUID" of an endpoint: the instance UUID the server gave at its last sync. */
export const sdkUuid = (ep: SourceEndpoint): string | null => ep.about?.instanceUuid ?? null;

/** One copy of each repeated text (OS names, versions, folders) across 100,000 VM contexts. */
export function interner(): (v: string | null) => string | null {
  const seen = new Map<string, string>();
  return (v) => {
    if (v === null || v.length > 200) return v;
    const hit = seen.get(v);
    if (hit !== undefined) return hit;
    if (seen.size < 50_000) seen.set(v, v);
    return v;
  };
}
