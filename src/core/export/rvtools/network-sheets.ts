import type { EntityType, FieldValue } from '../../../shared/entities.js';
import type { EntityRecord, SourceEndpoint } from '../records.js';
import type { Lookups } from '../source.js';
import type { CellValue } from '../xlsx-writer.js';
import type { RvColumn } from './table.js';
import { none, num, str } from './table.js';
import type { SheetPlan, VmAggregates } from './host-columns.js';
import { col, field, joined, planIf, sdk, texts } from './host-columns.js';
import { dvSwitchColumns, dvSwitchRows } from './dv-switch-sheet.js';

/*
 * RVTools' network sheets of the hosts: vSwitch (standard switches; Hyper-V's switches), vPort
 * (standard port groups), dvSwitch and dvPort (distributed switches and port groups).
 */

/** The policy columns vSwitch and vPort share, in RVTools' order. */
function policyColumns(): RvColumn<EntityRecord>[] {
  return [
    field('Promiscuous Mode', 'bool', 'policy.security.allowPromiscuous', 'allowPromiscuous'),
    field('Mac Changes', 'bool', 'policy.security.macChanges', 'macChanges'),
    field('Forged Transmits', 'bool', 'policy.security.forgedTransmits', 'forgedTransmits'),
    field('Traffic Shaping', 'bool', 'policy.shapingPolicy.enabled', 'shaping'),
    field('Width', 'int', 'policy.shapingPolicy.averageBandwidth (bit/s)', 'shapingAvgBps'),
    field('Peak', 'int', 'policy.shapingPolicy.peakBandwidth (bit/s)', 'shapingPeakBps'),
    field('Burst', 'int', 'policy.shapingPolicy.burstSize (bytes)', 'shapingBurstBytes'),
    field('Policy', 'text', 'policy.nicTeaming.policy', 'teamingPolicy'),
    field('Reverse Policy', 'bool', 'policy.nicTeaming.reversePolicy', 'reversePolicy'),
    field('Notify Switch', 'bool', 'policy.nicTeaming.notifySwitches', 'notifySwitches'),
    field('Rolling Order', 'bool', 'policy.nicTeaming.rollingOrder', 'rollingOrder'),
    field('Offload', 'bool', 'policy.offloadPolicy.csumOffload', 'offload'),
    field('TSO', 'bool', 'policy.offloadPolicy.tcpSegmentation', 'tso'),
    field('Zero Copy Xmit', 'bool', 'policy.offloadPolicy.zeroCopyXmit', 'zeroCopyXmit'),
  ];
}

/**
 * A distributed port group's VLAN in RVTools' forms: the VLAN id as a number, a trunk as its
 * ranges (`0-4094`, `10-20,30-40`), a private VLAN as its id.
 */
export function rvVlan(v: FieldValue | undefined): CellValue {
  const s = str(v);
  if (s === null) return null;
  if (/^\d+$/.test(s)) return Number(s);
  if (s.startsWith('trunk:')) return s.slice('trunk:'.length);
  if (s.startsWith('pvlan:')) {
    const id = s.slice('pvlan:'.length);
    return /^\d+$/.test(id) ? Number(id) : id || null;
  }
  return s;
}

/**
 * The stored VLAN (as the collector stores it, see {@link rvVlan}) of a dvPort VLAN cell's text: a
 * number is the VLAN id, ranges (`0-4094`, `10-20,30-40`) a trunk. A private VLAN is written as
 * its id alone, so it comes back as a VLAN id: the workbook does not tell the two apart.
 */
export function storedVlan(text: string | null): string | null {
  const s = text?.trim() ?? '';
  if (s === '') return null;
  if (/^\d+$/.test(s)) return String(Number(s));
  if (/^\d+-\d+(\s*,\s*\d+-\d+)*$/.test(s)) return `trunk:${s.replace(/\s+/g, '')}`;
  return s;
}

export function networkSheets(
  lookups: Lookups,
  all: (t: EntityType) => EntityRecord[],
  ep: (r: EntityRecord) => SourceEndpoint,
  agg: VmAggregates,
): SheetPlan[] {
  const networks = all('network');
  const sdkOf = sdk(ep);
  // vSwitch: standard switches of vSphere hosts; Hyper-V's virtual switches, one per host.
  type SwitchRow = {
    r: EntityRecord;
    host: EntityRecord | undefined;
    hostId: string;
    hyperv: boolean;
  };
  const switchRows: SwitchRow[] = [
    ...all('standardSwitch').map((r) => ({
      r,
      host: lookups.record(r.ep, 'host', r.fields['hostId']),
      hostId: str(r.fields['hostId']) ?? '',
      hyperv: false,
    })),
    ...networks
      .filter((n) => n.fields['networkType'] === 'hyperv-switch')
      .flatMap((n) =>
        texts(n.fields['hostIds']).map((h) => ({
          r: n,
          host: lookups.record(n.ep, 'host', h),
          hostId: h,
          hyperv: true,
        })),
      ),
  ];
  const onHost =
    <T extends { r: EntityRecord; host: EntityRecord | undefined; hostId: string }>(
      get: (r: EntityRecord) => CellValue,
    ) =>
    (x: T): CellValue =>
      get(x.r);
  const hostCols = <
    T extends { r: EntityRecord; host: EntityRecord | undefined; hostId: string },
  >(): RvColumn<T>[] => [
    col<T>('Host', 'text', 'HostSystem.name', (x) => x.host?.name ?? x.hostId, 28),
    col<T>('Datacenter', 'text', 'the host’s datacenter', (x) =>
      lookups.name(x.r.ep, 'datacenter', (x.host ?? x.r).fields['datacenterId']),
    ),
    col<T>('Cluster', 'text', 'the host’s cluster', (x) =>
      x.host ? lookups.name(x.r.ep, 'cluster', x.host.fields['clusterId']) : null,
    ),
  ];
  const lift = <T extends { r: EntityRecord; host: EntityRecord | undefined; hostId: string }>(
    cols: RvColumn<EntityRecord>[],
  ): RvColumn<T>[] =>
    // Rows of two kinds (a switch or a Hyper-V network): no binding, the import reads neither.
    cols.map(({ binding: _binding, ...c }) => ({ ...c, get: onHost<T>(c.get) }));
  const vSwitch: RvColumn<SwitchRow>[] = [
    ...hostCols<SwitchRow>(),
    col(
      'Switch',
      'text',
      'config.network.vswitch.name (Hyper-V: Get-VMSwitch)',
      (x) => (x.hyperv ? (str(x.r.fields['switchName']) ?? x.r.name) : x.r.name),
      24,
    ),
    ...lift<SwitchRow>([
      field('# Ports', 'int', 'vswitch.spec.numPorts', 'numPorts'),
      field('Free Ports', 'int', 'vswitch.numPortsAvailable', 'freePorts'),
    ]),
    ...lift<SwitchRow>(policyColumns()).map((c) => ({
      ...c,
      get: (x: SwitchRow) => (x.hyperv ? null : c.get(x)),
    })),
    col('MTU', 'int', 'vswitch.mtu', (x) => (x.hyperv ? null : num(x.r.fields['mtu']))),
    ...lift<SwitchRow>(sdkOf),
  ];

  // vPort: a host's standard port groups; stores without them (older syncs) list the standard
  // networks per host instead.
  type PortRow = {
    r: EntityRecord;
    host: EntityRecord | undefined;
    hostId: string;
    legacy: boolean;
  };
  const portGroups = all('portGroup');
  const withGroups = new Set(portGroups.map((p) => p.ep));
  const portRows: PortRow[] = [
    ...portGroups.map((r) => ({
      r,
      host: lookups.record(r.ep, 'host', r.fields['hostId']),
      hostId: str(r.fields['hostId']) ?? '',
      legacy: false,
    })),
    ...networks
      .filter((n) => !withGroups.has(n.ep) && n.fields['networkType'] === 'standard')
      .flatMap((n) =>
        texts(n.fields['hostIds']).map((h) => ({
          r: n,
          host: lookups.record(n.ep, 'host', h),
          hostId: h,
          legacy: true,
        })),
      ),
  ];
  const vPort: RvColumn<PortRow>[] = [
    ...hostCols<PortRow>(),
    col('Port Group', 'text', 'config.network.portgroup.spec.name', (x) => x.r.name, 24),
    col('Switch', 'text', 'portgroup.spec.vswitchName', (x) => str(x.r.fields['switchName'])),
    col('VLAN', 'int', 'portgroup.spec.vlanId', (x) =>
      x.legacy ? rvVlan(x.r.fields['vlanId']) : num(x.r.fields['vlanId']),
    ),
    ...lift<PortRow>(policyColumns()).map((c) => ({
      ...c,
      source: `portgroup.computedPolicy (${c.source?.replace(/^policy\./, '') ?? ''})`,
      get: (x: PortRow) => (x.legacy ? null : c.get(x)),
    })),
    ...lift<PortRow>(sdkOf),
  ];

  const dvPortgroups = networks.filter((n) => n.fields['networkType'] === 'distributedPortgroup');
  const dvSwitchCols = dvSwitchColumns(agg);
  const setting = (p: string): string => `config.defaultPortConfig.${p}.value`;
  const dvPort: RvColumn<EntityRecord>[] = [
    col('Port', 'text', 'DistributedVirtualPortgroup.name', (r) => r.name, 24),
    field('Switch', 'text', 'config.distributedVirtualSwitch (name)', 'switchName', 24),
    field('Type', 'text', 'config.type', 'portgroupType'),
    field('# Ports', 'int', 'config.numPorts', 'numPorts'),
    col('VLAN', 'int', 'config.defaultPortConfig.vlan', (r) => rvVlan(r.fields['vlanId'])),
    none('Speed', 'int', 'a distributed port group has no link speed in the vSphere API'),
    none(
      'Full Duplex',
      'bool',
      'a distributed port group has no duplex setting in the vSphere API',
    ),
    field('Blocked', 'bool', setting('blocked'), 'blocked'),
    field(
      'Allow Promiscuous',
      'bool',
      setting('securityPolicy.allowPromiscuous'),
      'allowPromiscuous',
    ),
    field('Mac Changes', 'bool', setting('securityPolicy.macChanges'), 'macChanges'),
    col('Active Uplink', 'text', 'uplinkTeamingPolicy.uplinkPortOrder.activeUplinkPort', (r) =>
      joined(r.fields['activeUplinks']),
    ),
    col('Standby Uplink', 'text', 'uplinkTeamingPolicy.uplinkPortOrder.standbyUplinkPort', (r) =>
      joined(r.fields['standbyUplinks']),
    ),
    field('Policy', 'text', setting('uplinkTeamingPolicy.policy'), 'teamingPolicy'),
    field('Forged Transmits', 'bool', setting('securityPolicy.forgedTransmits'), 'forgedTransmits'),
    field('In Traffic Shaping', 'bool', setting('inShapingPolicy.enabled'), 'inShaping'),
    field('In Avg', 'int', setting('inShapingPolicy.averageBandwidth'), 'inShapingAvgBps'),
    field('In Peak', 'int', setting('inShapingPolicy.peakBandwidth'), 'inShapingPeakBps'),
    field('In Burst', 'int', setting('inShapingPolicy.burstSize'), 'inShapingBurstBytes'),
    field('Out Traffic Shaping', 'bool', setting('outShapingPolicy.enabled'), 'outShaping'),
    field('Out Avg', 'int', setting('outShapingPolicy.averageBandwidth'), 'outShapingAvgBps'),
    field('Out Peak', 'int', setting('outShapingPolicy.peakBandwidth'), 'outShapingPeakBps'),
    field('Out Burst', 'int', setting('outShapingPolicy.burstSize'), 'outShapingBurstBytes'),
    field('Reverse Policy', 'bool', setting('uplinkTeamingPolicy.reversePolicy'), 'reversePolicy'),
    field('Notify Switch', 'bool', setting('uplinkTeamingPolicy.notifySwitches'), 'notifySwitches'),
    field('Rolling Order', 'bool', setting('uplinkTeamingPolicy.rollingOrder'), 'rollingOrder'),
    field(
      'Check Beacon',
      'bool',
      setting('uplinkTeamingPolicy.failureCriteria.checkBeacon'),
      'checkBeacon',
    ),
    field('Live Port Moving', 'bool', 'config.policy.livePortMovingAllowed', 'livePortMoving'),
    field(
      'Check Duplex',
      'bool',
      setting('uplinkTeamingPolicy.failureCriteria.checkDuplex'),
      'checkDuplex',
    ),
    field(
      'Check Error %',
      'bool',
      setting('uplinkTeamingPolicy.failureCriteria.checkErrorPercent'),
      'checkErrorPercent',
    ),
    field(
      'Check Speed',
      'text',
      setting('uplinkTeamingPolicy.failureCriteria.checkSpeed'),
      'checkSpeed',
    ),
    field(
      'Percentage',
      'int',
      setting('uplinkTeamingPolicy.failureCriteria.percentage'),
      'failurePercentage',
    ),
    field('Block Override', 'bool', 'config.policy.blockOverrideAllowed', 'blockOverride'),
    field('Config Reset', 'bool', 'config.policy.portConfigResetAtDisconnect', 'configReset'),
    field('Shaping Override', 'bool', 'config.policy.shapingOverrideAllowed', 'shapingOverride'),
    field(
      'Vendor Config Override',
      'bool',
      'config.policy.vendorConfigOverrideAllowed',
      'vendorConfigOverride',
    ),
    field(
      'Sec. Policy Override',
      'bool',
      'config.policy.securityPolicyOverrideAllowed',
      'securityOverride',
    ),
    field(
      'Teaming Override',
      'bool',
      'config.policy.uplinkTeamingOverrideAllowed',
      'teamingOverride',
    ),
    field('Vlan Override', 'bool', 'config.policy.vlanOverrideAllowed', 'vlanOverride'),
    col('Object ID', 'text', 'the DistributedVirtualPortgroup moref', (r) => r.id),
    ...sdkOf,
  ];
  return [
    ...planIf('vSwitch', vSwitch, switchRows),
    ...planIf('vPort', vPort, portRows),
    ...planIf('dvSwitch', dvSwitchCols, dvSwitchRows(lookups, all, dvPortgroups)),
    ...planIf('dvPort', dvPort, dvPortgroups),
  ];
}
