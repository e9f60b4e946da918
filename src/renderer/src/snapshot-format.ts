import type { FieldValue } from '../../shared/entities.js';
import type { SnapshotInfo } from '../../shared/export.js';

/*
 * How the History page and the snapshot browser name snapshots and show stored values.
 */

export function snapshotName(s: SnapshotInfo): string {
  return s.label ?? `Snapshot #${s.id}`;
}

export function formatWhen(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A stored value as text; a reference shows the name of what it refers to when known. */
export function valueText(v: FieldValue | undefined, name?: string | null): string {
  if (name) return name;
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

/** `memoryMb` → `Memory MB`, `hostId` → `Host`: a column heading for a model field. */
export function fieldLabel(field: string): string {
  const base = field.endsWith('Id') ? field.slice(0, -2) : field;
  const words = base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(' ');
  return words
    .map((w, i) => {
      if (/^(mb|mhz|ip|os|dns|uuid|cpu|url|vlan|mac|hw)$/i.test(w)) return w.toUpperCase();
      return i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w.toLowerCase();
    })
    .join(' ');
}
