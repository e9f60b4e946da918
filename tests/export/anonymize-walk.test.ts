import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapInventory } from '../../src/core/collectors/hyperv/mapper.js';
import { endpointDocSchema, nodesDocSchema } from '../../src/core/collectors/hyperv/schema.js';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import { anonymizeSource } from '../../src/core/export/anonymize.js';
import type { EntityRecord } from '../../src/core/export/records.js';
import { openLiveStoreSource } from '../../src/core/export/capability.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import type { StoreEngine } from '../../src/core/store/location.js';
import type { CollectedEntity } from '../../src/shared/entities.js';
import { ENTITY_FIELDS, ENTITY_TYPES, withFields } from '../../src/shared/entities.js';
import { FIXTURES } from '../hyperv/helpers.js';
import { stopSharedPostgres } from '../helpers/postgres.js';
import { ENGINES, addEndpoint, openTestStore } from '../helpers/store.js';
import { startVcsim } from '../vcsim/launch.js';
import type { Vcsim } from '../vcsim/launch.js';
import { targetFor, testContext } from '../vsphere/helpers.js';

/*
 * Deny by default, checked from the outside: the inventories of both collectors (vcsim through the
 * vSphere collector; both PowerShell fixtures through the Hyper-V mapper), with the fields vcsim
 * leaves empty filled in, go through the anonymizer; every string of every exported record (id,
 * name, every field, deep) must differ from every name, IP, DNS name and path of the source. What
 * counts as such a value is decided here from the values themselves, not from the anonymizer's
 * own list of safe fields.
 */

let sim: Vcsim;
let vsphere: CollectedEntity[];

/** The walk's two sides: the store's live inventory, plain and anonymized. */
interface Walk {
  readonly source: EntityRecord[];
  readonly exported: EntityRecord[];
  readonly sourceEndpoints: string[];
  readonly exportedEndpoints: string[];
}

function hyperv(fixture: string): CollectedEntity[] {
  const doc = JSON.parse(readFileSync(join(FIXTURES, fixture), 'utf8')) as {
    endpoint: unknown;
    nodes: Record<string, unknown>;
  };
  return mapInventory({
    endpointName: fixture,
    endpoint: endpointDocSchema.parse(doc.endpoint),
    nodes: nodesDocSchema.parse({ Nodes: Object.values(doc.nodes) }),
  }).entities;
}

/** vcsim reports no NTP servers, notes, guest partitions or attributes: give them some. */
function enrich(entities: readonly CollectedEntity[]): CollectedEntity[] {
  return entities.map((e) => {
    switch (e.type) {
      case 'host':
        return withFields(e, {
          ntpServers: ['ntp1.corp.example', '10.20.30.40'],
          serialNumber: `SN-${e.id}`,
        });
      case 'vm':
        return withFields(e, {
          annotation: `Owner: team of ${e.name}`,
          guestHostname: `${e.name.toLowerCase()}.corp.example`,
          guestDisks: [
            { path: `/srv/${e.name}`, capacityBytes: 10, freeBytes: 5 },
            { path: 'D:\\Data', capacityBytes: 10, freeBytes: 5 },
          ],
          customAttributes: { Owner: `owner-of-${e.name}` },
          tags: ['Env/prod', `App/${e.name}`],
        });
      case 'snapshot':
        return withFields(e, { description: `before patching ${e.name}` });
      default:
        return e;
    }
  });
}

beforeAll(async () => {
  sim = await startVcsim({ dc: 1, cluster: 1, host: 2, standaloneHost: 1, vm: 2, ds: 2 });
  const collector = createVsphereCollector(targetFor(sim));
  try {
    vsphere = [...(await collector.collectFull(testContext())).entities];
  } finally {
    await collector.dispose();
  }
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await stopSharedPostgres();
});

/** Both collectors' inventories written into a store on `engine`, then read back both ways. */
async function walk(engine: StoreEngine): Promise<Walk> {
  const store = await openTestStore(engine);
  const w: Walk = { source: [], exported: [], sourceEndpoints: [], exportedEndpoints: [] };
  try {
    const inventories: [string, string, CollectedEntity[]][] = [
      ['vc-walk', 'vcenter', enrich(vsphere)],
      ['hvc-walk', 'hyperv', hyperv('cluster-ps7.json')],
      ['hv-walk', 'hyperv', hyperv('standalone-ps51.json')],
    ];
    for (const [name, kind, entities] of inventories) {
      const endpointId = await addEndpoint(store.db, name, kind);
      await writeFullInventory(
        store.db,
        { entities },
        { endpointId, syncRunId: null, now: new Date() },
      );
    }
    const plain = await openLiveStoreSource(store);
    const anon = anonymizeSource(await openLiveStoreSource(store), Buffer.alloc(32, 7));
    try {
      for (const type of ENTITY_TYPES) {
        for (const page of plain.pages(type)) w.source.push(...page);
        for (const page of anon.pages(type)) w.exported.push(...page);
      }
      for (const e of plain.endpoints) w.sourceEndpoints.push(e.name, e.host, e.key);
      for (const e of anon.endpoints) w.exportedEndpoints.push(e.name, e.host, e.key);
    } finally {
      plain.close();
      anon.close();
    }
  } finally {
    await store.close();
  }
  return w;
}

/** Every string in a value, however deep. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4})$/i;
/** MACs name nothing (and are kept); they would read as IPv6 addresses above. */
const MAC = /^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
/** vSphere's hidden folders: vSphere's own names, not the estate's (folder types say the same). */
const SYSTEM_FOLDERS = new Set(['vm', 'host', 'datastore', 'network']);
const DNS = /^(?=.*[a-z])[a-z0-9-]+(?:\.[a-z0-9-]+)+$/i;
const PATH = /[/\\]/;
const MOREF = /^[a-z]+-[a-z]?\d+(?:\/[a-z]+-[0-9a-z-]+)*$/i;
const GUID = /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?:\/[a-z]+-[0-9a-z-]+)*$/i;

/** The source's names, IPs, DNS names and paths, and the ids that carry names. */
function secrets({ source, sourceEndpoints }: Walk): Set<string> {
  const out = new Set<string>(sourceEndpoints);
  for (const r of source) {
    const systemFolder = r.type === 'folder' && SYSTEM_FOLDERS.has(r.name);
    if (r.type !== 'vmDisk' && r.type !== 'vmNic' && !systemFolder) out.add(r.name);
    const ids = [r.id];
    for (const [field, spec] of Object.entries(ENTITY_FIELDS[r.type])) {
      const values = strings(r.fields[field]);
      if ('ref' in spec || 'refs' in spec) ids.push(...values);
      else
        for (const s of values)
          if ((IP.test(s) && !MAC.test(s)) || DNS.test(s) || PATH.test(s)) out.add(s);
    }
    for (const id of ids)
      if (!(r.ep.kind !== 'hyperv' && MOREF.test(id)) && !GUID.test(id)) out.add(id);
  }
  for (const s of [...out]) if (s.length < 3) out.delete(s);
  return out;
}

describe.each(ENGINES)('anonymized export from a %s store: deny by default', (engine) => {
  let w: Walk;
  beforeAll(async () => {
    w = await walk(engine);
  }, 120_000);

  it('covers both collectors and the values that leaked before', () => {
    const { source, exported } = w;
    const all = secrets(w);
    expect(source.some((r) => r.ep.kind === 'hyperv')).toBe(true);
    expect(source.some((r) => r.ep.kind === 'vcenter')).toBe(true);
    // Hyper-V ids that are names, NTP servers and guest partition paths are in the walk.
    expect(all).toContain('hvc01');
    expect([...all].some((s) => s.startsWith('vmswitch:'))).toBe(true);
    expect(all).toContain('ntp1.corp.example');
    expect(all).toContain('D:\\Data');
    expect(exported).toHaveLength(source.length);
  });

  it('exports no value equal to a source name, IP, DNS name or path, in any field of any type', () => {
    const { exported, exportedEndpoints } = w;
    const all = secrets(w);
    const leaks: string[] = [];
    for (const s of exportedEndpoints) if (all.has(s)) leaks.push(`endpoint: ${s}`);
    for (const r of exported) {
      for (const s of [r.id, r.name]) if (all.has(s)) leaks.push(`${r.type} ${r.id}: ${s}`);
      for (const field of Object.keys(ENTITY_FIELDS[r.type])) {
        for (const s of strings(r.fields[field]))
          if (all.has(s)) leaks.push(`${r.type}.${field}: ${s}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('keeps references joinable: each exported reference names an exported entity', () => {
    const { exported } = w;
    const ids = new Set(exported.map((r) => `${r.ep.key}|${r.type}|${r.id}`));
    let checked = 0;
    for (const r of exported) {
      for (const [field, spec] of Object.entries(ENTITY_FIELDS[r.type])) {
        const target = 'ref' in spec ? spec.ref : 'refs' in spec ? spec.refs : null;
        if (!target) continue;
        for (const id of strings(r.fields[field])) {
          // Hyper-V's one synthesized datacenter and hosts down are referenced like the rest.
          expect(ids.has(`${r.ep.key}|${target}|${id}`), `${r.type}.${field} ${id}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});
