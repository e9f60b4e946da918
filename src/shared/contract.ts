import { z } from 'zod';
import type { EntityType } from './entities.js';
import type { ConnectivityReport, EndpointDto } from './endpoints.js';
import { endpointInputSchema, endpointUpdateSchema } from './endpoints.js';
import type { SerializedError } from './errors.js';
import type { QueryFieldInfo, QueryResult } from './query.js';
import { QUERY_KINDS, inventoryQuerySchema } from './query.js';

/*
 * The one contract between the core and every client (Electron preload, the serve bridge, the
 * CLI's in-process calls). Channels are `domain:verb`. Each request has an input schema, checked
 * at the boundary, and an output type; each push event has a payload type.
 */

export interface AppInfo {
  readonly name: 'Infrascope';
  readonly version: string;
  readonly host: 'desktop' | 'serve' | 'cli';
  readonly dataDir: string;
  readonly vaultBackend: string;
  readonly schemaVersion: string;
  /** Set when the store was found damaged at start: what was restored and what was lost. */
  readonly recovery: {
    readonly reason: string;
    readonly movedTo: string;
    readonly restoredFrom: string | null;
    readonly backupTakenAt: string | null;
    readonly dataLostSince: string | null;
  } | null;
}

export interface SyncStarted {
  readonly started: readonly { endpointId: number; endpoint: string }[];
  /** Endpoints skipped because a sync of theirs was already running. */
  readonly alreadyRunning: readonly string[];
}

export interface SyncProgressEvent {
  readonly endpointId: number;
  readonly endpoint: string;
  readonly runId: number | null;
  readonly state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly phase: string;
  readonly done?: number;
  readonly total?: number;
  readonly error?: SerializedError;
}

export interface InventoryChangedEvent {
  readonly endpointId: number;
  readonly types: readonly EntityType[];
  readonly created: number;
  readonly updated: number;
  readonly deleted: number;
}

export const requestSchemas = {
  'app:info': z.object({}).strict(),
  'inventory:query': inventoryQuerySchema.strict(),
  'inventory:fields': z.object({ kind: z.enum(QUERY_KINDS) }).strict(),
  'endpoints:list': z.object({}).strict(),
  'endpoints:add': endpointInputSchema.strict(),
  'endpoints:update': endpointUpdateSchema.strict(),
  'endpoints:remove': z.object({ id: z.number().int().positive() }).strict(),
  'endpoints:test': z.object({ id: z.number().int().positive() }).strict(),
  'endpoints:trust': z
    .object({ id: z.number().int().positive(), thumbprint: z.string().min(64).max(95) })
    .strict(),
  'sync:start': z.object({ ids: z.array(z.number().int().positive()).max(1000).optional() }).strict(),
  'sync:cancel': z.object({ id: z.number().int().positive() }).strict(),
} as const;

export interface RequestMap {
  'app:info': { input: z.input<(typeof requestSchemas)['app:info']>; output: AppInfo };
  'inventory:query': { input: z.input<(typeof requestSchemas)['inventory:query']>; output: QueryResult };
  'inventory:fields': {
    input: z.input<(typeof requestSchemas)['inventory:fields']>;
    output: readonly QueryFieldInfo[];
  };
  'endpoints:list': { input: z.input<(typeof requestSchemas)['endpoints:list']>; output: readonly EndpointDto[] };
  'endpoints:add': { input: z.input<(typeof requestSchemas)['endpoints:add']>; output: EndpointDto };
  'endpoints:update': { input: z.input<(typeof requestSchemas)['endpoints:update']>; output: EndpointDto };
  'endpoints:remove': { input: z.input<(typeof requestSchemas)['endpoints:remove']>; output: { removed: true } };
  'endpoints:test': { input: z.input<(typeof requestSchemas)['endpoints:test']>; output: ConnectivityReport };
  'endpoints:trust': { input: z.input<(typeof requestSchemas)['endpoints:trust']>; output: EndpointDto };
  'sync:start': { input: z.input<(typeof requestSchemas)['sync:start']>; output: SyncStarted };
  'sync:cancel': { input: z.input<(typeof requestSchemas)['sync:cancel']>; output: { cancelled: boolean } };
}

export type Channel = keyof RequestMap;
export const CHANNELS = Object.keys(requestSchemas) as Channel[];
export type RequestInput<C extends Channel> = RequestMap[C]['input'];
export type RequestOutput<C extends Channel> = RequestMap[C]['output'];
/** The input after validation (defaults applied). */
export type ParsedInput<C extends Channel> = z.output<(typeof requestSchemas)[C]>;

export interface EventMap {
  'sync:progress': SyncProgressEvent;
  'inventory:changed': InventoryChangedEvent;
  'endpoints:changed': { readonly ids: readonly number[] };
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: readonly EventName[] = ['sync:progress', 'inventory:changed', 'endpoints:changed'];

/** The reply shape on every transport. */
export type Reply<C extends Channel> = { ok: true; result: RequestOutput<C> } | { ok: false; error: SerializedError };

/** What the preload exposes as `window.infrascope`, and what the serve bridge implements. */
export interface InfrascopeApi {
  invoke<C extends Channel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

/** What the Electron preload exposes as `window.infrascope`: replies stay serialized across the bridge. */
export interface PreloadBridge {
  request<C extends Channel>(channel: C, input: RequestInput<C>): Promise<Reply<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, value);
}
