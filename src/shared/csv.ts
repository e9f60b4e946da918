import type { FieldValue } from './entities.js';
import type { DiffEntry, SnapshotDiff } from './export.js';
import type { QueryCell } from './query.js';

/*
 * CSV for people's spreadsheets, pure so the CLI and the renderer (which builds a diff's CSV in
 * the browser) write the same bytes.
 */

/**
 * One RFC 4180 CSV field — the one encoder of the product (exports, the CLI, the renderer): quoted
 * when it holds a quote, comma or line break, quotes doubled. A text starting with = + - @ (or a tab or CR) gets a leading apostrophe so a
 * spreadsheet shows it as text instead of running it as a formula; numbers are left alone.
 */
export function csvField(value: FieldValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let s: string;
  if (typeof value === 'string') {
    if (value === '') return '';
    s = formulaSafe(value);
  } else if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  } else if (Array.isArray(value)) {
    s = formulaSafe(value.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(';'));
  } else {
    s = JSON.stringify(value);
  }
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const NEEDS_QUOTES = /[",\r\n]/;
const NUMBER = /^[+-]?\d+(\.\d+)?$/;

/** `'` before = + - @ tab CR, unless the text is a plain number. */
function formulaSafe(s: string): string {
  const c = s.charCodeAt(0);
  const risky = c === 61 || c === 43 || c === 45 || c === 64 || c === 9 || c === 13;
  return risky && !NUMBER.test(s) ? `'${s}` : s;
}

/** One CSV line (CRLF-terminated). */
export function csvLine(cells: readonly QueryCell[]): string {
  return cells.map((c) => csvField(c)).join(',') + '\r\n';
}

/** A field value as one cell: lists and objects (custom attributes) as JSON, so nothing is lost. */
function cellOf(v: FieldValue | undefined): QueryCell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

export const DIFF_CSV_HEADERS = [
  'Type',
  'Endpoint',
  'ID',
  'Name',
  'Change',
  'Field',
  'Old',
  'New',
  'Old name',
  'New name',
] as const;

function entryLines(e: DiffEntry): string {
  const head: QueryCell[] = [e.type, e.endpoint, e.id, e.name, e.change];
  const fields = e.fields ?? [];
  if (fields.length === 0) return csvLine([...head, null, null, null, null, null]);
  let out = '';
  for (const f of fields) {
    out += csvLine([
      ...head,
      f.field,
      cellOf(f.old),
      cellOf(f.new),
      f.oldName ?? null,
      f.newName ?? null,
    ]);
  }
  return out;
}

/**
 * A snapshot diff as CSV (RFC 4180, CRLF): one row per added or removed entity, one row per
 * changed field of a changed entity. References (hostId…) carry the names they point at in
 * "Old name"/"New name". Formula-like text is defused by `csvField`.
 */
export function diffToCsv(
  diff: Pick<SnapshotDiff, 'entries'>,
  opts: { bom?: boolean } = {},
): string {
  let out = (opts.bom ? '\ufeff' : '') + csvLine(DIFF_CSV_HEADERS);
  for (const e of diff.entries) out += entryLines(e);
  return out;
}
