/**
 * The vSphere collector: full collection through container views + RetrievePropertiesEx paging,
 * incremental updates through a private PropertyCollector's WaitForUpdatesEx loop.
 */
import type {
  CollectedEntity,
  CollectedEvent,
  EntityType,
  InventoryDelta,
} from '../../../shared/entities.js';
import { AppError } from '../../../shared/errors.js';
import type { CollectContext, Collector, CollectorTarget } from '../collector.js';
import { arr, obj, path, ref, str } from './codec.js';
import type { MoRef, VimValue } from './codec.js';
import { containerViewObjectSpecXml, propertySpecXml, VimClient } from './client.js';
import {
  InventoryCache,
  mapAll,
  mapEvent,
  mapObject,
  propertyPaths,
  samplesFrom,
  VIEW_PROPSET_TYPES,
  VIEW_TYPES,
} from './mapper.js';
import type { RawObject } from './mapper.js';
import { readTags } from './tags.js';

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
}

// Objects whose name/parent feed other objects' fields (paths, cluster ids, switch names).
const STRUCTURAL_TYPES = new Set([
  'Datacenter',
  'Folder',
  'ComputeResource',
  'ClusterComputeResource',
  'DistributedVirtualSwitch',
  'Network',
  'DistributedVirtualPortgroup',
  'OpaqueNetwork',
  'HostSystem',
]);

/** The PropertyFilterSpec (inner XML) that reads every object of one container view. */
export function viewSpecXml(apiVersion: string, viewType: string, view: MoRef): string {
  const paths = propertyPaths(apiVersion);
  const types = VIEW_PROPSET_TYPES[viewType] ?? [viewType];
  return (
    types.map((t) => propertySpecXml(t, paths[t] ?? ['name'])).join('') +
    containerViewObjectSpecXml(view)
  );
}

function entityKey(e: { type: EntityType; id: string }): string {
  return `${e.type}\u0000${e.id}`;
}

function splitKey(key: string): { type: EntityType; id: string } {
  const i = key.indexOf('\u0000');
  return { type: key.slice(0, i) as EntityType, id: key.slice(i + 1) };
}

function isCancel(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof AppError && e.code === 'CANCELLED');
}

class VsphereCollector implements Collector {
  private readonly client: VimClient;
  private readonly cache = new InventoryCache();
  private views: { readonly viewType: string; readonly view: MoRef }[] = [];
  /** Last emitted serialization per entity key, to send only real changes from watch. */
  private readonly emitted = new Map<string, string>();
  /** moref value → entity keys it produced (the VM itself, its disks, NICs and snapshots). */
  private readonly producedBy = new Map<string, string[]>();
  private lastEventAt: string | null = null;
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
    entities: CollectedEntity[];
    events: CollectedEvent[];
    samples: ReturnType<typeof samplesFrom>;
  }> {
    const signal = ctx.signal;
    await this.connect(ctx);
    await this.destroyViews();
    const sc = this.client.serviceContent;
    this.cache.objects.clear();

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

    const maxObjects = this.opts.maxObjects ?? 1000;
    for (const { phase, types } of VIEW_TYPES) {
      const viewType = types[0] ?? 'ManagedEntity';
      const view = await this.client.createContainerView(sc.rootFolder, types, { signal });
      this.views.push({ viewType, view });
      const [content] = await this.client.retrieveProps([view], ['view'], { signal });
      const total = arr(content?.props.get('view')).length;
      let done = 0;
      ctx.progress({ phase, done, total });
      await this.client.retrieveAll(
        this.specFor(viewType, view),
        maxObjects,
        (objects) => {
          for (const o of objects) this.cache.put(o.obj, o.props);
          done += objects.length;
          ctx.progress({ phase, done, total });
        },
        { signal },
      );
    }

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
        this.cache.tags = new Map();
      }
    }

    const entities = mapAll(this.cache);
    this.emitted.clear();
    this.producedBy.clear();
    for (const o of this.cache.objects.values()) this.remember(o, mapObject(this.cache, o));

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
    return { entities, events, samples: samplesFrom(this.cache, now) };
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
    o: RawObject,
    entities: CollectedEntity[],
  ): { changed: CollectedEntity[]; gone: string[] } {
    const changed: CollectedEntity[] = [];
    const keys: string[] = [];
    for (const e of entities) {
      const key = entityKey(e);
      keys.push(key);
      const json = JSON.stringify([e.name, e.fields]);
      if (this.emitted.get(key) !== json) {
        this.emitted.set(key, json);
        changed.push(e);
      }
    }
    const before = this.producedBy.get(o.ref.value) ?? [];
    const now = new Set(keys);
    const gone = before.filter((k) => !now.has(k));
    for (const k of gone) this.emitted.delete(k);
    if (keys.length > 0) this.producedBy.set(o.ref.value, keys);
    else this.producedBy.delete(o.ref.value);
    return { changed, gone };
  }

  private forget(id: string): string[] {
    const keys = this.producedBy.get(id) ?? [];
    for (const k of keys) this.emitted.delete(k);
    this.producedBy.delete(id);
    return keys;
  }

  /** Applies one UpdateSet to the cache and returns the delta it causes. */
  private applyUpdateSet(us: VimValue): InventoryDelta {
    const touched = new Set<string>();
    const removedKeys: string[] = [];
    let structural = false;
    for (const fs of arr(path(us, 'filterSet'))) {
      for (const u of arr(path(fs, 'objectSet'))) {
        const kind = str(path(u, 'kind'));
        const r = ref(path(u, 'obj'));
        if (!r) continue;
        if (kind === 'leave') {
          this.cache.objects.delete(r.value);
          removedKeys.push(...this.forget(r.value));
          if (STRUCTURAL_TYPES.has(r.type)) structural = true;
          continue;
        }
        let o = this.cache.objects.get(r.value);
        if (kind === 'enter' || !o) {
          if (!o && STRUCTURAL_TYPES.has(r.type)) structural = true;
          o = { ref: r, props: new Map() };
          this.cache.objects.set(r.value, o);
        }
        for (const c of arr(path(u, 'changeSet'))) {
          const change = obj(c);
          const name = str(change?.['name']);
          if (!change || name === null) continue;
          const op = str(change['op']);
          if (op === 'remove' || op === 'indirectRemove' || change['val'] === undefined)
            o.props.delete(name);
          else o.props.set(name, change['val']);
          if (STRUCTURAL_TYPES.has(r.type) && (name === 'name' || name === 'parent'))
            structural = true;
        }
        touched.add(r.value);
      }
    }
    const upserts: CollectedEntity[] = [];
    const removals = new Set<string>(removedKeys);
    const targets = structural
      ? [...this.cache.objects.values()]
      : [...touched].map((id) => this.cache.objects.get(id));
    for (const o of targets) {
      if (!o) continue;
      const { changed, gone } = this.remember(o, mapObject(this.cache, o));
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
    if (this.views.length === 0) {
      throw new AppError('INTERNAL', 'watch() needs a collectFull() on this collector first.');
    }
    if (signal.aborted) return;
    const pc = await this.client.createPropertyCollector({ signal });
    try {
      // One filter per view rather than one filter with every propSet: same updates, and vcsim
      // 0.24 panics matching a modify of a just-deleted object against a propSet of another type.
      for (const v of this.views)
        await this.client.createFilter(pc, this.specFor(v.viewType, v.view), { signal });
      let version = '';
      let lastEventPoll = Date.now();
      const maxWait = this.opts.maxWaitSeconds ?? 2;
      while (!signal.aborted) {
        const us = await this.client.waitForUpdatesEx(pc, version, maxWait, { signal });
        let delta: InventoryDelta = { upserts: [], removals: [] };
        if (us) {
          version = str(us['version']) ?? version;
          delta = this.applyUpdateSet(us);
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
