import { create } from 'zustand';
import type { AlertEntityType } from '../../../shared/alerts.js';
import type { AlertBadgeInfo } from '../alert-badges.js';
import { badgeKey, badgeMap } from '../alert-badges.js';
import { api } from '../transport.js';
import { useLive } from './live.js';

/*
 * Open alerts per object, for the badges in every table and detail view. Tables are server-side
 * windows over up to 100k rows, so rows never ask for their alerts: one `alerts:summary` (an
 * entry per object with open alerts, not per alert) is fetched when the app starts and again after
 * each pushed alert change or live tick (a sync by this or another process), and each visible row
 * looks itself up in the map.
 */

/** The console's object filter, set by a detail view's "Show in Alerts". */
export interface AlertEntityFilter {
  readonly endpointId: number;
  readonly entityType: AlertEntityType;
  readonly entityId: string;
  readonly name: string;
}

interface AlertsState {
  /** Bumps on every pushed alert change; views that list alerts refetch on it. */
  readonly revision: number;
  /** `badgeKey(endpoint, type, id)` → worst severity and count of its open, unsnoozed alerts. */
  readonly badges: ReadonlyMap<string, AlertBadgeInfo>;
  readonly entityFilter: AlertEntityFilter | null;
}

export const useAlerts = create<AlertsState>(() => ({
  revision: 0,
  badges: new Map(),
  entityFilter: null,
}));

/** The badge of one object, or undefined when it has no open alerts. */
export function useAlertBadge(
  endpoint: string,
  entityType: string,
  entityId: string,
): AlertBadgeInfo | undefined {
  return useAlerts((s) => s.badges.get(badgeKey(endpoint, entityType, entityId)));
}

/** Opens the alerts console filtered to one object. */
export function setAlertEntityFilter(filter: AlertEntityFilter | null): void {
  useAlerts.setState({ entityFilter: filter });
}

let started = false;

/** Subscribes to alert events and live ticks and keeps the badge map current; returns a stop. */
export function startAlerts(): () => void {
  if (started) return () => undefined;
  started = true;
  let stopped = false;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  const load = (): void => {
    const mine = ++seq;
    api.invoke('alerts:summary', {}).then(
      (summary) => {
        // An older reply arriving late must not overwrite a newer map.
        if (!stopped && mine === seq) useAlerts.setState({ badges: badgeMap(summary) });
      },
      () => undefined, // Offline: the live poll shows it; the next tick retries.
    );
  };
  // An evaluation sends a burst (changed, then raised); one fetch per burst is enough.
  const loadSoon = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(load, 150);
  };
  const pushed = (): void => {
    useAlerts.setState((s) => ({ revision: s.revision + 1 }));
    loadSoon();
  };
  const offs = [
    api.on('alerts:changed', pushed),
    api.on('alerts:raised', pushed),
    useLive.subscribe((s, prev) => {
      if (s.tick !== prev.tick) loadSoon();
    }),
  ];
  load();
  return () => {
    stopped = true;
    started = false;
    clearTimeout(debounce);
    for (const off of offs) off();
  };
}
