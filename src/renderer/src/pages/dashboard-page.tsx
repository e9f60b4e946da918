import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Cell,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { InventoryQuery, QueryCell, QueryRow, Scope } from '../../../shared/query.js';
import { formatBytes, formatRelative } from '../format.js';
import { ScopeNote } from '../components/scope-selector.js';
import { useQueryScope } from '../stores/scope.js';
import { useUi } from '../stores/ui.js';
import { api } from '../transport.js';

interface Totals {
  readonly vms: number;
  readonly poweredOn: number;
  readonly poweredOff: number;
  readonly suspended: number;
  readonly hosts: number;
  readonly clusters: number;
  readonly datastores: number;
  readonly endpoints: number;
  /** Alerts not cleared (active or acknowledged), by severity. */
  readonly critical: number;
  readonly warning: number;
}

interface DashboardData {
  readonly totals: Totals;
  readonly datastores: readonly QueryRow[];
  readonly changes: readonly QueryRow[];
}

const POWER_COLORS = { On: '#4cc38a', Off: '#8b95a5', Suspended: '#e0b341' } as const;

/** Everything the dashboard shows, fetched in parallel: totals only where a count is enough. */
async function loadDashboard(scope: Scope | undefined): Promise<DashboardData> {
  const query = (q: InventoryQuery): ReturnType<typeof api.invoke<'inventory:query'>> =>
    api.invoke('inventory:query', scope ? { ...q, scope } : q);
  const count = async (q: Omit<InventoryQuery, 'limit'>): Promise<number> =>
    (await query({ ...q, limit: 0 })).total;
  const power = (value: string): Promise<number> =>
    count({ kind: 'vms', where: [{ field: 'powerState', op: '=', value }] });
  const openAlerts = (severity: string): Promise<number> =>
    count({
      kind: 'alerts',
      where: [
        { field: 'severity', op: '=', value: severity },
        { field: 'state', op: '!=', value: 'cleared' },
      ],
    });
  const [critical, warning] = await Promise.all([openAlerts('critical'), openAlerts('warning')]);
  const [vms, poweredOn, poweredOff, suspended, hosts, clusters, datastores, endpoints, ds, ch] =
    await Promise.all([
      count({ kind: 'vms' }),
      power('poweredOn'),
      power('poweredOff'),
      power('suspended'),
      count({ kind: 'hosts' }),
      count({ kind: 'clusters' }),
      count({ kind: 'datastores' }),
      // Endpoints by the endpoint part of the scope only: a tag scope that no endpoint label
      // matches still has endpoints (and must not show the "add an endpoint" welcome).
      api
        .invoke('inventory:query', {
          kind: 'endpoints',
          limit: 0,
          ...(scope?.endpoint ? { scope: { endpoint: scope.endpoint } } : {}),
        })
        .then((r) => r.total),
      query({
        kind: 'datastores',
        sort: [{ field: 'usedPercent', desc: true }],
        limit: 10,
      }),
      query({
        kind: 'changes',
        sort: [{ field: 'at', desc: true }],
        limit: 10,
      }),
    ]);
  return {
    totals: {
      vms,
      poweredOn,
      poweredOff,
      suspended,
      hosts,
      clusters,
      datastores,
      endpoints,
      critical,
      warning,
    },
    datastores: ds.rows,
    changes: ch.rows,
  };
}

function str(v: QueryCell | undefined): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : String(v);
}
function num(v: QueryCell | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function Stat({ label, value }: { label: string; value: number }): ReactElement {
  return (
    <div className="stat" role="group" aria-label={label}>
      <span className="stat-value">{value.toLocaleString()}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

function changeText(row: QueryRow): string {
  const kind = str(row['kind']);
  const field = str(row['field']);
  if (kind === 'updated' && field) {
    return `${field}: ${str(row['oldValue']) || '∅'} → ${str(row['newValue']) || '∅'}`;
  }
  return kind;
}

/** Totals, VMs by power state, the fullest datastores and the latest changes. */
export function DashboardPage(): ReactElement {
  const [data, setData] = useState<DashboardData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const setPage = useUi((s) => s.setPage);
  const scope = useQueryScope();

  useEffect(() => {
    // Coalesce bursts of events (a sync emits one per batch) into one refetch.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bump = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => setVersion((v) => v + 1), 500);
    };
    const offs = [api.on('inventory:changed', bump), api.on('endpoints:changed', bump)];
    return () => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
  }, []);

  useEffect(() => {
    let live = true;
    loadDashboard(scope).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if (live) setError(e instanceof Error ? e.message : String(e));
      },
    );
    return () => {
      live = false;
    };
  }, [version, scope]);

  const t = data?.totals;
  const powerData = t
    ? [
        { state: 'On', count: t.poweredOn },
        { state: 'Off', count: t.poweredOff },
        { state: 'Suspended', count: t.suspended },
      ]
    : [];

  return (
    <section className="page scroll" aria-label="Dashboard">
      <header className="page-header">
        <h1>Dashboard</h1>
        <ScopeNote />
      </header>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {!data && !error && <p className="muted">Loading…</p>}

      {t && t.endpoints === 0 && (
        <div className="empty">
          <p>
            No endpoints yet. Add an endpoint (a vCenter, an ESXi host or a Hyper-V host) to start
            collecting inventory.
          </p>
          <button type="button" className="btn primary" onClick={() => setPage('endpoints')}>
            Go to Endpoints
          </button>
        </div>
      )}

      {t && t.endpoints > 0 && (
        <>
          <div className="stats">
            <Stat label="VMs" value={t.vms} />
            <Stat label="Powered-on VMs" value={t.poweredOn} />
            <Stat label="Hosts" value={t.hosts} />
            <Stat label="Clusters" value={t.clusters} />
            <Stat label="Datastores" value={t.datastores} />
            <Stat label="Endpoints" value={t.endpoints} />
            <Stat label="Critical alerts" value={t.critical} />
            <Stat label="Warning alerts" value={t.warning} />
          </div>

          <div className="dash-grid">
            <section className="panel" aria-label="VMs by power state">
              <h2>VMs by power state</h2>
              {t.vms === 0 ? (
                <p className="muted">No VMs yet. Sync an endpoint to see them here.</p>
              ) : (
                <div
                  className="chart"
                  role="img"
                  aria-label={`On ${t.poweredOn}, off ${t.poweredOff}, suspended ${t.suspended}`}
                >
                  <ResponsiveContainer width="100%" height={220}>
                    <BarChart data={powerData} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                      <CartesianGrid strokeDasharray="3 3" vertical={false} />
                      <XAxis dataKey="state" />
                      <YAxis allowDecimals={false} width={48} />
                      <Tooltip cursor={{ fillOpacity: 0.1 }} />
                      <Bar dataKey="count" name="VMs" isAnimationActive={false}>
                        {powerData.map((d) => (
                          <Cell
                            key={d.state}
                            fill={POWER_COLORS[d.state as keyof typeof POWER_COLORS]}
                          />
                        ))}
                      </Bar>
                    </BarChart>
                  </ResponsiveContainer>
                </div>
              )}
            </section>

            <section className="panel" aria-label="Datastore usage">
              <h2>Datastore usage</h2>
              {data.datastores.length === 0 ? (
                <p className="muted">No datastores yet.</p>
              ) : (
                <ol className="usage-list">
                  {data.datastores.map((row, i) => {
                    const used = num(row['usedPercent']);
                    const cap = num(row['capacityBytes']);
                    const free = num(row['freeBytes']);
                    return (
                      <li key={`${str(row['endpoint'])}/${str(row['name'])}/${i}`}>
                        <div className="usage-head">
                          <span className="usage-name" title={str(row['endpoint'])}>
                            {str(row['name'])}
                          </span>
                          <span className="usage-pct">
                            {used === null ? '—' : `${used.toFixed(1)} %`}
                          </span>
                        </div>
                        <meter
                          min={0}
                          max={100}
                          low={75}
                          high={90}
                          optimum={0}
                          value={used ?? 0}
                          aria-label={`${str(row['name'])} used`}
                        />
                        {cap !== null && free !== null && (
                          <span className="usage-detail">
                            {formatBytes(free)} free of {formatBytes(cap)}
                          </span>
                        )}
                      </li>
                    );
                  })}
                </ol>
              )}
            </section>

            <section className="panel wide" aria-label="Recent changes">
              <h2>Recent changes</h2>
              {data.changes.length === 0 ? (
                <p className="muted">No changes recorded yet.</p>
              ) : (
                <ol className="change-list">
                  {data.changes.map((row, i) => {
                    const at = str(row['at']);
                    return (
                      <li key={`${str(row['id'])}-${i}`}>
                        <time dateTime={at} title={at ? new Date(at).toLocaleString() : ''}>
                          {at ? formatRelative(at) : ''}
                        </time>
                        <span className={`change-kind ${str(row['kind'])}`}>
                          {str(row['entityType'])}
                        </span>
                        <span className="change-name">{str(row['name'])}</span>
                        <span className="change-text">{changeText(row)}</span>
                        <span className="muted">{str(row['endpoint'])}</span>
                      </li>
                    );
                  })}
                </ol>
              )}
            </section>
          </div>
        </>
      )}
    </section>
  );
}
