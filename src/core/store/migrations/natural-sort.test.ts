import { describe, expect, it, onTestFinished } from 'vitest';
import { legacyStore } from '../../../../tests/helpers/migrations.js';
import { queryInventory } from '../../inventory/query.js';
import { openSqliteStore } from '../sqlite.js';

const NAME = '2026-12-04T0300-natural-sort';
const AT = '2026-12-01T10:00:00.000Z';

describe(`migration ${NAME}`, () => {
  it('gives the rows already stored their sort key, so they sort naturally at once', async () => {
    const { file, old, cleanup } = await legacyStore(NAME, AT);
    onTestFinished(cleanup);
    const insert = (table: string, id: string, name: string): void => {
      old
        .prepare(
          `INSERT INTO ${table} (endpoint_id, native_id, name, first_seen, last_seen) VALUES (1, ?, ?, ?, ?)`,
        )
        .run(id, name, AT, AT);
    };
    // More VMs than one batch of the backfill, named so that byte order is wrong.
    old.transaction(() => {
      for (let i = 1; i <= 1203; i++) insert('vm', `vm-${i}`, `VM${i}`);
    })();
    insert('host', 'host-1', 'esx10');
    insert('host', 'host-2', 'esx9');
    old.close();

    const store = await openSqliteStore({ file });
    try {
      const keys = store.sqlite
        .prepare("SELECT name, name_key FROM vm WHERE native_id IN ('vm-2', 'vm-10', 'vm-1203')")
        .all();
      expect(keys).toEqual(
        expect.arrayContaining([
          { name: 'VM2', name_key: 'vm012' },
          { name: 'VM10', name_key: 'vm0210' },
          { name: 'VM1203', name_key: 'vm041203' },
        ]),
      );
      expect(
        store.sqlite.prepare('SELECT COUNT(*) AS n FROM vm WHERE name_key IS NULL').get(),
      ).toEqual({
        n: 0,
      });
      const vms = await queryInventory(store.db, { kind: 'vms', limit: 12 });
      expect(vms.rows.map((r) => r['name'])).toEqual(
        Array.from({ length: 12 }, (_, i) => `VM${i + 1}`),
      );
      const hosts = await queryInventory(store.db, { kind: 'hosts', limit: 10 });
      expect(hosts.rows.map((r) => r['name'])).toEqual(['esx9', 'esx10']);
    } finally {
      await store.close();
    }
  });
});
