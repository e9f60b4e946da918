import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import { diffToCsv } from '../../../shared/csv.js';
import type { EntityType } from '../../../shared/entities.js';
import type { DiffEntry, SnapshotDiff, SnapshotInfo } from '../../../shared/export.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { SnapshotBrowser } from '../components/snapshot-browser.js';
import { SearchBox } from '../components/search-box.js';
import { SnapshotImport } from '../components/snapshot-import.js';
import { formatWhen, snapshotName, valueText } from '../snapshot-format.js';
import { errorText } from '../format.js';
import { api } from '../transport.js';
import { can } from '../session.js';

/*
 * History: saved snapshots of the inventory (save, delete) and the diff between two of them or
 * between one and now, with counts per entity type and a filterable table of field changes.
 */

const TYPE_LABELS: Partial<Record<EntityType, string>> = {
  vm: 'VMs',
  host: 'Hosts',
  datastore: 'Datastores',
  network: 'Networks',
  cluster: 'Clusters',
  resourcePool: 'Resource pools',
  datacenter: 'Datacenters',
  folder: 'Folders',
  vmDisk: 'VM disks',
  vmNic: 'VM NICs',
  snapshot: 'VM snapshots',
  guestPartition: 'Guest partitions',
};

/** Rows drawn at once; the filter box narrows the rest. */
const MAX_ROWS = 2000;
/** Entries asked of the core; the summary counts everything regardless. */
const DIFF_LIMIT = 50_000;

/** `infrascope-diff-monday-to-now.csv`: the sides' labels (or ids), safe as a file name. */
function diffFileName(diff: SnapshotDiff): string {
  const part = (s: SnapshotDiff['from']): string =>
    s.id === null
      ? 'now'
      : (s.label ?? `snapshot-${s.id}`).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) ||
        `snapshot-${s.id}`;
  return `infrascope-diff-${part(diff.from)}-to-${part(diff.to)}.csv`;
}

/**
 * Downloads the whole diff (not just the rows the filter shows) as CSV, built here from the diff
 * already on screen: a BOM so Excel reads non-ASCII names right, formula-like text defused.
 */
function downloadDiffCsv(diff: SnapshotDiff): void {
  const blob = new Blob([diffToCsv(diff, { bom: true })], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = diffFileName(diff);
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke later: revoking at once can cancel the download in some engines.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

interface ChangeRow {
  readonly key: string;
  readonly type: EntityType;
  readonly endpoint: string;
  readonly name: string;
  readonly change: DiffEntry['change'];
  readonly field: string;
  readonly old: string;
  readonly new: string;
}

/** One row per changed field; one row for an added or removed entity. */
function changeRows(entries: readonly DiffEntry[]): ChangeRow[] {
  const rows: ChangeRow[] = [];
  entries.forEach((e, i) => {
    const base = { type: e.type, endpoint: e.endpoint, name: e.name, change: e.change };
    if (e.change === 'changed' && e.fields && e.fields.length > 0) {
      for (const f of e.fields)
        rows.push({
          ...base,
          key: `${i}:${f.field}`,
          field: f.field,
          old: valueText(f.old, f.oldName),
          new: valueText(f.new, f.newName),
        });
    } else {
      rows.push({ ...base, key: `${i}`, field: '', old: '', new: '' });
    }
  });
  return rows;
}

function useSnapshots(): {
  snapshots: readonly SnapshotInfo[];
  error: string | null;
  loaded: boolean;
  refresh: () => Promise<void>;
} {
  const [snapshots, setSnapshots] = useState<readonly SnapshotInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const refresh = useCallback(async (): Promise<void> => {
    try {
      setSnapshots(await api.invoke('snapshots:list', {}));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoaded(true);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  return { snapshots, error, loaded, refresh };
}

function SaveSnapshot({ onSaved }: { onSaved: (s: SnapshotInfo) => void }): ReactElement {
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const save = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const trimmed = label.trim();
      const info = await api.invoke('snapshots:save', trimmed ? { label: trimmed } : {});
      setLabel('');
      onSaved(info);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="snapshot-save"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <input
        aria-label="Snapshot label"
        placeholder="Label (optional), e.g. before upgrade"
        maxLength={200}
        value={label}
        onChange={(e) => setLabel(e.target.value)}
      />
      <button type="submit" className="btn primary" disabled={busy}>
        {busy ? 'Saving…' : 'Save snapshot'}
      </button>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
    </form>
  );
}

function countsText(s: SnapshotInfo): string {
  const parts: string[] = [];
  for (const t of ['vm', 'host', 'datastore'] as const) {
    const n = s.counts[t];
    if (n !== undefined) parts.push(`${n.toLocaleString()} ${TYPE_LABELS[t] ?? t}`);
  }
  return parts.join(', ');
}

function SnapshotList({
  snapshots,
  onBrowse,
  onDelete,
}: {
  snapshots: readonly SnapshotInfo[];
  onBrowse: (s: SnapshotInfo) => void;
  onDelete: (s: SnapshotInfo) => void;
}): ReactElement {
  if (snapshots.length === 0)
    return <p className="muted">No snapshots yet. Save one to compare against later.</p>;
  return (
    <table className="plain-table" aria-label="Saved snapshots">
      <thead>
        <tr>
          <th>Label</th>
          <th>Taken</th>
          <th>Origin</th>
          <th>Endpoints</th>
          <th>Contents</th>
          <th aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {snapshots.map((s) => (
          <tr key={s.id}>
            <td>
              {snapshotName(s)}
              {s.readOnly && <span className="badge">imported</span>}
            </td>
            <td>{formatWhen(s.createdAt)}</td>
            <td>{s.origin}</td>
            <td>{s.endpoints.join(', ')}</td>
            <td>{countsText(s)}</td>
            <td className="row-actions">
              <button
                type="button"
                className="btn"
                aria-label={`Browse ${snapshotName(s)}`}
                onClick={() => onBrowse(s)}
              >
                Browse
              </button>
              <button
                type="button"
                className="btn danger"
                hidden={!can('snapshots:delete')}
                aria-label={`Delete ${snapshotName(s)}`}
                onClick={() => onDelete(s)}
              >
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DiffView({ diff }: { diff: SnapshotDiff }): ReactElement {
  const [filter, setFilter] = useState('');
  const rows = useMemo(() => changeRows(diff.entries), [diff]);
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    if (!q) return rows;
    return rows.filter((r) =>
      [r.type, TYPE_LABELS[r.type] ?? '', r.endpoint, r.name, r.change, r.field, r.old, r.new].some(
        (s) => s.toLowerCase().includes(q),
      ),
    );
  }, [rows, filter]);
  const side = (s: SnapshotDiff['from']): string =>
    s.id === null ? 'now' : `${s.label ?? `#${s.id}`} (${formatWhen(s.createdAt)})`;
  return (
    <section className="diff-result" aria-label="Differences">
      <p className="muted">
        From {side(diff.from)} to {side(diff.to)}
      </p>
      <table className="plain-table diff-summary" aria-label="Changes per type">
        <thead>
          <tr>
            <th>Type</th>
            <th>Added</th>
            <th>Removed</th>
            <th>Changed</th>
          </tr>
        </thead>
        <tbody>
          {diff.types.map((t) => {
            const s = diff.summary[t] ?? { added: 0, removed: 0, changed: 0 };
            return (
              <tr key={t}>
                <td>{TYPE_LABELS[t] ?? t}</td>
                <td className="num added">{s.added}</td>
                <td className="num removed">{s.removed}</td>
                <td className="num changed">{s.changed}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {diff.truncated && (
        <p className="muted">The list below is cut short; the counts above include everything.</p>
      )}
      <div className="toolbar">
        <SearchBox
          label="Filter changes"
          placeholder="Filter changes…"
          value={filter}
          onChange={setFilter}
        />
        <span className="count" data-testid="change-count">
          {shown.length === rows.length
            ? `${rows.length} change${rows.length === 1 ? '' : 's'}`
            : `${shown.length} of ${rows.length} changes`}
        </span>
        <button
          type="button"
          className="btn"
          // A file of inventory to take away: an export, the operator's.
          hidden={!can('export:save')}
          disabled={diff.entries.length === 0}
          title={
            diff.truncated
              ? 'The entries listed (the list is cut short), as CSV'
              : 'Every change, as CSV'
          }
          onClick={() => downloadDiffCsv(diff)}
        >
          Download CSV
        </button>
      </div>
      {rows.length === 0 ? (
        <p className="muted">No differences.</p>
      ) : (
        <table className="plain-table diff-changes" aria-label="Changes">
          <thead>
            <tr>
              <th>Type</th>
              <th>Endpoint</th>
              <th>Name</th>
              <th>Change</th>
              <th>Field</th>
              <th>Old → new</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, MAX_ROWS).map((r) => (
              <tr key={r.key} className={`change-${r.change}`}>
                <td>{TYPE_LABELS[r.type] ?? r.type}</td>
                <td>{r.endpoint}</td>
                <td>{r.name}</td>
                <td>{r.change}</td>
                <td>{r.field}</td>
                <td>
                  {r.change === 'changed' ? (
                    <>
                      <span className="old">{r.old}</span> → <span className="new">{r.new}</span>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown.length > MAX_ROWS && (
        <p className="muted">
          Showing the first {MAX_ROWS} of {shown.length}; narrow them with the filter.
        </p>
      )}
    </section>
  );
}

/** Snapshots of the inventory and the differences between them (or between one and now). */
export function HistoryPage(): ReactElement {
  const { snapshots, error, loaded, refresh } = useSnapshots();
  const [deleting, setDeleting] = useState<SnapshotInfo | null>(null);
  const [browsing, setBrowsing] = useState<SnapshotInfo | null>(null);
  const [from, setFrom] = useState<string>('');
  const [to, setTo] = useState<string>('now');
  const [diff, setDiff] = useState<SnapshotDiff | null>(null);
  const [diffBusy, setDiffBusy] = useState(false);
  const [diffError, setDiffError] = useState<string | null>(null);

  // Keep the pickers on snapshots that exist: default A to the newest one.
  useEffect(() => {
    const ids = new Set(snapshots.map((s) => String(s.id)));
    if (!ids.has(from)) setFrom(snapshots[0] ? String(snapshots[0].id) : '');
    if (to !== 'now' && !ids.has(to)) setTo('now');
    if (browsing && !ids.has(String(browsing.id))) setBrowsing(null);
  }, [snapshots, from, to, browsing]);

  const ref = (v: string): number | 'now' => (v === 'now' ? 'now' : Number(v));
  const compare = async (): Promise<void> => {
    setDiffBusy(true);
    setDiffError(null);
    try {
      setDiff(
        await api.invoke('snapshots:diff', { from: ref(from), to: ref(to), limit: DIFF_LIMIT }),
      );
    } catch (e) {
      setDiff(null);
      setDiffError(errorText(e));
    } finally {
      setDiffBusy(false);
    }
  };

  return (
    <section className="page history-page" aria-label="History">
      <header className="page-header">
        <h1>History</h1>
      </header>
      <p className="muted">
        Save snapshots of the inventory, or import an RVTools workbook or an exported JSON snapshot,
        then compare two of them, or one with now, to see what was added, removed or changed.
        Imported snapshots are read-only: browse, compare and export them.
      </p>
      <div className="snapshot-actions">
        {can('snapshots:save') && (
          <SaveSnapshot
            onSaved={(s) => {
              setFrom(String(s.id));
              void refresh();
            }}
          />
        )}
        {can('snapshots:import') && (
          <SnapshotImport
            onImported={(s) => {
              setFrom(String(s.id));
              void refresh();
            }}
          />
        )}
      </div>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {loaded && (
        <SnapshotList
          snapshots={snapshots}
          onBrowse={(s) => setBrowsing(s)}
          onDelete={(s) => setDeleting(s)}
        />
      )}
      {browsing && (
        <SnapshotBrowser key={browsing.id} snapshot={browsing} onClose={() => setBrowsing(null)} />
      )}
      <h2>Compare</h2>
      <form
        className="diff-pickers"
        onSubmit={(e) => {
          e.preventDefault();
          void compare();
        }}
      >
        <label>
          <span>From (A)</span>
          <select aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)}>
            {snapshots.map((s) => (
              <option key={s.id} value={String(s.id)}>
                {snapshotName(s)} — {formatWhen(s.createdAt)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span>To (B)</span>
          <select aria-label="To" value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="now">Now (live inventory)</option>
            {snapshots.map((s) => (
              <option key={s.id} value={String(s.id)}>
                {snapshotName(s)} — {formatWhen(s.createdAt)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn primary" disabled={diffBusy || from === ''}>
          {diffBusy ? 'Comparing…' : 'Compare'}
        </button>
      </form>
      {diffError && (
        <div role="alert" className="error">
          {diffError}
        </div>
      )}
      {diff && <DiffView diff={diff} />}
      {deleting && (
        <ConfirmDialog
          label="Delete snapshot"
          title={`Delete ${snapshotName(deleting)}?`}
          confirmText="Delete"
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            await api.invoke('snapshots:delete', { id: deleting.id });
            setDeleting(null);
            await refresh();
          }}
        >
          <p>
            The snapshot taken {formatWhen(deleting.createdAt)} is removed for good. The live
            inventory is not touched.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
