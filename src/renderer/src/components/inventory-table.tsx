import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  CSSProperties,
  KeyboardEvent,
  MouseEvent,
  PointerEvent as ReactPointerEvent,
  ReactElement,
} from 'react';
import type {
  Filter,
  QueryFieldInfo,
  QueryKind,
  QueryRow,
  Scope,
  Sort,
} from '../../../shared/query.js';
import { useDebounced } from '../hooks/use-debounced.js';
import { useNow } from '../hooks/use-now.js';
import { useDetails } from '../stores/details.js';
import { selectedVms, useExport } from '../stores/export.js';
import { useLive } from '../stores/live.js';
import { describeScope, useQueryScope, useScope } from '../stores/scope.js';
import { useTableIntent } from '../stores/table-intent.js';
import type { TableLayout } from '../stores/table-layout.js';
import {
  defaultLayout,
  loadLayout,
  resetLayout,
  resizeColumn,
  moveColumn,
  saveLayout,
} from '../stores/table-layout.js';
import { api } from '../transport.js';
import { RowAlertBadge } from './alert-badge.js';
import { Cell } from './cell.js';
import { copyText } from './clipboard.js';
import { ColumnChooser } from './column-chooser.js';
import { ColumnFilterEditor, describeFilter } from './column-filter.js';
import { Popover } from './popover.js';
import { ScopeNote } from './scope-selector.js';
import type { ColumnFilter, QuickFilters } from './table-model.js';
import {
  NO_QUICK,
  cellText,
  countText,
  detailTargetOf,
  pagesFor,
  quickToFilters,
  rangeOf,
  rowKey,
  toQueryFilters,
  toTsv,
  toggleSort,
} from './table-model.js';

const PAGE = 100;
/** Pages kept in memory around the view; the rest are dropped and refetched when scrolled back. */
const KEEP_PAGES = 24;
/** Most rows one copy or select-all fetches (the query's page limit). */
const MAX_FETCH = 10_000;
const MAX_IN_FLIGHT = 2;
const MARGIN_DELAY_MS = 400;
const ROW_HEIGHT = { compact: 28, comfortable: 36 } as const;
const POWER_LABELS: Record<string, string> = {
  poweredOn: 'On',
  poweredOff: 'Off',
  suspended: 'Suspended',
  standBy: 'Standby',
  unknown: 'Unknown',
};

interface Props {
  readonly kind: QueryKind;
  readonly title: string;
  /** Columns shown by default, in order; the rest are in the column chooser. */
  readonly columns: readonly string[];
  readonly noun: string;
  readonly emptyHint?: string;
  /** Storage key of the layout; defaults to the kind. */
  readonly tableId?: string;
}

interface Cache {
  readonly key: string;
  readonly pages: Map<number, readonly QueryRow[]>;
  readonly loading: Set<number>;
  /** Pages fetched since the last live update; the others are shown until refetched. */
  readonly fresh: Set<number>;
}

interface Selected {
  readonly index: number;
  readonly row: QueryRow;
}

interface RowProps {
  readonly kind: QueryKind;
  readonly index: number;
  readonly row: QueryRow | undefined;
  readonly fields: readonly QueryFieldInfo[];
  readonly selected: boolean;
  readonly active: boolean;
  readonly start: number;
  readonly height: number;
  readonly grid: string;
  readonly now: number;
}

const Row = memo(function Row({
  kind,
  index,
  row,
  fields,
  selected,
  active,
  start,
  height,
  grid,
  now,
}: RowProps): ReactElement {
  const style: CSSProperties = {
    transform: `translateY(${start}px)`,
    height,
    gridTemplateColumns: grid,
  };
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-index={index}
      className={`tr${selected ? ' selected' : ''}${active ? ' active' : ''}${row ? '' : ' loading'}`}
      style={style}
    >
      {fields.map((f) => (
        <div
          key={f.name}
          role="cell"
          className={`td${f.type === 'number' ? ' num' : ''}`}
          title={row ? cellText(row[f.name]) : undefined}
        >
          {row ? <Cell kind={kind} field={f} row={row} now={now} /> : ''}
          {row && f.name === 'name' && <RowAlertBadge kind={kind} row={row} />}
        </div>
      ))}
    </div>
  );
});

/** What the page cache is keyed by, and what each page request sends. */
interface KeyedQuery {
  readonly where: Filter[];
  readonly sort: Sort[];
  readonly search: string;
  readonly scope?: Scope;
}

/**
 * A virtualized table over server-side windows: it asks the core only for the pages in view with
 * the current sort, filters and search, keeps the layout per table, and refetches the pages in
 * view when inventory changes (selection and scroll stay where they are).
 */
export function InventoryTable({
  kind,
  title,
  columns,
  noun,
  emptyHint,
  tableId,
}: Props): ReactElement {
  const storageKey = tableId ?? kind;
  const fallback = useMemo(() => defaultLayout(columns), [columns]);
  const [layout, setLayoutState] = useState<TableLayout>(() => loadLayout(storageKey, fallback));
  const [fields, setFields] = useState<readonly QueryFieldInfo[]>([]);
  const [searchText, setSearchText] = useState('');
  const search = useDebounced(searchText.trim(), 150);
  const [colFilters, setColFilters] = useState<Readonly<Record<string, ColumnFilter>>>({});
  const [quick, setQuick] = useState<QuickFilters>(NO_QUICK);
  const [total, setTotal] = useState<number | null>(null);
  const [grandTotal, setGrandTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [renderTick, setRenderTick] = useState(0);
  const [selection, setSelection] = useState<ReadonlyMap<string, Selected>>(new Map());
  const [active, setActive] = useState<number | null>(null);
  const anchor = useRef<number | null>(null);
  const [menu, setMenu] = useState<{
    x: number;
    y: number;
    index: number;
    field: string | null;
  } | null>(null);
  const [filterOpen, setFilterOpen] = useState<string | null>(null);
  const [chooserOpen, setChooserOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [clusters, setClusters] = useState<readonly string[]>([]);
  const [endpoints, setEndpoints] = useState<readonly string[]>([]);
  const [tags, setTags] = useState<readonly string[]>([]);
  const tick = useLive((s) => s.tick);
  // Filters handed over by a link elsewhere (a dashboard card), now or while this table shows.
  const pendingIntent = useTableIntent((s) => s.intent);
  useEffect(() => {
    const intent = useTableIntent.getState().take(kind);
    if (!intent) return;
    setQuick({ ...NO_QUICK, ...intent.quick });
    setColFilters(Object.fromEntries((intent.filters ?? []).map((f) => [f.field, f])));
    setSearchText(intent.search ?? '');
  }, [kind, pendingIntent]);
  const openDetails = useDetails((s) => s.open);
  const now = useNow();
  const scrollRef = useRef<HTMLDivElement>(null);

  const setLayout = useCallback(
    (next: TableLayout) => {
      setLayoutState(next);
      saveLayout(storageKey, next);
    },
    [storageKey],
  );

  useEffect(() => {
    setLayoutState(loadLayout(storageKey, fallback));
  }, [storageKey, fallback]);

  // Once the fields are known, drop stored columns that no longer exist.
  useEffect(() => {
    if (fields.length === 0) return;
    const names = fields.map((f) => f.name);
    setLayoutState((l) => loadLayout(storageKey, l, names));
  }, [fields, storageKey]);

  const sort: readonly Sort[] = layout.sort;
  const where: Filter[] = useMemo(() => {
    const out: Filter[] = [];
    for (const f of Object.values(colFilters))
      out.push(
        ...toQueryFilters(
          f,
          fields.find((x) => x.name === f.field),
        ),
      );
    out.push(...quickToFilters(quick, fields, Date.now()));
    return out;
    // `now` is deliberately left out: the stale cut-off moves only when the chip is toggled.
  }, [colFilters, quick, fields]);
  const scope = useQueryScope();
  const queryKey = JSON.stringify({ kind, where, sort, search, scope });
  const cache = useRef<Cache>({ key: '', pages: new Map(), loading: new Set(), fresh: new Set() });
  // Rows of the previous query stay on screen (marked busy) until the new query's first page
  // lands, so a sort or filter change repaints once, without a flash of empty rows.
  const previous = useRef<Cache | null>(null);
  if (cache.current.key !== queryKey) {
    previous.current = cache.current;
    cache.current = { key: queryKey, pages: new Map(), loading: new Set(), fresh: new Set() };
  }
  const filtered = where.length > 0 || search !== '';
  // The export dialog offers "this table's filters"; it reads them from here.
  useEffect(
    () => useExport.getState().setTable({ kind, title, where, search, scope }),
    [kind, title, where, search, scope],
  );
  useEffect(() => () => useExport.getState().setTable(null), []);

  const load = useCallback(
    (page: number) => {
      const c = cache.current;
      if (c.loading.has(page)) return;
      // While scrolling fast, pages asked for a moment ago are already out of view: keep at most
      // two in flight so the core answers the rows in view rather than a backlog.
      if (c.loading.size >= MAX_IN_FLIGHT) return;
      c.loading.add(page);
      const q = JSON.parse(c.key) as KeyedQuery;
      api
        .invoke('inventory:query', {
          kind,
          where: q.where,
          sort: q.sort,
          limit: PAGE,
          offset: page * PAGE,
          ...(q.search ? { search: q.search } : {}),
          ...(q.scope ? { scope: q.scope } : {}),
        })
        .then(
          (res) => {
            c.loading.delete(page);
            if (cache.current !== c) return;
            c.pages.set(page, res.rows);
            c.fresh.add(page);
            if (c.pages.size > KEEP_PAGES) {
              // Drop the pages farthest from this one.
              const far = [...c.pages.keys()].sort(
                (a, b) => Math.abs(b - page) - Math.abs(a - page),
              );
              for (const p of far.slice(0, c.pages.size - KEEP_PAGES)) {
                c.pages.delete(p);
                c.fresh.delete(p);
              }
            }
            setFields((prev) => (prev.length === res.fields.length ? prev : res.fields));
            setTotal(res.total);
            setError(null);
            setRenderTick((t) => t + 1);
          },
          (e: unknown) => {
            c.loading.delete(page);
            if (cache.current === c) setError(e instanceof Error ? e.message : String(e));
            setRenderTick((t) => t + 1);
          },
        );
    },
    [kind],
  );

  // A new query: back to the top, and the first page.
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
    setActive(null);
    load(0);
  }, [queryKey, load]);

  // The unfiltered total, for "1,234 of 11,000".
  useEffect(() => {
    let live = true;
    // Within the scope: "4 of 120 VMs in vc-lab", not "4 of 11,000".
    api.invoke('inventory:query', { kind, limit: 0, ...(scope ? { scope } : {}) }).then(
      (r) => live && setGrandTotal(r.total),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [kind, tick, scope]);

  // Chip choices: endpoints and clusters present in the store.
  const hasField = useCallback((name: string) => fields.some((f) => f.name === name), [fields]);
  const wantsClusters = hasField('cluster');
  const wantsEndpoints = hasField('endpoint');
  const wantsTags = hasField('tags');
  useEffect(() => {
    let live = true;
    if (wantsClusters) {
      api
        .invoke('inventory:query', {
          kind: 'clusters',
          limit: 500,
          sort: [{ field: 'name', desc: false }],
        })
        .then(
          (r) =>
            live &&
            setClusters([...new Set(r.rows.map((x) => String(x['name'] ?? '')))].filter(Boolean)),
          () => undefined,
        );
    }
    if (wantsEndpoints) {
      api.invoke('inventory:query', { kind: 'endpoints', limit: 500 }).then(
        (r) => live && setEndpoints(r.rows.map((x) => String(x['name'] ?? '')).filter(Boolean)),
        () => undefined,
      );
    }
    if (wantsTags) {
      api.invoke('inventory:tags', {}).then(
        (r) => live && setTags(r),
        () => undefined,
      );
    }
    return () => {
      live = false;
    };
  }, [wantsClusters, wantsEndpoints, wantsTags, tick]);

  const shown = useMemo(
    () =>
      layout.columns
        .map((c) => fields.find((f) => f.name === c.name))
        .filter((f): f is QueryFieldInfo => !!f),
    [layout.columns, fields],
  );
  const grid = useMemo(
    () =>
      layout.columns
        .filter((c) => fields.length === 0 || fields.some((f) => f.name === c.name))
        .map((c) => `${c.width}px`)
        .join(' '),
    [layout.columns, fields],
  );
  const width = layout.columns
    .filter((c) => fields.length === 0 || fields.some((f) => f.name === c.name))
    .reduce((s, c) => s + c.width, 0);
  const rowHeight = ROW_HEIGHT[layout.density];

  const count = total ?? 0;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    paddingStart: rowHeight,
  });
  useEffect(() => {
    virtualizer.measure();
  }, [rowHeight, virtualizer]);
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;

  // Live update: keep what is shown, refetch the pages in view.
  const lastTick = useRef(tick);
  useEffect(() => {
    if (lastTick.current === tick) return;
    lastTick.current = tick;
    cache.current.fresh.clear();
    const pages = total === null ? [0] : pagesFor(first, last, PAGE, Math.max(count, 1));
    for (const p of pages) load(p);
  }, [tick, first, last, count, total, load]);

  // The pages in view now; the margin either side only once the table has been idle a moment,
  // so a margin page never delays the answer to the user's next sort or filter.
  useEffect(() => {
    if (total === null || count === 0) return;
    const wanted = pagesFor(first, last, PAGE, count);
    const inView = wanted.filter((p) => p * PAGE <= last && (p + 1) * PAGE > first);
    for (const p of inView) if (!cache.current.fresh.has(p)) load(p);
    const margins = wanted.filter((p) => !inView.includes(p) && !cache.current.fresh.has(p));
    if (margins.length === 0) return;
    const t = setTimeout(() => {
      if (cache.current.loading.size === 0) for (const p of margins) load(p);
    }, MARGIN_DELAY_MS);
    return () => clearTimeout(t);
  });

  const rowAt = useCallback((index: number): QueryRow | undefined => {
    const c = cache.current.pages.size > 0 ? cache.current : (previous.current ?? cache.current);
    return c.pages.get(Math.floor(index / PAGE))?.[index % PAGE];
  }, []);

  /** Rows [start, end] from the cache, or fetched when some are not loaded. */
  const fetchRange = useCallback(
    async (start: number, end: number): Promise<QueryRow[]> => {
      const rows: QueryRow[] = [];
      let missing = false;
      for (let i = start; i <= end; i++) {
        const r = rowAt(i);
        if (!r) {
          missing = true;
          break;
        }
        rows.push(r);
      }
      if (!missing) return rows;
      const q = JSON.parse(cache.current.key) as KeyedQuery;
      const res = await api.invoke('inventory:query', {
        kind,
        where: q.where,
        sort: q.sort,
        offset: start,
        limit: Math.min(MAX_FETCH, end - start + 1),
        ...(q.search ? { search: q.search } : {}),
        ...(q.scope ? { scope: q.scope } : {}),
      });
      return [...res.rows];
    },
    [kind, rowAt],
  );

  const selectOnly = useCallback(
    (index: number) => {
      const row = rowAt(index);
      setSelection(row ? new Map([[rowKey(row), { index, row }]]) : new Map());
      setActive(index);
      anchor.current = index;
    },
    [rowAt],
  );

  const selectRange = useCallback(
    async (from: number, to: number) => {
      const { start, end } = rangeOf(from, to);
      const rows = await fetchRange(start, Math.min(end, start + MAX_FETCH - 1));
      setSelection(new Map(rows.map((row, i) => [rowKey(row), { index: start + i, row }])));
      setActive(to);
    },
    [fetchRange],
  );

  const toggleOne = useCallback(
    (index: number) => {
      const row = rowAt(index);
      if (!row) return;
      setSelection((prev) => {
        const next = new Map(prev);
        const key = rowKey(row);
        if (next.has(key)) next.delete(key);
        else next.set(key, { index, row });
        return next;
      });
      setActive(index);
      anchor.current = index;
    },
    [rowAt],
  );

  const selectAll = useCallback(async () => {
    if (count === 0) return;
    const rows = await fetchRange(0, Math.min(count, MAX_FETCH) - 1);
    setSelection(new Map(rows.map((row, i) => [rowKey(row), { index: i, row }])));
    if (count > MAX_FETCH)
      setNotice(`Selected the first ${MAX_FETCH.toLocaleString('en-US')} rows`);
  }, [count, fetchRange]);

  // Keep the selected rows' data current after a live update (same key, new values).
  useEffect(() => {
    setSelection((prev) => {
      if (prev.size === 0) return prev;
      let changed = false;
      const next = new Map<string, Selected>();
      for (const [key, sel] of prev) {
        const row = rowAt(sel.index);
        if (row && rowKey(row) === key && row !== sel.row) {
          changed = true;
          next.set(key, { index: sel.index, row });
        } else next.set(key, sel);
      }
      return changed ? next : prev;
    });
  }, [renderTick, rowAt]);

  const copySelection = useCallback(async () => {
    const rows = [...selection.values()].sort((a, b) => a.index - b.index).map((s) => s.row);
    if (rows.length === 0) return;
    try {
      await copyText(toTsv(shown, rows));
      setNotice(
        `Copied ${rows.length.toLocaleString('en-US')} ${rows.length === 1 ? 'row' : 'rows'}`,
      );
    } catch (e) {
      setNotice(`Could not copy: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, [selection, shown]);

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 2500);
    return () => clearTimeout(t);
  }, [notice]);

  const open = useCallback(
    (index: number) => {
      const row = rowAt(index);
      const target = row ? detailTargetOf(kind, row) : null;
      if (target) openDetails(target);
    },
    [kind, rowAt, openDetails],
  );

  const indexOf = (e: MouseEvent): number | null => {
    const el = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
    return el ? Number(el.dataset['index']) : null;
  };
  const fieldOf = (e: MouseEvent): string | null => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[role="cell"]');
    const row = cell?.parentElement;
    if (!cell || !row) return null;
    const i = Array.prototype.indexOf.call(row.children, cell);
    return shown[i]?.name ?? null;
  };

  const onBodyClick = (e: MouseEvent): void => {
    const index = indexOf(e);
    if (index === null) return;
    if (e.shiftKey && anchor.current !== null) void selectRange(anchor.current, index);
    else if (e.ctrlKey || e.metaKey) toggleOne(index);
    else selectOnly(index);
  };
  const onContextMenu = (e: MouseEvent): void => {
    const index = indexOf(e);
    if (index === null) return;
    e.preventDefault();
    const row = rowAt(index);
    if (row && !selection.has(rowKey(row))) selectOnly(index);
    setMenu({ x: e.clientX, y: e.clientY, index, field: fieldOf(e) });
  };

  const moveActive = (to: number, extend: boolean): void => {
    if (count === 0) return;
    const i = Math.max(0, Math.min(count - 1, to));
    virtualizer.scrollToIndex(i, { align: 'auto' });
    if (extend && anchor.current !== null) void selectRange(anchor.current, i);
    else selectOnly(i);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>): void => {
    const pageRows = Math.max(
      1,
      Math.floor((scrollRef.current?.clientHeight ?? 300) / rowHeight) - 2,
    );
    const cur = active ?? -1;
    const mod = e.ctrlKey || e.metaKey;
    switch (e.key) {
      case 'ArrowDown':
        moveActive(cur + 1, e.shiftKey);
        break;
      case 'ArrowUp':
        moveActive(cur <= 0 ? 0 : cur - 1, e.shiftKey);
        break;
      case 'PageDown':
        moveActive(cur + pageRows, e.shiftKey);
        break;
      case 'PageUp':
        moveActive(cur - pageRows, e.shiftKey);
        break;
      case 'Home':
        moveActive(0, e.shiftKey);
        break;
      case 'End':
        moveActive(count - 1, e.shiftKey);
        break;
      case ' ':
        if (active !== null) toggleOne(active);
        break;
      case 'Enter':
        if (active !== null) open(active);
        break;
      case 'Escape':
        if (selection.size === 0) return;
        setSelection(new Map());
        break;
      case 'ContextMenu':
      case 'F10':
        if (e.key === 'F10' && !e.shiftKey) return;
        if (active !== null) {
          const el = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${active}"]`);
          const r = el?.getBoundingClientRect();
          setMenu({
            x: (r?.left ?? 100) + 40,
            y: (r?.bottom ?? 100) - 4,
            index: active,
            field: null,
          });
        }
        break;
      case 'a':
      case 'A':
        if (!mod) return;
        void selectAll();
        break;
      case 'c':
      case 'C':
        if (!mod) return;
        void copySelection();
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  // Column resize by dragging the header's edge.
  const startResize = (e: ReactPointerEvent, name: string, startWidth: number): void => {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX;
    let current = layout;
    const onMove = (ev: PointerEvent): void => {
      current = resizeColumn(layout, name, startWidth + ev.clientX - x0);
      setLayoutState(current);
    };
    const onUp = (): void => {
      window.removeEventListener('pointermove', onMove);
      window.removeEventListener('pointerup', onUp);
      saveLayout(storageKey, current);
    };
    window.addEventListener('pointermove', onMove);
    window.addEventListener('pointerup', onUp);
  };
  const dragCol = useRef<string | null>(null);

  const powerField = fields.find((f) => f.name === 'powerState' && f.type === 'enum');
  const activeFilters = Object.values(colFilters);
  const selectedCount = selection.size;
  const anyFilter = filtered || activeFilters.length > 0;
  const clearAll = (): void => {
    setColFilters({});
    setQuick(NO_QUICK);
    setSearchText('');
  };
  const menuRow = menu ? rowAt(menu.index) : undefined;
  const menuTarget = menuRow ? detailTargetOf(kind, menuRow) : null;
  // Only VMs can be exported by selection (the core keeps them with their disks, NICs, snapshots).
  const canExportSelection = kind === 'vms' && selectedCount > 0;
  const exportSelection = (): void => {
    const rows = [...selection.values()].sort((a, b) => a.index - b.index).map((s) => s.row);
    const vms = selectedVms(rows);
    if (vms.length > 0) useExport.getState().openDialog({ selection: vms });
  };

  return (
    <section className={`page table-page density-${layout.density}`} aria-label={title}>
      <header className="page-header">
        <h1>{title}</h1>
        <ScopeNote />
        <div className="toolbar">
          <input
            type="search"
            placeholder={`Search ${noun}…`}
            aria-label="Search"
            value={searchText}
            onChange={(e) => setSearchText(e.target.value)}
          />
          <button
            className="btn"
            aria-haspopup="dialog"
            aria-expanded={chooserOpen}
            onClick={() => setChooserOpen((o) => !o)}
          >
            Columns
          </button>
          {chooserOpen && (
            <ColumnChooser
              fields={fields}
              layout={layout}
              onChange={setLayout}
              onReset={() => {
                resetLayout(storageKey);
                setLayoutState(fallback);
              }}
              onClose={() => setChooserOpen(false)}
            />
          )}
          <button
            className="btn"
            aria-label={`Density: ${layout.density}`}
            title="Row density"
            onClick={() =>
              setLayout({
                ...layout,
                density: layout.density === 'compact' ? 'comfortable' : 'compact',
              })
            }
          >
            {layout.density === 'compact' ? 'Comfortable rows' : 'Compact rows'}
          </button>
          {canExportSelection && (
            <button className="btn" aria-haspopup="dialog" onClick={exportSelection}>
              Export selection
            </button>
          )}
        </div>
        <span className="count" data-testid="row-count" aria-live="polite">
          {countText(total, filtered ? grandTotal : total, noun)}
        </span>
      </header>
      <div className="chips" role="toolbar" aria-label="Quick filters">
        {powerField?.values?.map((p) => (
          <button
            key={p}
            className={`chip ${quick.powerState === p ? 'active' : ''}`}
            aria-pressed={quick.powerState === p}
            onClick={() => setQuick((q) => ({ ...q, powerState: q.powerState === p ? null : p }))}
          >
            {POWER_LABELS[p] ?? p}
          </button>
        ))}
        {wantsEndpoints && endpoints.length > 1 && (
          <select
            className="chip-select"
            aria-label="Endpoint"
            value={quick.endpoint ?? ''}
            onChange={(e) => setQuick((q) => ({ ...q, endpoint: e.target.value || null }))}
          >
            <option value="">All endpoints</option>
            {endpoints.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        )}
        {wantsClusters && clusters.length > 0 && (
          <select
            className="chip-select"
            aria-label="Cluster"
            value={quick.cluster ?? ''}
            onChange={(e) => setQuick((q) => ({ ...q, cluster: e.target.value || null }))}
          >
            <option value="">All clusters</option>
            {clusters.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        )}
        {wantsTags && (tags.length > 0 || quick.tag !== null) && (
          <select
            className="chip-select"
            aria-label="Tag"
            value={quick.tag ?? ''}
            onChange={(e) => setQuick((q) => ({ ...q, tag: e.target.value || null }))}
          >
            <option value="">All tags</option>
            {(quick.tag === null || tags.includes(quick.tag) ? tags : [quick.tag, ...tags]).map(
              (x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ),
            )}
          </select>
        )}
        {hasField('lastSeen') && (
          <button
            className={`chip ${quick.stale ? 'active' : ''}`}
            aria-pressed={quick.stale}
            title="Not seen by its endpoint for more than 24 hours"
            onClick={() => setQuick((q) => ({ ...q, stale: !q.stale }))}
          >
            Stale
          </button>
        )}
        {activeFilters.map((f) => (
          <span key={f.field} className="chip active filter-chip">
            {describeFilter(
              f,
              fields.find((x) => x.name === f.field),
            )}
            <button
              className="chip-x"
              aria-label={`Remove filter on ${fields.find((x) => x.name === f.field)?.label ?? f.field}`}
              onClick={() =>
                setColFilters((all) => {
                  const next = { ...all };
                  delete next[f.field];
                  return next;
                })
              }
            >
              ×
            </button>
          </span>
        ))}
        {anyFilter && (
          <button className="chip clear" onClick={clearAll}>
            Clear filters
          </button>
        )}
        <span className="selection-info" aria-live="polite">
          {notice ?? (selectedCount > 0 ? `${selectedCount.toLocaleString('en-US')} selected` : '')}
        </span>
      </div>
      {error && (
        <div role="alert" className="error">
          {error}
        </div>
      )}
      <div
        ref={scrollRef}
        className="table"
        role="table"
        aria-label={`${title} table`}
        aria-rowcount={count + 1}
        aria-multiselectable="true"
        aria-busy={total === null || cache.current.pages.size === 0}
        tabIndex={0}
        onKeyDown={onKeyDown}
      >
        <div
          className="table-inner"
          style={{ width, height: total === 0 ? undefined : virtualizer.getTotalSize() }}
        >
          <div
            className="thead"
            role="row"
            style={{ gridTemplateColumns: grid, height: rowHeight }}
          >
            {shown.map((f) => {
              const si = sort.findIndex((x) => x.field === f.name);
              const s = sort[si];
              const col = layout.columns.find((c) => c.name === f.name);
              const hasFilter = !!colFilters[f.name];
              return (
                <div
                  key={f.name}
                  role="columnheader"
                  className={`th${f.type === 'number' ? ' num' : ''}`}
                  aria-sort={s ? (s.desc ? 'descending' : 'ascending') : 'none'}
                  draggable
                  onDragStart={(e) => {
                    dragCol.current = f.name;
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                  onDragOver={(e) => e.preventDefault()}
                  onDrop={(e) => {
                    e.preventDefault();
                    const from = dragCol.current;
                    dragCol.current = null;
                    if (from && from !== f.name) {
                      setLayout(
                        moveColumn(
                          layout,
                          from,
                          layout.columns.findIndex((c) => c.name === f.name),
                        ),
                      );
                    }
                  }}
                >
                  <button
                    className="th-sort"
                    onClick={(e) =>
                      setLayout({ ...layout, sort: toggleSort(sort, f.name, e.shiftKey) })
                    }
                    title="Click to sort; Shift-click to add to the sort"
                  >
                    <span className="th-label">{f.label}</span>
                    {s && (
                      <span className="sort-mark" aria-hidden="true">
                        {s.desc ? '▼' : '▲'}
                        {sort.length > 1 ? si + 1 : ''}
                      </span>
                    )}
                  </button>
                  <button
                    className={`th-filter${hasFilter ? ' on' : ''}`}
                    aria-label={`Filter ${f.label}`}
                    aria-haspopup="dialog"
                    onClick={() => setFilterOpen((o) => (o === f.name ? null : f.name))}
                  >
                    <svg viewBox="0 0 16 16" width="11" height="11" aria-hidden="true">
                      <path d="M1 2h14l-5.5 6.5V14l-3-1.5V8.5z" fill="currentColor" />
                    </svg>
                  </button>
                  <span
                    className="resize"
                    role="separator"
                    aria-orientation="vertical"
                    aria-label={`Resize ${f.label}`}
                    onPointerDown={(e) => startResize(e, f.name, col?.width ?? 140)}
                    onDoubleClick={() => setLayout(resizeColumn(layout, f.name, 140))}
                  />
                  {filterOpen === f.name && (
                    <ColumnFilterEditor
                      field={f}
                      value={colFilters[f.name]}
                      onChange={(flt) =>
                        setColFilters((all) => {
                          const next = { ...all };
                          if (flt) next[f.name] = flt;
                          else delete next[f.name];
                          return next;
                        })
                      }
                      onClose={() => setFilterOpen(null)}
                    />
                  )}
                </div>
              );
            })}
          </div>
          {total === 0 ? (
            <div className="empty" style={{ width: 'min(100%, 100vw)' }}>
              {anyFilter ? (
                <>
                  <p>No {noun} match these filters.</p>
                  <button className="btn" onClick={clearAll}>
                    Clear filters
                  </button>
                </>
              ) : scope ? (
                <>
                  <p>
                    No {noun} in the scope{' '}
                    {describeScope(scope.endpoint ?? null, scope.tag ?? null)}.
                  </p>
                  <button className="btn" onClick={() => useScope.getState().clear()}>
                    Clear the scope
                  </button>
                </>
              ) : (
                <p>{emptyHint ?? 'Nothing here yet.'}</p>
              )}
            </div>
          ) : (
            <div
              className="tbody"
              role="rowgroup"
              onClick={onBodyClick}
              onDoubleClick={(e) => {
                const i = indexOf(e);
                if (i !== null) open(i);
              }}
              onContextMenu={onContextMenu}
            >
              {items.map((item) => {
                const row = rowAt(item.index);
                return (
                  <Row
                    key={item.index}
                    kind={kind}
                    index={item.index}
                    row={row}
                    fields={shown}
                    selected={row ? selection.has(rowKey(row)) : false}
                    active={active === item.index}
                    start={item.start}
                    height={rowHeight}
                    grid={grid}
                    now={now}
                  />
                );
              })}
            </div>
          )}
        </div>
      </div>
      {menu && (
        <Popover
          label="Row actions"
          role="menu"
          at={{ x: menu.x, y: menu.y }}
          onClose={() => setMenu(null)}
          className="context-menu"
        >
          <button
            role="menuitem"
            disabled={!menuTarget}
            onClick={() => {
              setMenu(null);
              open(menu.index);
            }}
          >
            Open details
          </button>
          <button
            role="menuitem"
            onClick={() => {
              setMenu(null);
              void copySelection();
            }}
          >
            Copy {selectedCount > 1 ? `${selectedCount.toLocaleString('en-US')} rows` : 'row'}
          </button>
          {kind === 'vms' && (
            <button
              role="menuitem"
              disabled={!canExportSelection}
              onClick={() => {
                setMenu(null);
                exportSelection();
              }}
            >
              Export{' '}
              {selectedCount > 1 ? `${selectedCount.toLocaleString('en-US')} VMs` : 'this VM'}…
            </button>
          )}
          {menu.field && menuRow && (
            <button
              role="menuitem"
              onClick={() => {
                const text = cellText(menuRow[menu.field!]);
                setMenu(null);
                void copyText(text).then(() => setNotice('Copied the value'));
              }}
            >
              Copy value
            </button>
          )}
          <button
            role="menuitem"
            onClick={() => {
              setMenu(null);
              void selectAll();
            }}
          >
            Select all
          </button>
        </Popover>
      )}
    </section>
  );
}
