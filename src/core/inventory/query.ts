import type { Kysely, RawBuilder } from 'kysely';
import { sql } from 'kysely';
import { AppError } from '../../shared/errors.js';
import type {
  Filter,
  InventoryQuery,
  Scope,
  QueryCell,
  QueryFieldInfo,
  QueryResult,
  QueryRow,
} from '../../shared/query.js';
import { inventoryQuerySchema } from '../../shared/query.js';
import type { Database } from '../store/schema.js';
import type { FieldDef, KindDef } from './query-defs.js';
import { KINDS, LIST_SEP, PG_KINDS, VM_SEARCH_TEXT } from './query-defs.js';
import type { StoreEngine } from '../store/location.js';
import { engineOf } from '../store/sqlite.js';
import { entityTagged, escapeLike, listHas, scopeOnRows } from './scope-sql.js';

function fieldOf(def: KindDef, kind: string, name: string): FieldDef {
  const field = def.fields.find((x) => x.name === name);
  if (!field) {
    throw new AppError(
      'UNKNOWN_FIELD',
      `Unknown field "${name}" for ${kind}. Fields: ${def.fields.map((x) => x.name).join(', ')}`,
      { field: name, kind },
    );
  }
  return field;
}

function coerce(field: FieldDef, value: string): string | number {
  if (field.type === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) {
      throw new AppError('VALIDATION', `Field ${field.name} is a number; "${value}" is not`, {
        field: field.name,
      });
    }
    return n;
  }
  if (field.type === 'bool') {
    const v = value.toLowerCase();
    if (['true', 'yes', '1'].includes(v)) return 1;
    if (['false', 'no', '0'].includes(v)) return 0;
    throw new AppError(
      'VALIDATION',
      `Field ${field.name} is true or false; "${value}" is neither`,
      { field: field.name },
    );
  }
  return value;
}

/** The conditions of a workspace scope, for the parts that apply to this kind. */
function scopeConditions(
  def: KindDef,
  kind: string,
  scope: Scope | undefined,
  engine: StoreEngine,
): RawBuilder<unknown>[] {
  if (!scope) return [];
  const byName = (name: string): FieldDef | undefined => def.fields.find((x) => x.name === name);
  // Every kind with an endpoint joins it as `e`; the endpoints kind is `e` itself. Kinds without
  // one (the audit log) are not scoped.
  const endpointField = kind === 'endpoints' ? byName('name') : byName('endpoint');
  if (endpointField?.expr !== 'e.name') return [];
  const type = byName('entityType');
  const id = byName('entityId');
  if (type && id) {
    // Rows about an entity (changes, events, alerts): that entity's tags or its endpoint's.
    const alias = type.expr.split('.')[0]!;
    return scopeOnRows(
      scope,
      (tag) => entityTagged(`${alias}.endpoint_id`, type.expr, id.expr, tag, engine),
      engine,
    );
  }
  return scopeOnRows(scope, byName('tags')?.expr ?? null, engine);
}

/** Number and flag fields: numeric columns on PostgreSQL, which never compares them with text. */
const numeric = (field: FieldDef): boolean => field.type === 'number' || field.type === 'bool';

function condition(field: FieldDef, flt: Filter, engine: StoreEngine): RawBuilder<unknown> {
  const expr = sql.raw(field.expr);
  if (flt.op === '~' || flt.op === '!~') {
    const pattern = `%${escapeLike(flt.value.toLowerCase())}%`;
    // A number or flag is matched by its text (SQLite converts it by itself, PostgreSQL must be
    // told: COALESCE of a bigint and '' is an error there).
    const text = numeric(field) ? sql`CAST(${expr} AS TEXT)` : expr;
    const like = sql`lower(COALESCE(${text}, '')) LIKE ${pattern} ESCAPE '\\'`;
    return flt.op === '~' ? like : sql`NOT (${like})`;
  }
  if (field.type === 'list') {
    const has = listHas(field.expr, flt.value, engine);
    if (flt.op === '=') return has;
    if (flt.op === '!=') return sql`NOT (${has})`;
    throw new AppError('VALIDATION', `Field ${field.name} is a list: use =, !=, ~ or !~`);
  }
  if (flt.value === '' && (flt.op === '=' || flt.op === '!=')) {
    // A number or flag is empty when it is NULL: it never equals '' on SQLite, and PostgreSQL
    // refuses to compare a bigint or double with ''.
    if (numeric(field)) {
      return flt.op === '=' ? sql`${expr} IS NULL` : sql`${expr} IS NOT NULL`;
    }
    return flt.op === '='
      ? sql`(${expr} IS NULL OR ${expr} = '')`
      : sql`(${expr} IS NOT NULL AND ${expr} <> '')`;
  }
  const value = coerce(field, flt.value);
  if (field.type === 'enum' && (flt.op === '=' || flt.op === '!=')) {
    // The store holds an enum's canonical spelling: compare to it as is, so an index serves.
    const canonical = field.values?.find((v) => v.toLowerCase() === flt.value.toLowerCase());
    if (canonical !== undefined) {
      return flt.op === '='
        ? sql`${expr} = ${canonical}`
        : sql`(${expr} IS NULL OR ${expr} <> ${canonical})`;
    }
  }
  if (field.type === 'text' || field.type === 'enum') {
    const text = String(value).toLowerCase();
    switch (flt.op) {
      case '=':
        return sql`lower(${expr}) = ${text}`;
      case '!=':
        return sql`(${expr} IS NULL OR lower(${expr}) <> ${text})`;
      default:
        break;
    }
  }
  switch (flt.op) {
    case '=':
      return sql`${expr} = ${value}`;
    case '!=':
      return sql`(${expr} IS NULL OR ${expr} <> ${value})`;
    case '>':
      return sql`${expr} > ${value}`;
    case '>=':
      return sql`${expr} >= ${value}`;
    case '<':
      return sql`${expr} < ${value}`;
    case '<=':
      return sql`${expr} <= ${value}`;
  }
}

function toCell(field: QueryFieldInfo, raw: unknown): QueryCell {
  if (raw === null || raw === undefined) return field.type === 'list' ? [] : null;
  switch (field.type) {
    case 'bool':
      return raw === 1 || raw === true;
    case 'number':
      return typeof raw === 'number' ? raw : Number(raw);
    case 'list': {
      const s = String(raw);
      if (s.startsWith('[')) {
        const parsed: unknown = JSON.parse(s);
        return Array.isArray(parsed) ? parsed.map(String) : [];
      }
      return s === '' ? [] : s.split(LIST_SEP);
    }
    default:
      return typeof raw === 'string' ? raw : String(raw);
  }
}

/** The alias of the kind's main table: `vm v JOIN …` → `v`. */
function baseAlias(from: string): string {
  const m = /^\s*\w+\s+(\w+)/.exec(from);
  if (!m) throw new AppError('INTERNAL', `Cannot read the main table of ${from.slice(0, 40)}`);
  return m[1]!;
}

/**
 * The FROM clause without the LEFT JOINs that none of `exprs` mentions. Every LEFT JOIN in the
 * allow-list is on a unique key (endpoint, native id), so dropping an unused one changes no count.
 */
export function leanFrom(from: string, exprs: readonly string[]): string {
  const parts = from.split(/(?=\bLEFT JOIN\b)/);
  const text = exprs.join(' ');
  const kept = parts.filter((part, i) => {
    if (i === 0) return true;
    const alias = /^LEFT JOIN\s+\w+\s+(\w+)/.exec(part)?.[1];
    return !alias || new RegExp(`\\b${alias}\\.`).test(text);
  });
  return kept.join('');
}

/**
 * Runs a query over one inventory kind: allow-listed fields, bound values, server-side sort and
 * paging, and the total count for "1,234 of 11,000".
 */
export async function queryInventory(
  db: Kysely<Database>,
  input: InventoryQuery,
): Promise<QueryResult> {
  const parsed = inventoryQuerySchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError(
      'VALIDATION',
      `Bad query: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const q = parsed.data;
  const engine = engineOf(db);
  const def = (engine === 'postgres' ? PG_KINDS : KINDS)[q.kind];
  const conditions: RawBuilder<unknown>[] = [];
  if (def.live && !q.includeDeleted) conditions.push(sql.raw(`${def.live}.deleted_at IS NULL`));
  for (const flt of q.where)
    conditions.push(condition(fieldOf(def, q.kind, flt.field), flt, engine));
  conditions.push(...scopeConditions(def, q.kind, q.scope, engine));
  if (q.search && q.search.trim() !== '') {
    const text = q.search.trim();
    if (engine === 'postgres') {
      // pg_trgm's GIN index serves ILIKE '%text%' on the VMs' search text (and ignores case, as
      // FTS5's trigrams do); the other kinds scan, as SQLite's LIKE does.
      const pattern = `%${escapeLike(text)}%`;
      const exprs = q.kind === 'vms' ? [VM_SEARCH_TEXT] : def.search;
      const ors = exprs.map((col) => sql`${sql.raw(col)} ILIKE ${pattern} ESCAPE '\\'`);
      conditions.push(sql`(${sql.join(ors, sql` OR `)})`);
    } else if (def.fts && text.length >= 3) {
      // A trigram phrase is a case-insensitive substring match, as the LIKE below, by index.
      const phrase = `"${text.replace(/"/g, '""')}"`;
      conditions.push(
        sql`${sql.raw(`${baseAlias(def.from)}.id`)} IN (SELECT rowid FROM ${sql.raw(def.fts)} WHERE ${sql.raw(def.fts)} MATCH ${phrase})`,
      );
    } else {
      const pattern = `%${escapeLike(text.toLowerCase())}%`;
      // SQLite's LIKE already ignores ASCII case (its lower() folds no more) and NULL does not
      // match: a bare LIKE per column saves two function calls a row over 100,000 rows.
      const ors = def.search.map((col) => sql`${sql.raw(col)} LIKE ${pattern} ESCAPE '\\'`);
      conditions.push(sql`(${sql.join(ors, sql` OR `)})`);
    }
  }
  const where = conditions.length > 0 ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
  const sorts = q.sort.length > 0 ? q.sort : [def.defaultSort];
  const sortFields = sorts.map((s) => ({ field: fieldOf(def, q.kind, s.field), desc: s.desc }));
  const sortExprOf = (field: FieldDef): string => field.sortExpr ?? field.expr;
  const orderParts = sortFields.map((s) =>
    sql.raw(`${sortExprOf(s.field)} ${s.desc ? 'DESC' : 'ASC'}`),
  );
  // A stable tiebreak keeps pages from overlapping when the sort key repeats. It runs the way the
  // last key does, so a descending sort reads its (key, native_id) index backwards instead of
  // sorting each run of equal keys (PostgreSQL: every VM of one power state).
  const idField = def.fields.find((x) => x.name === 'id');
  const tieDesc = sortFields[sortFields.length - 1]?.desc ?? false;
  if (idField) orderParts.push(sql.raw(`${idField.expr} ${tieDesc ? 'DESC' : 'ASC'}`));
  // Only the fields asked for (a dashboard summing capacities needs no per-row subqueries).
  const wanted = q.fields ? new Set(q.fields.map((n) => fieldOf(def, q.kind, n).name)) : null;
  const projected = wanted ? def.fields.filter((x) => wanted.has(x.name)) : def.fields;
  const select = sql.raw(projected.map((x, i) => `${x.expr} AS c${i}`).join(', '));
  const from = sql.raw(
    wanted
      ? leanFrom(
          def.from,
          projected.map((x) => x.expr),
        )
      : def.from,
  );

  // Count and page over only the joins the filters and sort use (a joined name costs a lookup per
  // row), then read every field of just the rows of the page by id (SQLite's rowid).
  const filtering = [
    ...q.where.map((w) => fieldOf(def, q.kind, w.field).expr),
    ...(q.search && q.search.trim() !== '' ? def.search : []),
    // The scope reads the endpoint and tags columns (the endpoint join is never dropped).
    ...(q.scope
      ? def.fields.filter((x) => x.name === 'endpoint' || x.name === 'tags').map((x) => x.expr)
      : []),
  ];
  const ordering = [
    ...sortFields.map((s) => sortExprOf(s.field)),
    ...(idField ? [idField.expr] : []),
  ];
  const lean = sql.raw(leanFrom(def.from, [...filtering, ...ordering]));
  const base = baseAlias(def.from);
  const searching = q.search !== undefined && q.search.trim() !== '';
  const countSql = sql<{
    n: number;
  }>`SELECT COUNT(*) AS n FROM ${sql.raw(leanFrom(def.from, filtering))} ${where}`;
  let total: number;
  let ids: number[] = [];
  if (searching && q.limit > 0) {
    // A text search reads every row anyway: count and page in that one pass.
    const found = (
      await sql<{
        rid: number;
        n: number;
      }>`SELECT ${sql.raw(`${base}.id`)} AS rid, COUNT(*) OVER () AS n FROM ${lean} ${where} ORDER BY ${sql.join(orderParts, sql`, `)} LIMIT ${q.limit} OFFSET ${q.offset}`.execute(
        db,
      )
    ).rows;
    ids = found.map((r) => r.rid);
    total = found[0] ? Number(found[0].n) : Number((await countSql.execute(db)).rows[0]?.n ?? 0);
  } else {
    total = Number((await countSql.execute(db)).rows[0]?.n ?? 0);
    if (q.limit > 0 && q.offset < total) {
      ids = (
        await sql<{
          rid: number;
        }>`SELECT ${sql.raw(`${base}.id`)} AS rid FROM ${lean} ${where} ORDER BY ${sql.join(orderParts, sql`, `)} LIMIT ${q.limit} OFFSET ${q.offset}`.execute(
          db,
        )
      ).rows.map((r) => r.rid);
    }
  }
  let rows: Record<string, unknown>[] = [];
  if (ids.length > 0) {
    const found = (
      await sql<
        Record<string, unknown>
      >`SELECT ${sql.raw(`${base}.id`)} AS rid__, ${select} FROM ${from} WHERE ${sql.raw(`${base}.id`)} IN (${sql.join(ids)})`.execute(
        db,
      )
    ).rows;
    const byId = new Map(found.map((r) => [r['rid__'], r]));
    rows = ids
      .map((id) => byId.get(id))
      .filter((r): r is Record<string, unknown> => r !== undefined);
  }
  const fields: QueryFieldInfo[] = def.fields.map(({ expr: _expr, ...info }) => info);
  const out: QueryRow[] = rows.map((r) => {
    const row: Record<string, QueryCell> = {};
    projected.forEach((fd, i) => {
      row[fd.name] = toCell(fd, r[`c${i}`]);
    });
    return row;
  });
  return { kind: q.kind, rows: out, total, fields };
}

export function fieldsOf(kind: keyof typeof KINDS): readonly QueryFieldInfo[] {
  return KINDS[kind].fields.map(({ expr: _expr, ...info }) => info);
}

/** Most tags one answer lists (a scope picker, not an export). */
const MAX_TAGS = 2000;

/**
 * Rows with a tag list that is not empty: the conditions of the `vm_tagged` index (migration
 * tagged-vms), so a tag listing reads the tagged VMs only, not every VM's empty list.
 */
const TAGGED = "t.tags IS NOT NULL AND t.tags <> '[]'";

/**
 * The statement of {@link listTags} on `engine` (exported so a test can read its plan): SQLite
 * through json_each, PostgreSQL through jsonb, with one spelling of each tag.
 */
export function tagListSql(engine: StoreEngine): string {
  const pg = engine === 'postgres';
  const from = (table: string, live: boolean): string =>
    pg
      ? `SELECT j.value #>> '{}' AS tag FROM ${table} t, jsonb_array_elements(CASE WHEN left(t.tags, 1) = '[' THEN t.tags::jsonb ELSE '[]'::jsonb END) j WHERE jsonb_typeof(j.value) = 'string' AND ${TAGGED}${live ? ' AND t.deleted_at IS NULL' : ''}`
      : `SELECT j.value AS tag FROM ${table} t, json_each(t.tags) j WHERE ${TAGGED}${live ? ' AND t.deleted_at IS NULL' : ''} AND json_valid(t.tags)`;
  const union = ['vm', 'host', 'datastore', 'network']
    .map((t) => from(t, true))
    .concat(from('endpoint', false))
    .join(pg ? ' UNION ALL ' : ' UNION ');
  return pg
    ? `SELECT min(tag) AS tag FROM (${union}) u WHERE tag <> '' GROUP BY lower(tag) ORDER BY lower(tag) LIMIT ${MAX_TAGS}`
    : `SELECT tag FROM (${union}) WHERE typeof(tag) = 'text' AND tag <> '' GROUP BY lower(tag) ORDER BY lower(tag) LIMIT ${MAX_TAGS}`;
}

/**
 * Every tag the scope and the tag chip can pick: the vSphere tags of live VMs, hosts, datastores
 * and networks, and the endpoints' own labels, de-duplicated case-insensitively and sorted.
 */
export async function listTags(db: Kysely<Database>): Promise<readonly string[]> {
  const rows = (await sql<{ tag: string }>`${sql.raw(tagListSql(engineOf(db)))}`.execute(db)).rows;
  return rows.map((r) => r.tag);
}
