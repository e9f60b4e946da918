/**
 * A vim25 session: one per endpoint, one request in flight at a time (the property collector's
 * parallel reads aside), idempotent reads retried after a transient failure, a single automatic
 * re-login when the server forgets the session, keep-alive calls while idle, Logout on dispose.
 * The calls themselves (property collector, events, tasks) are VimClient's, in client.ts.
 */
import http from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { AppError } from '../../../shared/errors.js';
import type { Logger } from '../../logger.js';
import { createPinnedAgent, normalizeThumbprint } from '../../net/tls-trust.js';
import { envelope, loginXml } from './request-xml.js';
import { faultToError } from './soap-envelope.js';
import { soapPost, withEndpoint } from './transport.js';
import type { VimStream } from './vim-decoder.js';
import { obj, ref, str } from './vim-values.js';
import type { MoRef, VimObject, VimValue } from './vim-values.js';

export interface VimSessionOptions {
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
  readonly osType: string | null;
  readonly licenseProductName: string | null;
  readonly licenseProductVersion: string | null;
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
}

/** One vim25 call: the method, the object it is called on, its arguments' XML. */
interface VimRequest {
  readonly method: string;
  readonly thisRef: MoRef;
  readonly inner: string;
  readonly opts: CallOptions;
  /** Elements handed to a consumer as they close instead of built into the answer. */
  readonly stream?: VimStream | undefined;
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

/** The reference in `v`; PROTOCOL_ERROR naming `what` when there is none. */
export function moRefOrThrow(v: VimValue | undefined, what: string): MoRef {
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
      osType: str(a['osType']),
      licenseProductName: str(a['licenseProductName']),
      licenseProductVersion: str(a['licenseProductVersion']),
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

/** Requests in flight at most (retrieveConcurrent); every other call runs alone. */
export const MAX_LANES = 2;

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

export class VimSession {
  readonly url: URL;
  private readonly agent: http.Agent | HttpsAgent;
  private readonly pin: string | null;
  protected readonly timeoutMs: number;
  protected readonly log: Logger | undefined;
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

  constructor(opts: VimSessionOptions) {
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
  protected get endpoint(): string {
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
  protected serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** One POST of one call: no queue, no retry, no re-login. */
  protected async rawCall({ method, thisRef, inner, opts, stream }: VimRequest): Promise<VimValue> {
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
    });
    if (res.sessionCookie) this.cookie = res.sessionCookie;
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
  protected async retrying(
    method: string,
    thisRef: MoRef,
    inner: string,
    opts: CallOptions,
    stream?: VimStream,
  ): Promise<VimValue> {
    const attempts = IDEMPOTENT_METHODS.has(method) ? this.retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rawCall({ method, thisRef, inner, opts, stream });
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

  protected callStreaming(
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
        if (!this.canRelogin(e)) throw e;
        await this.relogin(method, opts);
        return await this.retrying(method, thisRef, inner, opts, stream);
      }
    });
  }

  /** Whether `e` says the server forgot the session and this client can log in again. */
  protected canRelogin(e: unknown): boolean {
    return (
      e instanceof AppError &&
      e.code === 'NOT_AUTHENTICATED' &&
      this.loggedIn &&
      this.username !== undefined &&
      this.password !== undefined
    );
  }

  /** Drops the lost session's cookie and logs in again (after a failed `method`). */
  protected relogin(method: string, opts: CallOptions): Promise<VimObject> {
    this.log?.info({ method }, 'vSphere session lost; logging in again');
    this.cookie = undefined;
    return this.doLogin(opts);
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
    const v = await this.rawCall({
      method: 'Login',
      thisRef: sc.sessionManager,
      inner: loginXml(this.username, this.password),
      opts,
    });
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
          this.rawCall({
            method: 'Logout',
            thisRef: this.serviceContent.sessionManager,
            inner: '',
            opts: { timeoutMs: 5000 },
          }),
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
}
