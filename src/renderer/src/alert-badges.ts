import type { AlertSeverity, AlertSummary } from '../../shared/alerts.js';

/*
 * The pure half of the alert badges: the map from an object to its open alerts, keyed the way
 * table rows can look themselves up, and the badge's accessible text. No React, no transport.
 */

export interface AlertBadgeInfo {
  readonly severity: AlertSeverity;
  readonly count: number;
}

/** Rows carry the endpoint's name, so the map is keyed by name, type and native id. */
export function badgeKey(endpoint: string, entityType: string, entityId: string): string {
  return `${endpoint}\u0000${entityType}\u0000${entityId}`;
}

export function badgeMap(summary: AlertSummary): ReadonlyMap<string, AlertBadgeInfo> {
  return new Map(
    summary.entities.map((e) => [
      badgeKey(e.endpoint, e.entityType, e.entityId),
      { severity: e.severity, count: e.count },
    ]),
  );
}

/**
 * Screen-reader text of a badge.
 *
 * @example badgeLabel({ severity: 'critical', count: 2 }) // '2 open alerts, highest critical'
 */
export function badgeLabel(b: AlertBadgeInfo): string {
  return b.count === 1
    ? `1 open alert, ${b.severity}`
    : `${b.count} open alerts, highest ${b.severity}`;
}
