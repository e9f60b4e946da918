/**
 * Generates the large Hyper-V fixture: a 16-node failover cluster with 2,000 VMs, shaped like
 * Windows PowerShell 5.1's ConvertTo-Json output of the scripts. Deterministic: VM k (0-based) is
 * on node k % 16 and its properties follow from k, so tests can state expected counts by hand:
 * - state by k % 10: 0–6 Running, 7 Off, 8 Saved, 9 Paused; generation 1 when k % 5 == 0;
 * - an OS disk (dynamic, on CSV k % 8 + 1) and, when k % 3 == 0, a fixed data disk;
 * - two NICs (access VLAN 10 + (k % 4) * 10, and untagged) except when k % 50 == 0 (none);
 * - a chain of two checkpoints when k % 10 == 0.
 *
 * Usage: npx tsx tests/doubles/powershell/generate-large.ts OUT.json [NODES] [VMS]
 */
import { writeFileSync } from 'node:fs';

const GIB = 1024 ** 3;
const TIB = 1024 ** 4;
const T0 = 1_700_000_000_000;

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const date = (ms: number): string => `/Date(${ms})/`;
const timespan = (seconds: number): Record<string, number> => ({
  Ticks: seconds * 1e7,
  Days: Math.floor(seconds / 86400),
  Hours: Math.floor(seconds / 3600) % 24,
  Milliseconds: 0,
  Minutes: Math.floor(seconds / 60) % 60,
  Seconds: seconds % 60,
  TotalDays: seconds / 86400,
  TotalHours: seconds / 3600,
  TotalMilliseconds: seconds * 1000,
  TotalMinutes: seconds / 60,
  TotalSeconds: seconds,
});

export const STATES = [
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Running',
  'Off',
  'Saved',
  'Paused',
] as const;

export function vmId(k: number): string {
  return `b16a0000-0000-4000-8000-${hex(k, 12)}`;
}

export function nodeName(n: number): string {
  return `HVN${pad(n + 1, 2)}`;
}

function vm(k: number, node: string): Record<string, unknown> {
  const id = vmId(k);
  const name = `vm-${pad(k, 4)}`;
  const state = STATES[k % 10] ?? 'Running';
  const csv = `C:\\ClusterStorage\\Volume${(k % 8) + 1}`;
  const dir = `${csv}\\Hyper-V\\${name}`;
  const running = state === 'Running' || state === 'Paused';
  const disks: Record<string, unknown>[] = [
    {
      Name: 'Hard Drive on SCSI controller number 0 at location 0',
      Id: `Microsoft:${id.toUpperCase()}\\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\\0\\0\\D`,
      Path: `${dir}\\${name}.vhdx`,
      ControllerType: 'SCSI',
      ControllerNumber: 0,
      ControllerLocation: 0,
      DiskNumber: null,
      Vhd: {
        VhdFormat: 'VHDX',
        VhdType: 'Dynamic',
        Size: 128 * GIB,
        FileSize: (10 + (k % 50)) * GIB,
        ParentPath: '',
      },
    },
  ];
  if (k % 3 === 0) {
    disks.push({
      Name: 'Hard Drive on SCSI controller number 0 at location 1',
      Id: `Microsoft:${id.toUpperCase()}\\83F8638B-8DCA-4152-9EDA-2CA8B33039B4\\0\\1\\D`,
      Path: `${dir}\\${name}-data.vhdx`,
      ControllerType: 'SCSI',
      ControllerNumber: 0,
      ControllerLocation: 1,
      DiskNumber: null,
      Vhd: {
        VhdFormat: 'VHDX',
        VhdType: 'Fixed',
        Size: 64 * GIB,
        FileSize: 64 * GIB + 4 * 1024 * 1024,
        ParentPath: '',
      },
    });
  }
  const nics =
    k % 50 === 0
      ? []
      : [
          {
            Name: 'Network Adapter',
            Id: `Microsoft:${id.toUpperCase()}\\A16A0000-0000-4000-8000-${hex(k * 2, 12).toUpperCase()}`,
            SwitchName: 'Converged',
            SwitchId: null,
            MacAddress: `00155D${hex(k * 2, 6).toUpperCase()}`,
            DynamicMacAddressEnabled: true,
            IsLegacy: false,
            Connected: true,
            IPAddresses: running ? [`10.${(k >> 8) & 255}.${k & 255}.10`, 'fe80::1'] : [],
            Vlan: {
              OperationMode: 'Access',
              AccessVlanId: 10 + (k % 4) * 10,
              NativeVlanId: 0,
              AllowedVlanIdListString: '',
            },
          },
          {
            Name: 'Network Adapter',
            Id: `Microsoft:${id.toUpperCase()}\\A16A0000-0000-4000-8000-${hex(k * 2 + 1, 12).toUpperCase()}`,
            SwitchName: 'Storage',
            SwitchId: null,
            MacAddress: `00155D${hex(k * 2 + 1, 6).toUpperCase()}`,
            DynamicMacAddressEnabled: true,
            IsLegacy: false,
            Connected: true,
            IPAddresses: running ? [`172.16.${(k >> 8) & 255}.${k & 255}`] : [],
            Vlan: {
              OperationMode: 'Untagged',
              AccessVlanId: 0,
              NativeVlanId: 0,
              AllowedVlanIdListString: '',
            },
          },
        ];
  const checkpoints =
    k % 10 === 0
      ? [
          {
            Id: `c16a0000-0000-4000-8000-${hex(k * 2, 12)}`,
            Name: 'baseline',
            ParentCheckpointId: null,
            SnapshotType: 'Standard',
            State: 'Off',
            CreationTime: date(T0 - 86_400_000 * 30),
            Notes: '',
          },
          {
            Id: `c16a0000-0000-4000-8000-${hex(k * 2 + 1, 12)}`,
            Name: 'patched',
            ParentCheckpointId: `c16a0000-0000-4000-8000-${hex(k * 2, 12)}`,
            SnapshotType: 'Standard',
            State: 'Running',
            CreationTime: date(T0 - 86_400_000),
            Notes: 'after KB5031364',
          },
        ]
      : [];
  return {
    Name: name,
    Id: id,
    State: state,
    Status: 'Operating normally',
    Generation: k % 5 === 0 ? 1 : 2,
    Version: '9.0',
    ProcessorCount: (k % 8) + 1,
    MemoryStartup: ((k % 4) + 1) * 2 * GIB,
    MemoryAssigned: running ? ((k % 4) + 1) * 2 * GIB : 0,
    MemoryMinimum: 512 * 1024 * 1024,
    MemoryMaximum: TIB,
    DynamicMemoryEnabled: k % 7 === 0,
    Uptime: timespan(running ? 3600 * (k % 48) : 0),
    CPUUsage: running ? k % 30 : 0,
    IntegrationServicesState: running ? 'Up to date' : null,
    IntegrationServicesVersion: '',
    ReplicationState: 'Disabled',
    ReplicationHealth: 'NotApplicable',
    ReplicationMode: 'None',
    Notes: `Generated VM ${k}`,
    ComputerName: node,
    Path: dir,
    ConfigurationLocation: dir,
    CreationTime: date(T0 - 86_400_000 * (100 + k)),
    IsClustered: true,
    ParentCheckpointId:
      checkpoints.length > 0 ? `c16a0000-0000-4000-8000-${hex(k * 2 + 1, 12)}` : null,
    HardDrives: disks,
    NetworkAdapters: nics,
    DVDDrives: [
      {
        Name: 'DVD Drive',
        ControllerType: 'SCSI',
        ControllerNumber: 0,
        ControllerLocation: 2,
        DvdMediaType: 'None',
        Path: null,
      },
    ],
    Checkpoints: checkpoints,
    IntegrationServices: running
      ? [
          { Name: 'Heartbeat', Enabled: true, PrimaryStatusDescription: 'OK' },
          { Name: 'Time Synchronization', Enabled: true, PrimaryStatusDescription: 'OK' },
        ]
      : [],
  };
}

/** The fixture object (see the file comment for the rules). */
export function generateLargeFixture(nodeCount = 16, vmCount = 2000): Record<string, unknown> {
  const nodes: Record<string, unknown> = {};
  const names = Array.from({ length: nodeCount }, (_, n) => nodeName(n));
  names.forEach((name, n) => {
    const vms: Record<string, unknown>[] = [];
    for (let k = n; k < vmCount; k += nodeCount) vms.push(vm(k, name));
    nodes[name] = {
      ComputerName: name,
      CollectedAt: date(T0),
      Host: {
        ComputerName: name,
        FullyQualifiedDomainName: `${name}.corp.example`,
        LogicalProcessorCount: 64,
        MemoryCapacity: 1024 * GIB,
        VirtualHardDiskPath: 'C:\\ClusterStorage\\Volume1\\Hyper-V',
        VirtualMachinePath: 'C:\\ClusterStorage\\Volume1\\Hyper-V',
        HyperVVersion: '10.0.20348.1',
      },
      OperatingSystem: {
        Caption: 'Microsoft Windows Server 2022 Datacenter',
        Version: '10.0.20348',
        BuildNumber: '20348',
        LastBootUpTime: date(T0 - 86_400_000 * (n + 1)),
        TotalVisibleMemorySize: 1024 * 1024 * 1024,
        FreePhysicalMemory: 512 * 1024 * 1024,
      },
      ComputerSystem: {
        Manufacturer: 'Lenovo',
        Model: 'ThinkSystem SR650 V2',
        NumberOfProcessors: 2,
        TotalPhysicalMemory: 1024 * GIB,
        Domain: 'corp.example',
      },
      Bios: { SerialNumber: `J30${pad(n, 5)}` },
      Processors: [0, 1].map(() => ({
        Name: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
        NumberOfCores: 16,
        NumberOfLogicalProcessors: 32,
        MaxClockSpeed: 2000,
        LoadPercentage: 25,
      })),
      Volumes: [
        {
          DeviceID: `\\\\?\\Volume{b16d0000-0000-4000-8000-${hex(n, 12)}}\\`,
          Name: 'C:\\',
          Label: '',
          FileSystem: 'NTFS',
          Capacity: 480 * GIB,
          FreeSpace: 300 * GIB,
        },
      ],
      Switches: [
        {
          Name: 'Converged',
          Id: `b16e0000-0000-4000-8000-${hex(n * 2, 12)}`,
          SwitchType: 'External',
          NetAdapterInterfaceDescription: 'Microsoft Network Adapter Multiplexor Driver',
          AllowManagementOS: true,
        },
        {
          Name: 'Storage',
          Id: `b16e0000-0000-4000-8000-${hex(n * 2 + 1, 12)}`,
          SwitchType: 'Internal',
          NetAdapterInterfaceDescription: null,
          AllowManagementOS: true,
        },
      ],
      VMs: vms,
    };
  });
  return {
    description: `Generated: a ${nodeCount}-node cluster with ${vmCount} VMs (Windows PowerShell 5.1 shapes).`,
    psVersion: '5.1.20348.2031',
    endpoint: {
      ComputerName: names[0],
      PSVersion: '5.1.20348.2031',
      Cluster: {
        Name: 'HVBIG',
        Id: 'b16c0000-0000-4000-8000-000000000000',
        Domain: 'corp.example',
        AutoBalancerMode: 1,
        Nodes: names.map((name, n) => ({
          Name: name,
          Id: String(n + 1),
          State: 'Up',
          NodeWeight: 1,
          DynamicWeight: 1,
        })),
        SharedVolumes: Array.from({ length: 8 }, (_, i) => ({
          Name: `Cluster Disk ${i + 1}`,
          Id: `b16d5000-0000-4000-8000-${hex(i + 1, 12)}`,
          State: 'Online',
          OwnerNode: names[i % nodeCount],
          SharedVolumeInfo: [
            {
              FriendlyVolumeName: `C:\\ClusterStorage\\Volume${i + 1}`,
              FaultState: 'NoFaults',
              RedirectedAccess: false,
              Partition: {
                Name: `\\\\?\\GLOBALROOT\\Device\\Harddisk${i + 2}\\ClusterPartition2\\`,
                FileSystem: 'CSVFS_ReFS',
                Size: 10 * TIB,
                FreeSpace: (i + 1) * TIB,
                PercentFree: (i + 1) * 10,
              },
            },
          ],
        })),
      },
    },
    nodes,
  };
}

if (process.argv[1] && /generate-large\.[cm]?[jt]s$/.test(process.argv[1])) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: generate-large.ts OUT.json [NODES] [VMS]\n');
    process.exit(2);
  }
  const fixture = generateLargeFixture(
    Number(process.argv[3] ?? 16),
    Number(process.argv[4] ?? 2000),
  );
  writeFileSync(out, JSON.stringify(fixture));
  process.stdout.write(`wrote ${out}\n`);
}
