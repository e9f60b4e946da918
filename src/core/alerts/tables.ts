import type { Generated, Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

// Type aliases, not interfaces: `withTables` needs their implicit index signature.
/*
 * Tables and columns of the alerts capability (migration 2026-11-24T0700-alerts-metrics), merged
 * with `withTables` so the shared schema file stays untouched. `alert` keeps every column the
 * query engine's `alerts` kind reads; these are the columns added to it.
 */

export type AlertExtraColumns = {
  /** rule|endpoint|entityType|entityId: one open alert per key. */
  alert_key: string | null;
  count: Generated<number>;
  last_seen: string | null;
  ack_comment: string | null;
  snoozed_until: string | null;
  /** What made the last occurrence (a change-log id, a failed run id) so repeats count once. */
  occurrence: string | null;
  details: Generated<string>;
};

export type AlertHistoryTable = {
  id: Generated<number>;
  alert_id: number;
  at: string;
  action: string;
  actor: string | null;
  comment: string | null;
};

export type AlertRuleTable = {
  rule: string;
  enabled: Generated<number>;
  params: Generated<string>;
  endpoint_ids: Generated<string>;
  tags: Generated<string>;
  updated_at: string;
  updated_by: string | null;
};

export type AlertSuppressionTable = {
  id: Generated<number>;
  rule: string;
  endpoint_id: number;
  entity_type: string;
  entity_id: string;
  reason: Generated<string>;
  created_by: string;
  created_at: string;
};

export type WebhookTable = {
  id: Generated<number>;
  name: string;
  url_backend: string;
  url_sealed: Buffer;
  url_hint: string;
  format: Generated<string>;
  min_severity: Generated<string>;
  enabled: Generated<number>;
  created_at: string;
};

export type WebhookDeliveryTable = {
  id: Generated<number>;
  webhook_id: number;
  alert_id: number | null;
  at: string;
  attempts: number;
  status: string;
  http_status: number | null;
  error: string | null;
  duration_ms: number;
};

export type AlertsTables = {
  alert: AlertExtraColumns;
  alert_history: AlertHistoryTable;
  alert_rule: AlertRuleTable;
  alert_suppression: AlertSuppressionTable;
  webhook: WebhookTable;
  webhook_delivery: WebhookDeliveryTable;
};

export type AlertsDb = Kysely<Database & AlertsTables>;

export function alertsDb(db: Kysely<Database> | Transaction<Database>): AlertsDb {
  return (db as Kysely<Database>).withTables<AlertsTables>();
}
