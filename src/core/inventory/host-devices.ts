import type { Kysely } from 'kysely';
import type { DetailFact, HostDeviceGroup, HostDeviceRow } from '../../shared/details.js';
import type { TypedFields } from '../../shared/entities.js';
import { decodeRow } from '../store/columns.js';
import type { Database } from '../store/schema.js';
import { tableOf } from '../store/schema.js';

/*
 * The host detail's configuration facts and its devices (NICs, HBAs, VMkernel adapters, LUNs,
 * standard switches, port groups), read from the tables the collectors fill.
 */

const fact = (
  label: string,
  value: DetailFact['value'] | undefined,
  extra: Omit<DetailFact, 'label' | 'value'> = {},
): DetailFact => ({ label, value: value ?? null, ...extra });

const yes = { type: 'bool' } as const;
const list = (v: readonly string[] | null | undefined): string | null =>
  v && v.length > 0 ? v.join(', ') : null;

/** What the host's configuration says: BIOS, CPU features, power, DNS, time, capabilities. */
export function hostConfiguration(hf: TypedFields<'host'>): DetailFact[] {
  const offset = hf.gmtOffsetSeconds;
  return [
    fact('BIOS', [hf.biosVendor, hf.biosVersion].filter(Boolean).join(' ') || null),
    fact('BIOS date', hf.biosReleaseDate, { type: 'time' }),
    fact('Hyperthreading available', hf.htAvailable, yes),
    fact('Hyperthreading active', hf.htActive, yes),
    fact('CPU power policy', hf.cpuPowerPolicy),
    fact('Power policy', hf.powerPolicy),
    fact('EVC mode', hf.currentEvc),
    fact('Max EVC mode', hf.maxEvc),
    fact('vMotion', hf.vmotionSupported, yes),
    fact('Storage vMotion', hf.storageVmotionSupported, yes),
    fact('Fault tolerance', hf.ftSupported, yes),
    fact('DNS servers', list(hf.dnsServers)),
    fact('DNS by DHCP', hf.dhcp, yes),
    fact('Domain', hf.domain),
    fact('Search domains', list(hf.searchDomains)),
    fact('NTP servers', list(hf.ntpServers)),
    fact('NTP running', hf.ntpRunning, yes),
    fact(
      'Time zone',
      hf.timeZone === null || hf.timeZone === undefined
        ? null
        : offset === null || offset === undefined
          ? hf.timeZone
          : `${hf.timeZone} (UTC${offset >= 0 ? '+' : '-'}${Math.abs(offset) / 3600})`,
    ),
    fact('SSH', hf.sshEnabled, yes),
    fact('Certificate issuer', hf.certificateIssuer),
    fact('Certificate expires', hf.certificateExpiresAt, { type: 'time' }),
    fact('Hardware UUID', hf.hardwareUuid),
  ];
}

type DeviceType = 'hostNic' | 'hba' | 'vmkernel' | 'multipathLun' | 'standardSwitch' | 'portGroup';

/** Per device type: the query kind listing them, a title, and the facts of one row. */
const GROUPS: {
  readonly [T in DeviceType]: {
    readonly kind: HostDeviceGroup['kind'];
    readonly title: string;
    readonly facts: (f: TypedFields<T>) => DetailFact[];
  };
} = {
  hostNic: {
    kind: 'host-nics',
    title: 'Physical NICs',
    facts: (f) => [
      fact('Speed', f.speedMb === null || f.speedMb === undefined ? 'down' : `${f.speedMb} Mb/s`),
      fact('Full duplex', f.fullDuplex, yes),
      fact('MAC', f.macAddress),
      fact('Switch', f.switchName),
      fact('Driver', f.driver),
    ],
  },
  hba: {
    kind: 'hbas',
    title: 'Storage adapters',
    facts: (f) => [
      fact('Type', f.hbaType),
      fact('Model', f.model),
      fact('Driver', f.driver),
      fact('Status', f.status),
      fact('WWN', f.portWwn ?? f.iscsiName),
    ],
  },
  vmkernel: {
    kind: 'vmkernels',
    title: 'VMkernel adapters',
    facts: (f) => [
      fact('Port group', f.portGroup),
      fact('IP', f.ipAddress),
      fact('Netmask', f.subnetMask),
      fact('Gateway', f.gateway),
      fact('MTU', f.mtu, { type: 'number' }),
      fact('Services', list(f.services)),
    ],
  },
  multipathLun: {
    kind: 'multipath-luns',
    title: 'LUNs',
    facts: (f) => [
      fact('Display name', f.displayName),
      fact('Policy', f.policy),
      fact('Paths', f.paths ? f.paths.length : null, { type: 'number' }),
      fact('Capacity', f.capacityBytes, { type: 'number', unit: 'bytes' }),
    ],
  },
  standardSwitch: {
    kind: 'standard-switches',
    title: 'Standard switches',
    facts: (f) => [
      fact('Ports', f.numPorts, { type: 'number' }),
      fact('MTU', f.mtu, { type: 'number' }),
      fact('Uplinks', list(f.uplinks)),
      fact('Teaming', f.teamingPolicy),
    ],
  },
  portGroup: {
    kind: 'port-groups',
    title: 'Port groups',
    facts: (f) => [fact('Switch', f.switchName), fact('VLAN', f.vlanId, { type: 'number' })],
  },
};

async function group<T extends DeviceType>(
  db: Kysely<Database>,
  type: T,
  endpointId: number,
  hostId: string,
): Promise<HostDeviceGroup | null> {
  const rows = (await db
    .selectFrom(tableOf(type))
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .where('host_id', '=', hostId)
    .where('deleted_at', 'is', null)
    .orderBy('name')
    .execute()) as Record<string, unknown>[];
  if (rows.length === 0) return null;
  const spec = GROUPS[type];
  return {
    kind: spec.kind,
    title: spec.title,
    rows: rows.map((r): HostDeviceRow => ({
      id: String(r['native_id']),
      name: String(r['name']),
      facts: spec.facts(decodeRow(type, r)),
    })),
  };
}

/** The host's devices, by kind, each group in name order; kinds the host has none of left out. */
export async function hostDeviceGroups(
  db: Kysely<Database>,
  endpointId: number,
  hostId: string,
): Promise<HostDeviceGroup[]> {
  const types: DeviceType[] = [
    'hostNic',
    'hba',
    'vmkernel',
    'standardSwitch',
    'portGroup',
    'multipathLun',
  ];
  const groups = await Promise.all(types.map((t) => group(db, t, endpointId, hostId)));
  return groups.filter((g): g is HostDeviceGroup => g !== null);
}
