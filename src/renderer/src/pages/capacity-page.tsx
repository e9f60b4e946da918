import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { CapacityReport, VmRightSizing } from '../../../shared/alerts.js';
import { errorText, formatBytes, formatMhz } from '../format.js';
import { ScopeNote } from '../components/scope-selector.js';
import { useLive } from '../stores/live.js';
import { useQueryScope } from '../stores/scope.js';
import { api } from '../transport.js';

const pct = (v: number | null, digits = 0): string =>
  v === null ? '—' : `${(v * 100).toFixed(digits)} %`;

function confidence(r2: number | null): string {
  if (r2 === null) return '—';
  return `${r2 >= 0.8 ? 'high' : r2 >= 0.5 ? 'medium' : 'low'} (R² ${r2.toFixed(2)})`;
}

function VmTable({ label, vms }: { label: string; vms: readonly VmRightSizing[] }): ReactElement {
  return vms.length === 0 ? (
    <p className="empty">None.</p>
  ) : (
    <table aria-label={label}>
      <thead>
        <tr>
          <th>VM</th>
          <th>vCPUs</th>
          <th>Memory</th>
          <th>Average CPU</th>
          <th>Peak CPU</th>
          <th>Days of history</th>
        </tr>
      </thead>
      <tbody>
        {vms.map((v) => (
          <tr key={`${v.endpointId}:${v.vmId}`}>
            <td>{v.name}</td>
            <td>{v.cpuCount ?? '—'}</td>
            <td>{v.memoryMb === null ? '—' : formatBytes(v.memoryMb * 2 ** 20)}</td>
            <td>{pct(v.avgCpuShare, 1)}</td>
            <td>{pct(v.peakCpuShare, 1)}</td>
            <td>{v.days}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Capacity: datastore forecasts, cluster headroom, idle and oversized VMs, reclaimable snapshots. */
export function CapacityPage(): ReactElement {
  const [report, setReport] = useState<CapacityReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tick = useLive((s) => s.tick);
  const scope = useQueryScope();

  useEffect(() => {
    let live = true;
    api.invoke('capacity:report', scope ? { scope } : {}).then(
      (r) => {
        if (!live) return;
        setReport(r);
        setError(null);
      },
      (e: unknown) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [tick, scope]);

  return (
    <section className="page scroll" aria-label="Capacity">
      <header className="page-header">
        <h1>Capacity</h1>
        <ScopeNote />
        {report && (
          <span className="muted">as of {new Date(report.generatedAt).toLocaleString()}</span>
        )}
      </header>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {!report && !error && <p className="muted">Loading…</p>}
      {report && (
        <>
          <section className="panel" aria-label="Datastores">
            <h2>Datastores: days until full</h2>
            <p className="muted">A straight line through the last 30 days of daily peaks.</p>
            <table aria-label="Datastore forecast">
              <thead>
                <tr>
                  <th>Datastore</th>
                  <th>Used</th>
                  <th>Capacity</th>
                  <th>Growth a day</th>
                  <th>Full in</th>
                  <th>Confidence</th>
                </tr>
              </thead>
              <tbody>
                {report.datastores.map((d) => (
                  <tr key={`${d.endpointId}:${d.datastoreId}`}>
                    <td>{d.name}</td>
                    <td>{d.usedPercent === null ? '—' : `${d.usedPercent.toFixed(1)} %`}</td>
                    <td>{d.capacityBytes === null ? '—' : formatBytes(d.capacityBytes)}</td>
                    <td>{d.growthBytesPerDay === null ? '—' : formatBytes(d.growthBytesPerDay)}</td>
                    <td>
                      {d.daysUntilFull === null
                        ? d.historyDays < 3
                          ? `${d.historyDays} days of history`
                          : 'not growing'
                        : `${Math.floor(d.daysUntilFull)} days`}
                    </td>
                    <td>{confidence(d.confidence)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="panel" aria-label="Clusters">
            <h2>Cluster headroom (N+1)</h2>
            <table aria-label="Cluster headroom">
              <thead>
                <tr>
                  <th>Cluster</th>
                  <th>Hosts</th>
                  <th>CPU used / N+1 capacity</th>
                  <th>Memory given / N+1 capacity</th>
                  <th>Median VM</th>
                  <th>More VMs that fit</th>
                </tr>
              </thead>
              <tbody>
                {report.clusters.map((c) => (
                  <tr key={`${c.endpointId}:${c.clusterId}`}>
                    <td>{c.name}</td>
                    <td>{c.hosts}</td>
                    <td>
                      {formatMhz(c.cpuUsedMhz)} / {formatMhz(c.cpuCapacityMhz)}
                    </td>
                    <td>
                      {formatBytes(c.memoryUsedBytes)} / {formatBytes(c.memoryCapacityBytes)}
                    </td>
                    <td>
                      {formatMhz(c.medianVmCpuMhz)}, {formatBytes(c.medianVmMemoryBytes)}
                    </td>
                    <td>
                      {c.vmsThatFit}
                      {c.limitedBy !== 'none' ? ` (by ${c.limitedBy})` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="panel" aria-label="Idle VMs">
            <h2>Idle VMs (CPU below 2 % for 14 days)</h2>
            <VmTable label="Idle VMs" vms={report.idleVms} />
          </section>
          <section className="panel" aria-label="Oversized VMs">
            <h2>Oversized VMs (peak CPU far below allocation)</h2>
            <VmTable label="Oversized VMs" vms={report.oversizedVms} />
          </section>
          <section className="panel" aria-label="Snapshots">
            <h2>
              Old and orphaned snapshots: {formatBytes(report.reclaimableSnapshotBytes)} reclaimable
            </h2>
            {report.snapshots.length === 0 ? (
              <p className="empty">None.</p>
            ) : (
              <table aria-label="Reclaimable snapshots">
                <thead>
                  <tr>
                    <th>Snapshot</th>
                    <th>VM</th>
                    <th>Age</th>
                    <th>Size</th>
                  </tr>
                </thead>
                <tbody>
                  {report.snapshots.map((s) => (
                    <tr key={`${s.endpointId}:${s.snapshotId}`}>
                      <td>{s.name}</td>
                      <td>
                        {s.orphaned ? `${s.vmId ?? '?'} (gone)` : (s.vmName ?? s.vmId ?? '—')}
                      </td>
                      <td>{s.ageDays === null ? '—' : `${Math.floor(s.ageDays)} days`}</td>
                      <td>{s.sizeBytes === null ? '—' : formatBytes(s.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}
    </section>
  );
}
