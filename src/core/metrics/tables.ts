import type { Generated, Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

// Type aliases, not interfaces: `withTables` needs their implicit index signature.
/*
 * Tables of the metrics capability (migration 2026-11-24T0700-alerts-metrics). Kept beside the
 * capability and merged with `withTables`, so the shared schema file stays untouched.
 */

export type MetricSeriesTable = {
  id: Generated<number>;
  endpoint_id: number;
  entity_type: string;
  entity_id: string;
};

/** One poll of one series; `t` is epoch seconds (UTC); cpu in MHz, mem/su/sc in MiB. */
export type MetricRawTable = {
  series_id: number;
  t: number;
  cpu: number | null;
  mem: number | null;
  su: number | null;
  sc: number | null;
};

/** One hour or day of one series; `t` is the bucket start (UTC epoch seconds); MiB as raw. */
export type MetricRollupTable = {
  series_id: number;
  t: number;
  n: number;
  cpu_avg: number | null;
  cpu_max: number | null;
  mem_avg: number | null;
  mem_max: number | null;
  su_avg: number | null;
  su_max: number | null;
  sc_max: number | null;
};

/** Poll times per endpoint: the keys to one series' raw points in the time-major raw table. */
export type MetricTickTable = {
  endpoint_id: number;
  t: number;
};

export type MetricDirtyTable = {
  grain: 'hour' | 'day';
  t: number;
};

/** Series whose endpoint was removed; the background pass deletes their rollups. */
export type MetricGoneTable = {
  series_id: number;
};

export type MetricsTables = {
  metric_series: MetricSeriesTable;
  metric_raw: MetricRawTable;
  metric_tick: MetricTickTable;
  metric_hourly: MetricRollupTable;
  metric_daily: MetricRollupTable;
  metric_dirty: MetricDirtyTable;
  metric_gone: MetricGoneTable;
};

/** Memory and storage are stored in whole MiB. */
export const MIB = 1_048_576;

export type MetricsDb = Kysely<Database & MetricsTables>;

export function metricsDb(db: Kysely<Database> | Transaction<Database>): MetricsDb {
  return (db as Kysely<Database>).withTables<MetricsTables>();
}
