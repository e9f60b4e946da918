/**
 * Schemas of the JSON documents that resources/hyperv/*.ps1 write. The scripts pick their
 * properties by the names Microsoft documents for each cmdlet's output type (VMHost,
 * VirtualMachine, HardDiskDrive, VHD, VMNetworkAdapter, VMSwitch, VMSnapshot, ClusterNode,
 * ClusterSharedVolume, Win32_*) and turn enums into their names (`State.ToString()`).
 *
 * The schemas accept what both serializers produce: Windows PowerShell 5.1 (JavaScriptSerializer:
 * dates as "\/Date(ms)\/", arrays carrying extended properties as {"value":[...],"Count":n}) and
 * PowerShell 7 (ISO 8601 dates). A property the script selects must be present; its value may be
 * null where the cmdlet documents one.
 */
import { z } from 'zod';

/** 5.1 writes a DateTime as "\/Date(1700000000000)\/" (the JSON escape hides the slashes). */
const MS_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/**
 * Normalizes a serialized DateTime to an ISO string (UTC). ISO strings without an offset are
 * DateTimeKind.Unspecified in .NET; we read them as UTC rather than as this machine's local time.
 */
export function psDateToIso(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && !Array.isArray(v) && 'value' in v) {
    // Get-Date output carries a DisplayHint note property: {"value":"\/Date(..)\/","DisplayHint":2}.
    return psDateToIso((v as { value: unknown }).value);
  }
  if (typeof v !== 'string') return null;
  const m = MS_DATE.exec(v);
  if (m) return new Date(Number(m[1])).toISOString();
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(v);
  const t = Date.parse(hasZone ? v : `${v}Z`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

const psDate = z
  .unknown()
  .superRefine((v, ctx) => {
    if (v !== null && psDateToIso(v) === null)
      ctx.addIssue({ code: 'custom', message: 'not a PowerShell DateTime' });
  })
  .transform((v) => psDateToIso(v));

/** A TimeSpan: ConvertTo-Json writes {Ticks, Days, ..., TotalSeconds}; strings "d.hh:mm:ss" too. */
export function psTimeSpanSeconds(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o['TotalSeconds'] === 'number') return o['TotalSeconds'];
    if (typeof o['Ticks'] === 'number') return o['Ticks'] / 1e7;
    return null;
  }
  if (typeof v === 'string') {
    const m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(v);
    if (!m) return null;
    const s =
      Number(m[2] ?? 0) * 86400 +
      Number(m[3]) * 3600 +
      Number(m[4]) * 60 +
      Number(m[5]) +
      Number(`0.${m[6] ?? '0'}`);
    return m[1] ? -s : s;
  }
  return null;
}

const psTimeSpan = z
  .unknown()
  .superRefine((v, ctx) => {
    if (v !== null && psTimeSpanSeconds(v) === null)
      ctx.addIssue({ code: 'custom', message: 'not a PowerShell TimeSpan' });
  })
  .transform((v) => psTimeSpanSeconds(v));

/** Zero, one or many: null, a bare object (an unwrapped single item) or 5.1's {value, Count}. */
function psList<T extends z.ZodType>(item: T): z.ZodType<z.output<T>[], unknown> {
  return z.preprocess((v) => {
    if (v === null || v === undefined) return [];
    if (Array.isArray(v)) return v;
    if (typeof v === 'object' && 'value' in v && Array.isArray((v as { value: unknown }).value))
      return (v as { value: unknown[] }).value;
    return [v];
  }, z.array(item)) as unknown as z.ZodType<z.output<T>[], unknown>;
}

/** Numbers; CIM UInt64 values sometimes arrive as strings. */
const num = z.preprocess(
  (v) => (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v),
  z.number(),
);
const numOrNull = num.nullable();
const str = z.string();
const strOrNull = z.string().nullable();
const boolOrNull = z.boolean().nullable();

const clusterNode = z.object({
  Name: str,
  Id: z.union([str, num]).transform(String),
  State: str,
  NodeWeight: numOrNull.optional(),
  DynamicWeight: numOrNull.optional(),
});

const sharedVolume = z.object({
  Name: str,
  Id: str,
  State: str,
  OwnerNode: strOrNull,
  SharedVolumeInfo: psList(
    z.object({
      FriendlyVolumeName: str,
      FaultState: strOrNull.optional(),
      RedirectedAccess: boolOrNull.optional(),
      Partition: z.object({
        Name: strOrNull.optional(),
        FileSystem: strOrNull,
        Size: numOrNull,
        FreeSpace: numOrNull,
        PercentFree: numOrNull.optional(),
      }),
    }),
  ),
});

/** What get-endpoint.ps1 writes. */
export const endpointDocSchema = z.object({
  ComputerName: str,
  PSVersion: strOrNull.optional(),
  Cluster: z
    .object({
      Name: str,
      Id: str,
      Domain: strOrNull,
      AutoBalancerMode: numOrNull.optional(),
      Nodes: psList(clusterNode),
      SharedVolumes: psList(sharedVolume),
    })
    .nullable(),
});
export type EndpointDoc = z.output<typeof endpointDocSchema>;

const hardDrive = z.object({
  Name: strOrNull,
  Id: strOrNull.optional(),
  Path: strOrNull,
  ControllerType: str,
  ControllerNumber: num,
  ControllerLocation: num,
  DiskNumber: numOrNull.optional(),
  Vhd: z
    .object({
      VhdFormat: strOrNull.optional(),
      VhdType: str,
      Size: num,
      FileSize: numOrNull,
      ParentPath: strOrNull.optional(),
    })
    .nullable(),
});

const networkAdapter = z.object({
  Name: str,
  Id: strOrNull.optional(),
  SwitchName: strOrNull,
  SwitchId: strOrNull.optional(),
  MacAddress: strOrNull,
  DynamicMacAddressEnabled: boolOrNull.optional(),
  IsLegacy: boolOrNull.optional(),
  Connected: boolOrNull,
  IPAddresses: psList(str),
  Vlan: z
    .object({
      OperationMode: str,
      AccessVlanId: numOrNull,
      NativeVlanId: numOrNull.optional(),
      AllowedVlanIdListString: strOrNull.optional(),
    })
    .nullable(),
});

const dvdDrive = z.object({
  Name: strOrNull.optional(),
  ControllerType: strOrNull.optional(),
  ControllerNumber: numOrNull.optional(),
  ControllerLocation: numOrNull.optional(),
  DvdMediaType: strOrNull,
  Path: strOrNull,
});

const checkpoint = z.object({
  Id: str,
  Name: str,
  ParentCheckpointId: strOrNull,
  SnapshotType: strOrNull,
  State: strOrNull,
  CreationTime: psDate,
  Notes: strOrNull.optional(),
});

const integrationService = z.object({
  Name: str,
  Enabled: boolOrNull,
  PrimaryStatusDescription: strOrNull,
});

const vm = z.object({
  Name: str,
  Id: str,
  State: str,
  Status: strOrNull.optional(),
  Generation: numOrNull,
  Version: strOrNull,
  ProcessorCount: numOrNull,
  MemoryStartup: numOrNull,
  MemoryAssigned: numOrNull,
  MemoryMinimum: numOrNull.optional(),
  MemoryMaximum: numOrNull.optional(),
  DynamicMemoryEnabled: boolOrNull,
  Uptime: psTimeSpan,
  CPUUsage: numOrNull,
  IntegrationServicesState: strOrNull,
  IntegrationServicesVersion: strOrNull.optional(),
  ReplicationState: strOrNull,
  ReplicationHealth: strOrNull,
  ReplicationMode: strOrNull.optional(),
  Notes: strOrNull,
  ComputerName: strOrNull,
  Path: strOrNull,
  ConfigurationLocation: strOrNull.optional(),
  CreationTime: psDate.optional(),
  IsClustered: boolOrNull.optional(),
  ParentCheckpointId: strOrNull.optional(),
  HardDrives: psList(hardDrive),
  NetworkAdapters: psList(networkAdapter),
  DVDDrives: psList(dvdDrive),
  Checkpoints: psList(checkpoint),
  IntegrationServices: psList(integrationService),
});
export type VmDoc = z.output<typeof vm>;

const node = z.object({
  ComputerName: str,
  CollectedAt: psDate,
  Host: z.object({
    ComputerName: str,
    FullyQualifiedDomainName: strOrNull,
    LogicalProcessorCount: numOrNull,
    MemoryCapacity: numOrNull,
    VirtualHardDiskPath: strOrNull,
    VirtualMachinePath: strOrNull,
    HyperVVersion: strOrNull.optional(),
  }),
  OperatingSystem: z.object({
    Caption: strOrNull,
    Version: strOrNull,
    BuildNumber: strOrNull,
    LastBootUpTime: psDate,
    TotalVisibleMemorySize: numOrNull,
    FreePhysicalMemory: numOrNull,
  }),
  ComputerSystem: z.object({
    Manufacturer: strOrNull,
    Model: strOrNull,
    NumberOfProcessors: numOrNull,
    TotalPhysicalMemory: numOrNull,
    Domain: strOrNull.optional(),
  }),
  Bios: z.object({ SerialNumber: strOrNull }).nullable(),
  Processors: psList(
    z.object({
      Name: strOrNull,
      NumberOfCores: numOrNull,
      NumberOfLogicalProcessors: numOrNull,
      MaxClockSpeed: numOrNull,
      LoadPercentage: numOrNull,
    }),
  ),
  Volumes: psList(
    z.object({
      DeviceID: str,
      Name: str,
      Label: strOrNull,
      FileSystem: strOrNull,
      Capacity: numOrNull,
      FreeSpace: numOrNull,
    }),
  ),
  Switches: psList(
    z.object({
      Name: str,
      Id: str,
      SwitchType: str,
      NetAdapterInterfaceDescription: strOrNull,
      AllowManagementOS: boolOrNull.optional(),
    }),
  ),
  /** Physical NICs (Get-NetAdapter -Physical); absent from older scripts' output. */
  NetAdapters: psList(
    z.object({
      Name: str,
      InterfaceDescription: strOrNull,
      DriverProvider: strOrNull.optional(),
      DriverDescription: strOrNull.optional(),
      /** Link speed in bits/s. */
      Speed: numOrNull.optional(),
      FullDuplex: boolOrNull.optional(),
      MacAddress: strOrNull,
      Status: strOrNull.optional(),
      MtuSize: numOrNull.optional(),
    }),
  )
    .optional()
    .default([]),
  /** The management OS's virtual adapters (Get-VMNetworkAdapter -ManagementOS). */
  HostVnics: psList(
    z.object({
      Name: str,
      SwitchName: strOrNull,
      MacAddress: strOrNull,
      IPAddresses: psList(
        z.object({
          IPAddress: str,
          PrefixLength: numOrNull,
          PrefixOrigin: strOrNull.optional(),
        }),
      ),
      MtuSize: numOrNull.optional(),
    }),
  )
    .optional()
    .default([]),
  VMs: psList(vm),
});
export type NodeDoc = z.output<typeof node>;

/** What get-nodes.ps1 writes. */
export const nodesDocSchema = z.object({ Nodes: psList(node) });
export type NodesDoc = z.output<typeof nodesDocSchema>;
