import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/sqlite.js';
import { stopSharedPostgres } from '../../../tests/helpers/postgres.js';
import {
  ENGINES,
  addEndpoint,
  openTestStore,
  sampleInventory,
} from '../../../tests/helpers/store.js';
import { entityDetails, snapshotTree } from './details.js';
import { searchInventory } from './search.js';
import { queryInventory } from './query.js';
import { inventoryVersion } from './version.js';
import { writeFullInventory, writeInventoryDelta } from './writer.js';

afterAll(stopSharedPostgres);

describe.each(ENGINES)('on a %s store', (engine) => {
  let store: Store;
  let ep: number;

  beforeEach(async () => {
    store = await openTestStore(engine);
    ep = await addEndpoint(store.db, 'vc-lab');
    const entities = [
      ...sampleInventory(6),
      {
        type: 'vmDisk' as const,
        id: 'vm-1:2000',
        name: 'Hard disk 1',
        fields: {
          vmId: 'vm-1',
          label: 'Hard disk 1',
          capacityBytes: 4096,
          thin: true,
          datastoreId: 'datastore-1',
        },
      },
      {
        type: 'vmNic' as const,
        id: 'vm-1:4000',
        name: 'Network adapter 1',
        fields: {
          vmId: 'vm-1',
          label: 'Network adapter 1',
          macAddress: '00:50:56:aa:bb:cc',
          networkId: 'network-1',
          connected: true,
          ipAddresses: ['10.0.0.1', 'fe80::1'],
        },
      },
      {
        type: 'snapshot' as const,
        id: 'snapshot-2',
        name: 'after upgrade',
        fields: {
          vmId: 'vm-1',
          parentId: 'snapshot-1',
          createdAt: '2026-11-10T10:00:00Z',
          isCurrent: false,
        },
      },
    ];
    await writeFullInventory(
      store.db,
      { entities },
      { endpointId: ep, syncRunId: null, now: new Date('2026-11-20T00:00:00Z') },
    );
  });

  afterEach(async () => {
    await store.close();
  });

  describe('entityDetails', () => {
    it('describes a VM with its host, cluster, storage, network, disks, NICs and snapshot tree', async () => {
      const vm = await entityDetails(store.db, { kind: 'vm', endpoint: 'vc-lab', id: 'vm-1' });
      if (vm.kind !== 'vm') throw new Error('expected a VM');
      expect(vm.name).toBe('app-001');
      expect(vm.endpointId).toBe(ep);
      expect(vm.host).toEqual({
        kind: 'host',
        endpointId: ep,
        id: 'host-1',
        name: 'esx1.example.test',
      });
      expect(vm.cluster?.name).toBe('Cluster A');
      expect(vm.datastores.map((d) => d.name)).toEqual(['ds-gold']);
      expect(vm.networks.map((n) => n.name)).toEqual(['VM Network']);
      expect(vm.disks).toEqual([
        expect.objectContaining({
          label: 'Hard disk 1',
          capacityBytes: 4096,
          thin: true,
          datastore: expect.objectContaining({ name: 'ds-gold' }),
        }),
      ]);
      expect(vm.nics[0]).toMatchObject({
        macAddress: '00:50:56:aa:bb:cc',
        connected: true,
        ipAddresses: ['10.0.0.1', 'fe80::1'],
      });
      expect(vm.nics[0]?.network?.name).toBe('VM Network');
      expect(vm.snapshots).toHaveLength(1);
      expect(vm.snapshots[0]?.name).toBe('before upgrade');
      expect(vm.snapshots[0]?.children.map((c) => c.name)).toEqual(['after upgrade']);
      expect(vm.hardware.find((f) => f.label === 'Memory')).toMatchObject({
        value: 1024,
        unit: 'mb',
      });
      expect(vm.changes.map((c) => c.kind)).toEqual(['created']);
    });

    it('stores guest partitions, shows them on the VM, queries them, and keeps free space out of the change log', async () => {
      const partition = (freeBytes: number) => ({
        type: 'guestPartition' as const,
        id: 'vm-1/part-0a1b2c3d',
        name: 'C:\\',
        fields: {
          vmId: 'vm-1',
          path: 'C:\\',
          capacityBytes: 100 * 2 ** 30,
          freeBytes,
          filesystemType: 'NTFS',
          diskKey: 2000,
        },
      });
      const at = (s: string) => ({ endpointId: ep, syncRunId: null, now: new Date(s) });
      await writeInventoryDelta(
        store.db,
        { upserts: [partition(40 * 2 ** 30)], removals: [] },
        at('2026-11-21T00:00:00Z'),
      );
      await writeInventoryDelta(
        store.db,
        {
          upserts: [
            {
              ...partition(30 * 2 ** 30),
              fields: { ...partition(0).fields, freeBytes: 30 * 2 ** 30, filesystemType: 'ReFS' },
            },
          ],
          removals: [],
        },
        at('2026-11-22T00:00:00Z'),
      );
      const vm = await entityDetails(store.db, { kind: 'vm', endpoint: 'vc-lab', id: 'vm-1' });
      if (vm.kind !== 'vm') throw new Error('expected a VM');
      expect(vm.partitions).toEqual([
        {
          id: 'vm-1/part-0a1b2c3d',
          path: 'C:\\',
          capacityBytes: 100 * 2 ** 30,
          freeBytes: 30 * 2 ** 30,
          filesystemType: 'ReFS',
        },
      ]);
      const rows = await queryInventory(store.db, { kind: 'partitions' });
      expect(rows.rows).toEqual([
        expect.objectContaining({ vm: 'app-001', path: 'C:\\', freePercent: 30, diskKey: 2000 }),
      ]);
      const changes = await queryInventory(store.db, {
        kind: 'changes',
        where: [{ field: 'entityType', op: '=', value: 'guestPartition' }],
      });
      // Created, then the file system changed; free space is volatile and never logged.
      expect(changes.rows.map((r) => [r['kind'], r['field']])).toEqual([
        ['updated', 'filesystemType'],
        ['created', null],
      ]);
    });

    it('lists who changed a VM and when, newest first', async () => {
      await writeInventoryDelta(
        store.db,
        {
          upserts: [{ type: 'vm', id: 'vm-1', name: 'app-001', fields: { cpuCount: 8 } }],
          removals: [],
          events: [
            {
              key: 'ev-1',
              at: '2026-11-21T09:00:00Z',
              eventType: 'VmReconfiguredEvent',
              user: 'VSPHERE.LOCAL\\alice',
              message: 'Reconfigured app-001',
              entityType: 'vm',
              entityId: 'vm-1',
            },
          ],
        },
        { endpointId: ep, syncRunId: null, now: new Date('2026-11-21T09:00:05Z') },
      );
      const vm = await entityDetails(store.db, { kind: 'vm', endpointId: ep, id: 'vm-1' });
      expect(vm.changes[0]).toMatchObject({
        kind: 'updated',
        field: 'cpuCount',
        oldValue: '2',
        newValue: '8',
        user: 'VSPHERE.LOCAL\\alice',
      });
      expect(vm.events[0]).toMatchObject({
        eventType: 'VmReconfiguredEvent',
        user: 'VSPHERE.LOCAL\\alice',
      });
    });

    it('describes a host with its VMs, datastores and networks', async () => {
      const host = await entityDetails(store.db, {
        kind: 'host',
        endpoint: 'vc-lab',
        id: 'host-1',
      });
      if (host.kind !== 'host') throw new Error('expected a host');
      expect(host.cluster?.name).toBe('Cluster A');
      expect(host.vms.total).toBe(3);
      expect(host.vms.items.map((v) => v.link.name)).toEqual(['app-001', 'app-003', 'app-005']);
      expect(host.datastores.items.map((d) => d.link.name)).toEqual(['ds-gold', 'ds-silver']);
      expect(host.networks.items.map((n) => n.link.name)).toEqual(['VM Network']);
      expect(host.cpuTotalMhz).toBe(16 * 2600);
    });

    it('sums a cluster’s capacity and what its VMs are given', async () => {
      const c = await entityDetails(store.db, {
        kind: 'cluster',
        endpoint: 'vc-lab',
        id: 'domain-c1',
      });
      if (c.kind !== 'cluster') throw new Error('expected a cluster');
      expect(c.hosts.total).toBe(2);
      expect(c.vms.total).toBe(6);
      expect(c.capacity).toMatchObject({
        cpuTotalMhz: 2 * 16 * 2600,
        cpuUsedMhz: 3000,
        memoryTotalBytes: 2 * 256 * 2 ** 30,
        storageCapacityBytes: 3000,
        storageFreeBytes: 1750,
        vcpus: 2 + 3 + 4 + 1 + 2 + 3,
        physicalCores: 32,
      });
    });

    it('describes a datastore and a network with the VMs and hosts that use them', async () => {
      const ds = await entityDetails(store.db, {
        kind: 'datastore',
        endpoint: 'vc-lab',
        id: 'datastore-2',
      });
      if (ds.kind !== 'datastore') throw new Error('expected a datastore');
      expect(ds.vms.items.map((v) => v.link.name)).toEqual(['app-002', 'app-004', 'app-006']);
      expect(ds.hosts.items.map((h) => h.link.name)).toEqual(['esx1.example.test']);
      expect(ds.capacityBytes).toBe(2000);
      const net = await entityDetails(store.db, {
        kind: 'network',
        endpoint: 'vc-lab',
        id: 'network-1',
      });
      if (net.kind !== 'network') throw new Error('expected a network');
      expect(net.vms.total).toBe(6);
      expect(net.hosts.total).toBe(2);
    });

    it('answers NOT_FOUND for an unknown entity or endpoint', async () => {
      await expect(
        entityDetails(store.db, { kind: 'vm', endpoint: 'vc-lab', id: 'vm-999' }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(
        entityDetails(store.db, { kind: 'host', endpoint: 'nope', id: 'host-1' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('names a distributed port group’s switch: its version, MTU, discovery and contact', async () => {
      await writeFullInventory(
        store.db,
        {
          entities: [
            ...sampleInventory(6),
            {
              type: 'dvSwitch',
              id: 'dvs-1',
              name: 'DSwitch-Core',
              fields: {
                vendor: 'VMware, Inc.',
                version: '8.0.0',
                maxMtu: 9000,
                discoveryProtocol: 'lldp',
                contact: 'noc@example.test',
              },
            },
            {
              type: 'network',
              id: 'dvportgroup-5',
              name: 'PG-App',
              fields: {
                networkType: 'distributedPortgroup',
                switchId: 'dvs-1',
                switchName: 'DSwitch-Core',
              },
            },
          ],
        },
        { endpointId: ep, syncRunId: null, now: new Date('2026-11-21T00:00:00Z') },
      );
      const facts = async (id: string): Promise<Record<string, unknown>> => {
        const d = await entityDetails(store.db, { kind: 'network', endpoint: 'vc-lab', id });
        return Object.fromEntries(d.summary.map((f) => [f.label, f.value]));
      };
      expect(await facts('dvportgroup-5')).toMatchObject({
        Switch: 'DSwitch-Core',
        'Switch version': 'VMware, Inc. 8.0.0',
        'Switch max MTU': 9000,
        'Switch discovery': 'lldp',
        'Switch contact': 'noc@example.test',
      });
      expect(await facts('network-1')).not.toHaveProperty('Switch version');
    });
  });

  describe('searchInventory', () => {
    it('finds a VM by IP and says what matched', async () => {
      const res = await searchInventory(store.db, { text: '10.0.0.5' });
      expect(res.hits[0]).toMatchObject({
        kind: 'vm',
        name: 'app-005',
        matched: 'IP 10.0.0.5',
        endpoint: 'vc-lab',
      });
    });

    it('finds by UUID prefix and across kinds by name, exact names first', async () => {
      expect((await searchInventory(store.db, { text: '4200-3' })).hits[0]).toMatchObject({
        name: 'app-003',
      });
      const hits = (await searchInventory(store.db, { text: 'ds-' })).hits;
      expect(hits.map((h) => h.kind)).toEqual(['datastore', 'datastore']);
      const exact = (await searchInventory(store.db, { text: 'esx2.example.test' })).hits;
      expect(exact[0]).toMatchObject({ kind: 'host', name: 'esx2.example.test' });
    });

    it('treats LIKE wildcards as text', async () => {
      expect((await searchInventory(store.db, { text: '%' })).hits).toEqual([]);
    });
  });

  describe('inventoryVersion', () => {
    it('changes when inventory does', async () => {
      const before = await inventoryVersion(store.db);
      expect(await inventoryVersion(store.db)).toEqual(before);
      await writeInventoryDelta(
        store.db,
        { upserts: [{ type: 'vm', id: 'vm-2', name: 'renamed', fields: {} }], removals: [] },
        { endpointId: ep, syncRunId: null, now: new Date() },
      );
      expect((await inventoryVersion(store.db)).version).not.toBe(before.version);
    });
  });

  describe('snapshotTree', () => {
    it('nests children under parents and keeps orphans at the root', () => {
      const row = (id: string, parent: string | null, at: string) => ({
        native_id: id,
        name: id,
        parent_id: parent,
        description: null,
        created_at: at,
        size_bytes: null,
        is_current: 0,
        quiesced: null,
      });
      const tree = snapshotTree([
        row('b', 'a', '2'),
        row('a', null, '1'),
        row('c', 'missing', '3'),
        row('d', 'a', '0'),
      ]);
      expect(tree.map((n) => n.id)).toEqual(['a', 'c']);
      expect(tree[0]?.children.map((n) => n.id)).toEqual(['d', 'b']);
    });
  });
});
