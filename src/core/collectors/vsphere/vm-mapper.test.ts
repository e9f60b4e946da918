import { describe, expect, it } from 'vitest';
import type { VimValue } from './codec.js';
import { InventoryCache, compactProperty, mapObject } from './mapper.js';

const props = (entries: Record<string, VimValue>): Map<string, VimValue> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, compactProperty('VirtualMachine', k, v)]));

const DEVICES: VimValue = [
  {
    _type: 'VirtualLsiLogicSASController',
    key: '1000',
    busNumber: '0',
    sharedBus: 'noSharing',
    deviceInfo: { label: 'SCSI controller 0', summary: 'LSI Logic SAS' },
  },
  {
    _type: 'VirtualDisk',
    key: '2000',
    controllerKey: '1000',
    unitNumber: '0',
    capacityInBytes: '42949672960',
    deviceInfo: { label: 'Hard disk 1' },
    storageIOAllocation: {
      limit: '-1',
      reservation: '0',
      shares: { shares: '1000', level: 'normal' },
    },
    backing: {
      _type: 'VirtualDiskFlatVer2BackingInfo',
      fileName: '[ds1] app/app.vmdk',
      diskMode: 'persistent',
      thinProvisioned: false,
      eagerlyScrub: true,
      writeThrough: false,
      split: false,
      sharing: 'sharingNone',
      uuid: '6000C29a-0000-0000-0000-000000000001',
    },
  },
  {
    _type: 'VirtualDisk',
    key: '2001',
    controllerKey: '1000',
    unitNumber: '1',
    capacityInKB: '1048576',
    deviceInfo: { label: 'Hard disk 2' },
    backing: {
      _type: 'VirtualDiskRawDiskMappingVer1BackingInfo',
      fileName: '[ds1] app/app_1.vmdk',
      diskMode: 'independent_persistent',
      compatibilityMode: 'physicalMode',
      lunUuid: '0200000000600508b1001c',
    },
  },
  {
    _type: 'VirtualCdrom',
    key: '3000',
    deviceInfo: { label: 'CD/DVD drive 1' },
    connectable: { connected: true, startConnected: false },
    backing: { _type: 'VirtualCdromIsoBackingInfo', fileName: '[ds1] iso/os.iso' },
  },
  {
    _type: 'VirtualUSBController',
    key: '7000',
    busNumber: '0',
    ehciEnabled: true,
    autoConnectDevices: false,
    deviceInfo: { label: 'USB controller' },
  },
  {
    _type: 'VirtualUSB',
    key: '7001',
    controllerKey: '7000',
    unitNumber: '1',
    connected: true,
    family: ['storage'],
    speed: ['high'],
    deviceInfo: { label: 'USB 1' },
    backing: { _type: 'VirtualUSBUSBBackingInfo', deviceName: 'path:1/0/1' },
  },
  { _type: 'VirtualMachineVideoCard', key: '500', numDisplays: '2', videoRamSizeInKB: '8192' },
];

describe('VM mapping for the RVTools VM sheets', () => {
  const cache = new InventoryCache();
  cache.put(
    { type: 'ClusterComputeResource', value: 'domain-c1' },
    new Map<string, VimValue>([
      ['name', 'C1'],
      [
        'configurationEx',
        {
          dasConfig: {
            vmMonitoring: 'vmMonitoringOnly',
            defaultVmSettings: { restartPriority: 'medium', isolationResponse: 'none' },
          },
          dasVmConfig: [
            {
              key: { type: 'VirtualMachine', value: 'vm-1' },
              dasSettings: {
                restartPriority: 'high',
                isolationResponse: 'clusterIsolationResponse',
              },
            },
          ],
          rule: [
            { name: 'keep-apart', vm: [{ type: 'VirtualMachine', value: 'vm-1' }] },
            { name: 'other', vm: [{ type: 'VirtualMachine', value: 'vm-2' }] },
          ],
        },
      ],
    ]),
  );
  cache.put(
    { type: 'HostSystem', value: 'host-1' },
    new Map<string, VimValue>([
      ['name', 'esx1'],
      ['parent', { type: 'ClusterComputeResource', value: 'domain-c1' }],
    ]),
  );
  const vm = {
    ref: { type: 'VirtualMachine', value: 'vm-1' },
    props: props({
      name: 'app',
      'runtime.host': { type: 'HostSystem', value: 'host-1' },
      'config.hardware.device': DEVICES,
      'config.cpuAllocation': {
        reservation: '500',
        limit: '-1',
        shares: { shares: '2000', level: 'normal' },
      },
      'config.memoryAllocation': {
        reservation: '1024',
        limit: '4096',
        shares: { shares: '40960', level: 'custom' },
      },
      'config.files': { vmPathName: '[ds1] app/app.vmx', logDirectory: '[ds1] app/' },
      'config.changeTrackingEnabled': true,
      'config.managedBy': { extensionKey: 'com.vmware.vcDr', type: 'placeholderVm' },
      'config.latencySensitivity': { level: 'normal' },
      'guest.guestState': 'running',
      guestHeartbeatStatus: 'green',
      'summary.quickStats': { hostMemoryUsage: '900', balloonedMemory: '12', swappedMemory: '3' },
      'guest.disk': [
        {
          diskPath: 'C:\\',
          capacity: '100',
          freeSpace: '40',
          filesystemType: 'NTFS',
          mappings: [{ key: '2000' }],
        },
        { diskPath: 'C:\\', capacity: '100', freeSpace: '40' },
      ],
      snapshot: {
        currentSnapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-1' },
        rootSnapshotList: [
          {
            snapshot: { type: 'VirtualMachineSnapshot', value: 'snapshot-1' },
            name: 's1',
            quiesced: false,
          },
        ],
      },
      'layoutEx.file': [
        { key: '1', name: '[ds1] app/app-Snapshot1.vmsn', size: '2048', type: 'snapshotData' },
        { key: '2', name: '[ds1] app/app-Snapshot1.vmem', size: '4096' },
      ],
      'layoutEx.snapshot': [
        {
          key: { type: 'VirtualMachineSnapshot', value: 'snapshot-1' },
          dataKey: '1',
          memoryKey: '2',
        },
      ],
    }),
  };
  const out = mapObject(cache, vm);
  const byType = (t: string): unknown[] => out.filter((e) => e.type === t).map((e) => e.fields);

  it('reads disk backing, controller and storage I/O facts', () => {
    expect(byType('vmDisk')).toEqual([
      expect.objectContaining({
        label: 'Hard disk 1',
        diskKey: 2000,
        controllerLabel: 'SCSI controller 0',
        controllerSharedBus: 'noSharing',
        raw: false,
        eagerlyScrub: true,
        writeThrough: false,
        split: false,
        sharing: 'sharingNone',
        diskUuid: '6000C29a-0000-0000-0000-000000000001',
        ioShares: 1000,
        ioSharesLevel: 'normal',
        ioLimit: -1,
        rawCompatibilityMode: null,
      }),
      expect.objectContaining({
        label: 'Hard disk 2',
        capacityBytes: 1024 ** 3,
        raw: true,
        rawCompatibilityMode: 'physicalMode',
        rawLunUuid: '0200000000600508b1001c',
        diskMode: 'independent_persistent',
      }),
    ]);
  });

  it('lists CD drives and USB devices with their controllers', () => {
    const f = out[0]!.fields as Record<string, unknown>;
    expect(f['cdDrives']).toEqual([
      {
        label: 'CD/DVD drive 1',
        connected: true,
        startConnected: false,
        backing: 'Iso',
        fileName: '[ds1] iso/os.iso',
      },
    ]);
    expect(f['cdromConnected']).toBe(true);
    expect(f['usbDevices']).toEqual([
      {
        label: 'USB 1',
        connected: true,
        backing: 'USB',
        family: ['storage'],
        speed: ['high'],
        ehciEnabled: true,
        autoConnect: false,
        busNumber: 0,
        unitNumber: 1,
      },
    ]);
    expect(f).toMatchObject({ numMonitors: 2, videoRamKib: 8192 });
  });

  it('reads allocation, HA settings of its cluster, and the guest', () => {
    expect(out[0]!.fields).toMatchObject({
      cpuReservationMhz: 500,
      cpuLimitMhz: -1,
      cpuShares: 2000,
      cpuSharesLevel: 'normal',
      memoryReservationMb: 1024,
      memoryLimitMb: 4096,
      memorySharesLevel: 'custom',
      memoryConsumedMb: 900,
      memoryBalloonedMb: 12,
      memorySwappedMb: 3,
      cbtEnabled: true,
      srmPlaceholder: true,
      latencySensitivity: 'normal',
      guestState: 'running',
      heartbeat: 'green',
      vmPathName: '[ds1] app/app.vmx',
      logDirectory: '[ds1] app/',
      clusterId: 'domain-c1',
      // Its own priority; its isolation response and monitoring are the cluster's.
      haRestartPriority: 'high',
      haIsolationResponse: 'none',
      haVmMonitoring: 'vmMonitoringOnly',
      clusterRuleNames: ['keep-apart'],
    });
  });

  it('gives guest partitions ids from their paths, once each, and the vmsn file', () => {
    const parts = out.filter((e) => e.type === 'guestPartition');
    expect(parts).toHaveLength(1);
    expect(parts[0]!.id).toMatch(/^vm-1\/part-[0-9a-f]{8}$/);
    expect(parts[0]).toMatchObject({
      name: 'C:\\',
      fields: {
        path: 'C:\\',
        capacityBytes: 100,
        freeBytes: 40,
        filesystemType: 'NTFS',
        diskKey: 2000,
      },
    });
    expect(byType('snapshot')).toEqual([
      expect.objectContaining({
        fileName: '[ds1] app/app-Snapshot1.vmsn',
        vmsnBytes: 2048,
        sizeBytes: 6144,
      }),
    ]);
  });
});
