import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { AppError } from '../../shared/errors.js';
import type { Database } from './schema.js';

/*
 * What `store copy` copies, read from the two schemas themselves rather than listed by hand, so a
 * table added by a later migration (on both engines, as the migration sets require) is copied
 * without touching the copy: the SQLite tables that PostgreSQL also has, in foreign-key order,
 * with the columns both have, read in key order so a re-run can continue after the last key.
 */

export interface CopyTable {
  readonly name: string;
  /** Columns copied: the source's, all of which the target has (generated ones excepted). */
  readonly columns: readonly string[];
  /**
   * The order a table is read in and its resume point: SQLite's rowid, or a WITHOUT ROWID
   * table's primary key columns.
   */
  readonly key: readonly string[];
  /** The target's identity column, whose sequence is moved past the copied ids afterwards. */
  readonly identity: string | null;
}

export interface CopyPlan {
  readonly tables: readonly CopyTable[];
  /** Source tables the target has no counterpart of (SQLite's full-text index and its shadows). */
  readonly skipped: readonly string[];
}

/** Tables of the migrator itself: each store keeps its own record. */
const MIGRATOR_TABLE = /^kysely_migration/;

interface SqliteColumn {
  readonly name: string;
  readonly pk: number;
}

/** Kahn's order over "references" edges: a table comes after every table it references. */
function foreignKeyOrder(
  names: readonly string[],
  refs: ReadonlyMap<string, Set<string>>,
): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  let left = [...names].sort();
  while (left.length > 0) {
    const ready = left.filter((t) =>
      [...(refs.get(t) ?? [])].every((r) => placed.has(r) || r === t),
    );
    // A cycle would leave nothing ready; the store's schema has none, but never loop forever.
    const next = ready.length > 0 ? ready : left.slice(0, 1);
    for (const t of next) {
      order.push(t);
      placed.add(t);
    }
    left = left.filter((t) => !placed.has(t));
  }
  return order;
}

/** The copy plan for these two schemas (both migrated to the same version beforehand). */
export async function planCopy(
  source: BetterSqlite3.Database,
  target: Kysely<Database>,
): Promise<CopyPlan> {
  const sourceTables = source
    .prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all() as { name: string; sql: string | null }[];
  // Partitions are reached through their parent (rows inserted there are routed to them).
  const targetRows = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`.execute(
    target,
  );
  const targetNames = new Set(targetRows.rows.map((r) => r.name));
  const targetColumns = await sql<{ table_name: string; column_name: string; is_identity: string }>`
    SELECT table_name, column_name, is_identity FROM information_schema.columns
    WHERE table_schema = current_schema() AND is_generated = 'NEVER'`.execute(target);
  const columnsOf = new Map<string, Set<string>>();
  const identityOf = new Map<string, string>();
  for (const c of targetColumns.rows) {
    if (!columnsOf.has(c.table_name)) columnsOf.set(c.table_name, new Set());
    columnsOf.get(c.table_name)!.add(c.column_name);
    if (c.is_identity === 'YES') identityOf.set(c.table_name, c.column_name);
  }
  const copied = sourceTables.filter(
    (t) => !MIGRATOR_TABLE.test(t.name) && targetNames.has(t.name),
  );
  const skipped = sourceTables
    .filter((t) => !MIGRATOR_TABLE.test(t.name) && !targetNames.has(t.name))
    .map((t) => t.name);
  const refs = new Map<string, Set<string>>();
  const tables = new Map<string, CopyTable>();
  for (const t of copied) {
    const cols = source.prepare(`PRAGMA table_info("${t.name}")`).all() as SqliteColumn[];
    const have = columnsOf.get(t.name) ?? new Set<string>();
    const missing = cols.filter((c) => !have.has(c.name)).map((c) => c.name);
    if (missing.length > 0)
      throw new AppError(
        'MIGRATION_FAILED',
        `The target store has no column ${missing.join(', ')} in table ${t.name}, although both stores are at the same migration version: its schema was changed by hand. Nothing was copied.`,
        { table: t.name, missing },
      );
    const fks = source.prepare(`PRAGMA foreign_key_list("${t.name}")`).all() as { table: string }[];
    refs.set(t.name, new Set(fks.map((f) => f.table)));
    const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(t.sql ?? '');
    const pk = cols
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    tables.set(t.name, {
      name: t.name,
      columns: cols.map((c) => c.name),
      key: withoutRowid ? pk : ['rowid'],
      identity: identityOf.get(t.name) ?? null,
    });
  }
  return {
    tables: foreignKeyOrder([...tables.keys()], refs).map((n) => tables.get(n)!),
    skipped,
  };
}

/** The names in the migrator's own table, sorted (empty for a store never migrated). */
export async function migrationsOf(db: Kysely<Database>): Promise<string[]> {
  const r = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
    db,
  );
  return r.rows.map((x) => x.name);
}
