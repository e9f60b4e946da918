import { useEffect, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
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
import type { QueryCell, QueryRow } from '../../../shared/query.js';
import { errorText, formatBytes, formatRelative } from '../format.js';
import { ScopeNote } from '../components/scope-selector.js';
import { useLive } from '../stores/live.js';
import { useQueryScope } from '../stores/scope.js';
import { openTable } from '../stores/table-intent.js';
import { useUi } from '../stores/ui.js';
import { api } from '../transport.js';
import type { DashboardData, EndpointHealth } from './dashboard-data.js';
import { loadDashboard } from './dashboard-data.js';

function str(v: QueryCell | undefined): string {
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : String(v);
}
function num(v: QueryCell | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A KPI card; a click opens the table (or page) behind the number. */
function Stat({
  label,
  value,
  text,
  tone,
  onOpen,
}: {
  label: string;
  value: number;
  /** Shown instead of the number (e.g. a percentage); the number stays in the label. */
  text?: string;
  tone?: 'danger' | 'warn' | 'ok';
  onOpen: () => void;
}): ReactElement {
  return (
    <div className={`stat${tone ? ` ${tone}` : ''}`} role="group" aria-label={label}>
      <button type="button" className="stat-link" onClick={onOpen} title={`Open ${label}`}>
        <span className="stat-value">{text ?? value.toLocaleString()}</span>
        <span className="stat-label">{label}</span>
      </button>
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

/** A dashboard panel: its title, and either its content or a line saying why it is empty. */
function Panel({
  label,
  title,
  wide = false,
  empty,
  children,
}: {
  label: string;
  title: string;
  wide?: boolean;
  empty: string | null;
  children: ReactNode;
}): ReactElement {
  return (
    <section className={`panel${wide ? ' wide' : ''}`} aria-label={label}>
      <h2>{title}</h2>
      {empty !== null ? <p className="muted">{empty}</p> : children}
    </section>
  );
}

/** A used-percentage bar: amber from 75 %, red from 90 %. */
function UsageMeter({ value, label }: { value: number; label?: string }): ReactElement {
  return (
    <meter min={0} max={100} low={75} high={90} optimum={0} value={value} aria-label={label} />
  );
}

const POWER_COLORS = { On: '#4cc38a', Off: '#8b95a5', Suspended: '#e0b341' } as const;

const HEALTH_LABEL: Record<EndpointHealth, string> = {
  healthy: 'Healthy',
  failing: 'Failing',
  stale: 'Stale',
  disabled: 'Disabled',
};

const vmsWith = (powerState: string) => (): void =>
  openTable('vms', { kind: 'vms', quick: { powerState } });

/**
 * KPI cards, VMs by power state, capacity by cluster, the fullest datastores, changes over two
 * weeks, the last sync of each endpoint and the latest changes; every number and bar opens the
 * table behind it.
 */
export function DashboardPage(): ReactElement {
  const [data, setData] = useState<DashboardData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const setPage = useUi((s) => s.setPage);
  const scope = useQueryScope();
  const tick = useLive((s) => s.tick);

  useEffect(() => {
    // Coalesce bursts of events (a sync emits one per batch) into one refetch.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bump = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => setVersion((v) => v + 1), 500);
    };
    const offs = [api.on('endpoints:changed', bump), api.on('alerts:changed', bump)];
    return () => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
  }, []);

  useEffect(() => {
    let live = true;
    loadDashboard((q) => api.invoke('inventory:query', q), scope).then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [version, scope, tick]);

  const t = data?.totals;
  const powerData = t
    ? [
        { state: 'On', value: 'poweredOn', count: t.poweredOn },
        { state: 'Off', value: 'poweredOff', count: t.poweredOff },
        { state: 'Suspended', value: 'suspended', count: t.suspended },
      ]
    : [];
  const health = (h: EndpointHealth): number =>
    data?.endpoints.filter((e) => e.health === h).length ?? 0;
  const usedPct =
    t && t.datastoreCapacityBytes > 0
      ? (100 * (t.datastoreCapacityBytes - t.datastoreFreeBytes)) / t.datastoreCapacityBytes
      : null;

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

      {data && t && t.endpoints > 0 && (
        <>
          <div className="stats" aria-label="Virtual machines and hosts">
            <Stat label="VMs" value={t.vms} onOpen={() => openTable('vms', { kind: 'vms' })} />
            <Stat label="Powered-on VMs" value={t.poweredOn} onOpen={vmsWith('poweredOn')} />
            <Stat label="Powered-off VMs" value={t.poweredOff} onOpen={vmsWith('poweredOff')} />
            <Stat label="Suspended VMs" value={t.suspended} onOpen={vmsWith('suspended')} />
            <Stat
              label="Hosts"
              value={t.hosts}
              onOpen={() => openTable('hosts', { kind: 'hosts' })}
            />
            <Stat
              label="Hosts connected"
              value={t.hostsConnected}
              {...(t.hostsConnected > 0 ? { tone: 'ok' as const } : {})}
              onOpen={() =>
                openTable('hosts', {
                  kind: 'hosts',
                  filters: [{ field: 'connectionState', kind: 'enum', values: ['connected'] }],
                })
              }
            />
            <Stat
              label="Hosts disconnected"
              value={t.hostsDown}
              {...(t.hostsDown > 0 ? { tone: 'danger' as const } : {})}
              onOpen={() =>
                openTable('hosts', {
                  kind: 'hosts',
                  filters: [
                    {
                      field: 'connectionState',
                      kind: 'enum',
                      values: ['disconnected', 'notResponding'],
                    },
                  ],
                })
              }
            />
            <Stat
              label="Hosts in maintenance"
              value={t.hostsMaintenance}
              onOpen={() =>
                openTable('hosts', {
                  kind: 'hosts',
                  filters: [{ field: 'inMaintenance', kind: 'bool', value: true }],
                })
              }
            />
            <Stat
              label="Clusters"
              value={t.clusters}
              onOpen={() => openTable('clusters', { kind: 'clusters' })}
            />
            <Stat
              label="Datastore capacity used"
              value={Math.round(usedPct ?? 0)}
              text={usedPct === null ? '—' : `${usedPct.toFixed(1)} %`}
              {...(usedPct !== null && usedPct > 80 ? { tone: 'warn' as const } : {})}
              onOpen={() => openTable('datastores', { kind: 'datastores' })}
            />
          </div>
          <div className="stats" aria-label="Alerts and endpoints">
            <Stat
              label="Critical alerts"
              value={t.critical}
              {...(t.critical > 0 ? { tone: 'danger' as const } : {})}
              onOpen={() => setPage('alerts')}
            />
            <Stat
              label="Warning alerts"
              value={t.warning}
              {...(t.warning > 0 ? { tone: 'warn' as const } : {})}
              onOpen={() => setPage('alerts')}
            />
            <Stat label="Info alerts" value={t.info} onOpen={() => setPage('alerts')} />
            <Stat label="Endpoints" value={t.endpoints} onOpen={() => setPage('endpoints')} />
            <Stat
              label="Endpoints healthy"
              value={health('healthy')}
              {...(health('healthy') > 0 ? { tone: 'ok' as const } : {})}
              onOpen={() => setPage('endpoints')}
            />
            <Stat
              label="Endpoints failing"
              value={health('failing')}
              {...(health('failing') > 0 ? { tone: 'danger' as const } : {})}
              onOpen={() => setPage('endpoints')}
            />
            <Stat
              label="Endpoints stale"
              value={health('stale')}
              {...(health('stale') > 0 ? { tone: 'warn' as const } : {})}
              onOpen={() => setPage('endpoints')}
            />
          </div>

          <div className="dash-grid">
            <Panel
              label="VMs by power state"
              title="VMs by power state"
              empty={t.vms === 0 ? 'No VMs yet. Sync an endpoint to see them here.' : null}
            >
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
                    <Bar
                      dataKey="count"
                      name="VMs"
                      isAnimationActive={false}
                      cursor="pointer"
                      onClick={(d: { payload?: { value?: string } }) => {
                        if (d.payload?.value) vmsWith(d.payload.value)();
                      }}
                    >
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
            </Panel>

            <Panel
              label="Capacity by cluster"
              title="Capacity by cluster"
              empty={data.clusters.length === 0 ? 'No clusters with connected hosts.' : null}
            >
              <ol className="usage-list">
                {data.clusters.map((c) => (
                  <li key={`${c.endpoint}/${c.name}`}>
                    <button
                      type="button"
                      className="usage-link"
                      onClick={() => openTable('vms', { kind: 'vms', quick: { cluster: c.name } })}
                      aria-label={`${c.name}: CPU ${c.cpuPercent} %, memory ${c.memoryPercent} % — open its VMs`}
                    >
                      <div className="usage-head">
                        <span className="usage-name" title={c.endpoint}>
                          {c.name}
                        </span>
                        <span className="usage-pct">
                          CPU {c.cpuPercent.toFixed(0)} % · Mem {c.memoryPercent.toFixed(0)} %
                        </span>
                      </div>
                      <UsageMeter value={c.cpuPercent} />
                      <UsageMeter value={c.memoryPercent} />
                    </button>
                  </li>
                ))}
              </ol>
            </Panel>

            <Panel
              label="Datastore usage"
              title="Fullest datastores"
              empty={data.datastores.length === 0 ? 'No datastores yet.' : null}
            >
              <ol className="usage-list">
                {data.datastores.map((row, i) => {
                  const used = num(row['usedPercent']);
                  const cap = num(row['capacityBytes']);
                  const free = num(row['freeBytes']);
                  const name = str(row['name']);
                  return (
                    <li key={`${str(row['endpoint'])}/${name}/${i}`}>
                      <button
                        type="button"
                        className="usage-link"
                        onClick={() =>
                          openTable('datastores', {
                            kind: 'datastores',
                            filters: [{ field: 'name', kind: 'text', contains: name }],
                          })
                        }
                      >
                        <div className="usage-head">
                          <span className="usage-name" title={str(row['endpoint'])}>
                            {name}
                          </span>
                          <span className="usage-pct">
                            {used === null ? '—' : `${used.toFixed(1)} %`}
                          </span>
                        </div>
                        <UsageMeter value={used ?? 0} label={`${name} used`} />
                        {cap !== null && free !== null && (
                          <span className="usage-detail">
                            {formatBytes(free)} free of {formatBytes(cap)}
                          </span>
                        )}
                      </button>
                    </li>
                  );
                })}
              </ol>
            </Panel>

            <section className="panel" aria-label="Changes over time">
              <h2>Changes, last 14 days</h2>
              <div
                className="chart"
                role="img"
                aria-label={data.changesByDay.map((d) => `${d.day}: ${d.count}`).join(', ')}
              >
                <ResponsiveContainer width="100%" height={200}>
                  <BarChart
                    data={data.changesByDay.map((d) => ({ ...d, label: d.day.slice(5) }))}
                    margin={{ top: 8, right: 8, bottom: 0, left: 0 }}
                  >
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="label" interval="preserveStartEnd" />
                    <YAxis allowDecimals={false} width={48} />
                    <Tooltip cursor={{ fillOpacity: 0.1 }} />
                    <Bar
                      dataKey="count"
                      name="Changes"
                      fill="#4c8df6"
                      isAnimationActive={false}
                      cursor="pointer"
                      onClick={() => openTable('changes', { kind: 'changes' })}
                    />
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </section>

            <section className="panel" aria-label="Last sync per endpoint">
              <h2>Last sync per endpoint</h2>
              <ul className="endpoint-health">
                {data.endpoints.map((e) => (
                  <li key={e.name}>
                    <button
                      type="button"
                      className="usage-link"
                      onClick={() => setPage('endpoints')}
                    >
                      <span className="usage-name">{e.name}</span>
                      <span className={`health ${e.health}`}>{HEALTH_LABEL[e.health]}</span>
                      {e.lastSyncAt ? (
                        <time
                          dateTime={e.lastSyncAt}
                          title={new Date(e.lastSyncAt).toLocaleString()}
                        >
                          {formatRelative(e.lastSyncAt)}
                        </time>
                      ) : (
                        <span className="muted">never synced</span>
                      )}
                    </button>
                  </li>
                ))}
              </ul>
            </section>

            <Panel
              label="Recent changes"
              title="Recent changes"
              wide
              empty={data.changes.length === 0 ? 'No changes recorded yet.' : null}
            >
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
            </Panel>
          </div>
        </>
      )}
    </section>
  );
}
