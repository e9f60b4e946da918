/**
 * The vim25 calls the collector makes, over one VimSession (session.ts): the PropertyCollector
 * (container views, paged and streamed retrievals, filters and WaitForUpdatesEx), events and tasks.
 */
import { AppError } from '../../../shared/errors.js';
import {
  containerViewXml,
  propertyFilterXml,
  eventFilterXml,
  objectSpecXml,
  propertySpecXml,
  retrieveSpecXml,
  textXml,
  waitForUpdatesXml,
} from './request-xml.js';
import { VimSession, MAX_LANES, moRefOrThrow } from './session.js';
import type { CallOptions } from './session.js';
import { internName } from './vim-decoder.js';
import type { Pruning, VimStream } from './vim-decoder.js';
import { arr, obj, path, ref, str } from './vim-values.js';
import type { MoRef, VimObject, VimValue } from './vim-values.js';

export interface ObjectContent {
  readonly obj: MoRef;
  readonly props: Map<string, VimValue>;
  readonly missing: readonly { path: string; fault: string }[];
}

export interface RetrieveResult {
  readonly token: string | null;
  readonly objects: ObjectContent[];
}

/** Reads one ObjectContent into a property map keyed by path; null when it names no object. */
export function parseObject(item: VimValue): ObjectContent | null {
  const o = obj(item);
  if (!o) return null;
  const r = ref(o['obj']);
  if (!r) return null;
  const props = new Map<string, VimValue>();
  for (const p of arr(o['propSet'])) {
    const po = obj(p);
    const name = str(po?.['name']);
    if (po && name !== null && po['val'] !== undefined) props.set(internName(name), po['val']);
  }
  const missingSet = o['missingSet'];
  const missing =
    missingSet === undefined
      ? []
      : arr(missingSet).map((m) => ({
          path: str(path(m, 'path')) ?? '',
          fault: obj(path(m, 'fault.fault'))?._type ?? obj(path(m, 'fault'))?._type ?? 'unknown',
        }));
  return { obj: r, props, missing };
}

/** Reads an ObjectContent list (RetrieveResult.objects) into property maps keyed by path. */
export function parseObjects(v: VimValue | undefined): ObjectContent[] {
  const out: ObjectContent[] = [];
  for (const item of arr(v)) {
    const o = parseObject(item);
    if (o) out.push(o);
  }
  return out;
}

/** Envelope > Body > WaitForUpdatesExResponse > returnval > filterSet > objectSet. */
const OBJECT_SET_DEPTH = 6;
const OBJECT_SET: ReadonlySet<string> = new Set(['objectSet']);

/** Envelope > Body > *Response > returnval > objects: where RetrieveResult's objects close. */
const OBJECTS_DEPTH = 5;
const OBJECTS: ReadonlySet<string> = new Set(['objects']);

/** Options of the streaming retrievals: `prune` decodes the bulky properties only in part. */
export interface RetrieveOptions extends CallOptions {
  readonly prune?: Pruning | undefined;
}

/** Hands each ObjectContent of a RetrievePropertiesEx answer to `onObject` as it closes. */
function objectStream(onObject: (o: ObjectContent) => void, prune: Pruning | undefined): VimStream {
  return {
    depth: OBJECTS_DEPTH,
    names: OBJECTS,
    prune,
    onItem: (_name, item) => {
      const o = parseObject(item);
      if (o) onObject(o);
    },
  };
}

/** The session's vim25 calls: the PropertyCollector, events and tasks. */
export class VimClient extends VimSession {
  // -------------------------------------------------------------------------------------------
  // Property collector

  async createContainerView(
    container: MoRef,
    types: readonly string[],
    opts: CallOptions = {},
  ): Promise<MoRef> {
    const vm = this.serviceContent.viewManager;
    if (!vm) throw new AppError('NOT_VSPHERE', 'This endpoint has no ViewManager.');
    const v = await this.call('CreateContainerView', vm, containerViewXml(container, types), opts);
    return moRefOrThrow(v, 'container view');
  }

  async destroyView(view: MoRef, opts: CallOptions = {}): Promise<void> {
    await this.call('DestroyView', view, '', opts);
  }

  /**
   * RetrievePropertiesEx (or its continuation) with each ObjectContent handed to `onObject` as it
   * is decoded, then dropped: memory stays bounded by one object, not by the page. Returns the
   * paging token. `onObject` may see an object twice when the call is retried after a transient
   * failure, so it must key what it keeps by `obj`.
   */
  private async retrieveStreaming(
    method: 'RetrievePropertiesEx' | 'ContinueRetrievePropertiesEx',
    inner: string,
    onObject: (o: ObjectContent) => void,
    opts: RetrieveOptions,
    collector: MoRef,
  ): Promise<string | null> {
    const v = await this.callStreaming(
      method,
      collector,
      inner,
      opts,
      objectStream(onObject, opts.prune),
    );
    // The tree left over: returnval without its objects (token only).
    return str(path(v, 'token'));
  }

  /** Pages through every result of one spec, handing over each object as it is decoded. */
  async retrieveEach(
    specSetXml: string,
    maxObjects: number,
    onObject: (o: ObjectContent) => void,
    opts: RetrieveOptions = {},
    collector: MoRef = this.serviceContent.propertyCollector,
  ): Promise<void> {
    let token = await this.retrieveStreaming(
      'RetrievePropertiesEx',
      retrieveSpecXml(specSetXml, maxObjects),
      onObject,
      opts,
      collector,
    );
    while (token) {
      const current = token;
      try {
        token = await this.retrieveStreaming(
          'ContinueRetrievePropertiesEx',
          textXml('token', current),
          onObject,
          opts,
          collector,
        );
      } catch (e) {
        // Free the server-side result set; the server would otherwise keep it until timeout.
        await this.call('CancelRetrievePropertiesEx', collector, textXml('token', current), {
          timeoutMs: 5_000,
        }).catch(() => undefined);
        throw e;
      }
    }
  }

  /**
   * Reads independent specs (e.g. slices of one big view) with up to two requests in flight on
   * two connections of the same session, each object handed to `onObject` as it is decoded.
   * The server produces one answer while the other is parsed here: on a large inventory that
   * hides most of the parse time. Taken as one turn of the call queue; the first failure cancels
   * the rest; a NotAuthenticated fault leads to one shared re-login and one retry.
   */
  retrieveConcurrent(
    specSetXmls: readonly string[],
    maxObjects: number,
    onObject: (o: ObjectContent) => void,
    opts: RetrieveOptions & { readonly concurrency?: number } = {},
    collector: MoRef = this.serviceContent.propertyCollector,
  ): Promise<void> {
    return this.serialize(async () => {
      const inner = new AbortController();
      const stop = (): void => inner.abort();
      if (opts.signal?.aborted) stop();
      else opts.signal?.addEventListener('abort', stop, { once: true });
      const callOpts: CallOptions = { ...opts, signal: inner.signal };
      const stream = objectStream(onObject, opts.prune);
      let relogin: Promise<unknown> | undefined;
      const call = async (method: string, body: string): Promise<VimValue> => {
        const generation = this.sessionGeneration;
        try {
          return await this.retrying(method, collector, body, callOpts, stream);
        } catch (e) {
          if (!this.canRelogin(e)) throw e;
          // Both lanes may see the fault; one re-login serves them.
          if (this.sessionGeneration === generation) relogin ??= this.relogin(method, callOpts);
          await relogin;
          return await this.retrying(method, collector, body, callOpts, stream);
        }
      };
      let next = 0;
      let failure: { error: unknown } | undefined;
      const lane = async (): Promise<void> => {
        while (failure === undefined) {
          const spec = specSetXmls[next++];
          if (spec === undefined) return;
          try {
            let token = str(
              path(await call('RetrievePropertiesEx', retrieveSpecXml(spec, maxObjects)), 'token'),
            );
            while (token) {
              const current = token;
              try {
                token = str(
                  path(
                    await call('ContinueRetrievePropertiesEx', textXml('token', current)),
                    'token',
                  ),
                );
              } catch (e) {
                await this.rawCall({
                  method: 'CancelRetrievePropertiesEx',
                  thisRef: collector,
                  inner: textXml('token', current),
                  opts: { timeoutMs: 5_000 },
                }).catch(() => undefined);
                throw e;
              }
            }
          } catch (e) {
            // The first failure wins; the other lane's resulting CANCELLED is noise.
            failure ??= { error: e };
            inner.abort();
            return;
          }
        }
      };
      const lanes = Math.max(1, Math.min(opts.concurrency ?? MAX_LANES, MAX_LANES));
      try {
        await Promise.all(Array.from({ length: Math.min(lanes, specSetXmls.length) }, lane));
      } finally {
        opts.signal?.removeEventListener('abort', stop);
      }
      if (failure !== undefined) {
        if (opts.signal?.aborted)
          throw new AppError('CANCELLED', 'RetrievePropertiesEx was cancelled.', {
            host: this.endpoint,
            method: 'RetrievePropertiesEx',
          });
        throw failure.error;
      }
    });
  }

  /** RetrievePropertiesEx with `specSetXml` being the inner XML of one PropertyFilterSpec. */
  async retrievePropertiesEx(
    specSetXml: string,
    maxObjects: number,
    opts: CallOptions = {},
    collector: MoRef = this.serviceContent.propertyCollector,
  ): Promise<RetrieveResult> {
    const v = await this.call(
      'RetrievePropertiesEx',
      collector,
      retrieveSpecXml(specSetXml, maxObjects),
      opts,
    );
    return { token: str(path(v, 'token')), objects: parseObjects(path(v, 'objects')) };
  }

  async continueRetrievePropertiesEx(
    token: string,
    opts: CallOptions = {},
    collector: MoRef = this.serviceContent.propertyCollector,
  ): Promise<RetrieveResult> {
    const v = await this.call(
      'ContinueRetrievePropertiesEx',
      collector,
      textXml('token', token),
      opts,
    );
    return { token: str(path(v, 'token')), objects: parseObjects(path(v, 'objects')) };
  }

  /** Pages through every result of one spec, calling `onPage` per page. */
  async retrieveAll(
    specSetXml: string,
    maxObjects: number,
    onPage: (objects: ObjectContent[]) => void,
    opts: CallOptions = {},
    collector: MoRef = this.serviceContent.propertyCollector,
  ): Promise<void> {
    const collect = async (
      method: 'RetrievePropertiesEx' | 'ContinueRetrievePropertiesEx',
      inner: string,
    ): Promise<string | null> => {
      // Keyed by moref: a retried call hands over the same objects again.
      const page = new Map<string, ObjectContent>();
      const token = await this.retrieveStreaming(
        method,
        inner,
        (o) => page.set(`${o.obj.type}:${o.obj.value}`, o),
        opts,
        collector,
      );
      onPage([...page.values()]);
      return token;
    };
    let token = await collect('RetrievePropertiesEx', retrieveSpecXml(specSetXml, maxObjects));
    while (token) {
      const current = token;
      try {
        token = await collect('ContinueRetrievePropertiesEx', textXml('token', current));
      } catch (e) {
        // Free the server-side result set; the server would otherwise keep it until timeout.
        await this.call('CancelRetrievePropertiesEx', collector, textXml('token', current), {
          timeoutMs: 5_000,
        }).catch(() => undefined);
        throw e;
      }
    }
  }

  /** Reads a few properties of a few objects (no paging; small results only). */
  async retrieveProps(
    objs: readonly MoRef[],
    paths: readonly string[],
    opts: CallOptions = {},
  ): Promise<ObjectContent[]> {
    const byType = new Map<string, MoRef[]>();
    for (const o of objs) byType.set(o.type, [...(byType.get(o.type) ?? []), o]);
    const spec =
      [...byType.keys()].map((t) => propertySpecXml(t, paths)).join('') +
      objs.map(objectSpecXml).join('');
    const out: ObjectContent[] = [];
    await this.retrieveAll(spec, 1000, (p) => out.push(...p), opts);
    return out;
  }

  async createPropertyCollector(opts: CallOptions = {}): Promise<MoRef> {
    return moRefOrThrow(
      await this.call('CreatePropertyCollector', this.serviceContent.propertyCollector, '', opts),
      'property collector',
    );
  }

  async destroyPropertyCollector(pc: MoRef, opts: CallOptions = {}): Promise<void> {
    await this.call('DestroyPropertyCollector', pc, '', opts);
  }

  async createFilter(pc: MoRef, specXml: string, opts: CallOptions = {}): Promise<MoRef> {
    return moRefOrThrow(
      await this.call('CreateFilter', pc, propertyFilterXml(specXml), opts),
      'property filter',
    );
  }

  async destroyPropertyFilter(filter: MoRef, opts: CallOptions = {}): Promise<void> {
    await this.call('DestroyPropertyFilter', filter, '', opts);
  }

  /**
   * One WaitForUpdatesEx round; null when nothing changed within maxWaitSeconds. With
   * `onObjectUpdate`, each filterSet's ObjectUpdate is handed over as it is decoded and left out
   * of the result (the first round after a filter is made carries every object).
   */
  async waitForUpdatesEx(
    pc: MoRef,
    version: string,
    maxWaitSeconds: number,
    opts: CallOptions = {},
    onObjectUpdate?: (update: VimValue) => void,
  ): Promise<VimObject | null> {
    const v = await this.callStreaming(
      'WaitForUpdatesEx',
      pc,
      waitForUpdatesXml(version, maxWaitSeconds),
      {
        ...opts,
        timeoutMs: Math.max(opts.timeoutMs ?? this.timeoutMs, (maxWaitSeconds + 30) * 1000),
      },
      onObjectUpdate === undefined
        ? undefined
        : {
            depth: OBJECT_SET_DEPTH,
            names: OBJECT_SET,
            onItem: (_name, item) => onObjectUpdate(item),
          },
    );
    return obj(v) ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Events and tasks

  /** Latest events (newest page of an EventHistoryCollector), optionally since a time. */
  async queryEvents(
    sinceIso: string | null,
    maxCount: number,
    opts: CallOptions = {},
  ): Promise<VimObject[]> {
    const em = this.serviceContent.eventManager;
    if (!em) return [];
    const v = await this.call('QueryEvents', em, eventFilterXml(sinceIso, maxCount), opts);
    return arr(v)
      .map((e) => obj(e))
      .filter((e): e is VimObject => e !== undefined);
  }

  /** Waits for a Task to finish; throws the task's fault as SOAP_FAULT. */
  async waitForTask(
    task: MoRef,
    opts: CallOptions & { pollMs?: number } = {},
  ): Promise<VimValue | undefined> {
    const deadline = Date.now() + (opts.timeoutMs ?? this.timeoutMs);
    for (;;) {
      const [content] = await this.retrieveProps(
        [task],
        ['info.state', 'info.error', 'info.result'],
        opts,
      );
      const state = str(content?.props.get('info.state'));
      if (state === 'success') return content?.props.get('info.result');
      if (state === 'error') {
        const err = obj(content?.props.get('info.error'));
        const fault = obj(err?.['fault']);
        throw new AppError(
          'SOAP_FAULT',
          `Task failed: ${str(err?.['localizedMessage']) ?? fault?._type ?? 'error'}`,
          {
            faultType: fault?._type ?? 'unknown',
          },
        );
      }
      if (Date.now() > deadline)
        throw new AppError('TIMEOUT', 'The vSphere task did not finish in time.');
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
    }
  }

  /** Starts a `*_Task` method and waits for its result. */
  async runTask(
    method: string,
    thisRef: MoRef,
    inner = '',
    opts: CallOptions = {},
  ): Promise<VimValue | undefined> {
    const task = moRefOrThrow(await this.call(method, thisRef, inner, opts), `${method} task`);
    return this.waitForTask(task, opts);
  }
}
