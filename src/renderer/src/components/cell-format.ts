import type { QueryRow } from '../../../shared/query.js';
import { STALE_MS } from './table-model.js';

/*
 * Pure helpers behind the table's status cells: state labels, ages and usage ratios.
 */

export type Tone = 'ok' | 'warn' | 'danger' | 'muted' | 'info';

const STATES: Record<string, { label: string; tone: Tone; icon: string }> = {
  poweredOn: { label: 'On', tone: 'ok', icon: '●' },
  poweredOff: { label: 'Off', tone: 'muted', icon: '○' },
  suspended: { label: 'Suspended', tone: 'warn', icon: '◐' },
  standBy: { label: 'Standby', tone: 'warn', icon: '◐' },
  connected: { label: 'Connected', tone: 'ok', icon: '●' },
  disconnected: { label: 'Disconnected', tone: 'danger', icon: '○' },
  notResponding: { label: 'Not responding', tone: 'danger', icon: '✕' },
  orphaned: { label: 'Orphaned', tone: 'danger', icon: '✕' },
  inaccessible: { label: 'Inaccessible', tone: 'danger', icon: '✕' },
  invalid: { label: 'Invalid', tone: 'danger', icon: '✕' },
  green: { label: 'Normal', tone: 'ok', icon: '●' },
  yellow: { label: 'Warning', tone: 'warn', icon: '▲' },
  red: { label: 'Alert', tone: 'danger', icon: '■' },
  gray: { label: 'Unknown', tone: 'muted', icon: '○' },
  unknown: { label: 'Unknown', tone: 'muted', icon: '○' },
};

/** An icon, a word and a tone for a power, connection or health state; the text is always shown. */
export function stateLabel(state: string): { label: string; tone: Tone; icon: string } {
  return STATES[state] ?? { label: state, tone: 'info', icon: '●' };
}

/** Fields whose values are states shown as icon + text. */
export const STATE_FIELDS = new Set(['powerState', 'connectionState', 'overallStatus']);

/** "Tue, 24 Nov 2026, 07:12:05 UTC" — the exact time a relative time stands for. */
// One formatter for every cell: building an Intl formatter per call costs more than the render.
let exact: Intl.DateTimeFormat | null = null;

export function exactTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  exact ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  return `${exact.format(d)} (${d.toISOString()})`;
}

export function ageDays(iso: string, now: number): number | null {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  return Math.max(0, (now - t) / 86_400_000);
}

/** Snapshots older than a week deserve a look; older than a month, action. */
export function snapshotTone(days: number): Tone {
  if (days >= 30) return 'danger';
  if (days >= 7) return 'warn';
  return 'ok';
}

export function isStale(lastSeen: string | null | undefined, now: number): boolean {
  if (!lastSeen) return false;
  const t = Date.parse(lastSeen);
  return !Number.isNaN(t) && now - t > STALE_MS;
}

function n(row: QueryRow, field: string): number | null {
  const v = row[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The used fraction behind a resource bar, for the columns that have one: a host's CPU and
 * memory usage, a VM's used storage, a datastore's used percent. Null where there is no total.
 */
export function usageRatio(kind: string, field: string, row: QueryRow): number | null {
  let used: number | null = null;
  let total: number | null = null;
  if (kind === 'hosts' && field === 'cpuUsageMhz') {
    used = n(row, 'cpuUsageMhz');
    const mhz = n(row, 'cpuMhz');
    const cores = n(row, 'cpuCores');
    total = mhz !== null && cores !== null ? mhz * cores : null;
  } else if (kind === 'hosts' && field === 'memoryUsageBytes') {
    used = n(row, 'memoryUsageBytes');
    total = n(row, 'memoryBytes');
  } else if (kind === 'vms' && field === 'usedBytes') {
    used = n(row, 'usedBytes');
    total = n(row, 'provisionedBytes');
  } else if (kind === 'datastores' && field === 'usedPercent') {
    used = n(row, 'usedPercent');
    total = 100;
  } else {
    return null;
  }
  if (used === null || total === null || total <= 0) return null;
  return Math.max(0, Math.min(1, used / total));
}

export function usageTone(ratio: number): Tone {
  if (ratio >= 0.9) return 'danger';
  if (ratio >= 0.75) return 'warn';
  return 'ok';
}
