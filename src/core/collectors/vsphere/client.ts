/**
 * A small vim25 client: one session per endpoint, one request in flight at a time, automatic
 * single re-login when the server forgets the session, Logout on dispose.
 */
import http from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../logger.js';
import { createPinnedAgent, normalizeThumbprint } from '../../net/tls-trust.js';
import {
  arr,
  envelope,
  faultToError,
  moRefXml,
  obj,
  path,
  ref,
  str,
  textXml,
  xmlEscape,
} from './codec.js';
import type { MoRef, VimObject, VimValue } from './codec.js';
import { soapPost } from './transport.js';

export interface VimClientOptions {
  readonly host: string;
  readonly port: number;
  readonly thumbprint: string | null;
  readonly username?: string;
  /** Kept only for the automatic re-login; never logged or copied into errors. */
  readonly password?: string;
  /** Per-call timeout. */
  readonly timeoutMs?: number;
  readonly log?: Logger;
  /** Tests only: plain HTTP against a local fake server. */
  readonly protocol?: 'https' | 'http';
  readonly path?: string;
  /** Send CurrentTime when idle this long, so the server does not expire the session. 0 = off. */
  readonly keepaliveMs?: number;
}

export interface AboutInfo {
  readonly name: string;
  readonly fullName: string;
  readonly vendor: string;
  readonly version: string;
  readonly build: string;
  readonly apiType: string;
  readonly apiVersion: string;
  readonly instanceUuid: string | null;
  readonly productLineId: string | null;
}

export interface ServiceContent {
  readonly about: AboutInfo;
  readonly rootFolder: MoRef;
  readonly propertyCollector: MoRef;
  readonly viewManager: MoRef | null;
  readonly sessionManager: MoRef;
  readonly eventManager: MoRef | null;
  readonly perfManager: MoRef | null;
  readonly customFieldsManager: MoRef | null;
  readonly raw: VimObject;
}

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number;
  readonly discard?: boolean;
}

export interface ObjectContent {
  readonly obj: MoRef;
  readonly props: Map<string, VimValue>;
  readonly missing: readonly { path: string; fault: string }[];
}

export interface RetrieveResult {
  readonly token: string | null;
  readonly objects: ObjectContent[];
}

const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

function moRefOrThrow(v: VimValue | undefined, what: string): MoRef {
  const r = ref(v);
  if (!r)
    throw new AppError('PROTOCOL_ERROR', `The server's ${what} is missing or not a reference.`);
  return r;
}

export function parseServiceContent(v: VimValue): ServiceContent {
  const o = obj(v);
  if (!o) throw new AppError('NOT_VSPHERE', 'RetrieveServiceContent returned no service content.');
  const a = obj(o['about']);
  if (!a) throw new AppError('NOT_VSPHERE', 'The service content has no "about" information.');
  return {
    about: {
      name: str(a['name']) ?? '',
      fullName: str(a['fullName']) ?? '',
      vendor: str(a['vendor']) ?? '',
      version: str(a['version']) ?? '',
      build: str(a['build']) ?? '',
      apiType: str(a['apiType']) ?? '',
      apiVersion: str(a['apiVersion']) ?? '',
      instanceUuid: str(a['instanceUuid']),
      productLineId: str(a['productLineId']),
    },
    rootFolder: moRefOrThrow(o['rootFolder'], 'rootFolder'),
    propertyCollector: moRefOrThrow(o['propertyCollector'], 'propertyCollector'),
    viewManager: ref(o['viewManager']),
    sessionManager: moRefOrThrow(o['sessionManager'], 'sessionManager'),
    eventManager: ref(o['eventManager']),
    perfManager: ref(o['perfManager']),
    customFieldsManager: ref(o['customFieldsManager']),
    raw: o,
  };
}

/** Reads an ObjectContent list (RetrieveResult.objects) into property maps keyed by path. */
export function parseObjects(v: VimValue | undefined): ObjectContent[] {
  const out: ObjectContent[] = [];
  for (const item of arr(v)) {
    const o = obj(item);
    if (!o) continue;
    const r = ref(o['obj']);
    if (!r) continue;
    const props = new Map<string, VimValue>();
    for (const p of arr(o['propSet'])) {
      const po = obj(p);
      const name = str(po?.['name']);
      if (po && name !== null && po['val'] !== undefined) props.set(name, po['val']);
    }
    const missing = arr(o['missingSet']).map((m) => ({
      path: str(path(m, 'path')) ?? '',
      fault: obj(path(m, 'fault.fault'))?._type ?? obj(path(m, 'fault'))?._type ?? 'unknown',
    }));
    out.push({ obj: r, props, missing });
  }
  return out;
}

/** `<propSet>` entries for a PropertyFilterSpec. */
export function propertySpecXml(type: string, paths: readonly string[]): string {
  return `<propSet><type>${xmlEscape(type)}</type>${paths.map((p) => textXml('pathSet', p)).join('')}</propSet>`;
}

/** `<objectSet>` that selects every object of a ContainerView (the view itself skipped). */
export function containerViewObjectSpecXml(view: MoRef): string {
  return (
    `<objectSet>${moRefXml('obj', view)}<skip>true</skip>` +
    '<selectSet xsi:type="TraversalSpec"><name>traverseView</name><type>ContainerView</type>' +
    '<path>view</path><skip>false</skip></selectSet></objectSet>'
  );
}

export function objectSpecXml(o: MoRef): string {
  return `<objectSet>${moRefXml('obj', o)}<skip>false</skip></objectSet>`;
}

export class VimClient {
  readonly url: URL;
  private readonly agent: http.Agent | HttpsAgent;
  private readonly pin: string | null;
  private readonly timeoutMs: number;
  private readonly log: Logger | undefined;
  private readonly username: string | undefined;
  private password: string | undefined;
  private cookie: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private sc: ServiceContent | undefined;
  private loggedIn = false;
  private disposed = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly keepaliveMs: number;
  private lastActivity = Date.now();

  constructor(opts: VimClientOptions) {
    const protocol = opts.protocol ?? 'https';
    const host =
      opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
    this.url = new URL(`${protocol}://${host}:${opts.port}${opts.path ?? '/sdk'}`);
    this.pin = opts.thumbprint ? normalizeThumbprint(opts.thumbprint) : null;
    this.agent =
      protocol === 'https'
        ? createPinnedAgent(opts.thumbprint, { maxSockets: 1 })
        : new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.log = opts.log;
    this.username = opts.username;
    this.password = opts.password;
    this.keepaliveMs = opts.keepaliveMs ?? 0;
  }

  /** The keep-alive agent, shared with the vAPI REST reads so they reuse the TLS trust. */
  get httpAgent(): http.Agent {
    return this.agent;
  }

  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  get pinnedThumbprint(): string | null {
    return this.pin;
  }

  get serviceContent(): ServiceContent {
    if (!this.sc) throw new AppError('INTERNAL', 'RetrieveServiceContent has not run yet.');
    return this.sc;
  }

  private soapAction(): string {
    const v = this.sc?.about.apiVersion;
    return v ? `urn:vim25/${v}` : 'urn:vim25';
  }

  /** Runs `fn` after every earlier request finished: one request in flight per session. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async rawCall(
    method: string,
    thisRef: MoRef,
    inner: string,
    opts: CallOptions,
  ): Promise<VimValue> {
    if (this.disposed) throw new AppError('CANCELLED', 'The vSphere client was disposed.');
    this.lastActivity = Date.now();
    const res = await soapPost({
      url: this.url,
      agent: this.agent,
      pin: this.pin,
      body: envelope(method, thisRef, inner),
      soapAction: this.soapAction(),
      method,
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      signal: opts.signal,
      cookie: this.cookie,
      discard: opts.discard ?? false,
    });
    if (res.sessionCookie) this.cookie = res.sessionCookie;
    if (res.result === null) {
      // Discard mode (benchmark): report the byte count and the paging token, nothing else.
      const token = /<token>([^<]*)<\/token>/.exec(res.head ?? '')?.[1];
      return token === undefined
        ? { _type: 'Discarded', bytes: res.bytes }
        : { _type: 'Discarded', bytes: res.bytes, token };
    }
    if (res.result.kind === 'fault') throw faultToError(res.result, method);
    const r = obj(res.result.value);
    // Responses carry `returnval` (one or repeated); void methods carry nothing.
    return r?.['returnval'] ?? '';
  }

  /**
   * Calls a vim25 method. A NotAuthenticated fault triggers one re-login and one retry, so an
   * expired idle session does not fail a sync.
   */
  call(method: string, thisRef: MoRef, inner = '', opts: CallOptions = {}): Promise<VimValue> {
    return this.serialize(async () => {
      try {
        return await this.rawCall(method, thisRef, inner, opts);
      } catch (e) {
        if (
          e instanceof AppError &&
          e.code === 'NOT_AUTHENTICATED' &&
          this.loggedIn &&
          this.username !== undefined &&
          this.password !== undefined
        ) {
          this.log?.info({ method }, 'vSphere session lost; logging in again');
          this.cookie = undefined;
          await this.doLogin(opts);
          return await this.rawCall(method, thisRef, inner, opts);
        }
        throw e;
      }
    });
  }

  async retrieveServiceContent(opts: CallOptions = {}): Promise<ServiceContent> {
    const v = await this.serialize(() =>
      this.rawCall('RetrieveServiceContent', SERVICE_INSTANCE, '', opts),
    );
    this.sc = parseServiceContent(v);
    return this.sc;
  }

  private async doLogin(opts: CallOptions): Promise<VimObject> {
    if (this.username === undefined || this.password === undefined) {
      throw new AppError('CREDENTIALS_REQUIRED', 'A user name and password are needed to log in.');
    }
    const sc =
      this.sc ??
      (this.sc = parseServiceContent(
        await this.rawCall('RetrieveServiceContent', SERVICE_INSTANCE, '', opts),
      ));
    const v = await this.rawCall(
      'Login',
      sc.sessionManager,
      textXml('userName', this.username) + textXml('password', this.password),
      opts,
    );
    this.loggedIn = true;
    this.startKeepalive();
    return obj(v) ?? {};
  }

  /** RetrieveServiceContent (if needed) and Login. Returns the UserSession. */
  login(opts: CallOptions = {}): Promise<VimObject> {
    return this.serialize(() => this.doLogin(opts));
  }

  private startKeepalive(): void {
    if (this.keepaliveMs <= 0 || this.keepaliveTimer) return;
    this.keepaliveTimer = setInterval(
      () => {
        if (Date.now() - this.lastActivity < this.keepaliveMs) return;
        this.currentTime().catch((e: unknown) => {
          this.log?.debug(
            { err: e instanceof AppError ? e.code : String(e) },
            'vSphere keepalive failed',
          );
        });
      },
      Math.max(1000, Math.floor(this.keepaliveMs / 2)),
    );
    this.keepaliveTimer.unref();
  }

  async currentTime(opts: CallOptions = {}): Promise<string> {
    return str(await this.call('CurrentTime', SERVICE_INSTANCE, '', opts)) ?? '';
  }

  /** Logs out (best effort), forgets the password and closes the sockets. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.loggedIn && this.sc) {
      try {
        await this.serialize(() =>
          this.rawCall('Logout', this.serviceContent.sessionManager, '', { timeoutMs: 5000 }),
        );
      } catch (e) {
        this.log?.debug(
          { err: e instanceof AppError ? e.code : String(e) },
          'vSphere logout failed',
        );
      }
    }
    this.loggedIn = false;
    this.disposed = true;
    this.password = undefined;
    this.cookie = undefined;
    this.agent.destroy();
  }

  // -------------------------------------------------------------------------------------------
  // Property collector

  async createContainerView(
    container: MoRef,
    types: readonly string[],
    opts: CallOptions = {},
  ): Promise<MoRef> {
    const vm = this.serviceContent.viewManager;
    if (!vm) throw new AppError('NOT_VSPHERE', 'This endpoint has no ViewManager.');
    const v = await this.call(
      'CreateContainerView',
      vm,
      moRefXml('container', container) +
        types.map((t) => textXml('type', t)).join('') +
        textXml('recursive', true),
      opts,
    );
    return moRefOrThrow(v, 'container view');
  }

  async destroyView(view: MoRef, opts: CallOptions = {}): Promise<void> {
    await this.call('DestroyView', view, '', opts);
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
      `<specSet>${specSetXml}</specSet><options>${textXml('maxObjects', maxObjects)}</options>`,
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
    let page = await this.retrievePropertiesEx(specSetXml, maxObjects, opts, collector);
    onPage(page.objects);
    while (page.token) {
      const token = page.token;
      try {
        page = await this.continueRetrievePropertiesEx(token, opts, collector);
      } catch (e) {
        // Free the server-side result set; the server would otherwise keep it until timeout.
        await this.call('CancelRetrievePropertiesEx', collector, textXml('token', token), {
          timeoutMs: 5_000,
        }).catch(() => undefined);
        throw e;
      }
      onPage(page.objects);
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
      await this.call(
        'CreateFilter',
        pc,
        `<spec>${specXml}</spec><partialUpdates>false</partialUpdates>`,
        opts,
      ),
      'property filter',
    );
  }

  async destroyPropertyFilter(filter: MoRef, opts: CallOptions = {}): Promise<void> {
    await this.call('DestroyPropertyFilter', filter, '', opts);
  }

  /** One WaitForUpdatesEx round; null when nothing changed within maxWaitSeconds. */
  async waitForUpdatesEx(
    pc: MoRef,
    version: string,
    maxWaitSeconds: number,
    opts: CallOptions = {},
  ): Promise<VimObject | null> {
    const v = await this.call(
      'WaitForUpdatesEx',
      pc,
      textXml('version', version) +
        `<options>${textXml('maxWaitSeconds', maxWaitSeconds)}</options>`,
      {
        ...opts,
        timeoutMs: Math.max(opts.timeoutMs ?? this.timeoutMs, (maxWaitSeconds + 30) * 1000),
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
    const filter = sinceIso
      ? `<filter><time><beginTime>${xmlEscape(sinceIso)}</beginTime></time><maxCount>${maxCount}</maxCount></filter>`
      : `<filter><maxCount>${maxCount}</maxCount></filter>`;
    const v = await this.call('QueryEvents', em, filter, opts);
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

/**
 * The connectivity doctor's probe: RetrieveServiceContent without logging in. Throws NOT_VSPHERE
 * when the endpoint answers but is not vim25 (including an HTTP error on /sdk).
 */
export async function retrieveServiceContent(
  opts: Omit<VimClientOptions, 'username' | 'password'> & CallOptions,
): Promise<{ about: AboutInfo }> {
  const client = new VimClient(opts);
  try {
    const sc = await client.retrieveServiceContent(opts);
    return { about: sc.about };
  } catch (e) {
    if (e instanceof AppError && (e.code === 'HTTP_ERROR' || e.code === 'PROTOCOL_ERROR')) {
      throw new AppError(
        'NOT_VSPHERE',
        `${opts.host} does not serve the vSphere API at ${client.url.pathname}.`,
        {
          ...(e.details ?? {}),
          cause: e.code,
        },
      );
    }
    throw e;
  } finally {
    await client.dispose();
  }
}

/** The doctor's login check: connects, logs in, reads `about`, logs out. */
export async function login(
  opts: VimClientOptions & CallOptions & { username: string; password: string },
): Promise<{ about: AboutInfo; userName: string | null; fullName: string | null }> {
  const client = new VimClient(opts);
  try {
    const sc = await client.retrieveServiceContent(opts);
    const session = await client.login(opts);
    return {
      about: sc.about,
      userName: str(session['userName']),
      fullName: str(session['fullName']),
    };
  } finally {
    await client.dispose();
  }
}
