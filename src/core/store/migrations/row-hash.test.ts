import { describe, expect, it, onTestFinished } from 'vitest';
import { legacyStore } from '../../../../tests/helpers/migrations.js';
import { sampleInventory } from '../../../../tests/helpers/store.js';
import { ENTITY_TYPES } from '../../../shared/entities.js';
import { writeFullInventory } from '../../inventory/writer.js';
import { tableOf } from '../schema.js';
import { openSqliteStore } from '../sqlite.js';

const NAME = '2026-12-04T0600-row-hash';
const AT = '2026-12-01T10:00:00.000Z';

describe(`migration ${NAME}`, () => {
  it('gives every entity table a digest column; stored rows keep NULL until a full sync compares them', async () => {
    const { file, old, cleanup } = await legacyStore(NAME, AT);
    onTestFinished(cleanup);
    // A VM stored before the migration, with a memory size the collector no longer reports.
    old
      .prepare(
        `INSERT INTO vm (endpoint_id, native_id, name, name_key, memory_mb, first_seen, last_seen)
         VALUES (1, 'vm-1', 'app-001', 'app-03001', 1, ?, ?)`,
      )
      .run(AT, AT);
    old.close();

    const store = await openSqliteStore({ file });
    try {
      for (const type of ENTITY_TYPES) {
        const cols = store.sqlite
          .prepare(`SELECT name FROM pragma_table_info('${tableOf(type)}')`)
          .pluck()
          .all();
        expect(cols, tableOf(type)).toContain('row_hash');
      }
      const digest = (): unknown =>
        store.sqlite.prepare("SELECT row_hash FROM vm WHERE native_id = 'vm-1'").pluck().get();
      expect(digest()).toBeNull();
      const now = new Date('2026-12-04T07:00:00.000Z');
      const entities = sampleInventory(1);
      const vm = entities.find((e) => e.type === 'vm' && e.id === 'vm-1');
      const memoryMb = vm?.type === 'vm' ? vm.fields.memoryMb : undefined;
      const counts = await writeFullInventory(
        store.db,
        { entities },
        { endpointId: 1, syncRunId: null, now },
      );
      // The NULL digest matched nothing: the row was compared in full and its change logged.
      expect(counts.updated).toBe(1);
      const change = store.sqlite
        .prepare("SELECT old_value, new_value FROM change_log WHERE field = 'memoryMb'")
        .get();
      expect(change).toEqual({ old_value: '1', new_value: String(memoryMb) });
      expect(typeof digest()).toBe('string');
    } finally {
      await store.close();
    }
  });
});
