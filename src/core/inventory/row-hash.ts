import type BetterSqlite3 from 'better-sqlite3';
import { hash } from 'node:crypto';
import type { ColumnValue } from '../store/columns.js';
import { prepared } from '../store/prepared.js';

/*
 * A full sync that finds nothing changed used to read every stored row of the endpoint (`SELECT
 * *`, ~150 columns per VM) and compare it column by column with the collected one: at 11,000 VMs
 * that read and the garbage it left were most of an unchanged sync's store work and its peak
 * memory. Each row now carries `row_hash` (migration 2026-12-04T0600-row-hash), a digest of what
 * the collector gave for it: its name, every stored field but the volatile ones, and its relation
 * lists. A full write reads only ids, hashes and the volatile columns, and compares a whole row
 * only when its digest differs. NULL (a row written by an incremental update, or before the
 * migration) never matches, so such a row is compared in full and gets its digest then.
 */

type Sqlite = BetterSqlite3.Database;

/** The digest of a row's stored values: each value length-prefixed, so no two rows collide by shifting text between columns. */
export function rowHash(
  name: string,
  values: readonly (ColumnValue | undefined)[],
  relations: readonly (readonly string[])[],
): string {
  let s = `${name.length}:${name}`;
  for (const v of values) {
    if (v === null || v === undefined) s += '|-';
    else if (typeof v === 'number') s += `|#${v}`;
    else s += `|${v.length}:${v}`;
  }
  for (const ids of relations) s += `|${JSON.stringify(ids)}`;
  return hash('sha1', s, 'base64');
}

/** Whether `table` has the `row_hash` column (a table a later migration creates may not). */
export function hasRowHash(sqlite: Sqlite, table: string): boolean {
  const cols = prepared(sqlite, `SELECT name FROM pragma_table_info('${table}')`)
    .pluck(true)
    .all() as string[];
  return cols.includes('row_hash');
}
