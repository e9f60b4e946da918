import { join } from 'node:path';
import { writeSamples } from '../../src/core/inventory/writer.js';
import { metricsPass } from '../../src/core/metrics/rollup.js';
import { STORE_FILE } from '../../src/core/store/sqlite.js';
import { AppError } from '../../src/shared/errors.js';
import { createCollectorDouble } from '../doubles/collector-double.js';
import { makeCore } from '../doubles/core-harness.js';

/** The secrets a populated store holds: tests look for them where they must never appear. */
export const POPULATED_SECRETS = {
  vc1: 'Vc1!pässword-for-the-copy',
  vc2: 'Vc2!another-secret-value',
  webhookUrl: 'https://hooks.example.test/services/T0KEN-s3cret-path',
} as const;

/**
 * A local SQLite store in `dir` (as the desktop app or the CLI leaves one) with something in
 * every part: endpoints with sealed passwords (key file vault in `dir`), inventory from two syncs
 * (so a change log), a failed sync, relations, a snapshot, alerts, metrics (raw and rolled up),
 * a webhook with its sealed URL, schedules and the audit log. Returns the store file.
 */
export async function populateLocalStore(dir: string): Promise<string> {
  const double = createCollectorDouble({ kind: 'ok', vms: 4 });
  double.behave('broken', {
    kind: 'fail',
    error: new AppError('CONNECTION_REFUSED', 'broken.example.test refused the connection.'),
  });
  const h = await makeCore({ dir, memory: false, collectors: { vcenter: double.factory } });
  try {
    const add = async (name: string, password: string | undefined): Promise<number> =>
      (
        await h.call('endpoints:add', {
          name,
          kind: 'vcenter',
          host: `${name}.example.test`,
          username: 'reader',
          ...(password ? { password } : {}),
          tags: ['copy', name],
        })
      ).id;
    const vc1 = await add('vc1', POPULATED_SECRETS.vc1);
    const vc2 = await add('vc2', POPULATED_SECRETS.vc2);
    const broken = await add('broken', 'x-broken-pw');
    await h.call('sync:start', { ids: [vc1, vc2, broken] });
    await h.finished([vc1, vc2, broken]);
    // A second sync with more VMs: created rows in the change log, a second run per endpoint.
    double.behave('vc1', { kind: 'ok', vms: 9 });
    h.events.length = 0;
    await h.call('sync:start', { ids: [vc1] });
    await h.finished([vc1]);
    // Three failures in a row: the endpoint-sync-failing rule raises an alert.
    for (let i = 0; i < 2; i++) {
      h.events.length = 0;
      await h.call('sync:start', { ids: [broken] });
      await h.finished([broken]);
    }
    await h.call('snapshots:save', { label: 'before the move' });
    await h.call('webhooks:add', { name: 'ops', url: POPULATED_SECRETS.webhookUrl });
    await h.call('schedules:set', { snapshots: { afterSync: true, keep: 5 } });
    const base = Date.parse('2026-11-30T10:00:00Z');
    await writeSamples(
      h.core.store.db,
      vc1,
      Array.from({ length: 48 }, (_, i) => ({
        entityType: 'vm' as const,
        entityId: `vm-${(i % 3) + 1}`,
        at: new Date(base + i * 20 * 60_000).toISOString(),
        cpuMhz: 100 + i,
        memoryBytes: (512 + i) * 1_048_576,
      })),
    );
    await metricsPass(h.core.store.db, { now: new Date(base + 3 * 86_400_000) });
    await h.call('alerts:evaluate', {});
    const raised = await h.call('alerts:list', {});
    await h.call('alerts:ack', { ids: raised.map((a) => a.id) });
  } finally {
    await h.close();
  }
  return join(dir, STORE_FILE);
}
