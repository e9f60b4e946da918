import type {
  InventoryQuery,
  QueryCell,
  QueryResult,
  QueryRow,
  Scope,
} from '../../../shared/query.js';
import { STALE_MS } from '../components/table-model.js';

/*
 * What the dashboard shows, and the pure rules behind it (endpoint health, cluster usage, the
 * days of the change chart), apart from React so they are unit-tested in node.
 */

export interface Totals {
  readonly vms: number;
  readonly poweredOn: number;
  readonly poweredOff: number;
  readonly suspended: number;
  readonly hosts: number;
  readonly hostsConnected: number;
  /** Disconnected or not responding. */
  readonly hostsDown: number;
  readonly hostsMaintenance: number;
  readonly clusters: number;
  readonly datastores: number;
  readonly datastoreCapacityBytes: number;
  readonly datastoreFreeBytes: number;
  readonly endpoints: number;
  /** Alerts not cleared (active or acknowledged), by severity. */
  readonly critical: number;
  readonly warning: number;
  readonly info: number;
}

export type EndpointHealth = 'healthy' | 'failing' | 'stale' | 'disabled';

export interface EndpointStatus {
  readonly name: string;
  readonly health: EndpointHealth;
  readonly lastStatus: string | null;
  readonly lastSyncAt: string | null;
}

export interface ClusterUsage {
  readonly endpoint: string;
  readonly name: string;
  readonly cpuPercent: number;
  readonly memoryPercent: number;
}

export interface DayCount {
  /** `YYYY-MM-DD`, local time. */
  readonly day: string;
  readonly from: string;
  readonly to: string;
  readonly count: number;
}

export interface DashboardData {
  readonly totals: Totals;
  readonly datastores: readonly QueryRow[];
  readonly changes: readonly QueryRow[];
  readonly endpoints: readonly EndpointStatus[];
  readonly clusters: readonly ClusterUsage[];
  readonly changesByDay: readonly DayCount[];
}

function str(v: QueryCell | undefined): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
function num(v: QueryCell | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/**
 * An endpoint is failing when its last sync failed, stale when its last good sync is older than
 * the tables' stale cut-off (or it never had one), healthy otherwise; disabled ones are apart.
 */
export function endpointHealth(row: QueryRow, now: number): EndpointStatus {
  const lastStatus = str(row['lastStatus']);
  const lastSyncAt = str(row['lastSyncAt']);
  const base = { name: str(row['name']) ?? '', lastStatus, lastSyncAt };
  if (row['enabled'] === false) return { ...base, health: 'disabled' };
  if (lastStatus === 'failed') return { ...base, health: 'failing' };
  if (lastSyncAt === null || now - Date.parse(lastSyncAt) > STALE_MS) {
    return { ...base, health: 'stale' };
  }
  return { ...base, health: 'healthy' };
}

/** CPU and memory in use per cluster, summed over its connected hosts; busiest first. */
export function clusterUsage(hosts: readonly QueryRow[], top = 10): ClusterUsage[] {
  const by = new Map<
    string,
    { endpoint: string; name: string; cpu: number; cpuCap: number; mem: number; memCap: number }
  >();
  for (const h of hosts) {
    const name = str(h['cluster']);
    if (name === null || h['connectionState'] !== 'connected') continue;
    const endpoint = str(h['endpoint']) ?? '';
    const key = `${endpoint}\u0000${name}`;
    const c = by.get(key) ?? { endpoint, name, cpu: 0, cpuCap: 0, mem: 0, memCap: 0 };
    c.cpu += num(h['cpuUsageMhz']);
    c.cpuCap += num(h['cpuMhz']) * num(h['cpuCores']);
    c.mem += num(h['memoryUsageBytes']);
    c.memCap += num(h['memoryBytes']);
    by.set(key, c);
  }
  const pct = (used: number, cap: number): number =>
    cap > 0 ? Math.round((1000 * used) / cap) / 10 : 0;
  return [...by.values()]
    .map((c) => ({
      endpoint: c.endpoint,
      name: c.name,
      cpuPercent: pct(c.cpu, c.cpuCap),
      memoryPercent: pct(c.mem, c.memCap),
    }))
    .sort(
      (a, b) =>
        Math.max(b.cpuPercent, b.memoryPercent) - Math.max(a.cpuPercent, a.memoryPercent) ||
        a.name.localeCompare(b.name, undefined, { numeric: true }),
    )
    .slice(0, top);
}

/** The last `days` local calendar days, oldest first, each as an ISO [from, to) range. */
export function lastDays(days: number, now: Date): { day: string; from: string; to: string }[] {
  const out: { day: string; from: string; to: string }[] = [];
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  for (let i = days - 1; i >= 0; i--) {
    const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - i);
    const to = new Date(from.getFullYear(), from.getMonth(), from.getDate() + 1);
    const pad = (n: number): string => String(n).padStart(2, '0');
    out.push({
      day: `${from.getFullYear()}-${pad(from.getMonth() + 1)}-${pad(from.getDate())}`,
      from: from.toISOString(),
      to: to.toISOString(),
    });
  }
  return out;
}

export type Query = (q: InventoryQuery) => Promise<QueryResult>;

/** Everything the dashboard shows, fetched in parallel: totals only where a count is enough. */
export async function loadDashboard(
  query: Query,
  scope: Scope | undefined,
  now = new Date(),
): Promise<DashboardData> {
  const scoped = (q: InventoryQuery): Promise<QueryResult> => query(scope ? { ...q, scope } : q);
  const count = async (q: Omit<InventoryQuery, 'limit'>): Promise<number> =>
    (await scoped({ ...q, limit: 0 })).total;
  const eq = (field: string, value: string) => ({ field, op: '=' as const, value });
  const power = (value: string): Promise<number> =>
    count({ kind: 'vms', where: [eq('powerState', value)] });
  const openAlerts = (severity: string): Promise<number> =>
    count({
      kind: 'alerts',
      where: [eq('severity', severity), { field: 'state', op: '!=', value: 'cleared' }],
    });
  const days = lastDays(14, now);
  const [vms, poweredOn, poweredOff, suspended, critical, warning, info] = await Promise.all([
    count({ kind: 'vms' }),
    power('poweredOn'),
    power('poweredOff'),
    power('suspended'),
    openAlerts('critical'),
    openAlerts('warning'),
    openAlerts('info'),
  ]);
  const [hosts, hostsMaintenance, clusters, allDatastores, topDatastores, changes, endpoints] =
    await Promise.all([
      scoped({
        kind: 'hosts',
        limit: 10_000,
        fields: [
          'endpoint',
          'cluster',
          'connectionState',
          'cpuMhz',
          'cpuCores',
          'cpuUsageMhz',
          'memoryBytes',
          'memoryUsageBytes',
        ],
      }),
      count({ kind: 'hosts', where: [eq('inMaintenance', 'true')] }),
      count({ kind: 'clusters' }),
      // Sums only: no per-datastore VM and host counts.
      scoped({ kind: 'datastores', limit: 10_000, fields: ['capacityBytes', 'freeBytes'] }),
      scoped({ kind: 'datastores', sort: [{ field: 'usedPercent', desc: true }], limit: 10 }),
      scoped({ kind: 'changes', sort: [{ field: 'at', desc: true }], limit: 10 }),
      // Endpoints by the endpoint part of the scope only: a tag scope that no endpoint label
      // matches still has endpoints (and must not show the "add an endpoint" welcome).
      query({
        kind: 'endpoints',
        limit: 500,
        sort: [{ field: 'name', desc: false }],
        ...(scope?.endpoint ? { scope: { endpoint: scope.endpoint } } : {}),
      }),
    ]);
  const perDay = await Promise.all(
    days.map((d) =>
      count({
        kind: 'changes',
        where: [
          { field: 'at', op: '>=', value: d.from },
          { field: 'at', op: '<', value: d.to },
        ],
      }),
    ),
  );
  const connection = (state: string): number =>
    hosts.rows.filter((h) => h['connectionState'] === state).length;
  return {
    totals: {
      vms,
      poweredOn,
      poweredOff,
      suspended,
      hosts: hosts.total,
      hostsConnected: connection('connected'),
      hostsDown: connection('disconnected') + connection('notResponding'),
      hostsMaintenance,
      clusters,
      datastores: allDatastores.total,
      datastoreCapacityBytes: allDatastores.rows.reduce((s, d) => s + num(d['capacityBytes']), 0),
      datastoreFreeBytes: allDatastores.rows.reduce((s, d) => s + num(d['freeBytes']), 0),
      endpoints: endpoints.total,
      critical,
      warning,
      info,
    },
    datastores: topDatastores.rows,
    changes: changes.rows,
    endpoints: endpoints.rows.map((r) => endpointHealth(r, now.getTime())),
    clusters: clusterUsage(hosts.rows),
    changesByDay: days.map((d, i) => ({ ...d, count: perDay[i] ?? 0 })),
  };
}
