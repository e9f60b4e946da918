import { sql } from 'kysely';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../shared/entities.js';
import { withFields } from '../../shared/entities.js';
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

/*
 * The VMs table sorts and searches by host and cluster through names the store copies onto each
 * VM row (triggers in migration vm-sort-search). These check the copies against the host and
 * cluster rows themselves after every kind of write that could make them drift.
 */
let store: Store;
let ep: number;
const at = (m: number): Date => new Date(Date.UTC(2026, 10, 24, 8, m));

async function copiesAgree(): Promise<void> {
  const { rows } = await sql<Record<string, unknown>>`
    SELECT v.native_id AS id, v.host_name, h.name AS host, v.cluster_name, c.name AS cluster
      FROM vm v
      LEFT JOIN host h ON h.endpoint_id = v.endpoint_id AND h.native_id = v.host_id
      LEFT JOIN cluster c ON c.endpoint_id = v.endpoint_id AND c.native_id = v.cluster_id`.execute(
    store.db,
  );
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    expect(r['host_name'], `host of ${String(r['id'])}`).toBe(r['host']);
    expect(r['cluster_name'], `cluster of ${String(r['id'])}`).toBe(r['cluster']);
  }
}

const hostOf = (inv: CollectedEntity[], id: string): CollectedEntity =>
  inv.find((e) => e.type === 'host' && e.id === id)!;

async function openEmpty(engine: StoreEngine): Promise<void> {
  store = await openTestStore(engine);
  ep = await addEndpoint(store.db, 'vc-lab');
}

afterAll(stopSharedPostgres);
afterEach(async () => {
  await store.close();
});

describe.each(ENGINES)('on a %s store', (engine) => {
  beforeEach(() => openEmpty(engine));

  describe('host and cluster names on VM rows', () => {
    it('are set by a full sync and sort and search like the names themselves', async () => {
      await writeFullInventory(
        store.db,
        { entities: sampleInventory(6) },
        { endpointId: ep, syncRunId: null, now: at(0) },
      );
      await copiesAgree();
      const byHost = await queryInventory(store.db, {
        kind: 'vms',
        sort: [{ field: 'host', desc: true }],
        limit: 100,
      });
      expect(byHost.rows.map((r) => r['host'])).toEqual([
        ...Array(3).fill('esx2.example.test'),
        ...Array(3).fill('esx1.example.test'),
      ]);
      const found = await queryInventory(store.db, {
        kind: 'vms',
        search: 'ESX2.example',
        limit: 100,
      });
      expect(found.total).toBe(3);
    });

    it('follow a host rename, a cluster rename and a VM moving between hosts', async () => {
      const inv = sampleInventory(4);
      await writeFullInventory(
        store.db,
        { entities: inv },
        { endpointId: ep, syncRunId: null, now: at(0) },
      );
      const renamed = { ...hostOf(inv, 'host-1'), name: 'esx-renamed' };
      const cluster = inv.find((e) => e.type === 'cluster')!;
      const vm2 = inv.find((e) => e.id === 'vm-2')!;
      await writeInventoryDelta(
        store.db,
        {
          upserts: [
            renamed,
            { ...cluster, name: 'Cluster Z' },
            withFields(vm2, { hostId: 'host-1' }),
          ],
          removals: [],
        },
        { endpointId: ep, syncRunId: null, now: at(1) },
      );
      await copiesAgree();
      const onRenamed = await queryInventory(store.db, {
        kind: 'vms',
        where: [{ field: 'host', op: '=', value: 'esx-renamed' }],
        limit: 100,
      });
      expect(onRenamed.rows.map((r) => r['id']).sort()).toEqual(['vm-1', 'vm-2', 'vm-3']);
      expect(onRenamed.rows.every((r) => r['cluster'] === 'Cluster Z')).toBe(true);
    });

    it('are filled in when a VM arrives before its host', async () => {
      const inv = sampleInventory(2);
      const vms = inv.filter((e) => e.type === 'vm');
      await writeInventoryDelta(
        store.db,
        { upserts: vms, removals: [] },
        { endpointId: ep, syncRunId: null, now: at(0) },
      );
      const before = await sql<{ host_name: string | null }>`SELECT host_name FROM vm`.execute(
        store.db,
      );
      expect(before.rows.every((r) => r.host_name === null)).toBe(true);
      await writeInventoryDelta(
        store.db,
        { upserts: inv.filter((e) => e.type !== 'vm'), removals: [] },
        { endpointId: ep, syncRunId: null, now: at(1) },
      );
      await copiesAgree();
    });
  });

  const fieldsSearched = ['name', 'ipAddress', 'guestHostname', 'guestOs', 'host', 'annotation'];

  /** What a plain case-insensitive substring scan over the searched fields finds. */
  async function scanned(term: string): Promise<string[]> {
    const all = await queryInventory(store.db, { kind: 'vms', limit: 10_000 });
    return all.rows
      .filter((r) =>
        fieldsSearched.some((f) =>
          String(r[f] ?? '')
            .toLowerCase()
            .includes(term.toLowerCase()),
        ),
      )
      .map((r) => String(r['id']))
      .sort();
  }
  async function searched(term: string): Promise<string[]> {
    const res = await queryInventory(store.db, { kind: 'vms', search: term, limit: 10_000 });
    expect(res.total).toBe(res.rows.length);
    return res.rows.map((r) => String(r['id'])).sort();
  }

  /* The free-text search: FTS5 trigram on SQLite, pg_trgm over the row on PostgreSQL. */
  describe('the VMs table search through the trigram index', () => {
    it('finds exactly what a substring scan finds, before and after renames and edits', async () => {
      const inv = sampleInventory(30).map((e) =>
        e.id === 'vm-7' ? withFields(e, { annotation: 'Owner: "Team Blue" 100% — ÉQUIPE' }) : e,
      );
      const vm7 = inv.find((e) => e.id === 'vm-7')!;
      await writeFullInventory(
        store.db,
        { entities: inv },
        { endpointId: ep, syncRunId: null, now: at(0) },
      );
      const terms = [
        'app-01',
        'APP-02',
        '10.0.0.1',
        'esx2.EXAMPLE',
        'team blue',
        '"team',
        '100%',
        'ubuntu',
        'nothing-like-this',
      ];
      for (const t of terms) expect(await searched(t), t).toEqual(await scanned(t));
      expect(await searched('"Team Blue"')).toEqual(['vm-7']);

      await writeInventoryDelta(
        store.db,
        {
          upserts: [
            { ...withFields(vm7, { ipAddress: '192.168.7.7' }), name: 'renamed-db' },
            { ...hostOf(inv, 'host-2'), name: 'esx-moved.example.test' },
          ],
          removals: [],
        },
        { endpointId: ep, syncRunId: null, now: at(1) },
      );
      for (const t of [
        'app-007',
        'renamed',
        '192.168.7',
        'esx2.example',
        'esx-moved',
        '10.0.0.7',
      ]) {
        expect(await searched(t), t).toEqual(await scanned(t));
      }
      expect(await searched('renamed-DB')).toEqual(['vm-7']);
      expect(await searched('esx2.example')).toEqual([]);
    });

    it('drops a VM from the index with its endpoint, and short terms still scan', async () => {
      await writeFullInventory(
        store.db,
        { entities: sampleInventory(12) },
        { endpointId: ep, syncRunId: null, now: at(0) },
      );
      expect(await searched('-0')).toEqual(await scanned('-0'));
      expect((await searched('-0')).length).toBe(12);
      await store.db.deleteFrom('endpoint').where('id', '=', ep).execute();
      expect(await searched('app')).toEqual([]);
      if (store.engine === 'sqlite') {
        // FTS5 keeps its own table (PostgreSQL's GIN index is over the rows, gone with them).
        const left = sqliteOf(store, 'count FTS rows')
          .sqlite.prepare('SELECT COUNT(*) AS n FROM vm_fts')
          .get() as { n: number };
        expect(left.n).toBe(0);
      }
    });
  });
});
