import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../../shared/errors.js';
import type { PostgresTarget } from './location.js';
import { parsePostgresLocation } from './location.js';
import { PG_MIGRATIONS, pgMigrationProvider } from './migrations-pg/index.js';
import type { Database } from './schema.js';
import { migrateToLatest, refuseNewer } from './migrate.js';

/*
 * The PostgreSQL adapter: a pg Pool under kysely's PostgresDialect, its own frozen migration set
 * (migrations-pg, same names and meaning as the SQLite set), and connection failures as typed
 * errors that say what to check. Kysely's migrator takes an advisory lock, so two processes
 * opening one store at once migrate it once.
 */

/** pg type oids whose text form the store reads as JavaScript numbers. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * The store's integers are BIGINT (SQLite's INTEGER is 64-bit), and pg returns those as strings by
 * default; every id, count and byte size fits in a double (2^53), so they come back as numbers,
 * as better-sqlite3 returns them, and the core reads both engines alike. SUM() of a BIGINT is
 * NUMERIC, read the same way.
 */
const NUMBER_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as never);
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** Node/pg error codes meaning "nothing answers there". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'ENOENT',
]);

function isTlsFailure(code: string, msg: string): boolean {
  return (
    /does not support SSL|SSL|TLS|certificate|self[- ]signed/i.test(msg) ||
    code.startsWith('ERR_TLS') ||
    code.startsWith('ERR_SSL') ||
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)
  );
}

/**
 * Maps a pg or socket failure to a typed error with what to check. The message names the
 * redacted URL, never the password (pg's own messages carry user and database names only).
 */
export function postgresError(e: unknown, target: PostgresTarget, doing: string): AppError {
  if (e instanceof AppError) return e;
  const code = String((e as { code?: unknown }).code ?? '');
  const raw = e instanceof Error ? e.message : String(e);
  // Belt and braces: a password can only reach a message through something echoing the URL.
  const msg = target.password ? raw.split(target.password).join('***') : raw;
  const where = `${target.host}:${target.port}`;
  const details = { store: target.redacted, pg: code || undefined };
  if (code === '28P01' || code === '28000')
    return new AppError(
      'STORE_AUTH_FAILED',
      `Cannot ${doing}: PostgreSQL at ${where} refused user "${target.user ?? ''}" (${msg}). Check the user name and password in the store URL (or PGPASSWORD), and that pg_hba.conf on the server admits this host.`,
      details,
      { cause: e },
    );
  if (code === '3D000')
    return new AppError(
      'STORE_DATABASE_MISSING',
      `Cannot ${doing}: the database "${target.database}" does not exist on ${where}. Create it (createdb ${target.database}, owned by the store's user) or fix the name in the store URL.`,
      details,
      { cause: e },
    );
  if (
    UNREACHABLE.has(code) ||
    /timeout expired|Connection terminated due to connection timeout/i.test(msg)
  )
    return new AppError(
      'STORE_UNREACHABLE',
      `Cannot ${doing}: no PostgreSQL answers at ${where} (${code || msg}). Check the host and port in the store URL, that the server runs and listens there (listen_addresses, port), and any firewall between.`,
      details,
      { cause: e },
    );
  if (isTlsFailure(code, msg))
    return new AppError(
      'STORE_TLS_FAILED',
      `Cannot ${doing}: TLS to PostgreSQL at ${where} failed with sslmode=${target.sslmode} (${msg}). Check that the server has ssl=on, and for verify-ca/verify-full that sslrootcert names the CA that signed its certificate (and, for verify-full, that the certificate names the host).`,
      details,
      { cause: e },
    );
  if (code === '53300' || code === '57P03')
    return new AppError(
      'STORE_UNREACHABLE',
      `Cannot ${doing}: PostgreSQL at ${where} does not accept connections now (${msg}).`,
      details,
      { cause: e },
    );
  return new AppError('STORE_WRITE_FAILED', `Cannot ${doing}: ${msg}`, details, { cause: e });
}

function poolFor(target: PostgresTarget, ssl: PostgresTarget['ssl']): pg.Pool {
  const pool = new pg.Pool({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl,
    types: NUMBER_TYPES,
    connectionTimeoutMillis: target.connectTimeoutMs,
    max: 10,
    application_name: 'infrascope',
  });
  // An idle connection the server drops emits 'error' on the pool; unhandled, that would end the
  // process. The next query opens a fresh connection (and reports if the server is gone).
  pool.on('error', () => undefined);
  // pg-pool listens for errors only while a client is idle: one checked out but between queries
  // (kysely holds it from acquire to release) that loses its socket emits 'error' with nobody
  // listening, which ends the process. Each client keeps a listener for its whole life; the
  // failure reaches the pool's listeners (the store's availability watch) as an idle one's does.
  pool.on('connect', (client) => {
    client.on('error', (e) => {
      if (pool.listenerCount('error') > 0) pool.emit('error', e, client);
    });
  });
  return pool;
}

/** A connected pool, or a typed error; `prefer` falls back to plain text as libpq does. */
async function connectPool(target: PostgresTarget, doing: string): Promise<pg.Pool> {
  let pool = poolFor(target, target.ssl);
  try {
    (await pool.connect()).release();
    return pool;
  } catch (e) {
    await pool.end().catch(() => undefined);
    const msg = e instanceof Error ? e.message : String(e);
    if (target.sslmode !== 'prefer' || !/does not support SSL/i.test(msg))
      throw postgresError(e, target, doing);
  }
  pool = poolFor(target, false);
  try {
    (await pool.connect()).release();
    return pool;
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw postgresError(e, target, doing);
  }
}

async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  // to_regclass answers NULL (not an error) while the table does not exist: a fresh database.
  const exists = await sql<{
    t: string | null;
  }>`SELECT to_regclass('kysely_migration') AS t`.execute(db);
  if (!exists.rows[0]?.t) return [];
  const r = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
    db,
  );
  return r.rows.map((x) => x.name);
}

export interface OpenedPostgres {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly target: PostgresTarget;
  readonly applied: readonly string[];
}

/** A connected store whose migrations this app knows all of: what open and probe share. */
interface CheckedPostgres {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  readonly target: PostgresTarget;
  readonly doing: string;
  /** The migrations this app has, and those the database has applied. */
  readonly known: ReadonlySet<string>;
  readonly done: readonly string[];
}

/**
 * Connects and refuses a store migrated by a newer app; a failure is typed (postgresError) and
 * leaves no pool open. `verb` says what the caller is doing to the store, for messages.
 */
async function connectChecked(location: string, verb: string): Promise<CheckedPostgres> {
  const target = parsePostgresLocation(location);
  const doing = `${verb} the store ${target.redacted}`;
  const pool = await connectPool(target, doing);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    const known = new Set(Object.keys(PG_MIGRATIONS));
    const done = await appliedMigrations(db);
    refuseNewer(done, known, 'another store');
    return { db, pool, target, doing, known, done };
  } catch (e) {
    await db.destroy();
    throw postgresError(e, target, doing);
  }
}

/**
 * Connects, refuses a store migrated by a newer app, and applies pending migrations (each in its
 * transaction, under kysely's advisory lock).
 */
export async function openPostgres(location: string): Promise<OpenedPostgres> {
  const { db, pool, target, doing } = await connectChecked(location, 'open');
  try {
    const applied = await migrateToLatest(db, pgMigrationProvider, { store: target.redacted });
    return { db, pool, target, applied };
  } catch (e) {
    await db.destroy();
    throw postgresError(e, target, doing);
  }
}

/**
 * Checks that a team store can be opened from here, changing nothing: the server answers, the
 * user gets in, the database exists and no newer app migrated it. The desktop asks this before it
 * saves the store as its setting and restarts onto it.
 */
export async function probePostgres(location: string): Promise<{ pending: number }> {
  const { db, known, done } = await connectChecked(location, 'connect to');
  await db.destroy();
  return { pending: [...known].filter((m) => !done.includes(m)).length };
}
