import type BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../sqlite.js';
import { MIGRATIONS } from './index.js';
import { legacyStore } from '../../../../tests/helpers/migrations.js';

const NAME = '2026-12-03T0100-relations-only';
const AT = '2026-11-30T10:00:00.000Z';

function columns(sqlite: BetterSqlite3.Database, table: string): string[] {
  return (sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map(
    (c) => c.name,
  );
}

describe(`migration ${NAME}`, () => {
  it('backfills missing relation rows from the JSON columns, then drops the columns', async () => {
    const { file, old, cleanup } = await legacyStore(NAME, AT);
    onTestFinished(cleanup);
    const entity = (table: string, id: string, cols: Record<string, string | null>): void => {
      const names = Object.keys(cols);
      old
        .prepare(
          `INSERT INTO ${table} (endpoint_id, native_id, name, first_seen, last_seen, deleted_at${names.map((n) => `, ${n}`).join('')})
           VALUES (1, ?, ?, ?, ?, ?${names.map(() => ', ?').join('')})`,
        )
        .run(id, id, AT, AT, id.endsWith('-gone') ? AT : null, ...Object.values(cols));
    };
    // vm-1: JSON only (an older writer). vm-2: relation rows already there, and they win.
    entity('vm', 'vm-1', {
      datastore_ids: '["datastore-1","datastore-2"]',
      network_ids: '["network-1"]',
    });
    entity('vm', 'vm-2', { datastore_ids: '["datastore-9"]', network_ids: '[]' });
    old
      .prepare(
        `INSERT INTO relation (endpoint_id, kind, from_id, to_id) VALUES (1, 'vm.datastoreIds', 'vm-2', 'datastore-2')`,
      )
      .run();
    // Soft-deleted rows keep no relations; unreadable JSON and non-text items add nothing.
    entity('vm', 'vm-gone', { datastore_ids: '["datastore-1"]', network_ids: null });
    entity('vm', 'vm-3', { datastore_ids: 'not json', network_ids: '[1, "network-2", null]' });
    entity('host', 'host-1', {
      datastore_ids: '["datastore-1"]',
      network_ids: '["network-1","network-2"]',
    });
    entity('datastore', 'datastore-1', { host_ids: '["host-1"]' });
    entity('network', 'network-1', { host_ids: '["host-1"]' });
    old.close();

    const store = await openSqliteStore({ file });
    try {
      // This migration and the ones after it, in order.
      expect(store.applied).toEqual(Object.keys(MIGRATIONS).filter((m) => m >= NAME));
      const rows = store.sqlite
        .prepare('SELECT kind, from_id, to_id FROM relation ORDER BY kind, from_id, to_id')
        .all();
      expect(rows).toEqual([
        { kind: 'datastore.hostIds', from_id: 'datastore-1', to_id: 'host-1' },
        { kind: 'host.datastoreIds', from_id: 'host-1', to_id: 'datastore-1' },
        { kind: 'host.networkIds', from_id: 'host-1', to_id: 'network-1' },
        { kind: 'host.networkIds', from_id: 'host-1', to_id: 'network-2' },
        { kind: 'network.hostIds', from_id: 'network-1', to_id: 'host-1' },
        { kind: 'vm.datastoreIds', from_id: 'vm-1', to_id: 'datastore-1' },
        { kind: 'vm.datastoreIds', from_id: 'vm-1', to_id: 'datastore-2' },
        { kind: 'vm.datastoreIds', from_id: 'vm-2', to_id: 'datastore-2' },
        { kind: 'vm.networkIds', from_id: 'vm-1', to_id: 'network-1' },
        { kind: 'vm.networkIds', from_id: 'vm-3', to_id: 'network-2' },
      ]);
      expect(columns(store.sqlite, 'vm')).not.toContain('datastore_ids');
      expect(columns(store.sqlite, 'vm')).not.toContain('network_ids');
      expect(columns(store.sqlite, 'host')).not.toContain('datastore_ids');
      expect(columns(store.sqlite, 'host')).not.toContain('network_ids');
      expect(columns(store.sqlite, 'datastore')).not.toContain('host_ids');
      expect(columns(store.sqlite, 'network')).not.toContain('host_ids');
      // The rest of each row is untouched.
      expect(columns(store.sqlite, 'vm')).toContain('guest_disks');
      expect(store.sqlite.prepare('SELECT COUNT(*) AS n FROM vm').get()).toEqual({ n: 4 });
    } finally {
      await store.close();
    }
  });
});
