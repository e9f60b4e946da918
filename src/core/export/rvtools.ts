import type { EntityType } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import { HOST_SHEETS } from './rvtools/host-sheets.js';
import type { AnySheet, FieldBinding, WorkbookData } from './rvtools/table.js';
import { col, sheet } from './rvtools/table.js';
import { VM_SHEETS } from './rvtools/vm-sheets.js';
import type { InventorySource } from './source.js';
import { buildLookups } from './source.js';
import type { CellValue, SheetColumn } from './xlsx-writer.js';
import { XlsxStreamWriter } from './xlsx-writer.js';

/*
 * The workbook RVTools writes: RVTools' own sheet names and column headers, in its order
 * (RVTools 4.x), so tools that import RVTools workbooks read ours. The sheets and their columns
 * are data (./rvtools/): this file only streams them. Custom attributes follow `Annotation` in
 * vInfo, as RVTools places them. Hyper-V rows share the sheets; `VI SDK Server` names their
 * endpoint and `VI SDK Server type` says Hyper-V.
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

const vMetaData = sheet<null>({
  name: 'vMetaData',
  count: () => 1,
  rows: () => [null],
  columns: (wb) => [
    col<null>(
      'RVTools major version',
      'int',
      'the RVTools layout this workbook follows',
      () => RVTOOLS_LAYOUT_VERSION,
    ),
    col<null>(
      'RVTools version',
      'text',
      'Infrascope’s version',
      () => `Infrascope ${wb.opts.appVersion} (RVTools 4 layout)`,
      { width: 36 },
    ),
    col<null>('xlsx creation datetime', 'date', 'the time of the export', () =>
      (wb.opts.now ?? new Date()).toISOString(),
    ),
    col<null>(
      'Server',
      'text',
      'the endpoints’ host names',
      () => wb.source.endpoints.map((e) => e.host).join(', ') || null,
      { width: 36 },
    ),
  ],
});

/** Every sheet of the workbook, in RVTools' order: what the writer, the import and the docs read. */
export const RVTOOLS_WORKBOOK: readonly AnySheet[] = [...VM_SHEETS, ...HOST_SHEETS, vMetaData];

/** The data sheets read of one source, with a per-workbook memo and cancellation. */
export function workbookData(
  source: InventorySource,
  opts: { appVersion: string; now?: Date; signal?: AbortSignal },
): WorkbookData {
  const memo = new Map<string, unknown>();
  const counts = new Map<EntityType, number>();
  const check = (): void => {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'Export cancelled');
  };
  return {
    source,
    lookups: buildLookups(source),
    opts: { appVersion: opts.appVersion, ...(opts.now ? { now: opts.now } : {}) },
    count: (t) => {
      let n = counts.get(t);
      if (n === undefined) counts.set(t, (n = source.count(t)));
      return n;
    },
    memo: <V>(key: string, make: () => V): V => {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as V;
    },
    check,
  };
}

/**
 * The columns of sheet `name` that hold one field as it is, with their headers: what the RVTools
 * import reads back. Columns that depend on the data (custom attributes) are not among them.
 */
export function columnBindings(
  name: string,
): { readonly header: string; readonly binding: FieldBinding }[] {
  const s = RVTOOLS_WORKBOOK.find((x) => x.name === name);
  if (!s) return [];
  const out: { header: string; binding: FieldBinding }[] = [];
  for (const c of s.columns(workbookData(EMPTY_SOURCE, { appVersion: '' }))) {
    if (c.binding) out.push({ header: c.header, binding: c.binding });
  }
  return out;
}

/** A source with nothing in it: the table's columns as they are for any data. */
export const EMPTY_SOURCE: InventorySource = {
  label: null,
  createdAt: new Date(0).toISOString(),
  endpoints: [],
  fieldsOf: () => [],
  count: () => 0,
  pages: () => [][Symbol.iterator](),
  close: () => undefined,
};

/**
 * Writes the RVTools-shaped workbook of `source` to `file` (the caller renames it into place).
 * Returns rows written per sheet.
 */
export async function writeRvtoolsWorkbook(
  source: InventorySource,
  file: string,
  opts: XlsxExportOptions,
): Promise<Record<string, number>> {
  const wb = workbookData(source, {
    appVersion: opts.appVersion,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const w = new XlsxStreamWriter(file, {
    creator: 'Infrascope',
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.compressionLevel !== undefined ? { compressionLevel: opts.compressionLevel } : {}),
  });
  const rowsBy: Record<string, number> = {};
  let done = 0;
  let total = 0;

  const write = async (s: AnySheet): Promise<void> => {
    wb.check();
    const cols = s.columns(wb);
    await w.startSheet(
      s.name,
      cols.map((x): SheetColumn =>
        x.width === undefined
          ? { header: x.header, kind: x.kind }
          : { header: x.header, kind: x.kind, width: x.width },
      ),
    );
    opts.progress?.(s.name, done, total);
    let n = 0;
    const values: CellValue[] = new Array<CellValue>(cols.length);
    for (const row of s.rows(wb)) {
      for (let i = 0; i < cols.length; i++) values[i] = cols[i]!.get(row);
      const wait = w.addRow(values);
      if (wait) await wait;
      n++;
      done++;
      if ((n & 1023) === 0) {
        wb.check();
        opts.progress?.(s.name, done, total);
      }
    }
    await w.endSheet();
    rowsBy[s.name] = n;
    opts.progress?.(s.name, done, total);
  };

  try {
    total = RVTOOLS_WORKBOOK.reduce((sum, s) => sum + s.count(wb), 0);
    await w.begin(RVTOOLS_WORKBOOK.map((s) => s.name));
    for (const s of RVTOOLS_WORKBOOK) await write(s);
    wb.check();
    await w.finish();
  } catch (e) {
    await w.abort();
    throw e;
  }
  opts.progress?.('done', done, total);
  return rowsBy;
}
