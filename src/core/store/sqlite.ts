import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresAdapter, SqliteAdapter, SqliteDialect } from 'kysely';
import { CompiledQuery, SqliteDriver } from 'kysely';
import type { DatabaseConnection, DialectAdapter, Driver, SqliteDialectConfig } from 'kysely';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { Database } from './schema.js';
import { MIGRATIONS, staticMigrationProvider } from './migrations/index.js';
import type pg from 'pg';
import type { StoreEngine } from './location.js';
import { isPostgresLocation } from './location.js';
import { openPostgres } from './postgres.js';
import { registerPgSessions } from './pg-sessions.js';
import { migrateToLatest, refuseNewer } from './migrate.js';

/*
 * The SQLite adapter: everything SQLite-specific (pragmas, the online backup API, integrity
 * checks) lives here, so that the rest of the store speaks portable kysely.
 */

interface StoreCommon {
  readonly db: Kysely<Database>;
  /** Migrations applied by this open (empty when the schema was current). */
  readonly applied: readonly string[];
  /** Backup written before migrating, if any (SQLite only: a PostgreSQL server keeps its own). */
  readonly backupFile: string | null;
  /** Where the store lives, as it may be shown: the file, or the URL without its password. */
  readonly location: string;
  close(): Promise<void>;
}

/** A store in one SQLite file (the default, in the data directory). */
export interface SqliteStore extends StoreCommon {
  readonly engine: 'sqlite';
  /** The raw connection, for SQLite-only operations (backup, pragmas, prepared statements). */
  readonly sqlite: BetterSqlite3.Database;
  readonly file: string;
}

/** A team store on a PostgreSQL server (issue 16). */
export interface PostgresStore extends StoreCommon {
  readonly engine: 'postgres';
  readonly pool: pg.Pool;
}

/**
 * The store, on either engine. Code that needs one engine's own members (SQLite's connection and
 * file) narrows on `engine`, or asks {@link sqliteOf}, which says plainly what is not there yet.
 */
export type Store = SqliteStore | PostgresStore;

/**
 * The SQLite store behind `store`, for operations that exist only there so far (online backup,
 * the snapshot and export readers' prepared statements); on PostgreSQL a typed error naming the
 * operation.
 */
export function sqliteOf(store: Store, doing: string): SqliteStore {
  if (store.engine === 'sqlite') return store;
  throw new AppError(
    'STORE_ENGINE_UNSUPPORTED',
    `Cannot ${doing} on the PostgreSQL store ${store.location}: this operation is available on SQLite stores only so far.`,
    { engine: store.engine },
  );
}

export interface OpenStoreOptions {
  /**
   * Where the store lives: a SQLite database file, ':memory:', or a `postgres://` /
   * `postgresql://` URL (see location.ts for its parameters).
   */
  readonly file: string;
  /** Path of a better-sqlite3 binary built for another ABI (the Electron host passes its own). */
  readonly nativeBinding?: string;
  /** Keep this many pre-migration backups. */
  readonly keepBackups?: number;
  /**
   * For a short-lived process (a CLI command): a 16 MiB page cache and no memory map. The open's
   * quick_check and a full sync's read of every row touch the whole file, and through the map
   * or a 64 MiB cache all of it stayed resident: ~50 MB of an `infrascope sync`'s peak RSS at
   * 11,000 VMs. The UI's sorted windows are what the large cache and the map are for.
   */
  readonly compact?: boolean;
}

export const STORE_FILE = 'infrascope.db';

/**
 * SQLite does run DDL inside transactions, but kysely's adapter says it does not, which would
 * make a failing migration leave a half-changed schema. Saying so lets the migrator wrap every
 * pending migration in one transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Every transaction here writes. A deferred `BEGIN` that reads first and writes later cannot wait
 * for another process's write to finish: SQLite answers SQLITE_BUSY at once (its snapshot went
 * stale), whatever the busy timeout. `BEGIN IMMEDIATE` takes the write lock up front, so two
 * processes on one store queue behind each other within the busy timeout instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class StoreDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Pragmas chosen on purpose:
 * - WAL so readers (the UI, a second CLI) never block on a sync's write transaction.
 * - synchronous=FULL: endpoints, sealed credentials, the audit log and history cannot be
 *   collected again, and better-sqlite3 would otherwise leave WAL at NORMAL, which can lose the
 *   last commits on power loss. Syncs write in one transaction each, so the extra fsync is cheap.
 * - busy_timeout so two processes on one store wait for each other instead of failing.
 */
export function applyPragmas(sqlite: BetterSqlite3.Database, compact = false): void {
  if (sqlite.name !== ':memory:') sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  // Tables of 100,000 VMs: a 64 MiB page cache and memory-mapped reads keep a sort or a scan
  // off the read() path; temporary sort trees stay in memory.
  sqlite.pragma(compact ? 'cache_size = -16384' : 'cache_size = -65536');
  if (sqlite.name !== ':memory:' && !compact) sqlite.pragma('mmap_size = 268435456');
  sqlite.pragma('temp_store = MEMORY');
}

/** The connection under each kysely instance made by {@link kyselyOver}. */
const CONNECTIONS = new WeakMap<Kysely<Database>, BetterSqlite3.Database>();

/**
 * The store's kysely instance over one better-sqlite3 connection (BEGIN IMMEDIATE transactions,
 * transactional DDL). The connection stays reachable through {@link connectionOf}.
 */
export function kyselyOver(sqlite: BetterSqlite3.Database): Kysely<Database> {
  const db = new Kysely<Database>({ dialect: new StoreDialect({ database: sqlite }) });
  CONNECTIONS.set(db, sqlite);
  return db;
}

/**
 * The better-sqlite3 connection under a store's kysely instance. The inventory writer runs its
 * hot inserts there as cached prepared statements, inside the transaction kysely opened on that
 * same connection: compiling a multi-row kysely INSERT per chunk cost more than SQLite itself.
 */
export function connectionOf(db: Kysely<Database>): BetterSqlite3.Database {
  const sqlite = CONNECTIONS.get(db);
  if (!sqlite) throw new AppError('INTERNAL', 'This database handle was not opened by the store.');
  return sqlite;
}

/** The kysely instances of open PostgreSQL stores (the writer and others branch on engine). */
const POSTGRES_DBS = new WeakSet<Kysely<Database>>();

/** Which engine a store's kysely instance speaks to. */
export function engineOf(db: Kysely<Database>): StoreEngine {
  if (CONNECTIONS.has(db)) return 'sqlite';
  if (POSTGRES_DBS.has(db)) return 'postgres';
  // A transaction is a kysely instance of its own, over its store's adapter.
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  throw new AppError('INTERNAL', 'This database handle was not opened by the store.');
}

function backupName(file: string, now: Date): string {
  return join(dirname(file), 'backups', `infrascope-${now.toISOString().replace(/[:.]/g, '-')}.db`);
}

function pruneBackups(dir: string, keep: number): void {
  if (!existsSync(dir)) return;
  const files = readdirSync(dir)
    .filter((f) => f.startsWith('infrascope-') && f.endsWith('.db'))
    .sort();
  for (const f of files.slice(0, Math.max(0, files.length - keep))) rmSync(join(dir, f));
}

/**
 * Maps SQLite failures to typed errors people can act on: damaged file, disk full, read-only
 * folder. Anything else stays a write failure with SQLite's words.
 */
export function storeError(e: unknown, doing: string): AppError {
  if (e instanceof AppError) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new AppError(
      'STORE_CORRUPT',
      `Cannot ${doing}: the database file is damaged (${msg}).`,
      { sqlite: code },
      { cause: e },
    );
  }
  if (code === 'SQLITE_FULL') {
    return new AppError(
      'DISK_FULL',
      `Cannot ${doing}: the disk is full. Nothing was written; the previous inventory is unchanged. Free some space and sync again.`,
      { sqlite: code },
      { cause: e },
    );
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'EACCES' ||
    code === 'EROFS'
  ) {
    return new AppError(
      'STORE_READ_ONLY',
      `Cannot ${doing}: the data directory is read-only or not accessible (${msg}). Nothing was written.`,
      { sqlite: code },
      { cause: e },
    );
  }
  return new AppError(
    'STORE_WRITE_FAILED',
    `Cannot ${doing}: ${msg}`,
    { sqlite: code },
    { cause: e },
  );
}

/** Online backup (never a file copy, which could catch a half-written WAL), then verified. */
export async function backupTo(sqlite: BetterSqlite3.Database, target: string): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  await sqlite.backup(target);
  // A backup is one self-contained file: no -wal/-shm beside it.
  const check = new BetterSqlite3(target);
  try {
    check.pragma('journal_mode = DELETE');
    const result = check.pragma('integrity_check', { simple: true });
    if (result !== 'ok')
      throw new AppError(
        'STORE_WRITE_FAILED',
        `Backup ${target} failed its integrity check: ${String(result)}`,
      );
  } finally {
    check.close();
  }
}

/** Writes a verified online backup into backups/ and keeps the newest `keep`. */
export async function backupNow(
  store: Pick<SqliteStore, 'sqlite' | 'file'>,
  keep = 7,
  now = new Date(),
): Promise<string> {
  if (store.file === ':memory:')
    throw new AppError('VALIDATION', 'An in-memory store has no backups');
  const target = backupName(store.file, now);
  try {
    await backupTo(store.sqlite, target);
  } catch (e) {
    throw storeError(e, 'write a backup');
  }
  pruneBackups(dirname(target), keep);
  return target;
}

async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const rows = await db
    .selectFrom('sqlite_master' as never)
    .select('name' as never)
    .where('type' as never, '=', 'table' as never)
    .where('name' as never, '=', 'kysely_migration' as never)
    .execute();
  if (rows.length === 0) return [];
  const r = await (db as unknown as Kysely<{ kysely_migration: { name: string } }>)
    .selectFrom('kysely_migration')
    .select('name')
    .orderBy('name')
    .execute();
  return r.map((x) => x.name);
}

/**
 * Opens the store where `opts.file` says: a PostgreSQL URL opens a team store (see postgres.ts),
 * anything else a SQLite file. Either way a database migrated by a newer app is refused and
 * pending migrations are applied.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (!isPostgresLocation(opts.file)) return openSqliteStore(opts);
  const { db, pool, target, applied } = await openPostgres(opts.file);
  POSTGRES_DBS.add(db);
  const locks = registerPgSessions(db, pool);
  return {
    engine: 'postgres',
    db,
    pool,
    location: target.redacted,
    applied,
    backupFile: null,
    close: async () => {
      // Ending the lock session frees this process's sync locks; destroying kysely ends the pool.
      await locks.close();
      await db.destroy();
    },
  };
}

/**
 * Opens (creating if needed) a SQLite store, applies pragmas, refuses a database migrated by a
 * newer app, backs the file up and applies pending migrations in one transaction.
 */
export async function openSqliteStore(opts: OpenStoreOptions): Promise<SqliteStore> {
  const { file } = opts;
  const memory = file === ':memory:';
  const existed = !memory && existsSync(file) && statSync(file).size > 0;
  let sqlite: BetterSqlite3.Database;
  try {
    if (!memory) mkdirSync(dirname(file), { recursive: true });
    sqlite = new BetterSqlite3(
      file,
      opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {},
    );
  } catch (e) {
    throw storeError(e, `open the store ${file}`);
  }
  try {
    applyPragmas(sqlite, opts.compact === true);
    if (existed) {
      const quick = sqlite.pragma('quick_check', { simple: true });
      if (quick !== 'ok')
        throw new AppError('STORE_CORRUPT', `The store ${file} is damaged: ${String(quick)}`);
    }
  } catch (e) {
    sqlite.close();
    throw storeError(e, `open the store ${file}`);
  }
  const db = kyselyOver(sqlite);
  const close = async (): Promise<void> => {
    await db.destroy();
  };
  try {
    const known = new Set(Object.keys(MIGRATIONS));
    const done = await appliedMigrations(db);
    refuseNewer(done, known, 'another data directory');
    const pending = [...known].filter((m) => !done.includes(m));
    let backupFile: string | null = null;
    if (pending.length > 0 && existed) {
      backupFile = backupName(file, new Date());
      await backupTo(sqlite, backupFile);
      pruneBackups(dirname(backupFile), opts.keepBackups ?? 5);
    }
    const applied = await migrateToLatest(db, staticMigrationProvider);
    return {
      engine: 'sqlite',
      db,
      sqlite,
      file,
      location: file,
      applied,
      backupFile,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
