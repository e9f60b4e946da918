import { useEffect, useRef, useState } from 'react';
import type { ReactElement, ReactNode } from 'react';
import type {
  ChangeEntry,
  ClusterDetails,
  DatastoreDetails,
  DetailFact,
  EntityDetails,
  EntityLink,
  EventEntry,
  HostDetails,
  HostDeviceGroup,
  NetworkDetails,
  RelatedList,
  SnapshotNode,
  VmDetails,
} from '../../../shared/details.js';
import { errorText, formatBytes, formatCell, formatMhz, formatRelative } from '../format.js';
import { useNow } from '../hooks/use-now.js';
import type { DetailTarget } from '../stores/details.js';
import { useAlertBadge } from '../stores/alerts.js';
import { useDetails } from '../stores/details.js';
import { useLive } from '../stores/live.js';
import { api } from '../transport.js';
import { AlertBadge } from './alert-badge.js';
import { StateBadge, UsageBar } from './cell.js';
import { ageDays, exactTime, snapshotTone } from './cell-format.js';
import { EntityAlerts } from './entity-alerts.js';
import { UsageCharts } from './usage-chart.js';

const KIND_LABEL: Record<EntityDetails['kind'], string> = {
  vm: 'Virtual machine',
  host: 'Host',
  cluster: 'Cluster',
  datastore: 'Datastore',
  network: 'Network',
};

function Time({ iso, now }: { iso: string | null; now: number }): ReactElement | null {
  if (!iso) return null;
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

function EntityButton({ link }: { link: EntityLink }): ReactElement {
  const follow = useDetails((s) => s.follow);
  return (
    <button
      className="link"
      onClick={() =>
        follow({ kind: link.kind, endpointId: link.endpointId, id: link.id, name: link.name })
      }
      title={`Open ${link.kind} ${link.name}`}
    >
      {link.name}
    </button>
  );
}

function Section({
  title,
  children,
  count,
  open = true,
}: {
  title: string;
  children: ReactNode;
  count?: number;
  open?: boolean;
}): ReactElement {
  return (
    <details className="detail-section" open={open}>
      <summary>
        <h3>
          {title}
          {count !== undefined && <span className="muted"> ({count.toLocaleString('en-US')})</span>}
        </h3>
      </summary>
      <div className="detail-body">{children}</div>
    </details>
  );
}

/** A fact's value as a table cell shows it (times relative to `now`). */
function factValue(f: DetailFact, now: number): ReactElement | string {
  return f.type === 'time' && typeof f.value === 'string' ? (
    <Time iso={f.value} now={now} />
  ) : (
    formatCell(
      {
        name: f.label,
        label: f.label,
        type: f.type ?? 'text',
        ...(f.unit ? { unit: f.unit } : {}),
      },
      f.value,
    )
  );
}

function Facts({ facts, now }: { facts: readonly DetailFact[]; now: number }): ReactElement {
  const shown = facts.filter((f) => f.value !== null && f.value !== '');
  return (
    <dl className="facts">
      {shown.map((f) => (
        <div className="fact" key={f.label}>
          <dt>{f.label}</dt>
          <dd>
            {f.label === 'Power state' || f.label === 'Connection' ? (
              <StateBadge state={String(f.value)} />
            ) : (
              factValue(f, now)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A host's devices of one kind: a row per device, a column per fact. */
function DeviceTable({ group, now }: { group: HostDeviceGroup; now: number }): ReactElement {
  const labels = group.rows[0]?.facts.map((f) => f.label) ?? [];
  return (
    <table className="device-table">
      <thead>
        <tr>
          <th>Name</th>
          {labels.map((l) => (
            <th key={l}>{l}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {group.rows.map((r) => (
          <tr key={r.id}>
            <td>{r.name}</td>
            {r.facts.map((f) => (
              <td key={f.label}>
                {f.value === null || f.value === '' ? (
                  <span className="muted">—</span>
                ) : (
                  factValue(f, now)
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A section listing related objects, titled with their count. */
function RelatedSection({
  title,
  list,
  noun,
}: {
  title: string;
  list: RelatedList;
  noun: string;
}): ReactElement {
  return (
    <Section title={title} count={list.total}>
      <Related list={list} noun={noun} />
    </Section>
  );
}

/** The change history, closed until asked for (the VM view shows its own open). */
function HistorySection({
  changes,
  now,
}: {
  changes: readonly ChangeEntry[];
  now: number;
}): ReactElement {
  return (
    <Section title="Change history" count={changes.length} open={false}>
      <Changes changes={changes} now={now} />
    </Section>
  );
}

function Related({ list, noun }: { list: RelatedList; noun: string }): ReactElement {
  if (list.total === 0) return <p className="muted">No {noun}.</p>;
  return (
    <>
      <ul className="related">
        {list.items.map((r) => (
          <li key={r.link.id}>
            <EntityButton link={r.link} />
            {r.state &&
              (r.link.kind === 'vm' || r.link.kind === 'host' ? (
                <StateBadge state={r.state} />
              ) : (
                <span className="muted">{r.state}</span>
              ))}
            {r.detail && <span className="muted related-detail">{r.detail}</span>}
          </li>
        ))}
      </ul>
      {list.total > list.items.length && (
        <p className="muted">
          Showing {list.items.length.toLocaleString('en-US')} of{' '}
          {list.total.toLocaleString('en-US')}; the table has them all.
        </p>
      )}
    </>
  );
}

function Changes({ changes, now }: { changes: readonly ChangeEntry[]; now: number }): ReactElement {
  if (changes.length === 0) return <p className="muted">No changes recorded.</p>;
  return (
    <ol className="history">
      {changes.map((c) => (
        <li key={c.id}>
          <Time iso={c.at} now={now} />
          <span className={`change-kind ${c.kind}`}>{c.kind}</span>
          <span className="history-text">
            {c.kind === 'updated' && c.field ? (
              <>
                <strong>{c.field}</strong>: {c.oldValue ?? '∅'} → {c.newValue ?? '∅'}
              </>
            ) : null}
          </span>
          <span className="history-user">
            {c.user ?? <span className="muted">unknown user</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

function Events({ events, now }: { events: readonly EventEntry[]; now: number }): ReactElement {
  if (events.length === 0) return <p className="muted">No recent events.</p>;
  return (
    <ol className="history">
      {events.map((e) => (
        <li key={e.id}>
          <Time iso={e.at} now={now} />
          <span className="history-text" title={e.eventType}>
            {e.message}
          </span>
          <span className="history-user">{e.user ?? ''}</span>
        </li>
      ))}
    </ol>
  );
}

function SnapshotTree({
  nodes,
  now,
}: {
  nodes: readonly SnapshotNode[];
  now: number;
}): ReactElement {
  return (
    <ul className="snap-tree" role="tree">
      {nodes.map((n) => {
        const days = n.createdAt ? ageDays(n.createdAt, now) : null;
        return (
          <li key={n.id} role="treeitem" aria-expanded={n.children.length > 0 ? true : undefined}>
            <span className="snap-name">{n.name}</span>
            {n.isCurrent && <span className="badge">current</span>}
            {n.createdAt && (
              <time
                className={`age tone-${snapshotTone(days ?? 0)}`}
                dateTime={n.createdAt}
                title={exactTime(n.createdAt)}
              >
                {formatRelative(n.createdAt, now)}
              </time>
            )}
            {n.sizeBytes !== null && <span className="muted">{formatBytes(n.sizeBytes)}</span>}
            {n.description && <div className="muted snap-desc">{n.description}</div>}
            {n.children.length > 0 && <SnapshotTree nodes={n.children} now={now} />}
          </li>
        );
      })}
    </ul>
  );
}

function countSnapshots(nodes: readonly SnapshotNode[]): number {
  return nodes.reduce((s, n) => s + 1 + countSnapshots(n.children), 0);
}

function Tags({ tags }: { tags: readonly string[] }): ReactElement | null {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="tag">
          {t}
        </li>
      ))}
    </ul>
  );
}

function Meter({
  label,
  used,
  total,
  fmt,
}: {
  label: string;
  used: number | null;
  total: number | null;
  fmt: (n: number) => string;
}): ReactElement | null {
  if (used === null || total === null || total <= 0) return null;
  const ratio = Math.max(0, Math.min(1, used / total));
  return (
    <div className="meter-row">
      <span className="meter-label">{label}</span>
      <UsageBar
        ratio={ratio}
        text={`${fmt(used)} of ${fmt(total)} (${Math.round(ratio * 100)} %)`}
      />
    </div>
  );
}

function VmView({ d, now }: { d: VmDetails; now: number }): ReactElement {
  return (
    <>
      <div className="placement">
        <span>
          Runs on {d.host ? <EntityButton link={d.host} /> : <span className="muted">no host</span>}
          {d.cluster && (
            <>
              {' '}
              in <EntityButton link={d.cluster} />
            </>
          )}
          {d.resourcePool && <span className="muted"> · pool {d.resourcePool}</span>}
        </span>
      </div>
      <Tags tags={d.tags} />
      {d.annotation && (
        <Section title="Notes">
          <p className="annotation">{d.annotation}</p>
        </Section>
      )}
      <Section title="Summary">
        <Facts facts={d.summary} now={now} />
        {d.ipAddresses.length > 1 && (
          <p>
            <span className="muted">All IP addresses: </span>
            <span className="mono">{d.ipAddresses.join(', ')}</span>
          </p>
        )}
      </Section>
      <Section title="Hardware">
        <Facts facts={d.hardware} now={now} />
      </Section>
      <Section title="Usage">
        <UsageCharts entityType="vm" endpointId={d.endpointId} entityId={d.id} />
      </Section>
      <Section title="Storage" count={d.datastores.length}>
        <ul className="related">
          {d.datastores.map((l) => (
            <li key={l.id}>
              <EntityButton link={l} />
            </li>
          ))}
        </ul>
        {d.disks.length > 0 && (
          <table className="mini">
            <caption>Disks</caption>
            <thead>
              <tr>
                <th>Disk</th>
                <th>Size</th>
                <th>Type</th>
                <th>Datastore</th>
              </tr>
            </thead>
            <tbody>
              {d.disks.map((k) => (
                <tr key={k.id}>
                  <td title={k.fileName ?? ''}>{k.label}</td>
                  <td className="num">
                    {k.capacityBytes !== null ? formatBytes(k.capacityBytes) : ''}
                  </td>
                  <td>
                    {[k.thin === null ? null : k.thin ? 'thin' : 'thick', k.diskMode]
                      .filter(Boolean)
                      .join(', ')}
                  </td>
                  <td>{k.datastore ? <EntityButton link={k.datastore} /> : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      {d.partitions.length > 0 && (
        <Section title="Guest partitions" count={d.partitions.length}>
          <table className="mini">
            <thead>
              <tr>
                <th>Partition</th>
                <th>Size</th>
                <th>Free</th>
                <th>File system</th>
              </tr>
            </thead>
            <tbody>
              {d.partitions.map((g) => (
                <tr key={g.id}>
                  <td>{g.path}</td>
                  <td className="num">
                    {g.capacityBytes !== null ? formatBytes(g.capacityBytes) : ''}
                  </td>
                  <td className="num">{g.freeBytes !== null ? formatBytes(g.freeBytes) : ''}</td>
                  <td>{g.filesystemType ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      <Section title="Networking" count={d.networks.length}>
        <ul className="related">
          {d.networks.map((l) => (
            <li key={l.id}>
              <EntityButton link={l} />
            </li>
          ))}
        </ul>
        {d.nics.length > 0 && (
          <table className="mini">
            <caption>Network adapters</caption>
            <thead>
              <tr>
                <th>Adapter</th>
                <th>MAC</th>
                <th>Network</th>
                <th>IPs</th>
              </tr>
            </thead>
            <tbody>
              {d.nics.map((n) => (
                <tr key={n.id}>
                  <td>
                    {n.label}
                    {n.connected === false && <span className="badge warn">disconnected</span>}
                  </td>
                  <td className="mono">{n.macAddress ?? ''}</td>
                  <td>{n.network ? <EntityButton link={n.network} /> : (n.networkName ?? '')}</td>
                  <td className="mono">{n.ipAddresses.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title="Snapshots" count={countSnapshots(d.snapshots)}>
        {d.snapshots.length === 0 ? (
          <p className="muted">No snapshots.</p>
        ) : (
          <SnapshotTree nodes={d.snapshots} now={now} />
        )}
      </Section>
      <Section title="Change history" count={d.changes.length}>
        <Changes changes={d.changes} now={now} />
      </Section>
      <Section title="Recent events" count={d.events.length} open={d.events.length > 0}>
        <Events events={d.events} now={now} />
      </Section>
    </>
  );
}

function HostView({ d, now }: { d: HostDetails; now: number }): ReactElement {
  return (
    <>
      <div className="placement">
        {d.cluster ? (
          <span>
            In cluster <EntityButton link={d.cluster} />
          </span>
        ) : (
          <span className="muted">Standalone host</span>
        )}
        {d.inMaintenance && <span className="badge warn">Maintenance</span>}
      </div>
      <Tags tags={d.tags} />
      <Section title="State">
        <Facts facts={d.summary} now={now} />
        <Meter label="CPU" used={d.cpuUsedMhz} total={d.cpuTotalMhz} fmt={formatMhz} />
        <Meter
          label="Memory"
          used={d.memoryUsedBytes}
          total={d.memoryTotalBytes}
          fmt={formatBytes}
        />
      </Section>
      <Section title="Hardware">
        <Facts facts={d.hardware} now={now} />
      </Section>
      <Section title="Configuration">
        <Facts facts={d.configuration} now={now} />
      </Section>
      {d.devices.map((g) => (
        <Section key={g.kind} title={g.title} count={g.rows.length}>
          <DeviceTable group={g} now={now} />
        </Section>
      ))}
      <Section title="Usage">
        <UsageCharts entityType="host" endpointId={d.endpointId} entityId={d.id} />
      </Section>
      <RelatedSection title="Virtual machines" list={d.vms} noun="VMs" />
      <RelatedSection title="Datastores" list={d.datastores} noun="datastores" />
      <RelatedSection title="Networks" list={d.networks} noun="networks" />
      <Section title="Recent events" count={d.events.length}>
        <Events events={d.events} now={now} />
      </Section>
      <HistorySection changes={d.changes} now={now} />
    </>
  );
}

function ClusterView({ d, now }: { d: ClusterDetails; now: number }): ReactElement {
  const c = d.capacity;
  const headroom = (used: number, total: number, fmt: (n: number) => string): string =>
    total > 0 ? `${fmt(Math.max(0, total - used))} free` : '';
  return (
    <>
      <Section title="Capacity">
        <Meter label="CPU" used={c.cpuUsedMhz} total={c.cpuTotalMhz} fmt={formatMhz} />
        <Meter
          label="Memory"
          used={c.memoryUsedBytes}
          total={c.memoryTotalBytes}
          fmt={formatBytes}
        />
        <Meter
          label="Storage"
          used={c.storageCapacityBytes - c.storageFreeBytes}
          total={c.storageCapacityBytes}
          fmt={formatBytes}
        />
        <dl className="facts">
          <div className="fact">
            <dt>Headroom</dt>
            <dd>
              {[
                headroom(c.cpuUsedMhz, c.cpuTotalMhz, formatMhz),
                headroom(c.memoryUsedBytes, c.memoryTotalBytes, formatBytes),
                headroom(
                  c.storageCapacityBytes - c.storageFreeBytes,
                  c.storageCapacityBytes,
                  formatBytes,
                ),
              ]
                .filter(Boolean)
                .join(' · ')}
            </dd>
          </div>
          <div className="fact">
            <dt>vCPU : core</dt>
            <dd>
              {c.vcpus.toLocaleString('en-US')} vCPUs on {c.physicalCores.toLocaleString('en-US')}{' '}
              cores
              {c.physicalCores > 0 && ` (${(c.vcpus / c.physicalCores).toFixed(1)} : 1)`}
            </dd>
          </div>
          <div className="fact">
            <dt>VM memory</dt>
            <dd>
              {formatBytes(c.vmMemoryBytes)} configured
              {c.memoryTotalBytes > 0 &&
                ` (${Math.round((100 * c.vmMemoryBytes) / c.memoryTotalBytes)} % of physical)`}
            </dd>
          </div>
        </dl>
      </Section>
      <Section title="Summary">
        <Facts facts={d.summary} now={now} />
      </Section>
      <Section title="Usage">
        <UsageCharts entityType="cluster" endpointId={d.endpointId} entityId={d.id} />
      </Section>
      <RelatedSection title="Hosts" list={d.hosts} noun="hosts" />
      <RelatedSection title="Virtual machines" list={d.vms} noun="VMs" />
      <HistorySection changes={d.changes} now={now} />
    </>
  );
}

function DatastoreView({ d, now }: { d: DatastoreDetails; now: number }): ReactElement {
  return (
    <>
      <Tags tags={d.tags} />
      <Section title="Capacity">
        <Meter
          label="Used"
          used={
            d.capacityBytes !== null && d.freeBytes !== null ? d.capacityBytes - d.freeBytes : null
          }
          total={d.capacityBytes}
          fmt={formatBytes}
        />
        <Facts facts={d.summary} now={now} />
      </Section>
      <Section title="Usage trend">
        <UsageCharts entityType="datastore" endpointId={d.endpointId} entityId={d.id} />
      </Section>
      <RelatedSection title="Virtual machines" list={d.vms} noun="VMs" />
      <RelatedSection title="Hosts" list={d.hosts} noun="hosts" />
      <HistorySection changes={d.changes} now={now} />
    </>
  );
}

function NetworkView({ d, now }: { d: NetworkDetails; now: number }): ReactElement {
  return (
    <>
      <Tags tags={d.tags} />
      <Section title="Summary">
        <Facts facts={d.summary} now={now} />
      </Section>
      <RelatedSection title="Virtual machines" list={d.vms} noun="VMs" />
      <RelatedSection title="Hosts" list={d.hosts} noun="hosts" />
      <HistorySection changes={d.changes} now={now} />
    </>
  );
}

function sameTarget(a: DetailTarget, b: DetailTarget): boolean {
  return (
    a.kind === b.kind && a.id === b.id && a.endpointId === b.endpointId && a.endpoint === b.endpoint
  );
}

/** The side panel: one entity and everything related to it, one click from each other. */
export function DetailPanel(): ReactElement | null {
  const { target, trail, back, close } = useDetails();
  const [details, setDetails] = useState<{ for: DetailTarget; data: EntityDetails } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tick = useLive((s) => s.tick);
  const now = useNow();
  const ref = useRef<HTMLElement>(null);
  const d = target && details && sameTarget(details.for, target) ? details.data : null;
  const badge = useAlertBadge(d?.endpoint ?? '', d?.kind ?? '', d?.id ?? '');

  useEffect(() => {
    if (!target) return;
    let live = true;
    setError(null);
    api
      .invoke('inventory:entity', {
        kind: target.kind,
        id: target.id,
        ...(target.endpointId !== undefined
          ? { endpointId: target.endpointId }
          : { endpoint: target.endpoint ?? '' }),
      })
      .then(
        (data) => live && setDetails({ for: target, data }),
        (e: unknown) => live && setError(errorText(e)),
      );
    return () => {
      live = false;
    };
  }, [target, tick]);

  useEffect(() => {
    if (target) ref.current?.focus();
  }, [target]);

  if (!target) return null;
  const title = d?.name ?? target.name ?? target.id;
  return (
    <aside
      ref={ref}
      className="detail-panel"
      aria-label={`${KIND_LABEL[target.kind]} ${title}`}
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        } else if (e.key === 'Backspace' && e.altKey) back();
      }}
    >
      <header className="detail-head">
        {trail.length > 0 && (
          <button
            className="icon-btn"
            onClick={back}
            aria-label="Back"
            title="Back (Alt+Backspace)"
          >
            ←
          </button>
        )}
        <div className="detail-title">
          <span className="detail-kind">{KIND_LABEL[target.kind]}</span>
          <h2>{title}</h2>
          {d && (
            <span className="muted detail-meta">
              {d.endpoint} · first seen <Time iso={d.firstSeen} now={now} /> · last seen{' '}
              <Time iso={d.lastSeen} now={now} />
              {d.deletedAt && <span className="badge stale">deleted</span>}
            </span>
          )}
        </div>
        {d?.kind === 'vm' && d.powerState && <StateBadge state={d.powerState} />}
        {d?.kind === 'host' && d.connectionState && <StateBadge state={d.connectionState} />}
        {badge && <AlertBadge info={badge} />}
        <button className="icon-btn" onClick={close} aria-label="Close details" title="Close (Esc)">
          ✕
        </button>
      </header>
      <div className="detail-scroll">
        {error && (
          <div role="alert" className="error">
            {error}
          </div>
        )}
        {!d && !error && <p className="muted">Loading…</p>}
        {d && d.kind !== 'network' && (
          <Section title="Open alerts">
            <EntityAlerts
              endpointId={d.endpointId}
              entityType={d.kind}
              entityId={d.id}
              name={d.name}
              now={now}
            />
          </Section>
        )}
        {d?.kind === 'vm' && <VmView d={d} now={now} />}
        {d?.kind === 'host' && <HostView d={d} now={now} />}
        {d?.kind === 'cluster' && <ClusterView d={d} now={now} />}
        {d?.kind === 'datastore' && <DatastoreView d={d} now={now} />}
        {d?.kind === 'network' && <NetworkView d={d} now={now} />}
      </div>
    </aside>
  );
}
