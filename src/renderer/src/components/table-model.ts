import type { AlertEntityType } from '../../../shared/alerts.js';
import { ALERT_ENTITY_TYPES } from '../../../shared/alerts.js';
import type { Filter, QueryCell, QueryFieldInfo, QueryRow, Sort } from '../../../shared/query.js';

/*
 * The pure half of the inventory table: column filters → query filters, sort toggling, row keys,
 * selection ranges and the TSV a spreadsheet takes. No React, no DOM, so it is unit-tested in node.
 */

export type ColumnFilter =
  | { readonly field: string; readonly kind: 'text'; readonly contains: string }
  | { readonly field: string; readonly kind: 'range'; readonly min: string; readonly max: string }
  | { readonly field: string; readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly field: string; readonly kind: 'bool'; readonly value: boolean };

/** Quick-filter chips: one value per chip group; null means "any". */
export interface QuickFilters {
  readonly powerState: string | null;
  readonly endpoint: string | null;
  readonly cluster: string | null;
  /** One tag the rows carry (a whole member of their tags). */
  readonly tag: string | null;
  readonly stale: boolean;
}

export const NO_QUICK: QuickFilters = {
  powerState: null,
  endpoint: null,
  cluster: null,
  tag: null,
  stale: false,
};

/** Inventory not seen for this long is "stale": its endpoint has not reported it since. */
export const STALE_MS = 24 * 3600 * 1000;

const SCALE: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
  p: 1024 ** 5,
  pb: 1024 ** 5,
  pib: 1024 ** 5,
};

/**
 * Reads a quantity as the user typed it ("200 GiB", "2.5 GHz", "80%", "12") into the field's
 * stored unit. A bare number is taken in the unit the column shows (GiB for bytes/MB columns,
 * MHz, percent, days for seconds). Returns null for text that is not a quantity.
 *
 * @example parseQuantity('2 TiB', 'bytes') === 2 * 1024 ** 4
 */
export function parseQuantity(
  text: string,
  unit: QueryFieldInfo['unit'] | undefined,
): number | null {
  const m = /^\s*(-?\d+(?:[.,]\d+)?)\s*([a-z%]*)\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]!.replace(',', '.'));
  const suffix = (m[2] ?? '').toLowerCase();
  if (!Number.isFinite(n)) return null;
  switch (unit) {
    case 'bytes':
    case 'mb': {
      const factor = suffix === '' ? 1024 ** 3 : SCALE[suffix];
      if (factor === undefined) return null;
      const bytes = n * factor;
      return unit === 'mb' ? bytes / 1024 ** 2 : bytes;
    }
    case 'mhz':
      if (suffix === '' || suffix === 'mhz') return n;
      if (suffix === 'ghz') return n * 1000;
      return null;
    case 'percent':
      return suffix === '' || suffix === '%' ? n : null;
    case 'seconds':
      if (suffix === '' || suffix === 'd') return n * 86400;
      if (suffix === 'h') return n * 3600;
      if (suffix === 'min' || suffix === 'm') return n * 60;
      if (suffix === 's') return n;
      return null;
    default:
      return suffix === '' ? n : null;
  }
}

/** The query filters of one column filter; an enum of several values excludes the others. */
export function toQueryFilters(f: ColumnFilter, field: QueryFieldInfo | undefined): Filter[] {
  switch (f.kind) {
    case 'text':
      return f.contains.trim() === ''
        ? []
        : [{ field: f.field, op: '~', value: f.contains.trim() }];
    case 'bool':
      return [{ field: f.field, op: '=', value: f.value ? 'true' : 'false' }];
    case 'range': {
      const out: Filter[] = [];
      const min = parseQuantity(f.min, field?.unit);
      const max = parseQuantity(f.max, field?.unit);
      if (min !== null) out.push({ field: f.field, op: '>=', value: String(min) });
      if (max !== null) out.push({ field: f.field, op: '<=', value: String(max) });
      return out;
    }
    case 'enum': {
      const all = field?.values ?? [];
      if (f.values.length === 0 || (all.length > 0 && f.values.length >= all.length)) return [];
      if (f.values.length === 1) return [{ field: f.field, op: '=', value: f.values[0]! }];
      // The engine ANDs its filters; "one of these" is "none of the others".
      return all
        .filter((v) => !f.values.includes(v))
        .map((v) => ({ field: f.field, op: '!=' as const, value: v }));
    }
  }
}

/** True when the filter would not narrow anything (empty text, no bounds, no values). */
export function isEmptyFilter(f: ColumnFilter, field: QueryFieldInfo | undefined): boolean {
  return toQueryFilters(f, field).length === 0;
}

/** The filters of the chips; `now` is injected so tests are stable. */
export function quickToFilters(
  q: QuickFilters,
  fields: readonly QueryFieldInfo[],
  now: number,
): Filter[] {
  const has = (name: string): boolean => fields.some((f) => f.name === name);
  const out: Filter[] = [];
  if (q.powerState && has('powerState'))
    out.push({ field: 'powerState', op: '=', value: q.powerState });
  if (q.endpoint && has('endpoint')) out.push({ field: 'endpoint', op: '=', value: q.endpoint });
  if (q.cluster && has('cluster')) out.push({ field: 'cluster', op: '=', value: q.cluster });
  if (q.tag && has('tags')) out.push({ field: 'tags', op: '=', value: q.tag });
  if (q.stale && has('lastSeen')) {
    out.push({ field: 'lastSeen', op: '<', value: new Date(now - STALE_MS).toISOString() });
  }
  return out;
}

/**
 * Click sorts by one column (again flips it, a third time clears it); Shift-click adds the column
 * to the sort or flips it where it stands. At most five keys, as the query allows.
 */
export function toggleSort(prev: readonly Sort[], field: string, additive: boolean): Sort[] {
  const existing = prev.find((s) => s.field === field);
  if (additive) {
    if (existing) return prev.map((s) => (s.field === field ? { field, desc: !s.desc } : s));
    return [...prev, { field, desc: false }].slice(-5);
  }
  if (existing && prev.length === 1) return existing.desc ? [] : [{ field, desc: true }];
  return [{ field, desc: false }];
}

/** A row's identity across windows and refetches: endpoint and native id when it has them. */
export function rowKey(row: QueryRow): string {
  const id = row['id'];
  const ep = row['endpoint'];
  return `${typeof ep === 'string' ? ep : ''}\u0000${Array.isArray(id) ? id.join(',') : String(id ?? '')}`;
}

/** The raw text of a cell for copying: full values, not the rounded display. */
export function cellText(value: QueryCell | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

function tsvCell(text: string): string {
  // Tabs and newlines would break the grid; a spreadsheet reads quoted cells.
  if (/[\t\n\r"]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

/** Tab-separated text with a header row, for pasting into a spreadsheet. */
export function toTsv(fields: readonly QueryFieldInfo[], rows: readonly QueryRow[]): string {
  const lines = [fields.map((f) => tsvCell(f.label)).join('\t')];
  for (const row of rows) lines.push(fields.map((f) => tsvCell(cellText(row[f.name]))).join('\t'));
  return `${lines.join('\n')}\n`;
}

/** Indexes from a to b inclusive, in either order. */
export function rangeOf(a: number, b: number): { start: number; end: number } {
  return a <= b ? { start: a, end: b } : { start: b, end: a };
}

/** "1,234 of 11,000 VMs", or "11,000 VMs" when nothing is filtered. */
export function countText(shown: number | null, total: number | null, noun: string): string {
  if (shown === null) return 'Loading…';
  if (total === null || total === shown) {
    // "1 VM", "1 resource pool": the nouns are plain English plurals.
    return shown === 1 ? `1 ${noun.replace(/s$/, '')}` : `${shown.toLocaleString('en-US')} ${noun}`;
  }
  return `${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${noun}`;
}

/**
 * The page indexes to load for rows [first, last]: the pages in view first, then the page
 * before or after when the view is within a quarter page of its edge (so a table resting at the
 * top of a fresh query asks for one page, and scrolling finds the next one already there).
 */
export function pagesFor(first: number, last: number, pageSize: number, count: number): number[] {
  if (count <= 0) return [];
  const lastPage = Math.floor((count - 1) / pageSize);
  const from = Math.min(lastPage, Math.floor(first / pageSize));
  const to = Math.min(lastPage, Math.floor(Math.max(first, last) / pageSize));
  const near = Math.max(1, Math.floor(pageSize / 4));
  const out: number[] = [];
  for (let p = from; p <= to; p++) out.push(p);
  if (from > 0 && first - from * pageSize < near) out.push(from - 1);
  if (to < lastPage && (to + 1) * pageSize - Math.max(first, last) <= near) out.push(to + 1);
  return out;
}

/** Where a row's "Open details" goes: the entity itself, or the VM a snapshot/disk/NIC belongs to. */
export function detailTargetOf(
  kind: string,
  row: QueryRow,
): {
  kind: 'vm' | 'host' | 'cluster' | 'datastore' | 'network';
  endpoint: string;
  id: string;
  name: string;
} | null {
  const endpoint = row['endpoint'];
  if (typeof endpoint !== 'string' || endpoint === '') return null;
  const str = (f: string): string | null => {
    const v = row[f];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const direct: Record<string, 'vm' | 'host' | 'cluster' | 'datastore' | 'network'> = {
    vms: 'vm',
    hosts: 'host',
    clusters: 'cluster',
    datastores: 'datastore',
    networks: 'network',
  };
  const k = direct[kind];
  if (k) {
    const id = str('id');
    return id ? { kind: k, endpoint, id, name: str('name') ?? id } : null;
  }
  if (kind === 'snapshots' || kind === 'disks' || kind === 'nics' || kind === 'partitions') {
    const id = str('vmId');
    return id ? { kind: 'vm', endpoint, id, name: str('vm') ?? id } : null;
  }
  // A host's devices open their host (its detail lists them).
  if (HOST_DEVICE_KINDS.has(kind)) {
    const id = str('hostId');
    return id ? { kind: 'host', endpoint, id, name: str('host') ?? id } : null;
  }
  if (kind === 'changes' || kind === 'events' || kind === 'alerts') {
    const type = str('entityType');
    const id = str('entityId');
    if (!type || !id) return null;
    const t =
      type === 'vm' ||
      type === 'host' ||
      type === 'cluster' ||
      type === 'datastore' ||
      type === 'network'
        ? type
        : null;
    return t ? { kind: t, endpoint, id, name: str('name') ?? id } : null;
  }
  return null;
}

/** Query kinds of a host's devices: each row names its host (`hostId`, `host`). */
const HOST_DEVICE_KINDS: ReadonlySet<string> = new Set([
  'host-nics',
  'hbas',
  'vmkernels',
  'multipath-luns',
  'standard-switches',
  'port-groups',
]);

/** Query kinds whose rows are alert subjects themselves, and the subject type they hold. */
const ALERT_SUBJECTS: Partial<Record<string, AlertEntityType>> = {
  vms: 'vm',
  hosts: 'host',
  clusters: 'cluster',
  datastores: 'datastore',
  snapshots: 'snapshot',
};

/**
 * The alert subject a table row stands for (its badge's key), or null for rows no rule
 * watches (networks, resource pools). A change-log row stands for the object that changed.
 */
export function alertTargetOf(
  kind: string,
  row: QueryRow,
): { endpoint: string; entityType: AlertEntityType; entityId: string } | null {
  const endpoint = row['endpoint'];
  if (typeof endpoint !== 'string' || endpoint === '') return null;
  const direct = ALERT_SUBJECTS[kind];
  const type = direct ?? (kind === 'changes' ? row['entityType'] : null);
  const id = direct ? row['id'] : row['entityId'];
  if (typeof id !== 'string' || id === '' || typeof type !== 'string') return null;
  if (!(ALERT_ENTITY_TYPES as readonly string[]).includes(type) || type === 'endpoint') return null;
  return { endpoint, entityType: type as AlertEntityType, entityId: id };
}
