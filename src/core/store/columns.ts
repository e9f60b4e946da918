import type {
  EntityType,
  FieldKind,
  FieldSpec,
  FieldValue,
  TypedFields,
} from '../../shared/entities.js';
import { fieldSpecsOf } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { Snake } from './schema.js';

/*
 * The one place a field's value crosses to and from its stored column: `encodeField` for the
 * writer, `decodeField` / `decodeRow` for every reader (details, alerts, exports), and the
 * camelCase → snake_case names of tables and columns.
 */

/** What a column holds in SQLite. */
export type ColumnValue = string | number | null;

/** `memoryMb` → `memory_mb`, `resourcePool` → `resource_pool`. */
export function snake<S extends string>(name: S): Snake<S> {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as Snake<S>;
}

/** Converts a field's value to its column's storage form; rejects values of the wrong shape. */
export function encodeField(
  value: FieldValue | undefined,
  spec: FieldSpec,
  where: string,
): ColumnValue {
  if (value === null || value === undefined) return null;
  switch (spec.kind) {
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      break;
    case 'int':
      if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value);
      break;
    case 'real':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      break;
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      break;
    case 'json':
      return JSON.stringify(value);
    case 'time':
      if (typeof value === 'string') {
        const t = Date.parse(value);
        if (!Number.isNaN(t)) return new Date(t).toISOString();
      }
      break;
  }
  throw new AppError('VALIDATION', `Field ${where} expects ${spec.kind}, got ${typeof value}`);
}

/** Parses a JSON column; unreadable JSON (never written by `encodeField`) reads as unknown. */
export function parseJsonColumn(raw: unknown): FieldValue {
  try {
    return JSON.parse(String(raw)) as FieldValue;
  } catch {
    return null;
  }
}

/**
 * Converts a stored column back to its field's value: 0/1 → boolean, numeric text → number,
 * JSON text → its value. `json` decodes JSON columns (a caching parser, for bulk readers).
 */
export function decodeField(
  raw: unknown,
  kind: FieldKind,
  json: (raw: unknown) => FieldValue = parseJsonColumn,
): FieldValue {
  if (raw === null || raw === undefined) return null;
  switch (kind) {
    case 'bool':
      return raw === 1 || raw === true || raw === '1';
    case 'int':
    case 'real': {
      if (raw === '') return null;
      const n = typeof raw === 'number' ? raw : Number(raw);
      return Number.isFinite(n) ? n : null;
    }
    case 'json':
      return json(raw);
    default:
      return typeof raw === 'string' ? raw : String(raw);
  }
}

/**
 * The typed fields of a stored row of `type`: every field whose column the row holds, decoded.
 * Columns a query did not select are left out (not null), so a reader sees only what it read.
 *
 * @example const f = decodeRow('vm', await db.selectFrom('vm').selectAll().executeTakeFirst());
 *          f.memoryMb; // number | null | undefined
 */
export function decodeRow<T extends EntityType>(
  type: T,
  row: Readonly<Record<string, unknown>>,
): TypedFields<T> {
  const out: Record<string, FieldValue> = {};
  // By the row's own columns: the rule pass reads 15 of a VM's ~150 columns from 11,000 rows,
  // and asking each row for every field's column cost more than decoding what it holds.
  const byColumn = columnsOf(type);
  for (const column in row) {
    const c = byColumn.get(column);
    if (c) out[c[0]] = decodeField(row[column], c[1]);
  }
  return out as TypedFields<T>;
}

/** Each type's fields by column name, worked out once (readers decode 100,000 rows). */
const COLUMNS = new Map<EntityType, ReadonlyMap<string, readonly [string, FieldKind]>>();

function columnsOf(type: EntityType): ReadonlyMap<string, readonly [string, FieldKind]> {
  let map = COLUMNS.get(type);
  if (!map) {
    map = new Map(
      fieldSpecsOf(type).map(([field, spec]) => [snake(field), [field, spec.kind] as const]),
    );
    COLUMNS.set(type, map);
  }
  return map;
}

/** A JSON list of strings stored outside the entity tables (endpoint tags); [] when unreadable. */
export function decodeStringList(raw: unknown): string[] {
  const v = raw === null || raw === undefined ? null : parseJsonColumn(raw);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
