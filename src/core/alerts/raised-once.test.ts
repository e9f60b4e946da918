import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedEntity } from '../../shared/entities.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  addEndpoint,
  sampleInventory,
  twoPostgresProcesses,
} from '../../../tests/helpers/store.js';
import { writeFullInventory } from '../inventory/writer.js';
import type { Store } from '../store/sqlite.js';
import { evaluateEndpoint } from './engine.js';

/*
 * Every process on a team store runs the rule engine (after its own syncs, and on its sweep of
 * all endpoints), so two of them evaluate one endpoint at the same moment: the alert must open
 * once. Two stores opened on one database are two processes here (a pool each).
 */

afterAll(stopSharedPostgres);

const NOW = new Date('2026-11-10T08:00:00Z');

describe('alerts on a PostgreSQL store shared by several processes', () => {
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    [a, b] = await twoPostgresProcesses();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('raises each alert once when two processes evaluate the same endpoints at once', async () => {
    // Several endpoints, each with one host in maintenance, raced pairwise: one pair alone may
    // happen not to overlap, eight at once do.
    const eps: number[] = [];
    for (let i = 1; i <= 8; i++) {
      const ep = await addEndpoint(a.db, `vc${i}`);
      const entities = sampleInventory(2).map((e): CollectedEntity =>
        e.type === 'host' && e.id === 'host-2'
          ? { ...e, fields: { ...e.fields, inMaintenance: true } }
          : e,
      );
      await writeFullInventory(a.db, { entities }, { endpointId: ep, syncRunId: null, now: NOW });
      eps.push(ep);
    }
    const results = await Promise.all(
      eps.flatMap((ep) => [
        evaluateEndpoint(a.db, ep, { now: NOW }),
        evaluateEndpoint(b.db, ep, { now: NOW }),
      ]),
    );
    const alerts = await b.db
      .selectFrom('alert')
      .select(['endpoint_id', 'rule', 'entity_id', 'state'])
      .where('rule', '=', 'host-maintenance')
      .orderBy('endpoint_id')
      .execute();
    expect(alerts).toEqual(
      eps.map((ep) => ({
        endpoint_id: ep,
        rule: 'host-maintenance',
        entity_id: 'host-2',
        state: 'active',
      })),
    );
    // Whatever else the sample raises, it was raised once: one row per key, one raise per row.
    const all = await b.db
      .selectFrom('alert')
      .select(['endpoint_id', 'rule', 'entity_type', 'entity_id'])
      .execute();
    const keys = new Set(all.map((r) => JSON.stringify(r)));
    expect(keys.size).toBe(all.length);
    expect(results.reduce((n, r) => n + r.raised, 0)).toBe(all.length);
  });
});
