import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHyperVCollector, probeHyperV } from '../../src/core/collectors/hyperv/index.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import { queryInventory } from '../../src/core/inventory/query.js';
import { generateLargeFixture, vmId } from '../doubles/powershell/generate-large.js';
import type { FullInventory } from '../../src/shared/entities.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, openTestStore } from '../helpers/store.js';
import type { DoubleHandle } from './helpers.js';
import { PASSWORD, USER, captureLog, ctxOf, target, useDouble } from './helpers.js';

afterAll(stopSharedPostgres);

let double: DoubleHandle | undefined;
afterEach(() => {
  double?.restore();
  double = undefined;
});

const probeTarget = {
  name: 'hv-clu',
  host: 'hvclu01.corp.example',
  port: 5985,
  username: USER,
  password: PASSWORD,
};

describe('probeHyperV (the doctor login and permission steps)', () => {
  it('signs in and reads the cluster', async () => {
    double = useDouble({ fixture: 'cluster-ps7.json' });
    const r = await probeHyperV(probeTarget, { timeoutMs: 5000 });
    expect(r.detail).toMatch(
      /Signed in to HVC01 over WinRM as CORP\\svc-infrascope \(local PowerShell 7\.4\.6\)/,
    );
    expect(r.permission).toEqual({
      ok: true,
      detail: expect.stringMatching(
        /failover cluster HVCLU01 \(3 nodes, 2 Cluster Shared Volumes\)/,
      ) as unknown,
    });
    // It ran only get-endpoint, and closed its PowerShell.
    expect(
      double
        .records()
        .filter((x) => x.event === 'script')
        .map((x) => x.script),
    ).toEqual(['get-endpoint']);
  });

  it('throws a failed sign-in, and returns a host it cannot read as a failed permission', async () => {
    double = useDouble({ fixture: 'cluster-ps7.json' });
    await expect(
      probeHyperV({ ...probeTarget, password: 'wrong' }, { timeoutMs: 5000 }),
    ).rejects.toMatchObject({
      code: 'INVALID_LOGIN',
    });
    double.control({
      fixture: 'cluster-ps7.json',
      scripts: { 'get-endpoint': ['error:module-missing'] },
    });
    const r = await probeHyperV(probeTarget, { timeoutMs: 5000 });
    expect(r.permission?.ok).toBe(false);
    expect(r.permission?.error?.code).toBe('HYPERV_MODULE_MISSING');
  });
});

describe('a 16-node cluster with 2,000 VMs', () => {
  // Collected once; each engine's store gets the same inventory.
  let inv: FullInventory;
  let collectMs = 0;
  beforeAll(async () => {
    double = useDouble({ fixture: 'standalone-ps51.json' });
    const fixture = join(double.dir, 'large.json');
    writeFileSync(fixture, JSON.stringify(generateLargeFixture(16, 2000)));
    double.control({ fixture });
    const collector = createHyperVCollector(target({ name: 'hv-big', host: 'hvbig.corp.example' }));
    const t0 = Date.now();
    inv = await collector.collectFull(ctxOf(captureLog().log));
    collectMs = Date.now() - t0;
    await collector.dispose();
  });

  it('is collected through node-powershell, within seconds', () => {
    const count = (type: string): number => inv.entities.filter((e) => e.type === type).length;
    // By the generator's rules: NICs on all but every 50th VM (2 each), a data disk on every 3rd,
    // two checkpoints on every 10th; networks: 2 switches + 4 access VLANs.
    expect({
      host: count('host'),
      cluster: count('cluster'),
      datastore: count('datastore'),
      network: count('network'),
      vm: count('vm'),
      vmDisk: count('vmDisk'),
      vmNic: count('vmNic'),
      snapshot: count('snapshot'),
    }).toEqual({
      host: 16,
      cluster: 1,
      datastore: 8,
      network: 6,
      vm: 2000,
      vmDisk: 2000 + 667,
      vmNic: (2000 - 40) * 2,
      snapshot: 400,
    });
    expect(collectMs).toBeLessThan(20_000);
  });

  it.each(ENGINES)('is stored and queried on a %s store', async (engine) => {
    const store = await openTestStore(engine);
    const endpointId = await addEndpoint(store.db, 'hv-big', 'hyperv');
    await writeFullInventory(store.db, inv, { endpointId, syncRunId: null, now: new Date() });
    const vm1234 = await queryInventory(store.db, {
      kind: 'vms',
      where: [{ field: 'id', op: '=', value: vmId(1234) }],
    } as never);
    // k = 1234: node 1234 % 16 = 2 (HVN03), state 1234 % 10 = 4 (Running), CSV 1234 % 8 + 1 = 3.
    expect(vm1234.rows[0]).toMatchObject({
      name: 'vm-1234',
      host: 'hvn03.corp.example',
      cluster: 'HVBIG',
      powerState: 'poweredOn',
      datastores: ['Cluster Disk 3'],
      networks: ['Converged VLAN 30', 'Storage'],
      cpuCount: 3,
      memoryMb: 6144,
    });
    const running = await queryInventory(store.db, {
      kind: 'vms',
      where: [{ field: 'powerState', op: '=', value: 'poweredOn' }],
      limit: 0,
    } as never);
    expect(running.total).toBe(1400);
    await store.close();
  });
});
