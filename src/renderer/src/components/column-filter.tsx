import { useState } from 'react';
import type { ReactElement } from 'react';
import type { QueryFieldInfo } from '../../../shared/query.js';
import { Popover } from './popover.js';
import type { ColumnFilter } from './table-model.js';
import { parseQuantity } from './table-model.js';

interface Props {
  readonly field: QueryFieldInfo;
  readonly value: ColumnFilter | undefined;
  readonly onChange: (f: ColumnFilter | null) => void;
  readonly onClose: () => void;
}

const UNIT_HINT: Record<string, string> = {
  bytes: 'GiB unless you say (500 MiB, 2 TiB)',
  mb: 'GiB unless you say (512 MiB)',
  mhz: 'MHz unless you say (2.4 GHz)',
  percent: 'percent',
  seconds: 'days unless you say (12 h)',
};

/** The filter editor of one column: contains-text, a numeric range, a pick list or yes/no. */
export function ColumnFilterEditor({ field, value, onChange, onClose }: Props): ReactElement {
  const [text, setText] = useState(value?.kind === 'text' ? value.contains : '');
  const [min, setMin] = useState(value?.kind === 'range' ? value.min : '');
  const [max, setMax] = useState(value?.kind === 'range' ? value.max : '');
  const [picked, setPicked] = useState<readonly string[]>(
    value?.kind === 'enum' ? value.values : [],
  );
  const numeric = field.type === 'number';
  const badMin = min.trim() !== '' && parseQuantity(min, field.unit) === null;
  const badMax = max.trim() !== '' && parseQuantity(max, field.unit) === null;

  const apply = (): void => {
    if (field.type === 'enum')
      onChange(picked.length ? { field: field.name, kind: 'enum', values: picked } : null);
    else if (numeric) {
      if (badMin || badMax) return;
      onChange(min.trim() || max.trim() ? { field: field.name, kind: 'range', min, max } : null);
    } else onChange(text.trim() ? { field: field.name, kind: 'text', contains: text } : null);
    onClose();
  };

  let body: ReactElement;
  if (field.type === 'bool') {
    const current = value?.kind === 'bool' ? value.value : null;
    body = (
      <fieldset className="filter-bool">
        <legend>{field.label}</legend>
        {([null, true, false] as const).map((v) => (
          <label key={String(v)}>
            <input
              type="radio"
              name={`bool-${field.name}`}
              checked={current === v}
              onChange={() => {
                onChange(v === null ? null : { field: field.name, kind: 'bool', value: v });
                onClose();
              }}
            />{' '}
            {v === null ? 'Any' : v ? 'Yes' : 'No'}
          </label>
        ))}
      </fieldset>
    );
  } else if (field.type === 'enum' && field.values) {
    body = (
      <fieldset className="filter-enum">
        <legend>{field.label} is one of</legend>
        {field.values.map((v) => (
          <label key={v}>
            <input
              type="checkbox"
              checked={picked.includes(v)}
              onChange={(e) =>
                setPicked(e.target.checked ? [...picked, v] : picked.filter((x) => x !== v))
              }
            />{' '}
            {v}
          </label>
        ))}
      </fieldset>
    );
  } else if (numeric) {
    body = (
      <div className="filter-range">
        <label>
          At least
          <input
            aria-label={`${field.label} at least`}
            aria-invalid={badMin}
            value={min}
            onChange={(e) => setMin(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && apply()}
            inputMode="decimal"
          />
        </label>
        <label>
          At most
          <input
            aria-label={`${field.label} at most`}
            aria-invalid={badMax}
            value={max}
            onChange={(e) => setMax(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && apply()}
            inputMode="decimal"
          />
        </label>
        {field.unit && <p className="hint">{UNIT_HINT[field.unit]}</p>}
      </div>
    );
  } else {
    body = (
      <label className="filter-text">
        {field.label} contains
        <input
          aria-label={`${field.label} contains`}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => e.key === 'Enter' && apply()}
        />
      </label>
    );
  }

  return (
    <Popover label={`Filter ${field.label}`} onClose={onClose} className="filter-pop">
      {body}
      {field.type !== 'bool' && (
        <div className="pop-actions">
          <button
            className="btn"
            onClick={() => {
              onChange(null);
              onClose();
            }}
          >
            Clear
          </button>
          <button className="btn primary" onClick={apply} disabled={badMin || badMax}>
            Apply
          </button>
        </div>
      )}
    </Popover>
  );
}

/** "Memory ≥ 8 GiB", "Name ~ web" — a short description of an active filter for its chip. */
export function describeFilter(f: ColumnFilter, field: QueryFieldInfo | undefined): string {
  const label = field?.label ?? f.field;
  switch (f.kind) {
    case 'text':
      return `${label} contains “${f.contains.trim()}”`;
    case 'bool':
      return `${label}: ${f.value ? 'yes' : 'no'}`;
    case 'enum':
      return `${label}: ${f.values.join(' or ')}`;
    case 'range': {
      const parts = [];
      if (f.min.trim()) parts.push(`≥ ${f.min.trim()}`);
      if (f.max.trim()) parts.push(`≤ ${f.max.trim()}`);
      return `${label} ${parts.join(' and ')}`;
    }
  }
}
