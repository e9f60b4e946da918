import type {
  EntityFields,
  EntityType,
  FieldOf,
  FieldSpec,
  FieldValue,
} from '../../shared/entities.js';
import { ENTITY_FIELDS } from '../../shared/entities.js';
import type { EndpointAbout } from '../../shared/endpoints.js';
import { endpointAboutSchema } from '../../shared/endpoints.js';
import { decodeField, parseJsonColumn, snake } from '../store/columns.js';

/*
 * The one shape every exporter and the snapshot store read: an entity with its endpoint and its
 * field values decoded (booleans, numbers, parsed JSON), whether it comes from the live tables, a
 * saved snapshot or an imported file.
 */

/** An endpoint as exports and snapshots know it: never its credentials. */
export interface SourceEndpoint {
  /** Stable across machines: the host (with the port when two endpoints share a host). */
  readonly key: string;
  readonly name: string;
  readonly kind: string;
  readonly host: string;
  readonly port: number | null;
  /** What the server said it is at its last full sync (vSphere), when known. */
  readonly about?: EndpointAbout | null;
}

export interface EntityRecord {
  readonly type: EntityType;
  readonly ep: SourceEndpoint;
  readonly id: string;
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /**
   * The same values in the order of the source's `fieldsOf(type)`, when the source reads them
   * that way: writers that go column by column (CSV, JSON, snapshots) use it and never build
   * `fields`.
   */
  readonly values?: readonly FieldValue[];
}

/** A record of one entity type (its field values decoded as the model declares them). */
export interface RecordOf<T extends EntityType> extends EntityRecord {
  readonly type: T;
}

/**
 * A field of a record, by a name the compiler checks against the model (`fieldOf(vm, 'cpuCount')`
 * is a number or null; a misspelt name does not compile). Undefined when the source does not carry
 * the field (an imported workbook without that column).
 */
export function fieldOf<T extends EntityType, F extends EntityFields<T>>(
  r: RecordOf<T>,
  name: F,
): FieldOf<T, F> | undefined {
  // The store's decoder (decodeField) gives each kind its declared type.
  return r.fields[name] as FieldOf<T, F> | undefined;
}

/** A record whose `fields` map is built only if someone asks for it. */
export class ValuesRecord implements EntityRecord {
  private map: Record<string, FieldValue> | undefined;
  constructor(
    readonly type: EntityType,
    readonly ep: SourceEndpoint,
    readonly id: string,
    readonly name: string,
    readonly values: readonly FieldValue[],
    private readonly names: readonly string[],
  ) {}

  get fields(): Readonly<Record<string, FieldValue>> {
    if (!this.map) {
      const m: Record<string, FieldValue> = {};
      for (let i = 0; i < this.names.length; i++) m[this.names[i]!] = this.values[i] ?? null;
      this.map = m;
    }
    return this.map;
  }
}

/** The value of `field` (at `index` in `values` when the record has them). */
export function valueAt(r: EntityRecord, index: number, field: string): FieldValue {
  return r.values ? (r.values[index] ?? null) : (r.fields[field] ?? null);
}

export type FieldEntry = readonly [field: string, column: string, spec: FieldSpec];

const FIELD_ENTRIES = new Map<EntityType, readonly FieldEntry[]>();

/** The model's fields of a type with their column names, in model order. */
export function fieldEntries(type: EntityType): readonly FieldEntry[] {
  let list = FIELD_ENTRIES.get(type);
  if (!list) {
    list = Object.entries(ENTITY_FIELDS[type] as Record<string, FieldSpec>).map(
      ([f, s]) => [f, snake(f), s] as const,
    );
    FIELD_ENTRIES.set(type, list);
  }
  return list;
}

export function fieldNames(type: EntityType): string[] {
  return fieldEntries(type).map(([f]) => f);
}

export function fieldSpec(type: EntityType, field: string): FieldSpec | undefined {
  return (ENTITY_FIELDS[type] as Record<string, FieldSpec>)[field];
}

/**
 * A decoder from a row of column values (starting at `offset`) to field values, in the order of
 * `entries`. JSON columns
 * repeat a lot (tags, datastore lists, custom attributes), so their parses are shared through a
 * small cache: the values are treated as immutable by every reader.
 */
export function rowDecoder(
  entries: readonly FieldEntry[],
): (row: readonly unknown[], offset: number) => FieldValue[] {
  const cache = new Map<string, FieldValue>();
  const json = (raw: unknown): FieldValue => {
    const text = String(raw);
    let v = cache.get(text);
    if (v === undefined) {
      v = parseJsonColumn(text);
      if (text.length <= 256) {
        if (cache.size >= 4096) cache.clear();
        cache.set(text, v);
      }
    }
    return v;
  };
  const kinds = entries.map(([, , spec]) => spec.kind);
  return (row, offset) => {
    const out = new Array<FieldValue>(kinds.length);
    for (let i = 0; i < kinds.length; i++) out[i] = decodeField(row[i + offset], kinds[i]!, json);
    return out;
  };
}

/** Keys endpoints by lower-case host, adding the port when two of them share a host. */
export function keyEndpoints(
  rows: readonly {
    name: string;
    kind: string;
    host: string;
    port: number | null;
    about?: string | EndpointAbout | null;
  }[],
): SourceEndpoint[] {
  const hosts = new Map<string, number>();
  for (const r of rows) hosts.set(r.host.toLowerCase(), (hosts.get(r.host.toLowerCase()) ?? 0) + 1);
  return rows.map((r) => {
    const host = r.host.toLowerCase();
    const shared = (hosts.get(host) ?? 0) > 1;
    return {
      key: shared ? `${host}:${r.port ?? ''}` : host,
      name: r.name,
      kind: r.kind,
      host: r.host,
      port: r.port,
      about: typeof r.about === 'string' ? parseAbout(r.about) : (r.about ?? null),
    };
  });
}

/** JSON with object keys sorted, so equal values compare equal as text. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`)
    .join(',')}}`;
}

/** An endpoint's stored server facts; anything but the expected object reads as null. */
export function parseAbout(text: string | null): EndpointAbout | null {
  if (text === null) return null;
  try {
    const r = endpointAboutSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
