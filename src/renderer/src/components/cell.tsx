import { memo } from 'react';
import type { ReactElement } from 'react';
import type { QueryFieldInfo, QueryKind, QueryRow } from '../../../shared/query.js';
import { formatCell, formatRelative } from '../format.js';
import {
  STATE_FIELDS,
  ageDays,
  exactTime,
  isStale,
  snapshotTone,
  stateLabel,
  usageRatio,
  usageTone,
} from './cell-format.js';

interface Props {
  readonly kind: QueryKind;
  readonly field: QueryFieldInfo;
  readonly row: QueryRow;
  readonly now: number;
}

/** A power/connection/health state: icon and text, never colour alone. */
export function StateBadge({ state }: { state: string }): ReactElement {
  const s = stateLabel(state);
  return (
    <span className={`state tone-${s.tone}`} title={state}>
      <span className="state-icon" aria-hidden="true">
        {s.icon}
      </span>
      {s.label}
    </span>
  );
}

/** A thin bar under a formatted value: how much of the total is used. */
export function UsageBar({ ratio, text }: { ratio: number; text: string }): ReactElement {
  return (
    <span className="usage" title={`${Math.round(ratio * 100)} % used`}>
      <span className="usage-text">{text}</span>
      <span className="bar" aria-hidden="true">
        <span
          className={`bar-fill tone-${usageTone(ratio)}`}
          style={{ width: `${ratio * 100}%` }}
        />
      </span>
    </span>
  );
}

/** One table cell's content: plain text always (inventory strings are never HTML). */
export const Cell = memo(function Cell({ kind, field, row, now }: Props): ReactElement | string {
  const value = row[field.name];
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0))
    return '';
  if (typeof value === 'string' && STATE_FIELDS.has(field.name))
    return <StateBadge state={value} />;
  if (field.type === 'time' && typeof value === 'string') {
    const rel = formatRelative(value, now);
    if (kind === 'snapshots' && field.name === 'createdAt') {
      const days = ageDays(value, now) ?? 0;
      return (
        <time
          className={`age tone-${snapshotTone(days)}`}
          dateTime={value}
          title={exactTime(value)}
        >
          {rel}
        </time>
      );
    }
    return (
      <time dateTime={value} title={exactTime(value)}>
        {rel}
        {field.name === 'lastSeen' && isStale(value, now) && (
          <span className="badge stale">stale</span>
        )}
      </time>
    );
  }
  if (typeof value === 'number') {
    const ratio = usageRatio(kind, field.name, row);
    const text = formatCell(field, value);
    if (ratio !== null) return <UsageBar ratio={ratio} text={text} />;
    if (field.name === 'snapshotCount' && value > 0) {
      return <span className="badge snap">{text}</span>;
    }
    return text;
  }
  if (typeof value === 'boolean' && field.name === 'inMaintenance') {
    return value ? <span className="badge warn">Maintenance</span> : 'No';
  }
  return formatCell(field, value);
});
