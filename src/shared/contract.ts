import { z } from 'zod';
import type { EntityType } from './entities.js';
import type { ConnectivityReport, EndpointDto } from './endpoints.js';
import { endpointInputSchema, endpointUpdateSchema } from './endpoints.js';
import type { SerializedError } from './errors.js';
import type { QueryFieldInfo, QueryResult } from './query.js';
import { QUERY_KINDS, inventoryQuerySchema } from './query.js';
import type {
  ExportProgressEvent,
  ExportResult,
  SnapshotDiff,
  SnapshotImportProgressEvent,
  SnapshotInfo,
  SnapshotRows,
} from './export.js';
import {
  exportRequestSchema,
  importIdSchema,
  snapshotDiffSchema,
  snapshotImportSchema,
  snapshotRowsSchema,
  snapshotSaveSchema,
} from './export.js';
import type { EntityDetails, InventoryVersion, SearchResult } from './details.js';
import { entityRequestSchema, searchRequestSchema } from './details.js';
import type { Preferences } from './preferences.js';
import { preferenceSetSchema } from './preferences.js';
import type { ScheduleState } from './schedules.js';
import { scheduleSettingsSchema } from './schedules.js';
import type {
  AlertDto,
  AlertHistoryEntry,
  AlertRuleDto,
  AlertSummary,
  AlertsChangedEvent,
  AlertsRaisedEvent,
  CapacityReport,
  EvaluationSummary,
  MetricRetention,
  MetricSeries,
  SuppressionDto,
  WebhookDelivery,
  WebhookDto,
} from './alerts.js';
import {
  alertAckSchema,
  alertListSchema,
  alertSnoozeSchema,
  alertSuppressSchema,
  alertUpdateRuleSchema,
  capacityReportSchema,
  metricRetentionSchema,
  metricSeriesSchema,
  webhookAddSchema,
  webhookUpdateSchema,
} from './alerts.js';

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
  'inventory:entity': entityRequestSchema,
  'inventory:search': searchRequestSchema,
  'inventory:version': z.object({}).strict(),
  'inventory:tags': z.object({}).strict(),
  'endpoints:list': z.object({}).strict(),
  'endpoints:add': endpointInputSchema.strict(),
  'endpoints:update': endpointUpdateSchema.strict(),
  'endpoints:remove': z.object({ id: z.number().int().positive() }).strict(),
  'endpoints:test': z.object({ id: z.number().int().positive() }).strict(),
  'endpoints:trust': z
    .object({ id: z.number().int().positive(), thumbprint: z.string().min(64).max(95) })
    .strict(),
  'sync:start': z
    .object({ ids: z.array(z.number().int().positive()).max(1000).optional() })
    .strict(),
  'sync:cancel': z.object({ id: z.number().int().positive() }).strict(),
  'alerts:list': alertListSchema.strict(),
  'alerts:ack': alertAckSchema.strict(),
  'alerts:snooze': alertSnoozeSchema.strict(),
  'alerts:history': z.object({ id: z.number().int().positive() }).strict(),
  'alerts:suppress': alertSuppressSchema.strict(),
  'alerts:unsuppress': z.object({ id: z.number().int().positive() }).strict(),
  'alerts:suppressions': z.object({}).strict(),
  'alerts:rules': z.object({}).strict(),
  'alerts:updateRule': alertUpdateRuleSchema.strict(),
  'alerts:evaluate': z.object({ endpointId: z.number().int().positive().optional() }).strict(),
  'alerts:summary': z.object({ endpointId: z.number().int().positive().optional() }).strict(),
  'metrics:series': metricSeriesSchema.strict(),
  'metrics:retention': z.object({}).strict(),
  'metrics:setRetention': metricRetentionSchema.strict(),
  'capacity:report': capacityReportSchema.strict(),
  'webhooks:list': z.object({}).strict(),
  'webhooks:add': webhookAddSchema.strict(),
  'webhooks:update': webhookUpdateSchema,
  'webhooks:remove': z.object({ id: z.number().int().positive() }).strict(),
  'webhooks:test': z.object({ id: z.number().int().positive() }).strict(),
  'webhooks:deliveries': z
    .object({
      id: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    })
    .strict(),
  'export:run': exportRequestSchema.strict(),
  'export:cancel': z.object({ exportId: z.string().min(1).max(64) }).strict(),
  'snapshots:list': z.object({}).strict(),
  'snapshots:save': snapshotSaveSchema.strict(),
  'snapshots:delete': z.object({ id: z.number().int().positive() }).strict(),
  'snapshots:diff': snapshotDiffSchema.strict(),
  'snapshots:import': snapshotImportSchema.strict(),
  'snapshots:cancelImport': z.object({ importId: importIdSchema }).strict(),
  'snapshots:rows': snapshotRowsSchema.strict(),
  'schedules:get': z.object({}).strict(),
  'schedules:set': scheduleSettingsSchema,
  'preferences:get': z.object({}).strict(),
  'preferences:set': preferenceSetSchema.strict(),
} as const;

export interface RequestMap {
  'app:info': { input: z.input<(typeof requestSchemas)['app:info']>; output: AppInfo };
  'inventory:query': {
    input: z.input<(typeof requestSchemas)['inventory:query']>;
    output: QueryResult;
  };
  'inventory:fields': {
    input: z.input<(typeof requestSchemas)['inventory:fields']>;
    output: readonly QueryFieldInfo[];
  };
  'inventory:entity': {
    input: z.input<(typeof requestSchemas)['inventory:entity']>;
    output: EntityDetails;
  };
  'inventory:search': {
    input: z.input<(typeof requestSchemas)['inventory:search']>;
    output: SearchResult;
  };
  'inventory:version': {
    input: z.input<(typeof requestSchemas)['inventory:version']>;
    output: InventoryVersion;
  };
  'inventory:tags': {
    input: z.input<(typeof requestSchemas)['inventory:tags']>;
    /** Every tag in the store (vSphere tags of live entities and endpoint labels), sorted. */
    output: readonly string[];
  };
  'endpoints:list': {
    input: z.input<(typeof requestSchemas)['endpoints:list']>;
    output: readonly EndpointDto[];
  };
  'endpoints:add': {
    input: z.input<(typeof requestSchemas)['endpoints:add']>;
    output: EndpointDto;
  };
  'endpoints:update': {
    input: z.input<(typeof requestSchemas)['endpoints:update']>;
    output: EndpointDto;
  };
  'endpoints:remove': {
    input: z.input<(typeof requestSchemas)['endpoints:remove']>;
    output: { removed: true };
  };
  'endpoints:test': {
    input: z.input<(typeof requestSchemas)['endpoints:test']>;
    output: ConnectivityReport;
  };
  'endpoints:trust': {
    input: z.input<(typeof requestSchemas)['endpoints:trust']>;
    output: EndpointDto;
  };
  'sync:start': { input: z.input<(typeof requestSchemas)['sync:start']>; output: SyncStarted };
  'sync:cancel': {
    input: z.input<(typeof requestSchemas)['sync:cancel']>;
    output: { cancelled: boolean };
  };
  'alerts:list': {
    input: z.input<(typeof requestSchemas)['alerts:list']>;
    output: readonly AlertDto[];
  };
  'alerts:ack': {
    input: z.input<(typeof requestSchemas)['alerts:ack']>;
    output: { updated: number };
  };
  'alerts:snooze': {
    input: z.input<(typeof requestSchemas)['alerts:snooze']>;
    output: { updated: number };
  };
  'alerts:history': {
    input: z.input<(typeof requestSchemas)['alerts:history']>;
    output: readonly AlertHistoryEntry[];
  };
  'alerts:suppress': {
    input: z.input<(typeof requestSchemas)['alerts:suppress']>;
    output: SuppressionDto;
  };
  'alerts:unsuppress': {
    input: z.input<(typeof requestSchemas)['alerts:unsuppress']>;
    output: { removed: boolean };
  };
  'alerts:suppressions': {
    input: z.input<(typeof requestSchemas)['alerts:suppressions']>;
    output: readonly SuppressionDto[];
  };
  'alerts:rules': {
    input: z.input<(typeof requestSchemas)['alerts:rules']>;
    output: readonly AlertRuleDto[];
  };
  'alerts:updateRule': {
    input: z.input<(typeof requestSchemas)['alerts:updateRule']>;
    output: AlertRuleDto;
  };
  'alerts:evaluate': {
    input: z.input<(typeof requestSchemas)['alerts:evaluate']>;
    output: EvaluationSummary;
  };
  'alerts:summary': {
    input: z.input<(typeof requestSchemas)['alerts:summary']>;
    output: AlertSummary;
  };
  'metrics:series': {
    input: z.input<(typeof requestSchemas)['metrics:series']>;
    output: MetricSeries;
  };
  'metrics:retention': {
    input: z.input<(typeof requestSchemas)['metrics:retention']>;
    output: MetricRetention;
  };
  'metrics:setRetention': {
    input: z.input<(typeof requestSchemas)['metrics:setRetention']>;
    output: MetricRetention;
  };
  'capacity:report': {
    input: z.input<(typeof requestSchemas)['capacity:report']>;
    output: CapacityReport;
  };
  'webhooks:list': {
    input: z.input<(typeof requestSchemas)['webhooks:list']>;
    output: readonly WebhookDto[];
  };
  'webhooks:add': { input: z.input<(typeof requestSchemas)['webhooks:add']>; output: WebhookDto };
  'webhooks:update': {
    input: z.input<(typeof requestSchemas)['webhooks:update']>;
    output: WebhookDto;
  };
  'webhooks:remove': {
    input: z.input<(typeof requestSchemas)['webhooks:remove']>;
    output: { removed: boolean };
  };
  'webhooks:test': {
    input: z.input<(typeof requestSchemas)['webhooks:test']>;
    output: WebhookDelivery;
  };
  'webhooks:deliveries': {
    input: z.input<(typeof requestSchemas)['webhooks:deliveries']>;
    output: readonly WebhookDelivery[];
  };
  'export:run': { input: z.input<(typeof requestSchemas)['export:run']>; output: ExportResult };
  'export:cancel': {
    input: z.input<(typeof requestSchemas)['export:cancel']>;
    output: { cancelled: boolean };
  };
  'snapshots:list': {
    input: z.input<(typeof requestSchemas)['snapshots:list']>;
    output: readonly SnapshotInfo[];
  };
  'snapshots:save': {
    input: z.input<(typeof requestSchemas)['snapshots:save']>;
    output: SnapshotInfo;
  };
  'snapshots:delete': {
    input: z.input<(typeof requestSchemas)['snapshots:delete']>;
    output: { deleted: true };
  };
  'snapshots:diff': {
    input: z.input<(typeof requestSchemas)['snapshots:diff']>;
    output: SnapshotDiff;
  };
  'snapshots:import': {
    input: z.input<(typeof requestSchemas)['snapshots:import']>;
    output: SnapshotInfo;
  };
  'snapshots:cancelImport': {
    input: z.input<(typeof requestSchemas)['snapshots:cancelImport']>;
    output: { cancelled: boolean };
  };
  'snapshots:rows': {
    input: z.input<(typeof requestSchemas)['snapshots:rows']>;
    output: SnapshotRows;
  };
  'schedules:get': {
    input: z.input<(typeof requestSchemas)['schedules:get']>;
    output: ScheduleState;
  };
  'schedules:set': {
    input: z.input<(typeof requestSchemas)['schedules:set']>;
    output: ScheduleState;
  };
  /** The user's preferences (table layouts, theme, scope), shared by every host. */
  'preferences:get': {
    input: z.input<(typeof requestSchemas)['preferences:get']>;
    output: Preferences;
  };
  'preferences:set': {
    input: z.input<(typeof requestSchemas)['preferences:set']>;
    output: { saved: true };
  };
}

export type Channel = keyof RequestMap;
export const CHANNELS = Object.keys(requestSchemas) as Channel[];
export type RequestInput<C extends Channel> = RequestMap[C]['input'];
export type RequestOutput<C extends Channel> = RequestMap[C]['output'];
/** The input after validation (defaults applied). */
export type ParsedInput<C extends Channel> = z.output<(typeof requestSchemas)[C]>;

/**
 * What the desktop app's menu and tray ask the page to do: open an existing dialog or page. Only
 * the Electron shell sends it (serve has no menu).
 */
export const APP_COMMANDS = ['export', 'import-snapshot', 'settings', 'search'] as const;
export type AppCommand = (typeof APP_COMMANDS)[number];

export interface EventMap {
  'sync:progress': SyncProgressEvent;
  'inventory:changed': InventoryChangedEvent;
  'endpoints:changed': { readonly ids: readonly number[] };
  'alerts:raised': AlertsRaisedEvent;
  'alerts:changed': AlertsChangedEvent;
  'webhooks:delivered': WebhookDelivery;
  'export:progress': ExportProgressEvent;
  'snapshots:importProgress': SnapshotImportProgressEvent;
  'app:command': { readonly command: AppCommand };
}
export type EventName = keyof EventMap;
export { EVENT_NAMES } from './event-names.js';

/** The reply shape on every transport. */
export type Reply<C extends Channel> =
  { ok: true; result: RequestOutput<C> } | { ok: false; error: SerializedError };

/** What the preload exposes as `window.infrascope`, and what the serve bridge implements. */
export interface InfrascopeApi {
  invoke<C extends Channel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

/** A desktop action's reply: the same shape as `Reply`, for the few actions main owns. */
export type DesktopReply<T> = { ok: true; result: T } | { ok: false; error: SerializedError };

/**
 * Actions only the Electron main process can do, because they need the OS: it opens the file
 * dialog itself (so every path it reads came from the user, never from the page) and shows in
 * the file manager only files it saw an export produce.
 */
export interface DesktopBridge {
  /**
   * Opens the OS file dialog and imports the chosen file; `null` when the user cancelled the
   * dialog. `importId` names the run for `snapshots:importProgress` and `snapshots:cancelImport`.
   */
  importSnapshot(importId?: string): Promise<DesktopReply<SnapshotInfo | null>>;
  /** Shows the file the export `exportId` wrote in the OS file manager. */
  showExportInFolder(exportId: string): Promise<DesktopReply<{ shown: true }>>;
}

/** The IPC channels of the desktop actions (main handles them; the preload calls them). */
export const DESKTOP_CHANNELS = {
  importSnapshot: 'infrascope:desktop:import-snapshot',
  showExportInFolder: 'infrascope:desktop:show-export',
} as const satisfies Record<keyof DesktopBridge, string>;

/** What the Electron preload exposes as `window.infrascope`: replies stay serialized across the bridge. */
export interface PreloadBridge {
  request<C extends Channel>(channel: C, input: RequestInput<C>): Promise<Reply<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  readonly desktop: DesktopBridge;
}

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, value);
}
