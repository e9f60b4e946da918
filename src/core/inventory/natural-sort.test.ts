import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../shared/entities.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';
import type { StoreEngine } from '../store/location.js';
import { sqliteOf } from '../store/sqlite.js';
import type { Store } from '../store/sqlite.js';
import { queryInventory } from './query.js';
import { writeFullInventory, writeInventoryDelta } from './writer.js';

/* Names sort as people read them (VM2 before VM10), through the query path and an index. */

const NAMES = ['vm10', 'app-10', 'VM2b', 'vm1', 'app-9', 'vm2'];
const READ_ORDER = ['app-9', 'app-10', 'vm1', 'vm2', 'VM2b', 'vm10'];

let store: Store;
let ep: number;
const at = (m: number): Date => new Date(Date.UTC(2026, 11, 4, 3, m));

/** The sample estate with its VMs (and their first disk) named `names`, in that order. */
function estate(names: readonly string[]): CollectedEntity[] {
  const inv = sampleInventory(names.length);
  let i = 0;
  const out = inv.map((e) => (e.type === 'vm' ? { ...e, name: names[i++]! } : e));
  names.forEach((_, n) =>
    out.push({
      type: 'vmDisk',
      id: `vm-${n + 1}:disk-2000`,
      name: 'Hard disk 1',
      fields: { vmId: `vm-${n + 1}`, capacityBytes: 1 },
    }),
  );
  return out;
}

async function names(kind: 'vms' | 'disks', field: string, desc = false): Promise<unknown[]> {
  const r = await queryInventory(store.db, { kind, sort: [{ field, desc }], limit: 100 });
  return r.rows.map((x) => x[field]);
}

async function openEstate(engine: StoreEngine): Promise<void> {
  store = await openTestStore(engine);
  ep = await addEndpoint(store.db, 'vc-lab');
  await writeFullInventory(
    store.db,
    { entities: estate(NAMES) },
    { endpointId: ep, syncRunId: null, now: at(0) },
  );
}

afterAll(stopSharedPostgres);
afterEach(async () => {
  await store.close();
});

describe.each(ENGINES)('natural sort of names on a %s store', (engine) => {
  beforeEach(() => openEstate(engine));

  it('sorts VMs by name as people read them, both ways, and by default', async () => {
    expect(await names('vms', 'name')).toEqual(READ_ORDER);
    expect(await names('vms', 'name', true)).toEqual([...READ_ORDER].reverse());
    const unsorted = await queryInventory(store.db, { kind: 'vms', limit: 100 });
    expect(unsorted.rows.map((r) => r['name'])).toEqual(READ_ORDER);
  });

  it('pages through the natural order without gaps or repeats', async () => {
    const pages: unknown[] = [];
    for (let offset = 0; offset < NAMES.length; offset += 4) {
      const r = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'name', desc: false }],
        limit: 4,
        offset,
      });
      pages.push(...r.rows.map((x) => x['name']));
    }
    expect(pages).toEqual(READ_ORDER);
  });

  it('sorts rows of a VM (its disks) by the VM name the same way', async () => {
    expect(await names('disks', 'vm')).toEqual(READ_ORDER);
  });

  it('follows a rename by a delta', async () => {
    const vm10 = estate(NAMES).find((e) => e.type === 'vm' && e.name === 'vm10')!;
    await writeInventoryDelta(
      store.db,
      { upserts: [{ ...vm10, name: 'app-1' }], removals: [] },
      { endpointId: ep, syncRunId: null, now: at(1) },
    );
    expect(await names('vms', 'name')).toEqual(['app-1', 'app-9', 'app-10', 'vm1', 'vm2', 'VM2b']);
  });
});

// SQLite's query plan; PostgreSQL's over its partial sort indexes is checked in
// store/postgres.test.ts (its planner needs a large table to prefer the index at all).
describe('natural sort index on a sqlite store', () => {
  beforeEach(() => openEstate('sqlite'));

  it('reads a sorted window of VMs in index order, without sorting the table', () => {
    const plan = sqliteOf(store, 'read a query plan')
      .sqlite.prepare(
        `EXPLAIN QUERY PLAN SELECT v.rowid FROM vm v JOIN endpoint e ON e.id = v.endpoint_id
         WHERE v.deleted_at IS NULL ORDER BY v.name_key ASC, v.native_id LIMIT 100`,
      )
      .all() as { detail: string }[];
    const text = plan.map((p) => p.detail).join('\n');
    expect(text).toMatch(/USING (COVERING )?INDEX vm_sort_name_key/);
    expect(text).not.toMatch(/TEMP B-TREE/);
  });
});
