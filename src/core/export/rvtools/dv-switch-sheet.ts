import type { EntityType, FieldValue } from '../../../shared/entities.js';
import type { EntityRecord, SourceEndpoint } from '../records.js';
import type { Lookups } from '../source.js';
import type { CellKind, CellValue } from '../xlsx-writer.js';
import type { RvColumn } from './table.js';
import { bool, num, str } from './table.js';
import type { VmAggregates } from './host-columns.js';
import { bound, col, sdk, texts } from './host-columns.js';

/*
 * RVTools' dvSwitch sheet: a row per distributed virtual switch, from the switch entities. A store
 * synced before switches were collected (or an import without them) still lists the switches its
 * distributed port groups name, with only what the port groups tell.
 */

/** A dvSwitch row: the switch's fields, or null for a switch known only from its port groups. */
export interface DvSwitchRow {
  readonly ep: SourceEndpoint;
  readonly id: string;
  readonly name: string;
  readonly dc: string | null;
  /** Member host names, sorted. */
  readonly hosts: readonly string[];
  readonly ports: number | null;
  readonly fields: Readonly<Record<string, FieldValue | undefined>> | null;
}

export function dvSwitchRows(
  lookups: Lookups,
  all: (t: EntityType) => EntityRecord[],
  dvPortgroups: readonly EntityRecord[],
): DvSwitchRow[] {
  const hostNames = (ep: SourceEndpoint, ids: Iterable<string>): string[] =>
    [...new Set([...ids].map((h) => lookups.name(ep, 'host', h) ?? h))].sort();
  const rows: DvSwitchRow[] = all('dvSwitch').map((r) => ({
    ep: r.ep,
    id: r.id,
    name: r.name,
    dc: lookups.name(r.ep, 'datacenter', r.fields['datacenterId']),
    hosts: hostNames(r.ep, texts(r.fields['hostIds'])),
    ports: num(r.fields['numPorts']),
    fields: r.fields,
  }));
  const withSwitches = new Set(rows.map((r) => r.ep));
  const derived = new Map<string, { ep: SourceEndpoint; id: string; pgs: EntityRecord[] }>();
  for (const pg of dvPortgroups) {
    const id = str(pg.fields['switchId']);
    if (!id || withSwitches.has(pg.ep)) continue;
    const key = `${pg.ep.key}\u0000${id}`;
    const sw = derived.get(key) ?? { ep: pg.ep, id, pgs: [] };
    sw.pgs.push(pg);
    derived.set(key, sw);
  }
  for (const { ep, id, pgs } of derived.values()) {
    const first = pgs[0];
    rows.push({
      ep,
      id,
      name: str(first?.fields['switchName']) ?? id,
      dc: lookups.name(ep, 'datacenter', first?.fields['datacenterId']),
      hosts: hostNames(
        ep,
        pgs.flatMap((pg) => texts(pg.fields['hostIds'])),
      ),
      ports: pgs.reduce((n, pg) => n + (num(pg.fields['numPorts']) ?? 0), 0),
      fields: null,
    });
  }
  return rows;
}

/** The LACP groups' `key` values, joined as RVTools lists several groups. */
function lacp(v: FieldValue | undefined, key: 'name' | 'mode' | 'loadBalance'): string | null {
  if (!Array.isArray(v)) return null;
  const out = v
    .map((g) =>
      g !== null && typeof g === 'object' ? str((g as Record<string, FieldValue>)[key]) : null,
    )
    .filter((x): x is string => x !== null);
  return out.length > 0 ? out.join(', ') : null;
}

export function dvSwitchColumns(agg: VmAggregates): RvColumn<DvSwitchRow>[] {
  /**
   * A column of one switch field (empty on a switch known only from its port groups), bound so
   * the RVTools import reads the field back.
   */
  const of = (
    header: string,
    kind: CellKind,
    source: string,
    name: string,
  ): RvColumn<DvSwitchRow> =>
    bound(
      col(header, kind, source, (s): CellValue => {
        const v = s.fields?.[name];
        return kind === 'bool' ? bool(v) : kind === 'int' ? num(v) : str(v);
      }),
      name,
    );
  const shaping = (dir: 'in' | 'out', label: 'In' | 'Out'): RvColumn<DvSwitchRow>[] => {
    const p = `config.defaultPortConfig.${dir}ShapingPolicy`;
    return [
      of(`${label} Traffic Shaping`, 'bool', `${p}.enabled`, `${dir}Shaping`),
      of(`${label} Avg`, 'int', `${p}.averageBandwidth (bit/s)`, `${dir}ShapingAvgBps`),
      of(`${label} Peak`, 'int', `${p}.peakBandwidth (bit/s)`, `${dir}ShapingPeakBps`),
      of(`${label} Burst`, 'int', `${p}.burstSize (bytes)`, `${dir}ShapingBurstBytes`),
    ];
  };
  const lacpCol = (
    header: string,
    member: string,
    key: 'name' | 'mode' | 'loadBalance',
  ): RvColumn<DvSwitchRow> =>
    col(header, 'text', `config.lacpGroupConfig[].${member} (groups joined)`, (s) =>
      lacp(s.fields?.['lacpGroups'], key),
    );
  return [
    col('Switch', 'text', 'DistributedVirtualSwitch.name', (s) => s.name, 24),
    col('Datacenter', 'text', 'parent Datacenter', (s) => s.dc),
    of('Name', 'text', 'summary.productInfo.name', 'productName'),
    of('Vendor', 'text', 'summary.productInfo.vendor', 'vendor'),
    of('Version', 'text', 'summary.productInfo.version', 'version'),
    of('Description', 'text', 'config.description', 'description'),
    bound(
      col('Created', 'date', 'config.createTime', (s) => str(s.fields?.['createdAt'])),
      'createdAt',
    ),
    col(
      'Host members',
      'text',
      'summary.hostMember (names; older stores: the port groups’ hosts)',
      (s) => s.hosts.join(', ') || null,
      40,
    ),
    of('Max Ports', 'int', 'config.maxPorts', 'maxPorts'),
    bound(
      col(
        '# Ports',
        'int',
        'config.numPorts (older stores: the port groups’ ports)',
        (s) => s.ports,
      ),
      'numPorts',
    ),
    col(
      '# VMs',
      'int',
      'VMs with a NIC on the switch’s port groups (summary.vm, counted from the VMs)',
      (s) => agg.dvSwitchVms(s.ep, s.id) ?? 0,
    ),
    ...shaping('in', 'In'),
    ...shaping('out', 'Out'),
    of('CDP Type', 'text', 'config.linkDiscoveryProtocolConfig.protocol', 'discoveryProtocol'),
    of(
      'CDP Operation',
      'text',
      'config.linkDiscoveryProtocolConfig.operation',
      'discoveryOperation',
    ),
    lacpCol('LACP Name', 'name', 'name'),
    lacpCol('LACP Mode', 'mode', 'mode'),
    lacpCol('LACP Load Balance Alg.', 'loadbalanceAlgorithm', 'loadBalance'),
    of('Max MTU', 'int', 'config.maxMtu', 'maxMtu'),
    of('Contact', 'text', 'config.contact.contact', 'contact'),
    of('Admin Name', 'text', 'config.contact.name', 'adminName'),
    col('Object ID', 'text', 'the DistributedVirtualSwitch moref', (s) => s.id),
    ...sdk((s: DvSwitchRow) => s.ep),
  ];
}
