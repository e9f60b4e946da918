import type { Kysely } from 'kysely';
import type { CollectedEntity } from '../../src/shared/entities.js';
import type { Database } from '../../src/core/store/schema.js';
import { openStore, sqliteOf } from '../../src/core/store/sqlite.js';
import type { SqliteStore, Store } from '../../src/core/store/sqlite.js';
import type { StoreEngine } from '../../src/core/store/location.js';
import { sharedPostgres } from './postgres.js';

/**
 * The store engines a store-facing suite runs against: `describe.each(ENGINES)(..., (engine) =>
 * ...)` with {@link openTestStore} or {@link testStoreLocation}, and `afterAll(stopSharedPostgres)`
 * (tests/helpers/postgres.ts) in the file so its throwaway cluster stops.
 */
export const ENGINES: readonly StoreEngine[] = ['sqlite', 'postgres'];

let template: Promise<string> | null = null;

/**
 * A fresh, migrated PostgreSQL database in this file's cluster: a copy of a template migrated
 * once (CREATE DATABASE ... TEMPLATE; the run's cluster comes with one), so each test starts empty
 * without paying for every migration. The store's own open still checks the migrations, as the
 * app's does.
 */
async function freshPostgresDatabase(): Promise<string> {
  const cluster = await sharedPostgres();
  template ??= (async () => {
    if (cluster.template) return cluster.template;
    const url = await cluster.createDatabase();
    const store = await openStore({ file: url });
    await store.close();
    return new URL(url).pathname.slice(1);
  })();
  const tpl = await template;
  return cluster.createDatabase(undefined, tpl);
}

/** Where a test's store lives on `engine`: undefined is SQLite in memory, else a fresh URL. */
export async function testStoreLocation(engine: StoreEngine): Promise<string | undefined> {
  return engine === 'sqlite' ? undefined : freshPostgresDatabase();
}

/** A migrated, empty store on `engine` (SQLite in memory, or a fresh PostgreSQL database). */
export async function openTestStore(engine: StoreEngine): Promise<Store> {
  return openStore({ file: (await testStoreLocation(engine)) ?? ':memory:' });
}

/**
 * Two stores opened on one fresh PostgreSQL database: two processes of a team store (a pool and
 * long-lived sessions each, as on two machines).
 */
export async function twoPostgresProcesses(): Promise<[Store, Store]> {
  const url = await freshPostgresDatabase();
  return [await openStore({ file: url }), await openStore({ file: url })];
}

/** A migrated in-memory SQLite store, as the app opens it. */
export async function memoryStore(): Promise<SqliteStore> {
  return sqliteOf(await openStore({ file: ':memory:' }), 'open a test store');
}

export async function addEndpoint(
  db: Kysely<Database>,
  name = 'vc1',
  kind = 'vcenter',
): Promise<number> {
  const now = new Date().toISOString();
  const row = await db
    .insertInto('endpoint')
    .values({
      name,
      kind,
      host: `${name}.example.test`,
      port: 443,
      username: 'reader',
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A small vSphere-shaped inventory: 1 DC, 1 cluster, 2 hosts, 2 datastores, 1 network, N VMs. */
export function sampleInventory(vmCount = 3): CollectedEntity[] {
  const out: CollectedEntity[] = [
    { type: 'datacenter', id: 'datacenter-1', name: 'DC0', fields: {} },
    {
      type: 'cluster',
      id: 'domain-c1',
      name: 'Cluster A',
      fields: { datacenterId: 'datacenter-1', haEnabled: true, drsEnabled: true, hostCount: 2 },
    },
    {
      type: 'datastore',
      id: 'datastore-1',
      name: 'ds-gold',
      fields: {
        datacenterId: 'datacenter-1',
        type: 'VMFS',
        capacityBytes: 1000,
        freeBytes: 250,
        accessible: true,
        hostIds: ['host-1', 'host-2'],
      },
    },
    {
      type: 'datastore',
      id: 'datastore-2',
      name: 'ds-silver',
      fields: {
        datacenterId: 'datacenter-1',
        type: 'NFS',
        capacityBytes: 2000,
        freeBytes: 1500,
        accessible: true,
        hostIds: ['host-1'],
      },
    },
    {
      type: 'network',
      id: 'network-1',
      name: 'VM Network',
      fields: {
        datacenterId: 'datacenter-1',
        networkType: 'standard',
        hostIds: ['host-1', 'host-2'],
      },
    },
  ];
  for (const h of [1, 2]) {
    out.push({
      type: 'host',
      id: `host-${h}`,
      name: `esx${h}.example.test`,
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: 'domain-c1',
        connectionState: 'connected',
        powerState: 'poweredOn',
        inMaintenance: false,
        cpuCores: 16,
        cpuMhz: 2600,
        memoryBytes: 256 * 2 ** 30,
        version: '8.0.2',
        build: '22380479',
        cpuUsageMhz: 1000 * h,
      },
    });
  }
  for (let i = 1; i <= vmCount; i++) {
    out.push({
      type: 'vm',
      id: `vm-${i}`,
      name: `app-${String(i).padStart(3, '0')}`,
      fields: {
        datacenterId: 'datacenter-1',
        clusterId: 'domain-c1',
        hostId: i % 2 ? 'host-1' : 'host-2',
        powerState: i % 3 === 0 ? 'poweredOff' : 'poweredOn',
        isTemplate: false,
        guestOs: 'ubuntu64Guest',
        ipAddress: `10.0.0.${i}`,
        cpuCount: (i % 4) + 1,
        memoryMb: 1024 * i,
        provisionedBytes: 10_000 * i,
        usedBytes: 5_000 * i,
        datastoreIds: i % 2 ? ['datastore-1'] : ['datastore-1', 'datastore-2'],
        networkIds: ['network-1'],
        uuid: `4200-${i}`,
        toolsStatus: 'toolsOk',
        cpuUsageMhz: 10 * i,
      },
    });
  }
  out.push({
    type: 'snapshot',
    id: 'snapshot-1',
    name: 'before upgrade',
    fields: { vmId: 'vm-1', createdAt: '2026-11-01T10:00:00Z', isCurrent: true },
  });
  return out;
}
