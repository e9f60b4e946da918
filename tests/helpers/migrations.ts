import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { expect } from 'vitest';
import { MIGRATIONS } from '../../src/core/store/migrations/index.js';

/**
 * Makes `file` a store at the schema just before migration `name`: every migration that sorts
 * before it applied, `name` and the later ones not, so a test can fill in old rows and then open
 * the store as the app does.
 */
export async function storeBefore(file: string, name: string): Promise<void> {
  const names = Object.keys(MIGRATIONS);
  const before = names.filter((m) => m < name);
  expect(names[before.length]).toBe(name);
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(file) }),
  });
  const migrator = new Migrator({
    db,
    provider: {
      getMigrations: () =>
        Promise.resolve(Object.fromEntries(before.map((m) => [m, MIGRATIONS[m]!]))),
    },
  });
  const { error } = await migrator.migrateToLatest();
  expect(error).toBeUndefined();
  await db.destroy();
}

/**
 * A store file in a new temporary directory at the schema just before migration `name`, opened
 * raw (as an older app left it) with endpoint 1 in it; `cleanup` removes the directory.
 */
export async function legacyStore(
  name: string,
  at: string,
): Promise<{ file: string; old: BetterSqlite3.Database; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'infrascope-migration-'));
  const file = join(dir, 'store.db');
  await storeBefore(file, name);
  const old = new BetterSqlite3(file);
  old
    .prepare(
      `INSERT INTO endpoint (id, name, kind, host, port, username, created_at, updated_at)
       VALUES (1, 'vc', 'vcenter', 'vc.example.test', 443, 'u', ?, ?)`,
    )
    .run(at, at);
  return { file, old, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
