import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyboardEvent, MouseEvent } from 'react';
import type { QueryFieldInfo, QueryRow } from '../../../shared/query.js';
import { copyText } from '../components/clipboard.js';
import { rangeOf, rowKey, toTsv } from '../components/table-model.js';
import { MAX_FETCH } from './use-windowed-query.js';
import { errorText } from '../format.js';

export interface Selected {
  readonly index: number;
  readonly row: QueryRow;
}

export interface RowSelectionInput {
  /** A new query clears the active row. */
  readonly queryKey: string;
  /** Rows in the table. */
  readonly count: number;
  /** Bumped when pages land: selected rows then take their current values. */
  readonly renderTick: number;
  /** The columns shown, in order (what a copy puts in the TSV). */
  readonly shown: readonly QueryFieldInfo[];
  readonly rowAt: (index: number) => QueryRow | undefined;
  readonly fetchRange: (start: number, end: number) => Promise<QueryRow[]>;
  readonly scrollToIndex: (index: number) => void;
  /** Rows one PageUp/PageDown moves. */
  readonly pageRows: () => number;
  /** Opens the details of the row at `index` (Enter). */
  readonly open: (index: number) => void;
  /** Opens the row menu at the row at `index` (the context-menu key, Shift+F10). */
  readonly openMenu: (index: number) => void;
  /** Tells the user what a copy or select-all did. */
  readonly notify: (message: string) => void;
}

export interface RowSelection {
  readonly selection: ReadonlyMap<string, Selected>;
  /** The row the keyboard is on. */
  readonly active: number | null;
  /** The selected rows, in table order. */
  readonly selectedRows: () => QueryRow[];
  readonly selectOnly: (index: number) => void;
  readonly selectAll: () => Promise<void>;
  readonly copySelection: () => Promise<void>;
  /** Click: select the row; Shift extends from the anchor; Ctrl/Cmd toggles it. */
  readonly onRowClick: (e: MouseEvent, index: number) => void;
  /** Arrow keys, Page/Home/End (Shift extends), Space, Enter, Escape, Ctrl+A, Ctrl+C, menu. */
  readonly onKeyDown: (e: KeyboardEvent<HTMLElement>) => void;
}

/**
 * Row selection of a windowed table, kept by row key (so it survives sorting and live updates),
 * with the keyboard and mouse gestures of a spreadsheet.
 */
export function useRowSelection({
  queryKey,
  count,
  renderTick,
  shown,
  rowAt,
  fetchRange,
  scrollToIndex,
  pageRows,
  open,
  openMenu,
  notify,
}: RowSelectionInput): RowSelection {
  const [selection, setSelection] = useState<ReadonlyMap<string, Selected>>(new Map());
  const [active, setActive] = useState<number | null>(null);
  const anchor = useRef<number | null>(null);

  useEffect(() => {
    setActive(null);
  }, [queryKey]);

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
    if (count > MAX_FETCH) notify(`Selected the first ${MAX_FETCH.toLocaleString('en-US')} rows`);
  }, [count, fetchRange, notify]);

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

  const selectedRows = useCallback(
    () => [...selection.values()].sort((a, b) => a.index - b.index).map((s) => s.row),
    [selection],
  );

  const copySelection = useCallback(async () => {
    const rows = selectedRows();
    if (rows.length === 0) return;
    try {
      await copyText(toTsv(shown, rows));
      notify(`Copied ${rows.length.toLocaleString('en-US')} ${rows.length === 1 ? 'row' : 'rows'}`);
    } catch (e) {
      notify(`Could not copy: ${errorText(e)}`);
    }
  }, [selectedRows, shown, notify]);

  const onRowClick = (e: MouseEvent, index: number): void => {
    if (e.shiftKey && anchor.current !== null) void selectRange(anchor.current, index);
    else if (e.ctrlKey || e.metaKey) toggleOne(index);
    else selectOnly(index);
  };

  const moveActive = (to: number, extend: boolean): void => {
    if (count === 0) return;
    const i = Math.max(0, Math.min(count - 1, to));
    scrollToIndex(i);
    if (extend && anchor.current !== null) void selectRange(anchor.current, i);
    else selectOnly(i);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLElement>): void => {
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
        moveActive(cur + pageRows(), e.shiftKey);
        break;
      case 'PageUp':
        moveActive(cur - pageRows(), e.shiftKey);
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
        if (active !== null) openMenu(active);
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

  return {
    selection,
    active,
    selectedRows,
    selectOnly,
    selectAll,
    copySelection,
    onRowClick,
    onKeyDown,
  };
}
