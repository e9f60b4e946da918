import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../shared/entities.js';
import { withFields } from '../../shared/entities.js';
import type {
  CapacityReport,
  ClusterHeadroom,
  DatastoreForecast,
  ReclaimableSnapshot,
  VmRightSizing,
} from '../../shared/alerts.js';
import { alertListSchema } from '../../shared/alerts.js';
import { scopeCapacityReport } from '../capacity/scope.js';
import type { Scope } from '../../shared/query.js';
import { QUERY_KINDS } from '../../shared/query.js';
import { listAlerts } from '../alerts/repository.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';
import type { Store } from '../store/sqlite.js';
import { searchInventory } from './search.js';
import { listTags, queryInventory, tagListSql } from './query.js';
import { writeFullInventory } from './writer.js';

/*
 * Two endpoints: "vc-prod" (labelled "prod") and "vc-lab" (no label). Some VMs carry vSphere
 * tags, one of which ("prod-like") contains another as a substring: membership must be exact.
 */
afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let store: Store;
  /** Endpoint ids by name. */
  const endpoints = new Map<string, number>();
  const at = new Date('2026-11-24T08:00:00Z');

  function tagged(inv: CollectedEntity[], tags: Record<string, string[]>): CollectedEntity[] {
    return inv.map((e) => (tags[e.id] ? withFields(e, { tags: tags[e.id]! }) : e));
  }

  beforeAll(async () => {
    store = await openTestStore(engine);
    const prod = await addEndpoint(store.db, 'vc-prod');
    const lab = await addEndpoint(store.db, 'vc-lab');
    endpoints.set('vc-prod', prod).set('vc-lab', lab);
    await store.db
      .updateTable('endpoint')
      .set({ tags: '["prod"]' })
      .where('id', '=', prod)
      .execute();
    await writeFullInventory(
      store.db,
      { entities: tagged(sampleInventory(6), { 'vm-1': ['gold'], 'host-1': ['Gold'] }) },
      { endpointId: prod, syncRunId: null, now: at },
    );
    await writeFullInventory(
      store.db,
      {
        entities: tagged(sampleInventory(4), {
          'vm-1': ['prod'],
          'vm-2': ['prod-like', 'gold'],
          'datastore-1': ['prod'],
        }),
      },
      { endpointId: lab, syncRunId: null, now: at },
    );
  });
  afterAll(async () => {
    await store.close();
  });

  const ids = async (q: Parameters<typeof queryInventory>[1]): Promise<string[]> =>
    (await queryInventory(store.db, { limit: 100, ...q })).rows
      .map((r) => `${String(r['endpoint'] ?? r['name'])}/${String(r['id'])}`)
      .sort();

  describe('workspace scope', () => {
    it('an endpoint scope narrows every kind that has an endpoint, and the endpoints list', async () => {
      expect((await ids({ kind: 'vms', scope: { endpoint: 'vc-lab' } })).length).toBe(4);
      expect((await ids({ kind: 'vms', scope: { endpoint: 'VC-PROD' } })).length).toBe(6);
      expect(await ids({ kind: 'hosts', scope: { endpoint: 'vc-lab' } })).toEqual([
        'vc-lab/host-1',
        'vc-lab/host-2',
      ]);
      const endpoints = await queryInventory(store.db, {
        kind: 'endpoints',
        scope: { endpoint: 'vc-lab' },
      });
      expect(endpoints.rows.map((r) => r['name'])).toEqual(['vc-lab']);
      // The audit log has no endpoint: the scope does not apply, nothing breaks.
      const audit = await queryInventory(store.db, { kind: 'audit' });
      await expect(
        queryInventory(store.db, { kind: 'audit', scope: { endpoint: 'vc-lab' } }),
      ).resolves.toMatchObject({ total: audit.total, rows: audit.rows });
    });

    it('a tag scope matches the entity’s own tags or its endpoint’s labels, as whole members', async () => {
      // "prod": every VM of the prod-labelled endpoint, plus lab's vm-1 (tagged prod) — not
      // lab's vm-2, whose "prod-like" only contains the text.
      expect(await ids({ kind: 'vms', scope: { tag: 'prod' } })).toEqual(
        [
          ...['vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5', 'vm-6'].map((v) => `vc-prod/${v}`),
          'vc-lab/vm-1',
        ].sort(),
      );
      expect(await ids({ kind: 'vms', scope: { tag: 'GOLD' } })).toEqual([
        'vc-lab/vm-2',
        'vc-prod/vm-1',
      ]);
      expect(await ids({ kind: 'hosts', scope: { tag: 'gold' } })).toEqual(['vc-prod/host-1']);
      expect(await ids({ kind: 'datastores', scope: { tag: 'prod', endpoint: 'vc-lab' } })).toEqual(
        ['vc-lab/datastore-1'],
      );
      // Clusters carry no tags of their own: only the endpoint label scopes them.
      expect(await ids({ kind: 'clusters', scope: { tag: 'prod' } })).toEqual([
        'vc-prod/domain-c1',
      ]);
    });

    it('a list filter matches whole members only', async () => {
      expect(
        await ids({ kind: 'vms', where: [{ field: 'tags', op: '=', value: 'prod-like' }] }),
      ).toEqual(['vc-lab/vm-2']);
      expect(
        (await ids({ kind: 'vms', where: [{ field: 'tags', op: '!=', value: 'prod' }] })).length,
      ).toBe(9);
      expect(
        await ids({ kind: 'vms', where: [{ field: 'datastores', op: '=', value: 'ds-silv' }] }),
      ).toEqual([]);
      expect(
        (await ids({ kind: 'vms', where: [{ field: 'datastores', op: '=', value: 'DS-SILVER' }] }))
          .length,
      ).toBe(5);
    });

    it('every kind answers a scoped query (the parts that do not apply are left out)', async () => {
      for (const kind of QUERY_KINDS) {
        const res = await queryInventory(store.db, {
          kind,
          scope: { endpoint: 'vc-lab', tag: 'prod' },
          limit: 5,
        });
        expect(res.total, kind).toBeGreaterThanOrEqual(0);
      }
    });

    it('rows about an entity (changes, alerts) follow the entity’s tags and its endpoint’s labels', async () => {
      const changed = await queryInventory(store.db, {
        kind: 'changes',
        scope: { tag: 'gold' },
        limit: 100,
      });
      expect(
        changed.rows.map((r) => `${String(r['endpoint'])}/${String(r['entityId'])}`).sort(),
      ).toEqual(['vc-lab/vm-2', 'vc-prod/host-1', 'vc-prod/vm-1']);

      const ep = (name: string): number => endpoints.get(name)!;
      const raise = (endpointId: number, type: string, id: string): Promise<unknown> =>
        sql`INSERT INTO alert (rule, severity, endpoint_id, entity_type, entity_id, message, state, raised_at)
       VALUES ('test', 'warning', ${endpointId}, ${type}, ${id}, 'm', 'active', '2026-11-24T08:00:00Z')`.execute(
          store.db,
        );
      await raise(ep('vc-lab'), 'vm', 'vm-2'); // tagged gold
      await raise(ep('vc-lab'), 'vm', 'vm-3'); // untagged
      await raise(ep('vc-prod'), 'endpoint', String(ep('vc-prod'))); // endpoint labelled prod
      const listed = async (scope: Scope): Promise<string[]> =>
        (await listAlerts(store.db, alertListSchema.parse({ scope }), at))
          .map((a) => `${String(a.endpoint)}/${String(a.entityId)}`)
          .sort();
      expect(await listed({ tag: 'gold' })).toEqual(['vc-lab/vm-2']);
      expect(await listed({ tag: 'prod' })).toEqual([`vc-prod/${ep('vc-prod')}`]);
      expect(await listed({ endpoint: 'vc-lab' })).toEqual(['vc-lab/vm-2', 'vc-lab/vm-3']);
      const counted = await queryInventory(store.db, {
        kind: 'alerts',
        scope: { tag: 'gold' },
        limit: 0,
      });
      expect(counted.total).toBe(1);
      await sql`DELETE FROM alert WHERE rule = 'test'`.execute(store.db);
    });

    it('narrows a capacity report the same way', async () => {
      const id = (name: string): number => endpoints.get(name)!;
      const [lab, prod] = [id('vc-lab'), id('vc-prod')];
      const vm = (endpointId: number, vmId: string) => ({ endpointId, vmId }) as VmRightSizing;
      const snap = (endpointId: number, vmId: string | null, sizeBytes: number) =>
        ({ endpointId, vmId, sizeBytes, orphaned: vmId === null }) as ReclaimableSnapshot;
      const report: CapacityReport = {
        generatedAt: at.toISOString(),
        datastores: [
          { endpointId: lab, datastoreId: 'datastore-1' },
          { endpointId: lab, datastoreId: 'datastore-2' },
          { endpointId: prod, datastoreId: 'datastore-1' },
        ] as DatastoreForecast[],
        clusters: [
          { endpointId: lab, clusterId: 'domain-c1' },
          { endpointId: prod, clusterId: 'domain-c1' },
        ] as ClusterHeadroom[],
        idleVms: [vm(lab, 'vm-1'), vm(lab, 'vm-2'), vm(prod, 'vm-1')],
        oversizedVms: [vm(prod, 'vm-3')],
        snapshots: [snap(lab, 'vm-1', 10), snap(lab, null, 5), snap(prod, 'vm-2', 7)],
        reclaimableSnapshotBytes: 22,
      };
      const prodTag = await scopeCapacityReport(store.db, report, { tag: 'prod' });
      expect(prodTag.datastores).toEqual([report.datastores[0], report.datastores[2]]);
      expect(prodTag.clusters).toEqual([report.clusters[1]]);
      expect(prodTag.idleVms).toEqual([vm(lab, 'vm-1'), vm(prod, 'vm-1')]);
      expect(prodTag.oversizedVms).toEqual(report.oversizedVms);
      expect(prodTag.snapshots.map((x) => x.sizeBytes)).toEqual([10, 7]);
      expect(prodTag.reclaimableSnapshotBytes).toBe(17);
      const labOnly = await scopeCapacityReport(store.db, report, { endpoint: 'vc-lab' });
      expect(labOnly.idleVms).toEqual([vm(lab, 'vm-1'), vm(lab, 'vm-2')]);
      expect(labOnly.snapshots.map((x) => x.sizeBytes)).toEqual([10, 5]);
      expect(await scopeCapacityReport(store.db, report, undefined)).toBe(report);
    });

    it('narrows the global search (Ctrl+K) the same way', async () => {
      const hits = async (text: string, scope?: Scope): Promise<string[]> =>
        (await searchInventory(store.db, { text, limit: 50, ...(scope ? { scope } : {}) })).hits
          .map((h) => `${h.kind}:${h.endpoint}/${h.id}`)
          .sort();
      expect((await hits('app-00')).length).toBe(10); // 6 + 4 VMs, no scope
      const lab = await hits('app-00', { endpoint: 'vc-lab' });
      expect(lab).toEqual(['vm-1', 'vm-2', 'vm-3', 'vm-4'].map((v) => `vm:vc-lab/${v}`));
      expect(await hits('app', { tag: 'gold' })).toEqual(['vm:vc-lab/vm-2', 'vm:vc-prod/vm-1']);
      // Hosts by their own tag (Gold on prod's host-1); clusters only by an endpoint label.
      expect(await hits('esx', { tag: 'gold' })).toEqual(['host:vc-prod/host-1']);
      expect(await hits('Cluster', { tag: 'prod' })).toEqual(['cluster:vc-prod/domain-c1']);
      // The full-text fallback (text in the middle of a name) is narrowed too.
      expect(await hits('pp-002', { endpoint: 'vc-prod' })).toEqual(['vm:vc-prod/vm-2']);
    });

    it('lists every tag once, case-insensitively, sorted', async () => {
      // One spelling per tag: the first in binary order.
      expect(await listTags(store.db)).toEqual(['Gold', 'prod', 'prod-like']);
    });

    it('reads the VMs of the tag list through the index of tagged VMs, not every VM', async () => {
      // With sequential scans off, PostgreSQL's plan shows whether an index can answer; SQLite
      // picks the partial index by itself when the statement names its conditions.
      const plan = await store.db.transaction().execute(async (trx) => {
        if (engine === 'postgres') await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        const rows = await sql<Record<string, unknown>>`${sql.raw(
          `${engine === 'postgres' ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN'} ${tagListSql(engine)}`,
        )}`.execute(trx);
        return rows.rows.map((r) => String(r['QUERY PLAN'] ?? r['detail'])).join('\n');
      });
      expect(plan).toMatch(/vm_tagged/);
    });
  });
});
