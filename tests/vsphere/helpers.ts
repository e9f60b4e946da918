/**
 * Test helpers: a second, independent vim25 session that drives changes in vcsim (power off,
 * rename, snapshot, destroy, tags) the way an operator would, and a collector target for a sim.
 */
import { join } from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import type {
  CollectContext,
  Collector,
  CollectorTarget,
  CollectProgress,
} from '../../src/core/collectors/collector.js';
import { VimClient } from '../../src/core/collectors/vsphere/client.js';
import {
  containerViewObjectSpecXml,
  propertySpecXml,
  str,
  textXml,
} from '../../src/core/collectors/vsphere/codec.js';
import type { MoRef } from '../../src/core/collectors/vsphere/codec.js';
import { jsonRequest } from '../../src/core/collectors/vsphere/transport.js';
import type { Vcsim } from '../vcsim/launch.js';
import type { Kysely } from 'kysely';
import { createVsphereCollector } from '../../src/core/collectors/vsphere/index.js';
import { writeFullInventory } from '../../src/core/inventory/writer.js';
import type { Database } from '../../src/core/store/schema.js';
import type { FullInventory } from '../../src/shared/entities.js';
import type { StoreEngine } from '../../src/core/store/location.js';
import { makeCore } from '../doubles/core-harness.js';
import type { CoreHarness } from '../doubles/core-harness.js';
import { testStoreLocation } from '../helpers/store.js';

export function targetFor(sim: Vcsim, over: Partial<CollectorTarget> = {}): CollectorTarget {
  return {
    endpointId: 1,
    name: 'vcsim',
    kind: 'vsphere' as CollectorTarget['kind'],
    host: sim.host,
    port: sim.port,
    username: sim.username,
    password: sim.password,
    thumbprint: sim.thumbprint,
    ...over,
  };
}

export function testContext(signal: AbortSignal = new AbortController().signal): CollectContext & {
  readonly progressLog: CollectProgress[];
} {
  const progressLog: CollectProgress[] = [];
  return { signal, log: silentLogger(), progress: (p) => progressLog.push(p), progressLog };
}

export interface SimDriver {
  readonly client: VimClient;
  /** Managed objects of a type by name. */
  find(type: string, name: string): Promise<MoRef>;
  list(type: string): Promise<{ ref: MoRef; name: string }[]>;
  powerOff(vm: MoRef): Promise<void>;
  powerOn(vm: MoRef): Promise<void>;
  rename(entity: MoRef, name: string): Promise<void>;
  createSnapshot(vm: MoRef, name: string, description?: string): Promise<MoRef | null>;
  destroy(entity: MoRef): Promise<void>;
  /** Creates a category and tag (if needed) through vAPI REST and attaches it to the object. */
  tag(entity: MoRef, category: string, tag: string): Promise<void>;
  close(): Promise<void>;
}

export async function openDriver(sim: Vcsim): Promise<SimDriver> {
  const client = new VimClient({
    host: sim.host,
    port: sim.port,
    thumbprint: sim.thumbprint,
    username: sim.username,
    password: sim.password,
    timeoutMs: 20_000,
  });
  await client.login();
  const sc = client.serviceContent;

  const list = async (type: string): Promise<{ ref: MoRef; name: string }[]> => {
    const view = await client.createContainerView(sc.rootFolder, [type]);
    const out: { ref: MoRef; name: string }[] = [];
    await client.retrieveAll(
      propertySpecXml(type, ['name']) + containerViewObjectSpecXml(view),
      1000,
      (objs) => {
        for (const o of objs) out.push({ ref: o.obj, name: str(o.props.get('name')) ?? '' });
      },
    );
    await client.destroyView(view);
    return out;
  };

  let restToken: string | null = null;
  const rest = async (method: 'GET' | 'POST', p: string, json?: unknown): Promise<unknown> => {
    const url = new URL(`/rest/com/vmware/cis${p}`, client.url);
    if (restToken === null) {
      const basic = Buffer.from(`${sim.username}:${sim.password}`).toString('base64');
      const r = await jsonRequest({
        url: new URL('/rest/com/vmware/cis/session', client.url),
        agent: client.httpAgent,
        pin: client.pinnedThumbprint,
        method: 'POST',
        headers: { Authorization: `Basic ${basic}` },
        timeoutMs: 10_000,
      });
      restToken = String((r.body as { value: unknown }).value);
    }
    const r = await jsonRequest({
      url,
      agent: client.httpAgent,
      pin: client.pinnedThumbprint,
      method,
      headers: { 'vmware-api-session-id': restToken },
      json,
      timeoutMs: 10_000,
    });
    if (r.status !== 200) throw new Error(`${method} ${p}: HTTP ${r.status}`);
    return (r.body as { value?: unknown } | null)?.value;
  };
  const categories = new Map<string, string>();
  const tags = new Map<string, string>();

  return {
    client,
    list,
    async find(type, name) {
      const hit = (await list(type)).find((o) => o.name === name);
      if (!hit) throw new Error(`no ${type} named ${name}`);
      return hit.ref;
    },
    async powerOff(vm) {
      await client.runTask('PowerOffVM_Task', vm);
    },
    async powerOn(vm) {
      await client.runTask('PowerOnVM_Task', vm);
    },
    async rename(entity, name) {
      await client.runTask('Rename_Task', entity, textXml('newName', name));
    },
    async createSnapshot(vm, name, description = '') {
      const r = await client.runTask(
        'CreateSnapshot_Task',
        vm,
        textXml('name', name) +
          textXml('description', description) +
          textXml('memory', false) +
          textXml('quiesce', false),
      );
      return r && typeof r === 'object' && 'type' in r ? (r as MoRef) : null;
    },
    async destroy(entity) {
      await client.runTask('Destroy_Task', entity);
    },
    async tag(entity, category, tag) {
      let catId = categories.get(category);
      if (!catId) {
        catId = String(
          await rest('POST', '/tagging/category', {
            create_spec: {
              name: category,
              description: '',
              cardinality: 'MULTIPLE',
              associable_types: [],
            },
          }),
        );
        categories.set(category, catId);
      }
      let tagId = tags.get(`${category}/${tag}`);
      if (!tagId) {
        tagId = String(
          await rest('POST', '/tagging/tag', {
            create_spec: { name: tag, description: '', category_id: catId },
          }),
        );
        tags.set(`${category}/${tag}`, tagId);
      }
      await rest(
        'POST',
        `/tagging/tag-association/id:${encodeURIComponent(tagId)}?~action=attach`,
        {
          object_id: { id: entity.value, type: entity.type },
        },
      );
    },
    async close() {
      await client.dispose();
    },
  };
}

/**
 * Records the version of every WaitForUpdatesEx a vSphere collector sends, in order (an empty
 * version asks for the whole inventory again).
 */
export function recordWaitVersions(collector: Collector): string[] {
  const versions: string[] = [];
  const vim = (collector as unknown as { vim: VimClient }).vim;
  const wait = vim.waitForUpdatesEx.bind(vim);
  vim.waitForUpdatesEx = (pc, version, ...rest) => {
    versions.push(version);
    return wait(pc, version, ...rest);
  };
  return versions;
}

/** `endpoints:add`'s input for the simulator as a vCenter endpoint, password and pin included. */
export function simEndpointInput(
  sim: Vcsim,
  name = 'sim',
): {
  name: string;
  kind: 'vcenter';
  host: string;
  port: number;
  username: string;
  password: string;
  thumbprint: string;
} {
  return {
    name,
    kind: 'vcenter',
    host: sim.host,
    port: sim.port,
    username: sim.username,
    password: sim.password,
    thumbprint: sim.thumbprint,
  };
}

/** Adds the simulator as the store's vCenter endpoint `vcsim` (no credential); returns its id. */
export async function addSimEndpoint(db: Kysely<Database>, sim: Vcsim): Promise<number> {
  const now = new Date().toISOString();
  const row = await db
    .insertInto('endpoint')
    .values({
      name: 'vcsim',
      kind: 'vcenter',
      host: sim.host,
      port: sim.port,
      username: sim.username,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** One full collection of the simulator written into the store, as a sync writes it. */
export async function syncSimOnce(
  db: Kysely<Database>,
  sim: Vcsim,
  endpointId: number,
): Promise<void> {
  const inv = await collectSimOnce(sim, endpointId);
  await writeFullInventory(db, inv, { endpointId, syncRunId: null, now: new Date() });
}

/**
 * One full collection of the simulator, to write into several stores (a suite on both engines
 * collects once): {@link storeSimInventory} writes it into one.
 */
export async function collectSimOnce(sim: Vcsim, endpointId = 1): Promise<FullInventory> {
  const collector = createVsphereCollector(targetFor(sim, { endpointId, name: 'vcsim' }));
  try {
    return await collector.collectFull(testContext());
  } finally {
    await collector.dispose();
  }
}

/** Adds the simulator's endpoint to the store and writes a collection of it, as a sync does. */
export async function storeSimInventory(
  db: Kysely<Database>,
  sim: Vcsim,
  inv: FullInventory,
): Promise<number> {
  const endpointId = await addSimEndpoint(db, sim);
  await writeFullInventory(db, inv, { endpointId, syncRunId: null, now: new Date() });
  return endpointId;
}

/**
 * A core on a fresh store of `engine` holding a collection of the simulator (suites on both
 * engines collect once and store it in each), and its endpoint's id.
 */
export async function coreWithSimInventory(
  engine: StoreEngine,
  sim: Vcsim,
  inv: FullInventory,
): Promise<{ h: CoreHarness; endpointId: number }> {
  const h = await makeCore({ memory: false, store: await testStoreLocation(engine) });
  return { h, endpointId: await storeSimInventory(h.core.store.db, sim, inv) };
}

/** Exports the core's inventory as an RVTools workbook in its data directory; the file's path. */
export async function exportRvtools(h: CoreHarness): Promise<string> {
  const file = join(h.dir, 'rvtools.xlsx');
  await h.call('export:run', { format: 'xlsx', out: file });
  return file;
}
