import type { Sort } from '../../../shared/query.js';
import { preferences } from './preferences.js';

/*
 * The layout of each table (columns, their order and widths, density, sort), kept with the
 * user's preferences in the core (see preferences.ts), so every host and port sees the same.
 */

export type Density = 'compact' | 'comfortable';

export interface ColumnLayout {
  readonly name: string;
  readonly width: number;
}

export interface TableLayout {
  readonly columns: readonly ColumnLayout[];
  readonly density: Density;
  readonly sort: readonly Sort[];
}

export const MIN_WIDTH = 60;
export const MAX_WIDTH = 800;
export const DEFAULT_WIDTH = 140;

const KEY_PREFIX = 'infrascope.table.';
const VERSION = 1;

/** Widths that fit the usual content of a column at first sight. */
export function defaultWidth(name: string): number {
  if (name === 'name') return 220;
  if (/^(id|uuid|instanceUuid|message|annotation|vmPathName|url|fileName)$/.test(name)) return 240;
  if (/(Count|Cores|Sockets|port|vlanId)$/.test(name)) return 90;
  return DEFAULT_WIDTH;
}

export function defaultLayout(columns: readonly string[]): TableLayout {
  return {
    columns: columns.map((name) => ({ name, width: defaultWidth(name) })),
    density: 'compact',
    sort: [],
  };
}

function clampWidth(w: unknown): number {
  const n = typeof w === 'number' && Number.isFinite(w) ? w : DEFAULT_WIDTH;
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, n)));
}

/**
 * Reads a stored layout defensively: unknown columns are dropped (a field may have gone), bad
 * widths clamped, and anything unreadable falls back to the default.
 */
export function parseLayout(
  text: string | null,
  known: readonly string[] | null,
  fallback: TableLayout,
): TableLayout {
  if (!text) return fallback;
  try {
    const raw = JSON.parse(text) as {
      v?: unknown;
      columns?: unknown;
      density?: unknown;
      sort?: unknown;
    };
    if (raw.v !== VERSION || !Array.isArray(raw.columns)) return fallback;
    const seen = new Set<string>();
    const columns: ColumnLayout[] = [];
    for (const c of raw.columns as unknown[]) {
      const name = (c as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || seen.has(name)) continue;
      if (known && !known.includes(name)) continue;
      seen.add(name);
      columns.push({ name, width: clampWidth((c as { width?: unknown }).width) });
    }
    if (columns.length === 0) return fallback;
    const sort: Sort[] = Array.isArray(raw.sort)
      ? (raw.sort as unknown[])
          .filter(
            (s): s is Sort =>
              typeof (s as Sort | null)?.field === 'string' &&
              typeof (s as Sort).desc === 'boolean',
          )
          .filter((s) => !known || known.includes(s.field))
          .slice(0, 5)
      : [];
    return {
      columns,
      density: raw.density === 'comfortable' ? 'comfortable' : 'compact',
      sort,
    };
  } catch {
    return fallback;
  }
}

export function serializeLayout(layout: TableLayout): string {
  return JSON.stringify({ v: VERSION, ...layout });
}

export function loadLayout(
  table: string,
  fallback: TableLayout,
  known: readonly string[] | null = null,
): TableLayout {
  try {
    return parseLayout(preferences.getItem(KEY_PREFIX + table), known, fallback);
  } catch {
    return fallback;
  }
}

export function saveLayout(table: string, layout: TableLayout): void {
  try {
    preferences.setItem(KEY_PREFIX + table, serializeLayout(layout));
  } catch {
    // Storage full or disabled: the layout simply does not persist.
  }
}

export function resetLayout(table: string): void {
  try {
    preferences.removeItem(KEY_PREFIX + table);
  } catch {
    // As above.
  }
}

/** Moves a column to another place in the order (drag and drop, or the chooser's arrows). */
export function moveColumn(layout: TableLayout, name: string, toIndex: number): TableLayout {
  const from = layout.columns.findIndex((c) => c.name === name);
  if (from < 0) return layout;
  const cols = [...layout.columns];
  const [col] = cols.splice(from, 1);
  const to = Math.max(0, Math.min(cols.length, toIndex));
  cols.splice(to, 0, col!);
  return { ...layout, columns: cols };
}

export function toggleColumn(layout: TableLayout, name: string): TableLayout {
  if (layout.columns.some((c) => c.name === name)) {
    if (layout.columns.length === 1) return layout;
    return { ...layout, columns: layout.columns.filter((c) => c.name !== name) };
  }
  return { ...layout, columns: [...layout.columns, { name, width: defaultWidth(name) }] };
}

export function resizeColumn(layout: TableLayout, name: string, width: number): TableLayout {
  return {
    ...layout,
    columns: layout.columns.map((c) => (c.name === name ? { ...c, width: clampWidth(width) } : c)),
  };
}
