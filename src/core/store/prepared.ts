import type BetterSqlite3 from 'better-sqlite3';

/*
 * Statements that run thousands of times a sync (the writer's rows, the rule pass's alerts) are
 * prepared once per connection and kept, by SQL text: preparing costs more than running, and a
 * query builder would compile and prepare each row again.
 */

type Sqlite = BetterSqlite3.Database;

const PREPARED = new WeakMap<Sqlite, Map<string, BetterSqlite3.Statement>>();
/** Bound on one connection's cache (UPDATEs vary with the columns they set). */
const MAX_PREPARED = 256;

/** The statement for `sql` on `sqlite`, prepared at its first use and kept. */
export function prepared(sqlite: Sqlite, sql: string): BetterSqlite3.Statement {
  let cache = PREPARED.get(sqlite);
  if (!cache) PREPARED.set(sqlite, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size >= MAX_PREPARED) cache.clear();
    stmt = sqlite.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}
