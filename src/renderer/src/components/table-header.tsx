import { useRef, useState } from 'react';
import type { PointerEvent as ReactPointerEvent, ReactElement } from 'react';
import type { QueryFieldInfo } from '../../../shared/query.js';
import type { TableLayout } from '../stores/table-layout.js';
import { moveColumn, resizeColumn } from '../stores/table-layout.js';
import { ColumnFilterEditor } from './column-filter.js';
import type { ColumnFilter } from './table-model.js';
import { toggleSort } from './table-model.js';

const DEFAULT_WIDTH = 140;

interface Props {
  /** The columns shown, in order. */
  readonly fields: readonly QueryFieldInfo[];
  readonly layout: TableLayout;
  readonly grid: string;
  readonly height: number;
  readonly filters: Readonly<Record<string, ColumnFilter>>;
  /** Sets (or, with null, removes) the filter on one column. */
  readonly onFilter: (field: string, filter: ColumnFilter | null) => void;
  /** A layout change to keep (sort, order, a finished resize). */
  readonly onLayout: (next: TableLayout) => void;
  /** A layout shown while a resize drags, kept only when it ends. */
  readonly onLayoutPreview: (next: TableLayout) => void;
}

/**
 * The table's header row: click to sort (Shift-click adds a key), drag a header to move its
 * column, drag its edge to resize (double-click resets), and a funnel that opens its filter.
 */
export function TableHeader({
  fields,
  layout,
  grid,
  height,
  filters,
  onFilter,
  onLayout,
  onLayoutPreview,
}: Props): ReactElement {
  const [filterOpen, setFilterOpen] = useState<string | null>(null);
  const dragCol = useRef<string | null>(null);
  const sort = layout.sort;

  // Column resize by dragging the header's edge.
  const startResize = (e: ReactPointerEvent, name: string, startWidth: number): void => {
    e.preventDefault();
    e.stopPropagation();
    const x0 = e.clientX;
    let current = layout;
    const onMove = (ev: PointerEvent): void => {
      current = resizeColumn(layout, name, startWidth + ev.clientX - x0);
      onLayoutPreview(current);
    };
    const onUp = (): void => {
      window.removeEventListener('pointermove', onMove);
      window.removeEventListener('pointerup', onUp);
      onLayout(current);
    };
    window.addEventListener('pointermove', onMove);
    window.addEventListener('pointerup', onUp);
  };

  return (
    <div className="thead" role="row" style={{ gridTemplateColumns: grid, height }}>
      {fields.map((f) => {
        const si = sort.findIndex((x) => x.field === f.name);
        const s = sort[si];
        const col = layout.columns.find((c) => c.name === f.name);
        const hasFilter = !!filters[f.name];
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
                onLayout(
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
              onClick={(e) => onLayout({ ...layout, sort: toggleSort(sort, f.name, e.shiftKey) })}
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
              onPointerDown={(e) => startResize(e, f.name, col?.width ?? DEFAULT_WIDTH)}
              onDoubleClick={() => onLayout(resizeColumn(layout, f.name, DEFAULT_WIDTH))}
            />
            {filterOpen === f.name && (
              <ColumnFilterEditor
                field={f}
                value={filters[f.name]}
                onChange={(flt) => onFilter(f.name, flt)}
                onClose={() => setFilterOpen(null)}
              />
            )}
          </div>
        );
      })}
    </div>
  );
}
