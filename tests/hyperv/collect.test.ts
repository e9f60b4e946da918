import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createHyperVCollector } from '../../src/core/collectors/hyperv/index.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import type { Database } from '../../src/core/store/schema.js';
import type { Store } from '../../src/core/store/sqlite.js';
import type { StoreEngine } from '../../src/core/store/location.js';
import type { FullInventory } from '../../src/shared/entities.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, openTestStore } from '../helpers/store.js';
import { CLUSTER, STANDALONE, expectStore } from './expected.js';
import type { DoubleHandle } from './helpers.js';
import { captureLog, ctxOf, target, useDouble } from './helpers.js';

afterAll(stopSharedPostgres);

let double: DoubleHandle | undefined;
let store: Store | undefined;
afterEach(async () => {
  double?.restore();
  double = undefined;
  await store?.close();
  store = undefined;
});

async function collect(
  fixture: string,
  name: string,
): Promise<{ inv: FullInventory; phases: string[] }> {
  double = useDouble({ fixture });
  const collector = createHyperVCollector(target({ name }));
  const ctx = ctxOf(captureLog().log);
  try {
    return { inv: await collector.collectFull(ctx), phases: ctx.phases };
  } finally {
    await collector.dispose();
  }
}

async function stored(
  inv: FullInventory,
  name: string,
  engine: StoreEngine,
): Promise<Kysely<Database>> {
  store = await openTestStore(engine);
  const endpointId = await addEndpoint(store.db, name, 'hyperv');
  await writeFullInventory(store.db, inv, { endpointId, syncRunId: null, now: new Date() });
  return store.db;
}

describe.each(ENGINES)('Hyper-V full collection stored on a %s store', (engine) => {
  it('stores a standalone host read by Windows PowerShell 5.1 exactly', async () => {
    const { inv, phases } = await collect('standalone-ps51.json', 'hv-lab');
    expect(phases).toEqual(['connect', 'host', 'host', 'vm']);
    await expectStore(await stored(inv, 'hv-lab', engine), STANDALONE);
    // One process for the whole collection; both scripts ran in it, with the credential.
    const recs = double!.records();
    expect(recs.filter((r) => r.event === 'start')).toHaveLength(1);
    expect(
      recs.filter((r) => r.event === 'script').map((r) => [r.script, r.computers, r.port]),
    ).toEqual([
      ['get-endpoint', ['hv01.corp.example'], 5985],
      ['get-nodes', ['hv01.corp.example'], 5985],
    ]);
  });

  it('stores a failover cluster read by PowerShell 7 exactly, asking only nodes that run VMs', async () => {
    const { inv } = await collect('cluster-ps7.json', 'hv-clu');
    await expectStore(await stored(inv, 'hv-clu', engine), CLUSTER);
    const nodes = double!.records().find((r) => r.script === 'get-nodes');
    // HVC03 is down: never asked. Nodes are reached by FQDN from this machine (no second hop).
    expect(nodes?.computers).toEqual(['HVC01.corp.example', 'HVC02.corp.example']);
  });

  it('collects again in the same PowerShell process, and a second write changes nothing', async () => {
    double = useDouble({ fixture: 'standalone-ps51.json' });
    const collector = createHyperVCollector(target());
    const ctx = ctxOf(captureLog().log);
    const first = await collector.collectFull(ctx);
    const second = await collector.collectFull(ctx);
    await collector.dispose();
    expect(second.entities).toEqual(first.entities);
    expect(collector.powershell.processStarts).toBe(1);
    const db = await stored(first, 'hv-lab', engine);
    const counts = await writeFullInventory(db, second, {
      endpointId: 1,
      syncRunId: null,
      now: new Date(),
    });
    expect(counts).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });
});

// What the collector reads and how it runs PowerShell touches no store: these run once.
describe('Hyper-V full collection through node-powershell and the PowerShell double', () => {
  it('reports usage samples for hosts, VMs and datastores at the collection time', async () => {
    const { inv } = await collect('standalone-ps51.json', 'hv-lab');
    const samples = inv.samples ?? [];
    expect(samples.find((s) => s.entityType === 'host')).toEqual({
      entityType: 'host',
      entityId: 'hv01',
      at: '2023-11-14T22:13:20.000Z',
      cpuMhz: 6720,
      memoryBytes: 137438953472,
    });
    expect(
      samples.find((s) => s.entityId === '9f2d0c1e-5a6b-4c7d-8e9f-0a1b2c3d4e01'),
    ).toMatchObject({
      entityType: 'vm',
      cpuMhz: 1680,
      memoryBytes: 4294967296,
      storageUsedBytes: 75166121984,
    });
    expect(
      samples.find((s) => s.entityId === '1b2c3d4e-0000-4000-8000-000000000002'),
    ).toMatchObject({
      entityType: 'datastore',
      storageCapacityBytes: 2199023255552,
      storageUsedBytes: 1099511627776,
    });
    expect(samples.filter((s) => s.entityType === 'vm')).toHaveLength(4);
  });

  it('uses the current Windows identity when no password is stored (no -Credential)', async () => {
    double = useDouble({ fixture: 'standalone-ps51.json', expectCredential: null });
    const collector = createHyperVCollector(target({ username: '', password: '' }));
    const inv = await collector.collectFull(ctxOf(captureLog().log));
    await collector.dispose();
    expect(inv.entities.filter((e) => e.type === 'vm')).toHaveLength(4);
    const scripts = double.records().filter((r) => r.event === 'script');
    expect(scripts.every((r) => r.credential === false)).toBe(true);
    expect(scripts[0]?.command).not.toMatch(/Credential/);
  });

  it('passes -UseSSL and the port of an HTTPS endpoint to every script', async () => {
    double = useDouble({ fixture: 'cluster-ps7.json' });
    const collector = createHyperVCollector(
      target({ host: 'hvclu01.corp.example', port: 5986, useSsl: true }),
    );
    await collector.collectFull(ctxOf(captureLog().log));
    await collector.dispose();
    const scripts = double.records().filter((r) => r.event === 'script');
    expect(scripts.map((r) => [r.useSsl, r.port])).toEqual([
      [true, 5986],
      [true, 5986],
    ]);
  });
});
