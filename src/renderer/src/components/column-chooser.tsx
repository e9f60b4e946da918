import type { ReactElement } from 'react';
import type { QueryFieldInfo } from '../../../shared/query.js';
import type { TableLayout } from '../stores/table-layout.js';
import { moveColumn, toggleColumn } from '../stores/table-layout.js';
import { Popover } from './popover.js';

interface Props {
  readonly fields: readonly QueryFieldInfo[];
  readonly layout: TableLayout;
  readonly onChange: (layout: TableLayout) => void;
  readonly onReset: () => void;
  readonly onClose: () => void;
}

/** Which columns show and in what order; the shown ones first, in order, then the rest. */
export function ColumnChooser({ fields, layout, onChange, onReset, onClose }: Props): ReactElement {
  const shown = layout.columns
    .map((c) => fields.find((f) => f.name === c.name))
    .filter((f): f is QueryFieldInfo => !!f);
  const hidden = fields.filter((f) => !layout.columns.some((c) => c.name === f.name));
  return (
    <Popover label="Columns" onClose={onClose} className="chooser">
      <ul className="chooser-list">
        {shown.map((f, i) => (
          <li key={f.name}>
            <label>
              <input
                type="checkbox"
                checked
                onChange={() => onChange(toggleColumn(layout, f.name))}
                disabled={shown.length === 1}
              />{' '}
              {f.label}
            </label>
            <span className="chooser-move">
              <button
                className="icon-btn"
                aria-label={`Move ${f.label} up`}
                disabled={i === 0}
                onClick={() => onChange(moveColumn(layout, f.name, i - 1))}
              >
                ↑
              </button>
              <button
                className="icon-btn"
                aria-label={`Move ${f.label} down`}
                disabled={i === shown.length - 1}
                onClick={() => onChange(moveColumn(layout, f.name, i + 1))}
              >
                ↓
              </button>
            </span>
          </li>
        ))}
        {hidden.map((f) => (
          <li key={f.name} className="hidden-col">
            <label>
              <input
                type="checkbox"
                checked={false}
                onChange={() => onChange(toggleColumn(layout, f.name))}
              />{' '}
              {f.label}
            </label>
          </li>
        ))}
      </ul>
      <div className="pop-actions">
        <button className="btn" onClick={onReset}>
          Reset layout
        </button>
        <button className="btn primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Popover>
  );
}
