import { useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import type { BrowseType, SnapshotInfo, SnapshotRows } from '../../../shared/export.js';
import { BROWSE_TYPES } from '../../../shared/export.js';
import { useDebounced } from '../hooks/use-debounced.js';
import { SearchBox } from './search-box.js';
import { fieldLabel, snapshotName, valueText } from '../snapshot-format.js';
import { errorText } from '../format.js';
import { api } from '../transport.js';

/*
 * A saved snapshot's VMs, hosts, datastores or networks, read-only. The core searches, sorts and
 * pages (`snapshots:rows`); the page holds one page of rows, never the snapshot.
 */

const PAGE = 50;

const BROWSE_LABELS: Record<BrowseType, string> = {
  vm: 'VMs',
  host: 'Hosts',
  datastore: 'Datastores',
  network: 'Networks',
};

interface Query {
  readonly type: BrowseType;
  readonly search: string;
  readonly sort: string;
  readonly dir: 'asc' | 'desc';
  readonly offset: number;
}

function Pager({
  page,
  onOffset,
}: {
  page: SnapshotRows;
  onOffset: (offset: number) => void;
}): ReactElement {
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.rows.length;
  return (
    <div className="toolbar pager">
      <button
        type="button"
        className="btn"
        aria-label="Previous page"
        disabled={page.offset === 0}
        onClick={() => onOffset(Math.max(0, page.offset - PAGE))}
      >
        ‹ Previous
      </button>
      <span className="count" data-testid="snapshot-row-count">
        {first.toLocaleString()}–{last.toLocaleString()} of {page.total.toLocaleString()}
      </span>
      <button
        type="button"
        className="btn"
        aria-label="Next page"
        disabled={last >= page.total}
        onClick={() => onOffset(page.offset + PAGE)}
      >
        Next ›
      </button>
    </div>
  );
}

/** Browses one snapshot's rows; closes back to the list. */
export function SnapshotBrowser({
  snapshot,
  onClose,
}: {
  snapshot: SnapshotInfo;
  onClose: () => void;
}): ReactElement {
  const [typed, setTyped] = useState('');
  const search = useDebounced(typed, 250);
  const [query, setQuery] = useState<Query>({
    type: 'vm',
    search: '',
    sort: 'name',
    dir: 'asc',
    offset: 0,
  });
  const [page, setPage] = useState<SnapshotRows | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setQuery((q) => (q.search === search ? q : { ...q, search, offset: 0 }));
  }, [search]);

  useEffect(() => {
    let stale = false;
    api.invoke('snapshots:rows', { id: snapshot.id, ...query, limit: PAGE }).then(
      (p) => {
        if (stale) return;
        setPage(p);
        setError(null);
      },
      (e: unknown) => {
        if (!stale) setError(errorText(e));
      },
    );
    return () => {
      stale = true;
    };
  }, [snapshot.id, query]);

  const sortBy = (column: string): void =>
    setQuery((q) => ({
      ...q,
      sort: column,
      dir: q.sort === column && q.dir === 'asc' ? 'desc' : 'asc',
      offset: 0,
    }));
  const columns = page?.type === query.type ? page.columns : [];

  return (
    <section className="snapshot-browser" aria-label="Snapshot contents">
      <header className="toolbar">
        <h2>
          {snapshotName(snapshot)} <span className="badge">read-only</span>
        </h2>
        <button type="button" className="btn" onClick={onClose}>
          Close
        </button>
      </header>
      <div className="toolbar">
        <select
          aria-label="Entity type"
          value={query.type}
          onChange={(e) =>
            setQuery((q) => ({
              ...q,
              type: e.target.value as BrowseType,
              sort: 'name',
              dir: 'asc',
              offset: 0,
            }))
          }
        >
          {BROWSE_TYPES.map((t) => (
            <option key={t} value={t}>
              {BROWSE_LABELS[t]} ({(snapshot.counts[t] ?? 0).toLocaleString()})
            </option>
          ))}
        </select>
        <SearchBox
          label="Search snapshot rows"
          placeholder="Search names and values…"
          value={typed}
          onChange={setTyped}
        />
      </div>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      {page && <Pager page={page} onOffset={(offset) => setQuery((q) => ({ ...q, offset }))} />}
      <div className="table-scroll">
        <table className="plain-table snapshot-rows" aria-label="Snapshot rows">
          <thead>
            <tr>
              {columns.map((c) => (
                <th
                  key={c}
                  aria-sort={
                    query.sort === c ? (query.dir === 'asc' ? 'ascending' : 'descending') : 'none'
                  }
                >
                  <button
                    type="button"
                    className="link"
                    aria-label={`Sort by ${fieldLabel(c)}`}
                    onClick={() => sortBy(c)}
                  >
                    {fieldLabel(c)}
                    {query.sort === c ? (query.dir === 'asc' ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {page?.type === query.type &&
              page.rows.map((r) => (
                <tr key={r.key}>
                  {columns.map((c) => (
                    <td key={c}>{valueText(r.values[c], r.refs[c])}</td>
                  ))}
                </tr>
              ))}
          </tbody>
        </table>
      </div>
      {page && page.total === 0 && <p className="muted">No rows match.</p>}
    </section>
  );
}
