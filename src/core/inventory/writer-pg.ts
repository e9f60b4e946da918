import type { Kysely } from 'kysely';
import { CompiledQuery } from 'kysely';
import type { ColumnValue } from '../store/columns.js';
import type { Database } from '../store/schema.js';
import type { Row, WriterIo } from './writer-io.js';
import { CHANGE_COLUMNS, EVENT_COLUMNS, SAMPLE_COLUMNS } from './writer-io.js';
import type { TypeSpec, WriteSet } from './writer-specs.js';
import { specOf, typesOf } from './writer-specs.js';

/*
 * The inventory writer on PostgreSQL. A statement per row, as on SQLite, would cost a network
 * round trip each (100,000 VMs: minutes); instead the rows a write compares against are loaded
 * first in a few queries, the writer's synchronous pass runs against them, and its writes go out
 * at the end as multi-row statements (INSERT ... VALUES lists, UPDATE ... FROM (VALUES ...), and
 * `= ANY($n)` arrays), all inside the write's one transaction.
 */

/** PostgreSQL accepts 65,535 parameters a statement; a batch stays under this. */
const MAX_PARAMS = 60_000;

const q = (name: string): string => `"${name}"`;

type Exec = (text: string, params: readonly unknown[]) => Promise<Row[]>;

/** `($1, $2), ($3, $4)` for `rows` rows of `width` values, numbered from `from`. */
function valuesList(rows: number, width: number, from = 1): string {
  const out: string[] = [];
  let n = from;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < width; c++) cells.push(`$${n++}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}

/** One multi-row INSERT per batch of rows (each `width` values wide). */
async function insertRows(
  exec: Exec,
  head: string,
  tail: string,
  rows: readonly (readonly ColumnValue[])[],
  width: number,
): Promise<void> {
  const per = Math.max(1, Math.floor(MAX_PARAMS / width));
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    await exec(`${head} VALUES ${valuesList(part.length, width)}${tail}`, part.flat());
  }
}

/** Sorted like SQLite's BINARY order of ASCII ids, whatever the database's collation. */
const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Pending {
  readonly unrelate: Map<string, string[]>;
  /** By table and whether the rows carry their digest. */
  readonly inserts: Map<string, { spec: TypeSpec; hashed: boolean; rows: ColumnValue[][] }>;
  /** By table and column list: [id, ...values] rows. */
  readonly updates: Map<
    string,
    { spec: TypeSpec; columns: readonly string[]; rows: ColumnValue[][] }
  >;
  readonly relate: ColumnValue[][];
  readonly log: ColumnValue[][];
  readonly softDelete: { spec: TypeSpec; at: string; ids: readonly string[] }[];
  readonly touch: { spec: TypeSpec; at: string; ids: readonly string[] | undefined }[];
  readonly events: ColumnValue[][];
  readonly samples: ColumnValue[][];
  about: string | null;
}

export interface PostgresWriterIo extends WriterIo {
  /** Sends the collected writes, in the order the SQLite writer makes them. */
  flush(): Promise<void>;
}

/**
 * Loads what `set` compares against (the endpoint's rows of each type it touches and their
 * relation lists) inside `trx`, and returns the writer's io over it.
 */
export async function loadPostgresIo(
  trx: Kysely<Database>,
  set: WriteSet,
  ep: number,
): Promise<PostgresWriterIo> {
  const exec: Exec = async (text, params) =>
    (await trx.executeQuery<Row>(CompiledQuery.raw(text, [...params]))).rows;
  const rowsByTable = new Map<string, Row[]>();
  const relations = new Map<string, Map<string, string[]>>();
  const kinds: string[] = [];
  const fromIds: string[] = [];
  for (const type of typesOf(set)) {
    const spec = specOf(type);
    const ids = set.full
      ? null
      : [...(set.byType.get(type) ?? []).map((e) => e.id), ...(set.removalsByType.get(type) ?? [])];
    rowsByTable.set(
      spec.table,
      ids === null
        ? await exec(`SELECT * FROM ${q(spec.table)} WHERE endpoint_id = $1`, [ep])
        : await exec(
            `SELECT * FROM ${q(spec.table)} WHERE endpoint_id = $1 AND native_id = ANY($2::text[])`,
            [ep, ids],
          ),
    );
    for (const r of spec.relations) kinds.push(r.kind);
    if (ids) fromIds.push(...ids);
  }
  for (const k of kinds) relations.set(k, new Map());
  if (kinds.length > 0) {
    const rows = set.full
      ? await exec(
          'SELECT kind, from_id, to_id FROM relation WHERE endpoint_id = $1 AND kind = ANY($2::text[])',
          [ep, kinds],
        )
      : await exec(
          'SELECT kind, from_id, to_id FROM relation WHERE endpoint_id = $1 AND kind = ANY($2::text[]) AND from_id = ANY($3::text[])',
          [ep, kinds, fromIds],
        );
    for (const r of rows) {
      const lists = relations.get(r['kind'] as string)!;
      const from = r['from_id'] as string;
      const list = lists.get(from);
      if (list) list.push(r['to_id'] as string);
      else lists.set(from, [r['to_id'] as string]);
    }
    for (const lists of relations.values()) for (const l of lists.values()) l.sort(byCode);
  }
  // The digest column exists on every entity table since migration row-hash; asked, not assumed.
  const hashedTables = new Set(
    (
      await exec(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'row_hash'",
        [],
      )
    ).map((r) => r['table_name'] as string),
  );
  // Kinds with no row at all for the endpoint (a delta loads only its own rows: ask).
  const present = new Set<string>();
  if (kinds.length > 0) {
    const rows = await exec(
      'SELECT k FROM unnest($2::text[]) AS k WHERE EXISTS (SELECT 1 FROM relation WHERE endpoint_id = $1 AND kind = k)',
      [ep, kinds],
    );
    for (const r of rows) present.add(r['k'] as string);
  }

  const p: Pending = {
    unrelate: new Map(),
    inserts: new Map(),
    updates: new Map(),
    relate: [],
    log: [],
    softDelete: [],
    touch: [],
    events: [],
    samples: [],
    about: null,
  };
  return {
    // Rows are loaded whole: PostgreSQL has no synchronous read for the rest of a slim one.
    existing: (table) => rowsByTable.get(table) ?? [],
    wholeRow: (_table, row) => row,
    hashed: (table) => hashedTables.has(table),
    hasRelations: (kind) => present.has(kind),
    relationsOfKind(kind) {
      const out: [string, string][] = [];
      const lists = relations.get(kind);
      if (!lists) return out;
      for (const from of [...lists.keys()].sort(byCode))
        for (const to of lists.get(from)!) out.push([from, to]);
      return out;
    },
    relationsOf: (kind, from) => relations.get(kind)?.get(from) ?? [],
    insert(spec, params, hashed) {
      const key = `${spec.table}:${hashed}`;
      let group = p.inserts.get(key);
      if (!group) p.inserts.set(key, (group = { spec, hashed, rows: [] }));
      group.rows.push([...params]);
    },
    update(spec, columns, values, id) {
      const key = `${spec.table}:${columns.join(',')}`;
      let group = p.updates.get(key);
      if (!group) p.updates.set(key, (group = { spec, columns: [...columns], rows: [] }));
      group.rows.push([id, ...values]);
    },
    log: (row) => p.log.push([...row]),
    relate: (kind, from, to) => p.relate.push([ep, kind, from, to]),
    unrelate(kind, from) {
      let list = p.unrelate.get(kind);
      if (!list) p.unrelate.set(kind, (list = []));
      list.push(from);
    },
    softDelete: (spec, at, ids) => p.softDelete.push({ spec, at, ids: [...ids] }),
    touch: (spec, at, ids) => p.touch.push({ spec, at, ids: ids && [...ids] }),
    events: (rows) => p.events.push(...rows.map((r) => [...r])),
    samples: (rows) => p.samples.push(...rows.map((r) => [...r])),
    about(json) {
      p.about = json;
    },
    flush: () => flush(exec, ep, p),
  };
}

async function flush(exec: Exec, ep: number, p: Pending): Promise<void> {
  for (const [kind, froms] of p.unrelate) {
    await exec(
      'DELETE FROM relation WHERE endpoint_id = $1 AND kind = $2 AND from_id = ANY($3::text[])',
      [ep, kind, froms],
    );
  }
  for (const { spec, hashed, rows } of p.inserts.values()) {
    const columns = hashed ? [...spec.columns, 'row_hash'] : spec.columns;
    await insertRows(
      exec,
      `INSERT INTO ${q(spec.table)} (${columns.map(q).join(', ')})`,
      '',
      rows,
      columns.length,
    );
  }
  for (const { spec, columns, rows } of p.updates.values()) {
    // VALUES' parameters arrive untyped (text): each column is cast to its own type.
    const sets = columns.map((c) => `${q(c)} = v.${q(c)}::${spec.pgTypes.get(c) ?? 'text'}`);
    const names = ['id', ...columns].map(q).join(', ');
    const width = columns.length + 1;
    const per = Math.max(1, Math.floor(MAX_PARAMS / width));
    for (let i = 0; i < rows.length; i += per) {
      const part = rows.slice(i, i + per);
      await exec(
        `UPDATE ${q(spec.table)} AS t SET ${sets.join(', ')} FROM (VALUES ${valuesList(part.length, width)}) AS v(${names}) WHERE t.id = v.id::bigint`,
        part.flat(),
      );
    }
  }
  await insertRows(
    exec,
    'INSERT INTO relation (endpoint_id, kind, from_id, to_id)',
    '',
    p.relate,
    4,
  );
  await insertRows(exec, `INSERT INTO change_log (${CHANGE_COLUMNS})`, '', p.log, 11);
  for (const { spec, at, ids } of p.softDelete) {
    await exec(
      `UPDATE ${q(spec.table)} SET deleted_at = $1 WHERE endpoint_id = $2 AND native_id = ANY($3::text[])`,
      [at, ep, ids],
    );
    await exec(
      'DELETE FROM relation WHERE endpoint_id = $1 AND from_id = ANY($2::text[]) AND kind LIKE $3',
      [ep, ids, `${spec.type}.%`],
    );
  }
  for (const { spec, at, ids } of p.touch) {
    if (ids) {
      await exec(
        `UPDATE ${q(spec.table)} SET last_seen = $1 WHERE endpoint_id = $2 AND last_seen <> $1 AND native_id = ANY($3::text[])`,
        [at, ep, ids],
      );
      continue;
    }
    await exec(
      `UPDATE ${q(spec.table)} SET last_seen = $1 WHERE endpoint_id = $2 AND deleted_at IS NULL AND last_seen <> $1`,
      [at, ep],
    );
  }
  await insertRows(
    exec,
    `INSERT INTO event (${EVENT_COLUMNS})`,
    ' ON CONFLICT DO NOTHING',
    p.events,
    8,
  );
  await insertRows(
    exec,
    `INSERT INTO sample (${SAMPLE_COLUMNS})`,
    ' ON CONFLICT DO NOTHING',
    p.samples,
    8,
  );
  if (p.about !== null) await exec('UPDATE endpoint SET about = $1 WHERE id = $2', [p.about, ep]);
}
