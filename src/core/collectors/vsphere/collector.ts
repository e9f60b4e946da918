/**
 * The vSphere collector: full collection through container views + RetrievePropertiesEx paging,
 * incremental updates through a private PropertyCollector's WaitForUpdatesEx loop.
 */
import type {
  CollectedEntity,
  CollectedEvent,
  EntityType,
  FileListing,
  InventoryDelta,
} from '../../../shared/entities.js';
import { AppError } from '../../../shared/errors.js';
import type { EndpointAbout } from '../../../shared/endpoints.js';
import type { AboutInfo } from './session.js';
import type { CollectContext, Collector, CollectorTarget } from '../collector.js';
import { VimClient } from './client.js';
import type { ObjectContent } from './client.js';
import { containerViewObjectSpecXml, objectSpecXml, propertySpecXml } from './request-xml.js';
import { internName } from './vim-decoder.js';
import { arr, obj, path, ref, str } from './vim-values.js';
import type { MoRef, VimValue } from './vim-values.js';
import {
  compactProperty,
  InventoryCache,
  mapEvent,
  mapObject,
  propertyPaths,
  PRUNED,
  samplesFrom,
  VIEW_PROPSET_TYPES,
  VIEW_TYPES,
} from './mapper.js';
import { mapLicense } from './host-config.js';
import { readTags } from './tags.js';
import { listDatastoreFiles } from './file-info.js';

export interface VsphereCollectorOptions {
  /** RetrievePropertiesEx page size. */
  readonly maxObjects?: number;
  /** Per-call timeout. */
  readonly timeoutMs?: number;
  /** WaitForUpdatesEx maxWaitSeconds: bounds how long an abort can take to be noticed server-side. */
  readonly maxWaitSeconds?: number;
  /** How far back collectFull reads events. */
  readonly eventWindowMs?: number;
  readonly maxEvents?: number;
  /** Skip the vAPI tag read (benchmarks). */
  readonly skipTags?: boolean;
  /** Tests only: plain HTTP. */
  readonly protocol?: 'https' | 'http';
  /** Retries of idempotent reads after a transient failure (default 2). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /** Bound on one answer (or one streamed object) decoded in memory; see VimSessionOptions. */
  readonly maxTreeBytes?: number;
  /** Bound on one whole answer; see VimSessionOptions. */
  readonly maxResponseBytes?: number;
  /** VMs per slice when a large VM view is read by reference (default {@link VM_SLICE}). */
  readonly vmSlice?: number;
  /** Slices in flight at once (1 or 2; default 2). */
  readonly concurrency?: number;
}

// Objects whose name/parent feed other objects' fields (paths, cluster ids, switch names).
const STRUCTURAL_TYPES = new Set([
  'Datacenter',
  'Folder',
  'ComputeResource',
  'ClusterComputeResource',
  'DistributedVirtualSwitch',
  // A VMware switch's own type on a real vCenter (vcsim types its switches as the base type).
  'VmwareDistributedVirtualSwitch',
  'Network',
  'DistributedVirtualPortgroup',
  'OpaqueNetwork',
  'HostSystem',
]);

/** The PropertyFilterSpec (inner XML) that reads every object of one container view. */
export function viewSpecXml(apiVersion: string, viewType: string, view: MoRef): string {
  return viewsSpecXml(apiVersion, [{ viewType, view }]);
}

/**
 * One PropertyFilterSpec (inner XML) over several container views: every view's propSets, then
 * every view's objectSet, in the order the schema's sequence requires.
 */
export function viewsSpecXml(
  apiVersion: string,
  views: readonly { readonly viewType: string; readonly view: MoRef }[],
): string {
  const paths = propertyPaths(apiVersion);
  const types = views.flatMap((v) => VIEW_PROPSET_TYPES[v.viewType] ?? [v.viewType]);
  return (
    types.map((t) => propertySpecXml(t, paths[t] ?? ['name'])).join('') +
    views.map((v) => containerViewObjectSpecXml(v.view)).join('')
  );
}

/**
 * PropertyFilterSpecs (inner XML) reading the given objects by reference, `chunk` per spec. An
 * object deleted in the meantime is left out (reportMissingObjectsInResults) instead of failing
 * its whole slice with ManagedObjectNotFound.
 */
export function objectListSpecXmls(
  apiVersion: string,
  type: string,
  refs: readonly MoRef[],
  chunk: number,
): string[] {
  const paths = propertyPaths(apiVersion)[type] ?? ['name'];
  const propSet = propertySpecXml(type, paths);
  const out: string[] = [];
  for (let i = 0; i < refs.length; i += chunk) {
    out.push(
      propSet +
        refs
          .slice(i, i + chunk)
          .map(objectSpecXml)
          .join('') +
        '<reportMissingObjectsInResults>true</reportMissingObjectsInResults>',
    );
  }
  return out;
}

/** How a slice of VMs is read: by reference, in slices, two requests in flight. */
export const VM_SLICE = 500;

function entityKey(e: { type: EntityType; id: string }): string {
  return `${e.type}\u0000${e.id}`;
}

function splitKey(key: string): { type: EntityType; id: string } {
  const i = key.indexOf('\u0000');
  return { type: key.slice(0, i) as EntityType, id: key.slice(i + 1) };
}

/**
 * A 53-bit hash of an entity's name and fields: what watch compares to send only real changes.
 * Keeping a hash instead of the serialization saves some 50 MB on a vCenter of 10,000 VMs.
 */
function entityHash(e: CollectedEntity): number {
  const s = JSON.stringify([e.name, e.fields]);
  let h1 = 0xdeadbeef ^ s.length;
  let h2 = 0x41c6ce57 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Progress is reported per this many objects of a view (and at its end), not per object. */
const PROGRESS_EVERY = 1000;

/** What an update set did so far, while its object updates stream in. */
interface UpdateAccumulator {
  readonly touched: Set<string>;
  readonly removedKeys: string[];
  structural: boolean;
}

function isCancel(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof AppError && e.code === 'CANCELLED');
}

class VsphereCollector implements Collector {
  private readonly client: VimClient;
  private readonly cache = new InventoryCache();
  private views: { readonly viewType: string; readonly view: MoRef }[] = [];
  /** Hash of what was last emitted per entity key, to send only real changes from watch. */
  private readonly emitted = new Map<string, number>();
  /** A collectFull completed: the views and the baseline are whole. */
  private ready = false;
  /**
   * What the last collectFull returned, per managed object, until watch() turns it into the
   * emitted hashes. Hashing 30,000 entities costs ~0.25 s: a sync that is never watched should
   * not pay it, and one that is pays it after the store write, not before.
   */
  private baseline: (readonly [string, CollectedEntity[]])[] | null = null;
  /** moref value → entity keys it produced (the VM itself, its disks, NICs and snapshots). */
  private readonly producedBy = new Map<string, string[]>();
  private lastEventAt: string | null = null;
  /**
   * The watch's property collector and the version its first update set (the full read of a
   * collectFull told `watchNext`) ended at; watch() goes on from there.
   */
  private started: { readonly pc: MoRef; readonly version: string } | null = null;
  private readonly seenEventKeys = new Set<string>();

  constructor(
    private readonly target: CollectorTarget,
    private readonly opts: VsphereCollectorOptions,
  ) {
    this.client = new VimClient({
      host: target.host,
      port: target.port,
      thumbprint: target.thumbprint,
      username: target.username,
      password: target.password,
      timeoutMs: opts.timeoutMs ?? 120_000,
      protocol: opts.protocol ?? 'https',
      keepaliveMs: 10 * 60_000,
      retries: opts.retries,
      retryDelayMs: opts.retryDelayMs,
      maxTreeBytes: opts.maxTreeBytes,
      maxResponseBytes: opts.maxResponseBytes,
    });
  }

  /** The underlying client (doctor probes, tests). */
  get vim(): VimClient {
    return this.client;
  }

  private async connect(ctx: CollectContext): Promise<void> {
    ctx.progress({ phase: 'connect' });
    const sc = await this.client.retrieveServiceContent({ signal: ctx.signal });
    ctx.progress({ phase: 'login' });
    // A repeated collectFull reuses the session (the client re-logs in by itself if it expired).
    if (!this.client.isLoggedIn) await this.client.login({ signal: ctx.signal });
    this.cache.rootFolderId = sc.rootFolder.value;
    ctx.log.debug({ apiType: sc.about.apiType, version: sc.about.version }, 'vSphere session open');
  }

  private specFor(viewType: string, view: MoRef): string {
    return viewSpecXml(this.client.serviceContent.about.apiVersion, viewType, view);
  }

  private async destroyViews(): Promise<void> {
    const views = this.views;
    this.views = [];
    for (const v of views)
      await this.client.destroyView(v.view, { timeoutMs: 10_000 }).catch(() => undefined);
  }

  async collectFull(ctx: CollectContext): Promise<{
    about: EndpointAbout;
    entities: CollectedEntity[];
    events: CollectedEvent[];
    samples: ReturnType<typeof samplesFrom>;
    fileListing?: FileListing;
  }> {
    const signal = ctx.signal;
    this.ready = false;
    await this.connect(ctx);
    await this.destroyViews();
    const sc = this.client.serviceContent;
    this.cache.objects.clear();
    this.emitted.clear();
    this.producedBy.clear();
    this.baseline = null;
    await this.dropStarted();

    if (sc.customFieldsManager) {
      try {
        const [cfm] = await this.client.retrieveProps([sc.customFieldsManager], ['field'], {
          signal,
        });
        const names = new Map<string, string>();
        for (const f of arr(cfm?.props.get('field'))) {
          const key = str(path(f, 'key'));
          const name = str(path(f, 'name'));
          if (key !== null && name !== null) names.set(key, name);
        }
        this.cache.customFieldNames = names;
      } catch (e) {
        if (isCancel(e, signal)) throw e;
        ctx.log.debug(
          { err: e instanceof AppError ? e.code : String(e) },
          'custom field names unavailable',
        );
      }
    }

    const licenses = await this.readLicenses(ctx);

    // Tags first: VMs are mapped as they stream in, and their tags must be known by then.
    this.cache.tags = new Map();
    if (!this.opts.skipTags && sc.about.apiType === 'VirtualCenter') {
      ctx.progress({ phase: 'tags' });
      try {
        this.cache.tags = await readTags({
          baseUrl: this.client.url,
          agent: this.client.httpAgent,
          pin: this.client.pinnedThumbprint,
          username: this.target.username,
          password: this.target.password,
          timeoutMs: this.opts.timeoutMs ?? 60_000,
          signal,
        });
      } catch (e) {
        if (isCancel(e, signal)) throw e;
        // Tags are an add-on: a broken tagging service must not fail the inventory.
        ctx.log.warn(
          { err: e instanceof AppError ? e.code : String(e) },
          'vSphere tags unavailable',
        );
      }
    }

    // VMs are most of the bytes: each is mapped as soon as it is decoded and its raw properties
    // dropped (the views before it hold every object a VM refers to). Keyed by moref, so an
    // object handed over twice by a retried call is mapped once.
    const vms = new Map<string, CollectedEntity[]>();
    if (ctx.watchNext) {
      // Watched next: the full read is the watch's first update set (see readAsFirstUpdate).
      await this.readAsFirstUpdate(ctx);
    } else {
      const maxObjects = this.opts.maxObjects ?? 1000;
      const firstGeneration = this.client.sessionGeneration;
      for (const { phase, types } of VIEW_TYPES) {
        const viewType = types[0] ?? 'ManagedEntity';
        const readView = async (): Promise<void> => {
          const view = await this.client.createContainerView(sc.rootFolder, types, { signal });
          this.views.push({ viewType, view });
          const [content] = await this.client.retrieveProps([view], ['view'], { signal });
          const members = arr(content?.props.get('view'));
          const total = members.length;
          const seen = new Set<string>();
          ctx.progress({ phase, done: 0, total });
          const mapNow = viewType === 'VirtualMachine';
          const onObject = (o: ObjectContent): void => {
            // Deleted between listing and reading (only when reading by reference).
            if (o.props.size === 0 && o.missing.some((m) => m.fault === 'ManagedObjectNotFound'))
              return;
            if (mapNow && o.obj.type === 'VirtualMachine') {
              vms.set(o.obj.value, mapObject(this.cache, { ref: o.obj, props: o.props }));
            } else {
              this.cache.put(o.obj, o.props);
            }
            if (seen.has(o.obj.value)) return;
            seen.add(o.obj.value);
            if (seen.size % PROGRESS_EVERY === 0) ctx.progress({ phase, done: seen.size, total });
          };
          const slice = this.opts.vmSlice ?? VM_SLICE;
          if (mapNow && total > slice) {
            // The bulk of the bytes: slices read two at a time, so the server builds one answer
            // while this process parses the other.
            const refs = members.map((m) => ref(m)).filter((r): r is MoRef => r !== null);
            await this.client.retrieveConcurrent(
              objectListSpecXmls(sc.about.apiVersion, 'VirtualMachine', refs, slice),
              maxObjects,
              onObject,
              { signal, concurrency: this.opts.concurrency ?? 2, prune: PRUNED },
            );
          } else {
            await this.client.retrieveEach(this.specFor(viewType, view), maxObjects, onObject, {
              signal,
              prune: PRUNED,
            });
          }
          if (seen.size % PROGRESS_EVERY !== 0 || seen.size === 0)
            ctx.progress({ phase, done: seen.size, total });
        };
        const generation = this.client.sessionGeneration;
        try {
          await readView();
        } catch (e) {
          // The session was re-established under us, and the view died with the old one: once more.
          const authFailure =
            e instanceof AppError && (e.code === 'NOT_AUTHENTICATED' || e.code === 'INVALID_LOGIN');
          if (isCancel(e, signal) || authFailure || this.client.sessionGeneration === generation)
            throw e;
          ctx.log.info(
            { phase },
            'vSphere session renewed during collection; reading the view again',
          );
          await readView();
        }
      }
      if (this.client.sessionGeneration !== firstGeneration) {
        // Views of the lost session are gone: make fresh ones for watch (no data read again).
        this.views = [];
        for (const { types } of VIEW_TYPES) {
          const view = await this.client.createContainerView(sc.rootFolder, types, { signal });
          this.views.push({ viewType: types[0] ?? 'ManagedEntity', view });
        }
      }
    }

    const entities: CollectedEntity[] = [];
    const baseline: (readonly [string, CollectedEntity[]])[] = [];
    for (const o of this.cache.objects.values()) {
      const mapped = mapObject(this.cache, o);
      baseline.push([o.ref.value, mapped]);
      for (const e of mapped) entities.push(e);
    }
    for (const entry of vms) {
      baseline.push(entry);
      for (const e of entry[1]) entities.push(e);
    }
    baseline.push(['LicenseManager', licenses]);
    for (const e of licenses) entities.push(e);
    this.baseline = baseline;

    // Optional (RVTools' vFileInfo): asked for, each datastore's browser lists its files. Not
    // in the baseline: no moref produces them, so a watch neither updates nor removes them.
    let fileListing: FileListing | undefined;
    if (ctx.fileInfo) {
      const datastores = [...this.cache.objects.values()]
        .filter((o) => o.ref.type === 'Datastore')
        .map((o) => o.ref);
      const listed = await listDatastoreFiles(this.client, datastores, ctx.fileInfo, ctx);
      for (const f of listed.files) entities.push(f);
      fileListing = listed.listing;
    }

    ctx.progress({ phase: 'events' });
    let now = new Date().toISOString();
    try {
      now = (await this.client.currentTime({ signal })) || now;
    } catch (e) {
      if (isCancel(e, signal)) throw e;
    }
    const since = new Date(Date.parse(now) - (this.opts.eventWindowMs ?? 3_600_000)).toISOString();
    const events = await this.readEvents(ctx, since);
    this.lastEventAt = now;
    const samples = samplesFrom(this.cache, now, entities);
    this.ready = true;
    return {
      about: aboutOf(sc.about),
      entities,
      events,
      samples,
      ...(fileListing ? { fileListing } : {}),
    };
  }

  /** Destroys a watch's property collector that no watch() took over (and its filters). */
  private async dropStarted(): Promise<void> {
    const started = this.started;
    this.started = null;
    if (started)
      await this.client
        .destroyPropertyCollector(started.pc, { timeoutMs: 5_000 })
        .catch(() => undefined);
  }

  /**
   * The watch's filters on `pc`. Two: the VMs, and everything else. Not one: vcsim 0.24 panics
   * matching a modify of a just-destroyed VM against another type's propSet. Not one per view
   * either: vcsim re-collects every filter of the collector once per filter for each modified
   * object, so its cost per update grows with the square of the filter count (9 filters made a
   * power-off take ~1.6 s to arrive at 1,000 VMs); a real vCenter does not care.
   */
  private async createWatchFilters(pc: MoRef, signal: AbortSignal): Promise<void> {
    const vms = this.views.filter((v) => v.viewType === 'VirtualMachine');
    const rest = this.views.filter((v) => v.viewType !== 'VirtualMachine');
    for (const group of [vms, rest]) {
      if (group.length === 0) continue;
      await this.client.createFilter(
        pc,
        viewsSpecXml(this.client.serviceContent.about.apiVersion, group),
        { signal },
      );
    }
  }

  /**
   * The full read of a collection that a watch follows: the watch's own filters, created now,
   * and their first update set (every object with every property, streamed into the cache) read
   * as the inventory. The watch then starts from the version it ended at, so it never reads the
   * whole inventory a second time. Raw VM properties stay in the cache (a watch keeps them).
   */
  private async readAsFirstUpdate(ctx: CollectContext): Promise<void> {
    const signal = ctx.signal;
    const sc = this.client.serviceContent;
    for (const { types } of VIEW_TYPES) {
      const view = await this.client.createContainerView(sc.rootFolder, types, { signal });
      this.views.push({ viewType: types[0] ?? 'ManagedEntity', view });
    }
    const pc = await this.client.createPropertyCollector({ signal });
    this.started = { pc, version: '' };
    await this.createWatchFilters(pc, signal);
    const acc: UpdateAccumulator = { touched: new Set(), removedKeys: [], structural: false };
    let version = '';
    let done = 0;
    ctx.progress({ phase: 'inventory', done });
    for (;;) {
      // maxWait 0: the first update set is there at once; a truncated one continues at once.
      const us = await this.client.waitForUpdatesEx(pc, version, 0, { signal }, (u) => {
        this.applyObjectUpdate(u, acc);
        if (++done % PROGRESS_EVERY === 0) ctx.progress({ phase: 'inventory', done });
      });
      if (!us) break;
      version = str(us['version']) ?? version;
      if (us['truncated'] !== true && str(us['truncated']) !== 'true') break;
    }
    ctx.progress({ phase: 'inventory', done });
    this.started = { pc, version };
  }

  /**
   * The endpoint's licenses (`LicenseManager.licenses`): one small call. A server without a
   * license manager, or a user without the privilege to read it, gives none (the inventory does
   * not depend on them).
   */
  private async readLicenses(ctx: CollectContext): Promise<CollectedEntity[]> {
    const manager = ref(this.client.serviceContent.raw['licenseManager']);
    if (!manager) return [];
    try {
      const [lm] = await this.client.retrieveProps([manager], ['licenses'], {
        signal: ctx.signal,
      });
      return arr(lm?.props.get('licenses'))
        .map((l) => mapLicense(l))
        .filter((l): l is CollectedEntity => l !== null);
    } catch (e) {
      if (isCancel(e, ctx.signal)) throw e;
      ctx.log.debug({ err: e instanceof AppError ? e.code : String(e) }, 'licenses unavailable');
      return [];
    }
  }

  private async readEvents(ctx: CollectContext, since: string): Promise<CollectedEvent[]> {
    try {
      const raw = await this.client.queryEvents(since, this.opts.maxEvents ?? 500, {
        signal: ctx.signal,
      });
      const out: CollectedEvent[] = [];
      for (const r of raw) {
        const e = mapEvent(r);
        if (!e || this.seenEventKeys.has(e.key)) continue;
        this.seenEventKeys.add(e.key);
        out.push(e);
      }
      if (this.seenEventKeys.size > 20_000) this.seenEventKeys.clear();
      return out.sort((a, b) => a.at.localeCompare(b.at));
    } catch (e) {
      if (isCancel(e, ctx.signal)) throw e;
      // ESXi without vCenter may not implement QueryEvents; events are optional.
      ctx.log.debug(
        { err: e instanceof AppError ? e.code : String(e) },
        'vSphere events unavailable',
      );
      return [];
    }
  }

  /** Records what an object mapped to; returns the changed entities and the keys that vanished. */
  private remember(
    id: string,
    entities: CollectedEntity[],
  ): { changed: CollectedEntity[]; gone: string[] } {
    const changed: CollectedEntity[] = [];
    const keys: string[] = [];
    for (const e of entities) {
      const key = entityKey(e);
      keys.push(key);
      const hash = entityHash(e);
      if (this.emitted.get(key) !== hash) {
        this.emitted.set(key, hash);
        changed.push(e);
      }
    }
    const before = this.producedBy.get(id) ?? [];
    const gone = before.length === 0 ? [] : before.filter((k) => !keys.includes(k));
    for (const k of gone) this.emitted.delete(k);
    if (keys.length > 0) this.producedBy.set(id, keys);
    else this.producedBy.delete(id);
    return { changed, gone };
  }

  private forget(id: string): string[] {
    const keys = this.producedBy.get(id) ?? [];
    for (const k of keys) this.emitted.delete(k);
    this.producedBy.delete(id);
    return keys;
  }

  /**
   * Applies one ObjectUpdate to the cache as it streams in (an update set of a large inventory
   * is as big as a full retrieval, so it is never held whole); the delta is computed at the end.
   */
  private applyObjectUpdate(u: VimValue, acc: UpdateAccumulator): void {
    const kind = str(path(u, 'kind'));
    const r = ref(path(u, 'obj'));
    if (!r) return;
    if (kind === 'leave') {
      this.cache.objects.delete(r.value);
      acc.removedKeys.push(...this.forget(r.value));
      acc.touched.delete(r.value);
      if (STRUCTURAL_TYPES.has(r.type)) acc.structural = true;
      return;
    }
    let o = this.cache.objects.get(r.value);
    if (kind === 'enter' || !o) {
      if (!o && STRUCTURAL_TYPES.has(r.type)) acc.structural = true;
      o = { ref: r, props: new Map() };
      this.cache.objects.set(r.value, o);
    }
    for (const c of arr(path(u, 'changeSet'))) {
      const change = obj(c);
      const name = str(change?.['name']);
      if (!change || name === null) continue;
      const op = str(change['op']);
      const val = change['val'];
      if (op === 'remove' || op === 'indirectRemove' || val === undefined) o.props.delete(name);
      else o.props.set(internName(name), compactProperty(r.type, name, val));
      if (STRUCTURAL_TYPES.has(r.type) && (name === 'name' || name === 'parent'))
        acc.structural = true;
    }
    acc.touched.add(r.value);
  }

  /** The delta of the updates applied since `acc` was made. */
  private finishUpdateSet(acc: UpdateAccumulator): InventoryDelta {
    const upserts: CollectedEntity[] = [];
    const removals = new Set<string>(acc.removedKeys);
    const targets = acc.structural
      ? [...this.cache.objects.values()]
      : [...acc.touched].map((id) => this.cache.objects.get(id));
    for (const o of targets) {
      if (!o) continue;
      const { changed, gone } = this.remember(o.ref.value, mapObject(this.cache, o));
      upserts.push(...changed);
      for (const k of gone) removals.add(k);
    }
    return { upserts, removals: [...removals].map(splitKey) };
  }

  async watch(
    ctx: CollectContext,
    onDelta: (delta: InventoryDelta) => Promise<void>,
  ): Promise<void> {
    const signal = ctx.signal;
    if (!this.ready || this.views.length === 0) {
      throw new AppError('INTERNAL', 'watch() needs a collectFull() on this collector first.');
    }
    if (signal.aborted) return;
    if (this.baseline !== null) {
      for (const [id, mapped] of this.baseline) this.remember(id, mapped);
      this.baseline = null;
    }
    const started = this.started;
    this.started = null;
    const pc = started?.pc ?? (await this.client.createPropertyCollector({ signal }));
    try {
      // Filters made by the full read already delivered their first update set: go on from its
      // version instead of reading the whole inventory again.
      if (!started) await this.createWatchFilters(pc, signal);
      let version = started?.version ?? '';
      let lastEventPoll = Date.now();
      const maxWait = this.opts.maxWaitSeconds ?? 2;
      while (!signal.aborted) {
        const acc: UpdateAccumulator = { touched: new Set(), removedKeys: [], structural: false };
        const us = await this.client.waitForUpdatesEx(pc, version, maxWait, { signal }, (u) =>
          this.applyObjectUpdate(u, acc),
        );
        let delta: InventoryDelta = { upserts: [], removals: [] };
        if (us) {
          version = str(us['version']) ?? version;
          delta = this.finishUpdateSet(acc);
        }
        if (Date.now() - lastEventPoll > 30_000 && this.lastEventAt) {
          lastEventPoll = Date.now();
          // Overlap the window by a minute against clock skew; seenEventKeys drops repeats.
          const since = new Date(Date.parse(this.lastEventAt) - 60_000).toISOString();
          this.lastEventAt = new Date().toISOString();
          const events = await this.readEvents(ctx, since);
          if (events.length > 0) delta = { ...delta, events };
        }
        if (
          delta.upserts.length > 0 ||
          delta.removals.length > 0 ||
          (delta.events?.length ?? 0) > 0
        ) {
          ctx.progress({ phase: 'watch', done: delta.upserts.length + delta.removals.length });
          await onDelta(delta);
        }
      }
    } catch (e) {
      if (!isCancel(e, signal)) {
        await this.client.destroyPropertyCollector(pc, { timeoutMs: 5_000 }).catch(() => undefined);
        throw e;
      }
    }
    // Destroying the collector also destroys its filter.
    await this.client.destroyPropertyCollector(pc, { timeoutMs: 5_000 }).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    this.baseline = null;
    await this.dropStarted();
    await this.client.dispose();
  }
}

/** The collector factory for vSphere endpoints (vCenter or standalone ESXi). */
export function createVsphereCollector(
  target: CollectorTarget,
  opts: VsphereCollectorOptions = {},
): Collector {
  return new VsphereCollector(target, opts);
}

/** The server's facts as the store keeps them (empty text as null). */
function aboutOf(a: AboutInfo): EndpointAbout {
  const v = (x: string | null): string | null => (x === null || x === '' ? null : x);
  return {
    name: v(a.name),
    fullName: v(a.fullName),
    vendor: v(a.vendor),
    version: v(a.version),
    build: v(a.build),
    osType: v(a.osType),
    productLineId: v(a.productLineId),
    apiType: v(a.apiType),
    apiVersion: v(a.apiVersion),
    instanceUuid: v(a.instanceUuid),
    licenseProductName: v(a.licenseProductName),
    licenseProductVersion: v(a.licenseProductVersion),
  };
}
