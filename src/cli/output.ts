import { csvField } from '../shared/csv.js';
import type { QueryCell, QueryResult } from '../shared/query.js';

/** RFC 4180 field with formula prefixes escaped (shared with the renderer). */
export { csvField };

export function toCsv(result: QueryResult): string {
  const names = result.fields.map((f) => f.name);
  const lines = [names.map((n) => csvField(n)).join(',')];
  for (const row of result.rows) lines.push(names.map((n) => csvField(row[n] ?? null)).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** A plain aligned table for people, limited to the columns that fit a terminal. */
export function toTable(result: QueryResult, columns?: readonly string[], width = 160): string {
  const names = columns ?? result.fields.map((f) => f.name).slice(0, 8);
  const cell = (v: QueryCell | undefined): string =>
    v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
  const widths = names.map((n) =>
    Math.min(40, Math.max(n.length, ...result.rows.map((r) => cell(r[n]).length))),
  );
  const fmt = (vals: readonly string[]): string =>
    vals
      .map((v, i) =>
        v.length > widths[i]! ? v.slice(0, widths[i]! - 1) + '…' : v.padEnd(widths[i]!),
      )
      .join('  ')
      .slice(0, width)
      .trimEnd();
  return (
    [
      fmt(names),
      fmt(widths.map((w) => '-'.repeat(w))),
      ...result.rows.map((r) => fmt(names.map((n) => cell(r[n])))),
    ].join('\n') + '\n'
  );
}
