import type { FieldValue } from '../../shared/entities.js';
import { isAppError } from '../../shared/errors.js';
import { columnBindings } from '../export/rvtools.js';
import type { CellRead } from '../export/rvtools/table.js';
import type { ImportControl } from './import-runs.js';
import type { XlsxValue, XlsxWorkbook } from './xlsx-stream.js';

/*
 * Reading one sheet of an RVTools workbook: its non-empty rows, its columns by header (or an
 * older spelling of it), and cells as field values. The import (rvtools-import.ts) and the
 * per-sheet record builders (rvtools-children.ts) share it.
 */

const MIB = 2 ** 20;

/** Rows read between two progress reports of a sheet. */
const PROGRESS_ROWS = 1000;

export type Cell = XlsxValue;

const cellValue = (v: Cell | undefined): string | number | boolean | Date | null => v ?? null;

export const asText = (v: Cell): string | null => {
  const x = cellValue(v);
  if (x === null) return null;
  if (x instanceof Date) return x.toISOString();
  const s = String(x).trim();
  return s === '' ? null : s;
};
export const asNumber = (v: Cell): number | null => {
  const x = cellValue(v);
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    const n = Number(x.replace(/[ ,]/g, ''));
    return x.trim() !== '' && Number.isFinite(n) ? n : null;
  }
  return null;
};
export const asBool = (v: Cell): boolean | null => {
  const x = cellValue(v);
  if (typeof x === 'boolean') return x;
  if (typeof x === 'string') {
    const s = x.trim().toLowerCase();
    if (s === 'true' || s === 'yes') return true;
    if (s === 'false' || s === 'no') return false;
  }
  return null;
};
export const asTime = (v: Cell): string | null => {
  const x = cellValue(v);
  if (x instanceof Date) return x.toISOString();
  if (typeof x === 'number') return new Date(Math.round((x - 25_569) * 86_400_000)).toISOString();
  if (typeof x === 'string' && x.trim() !== '' && !Number.isNaN(Date.parse(x))) {
    return new Date(x).toISOString();
  }
  return null;
};

export interface Sheet {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  col(...names: string[]): number;
}

export async function readSheet(
  wb: XlsxWorkbook,
  name: string,
  ctl: ImportControl,
): Promise<Sheet | null> {
  if (!wb.has(name)) return null;
  const headers: string[] = [];
  const rows: Cell[][] = [];
  const phase = `read ${name}`;
  ctl.onProgress?.({ phase, done: 0 });
  try {
    await wb.rows(name, (row) => {
      if (row.n === 1) headers.push(...Array.from(row.values, (v) => asText(v ?? null) ?? ''));
      else if (row.values.some((v) => asText(v ?? null) !== null)) {
        // A workbook saved by Excel may carry blank formatted rows after the data.
        rows.push(row.values);
        if (rows.length % PROGRESS_ROWS === 0) ctl.onProgress?.({ phase, done: rows.length });
      }
    });
  } catch (e) {
    // Which sheet is broken is what a user needs to fix the file (the import wraps it as typed).
    if (isAppError(e)) throw e;
    throw new Error(`sheet ${name}: ${(e as Error).message}`, { cause: e });
  }
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

export type Getter = (row: readonly Cell[]) => FieldValue;

/** Fields of one type: the getters of the columns present in the sheet. */
export class FieldMap {
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

/** A number of MiB as bytes, the stored unit. */
export const asMibBytes = (v: Cell): number | null => {
  const n = asNumber(v);
  return n === null ? null : n * MIB;
};

/** A cell of texts the export joined with ", " (addresses, member hosts, uplinks), as a list. */
export const splitList = (v: Cell): string[] =>
  (asText(v) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

const READ: Record<CellRead, (v: Cell) => FieldValue> = {
  text: asText,
  num: asNumber,
  bool: asBool,
  time: asTime,
  hwVersion: (v) => (typeof v === 'number' && Number.isInteger(v) ? `vmx-${v}` : asText(v)),
  mib: asMibBytes,
};

/**
 * The fields the export's table binds to columns of `name` (../export/rvtools/), read back from
 * the columns this workbook has (by header or an older spelling of it).
 */
export function boundFields(name: string, sheet: Sheet): FieldMap {
  const m = new FieldMap(sheet);
  for (const c of columnBindings(name)) {
    const b = c.binding;
    m.add(b.field, [c.header, ...(b.aliases ?? [])], READ[b.read]);
  }
  return m;
}
