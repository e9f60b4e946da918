import { createHmac, randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import type { EntityRecord, SourceEndpoint } from './records.js';
import type { InventorySource } from './source.js';

/*
 * Anonymized exports for vendors and consultants: names, IPs, DNS names, annotations, paths,
 * serial numbers, tags and custom attribute values become pseudonyms. A pseudonym is an HMAC of
 * the original under a key kept in this store, so the same VM has the same pseudonym in every
 * export from this installation (exports can be compared over time) while nobody without the
 * key can reverse or confirm a guess. Identifiers that name nothing (morefs, UUIDs, MACs) stay.
 */

const SETTING = 'export.pseudonymKey';

/** The installation's pseudonym key, created on first use. */
export function pseudonymKey(sqlite: BetterSqlite3.Database): Buffer {
  const row = sqlite.prepare('SELECT value FROM setting WHERE key = ?').get(SETTING) as
    { value: string } | undefined;
  if (row) return Buffer.from(row.value, 'base64');
  const key = randomBytes(32);
  sqlite
    .prepare('INSERT OR IGNORE INTO setting (key, value) VALUES (?, ?)')
    .run(SETTING, key.toString('base64'));
  const again = sqlite.prepare('SELECT value FROM setting WHERE key = ?').get(SETTING) as {
    value: string;
  };
  return Buffer.from(again.value, 'base64');
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
};

/** vSphere's hidden folders keep their names: they say nothing about the estate. */
const SYSTEM_FOLDERS = new Set(['vm', 'host', 'datastore', 'network', '']);

export interface Pseudonymizer {
  name(kind: string, value: string): string;
  ip(value: string): string;
  dns(value: string): string;
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
  };
}

function anonymizePath(p: Pseudonymizer, path: string): string {
  return path
    .split('/')
    .map((seg) => (SYSTEM_FOLDERS.has(seg) ? seg : p.name('folder', seg)))
    .join('/');
}

/** `[datastore] folder/file.ext` → `[ds-…] file-…/file-….ext`. */
function anonymizeDsPath(p: Pseudonymizer, path: string): string {
  const m = /^\[([^\]]*)\]\s*(.*)$/.exec(path);
  const rest = m ? m[2]! : path;
  const ext = /\.[A-Za-z0-9]{1,8}$/.exec(rest)?.[0] ?? '';
  const file = p.name('file', rest);
  const body = `${file}/${file}${ext}`;
  return m ? `[${p.name('ds', m[1]!)}] ${body}` : body;
}

const text = (v: FieldValue | undefined): v is string => typeof v === 'string' && v !== '';

function anonymizeFields(
  p: Pseudonymizer,
  type: EntityType,
  f: Readonly<Record<string, FieldValue>>,
  lookupName: (type: EntityType, id: FieldValue | undefined) => string | null,
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = { ...f };
  const ips = (v: FieldValue | undefined): FieldValue =>
    Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? p.ip(x) : x)) : (v ?? null);
  for (const key of ['annotation', 'description'] as const) {
    if (text(f[key])) out[key] = p.name('note', f[key]);
  }
  if (text(f['ipAddress'])) out['ipAddress'] = p.ip(f['ipAddress']);
  if ('ipAddresses' in f) out['ipAddresses'] = ips(f['ipAddresses']);
  if (text(f['guestHostname'])) out['guestHostname'] = p.dns(f['guestHostname']);
  if (text(f['folderPath'])) out['folderPath'] = anonymizePath(p, f['folderPath']);
  if (text(f['path'])) out['path'] = anonymizePath(p, f['path']);
  if (text(f['vmPathName'])) out['vmPathName'] = anonymizeDsPath(p, f['vmPathName']);
  if (text(f['fileName'])) out['fileName'] = anonymizeDsPath(p, f['fileName']);
  if (text(f['serialNumber'])) out['serialNumber'] = p.name('serial', f['serialNumber']);
  if (text(f['url']) && type === 'datastore') out['url'] = `ds:///${p.name('url', f['url'])}/`;
  if (text(f['switchName'])) out['switchName'] = p.name('switch', f['switchName']);
  if (type === 'vmNic' && text(f['networkName'])) {
    // The same pseudonym as the network itself, so the NIC still names its network.
    out['networkName'] = lookupName('network', f['networkId']) ?? p.name('net', f['networkName']);
  }
  if (Array.isArray(f['tags'])) {
    out['tags'] = f['tags'].map((t) => (typeof t === 'string' ? p.name('tag', t) : t));
  }
  const ca = f['customAttributes'];
  if (ca && typeof ca === 'object' && !Array.isArray(ca)) {
    out['customAttributes'] = Object.fromEntries(
      Object.entries(ca).map(([k, v]) => [
        k,
        typeof v === 'string' && v !== '' ? p.name('attr', v) : v,
      ]),
    );
  }
  return out;
}

/** The same inventory with pseudonyms in place of everything that names the estate. */
export function anonymizeSource(source: InventorySource, key: Buffer): InventorySource {
  const p = createPseudonymizer(key);
  const eps = new Map<SourceEndpoint, SourceEndpoint>();
  for (const e of source.endpoints) {
    const host = p.dns(e.host);
    eps.set(e, { key: host, name: p.name('endpoint', e.name), kind: e.kind, host, port: e.port });
  }
  const entityName = (type: EntityType, name: string): string =>
    type === 'vmDisk' || type === 'vmNic' ? name : p.name(PREFIX[type], name);
  // Names of networks by id, to keep NIC network names consistent with the networks.
  const networkNames = new Map<string, string>();
  for (const page of source.pages('network')) {
    for (const n of page)
      networkNames.set(`${n.ep.key}\u0000${n.id}`, entityName('network', n.name));
  }
  const map = (r: EntityRecord): EntityRecord => ({
    type: r.type,
    ep: eps.get(r.ep) ?? r.ep,
    id: r.id,
    name: entityName(r.type, r.name),
    fields: anonymizeFields(p, r.type, r.fields, (type, id) =>
      type === 'network' && typeof id === 'string'
        ? (networkNames.get(`${r.ep.key}\u0000${id}`) ?? null)
        : null,
    ),
  });
  return {
    ...source,
    label: source.label === null ? null : p.name('label', source.label),
    endpoints: source.endpoints.map((e) => eps.get(e)!),
    fieldsOf: (t) => source.fieldsOf(t),
    count: (t) => source.count(t),
    *pages(type) {
      for (const page of source.pages(type)) yield page.map(map);
    },
    close: () => source.close(),
  };
}
