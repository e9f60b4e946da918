import type { CollectedEntity, EntityType, FieldKind, FieldSpec } from '../../shared/entities.js';
import { ENTITY_TYPES, fieldSpecsOf } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import { columnOf, tableOf } from '../store/schema.js';

/*
 * What the inventory writer knows of each entity type's table, worked out once: its stored
 * fields and columns, its relation kinds, and its INSERT. Shared by both engines' writers.
 */

/** A stored field's column type on PostgreSQL (SQLite's INTEGER is BIGINT there). */
const PG_TYPES: Record<FieldKind, string> = {
  text: 'text',
  int: 'bigint',
  bool: 'bigint',
  real: 'double precision',
  json: 'text',
  time: 'text',
};

export interface FieldOf {
  readonly field: string;
  readonly column: string;
  readonly spec: FieldSpec;
}

/** A field listing other entities: stored only as rows of the relation table, never a column. */
export interface RelationOf {
  readonly field: string;
  readonly kind: string;
}

export interface TypeSpec {
  readonly type: EntityType;
  readonly table: string;
  /** The fields stored in columns of the entity's table. */
  readonly fields: readonly FieldOf[];
  readonly relations: readonly RelationOf[];
  /**
   * INSERT of a whole row: endpoint, native id, name and its natural sort key (`name_key`, which
   * every entity table has since migration natural-sort), every field, first/last seen, deleted.
   */
  readonly insertSql: string;
  /** The same with the row's digest (`row_hash`, row-hash.ts) where the table has the column. */
  readonly insertHashSql: string;
  /** Every column the writer sets, in insertSql's order. */
  readonly columns: readonly string[];
  /** Indexes into `fields` of the volatile ones: they change no log and are not in the digest. */
  readonly volatile: readonly number[];
  /** Per field: true where it is in the digest (every stored field but the volatile ones). */
  readonly digested: readonly boolean[];
  /** PostgreSQL's type of each of those columns (for casts of untyped parameters). */
  readonly pgTypes: ReadonlyMap<string, string>;
}

export const SPECS: ReadonlyMap<EntityType, TypeSpec> = new Map(
  ENTITY_TYPES.map((type) => {
    const table = tableOf(type);
    const specs = fieldSpecsOf(type);
    const fields = specs
      .filter(([, spec]) => !spec.refs)
      .map(([field, spec]): FieldOf => ({ field, column: columnOf(field), spec }));
    const relations = specs
      .filter(([, spec]) => spec.refs)
      .map(([field]): RelationOf => ({ field, kind: `${type}.${field}` }));
    const columns = [
      'endpoint_id',
      'native_id',
      'name',
      'name_key',
      ...fields.map((f) => f.column),
      'first_seen',
      'last_seen',
      'deleted_at',
    ];
    const insertOf = (cols: readonly string[]): string =>
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    // Every other column (row_hash too) is text.
    const pgTypes = new Map<string, string>(columns.map((c) => [c, 'text']));
    pgTypes.set('endpoint_id', 'bigint');
    for (const f of fields) pgTypes.set(f.column, PG_TYPES[f.spec.kind]);
    return [
      type,
      {
        type,
        table,
        fields,
        relations,
        insertSql: insertOf(columns),
        insertHashSql: insertOf([...columns, 'row_hash']),
        columns,
        volatile: fields.flatMap((f, i) => (f.spec.volatile ? [i] : [])),
        digested: fields.map((f) => !f.spec.volatile),
        pgTypes,
      },
    ];
  }),
);

export function specOf(type: EntityType): TypeSpec {
  const spec = SPECS.get(type);
  if (!spec) throw new AppError('VALIDATION', `Unknown entity type ${String(type)}`);
  return spec;
}

export function validateEntity(e: CollectedEntity): void {
  if (typeof e.id !== 'string' || e.id.length === 0) {
    throw new AppError('VALIDATION', `An ${String(e.type)} entity has no id`);
  }
  if (typeof e.name !== 'string') {
    throw new AppError('VALIDATION', `Entity ${e.type} ${e.id} has no name`);
  }
}

/** One write's entities grouped by type (validated), and its removals by type. */
export interface WriteSet {
  readonly byType: ReadonlyMap<EntityType, readonly CollectedEntity[]>;
  readonly removalsByType: ReadonlyMap<EntityType, ReadonlySet<string>>;
  readonly full: boolean;
}

export function writeSetOf(
  upserts: readonly CollectedEntity[],
  removals: readonly { type: EntityType; id: string }[],
  full: boolean,
): WriteSet {
  const byType = new Map<EntityType, CollectedEntity[]>();
  for (const e of upserts) {
    validateEntity(e);
    specOf(e.type);
    let list = byType.get(e.type);
    if (!list) byType.set(e.type, (list = []));
    list.push(e);
  }
  const removalsByType = new Map<EntityType, Set<string>>();
  for (const r of removals) {
    specOf(r.type);
    let set = removalsByType.get(r.type);
    if (!set) removalsByType.set(r.type, (set = new Set()));
    set.add(r.id);
  }
  return { byType, removalsByType, full };
}

/** The types a write touches: all of them for a full write, else those it names. */
export function typesOf(set: WriteSet): EntityType[] {
  return ENTITY_TYPES.filter(
    (t) => set.full || (set.byType.get(t)?.length ?? 0) > 0 || set.removalsByType.has(t),
  );
}
