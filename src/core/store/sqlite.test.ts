import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { MIGRATIONS } from './migrations/index.js';
import { openSqliteStore } from './sqlite.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('creates the schema and sets the pragmas it promises', async () => {
    const store = await openSqliteStore({ file: join(dir, 'a.db') });
    try {
      expect(store.applied).toEqual(Object.keys(MIGRATIONS));
      expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      // 2 = FULL: configuration and credentials cannot be collected again.
      expect(store.sqlite.pragma('synchronous', { simple: true })).toBe(2);
      expect(store.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(store.sqlite.pragma('busy_timeout', { simple: true })).toBe(10000);
      const tables = store.sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((r) => (r as { name: string }).name);
      for (const t of [
        'endpoint',
        'vm',
        'host',
        'vm_disk',
        'snapshot',
        'change_log',
        'relation',
        'sync_run',
        'audit_log',
      ]) {
        expect(tables).toContain(t);
      }
    } finally {
      await store.close();
    }
  });

  it('keeps a large cache and a memory map for readers, neither for a compact (CLI) open', async () => {
    const file = join(dir, 'c.db');
    const full = await openSqliteStore({ file });
    try {
      expect(full.sqlite.pragma('cache_size', { simple: true })).toBe(-65536);
      expect(full.sqlite.pragma('mmap_size', { simple: true })).toBe(268435456);
    } finally {
      await full.close();
    }
    const compact = await openSqliteStore({ file, compact: true });
    try {
      expect(compact.sqlite.pragma('cache_size', { simple: true })).toBe(-16384);
      expect(compact.sqlite.pragma('mmap_size', { simple: true })).toBe(0);
      expect(compact.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      await compact.close();
    }
  });

  it('applies nothing and backs nothing up when the schema is current', async () => {
    const file = join(dir, 'b.db');
    await (await openSqliteStore({ file })).close();
    const again = await openSqliteStore({ file });
    expect(again.applied).toEqual([]);
    expect(again.backupFile).toBeNull();
    await again.close();
  });

  it('refuses a database migrated by a newer app and leaves it untouched', async () => {
    const file = join(dir, 'c.db');
    await (await openSqliteStore({ file })).close();
    const raw = new BetterSqlite3(file);
    raw
      .prepare('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)')
      .run('2099-01-01T0000-future', new Date().toISOString());
    raw.close();
    const err = await openSqliteStore({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('DB_NEWER_THAN_APP');
    const check = new BetterSqlite3(file, { readonly: true });
    expect(check.prepare('SELECT COUNT(*) AS n FROM kysely_migration').get()).toEqual({
      n: Object.keys(MIGRATIONS).length + 1,
    });
    check.close();
  });

  it('backs the file up with the online backup API before migrating an existing store', async () => {
    const file = join(dir, 'd.db');
    // An existing store from "before" the initial migration: a file with unrelated content.
    const raw = new BetterSqlite3(file);
    raw.exec('CREATE TABLE legacy (x INTEGER); INSERT INTO legacy VALUES (42);');
    raw.close();
    const store = await openSqliteStore({ file });
    expect(store.backupFile).not.toBeNull();
    const backups = readdirSync(join(dir, 'backups'));
    expect(backups).toHaveLength(1);
    const b = new BetterSqlite3(join(dir, 'backups', backups[0]!), { readonly: true });
    expect(b.prepare('SELECT x FROM legacy').get()).toEqual({ x: 42 });
    expect(b.pragma('integrity_check', { simple: true })).toBe('ok');
    b.close();
    await store.close();
  });

  it('rolls a failing migration back completely and says why', async () => {
    const file = join(dir, 'e.db');
    // A conflicting table makes the initial migration fail half-way (after creating others).
    const raw = new BetterSqlite3(file);
    raw.exec('CREATE TABLE change_log (oops INTEGER)');
    raw.close();
    const err = await openSqliteStore({ file }).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('MIGRATION_FAILED');
    expect((err as AppError).message).toMatch(/rolled back/);
    const check = new BetterSqlite3(file, { readonly: true });
    const tables = check
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    check.close();
    // The endpoint table comes before change_log in the migration: it must not survive.
    expect(tables).not.toContain('endpoint');
    expect(tables).toContain('change_log');
  });

  it('refuses a damaged file with a clear error', async () => {
    const file = join(dir, 'f.db');
    await (await openSqliteStore({ file })).close();
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 4096 * 2);
    closeSync(fd);
    const err = await openSqliteStore({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORE_CORRUPT');
  });
});
