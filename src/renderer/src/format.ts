import type { WebhookDelivery } from '../../shared/alerts.js';
import type { QueryCell, QueryFieldInfo } from '../../shared/query.js';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < BYTE_UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${BYTE_UNITS[i]}`;
}

export function formatMhz(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} GHz` : `${Math.round(n)} MHz`;
}

export function formatRelative(iso: string, now = Date.now()): string {
  const diff = (now - Date.parse(iso)) / 1000;
  const abs = Math.abs(diff);
  const unit: [number, string][] = [
    [60, 's'],
    [3600, 'min'],
    [86400, 'h'],
    [86400 * 30, 'd'],
    [86400 * 365, 'mo'],
  ];
  let text = `${Math.round(abs / (86400 * 365))} y`;
  if (abs < 60) text = `${Math.round(abs)} s`;
  else if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.round(abs / 3600)} h`;
  else if (abs < 86400 * 30) text = `${Math.round(abs / 86400)} d`;
  else if (abs < 86400 * 365) text = `${Math.round(abs / (86400 * 30))} mo`;
  void unit;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** Display text of one cell; always plain text (inventory strings are never HTML). */
export function formatCell(field: QueryFieldInfo, value: QueryCell | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'number') {
    switch (field.unit) {
      case 'bytes':
        return formatBytes(value);
      case 'mb':
        return formatBytes(value * 1024 * 1024);
      case 'mhz':
        return formatMhz(value);
      case 'percent':
        return `${value.toFixed(1)} %`;
      case 'seconds':
        return value >= 86400 ? `${Math.floor(value / 86400)} d` : `${Math.floor(value / 3600)} h`;
      default:
        return value.toLocaleString();
    }
  }
  if (field.type === 'time') return formatRelative(String(value));
  return String(value);
}

/**
 * One delivery in words.
 *
 * @example formatDelivery(d) // 'Delivered · HTTP 200 · 1 attempt · 12 ms'
 */
export function formatDelivery(d: WebhookDelivery): string {
  return [
    d.status === 'delivered' ? 'Delivered' : 'Failed',
    d.httpStatus === null ? null : `HTTP ${d.httpStatus}`,
    `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
    `${d.durationMs} ms`,
    d.error,
  ]
    .filter((x): x is string => x !== null && x !== '')
    .join(' · ');
}

/** A failure's message for an error line on a page. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
