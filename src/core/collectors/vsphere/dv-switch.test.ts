import { describe, expect, it } from 'vitest';
import type { VimValue } from './codec.js';
import { InventoryCache, mapObject, propertyPaths } from './mapper.js';
import type { RawObject } from './mapper.js';

const raw = (type: string, value: string, entries: Record<string, VimValue>): RawObject => ({
  ref: { type, value },
  props: new Map(Object.entries(entries)),
});
const policy = (value: VimValue): VimValue => ({ inherited: 'false', value });

describe('distributed switches and datastore clusters', () => {
  const cache = new InventoryCache();
  cache.rootFolderId = 'group-d1';
  cache.put({ type: 'Datacenter', value: 'datacenter-2' }, new Map([['name', 'DC0']]));
  cache.put(
    { type: 'Folder', value: 'group-n5' },
    new Map<string, VimValue>([
      ['name', 'network'],
      ['parent', { type: 'Datacenter', value: 'datacenter-2' }],
    ]),
  );

  it('maps a VMware switch: product, limits, shaping, discovery, LACP groups, MTU, contact', () => {
    const [e] = mapObject(
      cache,
      raw('VmwareDistributedVirtualSwitch', 'dvs-7', {
        name: 'DSwitch-Core',
        parent: { type: 'Folder', value: 'group-n5' },
        uuid: '50 2a 1b',
        'summary.productInfo': { name: 'DVS', vendor: 'VMware, Inc.', version: '8.0.0' },
        'summary.hostMember': [
          { type: 'HostSystem', value: 'host-9' },
          { type: 'HostSystem', value: 'host-3' },
        ],
        'config.description': 'core',
        'config.createTime': '2024-03-01T10:00:00Z',
        'config.maxPorts': '2147483647',
        'config.numPorts': '120',
        'config.contact': { name: 'netadmin', contact: 'noc@example.test' },
        'config.defaultPortConfig.inShapingPolicy': {
          enabled: policy('true'),
          averageBandwidth: policy('100000000'),
          peakBandwidth: policy('200000000'),
          burstSize: policy('104857600'),
        },
        'config.linkDiscoveryProtocolConfig': { protocol: 'lldp', operation: 'both' },
        'config.lacpGroupConfig': [
          { name: 'lag1', mode: 'active', loadbalanceAlgorithm: 'srcDestIpTcpUdpPort' },
          { name: 'lag2', mode: 'passive', loadbalanceAlgorithm: 'srcMac' },
        ],
        'config.maxMtu': '9000',
      }),
    );
    expect(e).toEqual({
      type: 'dvSwitch',
      id: 'dvs-7',
      name: 'DSwitch-Core',
      fields: expect.objectContaining({
        datacenterId: 'datacenter-2',
        productName: 'DVS',
        vendor: 'VMware, Inc.',
        version: '8.0.0',
        description: 'core',
        createdAt: '2024-03-01T10:00:00Z',
        maxPorts: 2147483647,
        numPorts: 120,
        hostIds: ['host-3', 'host-9'],
        inShaping: true,
        inShapingAvgBps: 100000000,
        inShapingPeakBps: 200000000,
        inShapingBurstBytes: 104857600,
        outShaping: null,
        discoveryProtocol: 'lldp',
        discoveryOperation: 'both',
        lacpGroups: [
          { name: 'lag1', mode: 'active', loadBalance: 'srcDestIpTcpUdpPort' },
          { name: 'lag2', mode: 'passive', loadBalance: 'srcMac' },
        ],
        maxMtu: 9000,
        contact: 'noc@example.test',
        adminName: 'netadmin',
      }),
    });
  });

  it('leaves unset what a third-party switch or a Go zero time does not say', () => {
    const [e] = mapObject(
      cache,
      raw('DistributedVirtualSwitch', 'dvs-8', {
        name: 'other',
        'config.createTime': '0001-01-01T00:00:00Z',
      }),
    );
    expect(e?.fields).toMatchObject({ createdAt: null, lacpGroups: null, maxMtu: null });
  });

  it('puts a datastore in its StoragePod and reads an NFS share', () => {
    const pod = raw('StoragePod', 'group-p1', {
      name: 'POD-gold',
      parent: { type: 'Folder', value: 'group-n5' },
      summary: { name: 'POD-gold', capacity: '2000', freeSpace: '500' },
    });
    cache.put(pod.ref, pod.props);
    expect(mapObject(cache, pod)).toEqual([
      {
        type: 'datastoreCluster',
        id: 'group-p1',
        name: 'POD-gold',
        fields: { datacenterId: 'datacenter-2', capacityBytes: 2000, freeBytes: 500 },
      },
    ]);
    const nfs = (nas: VimValue): RawObject =>
      raw('Datastore', 'datastore-4', {
        name: 'nfs-1',
        parent: { type: 'StoragePod', value: 'group-p1' },
        info: { _type: 'NasDatastoreInfo', nas: nas },
      });
    const [v3] = mapObject(cache, nfs({ remoteHost: 'filer1', remotePath: '/vol/ds1' }));
    expect(v3?.fields).toMatchObject({
      datastoreClusterId: 'group-p1',
      nasRemoteHost: 'filer1',
      nasRemotePath: '/vol/ds1',
    });
    const [v41] = mapObject(
      cache,
      nfs({ remoteHost: 'a', remoteHostNames: ['filer1', 'filer2'], remotePath: '/vol/ds1' }),
    );
    expect(v41?.fields).toMatchObject({ nasRemoteHost: 'filer1, filer2' });
  });

  it('asks for host properties only where the API version has them', () => {
    const host = (api: string): readonly string[] => propertyPaths(api)['HostSystem'] ?? [];
    expect(host('6.0')).not.toContain('runtime.inQuarantineMode');
    expect(host('6.5')).toContain('runtime.inQuarantineMode');
    expect(host('8.0.2.0')).not.toContain('hardware.memoryTieringType');
    expect(host('8.0.3.0')).toContain('hardware.memoryTieringType');
    expect(propertyPaths('8.0.3.0')['DistributedVirtualSwitch']).not.toContain('config.maxMtu');
    expect(propertyPaths('8.0.3.0')['VmwareDistributedVirtualSwitch']).toContain('config.maxMtu');
    expect(host('5.5')).not.toContain('config.vsanHostConfig.faultDomainInfo');
    expect(host('6.0')).toContain('config.vsanHostConfig.faultDomainInfo');
    const vmwareDvs = (api: string): readonly string[] =>
      propertyPaths(api)['VmwareDistributedVirtualSwitch'] ?? [];
    expect(vmwareDvs('5.1')).not.toContain('config.lacpGroupConfig');
    expect(vmwareDvs('5.5')).toContain('config.lacpGroupConfig');
  });
});
