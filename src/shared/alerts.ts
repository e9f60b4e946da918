import { z } from 'zod';
import { scopeSchema } from './query.js';
import { request, returns } from './channel.js';

/*
 * The alerts, metrics, capacity and webhooks slice of the contract: request schemas, DTOs and
 * push-event payloads. Pure: no Node, no other layer.
 */

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** `cleared` is the automatic resolution: the condition no longer holds. */
export const ALERT_STATES = ['active', 'acknowledged', 'cleared'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = {
  info: 0,
  warning: 1,
  critical: 2,
};

/** Every built-in rule. Thresholds live in each rule's params and are editable. */
export const ALERT_RULE_IDS = [
  'host-connection',
  'host-maintenance',
  'host-ssh-shell',
  'host-ntp',
  'host-certificate-expiring',
  'host-vcpu-ratio',
  'datastore-usage',
  'datastore-overallocated',
  'datastore-vm-count',
  'datastore-forecast-full',
  'vm-powered-off-unexpectedly',
  'vm-powered-off-long',
  'snapshot-old',
  'snapshot-large',
  'vm-tools',
  'vm-cdrom-connected',
  'vm-guest-disk-free',
  'vm-consolidation-needed',
  'endpoint-sync-failing',
  'endpoint-stale',
  'hyperv-vm-health',
  'endpoint-certificate-expiring',
] as const;
export type AlertRuleId = (typeof ALERT_RULE_IDS)[number];

/** Alert subjects: inventory entity types, or the endpoint itself. */
export const ALERT_ENTITY_TYPES = [
  'endpoint',
  'host',
  'datastore',
  'vm',
  'snapshot',
  'cluster',
] as const;
export type AlertEntityType = (typeof ALERT_ENTITY_TYPES)[number];

export interface AlertDto {
  readonly id: number;
  readonly rule: string;
  readonly severity: AlertSeverity;
  readonly state: AlertState;
  readonly endpointId: number | null;
  readonly endpoint: string | null;
  readonly entityType: string | null;
  readonly entityId: string | null;
  readonly entityName: string | null;
  readonly message: string;
  /** How many times the condition was raised while this alert was open (flaps fold into one). */
  readonly count: number;
  readonly raisedAt: string;
  readonly lastSeen: string;
  readonly clearedAt: string | null;
  readonly ackedAt: string | null;
  readonly ackedBy: string | null;
  readonly ackComment: string | null;
  readonly snoozedUntil: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AlertHistoryEntry {
  readonly at: string;
  readonly action:
    | 'raised'
    | 'repeated'
    | 'escalated'
    | 'acknowledged'
    | 'snoozed'
    | 'unsnoozed'
    | 'cleared'
    | 'reopened'
    | 'suppressed';
  readonly actor: string | null;
  readonly comment: string | null;
}

export interface AlertRuleDto {
  readonly rule: AlertRuleId;
  readonly title: string;
  readonly description: string;
  readonly entityType: AlertEntityType;
  readonly enabled: boolean;
  /** Current thresholds (defaults merged with edits). */
  readonly params: Readonly<Record<string, number>>;
  readonly defaults: Readonly<Record<string, number>>;
  /** Empty both: the rule applies everywhere. Otherwise only to these endpoints or tags. */
  readonly endpointIds: readonly number[];
  readonly tags: readonly string[];
}

export interface SuppressionDto {
  readonly id: number;
  readonly rule: string;
  readonly endpointId: number;
  readonly entityType: string;
  readonly entityId: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** Open alerts at a glance: counts for the dashboard, and the worst severity per object for badges. */
export interface AlertSummary {
  readonly open: Readonly<Record<AlertSeverity, number>>;
  readonly snoozed: number;
  /** One entry per object with open, unsnoozed alerts. */
  readonly entities: readonly {
    readonly endpointId: number;
    /** The endpoint's name: table rows carry the name, not the id. */
    readonly endpoint: string;
    readonly entityType: string;
    readonly entityId: string;
    readonly severity: AlertSeverity;
    readonly count: number;
  }[];
}

export interface EvaluationSummary {
  readonly raised: number;
  readonly repeated: number;
  readonly cleared: number;
  readonly open: number;
}

export const alertListSchema = z.object({
  /** `open` = active or acknowledged. */
  state: z.enum(['open', 'active', 'acknowledged', 'cleared', 'all']).default('open'),
  severity: z.enum(ALERT_SEVERITIES).optional(),
  endpointId: z.number().int().positive().optional(),
  rule: z.string().max(64).optional(),
  entityType: z.string().max(32).optional(),
  entityId: z.string().max(256).optional(),
  /** The workspace scope (endpoint name and/or tag), as for inventory queries. */
  scope: scopeSchema.optional(),
  /** Snoozed alerts are left out of open lists unless asked for. */
  includeSnoozed: z.boolean().default(false),
  limit: z.number().int().min(1).max(10_000).default(500),
  offset: z.number().int().min(0).default(0),
});

const alertIds = z.array(z.number().int().positive()).min(1).max(10_000);

export const alertAckSchema = z.object({ ids: alertIds, comment: z.string().max(2000).optional() });
export const alertSnoozeSchema = z.object({
  ids: alertIds,
  /** 0 ends a snooze. */
  minutes: z
    .number()
    .int()
    .min(0)
    .max(60 * 24 * 365),
});
export const alertSuppressSchema = z.object({
  rule: z.enum(ALERT_RULE_IDS),
  endpointId: z.number().int().positive(),
  entityType: z.enum(ALERT_ENTITY_TYPES),
  entityId: z.string().min(1).max(256),
  reason: z.string().max(2000).default(''),
});
export const alertUpdateRuleSchema = z.object({
  rule: z.enum(ALERT_RULE_IDS),
  enabled: z.boolean().optional(),
  params: z.record(z.string().max(64), z.number().finite()).optional(),
  endpointIds: z.array(z.number().int().positive()).max(1000).optional(),
  tags: z.array(z.string().trim().min(1).max(128)).max(200).optional(),
});

export const METRIC_RANGES = ['1h', '24h', '7d', '30d', '90d', '1y'] as const;
export type MetricRange = (typeof METRIC_RANGES)[number];
export const METRIC_ENTITY_TYPES = ['host', 'vm', 'datastore', 'cluster'] as const;
export type MetricEntityType = (typeof METRIC_ENTITY_TYPES)[number];

export const metricSeriesSchema = z.object({
  entityType: z.enum(METRIC_ENTITY_TYPES),
  endpointId: z.number().int().positive(),
  entityId: z.string().min(1).max(256),
  range: z.enum(METRIC_RANGES),
});

/** One chart point. Raw points have avg = max = the sample. Times are UTC ISO strings. */
export interface MetricPoint {
  readonly at: string;
  readonly samples: number;
  readonly cpuMhzAvg: number | null;
  readonly cpuMhzMax: number | null;
  readonly memoryBytesAvg: number | null;
  readonly memoryBytesMax: number | null;
  readonly storageUsedBytesAvg: number | null;
  readonly storageUsedBytesMax: number | null;
  readonly storageCapacityBytes: number | null;
}

export interface MetricSeries {
  readonly entityType: MetricEntityType;
  readonly endpointId: number;
  readonly entityId: string;
  readonly range: MetricRange;
  readonly resolution: 'raw' | 'hourly' | 'daily';
  readonly from: string;
  readonly to: string;
  readonly points: readonly MetricPoint[];
}

export interface MetricRetention {
  readonly rawDays: number;
  readonly hourlyDays: number;
  readonly dailyDays: number;
}

export const metricRetentionSchema = z.object({
  rawDays: z.number().int().min(1).max(90),
  hourlyDays: z.number().int().min(1).max(730),
  dailyDays: z.number().int().min(1).max(3650),
});

export const capacityReportSchema = z.object({
  endpointId: z.number().int().positive().optional(),
  /** The workspace scope (endpoint name and/or tag), as for inventory queries. */
  scope: scopeSchema.optional(),
});

export interface DatastoreForecast {
  readonly endpointId: number;
  readonly datastoreId: string;
  readonly name: string;
  readonly capacityBytes: number | null;
  readonly usedBytes: number | null;
  readonly usedPercent: number | null;
  /** Growth per day of the daily peaks, from a least-squares fit. */
  readonly growthBytesPerDay: number | null;
  /** Null when not growing or too few days of history. */
  readonly daysUntilFull: number | null;
  /** R² of the fit, 0..1: how well a straight line explains the history. */
  readonly confidence: number | null;
  readonly historyDays: number;
}

export interface ClusterHeadroom {
  readonly endpointId: number;
  readonly clusterId: string;
  readonly name: string;
  readonly hosts: number;
  /** Capacity with the largest host removed (N+1). */
  readonly cpuCapacityMhz: number;
  readonly memoryCapacityBytes: number;
  readonly cpuUsedMhz: number;
  readonly memoryUsedBytes: number;
  readonly medianVmCpuMhz: number;
  readonly medianVmMemoryBytes: number;
  /** How many more median-size VMs fit, limited by the scarcer of CPU and memory. */
  readonly vmsThatFit: number;
  readonly limitedBy: 'cpu' | 'memory' | 'none';
}

export interface VmRightSizing {
  readonly endpointId: number;
  readonly vmId: string;
  readonly name: string;
  readonly cpuCount: number | null;
  readonly memoryMb: number | null;
  /** Peak CPU use over the window as a share of the allocation (vCPUs × host MHz), 0..1. */
  readonly peakCpuShare: number | null;
  readonly avgCpuShare: number | null;
  readonly peakMemoryShare: number | null;
  readonly days: number;
}

export interface ReclaimableSnapshot {
  readonly endpointId: number;
  readonly snapshotId: string;
  readonly vmId: string | null;
  readonly vmName: string | null;
  readonly name: string;
  readonly createdAt: string | null;
  readonly ageDays: number | null;
  readonly sizeBytes: number | null;
  /** The VM is gone but the snapshot row remains. */
  readonly orphaned: boolean;
}

export interface CapacityReport {
  readonly generatedAt: string;
  readonly datastores: readonly DatastoreForecast[];
  readonly clusters: readonly ClusterHeadroom[];
  readonly idleVms: readonly VmRightSizing[];
  readonly oversizedVms: readonly VmRightSizing[];
  readonly snapshots: readonly ReclaimableSnapshot[];
  readonly reclaimableSnapshotBytes: number;
}

export const WEBHOOK_FORMATS = ['json', 'slack', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const webhookAddSchema = z.object({
  name: z.string().trim().min(1).max(100),
  url: z
    .string()
    .url()
    .max(2000)
    .refine((u) => /^https?:\/\//i.test(u), 'http or https only'),
  format: z.enum(WEBHOOK_FORMATS).default('json'),
  minSeverity: z.enum(ALERT_SEVERITIES).default('warning'),
  enabled: z.boolean().default(true),
});

/** What can change on a webhook in place (a new URL: remove it and add it again). */
export const webhookUpdateSchema = z
  .object({
    id: z.number().int().positive(),
    enabled: z.boolean().optional(),
    format: z.enum(WEBHOOK_FORMATS).optional(),
    minSeverity: z.enum(ALERT_SEVERITIES).optional(),
  })
  .strict();

/** The URL is sealed at rest and never sent back: it is the webhook's credential (Slack, Teams). */
export interface WebhookDto {
  readonly id: number;
  readonly name: string;
  /** Scheme and host only. */
  readonly urlHint: string;
  readonly format: WebhookFormat;
  readonly minSeverity: AlertSeverity;
  readonly enabled: boolean;
  readonly createdAt: string;
}

export interface WebhookDelivery {
  readonly id: number;
  readonly webhookId: number;
  readonly alertId: number | null;
  readonly at: string;
  readonly attempts: number;
  readonly status: 'delivered' | 'failed';
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

/** Pushed when new alerts open (or reopen), for desktop notifications and the console. */
export interface AlertsRaisedEvent {
  readonly alerts: readonly AlertDto[];
}

/** Pushed after any alert state change (evaluation, acknowledge, snooze). */
export interface AlertsChangedEvent {
  readonly ids: readonly number[];
}

const byId = z.object({ id: z.number().int().positive() }).strict();
const noInput = z.object({}).strict();
const forEndpoint = z.object({ endpointId: z.number().int().positive().optional() }).strict();

/** The alerts, metrics, capacity and webhooks slice of the contract. */
export const alertChannels = {
  'alerts:list': request(alertListSchema.strict(), returns<readonly AlertDto[]>()),
  'alerts:ack': request(alertAckSchema.strict(), returns<{ updated: number }>()),
  'alerts:snooze': request(alertSnoozeSchema.strict(), returns<{ updated: number }>()),
  'alerts:history': request(byId, returns<readonly AlertHistoryEntry[]>()),
  'alerts:suppress': request(alertSuppressSchema.strict(), returns<SuppressionDto>()),
  'alerts:unsuppress': request(byId, returns<{ removed: boolean }>()),
  'alerts:suppressions': request(noInput, returns<readonly SuppressionDto[]>()),
  'alerts:rules': request(noInput, returns<readonly AlertRuleDto[]>()),
  'alerts:updateRule': request(alertUpdateRuleSchema.strict(), returns<AlertRuleDto>()),
  'alerts:evaluate': request(forEndpoint, returns<EvaluationSummary>()),
  'alerts:summary': request(forEndpoint, returns<AlertSummary>()),
  'metrics:series': request(metricSeriesSchema.strict(), returns<MetricSeries>()),
  'metrics:retention': request(noInput, returns<MetricRetention>()),
  'metrics:setRetention': request(metricRetentionSchema.strict(), returns<MetricRetention>()),
  'capacity:report': request(capacityReportSchema.strict(), returns<CapacityReport>()),
  'webhooks:list': request(noInput, returns<readonly WebhookDto[]>()),
  'webhooks:add': request(webhookAddSchema.strict(), returns<WebhookDto>()),
  'webhooks:update': request(webhookUpdateSchema, returns<WebhookDto>()),
  'webhooks:remove': request(byId, returns<{ removed: boolean }>()),
  'webhooks:test': request(byId, returns<WebhookDelivery>()),
  'webhooks:deliveries': request(
    z
      .object({
        id: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    returns<readonly WebhookDelivery[]>(),
  ),
};
