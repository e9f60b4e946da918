import { Writable } from 'node:stream';
import { csvField } from '../shared/csv.js';
import type { QueryCell, QueryResult, QueryRow } from '../shared/query.js';

/*
 * Inventory text is written by whoever names a VM, a datastore or a tag; on a terminal an escape
 * sequence in it is a command (OSC 52 writes the clipboard, others retitle the window, rewrite
 * the screen or hide text). Everything the CLI prints goes through `inert` first.
 */

// Escape sequences as terminals parse them: CSI, OSC (to BEL or ST), DCS/SOS/PM/APC strings, and
// two-character escapes; then the 8-bit CSI and OSC introducers.
/* eslint-disable no-control-regex -- matching control characters is the point */
const SEQUENCES =
  /\u001b(?:\[[0-?]*[ -/]*[@-~]?|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[PX^_][^\u001b]*(?:\u001b\\)?|[ -~]?)|\u009b[0-?]*[ -/]*[@-~]?|\u009d[^\u0007\u009c]*[\u0007\u009c]?/g;
// C0 but tab, newline and carriage return; DEL and C1; the bidirectional overrides and marks.
const CONTROLS =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */
/** The one sequence the CLI itself writes: erase to the end of the line (progress on stderr). */
const ERASE_LINE = '\u001b[K';

/**
 * `text` with every terminal control removed: escape sequences, C0 controls but tab and newline
 * (a carriage return only before a newline, as CSV ends lines), DEL, C1 and bidirectional
 * overrides. With `progress`, a bare carriage return and erase-line stay (the progress line
 * redraws itself with them).
 *
 * @example
 * inert('vm\u001b]52;c;cm0gLXJmIC8=\u0007-01'); // 'vm-01'
 */
export function inert(text: string, opts: { readonly progress?: boolean } = {}): string {
  const kept = (at: number, all: string): boolean =>
    opts.progress === true && all.startsWith(ERASE_LINE, at);
  const cleaned = text
    .replace(SEQUENCES, (seq: string, at: number, all: string) => (kept(at, all) ? seq : ''))
    .replace(CONTROLS, (c: string, at: number, all: string) => (kept(at, all) ? c : ''));
  return opts.progress ? cleaned : cleaned.replace(/\r(?!\n)/g, '');
}

/** A stream that writes everything through `inert` to `target` (the CLI's stdout and stderr). */
export function inertStream(
  target: NodeJS.WritableStream,
  opts: { readonly progress?: boolean } = {},
): NodeJS.WritableStream {
  return new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, done) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      if (target.write(inert(text, opts))) done();
      else target.once('drain', () => done());
    },
  });
}

/** RFC 4180 field with formula prefixes escaped (shared with the renderer). */
export { csvField };

/** The CSV lines of `rows` (RFC 4180, CRLF ends), each row's fields in the order of `names`. */
export function csvLines(names: readonly string[], rows: readonly QueryRow[]): string {
  let text = '';
  for (const row of rows) text += names.map((n) => csvField(row[n] ?? null)).join(',') + '\r\n';
  return text;
}

/** A query result as CSV: a header of field names, then a line per row. */
export function toCsv(result: QueryResult): string {
  const names = result.fields.map((f) => f.name);
  return names.map((n) => csvField(n)).join(',') + '\r\n' + csvLines(names, result.rows);
}

/** A table cell as the terminal shows it: inert, on one line. */
function tableCell(v: QueryCell | undefined): string {
  return v === null || v === undefined
    ? ''
    : inert(Array.isArray(v) ? v.join(',') : String(v)).replace(/[\t\r\n]/g, ' ');
}

/**
 * The layout of a plain aligned table: column widths measured on `sample` (a first window of a
 * longer listing), a header, and a formatter for any rows after it.
 */
export function tableLayout(
  names: readonly string[],
  sample: readonly QueryRow[],
  width = 160,
): { header: string; lines(rows: readonly QueryRow[]): string } {
  // Inert before measuring, so widths and truncation count what the terminal will show.
  const widths = names.map((n) =>
    Math.min(40, Math.max(n.length, ...sample.map((r) => tableCell(r[n]).length))),
  );
  const fmt = (vals: readonly string[]): string =>
    vals
      .map((v, i) =>
        v.length > widths[i]! ? v.slice(0, widths[i]! - 1) + '…' : v.padEnd(widths[i]!),
      )
      .join('  ')
      .slice(0, width)
      .trimEnd();
  return {
    header: fmt(names) + '\n' + fmt(widths.map((w) => '-'.repeat(w))) + '\n',
    lines: (rows) => rows.map((r) => fmt(names.map((n) => tableCell(r[n]))) + '\n').join(''),
  };
}

/** A plain aligned table for people, limited to the columns that fit a terminal. */
export function toTable(result: QueryResult, columns?: readonly string[], width = 160): string {
  const names = columns ?? result.fields.map((f) => f.name).slice(0, 8);
  const layout = tableLayout(names, result.rows, width);
  return layout.header + layout.lines(result.rows);
}
