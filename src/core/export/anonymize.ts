import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { EntityFields, EntityType, FieldValue } from '../../shared/entities.js';
import { fieldSpecsOf } from '../../shared/entities.js';
import type { EntityRecord, SourceEndpoint } from './records.js';
import type { InventorySource } from './source.js';
import type { Database } from '../store/schema.js';

/*
 * Anonymized exports for vendors and consultants, deny by default: every string of every field
 * becomes a pseudonym unless `ANONYMIZED` declares the field safe (states, versions, UUIDs...) or
 * gives it a shape-keeping pseudonym (IPs stay IPs, DNS names end in .invalid, paths keep their
 * separators). A new field is pseudonymised until someone declares it safe, never leaked until
 * someone remembers it. A pseudonym is an HMAC of the original under a key kept in this store, so
 * the same VM has the same pseudonym in every export from this installation (exports can be
 * compared over time) while nobody without the key can reverse or confirm a guess. Ids are
 * pseudonyms too where they carry names (Hyper-V's host names, `vmswitch:<name>`, SMB paths);
 * ids that name nothing (vSphere morefs, GUIDs) stay, so rows still join across sheets.
 */

const SETTING = 'export.pseudonymKey';

/** The installation's pseudonym key, created on first use (by whichever process is first). */
export async function pseudonymKey(db: Kysely<Database>): Promise<Buffer> {
  const read = (): Promise<{ value: string } | undefined> =>
    db.selectFrom('setting').select('value').where('key', '=', SETTING).executeTakeFirst();
  const row = await read();
  if (row) return Buffer.from(row.value, 'base64');
  await db
    .insertInto('setting')
    .values({ key: SETTING, value: randomBytes(32).toString('base64') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return Buffer.from((await read())!.value, 'base64');
}

const PREFIX: Record<EntityType, string> = {
  datacenter: 'dc',
  folder: 'folder',
  cluster: 'cluster',
  host: 'host',
  resourcePool: 'pool',
  datastore: 'ds',
  network: 'net',
  vm: 'vm',
  vmDisk: 'disk',
  vmNic: 'nic',
  snapshot: 'snap',
  // The same pseudonym as the partition's path in `vm.guestDisks`.
  guestPartition: 'path',
  hostNic: 'pnic',
  hba: 'hba',
  vmkernel: 'vmk',
  multipathLun: 'lun',
  license: 'license',
  standardSwitch: 'switch',
  portGroup: 'pg',
  // The same pseudonym as the port groups' `switchName`.
  dvSwitch: 'switch',
  datastoreCluster: 'dscluster',
  datastoreFile: 'file',
};

/** vSphere's hidden folders keep their names: they say nothing about the estate. */
const SYSTEM_FOLDERS = new Set(['vm', 'host', 'datastore', 'network', '']);

/**
 * How a field is anonymized, where it differs from the default (a pseudonym for every string it
 * holds; reference fields get `id` / `ids`):
 * - `safe`: kept as is: it names nothing (a state, a count, a version, a UUID, a MAC);
 * - `ip` / `dns` / `address`: an IP, a DNS name, or either (NTP servers), as one of the same shape;
 * - `path`: an inventory path, segment by segment; `file`: a datastore or file-system path;
 * - `url`: a datastore URL; `networkName`: the pseudonym of the NIC's network;
 * - `attributes`: custom attribute names kept, values pseudonymised;
 * - `guestDisks`: partition paths pseudonymised, sizes kept;
 * - `devices`: CD and USB device lists: labels and kinds kept, file names as `file`;
 * - a plain string: a pseudonym with that prefix (`note-…`).
 */
type Treatment =
  | 'safe'
  | 'ip'
  | 'dns'
  | 'address'
  | 'path'
  | 'file'
  | 'url'
  | 'networkName'
  | 'attributes'
  | 'guestDisks'
  | 'devices'
  | 'id'
  | 'ids'
  | { readonly prefix: string };

/** The one declaration of what anonymization keeps and how it shapes pseudonyms, per field. */
const ANONYMIZED: { readonly [T in EntityType]: Partial<Record<EntityFields<T>, Treatment>> } = {
  datacenter: {},
  folder: { folderType: 'safe', path: 'path' },
  cluster: {
    drsBehavior: 'safe',
    overallStatus: 'safe',
    configStatus: 'safe',
    haHostMonitoring: 'safe',
    haHeartbeatPolicy: 'safe',
    haIsolationResponse: 'safe',
    haRestartPriority: 'safe',
    haVmMonitoring: 'safe',
    dpmBehavior: 'safe',
  },
  host: {
    connectionState: 'safe',
    powerState: 'safe',
    vendor: 'safe',
    model: 'safe',
    cpuModel: 'safe',
    productName: 'safe',
    version: 'safe',
    build: 'safe',
    overallStatus: 'safe',
    serialNumber: { prefix: 'serial' },
    tags: { prefix: 'tag' },
    ntpServers: 'address',
    memoryTieringType: 'safe',
    configStatus: 'safe',
    currentEvc: 'safe',
    maxEvc: 'safe',
    cpuPowerPolicy: 'safe',
    cpuPowerSupport: 'safe',
    powerPolicy: 'safe',
    dnsServers: 'ip',
    domain: 'dns',
    searchDomains: 'dns',
    timeZone: 'safe',
    timeZoneName: 'safe',
    serviceTag: { prefix: 'serial' },
    biosVendor: 'safe',
    biosVersion: 'safe',
    certificateIssuer: { prefix: 'cert' },
    certificateSubject: { prefix: 'cert' },
    hardwareUuid: 'safe',
    customAttributes: 'attributes',
  },
  resourcePool: { overallStatus: 'safe', cpuSharesLevel: 'safe', memorySharesLevel: 'safe' },
  datastore: {
    type: 'safe',
    maintenanceMode: 'safe',
    url: 'url',
    tags: { prefix: 'tag' },
    configStatus: 'safe',
    vmfsVersion: 'safe',
    nasRemoteHost: 'address',
    nasRemotePath: 'file',
  },
  network: {
    networkType: 'safe',
    vlanId: 'safe',
    switchId: 'id',
    switchName: { prefix: 'switch' },
    tags: { prefix: 'tag' },
    portgroupType: 'safe',
    teamingPolicy: 'safe',
    activeUplinks: 'safe',
    standbyUplinks: 'safe',
    checkSpeed: 'safe',
  },
  vm: {
    folderPath: 'path',
    powerState: 'safe',
    connectionState: 'safe',
    guestOs: 'safe',
    guestOsRunning: 'safe',
    guestHostname: 'dns',
    ipAddress: 'ip',
    ipAddresses: 'ip',
    toolsStatus: 'safe',
    toolsRunningStatus: 'safe',
    toolsVersion: 'safe',
    hardwareVersion: 'safe',
    firmware: 'safe',
    uuid: 'safe',
    instanceUuid: 'safe',
    vmPathName: 'file',
    annotation: { prefix: 'note' },
    overallStatus: 'safe',
    customAttributes: 'attributes',
    tags: { prefix: 'tag' },
    guestDisks: 'guestDisks',
    configStatus: 'safe',
    guestState: 'safe',
    heartbeat: 'safe',
    changeVersion: 'safe',
    minRequiredEvcModeKey: 'safe',
    latencySensitivity: 'safe',
    ftState: 'safe',
    ftLatencyStatus: 'safe',
    haRestartPriority: 'safe',
    haIsolationResponse: 'safe',
    haVmMonitoring: 'safe',
    clusterRuleNames: { prefix: 'rule' },
    hwUpgradeStatus: 'safe',
    hwUpgradePolicy: 'safe',
    hwUpgradeTarget: 'safe',
    logDirectory: 'file',
    snapshotDirectory: 'file',
    suspendDirectory: 'file',
    cpuSharesLevel: 'safe',
    memorySharesLevel: 'safe',
    toolsVersionStatus: 'safe',
    toolsUpgradePolicy: 'safe',
    appHeartbeatStatus: 'safe',
    cdDrives: 'devices',
    usbDevices: 'devices',
  },
  vmDisk: {
    label: 'safe',
    diskMode: 'safe',
    fileName: 'file',
    controller: 'safe',
    diskUuid: 'safe',
    controllerLabel: 'safe',
    controllerSharedBus: 'safe',
    rawCompatibilityMode: 'safe',
    rawLunUuid: 'safe',
    sharing: 'safe',
    ioSharesLevel: 'safe',
  },
  vmNic: {
    label: 'safe',
    adapterType: 'safe',
    macAddress: 'safe',
    networkName: 'networkName',
    ipAddresses: 'ip',
  },
  snapshot: { description: { prefix: 'note' }, powerState: 'safe', fileName: 'file' },
  guestPartition: { path: 'guestDisks', filesystemType: 'safe' },
  // Device names (vmnic0, vmhba1, vmk0) are pseudonyms like the entity names they repeat.
  hostNic: {
    driver: 'safe',
    macAddress: 'safe',
    switchName: { prefix: 'switch' },
    uplinkPort: 'safe',
    pci: 'safe',
  },
  hba: {
    hbaType: 'safe',
    status: 'safe',
    pci: 'safe',
    driver: 'safe',
    portWwn: 'safe',
    nodeWwn: 'safe',
  },
  vmkernel: {
    portGroup: { prefix: 'pg' },
    macAddress: 'safe',
    ipAddress: 'ip',
    subnetMask: 'ip',
    ipv6Addresses: 'ip',
    gateway: 'ip',
    ipv6Gateway: 'ip',
    services: 'safe',
  },
  multipathLun: {
    policy: 'safe',
    operationalState: 'safe',
    vStorageSupport: 'safe',
    vendor: 'safe',
    model: 'safe',
    revision: 'safe',
    uuid: 'safe',
  },
  license: { editionKey: 'safe', costUnit: 'safe', features: 'safe' },
  standardSwitch: { switchType: 'safe', teamingPolicy: 'safe' },
  portGroup: { switchName: { prefix: 'switch' }, teamingPolicy: 'safe' },
  dvSwitch: {
    uuid: 'safe',
    productName: 'safe',
    vendor: 'safe',
    version: 'safe',
    discoveryProtocol: 'safe',
    discoveryOperation: 'safe',
  },
  datastoreCluster: {},
  datastoreFile: { folderPath: 'file', path: 'file', fileType: 'safe' },
};

/** The treatment of every field of a type: declared, or the default for its kind. */
function treatments(type: EntityType): ReadonlyMap<string, Treatment> {
  const declared = ANONYMIZED[type] as Partial<Record<string, Treatment>>;
  return new Map(
    fieldSpecsOf(type).map(([field, spec]): [string, Treatment] => [
      field,
      declared[field] ?? (spec.ref ? 'id' : spec.refs ? 'ids' : { prefix: 'text' }),
    ]),
  );
}

const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** A child's suffix on its parent's id (`/disk-2000`, `/nic-scsi0-1`). */
const CHILD = '(?:/[a-z]+-[0-9a-z-]+)*';
/**
 * Ids that name nothing, by endpoint kind: vSphere morefs (`vm-12`, `group-v3`, `domain-c7`,
 * ESXi's numeric VM ids) and GUIDs. Everything else (Hyper-V host names, `vmswitch:<name>`, SMB
 * paths, ESXi's `HaNetwork-<name>`) is a pseudonym.
 */
const NAMELESS_ID: Readonly<Record<string, RegExp>> = {
  vsphere: new RegExp(
    `^(?:(?:vm|host|datastore|network|dvportgroup|dvs|group|domain|resgroup|datacenter|snapshot)-[a-z]?\\d+|\\d+|${GUID})${CHILD}$`,
    'i',
  ),
  hyperv: new RegExp(`^${GUID}${CHILD}$`, 'i'),
};

export interface Pseudonymizer {
  name(kind: string, value: string): string;
  ip(value: string): string;
  dns(value: string): string;
  /**
   * An entity id from an endpoint of `kind`: kept when it names nothing, else a pseudonym (the
   * same wherever it appears, so references still join).
   */
  id(value: string, kind: string): string;
}

export function createPseudonymizer(key: Buffer): Pseudonymizer {
  const cache = new Map<string, string>();
  const mac = (kind: string, value: string): Buffer =>
    createHmac('sha256', key).update(`${kind}\u0000${value}`).digest();
  const name = (kind: string, value: string): string => {
    const k = `${kind}\u0000${value}`;
    let out = cache.get(k);
    if (out === undefined) {
      out = `${kind}-${mac(kind, value).toString('hex').slice(0, 12)}`;
      cache.set(k, out);
    }
    return out;
  };
  return {
    name,
    ip(value) {
      const h = mac('ip', value);
      if (value.includes(':')) {
        const groups = [0, 2, 4, 6, 8, 10].map((i) => h.readUInt16BE(i).toString(16));
        return `fd00::${groups.join(':')}`;
      }
      return `10.${h[0]!}.${h[1]!}.${h[2]!}`;
    },
    dns(value) {
      return `${name('dns', value.toLowerCase())}.invalid`;
    },
    id(value, kind) {
      const nameless = NAMELESS_ID[kind === 'hyperv' ? 'hyperv' : 'vsphere']!;
      return nameless.test(value) ? value : name('id', value);
    },
  };
}

function anonymizePath(p: Pseudonymizer, path: string): string {
  return path
    .split('/')
    .map((seg) => (SYSTEM_FOLDERS.has(seg) ? seg : p.name('folder', seg)))
    .join('/');
}

/** `[datastore] folder/file.ext` → `[ds-…] file-…/file-….ext`; other paths → `file-…/file-….ext`. */
function anonymizeFile(p: Pseudonymizer, path: string): string {
  const m = /^\[([^\]]*)\]\s*(.*)$/.exec(path);
  const rest = m ? m[2]! : path;
  const ext = /\.[A-Za-z0-9]{1,8}$/.exec(rest)?.[0] ?? '';
  const file = p.name('file', rest);
  const body = `${file}/${file}${ext}`;
  return m ? `[${p.name('ds', m[1]!)}] ${body}` : body;
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Applies `f` to every string in a value (a string, a list, an object's values). */
function eachString(v: FieldValue | unknown, f: (s: string) => string): FieldValue {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => eachString(x, f));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, eachString(x, f)]),
    );
  }
  return (v ?? null) as FieldValue;
}

function anonymizeValue(
  p: Pseudonymizer,
  treatment: Treatment,
  v: FieldValue,
  endpointKind: string,
  networkOf: () => string | null,
): FieldValue {
  if (v === null || v === '' || treatment === 'safe') return v;
  switch (treatment) {
    case 'ip':
      return eachString(v, (s) => p.ip(s));
    case 'dns':
      return eachString(v, (s) => p.dns(s));
    case 'address':
      return eachString(v, (s) => (IPV4.test(s) || s.includes(':') ? p.ip(s) : p.dns(s)));
    case 'path':
      return eachString(v, (s) => anonymizePath(p, s));
    case 'file':
      return eachString(v, (s) => anonymizeFile(p, s));
    case 'url':
      return eachString(v, (s) => `ds:///${p.name('url', s)}/`);
    case 'id':
    case 'ids':
      return eachString(v, (s) => p.id(s, endpointKind));
    case 'networkName':
      return eachString(v, (s) => networkOf() ?? p.name('net', s));
    case 'attributes':
      return eachString(v, (s) => p.name('attr', s));
    case 'guestDisks':
      return eachString(v, (s) => p.name('path', s));
    case 'devices':
      return Array.isArray(v)
        ? v.map((d: unknown) => {
            const o = d !== null && typeof d === 'object' ? (d as Record<string, unknown>) : {};
            const file = o['fileName'];
            return typeof file === 'string' ? { ...o, fileName: anonymizeFile(p, file) } : o;
          })
        : null;
    default:
      return eachString(v, (s) => p.name(treatment.prefix, s));
  }
}

/** The same inventory with pseudonyms in place of everything that names the estate. */
export function anonymizeSource(source: InventorySource, key: Buffer): InventorySource {
  const p = createPseudonymizer(key);
  const eps = new Map<SourceEndpoint, SourceEndpoint>();
  for (const e of source.endpoints) {
    const host = p.dns(e.host);
    // The server's product facts (version, build, API version, instance UUID) name nothing.
    eps.set(e, {
      key: host,
      name: p.name('endpoint', e.name),
      kind: e.kind,
      host,
      port: e.port,
      about: e.about ?? null,
    });
  }
  const entityName = (type: EntityType, name: string): string =>
    type === 'vmDisk' || type === 'vmNic' ? name : p.name(PREFIX[type], name);
  // Names of networks by id, to keep NIC network names consistent with the networks.
  const networkNames = new Map<string, string>();
  for (const page of source.pages('network')) {
    for (const n of page)
      networkNames.set(`${n.ep.key}\u0000${n.id}`, entityName('network', n.name));
  }
  const byType = new Map<EntityType, ReadonlyMap<string, Treatment>>();
  const map = (r: EntityRecord): EntityRecord => {
    let how = byType.get(r.type);
    if (!how) byType.set(r.type, (how = treatments(r.type)));
    const networkOf = (): string | null => {
      const id = r.fields['networkId'];
      return typeof id === 'string' ? (networkNames.get(`${r.ep.key}\u0000${id}`) ?? null) : null;
    };
    const fields: Record<string, FieldValue> = {};
    for (const [field, treatment] of how) {
      if (field in r.fields)
        fields[field] = anonymizeValue(p, treatment, r.fields[field] ?? null, r.ep.kind, networkOf);
    }
    return {
      type: r.type,
      ep: eps.get(r.ep) ?? r.ep,
      id: p.id(r.id, r.ep.kind),
      name: entityName(r.type, r.name),
      fields,
    };
  };
  return {
    ...source,
    label: source.label === null ? null : p.name('label', source.label),
    endpoints: source.endpoints.map((e) => eps.get(e)!),
    fieldsOf: (t) => source.fieldsOf(t),
    count: (t) => source.count(t),
    // Alert messages name VMs and hosts in free text: an anonymized export lists none.
    alerts: () => [],
    *pages(type) {
      for (const page of source.pages(type)) yield page.map(map);
    },
    close: () => source.close(),
  };
}
