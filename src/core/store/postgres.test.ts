import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import type { PostgresCluster } from '../../../tests/helpers/postgres.js';
import { freePort, sharedPostgres, stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import { parsePostgresLocation, redactLocation } from './location.js';
import { MIGRATIONS } from './migrations/index.js';
import { PG_MIGRATIONS } from './migrations-pg/index.js';
import type { Store } from './sqlite.js';
import { openStore } from './sqlite.js';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await sharedPostgres();
});
afterAll(stopSharedPostgres);

/** The typed error `p` rejects with (a resolution or an untyped error fails the test). */
async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

/** Every table's columns and their types, as kysely's introspection reports them. */
async function schemaOf(store: Store): Promise<Map<string, Map<string, string>>> {
  const tables = await store.db.introspection.getTables();
  return new Map(
    tables
      .filter((t) => !t.name.startsWith('kysely_') && !t.isView)
      .map((t) => [t.name, new Map(t.columns.map((c) => [c.name, c.dataType.toLowerCase()]))]),
  );
}

/** The column types the two engines use for one meaning (SQLite's declared type → pg's). */
const SAME_TYPE: Record<string, string> = {
  integer: 'int8',
  text: 'text',
  real: 'float8',
  blob: 'bytea',
};

describe('the PostgreSQL migration set', () => {
  it('has the same versions as the SQLite set, in the same order', () => {
    expect(Object.keys(PG_MIGRATIONS)).toEqual(Object.keys(MIGRATIONS));
  });

  it('builds the same tables with the same columns and compatible types as SQLite', async () => {
    const lite = await openStore({ file: ':memory:' });
    const pg = await openStore({ file: await cluster.createDatabase() });
    try {
      expect(pg.applied).toEqual(Object.keys(PG_MIGRATIONS));
      const a = await schemaOf(lite);
      const b = await schemaOf(pg);
      // FTS5's virtual table and its shadow tables are SQLite's search index; PostgreSQL's is a
      // pg_trgm index on vm (checked below), not a table.
      const liteTables = [...a.keys()].filter((t) => !t.startsWith('vm_fts')).sort();
      expect(liteTables.length).toBeGreaterThan(30);
      expect([...b.keys()].sort()).toEqual(liteTables);
      for (const table of liteTables) {
        const la = a.get(table)!;
        const pa = b.get(table)!;
        expect([...pa.keys()].sort(), table).toEqual([...la.keys()].sort());
        for (const [column, type] of la) {
          expect(`${table}.${column} ${pa.get(column)}`).toBe(
            `${table}.${column} ${SAME_TYPE[type] ?? type}`,
          );
        }
      }
      const trgm = await sql<{ indexdef: string }>`
        SELECT indexdef FROM pg_indexes WHERE tablename = 'vm' AND indexname = 'vm_trgm'`.execute(
        pg.db,
      );
      expect(trgm.rows[0]?.indexdef).toMatch(/USING gin .*gin_trgm_ops/);
    } finally {
      await lite.close();
      await pg.close();
    }
  });

  it('reads a sorted page of live VMs from an index in the sort order, with no sort step', async () => {
    const pg = await openStore({ file: await cluster.createDatabase() });
    try {
      // A handful of rows would be sorted anyway: with sequential scans off the planner shows
      // whether an index can give the order. A (deleted_at, key) index cannot under IS NULL.
      const plans = await pg.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        const out: string[] = [];
        for (const [key, dir] of [
          ['name_key', 'ASC'],
          ['cpu_count', 'DESC'],
          ['power_state', 'DESC'],
          ['host_name', 'ASC'],
        ] as const) {
          const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT v.id AS rid
            FROM vm v JOIN endpoint e ON e.id = v.endpoint_id WHERE v.deleted_at IS NULL
            ORDER BY ${sql.raw(`v.${key} ${dir}, v.native_id ${dir}`)} LIMIT 100`.execute(trx);
          out.push(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
        }
        const count = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT COUNT(*) FROM vm v
          JOIN endpoint e ON e.id = v.endpoint_id WHERE v.deleted_at IS NULL`.execute(trx);
        out.push(count.rows.map((r) => r['QUERY PLAN']).join('\n'));
        return out;
      });
      const [name, cpu, power, host, count] = plans;
      expect(name).toMatch(/Index (Only )?Scan using vm_sort_name_key/);
      expect(cpu).toMatch(/Index (Only )?Scan Backward using vm_sort_cpu/);
      expect(power).toMatch(/Index (Only )?Scan Backward using vm_sort_power/);
      expect(host).toMatch(/Index (Only )?Scan using vm_sort_host/);
      for (const plan of [name, cpu, power, host]) expect(plan).not.toMatch(/Sort/);
      expect(count).toMatch(/Index Only Scan using vm_live_endpoint/);
    } finally {
      await pg.close();
    }
  });

  it('finds a VM by the name of its host through the pg_trgm-indexed search text, ignoring case', async () => {
    const pg = await openStore({ file: await cluster.createDatabase() });
    try {
      const now = new Date().toISOString();
      const { id } = await pg.db
        .insertInto('endpoint')
        .values({
          name: 'vc',
          kind: 'vcenter',
          host: 'h',
          port: 443,
          username: 'u',
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await pg.db
        .insertInto('host')
        .values({
          endpoint_id: id,
          native_id: 'host-1',
          name: 'ESX-Rack7',
          first_seen: now,
          last_seen: now,
        })
        .execute();
      for (const [n, name] of [
        ['vm-1', 'web-01'],
        ['vm-2', 'db-01'],
      ] as const) {
        await pg.db
          .insertInto('vm')
          .values({
            endpoint_id: id,
            native_id: n,
            name,
            host_id: n === 'vm-1' ? 'host-1' : null,
            first_seen: now,
            last_seen: now,
          })
          .execute();
      }
      // The trigger copied the host's name onto its VM; the search finds it by that name.
      const hits = await sql<{ native_id: string }>`
        SELECT native_id FROM vm WHERE (coalesce(name, '') || chr(1) || coalesce(ip_address, '') || chr(1) || coalesce(guest_hostname, '') || chr(1) || coalesce(guest_os, '') || chr(1) || coalesce(host_name, '') || chr(1) || coalesce(annotation, '')) ILIKE ${'%rack7%'}`.execute(
        pg.db,
      );
      expect(hits.rows.map((r) => r.native_id)).toEqual(['vm-1']);
    } finally {
      await pg.close();
    }
  });
});

describe('opening a PostgreSQL store', () => {
  it('migrates once: a second open applies nothing', async () => {
    const url = await cluster.createDatabase();
    const first = await openStore({ file: url });
    await first.close();
    const again = await openStore({ file: url });
    try {
      expect(again.engine).toBe('postgres');
      expect(again.applied).toEqual([]);
      expect(again.location).not.toContain(cluster.password);
    } finally {
      await again.close();
    }
  });

  it('refuses a store migrated by a newer app', async () => {
    const url = await cluster.createDatabase();
    const s = await openStore({ file: url });
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('2099-01-01T0000-future', '2099-01-01')`.execute(
      s.db,
    );
    await s.close();
    const err = await rejection(openStore({ file: url }));
    expect(err.code).toBe('DB_NEWER_THAN_APP');
    expect(err.message).toContain('2099-01-01T0000-future');
  });

  it('says the password was refused, without the password', async () => {
    const url = cluster.urlOf('postgres').replace(cluster.password, 'Wrong-Secret-42');
    const err = await rejection(openStore({ file: url }));
    expect(err.code).toBe('STORE_AUTH_FAILED');
    expect(err.message).toContain('user "postgres"');
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain('Wrong-Secret-42');
  });

  it('says the database is missing', async () => {
    const err = await rejection(openStore({ file: cluster.urlOf('no_such_db') }));
    expect(err.code).toBe('STORE_DATABASE_MISSING');
    expect(err.message).toContain('"no_such_db"');
    expect(err.message).not.toContain(cluster.password);
  });

  it('says nothing answers on a port where no server listens', async () => {
    const port = await freePort();
    const err = await rejection(
      openStore({ file: `postgres://u:Secret-9@127.0.0.1:${port}/db?sslmode=disable` }),
    );
    expect(err.code).toBe('STORE_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).not.toContain('Secret-9');
  });

  it('fails TLS with sslmode=require on a server without TLS, and falls back with prefer', async () => {
    const err = await rejection(
      openStore({ file: `${cluster.urlOf('postgres')}?sslmode=require` }),
    );
    expect(err.code).toBe('STORE_TLS_FAILED');
    const url = await cluster.createDatabase();
    const preferred = await openStore({ file: `${url}?sslmode=prefer` });
    await preferred.close();
  });
});

describe('store URLs', () => {
  it('redacts the password wherever it is given', () => {
    expect(redactLocation('postgres://ops:s3cret@db.example:5433/inv')).toBe(
      'postgres://ops:***@db.example:5433/inv',
    );
    expect(redactLocation('postgresql://db/inv?user=ops&password=s3cret')).not.toContain('s3cret');
    expect(redactLocation('/data/infrascope.db')).toBe('/data/infrascope.db');
  });

  it('reads sslmode as libpq does, and rejects what it does not know', () => {
    expect(parsePostgresLocation('postgres://h/db?sslmode=disable').ssl).toBe(false);
    expect(parsePostgresLocation('postgres://h/db?sslmode=require').ssl).toMatchObject({
      rejectUnauthorized: false,
    });
    expect(parsePostgresLocation('postgres://h/db?sslmode=verify-ca').ssl).toMatchObject({
      rejectUnauthorized: true,
    });
    const full = parsePostgresLocation('postgres://db.example/inv?sslmode=verify-full');
    expect(full.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'db.example' });
    expect(full.port).toBe(5432);
    expect(() => parsePostgresLocation('postgres://h/db?sslmode=sometimes')).toThrow(
      /sslmode=sometimes/,
    );
    expect(() => parsePostgresLocation('postgres://h/')).toThrow(/names no database/);
  });
});
