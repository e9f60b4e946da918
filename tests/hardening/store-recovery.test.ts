import BetterSqlite3 from 'better-sqlite3';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors.js';
import { queryInventory } from '../../src/core/inventory/query.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { openStoreWithRecovery } from '../../src/core/store/recovery.js';
import { backupNow, kyselyOver, openSqliteStore, sqliteOf } from '../../src/core/store/sqlite.js';
import { addEndpoint, sampleInventory } from '../helpers/store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'infrascope-recovery-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function damage(file: string): void {
  const fd = openSync(file, 'r+');
  // Overwrite pages in the middle of the file: the schema survives, the b-trees do not.
  writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, 4096 * 3);
  closeSync(fd);
}

describe('a damaged store at start', () => {
  it('is moved aside and the newest good backup restored, with what was lost', async () => {
    const file = join(dir, 'infrascope.db');
    const store = await openSqliteStore({ file });
    const ep = await addEndpoint(store.db);
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(30) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    );
    const backup = await backupNow(store, 3);
    // A later sync that the backup does not hold.
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(60) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    );
    store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    await store.close();
    damage(file);

    const { store: again, recovery } = await openStoreWithRecovery({ file });
    try {
      expect(recovery).not.toBeNull();
      expect(recovery!.restoredFrom).toBe(backup);
      expect(recovery!.dataLostSince).not.toBeNull();
      expect(existsSync(recovery!.movedTo)).toBe(true);
      expect(sqliteOf(again, 'check').sqlite.pragma('integrity_check', { simple: true })).toBe(
        'ok',
      );
      const vms = await queryInventory(again.db, { kind: 'vms', limit: 0 });
      expect(vms.total).toBe(30);
    } finally {
      await again.close();
    }
  });

  it('starts empty but says so when no backup is usable', async () => {
    const file = join(dir, 'infrascope.db');
    const store = await openSqliteStore({ file });
    const ep = await addEndpoint(store.db);
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(30) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    );
    store.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    await store.close();
    damage(file);
    const { store: again, recovery } = await openStoreWithRecovery({ file });
    expect(recovery).toMatchObject({ restoredFrom: null, dataLostSince: null });
    expect(readdirSync(join(dir, 'corrupt')).some((f) => f.endsWith('.db'))).toBe(true);
    await again.close();
  });

  it('keeps only the newest N backups, each passing integrity_check', async () => {
    const store = await openSqliteStore({ file: join(dir, 'infrascope.db') });
    for (let i = 0; i < 5; i++) await backupNow(store, 3, new Date(Date.UTC(2026, 0, 1 + i)));
    const files = readdirSync(join(dir, 'backups')).filter((f) => f.endsWith('.db'));
    expect(files).toHaveLength(3);
    for (const f of files) {
      const b = new BetterSqlite3(join(dir, 'backups', f), { readonly: true });
      expect(b.pragma('integrity_check', { simple: true })).toBe('ok');
      b.close();
    }
    await store.close();
  });
});

describe('a full disk', () => {
  it('fails the write cleanly with DISK_FULL and leaves the previous inventory readable', async () => {
    const store = await openSqliteStore({ file: join(dir, 'infrascope.db') });
    const ep = await addEndpoint(store.db);
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(10) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    );
    // Cap the file where it is now: the next big write hits SQLITE_FULL, as on a full disk.
    const pages = store.sqlite.pragma('page_count', { simple: true }) as number;
    store.sqlite.pragma(`max_page_count = ${pages + 2}`);
    const err = await writeFullInventory(
      store.db,
      { entities: sampleInventory(3000) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('DISK_FULL');
    const vms = await queryInventory(store.db, { kind: 'vms', limit: 0 });
    expect(vms.total).toBe(10);
    expect(store.sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    await store.close();
  });
});

describe('a read-only store', () => {
  it('fails a write with STORE_READ_ONLY and keeps the inventory readable', async () => {
    const file = join(dir, 'infrascope.db');
    const store = await openSqliteStore({ file });
    const ep = await addEndpoint(store.db);
    await writeFullInventory(
      store.db,
      { entities: sampleInventory(5) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    );
    await store.close();
    // A read-only connection refuses writes with SQLITE_READONLY, as a read-only mount does.
    const ro = new BetterSqlite3(file, { readonly: true });
    const db = kyselyOver(ro);
    const err = await writeFullInventory(
      db,
      { entities: sampleInventory(8) },
      { endpointId: ep, syncRunId: null, now: new Date() },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORE_READ_ONLY');
    expect((await queryInventory(db, { kind: 'vms', limit: 0 })).total).toBe(5);
    await db.destroy();
  });
});
