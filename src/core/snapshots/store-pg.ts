import type pg from 'pg';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { SnapshotInfo, SnapshotRef } from '../../shared/export.js';
import type { EntityRecord, SourceEndpoint } from '../export/records.js';
import { ValuesRecord, fieldSpec } from '../export/records.js';
import type { AsyncSource } from '../export/source-pg.js';
import { inPgTransaction } from '../export/source-pg.js';
import type { PostgresStore } from '../store/sqlite.js';
import type { ImportControl } from './import-runs.js';
import type { SaveMeta, SnapshotRow } from './store.js';
import { entityHash, manifest, toInfo, volatileMask } from './store.js';

/*
 * The snapshot store on PostgreSQL: the same tables and meaning as store.ts, written with one
 * multi-row statement per few thousand entities (arrays bound as parameters and `unnest`ed, so a
 * statement's text and its parameter count stay the same however many rows it carries) instead of
 * SQLite's prepared statement per row.
 */

/** Entities per INSERT: a few MB of parameters, well under what one round trip should carry. */
const BATCH = 5000;

/** The table of a snapshot side on PostgreSQL: saved ones, or this transaction's `now`. */
export type PgSnapshotTable = 'snapshot_entity' | 'snapshot_now';

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes every entity of `source` under snapshot `id` of `table` on `client` (in the caller's
 * transaction), a batch per statement; progress and cancellation as SQLite's writer.
 */
export async function writeEntitiesPg(
  client: pg.ClientBase,
  source: AsyncSource,
  table: PgSnapshotTable,
  id: number,
  ctl: ImportControl = {},
): Promise<Partial<Record<EntityType, number>>> {
  const { signal, onProgress } = ctl;
  let total = 0;
  if (onProgress) for (const t of ENTITY_TYPES) total += await source.count(t);
  let written = 0;
  onProgress?.({ phase: 'save', done: 0, total });
  const counts: Partial<Record<EntityType, number>> = {};
  const insert = `INSERT INTO ${table} (snapshot_id, entity_type, endpoint, native_id, name, hash, data)
    SELECT $1, $2, e, n, nm, h, d FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(e, n, nm, h, d)
    ON CONFLICT DO NOTHING`;
  for (const type of ENTITY_TYPES) {
    const names = source.fieldsOf(type);
    const volatile = volatileMask(type, names);
    let n = 0;
    let cols: string[][] = [[], [], [], [], []];
    const flush = async (): Promise<void> => {
      if (cols[0]!.length === 0) return;
      const res = await client.query(insert, [id, type, ...cols]);
      n += res.rowCount ?? 0;
      cols = [[], [], [], [], []];
    };
    for await (const page of source.pages(type)) {
      for (const r of page) {
        const values = r.values ?? names.map((f) => r.fields[f] ?? null);
        cols[0]!.push(r.ep.key);
        cols[1]!.push(r.id);
        cols[2]!.push(r.name);
        cols[3]!.push(entityHash(r.name, values, volatile));
        cols[4]!.push(JSON.stringify(values));
      }
      if (cols[0]!.length >= BATCH) await flush();
      written += page.length;
      onProgress?.({ phase: 'save', done: written, total });
      await yieldToLoop();
      if (signal?.aborted) throw new AppError('CANCELLED', 'Import cancelled');
    }
    await flush();
    if (n > 0) counts[type] = n;
  }
  return counts;
}

/** Saves `source` as a new snapshot in one transaction; returns it. */
export function saveSnapshotPg(
  store: PostgresStore,
  source: AsyncSource,
  meta: SaveMeta,
  ctl: ImportControl = {},
): Promise<SnapshotInfo> {
  return inPgTransaction(store, (client) => saveSnapshotOn(client, source, meta, ctl));
}

/** Saves `source` as a new snapshot on `client`, in the transaction the caller holds. */
export async function saveSnapshotOn(
  client: pg.ClientBase,
  source: AsyncSource,
  meta: SaveMeta,
  ctl: ImportControl = {},
): Promise<SnapshotInfo> {
  const set = await client.query<{ id: number }>(
    'INSERT INTO snapshot_set (label, created_at, source, origin, read_only, counts, endpoints, fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id',
    [
      meta.label,
      meta.createdAt,
      meta.source,
      meta.origin,
      meta.readOnly ? 1 : 0,
      '{}',
      JSON.stringify(source.endpoints),
      JSON.stringify(manifest(source)),
    ],
  );
  const id = set.rows[0]!.id;
  const counts = await writeEntitiesPg(client, source, 'snapshot_entity', id, ctl);
  await client.query('UPDATE snapshot_set SET counts = $1 WHERE id = $2', [
    JSON.stringify(counts),
    id,
  ]);
  return toInfo(await snapshotRowPg(client, id));
}

/**
 * Captures `source` into this transaction's `snapshot_now` (dropped at its end), as SQLite's
 * temporary table; returns its manifest.
 */
export async function captureNowPg(
  client: pg.ClientBase,
  source: AsyncSource,
): Promise<Record<string, readonly string[]>> {
  await client.query(
    'CREATE TEMP TABLE snapshot_now (LIKE snapshot_entity INCLUDING DEFAULTS INCLUDING INDEXES) ON COMMIT DROP',
  );
  await writeEntitiesPg(client, source, 'snapshot_now', 0);
  // Autovacuum never sees a temporary table: without statistics the diff's joins on it take it
  // for empty and loop over the saved side once per row.
  await client.query('ANALYZE snapshot_now');
  return manifest(source);
}

type Queryable = Pick<pg.ClientBase, 'query'> | pg.Pool;

export async function listSnapshotsPg(db: Queryable): Promise<SnapshotInfo[]> {
  const rows = await db.query<SnapshotRow>(
    'SELECT * FROM snapshot_set ORDER BY created_at DESC, id DESC',
  );
  return rows.rows.map(toInfo);
}

export async function snapshotRowPg(db: Queryable, id: number): Promise<SnapshotRow> {
  const row = (await db.query<SnapshotRow>('SELECT * FROM snapshot_set WHERE id = $1', [id]))
    .rows[0];
  if (!row) throw new AppError('NOT_FOUND', `No snapshot ${id}`, { id });
  return row;
}

export async function deleteSnapshotPg(store: PostgresStore, id: number): Promise<void> {
  await inPgTransaction(store, async (client) => {
    await snapshotRowPg(client, id);
    await client.query('DELETE FROM snapshot_entity WHERE snapshot_id = $1', [id]);
    await client.query('DELETE FROM snapshot_set WHERE id = $1', [id]);
  });
}

/** As store.ts's resolveSnapshotRef: an id, digits, the newest snapshot of a label, or `now`. */
export async function resolveSnapshotRefPg(
  db: Queryable,
  ref: SnapshotRef,
): Promise<number | 'now'> {
  if (typeof ref === 'number') return (await snapshotRowPg(db, ref)).id;
  const text = ref.trim();
  if (text.toLowerCase() === 'now') return 'now';
  // Digits beyond a BIGINT are no id (and would be an error there).
  if (/^\d{1,15}$/.test(text)) {
    const hit = await db.query<{ id: number }>('SELECT id FROM snapshot_set WHERE id = $1', [
      Number(text),
    ]);
    if (hit.rows[0]) return hit.rows[0].id;
  }
  const byLabel = await db.query<{ id: number }>(
    'SELECT id FROM snapshot_set WHERE label = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
    [text],
  );
  if (!byLabel.rows[0])
    throw new AppError('NOT_FOUND', `No snapshot with id or label "${text}"`, { ref: text });
  return byLabel.rows[0].id;
}

const PG_PAGE = 2000;

/** A saved snapshot read on `client` (in the caller's transaction), as an async source. */
export async function openSnapshotSourcePg(
  client: pg.ClientBase,
  id: number,
): Promise<AsyncSource> {
  const row = await snapshotRowPg(client, id);
  const endpoints = JSON.parse(row.endpoints) as SourceEndpoint[];
  const byKey = new Map(endpoints.map((e) => [e.key, e]));
  const fields = JSON.parse(row.fields) as Record<string, string[]>;
  const epOf = (key: string): SourceEndpoint => {
    let ep = byKey.get(key);
    if (!ep) byKey.set(key, (ep = { key, name: key, kind: 'vcenter', host: key, port: null }));
    return ep;
  };
  return {
    label: row.label,
    createdAt: row.created_at,
    endpoints,
    fieldsOf: (type) => (fields[type] ?? []).filter((f) => fieldSpec(type, f) !== undefined),
    async count(type) {
      const r = await client.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM snapshot_entity WHERE snapshot_id = $1 AND entity_type = $2',
        [id, type],
      );
      return r.rows[0]!.n;
    },
    async *pages(type) {
      const stored = fields[type] ?? [];
      // Positions of the fields the model still knows (a newer snapshot may hold more).
      const keep = stored.flatMap((f, i) => (fieldSpec(type, f) !== undefined ? [i] : []));
      const names = keep.map((i) => stored[i]!);
      let after: [string, string] = ['', ''];
      for (;;) {
        const page = (
          await client.query<{ endpoint: string; native_id: string; name: string; data: string }>(
            `SELECT endpoint, native_id, name, data FROM snapshot_entity WHERE snapshot_id = $1 AND entity_type = $2 AND (endpoint, native_id) > ($3, $4) ORDER BY endpoint, native_id LIMIT ${PG_PAGE}`,
            [id, type, after[0], after[1]],
          )
        ).rows;
        if (page.length === 0) return;
        const last = page[page.length - 1]!;
        after = [last.endpoint, last.native_id];
        yield page.map((r): EntityRecord => {
          const values = JSON.parse(r.data) as FieldValue[];
          return new ValuesRecord(
            type,
            epOf(r.endpoint),
            r.native_id,
            r.name,
            keep.map((i) => values[i] ?? null),
            names,
          );
        });
        if (page.length < PG_PAGE) return;
      }
    },
  };
}
