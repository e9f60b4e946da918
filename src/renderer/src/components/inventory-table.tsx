import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { MouseEvent, ReactElement } from 'react';
import type { Filter, QueryFieldInfo, QueryKind } from '../../../shared/query.js';
import { useDebounced } from '../hooks/use-debounced.js';
import { useNow } from '../hooks/use-now.js';
import { useRowSelection } from '../hooks/use-row-selection.js';
import { useWindowedQuery } from '../hooks/use-windowed-query.js';
import { useDetails } from '../stores/details.js';
import { selectedVms, useExport } from '../stores/export.js';
import { describeScope, useQueryScope, useScope } from '../stores/scope.js';
import { useTableIntent } from '../stores/table-intent.js';
import type { TableLayout } from '../stores/table-layout.js';
import { defaultLayout, loadLayout, resetLayout, saveLayout } from '../stores/table-layout.js';
import { copyText } from './clipboard.js';
import { ColumnChooser } from './column-chooser.js';
import { QuickFilterBar } from './quick-filter-bar.js';
import { RowMenu } from './row-menu.js';
import { ScopeNote } from './scope-selector.js';
import { TableHeader } from './table-header.js';
import type { ColumnFilter, QuickFilters } from './table-model.js';
import {
  NO_QUICK,
  cellText,
  countText,
  detailTargetOf,
  quickToFilters,
  rowKey,
  toQueryFilters,
} from './table-model.js';
import { TableRow } from './table-row.js';
import { can } from '../session.js';

const ROW_HEIGHT = { compact: 28, comfortable: 36 } as const;

interface Props {
  readonly kind: QueryKind;
  readonly title: string;
  /** Columns shown by default, in order; the rest are in the column chooser. */
  readonly columns: readonly string[];
  readonly noun: string;
  readonly emptyHint?: string;
  /** Storage key of the layout; defaults to the kind. */
  readonly tableId?: string;
  /** Filters the page around the table sets (the Activity page's user), on top of the table's own. */
  readonly fixedFilters?: readonly Filter[];
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
  fixedFilters,
}: Props): ReactElement {
  const storageKey = tableId ?? kind;
  const fallback = useMemo(() => defaultLayout(columns), [columns]);
  const [layout, setLayoutState] = useState<TableLayout>(() => loadLayout(storageKey, fallback));
  const [fields, setFields] = useState<readonly QueryFieldInfo[]>([]);
  const [searchText, setSearchText] = useState('');
  const search = useDebounced(searchText.trim(), 150);
  const [colFilters, setColFilters] = useState<Readonly<Record<string, ColumnFilter>>>({});
  const [quick, setQuick] = useState<QuickFilters>(NO_QUICK);
  const [menu, setMenu] = useState<{
    x: number;
    y: number;
    index: number;
    field: string | null;
  } | null>(null);
  const [chooserOpen, setChooserOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
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

  const sort = layout.sort;
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
    out.push(...(fixedFilters ?? []));
    return out;
    // `now` is deliberately left out: the stale cut-off moves only when the chip is toggled.
  }, [colFilters, quick, fields, fixedFilters]);
  const scope = useQueryScope();
  const filtered = where.length > 0 || search !== '';
  // The export dialog offers "this table's filters"; it reads them from here.
  useEffect(
    () => useExport.getState().setTable({ kind, title, where, search, scope }),
    [kind, title, where, search, scope],
  );
  useEffect(() => () => useExport.getState().setTable(null), []);

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

  const onFields = useCallback(
    (next: readonly QueryFieldInfo[]) =>
      setFields((prev) => (prev.length === next.length ? prev : next)),
    [],
  );
  const {
    queryKey,
    total,
    grandTotal,
    error,
    renderTick,
    empty,
    virtualizer,
    items,
    rowAt,
    fetchRange,
  } = useWindowedQuery({ kind, where, sort, search, scope, scrollRef, rowHeight, onFields });
  const count = total ?? 0;

  const open = useCallback(
    (index: number) => {
      const row = rowAt(index);
      const target = row ? detailTargetOf(kind, row) : null;
      if (target) openDetails(target);
    },
    [kind, rowAt, openDetails],
  );
  const sel = useRowSelection({
    rowAt,
    fetchRange,
    count,
    shown,
    queryKey,
    renderTick,
    scrollToIndex: (i) => virtualizer.scrollToIndex(i, { align: 'auto' }),
    pageRows: () =>
      Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 300) / rowHeight) - 2),
    open,
    openMenu: (index) => {
      const el = scrollRef.current?.querySelector<HTMLElement>(`[data-index="${index}"]`);
      const r = el?.getBoundingClientRect();
      setMenu({ x: (r?.left ?? 100) + 40, y: (r?.bottom ?? 100) - 4, index, field: null });
    },
    notify: setNotice,
  });

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 2500);
    return () => clearTimeout(t);
  }, [notice]);

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
    if (index !== null) sel.onRowClick(e, index);
  };
  const onContextMenu = (e: MouseEvent): void => {
    const index = indexOf(e);
    if (index === null) return;
    e.preventDefault();
    const row = rowAt(index);
    if (row && !sel.selection.has(rowKey(row))) sel.selectOnly(index);
    setMenu({ x: e.clientX, y: e.clientY, index, field: fieldOf(e) });
  };

  const setColumnFilter = useCallback(
    (field: string, filter: ColumnFilter | null) =>
      setColFilters((all) => {
        const next = { ...all };
        if (filter) next[field] = filter;
        else delete next[field];
        return next;
      }),
    [],
  );
  const activeFilters = Object.values(colFilters);
  const selectedCount = sel.selection.size;
  const anyFilter = filtered || activeFilters.length > 0;
  const clearAll = (): void => {
    setColFilters({});
    setQuick(NO_QUICK);
    setSearchText('');
  };
  const menuRow = menu ? rowAt(menu.index) : undefined;
  const menuTarget = menuRow ? detailTargetOf(kind, menuRow) : null;
  // Only VMs can be exported by selection (the core keeps them with their disks, NICs, snapshots).
  const canExportSelection = kind === 'vms' && selectedCount > 0 && can('export:save');
  const exportSelection = (): void => {
    const vms = selectedVms(sel.selectedRows());
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
      <QuickFilterBar
        fields={fields}
        quick={quick}
        onQuick={setQuick}
        filters={activeFilters}
        onRemoveFilter={(field) => setColumnFilter(field, null)}
        anyFilter={anyFilter}
        onClearAll={clearAll}
        status={
          notice ?? (selectedCount > 0 ? `${selectedCount.toLocaleString('en-US')} selected` : '')
        }
      />
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
        aria-busy={total === null || empty}
        tabIndex={0}
        onKeyDown={sel.onKeyDown}
      >
        <div
          className="table-inner"
          style={{ width, height: total === 0 ? undefined : virtualizer.getTotalSize() }}
        >
          <TableHeader
            fields={shown}
            layout={layout}
            grid={grid}
            height={rowHeight}
            filters={colFilters}
            onFilter={setColumnFilter}
            onLayout={setLayout}
            onLayoutPreview={setLayoutState}
          />
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
                  <TableRow
                    key={item.index}
                    kind={kind}
                    index={item.index}
                    row={row}
                    fields={shown}
                    selected={row ? sel.selection.has(rowKey(row)) : false}
                    active={sel.active === item.index}
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
        <RowMenu
          kind={kind}
          at={{ x: menu.x, y: menu.y }}
          selectedCount={selectedCount}
          canOpen={!!menuTarget}
          canExport={canExportSelection}
          onCell={!!menu.field && !!menuRow}
          onOpen={() => open(menu.index)}
          onCopyRows={() => void sel.copySelection()}
          onExport={exportSelection}
          onCopyValue={() => {
            const text = cellText(menuRow?.[menu.field ?? '']);
            void copyText(text).then(() => setNotice('Copied the value'));
          }}
          onSelectAll={() => void sel.selectAll()}
          onClose={() => setMenu(null)}
        />
      )}
    </section>
  );
}
