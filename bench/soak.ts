/**
 * Soak: 50,000 VMs across 20 simulated endpoints syncing on short intervals, while the UI's
 * query path is exercised. Prints query p95, memory over time (growth after warm-up) and whether
 * any endpoint's syncs overlapped. Run: npm run soak  (SOAK_SECONDS=600 by default;
 * SOAK_ENDPOINTS, SOAK_VMS_PER_ENDPOINT, SOAK_INTERVAL_SECONDS to change the load).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Collector, CollectorFactory } from '../src/core/collectors/collector.js';
import { createCore } from '../src/core/core.js';
import { keyFileVault } from '../src/core/vault/key-file-vault.js';
import type { CollectedEntity } from '../src/shared/entities.js';
import type { QueryKind } from '../src/shared/query.js';

const seconds = Number(process.env['SOAK_SECONDS'] ?? 600);
const endpoints = Number(process.env['SOAK_ENDPOINTS'] ?? 20);
const vmsPer = Number(process.env['SOAK_VMS_PER_ENDPOINT'] ?? 2500);
const interval = Number(process.env['SOAK_INTERVAL_SECONDS'] ?? 30);

/** A simulated endpoint: the same estate each time with ~1 % of VMs changed per collection. */
function simulated(name: string): Collector {
  let round = 0;
  return {
    collectFull: async (ctx) => {
      round++;
      const entities: CollectedEntity[] = [
        { type: 'datacenter', id: 'dc-1', name: `${name}-dc`, fields: {} },
        { type: 'cluster', id: 'c-1', name: `${name}-cluster`, fields: { datacenterId: 'dc-1' } },
        ...Array.from({ length: 8 }, (_, h) => ({
          type: 'host' as const,
          id: `host-${h}`,
          name: `${name}-esx${h}`,
          fields: {
            clusterId: 'c-1',
            datacenterId: 'dc-1',
            connectionState: 'connected',
            cpuUsageMhz: Math.round(Math.random() * 10000),
          },
        })),
      ];
      for (let i = 0; i < vmsPer; i++) {
        const changed = Math.random() < 0.01;
        entities.push({
          type: 'vm',
          id: `vm-${i}`,
          name: `${name}-vm-${i}`,
          fields: {
            datacenterId: 'dc-1',
            clusterId: 'c-1',
            hostId: `host-${i % 8}`,
            powerState: changed && round % 2 === 0 ? 'poweredOff' : 'poweredOn',
            cpuCount: 2 + (i % 4),
            memoryMb: 4096 + (changed ? round : 0),
            guestOs: 'ubuntu64Guest',
            ipAddress: `10.${i % 250}.${Math.floor(i / 250)}.${round % 250}`,
            cpuUsageMhz: Math.round(Math.random() * 2000),
          },
        });
      }
      ctx.progress({ phase: 'vm', done: vmsPer, total: vmsPer });
      await new Promise((r) => setTimeout(r, 50));
      return { entities };
    },
    dispose: () => Promise.resolve(),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'infrascope-soak-'));
const factory: CollectorFactory = (t) => simulated(t.name);
const core = await createCore({
  dataDir: dir,
  host: 'cli',
  vault: keyFileVault(dir),
  collectors: { vcenter: factory },
  scheduler: { staggerMs: 200, concurrency: 4, watch: false },
});
const actor = { actor: 'soak', host: 'cli' } as const;
for (let i = 0; i < endpoints; i++) {
  const r = await core.request(
    'endpoints:add',
    {
      name: `sim-${i}`,
      kind: 'vcenter',
      host: `sim-${i}.invalid`,
      username: 'soak',
      password: 'soak-secret',
      pollIntervalSeconds: Math.max(30, interval),
    },
    actor,
  );
  if (!r.ok) throw new Error(r.error.message);
}
await core.start();

const latencies: number[] = [];
const rss: { t: number; mb: number }[] = [];
const kinds: QueryKind[] = ['vms', 'vms', 'vms', 'hosts', 'changes'];
const sorts = ['name', 'memoryMb', 'host', 'ipAddress', 'powerState'];
const t0 = Date.now();
const deadline = t0 + seconds * 1000;
const sampler = setInterval(
  () => rss.push({ t: (Date.now() - t0) / 1000, mb: process.memoryUsage().rss / 2 ** 20 }),
  5000,
);
while (Date.now() < deadline) {
  const kind = kinds[Math.floor(Math.random() * kinds.length)]!;
  const q0 = performance.now();
  const r = await core.request(
    'inventory:query',
    kind === 'vms'
      ? {
          kind,
          sort: [
            { field: sorts[Math.floor(Math.random() * sorts.length)]!, desc: Math.random() < 0.5 },
          ],
          where: Math.random() < 0.3 ? [{ field: 'powerState', op: '=', value: 'poweredOff' }] : [],
          limit: 200,
          offset: Math.floor(Math.random() * 40) * 200,
        }
      : { kind, limit: 200 },
    actor,
  );
  latencies.push(performance.now() - q0);
  if (!r.ok) throw new Error(r.error.message);
  await new Promise((res) => setTimeout(res, 100));
}
clearInterval(sampler);
await core.dispose();

// Overlap check: no endpoint ever had two full syncs running at once.
const { openStore } = await import('../src/core/store/sqlite.js');
const store = await openStore({ file: join(dir, 'infrascope.db') });
const runs = await store.db
  .selectFrom('sync_run')
  .selectAll()
  .where('mode', '=', 'full')
  .orderBy('endpoint_id')
  .orderBy('started_at')
  .execute();
let overlaps = 0;
for (let i = 1; i < runs.length; i++) {
  const a = runs[i - 1]!;
  const b = runs[i]!;
  if (a.endpoint_id === b.endpoint_id && a.ended_at !== null && b.started_at < a.ended_at)
    overlaps++;
}
const ok = runs.filter((r) => r.status === 'succeeded').length;
const totalVms = await store.db
  .selectFrom('vm')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .where('deleted_at', 'is', null)
  .executeTakeFirstOrThrow();
await store.close();
rmSync(dir, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const pct = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
const warm = rss.filter((s) => s.t >= seconds * 0.2);
const base = warm[0]?.mb ?? 0;
const peak = Math.max(...warm.map((s) => s.mb));
process.stdout.write(
  [
    `soak                 ${seconds} s, ${endpoints} endpoints × ${vmsPer} VMs (${Number(totalVms.n)} VMs stored), interval ${interval} s`,
    `full syncs           ${runs.length} (${ok} succeeded), overlapping syncs of one endpoint: ${overlaps}`,
    `UI queries           ${latencies.length}, p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms, max ${pct(1).toFixed(1)} ms`,
    `RSS after warm-up    ${base.toFixed(0)} MiB → peak ${peak.toFixed(0)} MiB (${base ? (((peak - base) / base) * 100).toFixed(1) : '0'} % growth)`,
  ].join('\n') + '\n',
);
