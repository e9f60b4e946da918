import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type {
  CapacityReport,
  ClusterHeadroom,
  DatastoreForecast,
  ReclaimableSnapshot,
  VmRightSizing,
} from '../../shared/alerts.js';
import { DAY } from '../metrics/rollup.js';
import { dailyPeaks } from '../metrics/series.js';
import type { Database } from '../store/schema.js';
import { forecastFull, median } from './forecast.js';

/** Entity columns arrive typed loosely from the shared schema; numbers are numbers here. */
function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export interface CapacityOptions {
  readonly endpointId?: number;
  readonly now: Date;
  /** Days of daily peaks the datastore forecast fits. */
  readonly forecastDays?: number;
  /** Idle: average CPU below this share of the allocation on every day of the window. */
  readonly idleCpuShare?: number;
  readonly idleDays?: number;
  /** Oversized: peak CPU below this share of the allocation over the window. */
  readonly oversizedCpuShare?: number;
  readonly oversizedDays?: number;
  /** Snapshots older than this are listed as reclaimable. */
  readonly snapshotAgeDays?: number;
}

/** Forecast for one datastore from its history; null fields when there is too little of it. */
export async function datastoreForecast(
  db: Kysely<Database>,
  ds: {
    endpointId: number;
    id: string;
    name: string;
    capacityBytes: number | null;
    freeBytes: number | null;
  },
  now: Date,
  days = 30,
): Promise<DatastoreForecast> {
  const peaks = await dailyPeaks(
    db,
    { endpointId: ds.endpointId, entityType: 'datastore', entityId: ds.id },
    days,
    now,
  );
  const points = peaks.flatMap((p) => (p.max === null ? [] : [[p.day / DAY, p.max] as const]));
  const used =
    ds.capacityBytes !== null && ds.freeBytes !== null ? ds.capacityBytes - ds.freeBytes : null;
  const f =
    ds.capacityBytes !== null
      ? forecastFull(points, ds.capacityBytes, now.getTime() / 1000 / DAY)
      : null;
  return {
    endpointId: ds.endpointId,
    datastoreId: ds.id,
    name: ds.name,
    capacityBytes: ds.capacityBytes,
    usedBytes: used,
    usedPercent: used !== null && ds.capacityBytes ? (100 * used) / ds.capacityBytes : null,
    growthBytesPerDay: f?.growthPerDay ?? null,
    daysUntilFull: f?.daysUntilFull ?? null,
    confidence: f?.r2 ?? null,
    historyDays: points.length,
  };
}

interface CpuWindow {
  entity_id: string;
  endpoint_id: number;
  days: number;
  max_day_avg: number | null;
  peak: number | null;
  avg: number | null;
  /** MiB, as stored. */
  mem_peak: number | null;
}

/**
 * Per VM over the closed days of a window (daily rollups: 30 rows a VM instead of 720 hourly):
 * days with data, the highest daily CPU average, the CPU and memory peaks.
 */
async function vmCpuWindows(
  db: Kysely<Database>,
  endpointId: number | undefined,
  since: number,
): Promise<Map<string, CpuWindow>> {
  // CROSS JOIN walks each VM series' primary-key range instead of scanning the daily table.
  const r = await sql<CpuWindow>`
    SELECT ms.entity_id, ms.endpoint_id, count(*) AS days, max(d.cpu_avg) AS max_day_avg,
           max(d.cpu_max) AS peak, sum(d.cpu_avg * d.n) / sum(d.n) AS avg, max(d.mem_max) AS mem_peak
    FROM metric_series ms CROSS JOIN metric_daily d
    WHERE ms.entity_type = 'vm' AND d.series_id = ms.id AND d.t >= ${Math.floor(since / DAY) * DAY}
      AND d.cpu_avg IS NOT NULL
      ${endpointId === undefined ? sql`` : sql`AND ms.endpoint_id = ${endpointId}`}
    GROUP BY ms.id`.execute(db);
  return new Map(r.rows.map((w) => [`${w.endpoint_id}:${w.entity_id}`, w]));
}

/**
 * The capacity report: datastore days-until-full, cluster headroom (N+1), idle and oversized VMs,
 * reclaimable snapshots.
 */
export async function capacityReport(
  db: Kysely<Database>,
  opts: CapacityOptions,
): Promise<CapacityReport> {
  const now = opts.now;
  const nowS = Math.floor(now.getTime() / 1000);
  const ep = opts.endpointId;
  const datastores = await db
    .selectFrom('datastore')
    .select(['endpoint_id', 'native_id', 'name', 'capacity_bytes', 'free_bytes'])
    .where('deleted_at', 'is', null)
    .$if(ep !== undefined, (q) => q.where('endpoint_id', '=', ep!))
    .orderBy('name')
    .execute();
  const forecasts: DatastoreForecast[] = [];
  for (const d of datastores) {
    forecasts.push(
      await datastoreForecast(
        db,
        {
          endpointId: d.endpoint_id,
          id: d.native_id,
          name: d.name,
          capacityBytes: num(d.capacity_bytes),
          freeBytes: num(d.free_bytes),
        },
        now,
        opts.forecastDays ?? 30,
      ),
    );
  }
  forecasts.sort((a, b) => (a.daysUntilFull ?? Infinity) - (b.daysUntilFull ?? Infinity));

  const hosts = await db
    .selectFrom('host')
    .select([
      'endpoint_id',
      'native_id',
      'cluster_id',
      'connection_state',
      'in_maintenance',
      'cpu_mhz',
      'cpu_cores',
      'memory_bytes',
      'cpu_usage_mhz',
      'memory_usage_bytes',
    ])
    .where('deleted_at', 'is', null)
    .$if(ep !== undefined, (q) => q.where('endpoint_id', '=', ep!))
    .execute();
  const vms = await db
    .selectFrom('vm')
    .select([
      'endpoint_id',
      'native_id',
      'name',
      'host_id',
      'cluster_id',
      'power_state',
      'is_template',
      'cpu_count',
      'memory_mb',
      'cpu_usage_mhz',
    ])
    .where('deleted_at', 'is', null)
    .$if(ep !== undefined, (q) => q.where('endpoint_id', '=', ep!))
    .execute();
  const clusters = await db
    .selectFrom('cluster')
    .select(['endpoint_id', 'native_id', 'name'])
    .where('deleted_at', 'is', null)
    .$if(ep !== undefined, (q) => q.where('endpoint_id', '=', ep!))
    .orderBy('name')
    .execute();

  const headroom: ClusterHeadroom[] = [];
  for (const c of clusters) {
    const members = hosts.filter(
      (h) =>
        h.endpoint_id === c.endpoint_id &&
        h.cluster_id === c.native_id &&
        h.connection_state === 'connected' &&
        !num(h.in_maintenance),
    );
    const cpuOf = (h: (typeof members)[number]): number =>
      (num(h.cpu_mhz) ?? 0) * (num(h.cpu_cores) ?? 0);
    const memOf = (h: (typeof members)[number]): number => num(h.memory_bytes) ?? 0;
    // N+1: the cluster must carry its load with its largest host gone.
    const cpuCap = members.reduce((s, h) => s + cpuOf(h), 0) - Math.max(0, ...members.map(cpuOf));
    const memCap = members.reduce((s, h) => s + memOf(h), 0) - Math.max(0, ...members.map(memOf));
    const running = vms.filter(
      (v) =>
        v.endpoint_id === c.endpoint_id &&
        v.cluster_id === c.native_id &&
        v.power_state === 'poweredOn' &&
        !num(v.is_template),
    );
    const cpuUsed = members.reduce((s, h) => s + (num(h.cpu_usage_mhz) ?? 0), 0);
    // Memory is sized by what VMs are given (it does not overcommit well); CPU by what they use.
    const memUsed = running.reduce((s, v) => s + (num(v.memory_mb) ?? 0) * 2 ** 20, 0);
    const medCpu = median(running.map((v) => num(v.cpu_usage_mhz) ?? 0)) ?? 0;
    const medMem = (median(running.map((v) => num(v.memory_mb) ?? 0)) ?? 0) * 2 ** 20;
    const byCpu = medCpu > 0 ? Math.floor(Math.max(0, cpuCap - cpuUsed) / medCpu) : Infinity;
    const byMem = medMem > 0 ? Math.floor(Math.max(0, memCap - memUsed) / medMem) : Infinity;
    const fit = Math.min(byCpu, byMem);
    headroom.push({
      endpointId: c.endpoint_id,
      clusterId: c.native_id,
      name: c.name,
      hosts: members.length,
      cpuCapacityMhz: cpuCap,
      memoryCapacityBytes: memCap,
      cpuUsedMhz: cpuUsed,
      memoryUsedBytes: memUsed,
      medianVmCpuMhz: medCpu,
      medianVmMemoryBytes: medMem,
      vmsThatFit: Number.isFinite(fit) ? fit : 0,
      limitedBy: !Number.isFinite(fit) ? 'none' : byCpu <= byMem ? 'cpu' : 'memory',
    });
  }

  const idleDays = opts.idleDays ?? 14;
  const overDays = opts.oversizedDays ?? 30;
  const idleWindows = await vmCpuWindows(db, ep, nowS - idleDays * DAY);
  const overWindows = await vmCpuWindows(db, ep, nowS - overDays * DAY);
  const hostMhz = new Map(
    hosts.map((h) => [`${h.endpoint_id}:${h.native_id}`, num(h.cpu_mhz) ?? 0]),
  );
  const idleVms: VmRightSizing[] = [];
  const oversizedVms: VmRightSizing[] = [];
  const idleShare = opts.idleCpuShare ?? 0.02;
  const overShare = opts.oversizedCpuShare ?? 0.25;
  for (const v of vms) {
    if (v.power_state !== 'poweredOn' || num(v.is_template)) continue;
    const alloc =
      (num(v.cpu_count) ?? 0) * (hostMhz.get(`${v.endpoint_id}:${v.host_id ?? ''}`) ?? 0);
    if (alloc <= 0) continue;
    const key = `${v.endpoint_id}:${v.native_id}`;
    const iw = idleWindows.get(key);
    const ow = overWindows.get(key);
    const entry = (w: CpuWindow): VmRightSizing => ({
      endpointId: v.endpoint_id,
      vmId: v.native_id,
      name: v.name,
      cpuCount: num(v.cpu_count),
      memoryMb: num(v.memory_mb),
      peakCpuShare: w.peak === null ? null : w.peak / alloc,
      avgCpuShare: w.avg === null ? null : w.avg / alloc,
      peakMemoryShare:
        w.mem_peak === null || !num(v.memory_mb) ? null : w.mem_peak / (num(v.memory_mb) ?? 1),
      days: w.days,
    });
    if (
      iw &&
      iw.days >= idleDays &&
      iw.max_day_avg !== null &&
      iw.max_day_avg < idleShare * alloc
    ) {
      idleVms.push(entry(iw));
      continue;
    }
    if (
      ow &&
      ow.days >= 7 &&
      (num(v.cpu_count) ?? 0) >= 2 &&
      ow.peak !== null &&
      ow.peak < overShare * alloc
    ) {
      oversizedVms.push(entry(ow));
    }
  }
  idleVms.sort((a, b) => (a.avgCpuShare ?? 0) - (b.avgCpuShare ?? 0));
  oversizedVms.sort((a, b) => (a.peakCpuShare ?? 0) - (b.peakCpuShare ?? 0));

  const ageDays = opts.snapshotAgeDays ?? 7;
  const snaps = await db
    .selectFrom('snapshot as s')
    .leftJoin('vm as v', (j) =>
      j.onRef('v.endpoint_id', '=', 's.endpoint_id').onRef('v.native_id', '=', 's.vm_id'),
    )
    .select([
      's.endpoint_id',
      's.native_id',
      's.name',
      's.vm_id',
      's.created_at',
      's.size_bytes',
      'v.name as vm_name',
      'v.deleted_at as vm_deleted_at',
      'v.id as vm_row',
    ])
    .where('s.deleted_at', 'is', null)
    .$if(ep !== undefined, (q) => q.where('s.endpoint_id', '=', ep!))
    .execute();
  const snapshots: ReclaimableSnapshot[] = [];
  for (const s of snaps) {
    const age = s.created_at ? (now.getTime() - Date.parse(s.created_at)) / (DAY * 1000) : null;
    const orphaned = s.vm_row === null || s.vm_deleted_at !== null;
    if (!orphaned && (age === null || age < ageDays)) continue;
    snapshots.push({
      endpointId: s.endpoint_id,
      snapshotId: s.native_id,
      vmId: s.vm_id,
      vmName: s.vm_name,
      name: s.name,
      createdAt: s.created_at,
      ageDays: age,
      sizeBytes: num(s.size_bytes),
      orphaned,
    });
  }
  snapshots.sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0));

  return {
    generatedAt: now.toISOString(),
    datastores: forecasts,
    clusters: headroom,
    idleVms,
    oversizedVms,
    snapshots,
    reclaimableSnapshotBytes: snapshots.reduce((s, x) => s + (x.sizeBytes ?? 0), 0),
  };
}
