import type BetterSqlite3 from 'better-sqlite3';
import type { FieldValue } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { SnapshotRows, snapshotRowsSchema } from '../../shared/export.js';
import type { z } from 'zod';
import type { SourceEndpoint } from '../export/records.js';
import { fieldSpec } from '../export/records.js';
import { snapshotRow } from './store.js';

/*
 * Read-only browsing of a saved snapshot: one page of one entity type, searched, sorted and paged
 * by SQLite over `snapshot_entity` (the primary key starts with snapshot and type, so a page
 * reads only that snapshot's rows of that type). Values stay JSON arrays in the snapshot's field
 * order; a sort on a field is `json_extract` of its position. Only the page is decoded.
 */

export type SnapshotRowsInput = z.output<typeof snapshotRowsSchema>;

/** `%`, `_` and the escape itself taken literally in a LIKE pattern. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A page of snapshot `input.id`'s entities of `input.type`. Synchronous: the caller holds the
 * connection (see `exclusive`).
 *
 * @example
 * snapshotRows(sqlite, { id: 3, type: 'vm', search: 'web', sort: 'cpuCount', dir: 'desc', offset: 0, limit: 100 });
 */
export function snapshotRows(
  sqlite: BetterSqlite3.Database,
  input: SnapshotRowsInput,
): SnapshotRows {
  const set = snapshotRow(sqlite, input.id);
  const endpoints = JSON.parse(set.endpoints) as SourceEndpoint[];
  const epName = new Map(endpoints.map((e) => [e.key, e.name]));
  const stored = (JSON.parse(set.fields) as Record<string, string[]>)[input.type] ?? [];
  // Positions of the fields the model still knows (a newer snapshot may hold more).
  const fields = stored
    .map((f, i) => [f, i] as const)
    .filter(([f]) => fieldSpec(input.type, f) !== undefined);
  const position = new Map(fields);

  let order: string;
  if (input.sort === 'name') order = 'name COLLATE NOCASE';
  else if (input.sort === 'endpoint') order = 'endpoint';
  else {
    const i = position.get(input.sort);
    if (i === undefined) {
      throw new AppError(
        'UNKNOWN_FIELD',
        `Snapshot ${input.id} holds no ${input.type} field "${input.sort}"`,
        { field: input.sort },
      );
    }
    // `i` is an index from the manifest, never text from the request.
    order = `json_extract(data, '$[${i}]')`;
  }
  const dir = input.dir === 'desc' ? 'DESC' : 'ASC';

  const where = ['snapshot_id = ?', 'entity_type = ?'];
  const params: (string | number)[] = [input.id, input.type];
  const q = input.search.trim();
  if (q !== '') {
    const like = likePattern(q.toLowerCase());
    const eps = endpoints.filter((e) => e.name.toLowerCase().includes(q.toLowerCase()));
    where.push(
      `(lower(name) LIKE ? ESCAPE '\\' OR lower(data) LIKE ? ESCAPE '\\'${
        eps.length > 0 ? ` OR endpoint IN (${eps.map(() => '?').join(', ')})` : ''
      })`,
    );
    params.push(like, like, ...eps.map((e) => e.key));
  }
  const filter = where.join(' AND ');
  const total = (
    sqlite.prepare(`SELECT COUNT(*) AS n FROM snapshot_entity WHERE ${filter}`).get(...params) as {
      n: number;
    }
  ).n;
  const page = sqlite
    .prepare(
      `SELECT endpoint, native_id, name, data FROM snapshot_entity WHERE ${filter}
       ORDER BY ${order} ${dir}, endpoint ${dir}, native_id ${dir} LIMIT ? OFFSET ?`,
    )
    .all(...params, input.limit, input.offset) as {
    endpoint: string;
    native_id: string;
    name: string;
    data: string;
  }[];

  const refStmt = sqlite.prepare(
    'SELECT name FROM snapshot_entity WHERE snapshot_id = ? AND entity_type = ? AND endpoint = ? AND native_id = ?',
  );
  const rows = page.map((r) => {
    const data = JSON.parse(r.data) as FieldValue[];
    const values: Record<string, FieldValue> = {
      name: r.name,
      endpoint: epName.get(r.endpoint) ?? r.endpoint,
    };
    const refs: Record<string, string> = {};
    for (const [f, i] of fields) {
      const v = data[i] ?? null;
      values[f] = v;
      const ref = fieldSpec(input.type, f)?.ref;
      if (ref && typeof v === 'string') {
        const hit = refStmt.get(input.id, ref, r.endpoint, v) as { name: string } | undefined;
        if (hit) refs[f] = hit.name;
      }
    }
    return { key: `${r.endpoint}/${r.native_id}`, values, refs };
  });
  return {
    id: input.id,
    type: input.type,
    columns: ['name', 'endpoint', ...fields.map(([f]) => f)],
    total,
    offset: input.offset,
    rows,
  };
}
