import type BetterSqlite3 from 'better-sqlite3';
import type { ColumnValue } from '../store/columns.js';
import { prepared } from '../store/prepared.js';
import { hasRowHash } from './row-hash.js';
import type { TypeSpec } from './writer-specs.js';

/*
 * What the inventory writer reads and writes, as one synchronous interface over both engines:
 * SQLite's runs each call as a cached prepared statement at once; PostgreSQL's (writer-pg.ts)
 * answers the reads from rows loaded before the write and collects the writes into multi-row
 * statements sent at the end of the transaction.
 */

export type Row = Record<string, ColumnValue>;

export interface WriterIo {
  /**
   * The endpoint's rows of `table`: all of them (`ids` null) or those with these native ids.
   * With `slim`, an engine may read only those columns and `row_hash` (NULL where the table has
   * none) and give the rest through {@link wholeRow}.
   */
  existing(table: string, ids: readonly string[] | null, slim?: readonly string[]): Row[];
  /** Every column of a row `existing` gave (the same row where it gave it whole). */
  wholeRow(table: string, row: Row): Row;
  /** Whether `table` has the `row_hash` column (row-hash.ts). */
  hashed(table: string): boolean;
  /** Whether any relation row of `kind` exists for the endpoint. */
  hasRelations(kind: string): boolean;
  /** Every (from, to) of `kind`, sorted. */
  relationsOfKind(kind: string): [string, string][];
  /** The targets of `from` in `kind`, sorted. */
  relationsOf(kind: string, from: string): string[];
  /** A new row: values in `spec.columns` order, then its digest where `hashed`. */
  insert(spec: TypeSpec, params: readonly ColumnValue[], hashed: boolean): void;
  /** Sets `columns` to `values` on the row with this id. */
  update(
    spec: TypeSpec,
    columns: readonly string[],
    values: readonly ColumnValue[],
    id: number,
  ): void;
  /** A change log row: at, run, endpoint, type, id, name, kind, field, old, new, user. */
  log(row: readonly ColumnValue[]): void;
  relate(kind: string, from: string, to: string): void;
  /** Removes every relation of `from` in `kind`. */
  unrelate(kind: string, from: string): void;
  /** Marks these entities deleted and drops their relations. */
  softDelete(spec: TypeSpec, at: string, ids: readonly string[]): void;
  /**
   * Stamps the endpoint's rows as seen at `at`: every live one, or (`ids`, a partial file
   * listing) only those.
   */
  touch(spec: TypeSpec, at: string, ids?: readonly string[]): void;
  /** Events (endpoint, key, at, type, user, message, entity type, entity id); known keys kept. */
  events(rows: readonly ColumnValue[][]): void;
  /** Usage samples (endpoint, type, id, at, cpu, memory, storage used, capacity); known kept. */
  samples(rows: readonly ColumnValue[][]): void;
  /** What the server said it is at login, as JSON. */
  about(json: string): void;
}

/** Rows per chunk of the statements that name ids in an IN list. */
const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const CHANGE_COLUMNS =
  'at, sync_run_id, endpoint_id, entity_type, entity_id, entity_name, kind, field, old_value, new_value, "user"';
export const EVENT_COLUMNS =
  'endpoint_id, event_key, at, event_type, "user", message, entity_type, entity_id';
export const SAMPLE_COLUMNS =
  'endpoint_id, entity_type, entity_id, at, cpu_mhz, memory_bytes, storage_used_bytes, storage_capacity_bytes';

const places = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** The writer's statements on one better-sqlite3 connection, for endpoint `ep`. */
export function sqliteIo(sqlite: BetterSqlite3.Database, ep: number): WriterIo {
  const run = (sql: string, ...params: unknown[]): void => {
    prepared(sqlite, sql).run(...params);
  };
  const each = (sql: string, rows: readonly ColumnValue[][]): void => {
    if (rows.length === 0) return;
    const stmt = prepared(sqlite, sql);
    for (const row of rows) stmt.run(row);
  };
  return {
    existing(table, ids, slim) {
      if (ids === null) {
        const hash = hasRowHash(sqlite, table) ? 'row_hash' : 'NULL AS row_hash';
        const cols = slim ? `${slim.join(', ')}, ${hash}` : '*';
        return prepared(sqlite, `SELECT ${cols} FROM ${table} WHERE endpoint_id = ?`).all(
          ep,
        ) as Row[];
      }
      const one = prepared(
        sqlite,
        `SELECT * FROM ${table} WHERE endpoint_id = ? AND native_id = ?`,
      );
      const out: Row[] = [];
      for (const id of ids) {
        const r = one.get(ep, id) as Row | undefined;
        if (r) out.push(r);
      }
      return out;
    },
    wholeRow: (table, row) =>
      prepared(sqlite, `SELECT * FROM ${table} WHERE id = ?`).get(row['id']) as Row,
    hashed: (table) => hasRowHash(sqlite, table),
    hasRelations: (kind) =>
      prepared(sqlite, 'SELECT 1 FROM relation WHERE endpoint_id = ? AND kind = ? LIMIT 1').get(
        ep,
        kind,
      ) !== undefined,
    relationsOfKind: (kind) =>
      prepared(
        sqlite,
        'SELECT from_id, to_id FROM relation WHERE endpoint_id = ? AND kind = ? ORDER BY from_id, to_id',
      )
        .raw(true)
        .all(ep, kind) as [string, string][],
    relationsOf: (kind, from) =>
      prepared(
        sqlite,
        'SELECT to_id FROM relation WHERE endpoint_id = ? AND kind = ? AND from_id = ? ORDER BY to_id',
      )
        .pluck(true)
        .all(ep, kind, from) as string[],
    insert: (spec, params, hashed) => run(hashed ? spec.insertHashSql : spec.insertSql, params),
    update: (spec, columns, values, id) =>
      run(`UPDATE ${spec.table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [
        ...values,
        id,
      ]),
    log: (row) => run(`INSERT INTO change_log (${CHANGE_COLUMNS}) VALUES (${places(11)})`, row),
    relate: (kind, from, to) =>
      run(
        'INSERT INTO relation (endpoint_id, kind, from_id, to_id) VALUES (?, ?, ?, ?)',
        ep,
        kind,
        from,
        to,
      ),
    unrelate: (kind, from) =>
      run(
        'DELETE FROM relation WHERE endpoint_id = ? AND kind = ? AND from_id = ?',
        ep,
        kind,
        from,
      ),
    softDelete(spec, at, ids) {
      const mark = prepared(
        sqlite,
        `UPDATE ${spec.table} SET deleted_at = ? WHERE endpoint_id = ? AND native_id = ?`,
      );
      for (const id of ids) mark.run(at, ep, id);
      for (const part of chunks(ids)) {
        run(
          `DELETE FROM relation WHERE endpoint_id = ? AND from_id IN (${places(part.length)}) AND kind LIKE ?`,
          ep,
          ...part,
          `${spec.type}.%`,
        );
      }
    },
    // Rows written just now have this last_seen already: rewriting them costs an index update.
    touch(spec, at, ids) {
      if (!ids) {
        run(
          `UPDATE ${spec.table} SET last_seen = ? WHERE endpoint_id = ? AND deleted_at IS NULL AND last_seen <> ?`,
          at,
          ep,
          at,
        );
        return;
      }
      for (const part of chunks(ids)) {
        run(
          `UPDATE ${spec.table} SET last_seen = ? WHERE endpoint_id = ? AND last_seen <> ? AND native_id IN (${places(part.length)})`,
          at,
          ep,
          at,
          ...part,
        );
      }
    },
    events: (rows) =>
      each(
        `INSERT INTO event (${EVENT_COLUMNS}) VALUES (${places(8)}) ON CONFLICT DO NOTHING`,
        rows,
      ),
    samples: (rows) =>
      each(
        `INSERT INTO sample (${SAMPLE_COLUMNS}) VALUES (${places(8)}) ON CONFLICT DO NOTHING`,
        rows,
      ),
    about: (json) => run('UPDATE endpoint SET about = ? WHERE id = ?', json, ep),
  };
}

/** Page cache (KiB) while a full write runs. */
const WRITE_CACHE_KIB = 16 * 1024;

/**
 * Runs a full write with a smaller page cache than the store's readers keep. A first sync of
 * 11,000 VMs dirties ~50 MB of pages, and the 64 MiB cache that keeps the UI's sorts fast held
 * them all until the commit: ~30 MB of the sync's peak RSS, for no measurable speed (SQLite
 * writes the surplus to the WAL early instead). The readers' size is back once it is done.
 */
export function withWriteCache<T>(sqlite: BetterSqlite3.Database, write: () => T): T {
  const size = sqlite.pragma('cache_size', { simple: true }) as number;
  if (size >= 0 || -size <= WRITE_CACHE_KIB) return write();
  sqlite.pragma(`cache_size = -${WRITE_CACHE_KIB}`);
  try {
    return write();
  } finally {
    sqlite.pragma(`cache_size = ${size}`);
  }
}
