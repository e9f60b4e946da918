import { memo } from 'react';
import type { CSSProperties, ReactElement } from 'react';
import type { QueryFieldInfo, QueryKind, QueryRow } from '../../../shared/query.js';
import { RowAlertBadge } from './alert-badge.js';
import { Cell } from './cell.js';
import { cellText } from './table-model.js';

interface Props {
  readonly kind: QueryKind;
  readonly index: number;
  /** Undefined while its page loads (the row shows as loading). */
  readonly row: QueryRow | undefined;
  readonly fields: readonly QueryFieldInfo[];
  readonly selected: boolean;
  readonly active: boolean;
  /** Offset from the top of the table, from the virtualizer. */
  readonly start: number;
  readonly height: number;
  readonly grid: string;
  readonly now: number;
}

/** One virtualized body row of the inventory table; memoized, as scrolling renders many. */
export const TableRow = memo(function TableRow({
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
}: Props): ReactElement {
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
