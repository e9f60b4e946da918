import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactElement } from 'react';
import type { Filter, QueryFieldInfo, QueryKind, QueryRow, Sort } from '../../../shared/query.js';
import { api } from '../transport.js';
import { formatCell } from '../format.js';

const PAGE = 200;
const ROW_HEIGHT = 30;

interface Props {
  readonly kind: QueryKind;
  readonly title: string;
  /** Columns shown by default, in order; the rest are in the column chooser. */
  readonly columns: readonly string[];
  readonly noun: string;
  readonly emptyHint?: string;
}

interface Window {
  offset: number;
  rows: readonly QueryRow[];
}

/**
 * A virtualized table over server-side windows: it asks the core only for the rows in view with
 * the current sort, filter and search, and refetches when inventory changes.
 */
export function InventoryTable({ kind, title, columns, noun, emptyHint }: Props): ReactElement {
  const [fields, setFields] = useState<readonly QueryFieldInfo[]>([]);
  const [sort, setSort] = useState<Sort[]>([]);
  const [search, setSearch] = useState('');
  const [where, setWhere] = useState<Filter[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [win, setWin] = useState<Window>({ offset: 0, rows: [] });
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const parentRef = useRef<HTMLDivElement>(null);
  const range = useRef({ start: 0, end: PAGE });

  useEffect(() => {
    void api.invoke('inventory:fields', { kind }).then(setFields, (e: Error) => setError(e.message));
  }, [kind]);

  useEffect(() => api.on('inventory:changed', () => setVersion((v) => v + 1)), []);

  const shown = useMemo(
    () => columns.map((c) => fields.find((f) => f.name === c)).filter((f): f is QueryFieldInfo => !!f),
    [columns, fields],
  );

  const load = useCallback(
    async (offset: number) => {
      try {
        const res = await api.invoke('inventory:query', {
          kind,
          sort,
          where,
          limit: PAGE,
          offset,
          ...(search.trim() ? { search: search.trim() } : {}),
        });
        setTotal(res.total);
        setWin({ offset, rows: res.rows });
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    [kind, sort, where, search],
  );

  useEffect(() => {
    const start = Math.max(0, range.current.start - PAGE / 4);
    void load(Math.floor(start / PAGE) * PAGE);
  }, [load, version]);

  const count = total ?? 0;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;
  useEffect(() => {
    range.current = { start: first, end: last };
    if (total === null) return;
    if (first < win.offset || last >= win.offset + win.rows.length) {
      if (win.rows.length === 0 && win.offset === 0 && total === 0) return;
      const offset = Math.max(0, Math.floor((first - PAGE / 4) / PAGE) * PAGE);
      if (offset !== win.offset) void load(offset);
    }
  }, [first, last, win, total, load]);

  const toggleSort = (field: string, additive: boolean): void => {
    setSort((prev) => {
      const existing = prev.find((s) => s.field === field);
      const next: Sort = existing ? { field, desc: !existing.desc } : { field, desc: false };
      if (additive) return [...prev.filter((s) => s.field !== field), next];
      return [next];
    });
  };

  const powerChips = kind === 'vms' ? ['poweredOn', 'poweredOff', 'suspended'] : [];
  const activePower = where.find((w) => w.field === 'powerState')?.value;

  return (
    <section className="page" aria-label={title}>
      <header className="page-header">
        <h1>{title}</h1>
        <div className="toolbar">
          <input
            type="search"
            placeholder={`Search ${noun}…`}
            aria-label="Search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          {powerChips.map((p) => (
            <button
              key={p}
              className={`chip ${activePower === p ? 'active' : ''}`}
              onClick={() =>
                setWhere((w) =>
                  activePower === p
                    ? w.filter((x) => x.field !== 'powerState')
                    : [...w.filter((x) => x.field !== 'powerState'), { field: 'powerState', op: '=', value: p }],
                )
              }
            >
              {p === 'poweredOn' ? 'On' : p === 'poweredOff' ? 'Off' : 'Suspended'}
            </button>
          ))}
        </div>
        <span className="count" data-testid="row-count">
          {total === null ? 'Loading…' : `${win.rows.length > 0 || total === 0 ? total.toLocaleString() : '…'} ${noun}`}
        </span>
      </header>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <div className="table" role="table" aria-label={`${title} table`} aria-rowcount={count}>
        <div className="thead" role="row">
          {shown.map((f) => {
            const s = sort.find((x) => x.field === f.name);
            return (
              <div
                key={f.name}
                role="columnheader"
                className="th"
                aria-sort={s ? (s.desc ? 'descending' : 'ascending') : 'none'}
                onClick={(e) => toggleSort(f.name, e.shiftKey)}
                title="Click to sort; Shift-click to add to the sort"
              >
                {f.label} {s ? (s.desc ? '▼' : '▲') : ''}
              </div>
            );
          })}
        </div>
        <div ref={parentRef} className="tbody">
          {total === 0 ? (
            <div className="empty">
              {where.length > 0 || search ? 'No rows match. Clear the filters to see everything.' : (emptyHint ?? 'Nothing here yet.')}
            </div>
          ) : (
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((item) => {
                const row = win.rows[item.index - win.offset];
                return (
                  <div
                    key={item.key}
                    role="row"
                    className="tr"
                    style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                  >
                    {shown.map((f) => (
                      <div key={f.name} role="cell" className={`td ${f.type === 'number' ? 'num' : ''}`} title={row ? String(row[f.name] ?? '') : ''}>
                        {row ? formatCell(f, row[f.name]) : ''}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
