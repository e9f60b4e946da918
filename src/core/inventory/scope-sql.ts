import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { Scope } from '../../shared/query.js';
import type { StoreEngine } from '../store/location.js';
import { LIST_SEP } from './query-defs.js';

/**
 * SQL conditions shared by the query engine and the alerts console for the workspace scope, in
 * the store engine's SQL (JSON lists are SQLite's json_each or PostgreSQL's jsonb).
 */

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A list cell has `value` as one whole member (case-insensitive). Lists are stored two ways: JSON
 * arrays (tags) and names joined by {@link LIST_SEP} (related names): each is matched exactly.
 */
export function listHas(listExpr: string, value: string, engine: StoreEngine): RawBuilder<unknown> {
  const expr = sql.raw(listExpr);
  const text = value.toLowerCase();
  const member = `%${LIST_SEP}${escapeLike(text)}${LIST_SEP}%`;
  if (engine === 'postgres') {
    // The JSON array starts with '[' and the writer wrote it (JSON.stringify): it parses.
    return sql`(CASE WHEN left(${expr}, 1) = '['
    THEN EXISTS (SELECT 1 FROM jsonb_array_elements_text(${expr}::jsonb) j(value) WHERE lower(j.value) = ${text})
    ELSE (chr(31) || lower(COALESCE(${expr}, '')) || chr(31)) LIKE ${member} ESCAPE '\\' END)`;
  }
  return sql`(CASE WHEN substr(${expr}, 1, 1) = '[' AND json_valid(${expr})
    THEN EXISTS (SELECT 1 FROM json_each(${expr}) j WHERE lower(j.value) = ${text})
    ELSE (char(31) || lower(COALESCE(${expr}, '')) || char(31)) LIKE ${member} ESCAPE '\\' END)`;
}

/** Entity types whose rows carry vSphere tags, and their tables. */
const TAGGED: readonly (readonly [string, string])[] = [
  ['vm', 'vm'],
  ['host', 'host'],
  ['datastore', 'datastore'],
  ['network', 'network'],
];

/**
 * A row about an entity (a change, an event, an alert) is in a tag's scope when the entity
 * carries the tag or its endpoint is labelled with it. Arguments are SQL expressions.
 */
export function entityTagged(
  endpointIdExpr: string,
  typeExpr: string,
  idExpr: string,
  tag: string,
  engine: StoreEngine,
): RawBuilder<unknown> {
  const endpointId = sql.raw(endpointIdExpr);
  const type = sql.raw(typeExpr);
  const id = sql.raw(idExpr);
  const own = TAGGED.map(
    ([entityType, table]) =>
      sql`(${type} = ${entityType} AND EXISTS (SELECT 1 FROM ${sql.raw(table)} st WHERE st.endpoint_id = ${endpointId} AND st.native_id = ${id} AND ${listHas('st.tags', tag, engine)}))`,
  );
  return sql`(EXISTS (SELECT 1 FROM endpoint se WHERE se.id = ${endpointId} AND ${listHas('se.tags', tag, engine)}) OR ${sql.join(own, sql` OR `)})`;
}

/**
 * The workspace scope over rows joined to their endpoint as `e`: the endpoint by name, and a tag
 * carried by the row (`rowTags`, its tags column, or null when it has none) or by its endpoint.
 * Rows about another entity pass a function that builds their own tag condition.
 */
export function scopeOnRows(
  scope: Scope | undefined,
  rowTags: string | null | ((tag: string) => RawBuilder<unknown>),
  engine: StoreEngine,
): RawBuilder<unknown>[] {
  const out: RawBuilder<unknown>[] = [];
  if (scope?.endpoint !== undefined) out.push(sql`lower(e.name) = ${scope.endpoint.toLowerCase()}`);
  const tag = scope?.tag;
  if (tag !== undefined) {
    if (typeof rowTags === 'function') {
      out.push(rowTags(tag));
    } else {
      const lists = rowTags !== null && rowTags !== 'e.tags' ? [rowTags, 'e.tags'] : ['e.tags'];
      out.push(
        sql`(${sql.join(
          lists.map((l) => listHas(l, tag, engine)),
          sql` OR `,
        )})`,
      );
    }
  }
  return out;
}
