import type { Kysely } from 'kysely';
import type {
  MetricEntityType,
  MetricPoint,
  MetricRange,
  MetricSeries,
} from '../../shared/alerts.js';
import type { Database } from '../store/schema.js';
import { DAY, HOUR } from './rollup.js';
import { MIB, metricsDb } from './tables.js';
import { sql } from 'kysely';

/** How far back each range reaches and which table answers it. */
export const RANGE_SPECS: Readonly<
  Record<MetricRange, { seconds: number; resolution: MetricSeries['resolution'] }>
> = {
  '1h': { seconds: HOUR, resolution: 'raw' },
  '24h': { seconds: DAY, resolution: 'raw' },
  '7d': { seconds: 7 * DAY, resolution: 'hourly' },
  '30d': { seconds: 30 * DAY, resolution: 'hourly' },
  '90d': { seconds: 90 * DAY, resolution: 'daily' },
  '1y': { seconds: 365 * DAY, resolution: 'daily' },
};

/** A bucket being summed: avg = sum / count per metric, so tails merge exactly. */
interface Acc {
  t: number;
  n: number;
  cpuSum: number;
  cpuN: number;
  cpuMax: number | null;
  memSum: number;
  memN: number;
  memMax: number | null;
  suSum: number;
  suN: number;
  suMax: number | null;
  sc: number | null;
}

interface PartRow {
  t: number;
  n: number;
  cpu_avg: number | null;
  cpu_max: number | null;
  mem_avg: number | null;
  mem_max: number | null;
  su_avg: number | null;
  su_max: number | null;
  sc_max: number | null;
}

const maxOf = (a: number | null, b: number | null): number | null =>
  a === null ? b : b === null ? a : Math.max(a, b);

function add(acc: Acc, r: PartRow): void {
  acc.n += r.n;
  if (r.cpu_avg !== null) {
    acc.cpuSum += r.cpu_avg * r.n;
    acc.cpuN += r.n;
  }
  if (r.mem_avg !== null) {
    acc.memSum += r.mem_avg * r.n;
    acc.memN += r.n;
  }
  if (r.su_avg !== null) {
    acc.suSum += r.su_avg * r.n;
    acc.suN += r.n;
  }
  acc.cpuMax = maxOf(acc.cpuMax, r.cpu_max);
  acc.memMax = maxOf(acc.memMax, r.mem_max);
  acc.suMax = maxOf(acc.suMax, r.su_max);
  // Capacity is a level, not a flow: the latest known value wins.
  if (r.sc_max !== null) acc.sc = r.sc_max;
}

function toPoint(a: Acc): MetricPoint {
  return {
    at: new Date(a.t * 1000).toISOString(),
    samples: a.n,
    cpuMhzAvg: a.cpuN ? a.cpuSum / a.cpuN : null,
    cpuMhzMax: a.cpuMax,
    memoryBytesAvg: a.memN ? a.memSum / a.memN : null,
    memoryBytesMax: a.memMax,
    storageUsedBytesAvg: a.suN ? a.suSum / a.suN : null,
    storageUsedBytesMax: a.suMax,
    storageCapacityBytes: a.sc,
  };
}

/** Groups time-ordered rows into buckets of `size` seconds (0: one bucket per row). */
function bucketize(rows: readonly PartRow[], size: number): MetricPoint[] {
  const out: MetricPoint[] = [];
  let cur: Acc | null = null;
  for (const r of rows) {
    const t = size ? Math.floor(r.t / size) * size : r.t;
    if (!cur || cur.t !== t) {
      if (cur) out.push(toPoint(cur));
      cur = {
        t,
        n: 0,
        cpuSum: 0,
        cpuN: 0,
        cpuMax: null,
        memSum: 0,
        memN: 0,
        memMax: null,
        suSum: 0,
        suN: 0,
        suMax: null,
        sc: null,
      };
    }
    add(cur, r);
  }
  if (cur) out.push(toPoint(cur));
  return out;
}

export interface SeriesKey {
  readonly endpointId: number;
  readonly entityType: MetricEntityType;
  readonly entityId: string;
}

/**
 * Reads one entity's points for a chart. Short ranges read raw polls; 7 and 30 days read hourly
 * rollups; longer ranges daily. The newest buckets, not yet rolled up, are summed on the fly
 * from the finer table, and samples still in the writer's inbox are included, so a chart is
 * never behind the last sync.
 */
export async function readSeries(
  db: Kysely<Database>,
  key: SeriesKey,
  range: MetricRange,
  now: Date,
): Promise<MetricSeries> {
  const mdb = metricsDb(db);
  const spec = RANGE_SPECS[range];
  const to = Math.floor(now.getTime() / 1000);
  const from = to - spec.seconds;
  const series = await mdb
    .selectFrom('metric_series')
    .select('id')
    .where('endpoint_id', '=', key.endpointId)
    .where('entity_type', '=', key.entityType)
    .where('entity_id', '=', key.entityId)
    .executeTakeFirst();

  const rows: PartRow[] = [];
  const size = spec.resolution === 'raw' ? 0 : spec.resolution === 'hourly' ? HOUR : DAY;
  let next = from;
  if (series) {
    const levels =
      spec.resolution === 'daily'
        ? (['metric_daily', 'metric_hourly'] as const)
        : spec.resolution === 'hourly'
          ? (['metric_hourly'] as const)
          : ([] as const);
    for (const table of levels) {
      const part = await mdb
        .selectFrom(table)
        .select([
          't',
          'n',
          'cpu_avg',
          'cpu_max',
          'mem_avg',
          'mem_max',
          'su_avg',
          'su_max',
          'sc_max',
        ])
        .where('series_id', '=', series.id)
        .where('t', '>=', table === 'metric_daily' ? Math.floor(next / DAY) * DAY : next)
        .orderBy('t')
        .execute();
      for (const r of part) rows.push(fromMib(r));
      const last = part.at(-1);
      if (last) next = last.t + (table === 'metric_daily' ? DAY : HOUR);
    }
    // Raw is time-major: walk this endpoint's poll times and look the series up at each.
    const raw = (
      await sql<{
        t: number;
        cpu: number | null;
        mem: number | null;
        su: number | null;
        sc: number | null;
      }>`
        SELECT r.t, r.cpu, r.mem, r.su, r.sc
        FROM metric_tick k CROSS JOIN metric_raw r
        WHERE k.endpoint_id = ${key.endpointId} AND k.t >= ${next}
          AND r.t = k.t AND r.series_id = ${series.id}
        ORDER BY k.t`.execute(db)
    ).rows;
    for (const r of raw) rows.push(rawRow(r.t, r.cpu, mib(r.mem), mib(r.su), mib(r.sc)));
    const lastRaw = raw.at(-1);
    if (lastRaw) next = lastRaw.t + 1;
  }
  // Samples the writer stored since the last drain.
  const inbox = await db
    .selectFrom('sample')
    .select(['at', 'cpu_mhz', 'memory_bytes', 'storage_used_bytes', 'storage_capacity_bytes'])
    .where('endpoint_id', '=', key.endpointId)
    .where('entity_type', '=', key.entityType)
    .where('entity_id', '=', key.entityId)
    .where('at', '>=', new Date(next * 1000).toISOString())
    .orderBy('at')
    .execute();
  for (const s of inbox) {
    const t = Math.floor(Date.parse(s.at) / 1000);
    if (t < next) continue;
    rows.push(rawRow(t, s.cpu_mhz, s.memory_bytes, s.storage_used_bytes, s.storage_capacity_bytes));
  }
  const points = bucketize(
    rows.filter((r) => r.t >= Math.floor(from / (size || 1)) * (size || 1) && r.t <= to),
    size,
  );
  return {
    entityType: key.entityType,
    endpointId: key.endpointId,
    entityId: key.entityId,
    range,
    resolution: spec.resolution,
    from: new Date(from * 1000).toISOString(),
    to: new Date(to * 1000).toISOString(),
    points,
  };
}

const mib = (v: number | null): number | null => (v === null ? null : v * MIB);

function fromMib(r: PartRow): PartRow {
  return {
    ...r,
    mem_avg: mib(r.mem_avg),
    mem_max: mib(r.mem_max),
    su_avg: mib(r.su_avg),
    su_max: mib(r.su_max),
    sc_max: mib(r.sc_max),
  };
}

function rawRow(
  t: number,
  cpu: number | null,
  mem: number | null,
  su: number | null,
  sc: number | null,
): PartRow {
  return {
    t,
    n: 1,
    cpu_avg: cpu,
    cpu_max: cpu,
    mem_avg: mem,
    mem_max: mem,
    su_avg: su,
    su_max: su,
    sc_max: sc,
  };
}

/**
 * Daily peaks of storage used for one series over the last `days` days, newest last: what the
 * capacity forecast fits a line to. Reads hourly rollups plus the unrolled raw tail.
 */
export async function dailyPeaks(
  db: Kysely<Database>,
  key: SeriesKey,
  days: number,
  now: Date,
  field: 'su' | 'cpu' | 'mem' = 'su',
): Promise<{ day: number; max: number | null; avg: number | null }[]> {
  const range = days <= 30 ? '30d' : days <= 90 ? '90d' : '1y';
  const s = await readSeries(db, key, range, now);
  const cutoff = now.getTime() / 1000 - days * DAY;
  const byDay = new Map<number, { max: number | null; sum: number; n: number }>();
  for (const p of s.points) {
    const t = Date.parse(p.at) / 1000;
    if (t < Math.floor(cutoff / DAY) * DAY) continue;
    const day = Math.floor(t / DAY) * DAY;
    const max =
      field === 'su' ? p.storageUsedBytesMax : field === 'cpu' ? p.cpuMhzMax : p.memoryBytesMax;
    const avg =
      field === 'su' ? p.storageUsedBytesAvg : field === 'cpu' ? p.cpuMhzAvg : p.memoryBytesAvg;
    const cur = byDay.get(day) ?? { max: null, sum: 0, n: 0 };
    cur.max = maxOf(cur.max, max);
    if (avg !== null) {
      cur.sum += avg * p.samples;
      cur.n += p.samples;
    }
    byDay.set(day, cur);
  }
  return [...byDay.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([day, v]) => ({ day, max: v.max, avg: v.n ? v.sum / v.n : null }));
}
