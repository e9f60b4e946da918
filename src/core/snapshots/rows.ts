import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { SnapshotRows, snapshotRowsSchema } from '../../shared/export.js';
import type { z } from 'zod';
import type { SourceEndpoint } from '../export/records.js';
import { fieldSpec } from '../export/records.js';
import { snapshotRowPg } from './store-pg.js';
import type { SnapshotRow } from './store.js';
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

interface PageRow {
  endpoint: string;
  native_id: string;
  name: string;
  data: string;
}

/** What both engines' readers share: the fields shown and their positions, the search. */
function plan(set: SnapshotRow, input: SnapshotRowsInput) {
  const endpoints = JSON.parse(set.endpoints) as SourceEndpoint[];
  const epName = new Map(endpoints.map((e) => [e.key, e.name]));
  const stored = (JSON.parse(set.fields) as Record<string, string[]>)[input.type] ?? [];
  // Positions of the fields the model still knows (a newer snapshot may hold more).
  const fields = stored
    .map((f, i) => [f, i] as const)
    .filter(([f]) => fieldSpec(input.type, f) !== undefined);
  const position = new Map(fields);
  let sortAt: number | 'name' | 'endpoint';
  if (input.sort === 'name' || input.sort === 'endpoint') sortAt = input.sort;
  else {
    const i = position.get(input.sort);
    if (i === undefined) {
      throw new AppError(
        'UNKNOWN_FIELD',
        `Snapshot ${input.id} holds no ${input.type} field "${input.sort}"`,
        { field: input.sort },
      );
    }
    sortAt = i;
  }
  const q = input.search.trim();
  const search =
    q === ''
      ? null
      : {
          like: likePattern(q.toLowerCase()),
          eps: endpoints
            .filter((e) => e.name.toLowerCase().includes(q.toLowerCase()))
            .map((e) => e.key),
        };
  const dir = input.dir === 'desc' ? 'DESC' : 'ASC';
  return { epName, fields, sortAt, search, dir };
}

type Plan = ReturnType<typeof plan>;

/** The page as the table shows it; `refName` names what a reference field's value points at. */
function shape(
  p: Plan,
  input: SnapshotRowsInput,
  total: number,
  page: readonly PageRow[],
  refName: (type: EntityType, ep: string, id: string) => string | undefined,
): SnapshotRows {
  const rows = page.map((r) => {
    const data = JSON.parse(r.data) as FieldValue[];
    const values: Record<string, FieldValue> = {
      name: r.name,
      endpoint: p.epName.get(r.endpoint) ?? r.endpoint,
    };
    const refs: Record<string, string> = {};
    for (const [f, i] of p.fields) {
      const v = data[i] ?? null;
      values[f] = v;
      const ref = fieldSpec(input.type, f)?.ref;
      if (ref && typeof v === 'string') {
        const hit = refName(ref, r.endpoint, v);
        if (hit !== undefined) refs[f] = hit;
      }
    }
    return { key: `${r.endpoint}/${r.native_id}`, values, refs };
  });
  return {
    id: input.id,
    type: input.type,
    columns: ['name', 'endpoint', ...p.fields.map(([f]) => f)],
    total,
    offset: input.offset,
    rows,
  };
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
  const p = plan(snapshotRow(sqlite, input.id), input);
  // A position comes from the manifest, never text from the request.
  const order =
    p.sortAt === 'name'
      ? 'name COLLATE NOCASE'
      : p.sortAt === 'endpoint'
        ? 'endpoint'
        : `json_extract(data, '$[${p.sortAt}]')`;
  const where = ['snapshot_id = ?', 'entity_type = ?'];
  const params: (string | number)[] = [input.id, input.type];
  if (p.search) {
    const { like, eps } = p.search;
    where.push(
      `(lower(name) LIKE ? ESCAPE '\\' OR lower(data) LIKE ? ESCAPE '\\'${
        eps.length > 0 ? ` OR endpoint IN (${eps.map(() => '?').join(', ')})` : ''
      })`,
    );
    params.push(like, like, ...eps);
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
       ORDER BY ${order} ${p.dir}, endpoint ${p.dir}, native_id ${p.dir} LIMIT ? OFFSET ?`,
    )
    .all(...params, input.limit, input.offset) as PageRow[];
  const refStmt = sqlite.prepare(
    'SELECT name FROM snapshot_entity WHERE snapshot_id = ? AND entity_type = ? AND endpoint = ? AND native_id = ?',
  );
  return shape(p, input, total, page, (type, ep, id) => {
    const hit = refStmt.get(input.id, type, ep, id) as { name: string } | undefined;
    return hit?.name;
  });
}

/**
 * The same page on PostgreSQL: a position's value is `data::jsonb -> i` (jsonb orders numbers
 * as numbers and strings as text, as SQLite's json_extract does), a name sorts by `lower()`
 * (SQLite's NOCASE), and the page's references are named in one statement.
 */
export async function snapshotRowsPg(
  db: Pick<pg.ClientBase, 'query'> | pg.Pool,
  input: SnapshotRowsInput,
): Promise<SnapshotRows> {
  const p = plan(await snapshotRowPg(db, input.id), input);
  const order =
    p.sortAt === 'name'
      ? 'lower(name)'
      : p.sortAt === 'endpoint'
        ? 'endpoint'
        : `(data::jsonb -> ${p.sortAt})`;
  const params: unknown[] = [input.id, input.type];
  let filter = 'snapshot_id = $1 AND entity_type = $2';
  if (p.search) {
    params.push(p.search.like, p.search.eps);
    filter += ` AND (lower(name) LIKE $3 OR lower(data) LIKE $3 OR endpoint = ANY($4::text[]))`;
  }
  const total = (
    await db.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM snapshot_entity WHERE ${filter}`,
      params,
    )
  ).rows[0]!.n;
  const n = params.length;
  // SQLite holds NULL smallest; PostgreSQL largest unless told.
  const nulls = p.dir === 'ASC' ? 'NULLS FIRST' : 'NULLS LAST';
  const page = (
    await db.query<PageRow>(
      `SELECT endpoint, native_id, name, data FROM snapshot_entity WHERE ${filter}
       ORDER BY ${order} ${p.dir} ${nulls}, endpoint ${p.dir}, native_id ${p.dir} LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, input.limit, input.offset],
    )
  ).rows;
  const wanted: [string[], string[], string[]] = [[], [], []];
  for (const r of page) {
    const data = JSON.parse(r.data) as FieldValue[];
    for (const [f, i] of p.fields) {
      const ref = fieldSpec(input.type, f)?.ref;
      const v = data[i];
      if (ref && typeof v === 'string') {
        wanted[0].push(ref);
        wanted[1].push(r.endpoint);
        wanted[2].push(v);
      }
    }
  }
  const names = new Map<string, string>();
  if (wanted[0].length > 0) {
    const hits = await db.query<{ t: string; e: string; i: string; name: string }>(
      `SELECT DISTINCT s.entity_type AS t, s.endpoint AS e, s.native_id AS i, s.name
       FROM unnest($2::text[], $3::text[], $4::text[]) AS w(t, e, i)
       JOIN snapshot_entity s ON s.snapshot_id = $1 AND s.entity_type = w.t AND s.endpoint = w.e AND s.native_id = w.i`,
      [input.id, ...wanted],
    );
    for (const h of hits.rows) names.set(`${h.t}\u0000${h.e}\u0000${h.i}`, h.name);
  }
  return shape(p, input, total, page, (type, ep, id) => names.get(`${type}\u0000${ep}\u0000${id}`));
}
