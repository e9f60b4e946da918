import { memo } from 'react';
import type { ReactElement } from 'react';
import type { AlertSeverity } from '../../../shared/alerts.js';
import type { QueryKind, QueryRow } from '../../../shared/query.js';
import type { AlertBadgeInfo } from '../alert-badges.js';
import { badgeLabel } from '../alert-badges.js';
import { useAlertBadge } from '../stores/alerts.js';
import { alertTargetOf } from './table-model.js';

export const SEVERITY_TONE: Readonly<Record<AlertSeverity, string>> = {
  info: 'tone-info',
  warning: 'tone-warn',
  critical: 'tone-danger',
};

const SEVERITY_ICON: Readonly<Record<AlertSeverity, string>> = {
  info: 'ℹ',
  warning: '⚠',
  critical: '⛔',
};

/** A small severity badge: icon and count, with the whole story for screen readers. */
export function AlertBadge({ info }: { info: AlertBadgeInfo }): ReactElement {
  const label = badgeLabel(info);
  return (
    <span
      className={`badge alert-badge ${SEVERITY_TONE[info.severity]}`}
      role="img"
      aria-label={label}
      title={label}
    >
      <span aria-hidden="true">
        {SEVERITY_ICON[info.severity]} {info.count}
      </span>
    </span>
  );
}

/** The badge of the object a table row stands for; nothing when it has no open alerts. */
export const RowAlertBadge = memo(function RowAlertBadge({
  kind,
  row,
}: {
  kind: QueryKind;
  row: QueryRow;
}): ReactElement | null {
  const target = alertTargetOf(kind, row);
  const info = useAlertBadge(
    target?.endpoint ?? '',
    target?.entityType ?? '',
    target?.entityId ?? '',
  );
  return target && info ? <AlertBadge info={info} /> : null;
});
