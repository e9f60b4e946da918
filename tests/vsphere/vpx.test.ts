import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityOf, EntityType, FullInventory } from '../../src/shared/entities.js';
import { ENTITY_FIELDS, isEntity } from '../../src/shared/entities.js';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { openDriver, targetFor, testContext } from './helpers.js';
import type { SimDriver } from './helpers.js';

let sim: Vcsim;
let driver: SimDriver;
let inv: FullInventory;
let progress: ReturnType<typeof testContext>['progressLog'];

function ofType<T extends EntityType>(type: T): EntityOf<T>[] {
  return inv.entities.filter(isEntity(type));
}

beforeAll(async () => {
  // 2 DCs (one inside a folder), 2 clusters x 2 hosts + 1 standalone host each, child pools.
  sim = await startVcsim({
    dc: 2,
    cluster: 2,
    host: 2,
    standaloneHost: 1,
    vm: 2,
    pool: 1,
    ds: 2,
    folder: 1,
  });
  driver = await openDriver(sim);
  const vm = await driver.find('VirtualMachine', 'DC0_H0_VM0');
  await driver.tag(vm, 'Env', 'prod');
  await driver.tag(vm, 'Owner', 'alice');
  const ds = (await driver.list('Datastore'))[0]!;
  await driver.tag(ds.ref, 'Env', 'prod');
  // A connected floppy on one VM (vcsim's VMs have none).
  await driver.client.runTask(
    'ReconfigVM_Task',
    await driver.find('VirtualMachine', 'DC0_H0_VM1'),
    '<spec><deviceChange><operation>add</operation><device xsi:type="VirtualFloppy">' +
      '<key>-1</key><backing xsi:type="VirtualFloppyDeviceBackingInfo"><deviceName>/dev/fd0</deviceName>' +
      '<useAutoDetect>false</useAutoDetect></backing><connectable><startConnected>true</startConnected>' +
      '<allowGuestControl>true</allowGuestControl><connected>true</connected></connectable>' +
      '</device></deviceChange></spec>',
  );
  const collector = createVsphereCollector(targetFor(sim));
  const ctx = testContext();
  progress = ctx.progressLog;
  try {
    inv = await collector.collectFull(ctx);
  } finally {
    await collector.dispose();
  }
});

afterAll(async () => {
  await driver?.close();
  await sim?.stop();
});

describe('vSphere collectFull against vcsim (VPX)', () => {
  it('collects as many objects per type as vcsim holds', () => {
    const c = sim.counts;
    const n = (k: string): number => c[k] ?? 0;
    expect(ofType('datacenter')).toHaveLength(n('Datacenter'));
    expect(ofType('folder')).toHaveLength(n('Folder') - 1); // the root folder is not an entity
    expect(ofType('cluster')).toHaveLength(n('ClusterComputeResource'));
    expect(ofType('host')).toHaveLength(n('HostSystem'));
    expect(ofType('resourcePool')).toHaveLength(n('ResourcePool') + n('VirtualApp'));
    expect(ofType('datastore')).toHaveLength(n('Datastore'));
    expect(ofType('network')).toHaveLength(
      n('Network') + n('DistributedVirtualPortgroup') + n('OpaqueNetwork'),
    );
    expect(ofType('vm')).toHaveLength(n('VirtualMachine'));
    expect(n('VirtualMachine')).toBeGreaterThan(4);
    // every vcsim VM has one disk and one NIC
    expect(ofType('vmDisk')).toHaveLength(n('VirtualMachine'));
    expect(ofType('vmNic')).toHaveLength(n('VirtualMachine'));
    expect(ofType('snapshot')).toHaveLength(0);
  });

  it('uses exactly the field names of the normalized model', () => {
    for (const e of inv.entities) {
      const allowed = Object.keys(ENTITY_FIELDS[e.type]).sort();
      expect(Object.keys(e.fields).sort(), `${e.type} ${e.id}`).toEqual(allowed);
    }
    const ids = inv.entities.map((e) => `${e.type}:${e.id}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves relations between VMs, hosts, clusters, datastores and folders', () => {
    const byId = new Map(inv.entities.map((e) => [e.id, e]));
    for (const vm of ofType('vm')) {
      const f = vm.fields;
      const host = byId.get(String(f['hostId']));
      expect(host?.type).toBe('host');
      const hostFields = host?.type === 'host' ? host.fields : undefined;
      expect(f['clusterId']).toBe(hostFields?.['clusterId']);
      expect(f['datacenterId']).toBe(hostFields?.['datacenterId']);
      expect(byId.get(String(f['datacenterId']))?.type).toBe('datacenter');
      expect(byId.get(String(f['resourcePoolId']))?.type).toBe('resourcePool');
      expect(byId.get(String(f['folderId']))?.type).toBe('folder');
      expect(String(f['folderPath'])).toMatch(/^\/(F0\/)?DC\d\/vm(\/F0)?$/);
      const dsIds = f['datastoreIds'] as string[];
      expect(dsIds.length).toBeGreaterThan(0);
      expect([...dsIds].sort()).toEqual(dsIds);
      for (const d of dsIds) expect(byId.get(d)?.type).toBe('datastore');
      for (const n of f['networkIds'] as string[]) expect(byId.get(n)?.type).toBe('network');
      expect(['poweredOn', 'poweredOff', 'suspended']).toContain(f['powerState']);
      expect(f['cpuCount']).toBeGreaterThan(0);
      expect(f['memoryMb']).toBeGreaterThan(0);
      expect(f['diskCount']).toBe(1);
      expect(f['nicCount']).toBe(1);
      expect(f['uuid']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const clustered = ofType('host').filter((h) => h.fields['clusterId'] !== null);
    const standalone = ofType('host').filter((h) => h.fields['clusterId'] === null);
    expect(clustered).toHaveLength(2 * 2 * 2);
    expect(standalone).toHaveLength(2);
    for (const h of ofType('host')) {
      expect(h.fields['memoryBytes']).toBeGreaterThan(1024 ** 3);
      expect(h.fields['cpuMhz']).toBeGreaterThan(0);
      expect((h.fields['datastoreIds'] as string[]).length).toBeGreaterThan(0);
    }
    for (const c of ofType('cluster')) expect(c.fields['hostCount']).toBe(2);
    for (const d of ofType('vmDisk')) {
      expect(byId.get(String(d.fields['vmId']))?.type).toBe('vm');
      expect(byId.get(String(d.fields['datastoreId']))?.type).toBe('datastore');
      expect(d.id).toBe(`${d.fields['vmId']}/disk-${d.id.split('/disk-')[1]}`);
      expect(d.fields['capacityBytes']).toBeGreaterThan(0);
    }
    for (const nic of ofType('vmNic')) {
      expect(nic.fields['macAddress']).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(byId.get(String(nic.fields['networkId']))?.type).toBe('network');
    }
    for (const ds of ofType('datastore')) {
      expect(ds.fields['capacityBytes']).toBeGreaterThan(0);
      expect(ds.fields['hostIds']).toBeInstanceOf(Array);
    }
    const folder = ofType('folder').find((f) => f.fields['path'] === '/F0/DC1/vm');
    expect(folder?.fields['folderType']).toBe('vm');
  });

  it('reads the health fields vcsim serves', () => {
    for (const h of ofType('host')) {
      // vcsim lists the TSM, TSM-SSH and ntpd services, all stopped, and no NTP configuration.
      expect(h.fields['sshEnabled'], h.id).toBe(false);
      expect(h.fields['shellEnabled'], h.id).toBe(false);
      expect(h.fields['ntpRunning'], h.id).toBe(false);
      expect(h.fields['ntpServers'], h.id).toEqual([]);
      // vcsim's config.certificate is two placeholder bytes, not a PEM certificate.
      expect(h.fields['certificateExpiresAt'], h.id).toBeNull();
    }
    for (const v of ofType('vm')) {
      expect(v.fields['floppyConnected'], v.name).toBe(v.name === 'DC0_H0_VM1');
      // vcsim's guests report no partitions.
      expect(v.fields['guestDisks'], v.name).toEqual([]);
    }
  });

  it('reads tags through vAPI REST', () => {
    const vm = ofType('vm').find((v) => v.name === 'DC0_H0_VM0');
    expect(vm?.fields['tags']).toEqual(['Env/prod', 'Owner/alice']);
    const tagged = ofType('datastore').filter((d) => (d.fields['tags'] as string[]).length > 0);
    expect(tagged).toHaveLength(1);
    expect(ofType('vm').find((v) => v.name === 'DC0_H0_VM1')?.fields['tags']).toEqual([]);
  });

  it('reports samples, events and real progress counts', () => {
    const hostSamples = (inv.samples ?? []).filter((s) => s.entityType === 'host');
    expect(hostSamples).toHaveLength(ofType('host').length);
    expect(hostSamples[0]?.cpuMhz).toBeGreaterThanOrEqual(0);
    expect((inv.samples ?? []).filter((s) => s.entityType === 'datastore')).toHaveLength(
      ofType('datastore').length,
    );
    expect((inv.events ?? []).length).toBeGreaterThan(0);
    expect(inv.events?.some((e) => e.entityType === 'vm' && e.entityId !== null)).toBe(true);
    const vmProgress = progress.filter((p) => p.phase === 'vm');
    const last = vmProgress[vmProgress.length - 1];
    expect(last?.done).toBe(ofType('vm').length);
    expect(last?.total).toBe(ofType('vm').length);
  });
});
