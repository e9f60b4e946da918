import type { Kysely } from 'kysely';
import type { RelationKind } from '../../shared/entities.js';
import type { Database } from '../store/schema.js';

/*
 * The relation table is the one place a relation field (`vm.datastoreIds`, `host.networkIds`,
 * `datastore.hostIds`...) is stored; these read it back as the lists the model declares, in id
 * order (the order collectors emit them in).
 */

/** Every list of one relation kind on an endpoint, by the id it starts from. */
export async function relationsOf(
  db: Kysely<Database>,
  endpointId: number,
  kind: RelationKind,
): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('relation')
    .select(['from_id', 'to_id'])
    .where('endpoint_id', '=', endpointId)
    .where('kind', '=', kind)
    .orderBy('from_id')
    .orderBy('to_id')
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const list = out.get(r.from_id);
    if (list) list.push(r.to_id);
    else out.set(r.from_id, [r.to_id]);
  }
  return out;
}

/** The ids one entity's relation field lists. */
export async function relationTargets(
  db: Kysely<Database>,
  endpointId: number,
  kind: RelationKind,
  from: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('relation')
    .select('to_id')
    .where('endpoint_id', '=', endpointId)
    .where('kind', '=', kind)
    .where('from_id', '=', from)
    .orderBy('to_id')
    .execute();
  return rows.map((r) => r.to_id);
}

/**
 * SQL for a correlated subquery giving the relation field of row alias `row` of an entity table
 * as a JSON list (`[]` when it lists none): how bulk readers (exports, snapshots) read it.
 */
export function relationJsonSql(kind: RelationKind, row: string): string {
  return `(SELECT json_group_array(to_id) FROM (SELECT r.to_id FROM relation r WHERE r.endpoint_id = ${row}.endpoint_id AND r.kind = '${kind}' AND r.from_id = ${row}.native_id ORDER BY r.to_id))`;
}
