/**
 * What a host's configuration says beyond its summary: the facts RVTools' vHost sheet shows
 * (BIOS, hyperthreading, power policy, DNS, time zone, EVC, capabilities) and the host's own
 * devices as entities of their own: physical NICs, HBAs, VMkernel adapters, multipath LUNs,
 * standard switches and their port groups. Read from the same HostSystem retrieval as the host
 * (the paths in {@link HOST_CONFIG_PATHS}), so they cost no extra round trip.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { CollectedEntity, LunPath, TypedFields } from '../../../shared/entities.js';
import { arr, bool, num, obj, path, str } from './codec.js';
import type { Keep, VimObject, VimValue } from './codec.js';
import type { InventoryCache, RawObject } from './mapper.js';

/** HostSystem paths read for this file (all exist from API 5.0, as every other path we read). */
export const HOST_CONFIG_PATHS: readonly string[] = [
  'configStatus',
  'customValue',
  'summary.currentEVCModeKey',
  'summary.maxEVCModeKey',
  'hardware.systemInfo.uuid',
  'hardware.biosInfo',
  'hardware.cpuPowerManagementInfo',
  'capability.vmotionSupported',
  'capability.storageVMotionSupported',
  'capability.ftSupported',
  'config.hyperThread',
  'config.powerSystemInfo.currentPolicy',
  'config.dateTimeInfo.timeZone',
  'config.network.dnsConfig',
  'config.network.ipRouteConfig',
  'config.network.pnic',
  'config.network.vnic',
  'config.network.vswitch',
  'config.network.portgroup',
  'config.network.proxySwitch',
  'config.virtualNicManagerInfo.netConfig',
  'config.storageDevice.hostBusAdapter',
  'config.storageDevice.scsiLun',
  'config.storageDevice.multipathInfo.lun',
];

const keep = (members: readonly string[], nested: Readonly<Record<string, Keep>> = {}): Keep =>
  new Map(members.map((m) => [m, nested[m] ?? null]));

/** The members of the bulkiest host arrays that this file reads (see mapper.ts PRUNED). */
export const HOST_PRUNED: readonly (readonly [string, Keep])[] = [
  [
    'config.storageDevice.scsiLun',
    keep([
      'key',
      'uuid',
      'canonicalName',
      'displayName',
      'vendor',
      'model',
      'revision',
      'scsiLevel',
      'queueDepth',
      'vStorageSupport',
      'operationalState',
      'serialNumber',
      'capacity',
    ]),
  ],
  [
    'config.storageDevice.multipathInfo.lun',
    keep(['key', 'id', 'lun', 'path', 'policy'], {
      path: keep(['name', 'pathState', 'state', 'adapter']),
      policy: keep(['policy']),
    }),
  ],
  [
    'config.network.pnic',
    keep(['key', 'device', 'pci', 'driver', 'linkSpeed', 'mac', 'wakeOnLanSupported']),
  ],
  [
    'config.network.portgroup',
    keep(['key', 'spec', 'computedPolicy'], {
      spec: keep(['name', 'vlanId', 'vswitchName']),
    }),
  ],
];

const list = (v: VimValue | undefined): VimObject[] =>
  arr(v)
    .map((x) => obj(x))
    .filter((x): x is VimObject => x !== undefined);

const strings = (v: VimValue | undefined): string[] =>
  arr(v)
    .map((x) => str(x))
    .filter((x): x is string => x !== null && x !== '');

/**
 * A `device` member: the decoder reads every `device` element as a list (a VM's devices), so a
 * host device's name arrives as a one-element list.
 */
const deviceName = (v: VimValue | undefined): string | null =>
  str(Array.isArray(v) ? v[0] : v) || null;

/** An xsd:long world wide name (signed 64-bit, decimal) as 16 hex digits, `20:00:…` grouped. */
export function wwn(v: VimValue | undefined): string | null {
  const text = str(v);
  if (text === null || !/^-?\d+$/.test(text)) return null;
  const n = BigInt.asUintN(64, BigInt(text));
  const hex = n.toString(16).padStart(16, '0');
  return hex.match(/../g)!.join(':');
}

/** The license key as RVTools shows it: every group but the last masked. */
export function maskLicenseKey(key: string): string {
  const groups = key.split('-');
  if (groups.length < 2) return key.replace(/.(?=.{5})/g, '*');
  return groups.map((g, i) => (i === groups.length - 1 ? g : '*'.repeat(g.length))).join('-');
}

/** The facts of the host's certificate (issuer, subject, validity); nulls when it is no PEM. */
export function certificateFacts(v: VimValue | undefined): {
  issuer: string | null;
  subject: string | null;
  validFrom: string | null;
  validTo: string | null;
} {
  const none = { issuer: null, subject: null, validFrom: null, validTo: null };
  let pem: string;
  if (Array.isArray(v)) {
    pem = Buffer.from(v.map((b) => (num(b) ?? 0) & 0xff)).toString('latin1');
  } else {
    const text = str(v);
    if (text === null) return none;
    pem = text.includes('-----BEGIN') ? text : Buffer.from(text, 'base64').toString('latin1');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return none;
  try {
    const cert = new X509Certificate(pem);
    const iso = (s: string): string | null => {
      const at = Date.parse(s);
      return Number.isNaN(at) ? null : new Date(at).toISOString();
    };
    return {
      issuer: cert.issuer.replace(/\n/g, ', '),
      subject: cert.subject.replace(/\n/g, ', '),
      validFrom: iso(cert.validFrom),
      validTo: iso(cert.validTo),
    };
  } catch {
    return none; // a malformed certificate is reported as unknown, not as a failed sync
  }
}

function identifying(o: RawObject, key: string): string | null {
  const values: string[] = [];
  for (const info of arr(path(o.props.get('summary.hardware'), 'otherIdentifyingInfo'))) {
    if (str(path(info, 'identifierType.key')) !== key) continue;
    const v = str(path(info, 'identifierValue'))?.trim();
    if (v && !values.includes(v)) values.push(v);
  }
  return values.length > 0 ? values.join(', ') : null;
}

/** Custom attribute values by name (`customValue`, named through CustomFieldsManager). */
export function customAttributes(
  cache: InventoryCache,
  v: VimValue | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cv of arr(v)) {
    const key = str(path(cv, 'key'));
    const raw = path(cv, 'value');
    const value = str(Array.isArray(raw) ? raw[0] : raw);
    if (key !== null && value !== null) out[cache.customFieldNames.get(key) ?? key] = value;
  }
  return out;
}

/** The host's configuration facts, merged into its entity's fields by the mapper. */
export function hostConfigFields(cache: InventoryCache, o: RawObject): TypedFields<'host'> {
  const p = o.props;
  const bios = p.get('hardware.biosInfo');
  const dns = p.get('config.network.dnsConfig');
  const tz = p.get('config.dateTimeInfo.timeZone');
  const ht = p.get('config.hyperThread');
  const cert = certificateFacts(p.get('config.certificate'));
  const hasDns = dns !== undefined;
  return {
    configStatus: str(p.get('configStatus')),
    htAvailable: bool(path(ht, 'available')),
    htActive: bool(path(ht, 'active')),
    vmotionSupported: bool(p.get('capability.vmotionSupported')),
    storageVmotionSupported: bool(p.get('capability.storageVMotionSupported')),
    ftSupported: bool(p.get('capability.ftSupported')),
    currentEvc: str(p.get('summary.currentEVCModeKey')),
    maxEvc: str(p.get('summary.maxEVCModeKey')),
    cpuPowerPolicy: str(path(p.get('hardware.cpuPowerManagementInfo'), 'currentPolicy')),
    cpuPowerSupport: str(path(p.get('hardware.cpuPowerManagementInfo'), 'hardwareSupport')),
    powerPolicy: str(path(p.get('config.powerSystemInfo.currentPolicy'), 'shortName')),
    dnsServers: hasDns ? strings(path(dns, 'address')) : null,
    dhcp: bool(path(dns, 'dhcp')),
    domain: str(path(dns, 'domainName')) || null,
    searchDomains: hasDns ? strings(path(dns, 'searchDomain')) : null,
    timeZone: str(path(tz, 'key')),
    timeZoneName: str(path(tz, 'name')),
    gmtOffsetSeconds: num(path(tz, 'gmtOffset')),
    serviceTag: identifying(o, 'ServiceTag'),
    oemString: identifying(o, 'OemSpecificString'),
    biosVendor: str(path(bios, 'vendor')),
    biosVersion: str(path(bios, 'biosVersion')),
    biosReleaseDate: str(path(bios, 'releaseDate')),
    certificateIssuer: cert.issuer,
    certificateSubject: cert.subject,
    certificateStartsAt: cert.validFrom,
    hardwareUuid: str(p.get('hardware.systemInfo.uuid')),
    customAttributes: customAttributes(cache, p.get('customValue')),
  };
}

/** A host's config is readable (connected): its network config is there. */
function configured(o: RawObject): boolean {
  return o.props.has('config.network.pnic') || o.props.has('config.network.vswitch');
}

/** The network policy columns shared by standard switches and port groups. */
function policyFields(policy: VimValue | undefined): {
  allowPromiscuous: boolean | null;
  macChanges: boolean | null;
  forgedTransmits: boolean | null;
  shaping: boolean | null;
  shapingAvgBps: number | null;
  shapingPeakBps: number | null;
  shapingBurstBytes: number | null;
  teamingPolicy: string | null;
  reversePolicy: boolean | null;
  notifySwitches: boolean | null;
  rollingOrder: boolean | null;
  offload: boolean | null;
  tso: boolean | null;
  zeroCopyXmit: boolean | null;
} {
  const sec = path(policy, 'security');
  const team = path(policy, 'nicTeaming');
  const off = path(policy, 'offloadPolicy');
  const shape = path(policy, 'shapingPolicy');
  return {
    allowPromiscuous: bool(path(sec, 'allowPromiscuous')),
    macChanges: bool(path(sec, 'macChanges')),
    forgedTransmits: bool(path(sec, 'forgedTransmits')),
    shaping: bool(path(shape, 'enabled')),
    shapingAvgBps: num(path(shape, 'averageBandwidth')),
    shapingPeakBps: num(path(shape, 'peakBandwidth')),
    shapingBurstBytes: num(path(shape, 'burstSize')),
    teamingPolicy: str(path(team, 'policy')),
    reversePolicy: bool(path(team, 'reversePolicy')),
    notifySwitches: bool(path(team, 'notifySwitches')),
    rollingOrder: bool(path(team, 'rollingOrder')),
    offload: bool(path(off, 'csumOffload')),
    tso: bool(path(off, 'tcpSegmentation')),
    zeroCopyXmit: bool(path(off, 'zeroCopyXmit')),
  };
}

/** Datastore id by the canonical name of each disk its VMFS extents are on. */
export function datastoresByDisk(cache: InventoryCache): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of cache.objects.values()) {
    if (d.ref.type !== 'Datastore') continue;
    for (const e of arr(path(d.props.get('info'), 'vmfs.extent'))) {
      const disk = str(path(e, 'diskName'));
      if (disk) out.set(disk, d.ref.value);
    }
  }
  return out;
}

/**
 * The host's devices as entities: physical NICs, HBAs, VMkernel adapters, multipath LUNs,
 * standard switches and port groups. None for a host whose configuration is unreadable
 * (disconnected): its devices are unknown then, and the ones stored before stay until it is back.
 */
export function hostDevices(
  cache: InventoryCache,
  o: RawObject,
  disks: () => Map<string, string>,
): CollectedEntity[] {
  if (!configured(o)) return [];
  const hostId = o.ref.value;
  const p = o.props;
  const out: CollectedEntity[] = [];

  // Which switch each physical NIC is an uplink of, and its uplink port on a distributed switch.
  const switchOf = new Map<string, string>();
  const uplinkOf = new Map<string, string>();
  const vswitches = list(p.get('config.network.vswitch'));
  for (const vs of vswitches) {
    const name = str(vs['name']);
    for (const k of strings(vs['pnic'])) if (name) switchOf.set(k, name);
  }
  for (const ps of list(p.get('config.network.proxySwitch'))) {
    const name = str(ps['dvsName']);
    for (const k of strings(ps['pnic'])) if (name) switchOf.set(k, name);
    const portNames = new Map<string, string>();
    for (const up of list(ps['uplinkPort'])) {
      const k = str(up['key']);
      const v = str(up['value']);
      if (k && v) portNames.set(k, v);
    }
    for (const spec of list(path(ps['spec'], 'backing.pnicSpec'))) {
      const dev = str(spec['pnicDevice']);
      const port = str(spec['uplinkPortKey']);
      if (dev && port) uplinkOf.set(dev, portNames.get(port) ?? port);
    }
  }

  for (const n of list(p.get('config.network.pnic'))) {
    const device = deviceName(n['device']);
    if (!device) continue;
    const key = str(n['key']) ?? '';
    const duplex = bool(path(n, 'linkSpeed.duplex'));
    out.push({
      type: 'hostNic',
      id: `${hostId}/pnic-${device}`,
      name: device,
      fields: {
        hostId,
        device,
        driver: str(n['driver']),
        speedMb: num(path(n, 'linkSpeed.speedMb')),
        fullDuplex: duplex,
        macAddress: str(n['mac']),
        switchName: switchOf.get(key) ?? null,
        uplinkPort: uplinkOf.get(device) ?? null,
        pci: str(n['pci']),
        wakeOnLan: bool(n['wakeOnLanSupported']),
      },
    });
  }

  for (const h of list(p.get('config.storageDevice.hostBusAdapter'))) {
    const device = deviceName(h['device']);
    if (!device) continue;
    const t = h._type ?? 'HostHostBusAdapter';
    out.push({
      type: 'hba',
      id: `${hostId}/hba-${device}`,
      name: device,
      fields: {
        hostId,
        device,
        hbaType: t.replace(/^Host/, '').replace(/Hba$/, '') || t,
        status: str(h['status']),
        bus: num(h['bus']),
        pci: str(h['pci']),
        driver: str(h['driver']),
        model: str(h['model']),
        portWwn: wwn(h['portWorldWideName']),
        nodeWwn: wwn(h['nodeWorldWideName']),
        iscsiName: str(h['iScsiName']),
      },
    });
  }

  // VMkernel services: each netConfig selects adapters by a key ending in the adapter's key.
  const services = new Map<string, string[]>();
  for (const nc of list(p.get('config.virtualNicManagerInfo.netConfig'))) {
    const nicType = str(nc['nicType']);
    if (!nicType) continue;
    for (const sel of strings(nc['selectedVnic'])) {
      const at = sel.lastIndexOf('key-vim.host.VirtualNic-');
      const device = at >= 0 ? sel.slice(at + 'key-vim.host.VirtualNic-'.length) : null;
      if (!device) continue;
      const s = services.get(device) ?? [];
      if (!s.includes(nicType)) s.push(nicType);
      services.set(device, s);
    }
  }
  const route = p.get('config.network.ipRouteConfig');
  for (const v of list(p.get('config.network.vnic'))) {
    const device = deviceName(v['device']);
    if (!device) continue;
    const spec = v['spec'];
    const ip = path(spec, 'ip');
    const pgKey = str(path(spec, 'distributedVirtualPort.portgroupKey'));
    const dvpg = pgKey ? cache.get(pgKey) : undefined;
    const ownRoute = path(spec, 'ipRouteSpec.ipRouteConfig');
    out.push({
      type: 'vmkernel',
      id: `${hostId}/vmk-${device}`,
      name: device,
      fields: {
        hostId,
        device,
        portGroup: (str(v['portgroup']) || null) ?? (dvpg ? cache.name(dvpg) : null),
        networkId: pgKey,
        macAddress: str(path(spec, 'mac')),
        dhcp: bool(path(ip, 'dhcp')),
        ipAddress: str(path(ip, 'ipAddress')) || null,
        subnetMask: str(path(ip, 'subnetMask')) || null,
        ipv6Addresses: list(path(ip, 'ipV6Config.ipV6Address'))
          .map((a) => str(a['ipAddress']))
          .filter((a): a is string => !!a),
        gateway:
          str(path(ownRoute, 'defaultGateway')) || str(path(route, 'defaultGateway')) || null,
        ipv6Gateway:
          str(path(ownRoute, 'ipV6DefaultGateway')) ||
          str(path(route, 'ipV6DefaultGateway')) ||
          null,
        mtu: num(path(spec, 'mtu')),
        services: (services.get(device) ?? []).sort(),
      },
    });
  }

  const luns = new Map<string, VimObject>();
  for (const l of list(p.get('config.storageDevice.scsiLun'))) {
    const k = str(l['key']);
    if (k) luns.set(k, l);
  }
  const multipath = list(p.get('config.storageDevice.multipathInfo.lun'));
  const byDisk = multipath.length > 0 ? disks() : new Map<string, string>();
  for (const m of multipath) {
    const id = str(m['id']) ?? str(m['key']);
    if (!id) continue;
    const lun = luns.get(str(m['lun']) ?? '');
    const canonical = str(lun?.['canonicalName']);
    const block = num(path(lun?.['capacity'], 'block'));
    const blockSize = num(path(lun?.['capacity'], 'blockSize'));
    const paths: LunPath[] = list(m['path']).map((x) => ({
      name: str(x['name']),
      state: str(x['pathState']) ?? str(x['state']),
    }));
    out.push({
      type: 'multipathLun',
      id: `${hostId}/lun-${id}`,
      name: canonical ?? id,
      fields: {
        hostId,
        datastoreId: canonical ? (byDisk.get(canonical) ?? null) : null,
        canonicalName: canonical,
        displayName: str(lun?.['displayName']),
        policy: str(path(m['policy'], 'policy')),
        operationalState: strings(lun?.['operationalState']).join(', ') || null,
        paths,
        vStorageSupport: str(lun?.['vStorageSupport']),
        queueDepth: num(lun?.['queueDepth']),
        vendor: str(lun?.['vendor'])?.trim() ?? null,
        model: str(lun?.['model'])?.trim() ?? null,
        revision: str(lun?.['revision'])?.trim() ?? null,
        scsiLevel: num(lun?.['scsiLevel']),
        serialNumber: str(lun?.['serialNumber'])?.trim() || null,
        uuid: str(lun?.['uuid']),
        capacityBytes: block !== null && blockSize !== null ? block * blockSize : null,
      },
    });
  }

  for (const vs of vswitches) {
    const name = str(vs['name']);
    if (!name) continue;
    const spec = vs['spec'];
    const pnicDevices = strings(vs['pnic']).map((k) =>
      k.replace(/^key-vim\.host\.PhysicalNic-/, ''),
    );
    out.push({
      type: 'standardSwitch',
      id: `${hostId}/vswitch-${name}`,
      name,
      fields: {
        hostId,
        switchType: 'standard',
        numPorts: num(path(spec, 'numPorts')) ?? num(vs['numPorts']),
        freePorts: num(vs['numPortsAvailable']),
        mtu: num(vs['mtu']) ?? num(path(spec, 'mtu')),
        uplinks: pnicDevices,
        ...policyFields(path(spec, 'policy')),
      },
    });
  }

  for (const pg of list(p.get('config.network.portgroup'))) {
    const name = str(path(pg['spec'], 'name'));
    if (!name) continue;
    out.push({
      type: 'portGroup',
      id: `${hostId}/pg-${name}`,
      name,
      fields: {
        hostId,
        switchName: str(path(pg['spec'], 'vswitchName')),
        vlanId: num(path(pg['spec'], 'vlanId')),
        ...policyFields(pg['computedPolicy']),
      },
    });
  }
  return out;
}

/** One license of the endpoint (`LicenseManager.licenses`); the key is kept only masked. */
export function mapLicense(l: VimValue): CollectedEntity | null {
  const key = str(path(l, 'licenseKey'));
  if (!key) return null;
  const props = list(path(l, 'properties'));
  const prop = (k: string): VimValue | undefined =>
    props.find((x) => str(x['key']) === k)?.['value'];
  const features = props
    .filter((x) => str(x['key']) === 'feature')
    .map((x) => str(path(x['value'], 'value')) ?? str(path(x['value'], 'key')) ?? str(x['value']))
    .filter((x): x is string => !!x);
  const labels = list(path(l, 'labels'))
    .map((x) => {
      const k = str(x['key']);
      const v = str(x['value']);
      return k && v ? `${k}: ${v}` : (v ?? k);
    })
    .filter((x): x is string => !!x);
  // The id names the key without holding it: a digest, so two licenses never share a row.
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return {
    type: 'license',
    id: `license-${digest}`,
    name: str(path(l, 'name')) ?? maskLicenseKey(key),
    fields: {
      maskedKey: maskLicenseKey(key),
      editionKey: str(path(l, 'editionKey')),
      costUnit: str(path(l, 'costUnit')),
      total: num(path(l, 'total')),
      used: num(path(l, 'used')),
      expiresAt: str(prop('expirationDate')),
      features,
      labels,
    },
  };
}
