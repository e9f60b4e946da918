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
  internName,
  xmlEscape,
} from './codec.js';
import type { MoRef, Pruning, VimObject, VimStream, VimValue } from './codec.js';
import { soapPost, withEndpoint } from './transport.js';

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
  /**
   * Bound on one answer decoded as a tree (streamed RetrievePropertiesEx objects count one by
   * one); past it the call fails with PROTOCOL_ERROR instead of exhausting memory.
   */
  readonly maxTreeBytes?: number;
  /** Bound on one whole answer, streamed or not (see SoapPostOptions.maxResponseBytes). */
  readonly maxResponseBytes?: number;
  /** Retries of idempotent reads after a transient failure (0 = none). */
  readonly retries?: number;
  /** First backoff delay; doubled per retry, plus jitter. */
  readonly retryDelayMs?: number;
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

/**
 * Methods that only read, so running them twice is harmless. Login (a second session), the
 * paging calls (a token is consumed) and anything that starts a task are never retried.
 */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'RetrieveServiceContent',
  'RetrievePropertiesEx',
]);

/** Failures worth another try: the connection broke, or a proxy or server said "later". */
function isTransient(e: unknown): boolean {
  if (!(e instanceof AppError)) return false;
  if (e.code === 'CONNECTION_LOST') return true;
  const status = e.details?.['status'];
  return (
    e.code === 'HTTP_ERROR' &&
    (status === 500 || status === 502 || status === 503 || status === 504)
  );
}

function sleep(
  ms: number,
  signal: AbortSignal | undefined,
  details: Record<string, unknown>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AppError('CANCELLED', 'The call was cancelled.', details));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

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

/** Requests in flight at most (retrieveConcurrent); every other call runs alone. */
const MAX_LANES = 2;

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

/**
 * Turns TLS session resumption off. A resumed TLS 1.3 session presents no certificate, so the pin
 * cannot be checked on it: the pinned agent's check then fails (or throws on the empty
 * certificate) on every reconnect, e.g. after an aborted request destroyed the kept-alive socket.
 * A full handshake per new connection is cheap next to a sync, and keeps the pin enforced.
 */
function noResumption(agent: HttpsAgent): HttpsAgent {
  (agent as HttpsAgent & { maxCachedSessions: number }).maxCachedSessions = 0;
  return agent;
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
  private generation = 0;
  private disposed = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly keepaliveMs: number;
  private readonly maxTreeBytes: number | undefined;
  private readonly maxResponseBytes: number | undefined;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private lastActivity = Date.now();

  constructor(opts: VimClientOptions) {
    const protocol = opts.protocol ?? 'https';
    const host =
      opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
    this.url = new URL(`${protocol}://${host}:${opts.port}${opts.path ?? '/sdk'}`);
    this.pin = opts.thumbprint ? normalizeThumbprint(opts.thumbprint) : null;
    // Two sockets: calls are one at a time, except retrieveConcurrent's measured parallel reads.
    this.agent =
      protocol === 'https'
        ? noResumption(createPinnedAgent(opts.thumbprint, { maxSockets: MAX_LANES }))
        : new http.Agent({ keepAlive: true, maxSockets: MAX_LANES });
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.log = opts.log;
    this.username = opts.username;
    this.password = opts.password;
    this.keepaliveMs = opts.keepaliveMs ?? 0;
    this.maxTreeBytes = opts.maxTreeBytes;
    this.maxResponseBytes = opts.maxResponseBytes;
    this.retries = opts.retries ?? 2;
    this.retryDelayMs = opts.retryDelayMs ?? 250;
  }

  /** The host name, as transport errors name the endpoint. */
  private get endpoint(): string {
    return this.url.hostname;
  }

  /** The keep-alive agent, shared with the vAPI REST reads so they reuse the TLS trust. */
  get httpAgent(): http.Agent {
    return this.agent;
  }

  get isLoggedIn(): boolean {
    return this.loggedIn;
  }

  /**
   * Counts logins. Server-side objects (container views, property collectors) belong to the
   * session that made them, so a change after a re-login means they are gone.
   */
  get sessionGeneration(): number {
    return this.generation;
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
    stream?: VimStream,
  ): Promise<VimValue> {
    if (this.disposed) throw new AppError('CANCELLED', 'The vSphere client was disposed.');
    this.lastActivity = Date.now();
    const res = await soapPost({
      stream,
      maxTreeBytes: this.maxTreeBytes,
      maxResponseBytes: this.maxResponseBytes,
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
    if (res.result.kind === 'fault')
      throw withEndpoint(faultToError(res.result, method), this.endpoint, method);
    const r = obj(res.result.value);
    // Responses carry `returnval` (one or repeated); void methods carry nothing.
    return r?.['returnval'] ?? '';
  }

  /**
   * rawCall, retried with exponential backoff after a transient failure when the method is an
   * idempotent read. A streamed call may deliver some items again on a retry: stream consumers
   * key what they receive by managed object, so a repeat overwrites.
   */
  private async retrying(
    method: string,
    thisRef: MoRef,
    inner: string,
    opts: CallOptions,
    stream?: VimStream,
  ): Promise<VimValue> {
    const attempts = IDEMPOTENT_METHODS.has(method) && !opts.discard ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rawCall(method, thisRef, inner, opts, stream);
      } catch (e) {
        if (attempt >= attempts || !isTransient(e) || opts.signal?.aborted) {
          if (attempt > 1 && e instanceof AppError) {
            throw new AppError(
              e.code,
              e.message,
              { ...(e.details ?? {}), attempts: attempt },
              { cause: e.cause },
            );
          }
          throw e;
        }
        const base = this.retryDelayMs * 2 ** (attempt - 1);
        const delay = Math.round(base + Math.random() * base);
        this.log?.info(
          { method, attempt, delayMs: delay, err: (e as AppError).code },
          'vSphere call failed; retrying',
        );
        await sleep(delay, opts.signal, { host: this.endpoint, method });
      }
    }
  }

  /**
   * Calls a vim25 method. A NotAuthenticated fault triggers one re-login and one retry, so an
   * expired idle session does not fail a sync.
   */
  call(method: string, thisRef: MoRef, inner = '', opts: CallOptions = {}): Promise<VimValue> {
    return this.callStreaming(method, thisRef, inner, opts, undefined);
  }

  private callStreaming(
    method: string,
    thisRef: MoRef,
    inner: string,
    opts: CallOptions,
    stream: VimStream | undefined,
  ): Promise<VimValue> {
    return this.serialize(async () => {
      try {
        return await this.retrying(method, thisRef, inner, opts, stream);
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
          return await this.retrying(method, thisRef, inner, opts, stream);
        }
        throw e;
      }
    });
  }

  async retrieveServiceContent(opts: CallOptions = {}): Promise<ServiceContent> {
    const v = await this.serialize(() =>
      this.retrying('RetrieveServiceContent', SERVICE_INSTANCE, '', opts),
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
        await this.retrying('RetrieveServiceContent', SERVICE_INSTANCE, '', opts),
      ));
    const v = await this.rawCall(
      'Login',
      sc.sessionManager,
      textXml('userName', this.username) + textXml('password', this.password),
      opts,
    );
    this.loggedIn = true;
    this.generation++;
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
      `<specSet>${specSetXml}</specSet><options>${textXml('maxObjects', maxObjects)}</options>`,
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
        const generation = this.generation;
        try {
          return await this.retrying(method, collector, body, callOpts, stream);
        } catch (e) {
          if (
            !(e instanceof AppError && e.code === 'NOT_AUTHENTICATED') ||
            !this.loggedIn ||
            this.username === undefined ||
            this.password === undefined
          )
            throw e;
          // Both lanes may see the fault; one re-login serves them.
          if (this.generation === generation) {
            this.log?.info({ method }, 'vSphere session lost; logging in again');
            this.cookie = undefined;
            relogin ??= this.doLogin(callOpts);
          }
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
              path(
                await call(
                  'RetrievePropertiesEx',
                  `<specSet>${spec}</specSet><options>${textXml('maxObjects', maxObjects)}</options>`,
                ),
                'token',
              ),
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
                await this.rawCall(
                  'CancelRetrievePropertiesEx',
                  collector,
                  textXml('token', current),
                  { timeoutMs: 5_000 },
                ).catch(() => undefined);
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
    let token = await collect(
      'RetrievePropertiesEx',
      `<specSet>${specSetXml}</specSet><options>${textXml('maxObjects', maxObjects)}</options>`,
    );
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
      textXml('version', version) +
        `<options>${textXml('maxWaitSeconds', maxWaitSeconds)}</options>`,
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
