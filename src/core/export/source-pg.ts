import type pg from 'pg';
import { analyzeStale } from '../store/pg-statistics.js';
import type { EntityType, RelationKind } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { PostgresStore } from '../store/sqlite.js';
import { tableOf } from '../store/schema.js';
import type { EntityRecord, FieldEntry, SourceEndpoint } from './records.js';
import { ValuesRecord, fieldEntries, fieldNames, keyEndpoints, rowDecoder } from './records.js';
import type { InventorySource, SourceAlert } from './source.js';

/*
 * Reading the inventory of a PostgreSQL store. Every read there is a round trip, so the source is
 * asynchronous: {@link AsyncSource} is {@link InventorySource} with promises. The snapshot writer
 * reads it directly; the exporters, which are synchronous generators, read it through a spool
 * (spool.ts). A SQLite source becomes one with {@link asyncOf}.
 */

export interface AsyncSource {
  readonly label: string | null;
  readonly createdAt: string;
  readonly endpoints: readonly SourceEndpoint[];
  fieldsOf(type: EntityType): readonly string[];
  count(type: EntityType): Promise<number>;
  pages(type: EntityType): AsyncIterable<readonly EntityRecord[]>;
  /** Open alerts on the source's endpoints (the live store only). */
  alerts?(): Promise<readonly SourceAlert[]>;
}

/** A synchronous source seen as an asynchronous one (its pages as they come). */
export function asyncOf(source: InventorySource): AsyncSource {
  return {
    label: source.label,
    createdAt: source.createdAt,
    endpoints: source.endpoints,
    fieldsOf: (t) => source.fieldsOf(t),
    count: (t) => Promise.resolve(source.count(t)),
    async *pages(t) {
      yield* source.pages(t);
    },
    ...(source.alerts ? { alerts: () => Promise.resolve(source.alerts!()) } : {}),
  };
}

/**
 * Runs `fn` on one pooled connection inside one transaction, committed when `fn` resolves, rolled
 * back otherwise. REPEATABLE READ: what it reads (a snapshot's live inventory, a diff's `now`, an
 * export) is one state of the store however long it reads while syncs write.
 */
export async function inPgTransaction<T>(
  store: PostgresStore,
  fn: (client: pg.PoolClient) => Promise<T>,
  mode: 'read' | 'write' = 'write',
): Promise<T> {
  const client = await store.pool.connect();
  try {
    await client.query(
      `BEGIN ISOLATION LEVEL REPEATABLE READ${mode === 'read' ? ' READ ONLY' : ''}`,
    );
    try {
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK');
      throw e;
    }
  } finally {
    client.release();
  }
}

/**
 * Analyzes the inventory and snapshot tables PostgreSQL holds no statistics for yet, or whose rows mostly
 * changed since their last ANALYZE. Right after a first bulk sync the planner takes the tables for
 * empty and may read each VM's relation lists through the wrong index, a scan per VM: a 10,000-VM
 * snapshot took a minute instead of a second. Autovacuum catches up, but only later.
 */
export async function freshStatistics(store: PostgresStore): Promise<void> {
  await analyzeStale(store.db, [
    'relation',
    'snapshot_entity',
    ...new Set(ENTITY_TYPES.map((t) => tableOf(t))),
  ]);
}

/** A field's list in the relation table as JSON text, as SQLite's json_group_array gives it. */
function relationJsonPg(kind: RelationKind, row: string): string {
  return `(SELECT coalesce(json_agg(r.to_id ORDER BY r.to_id), '[]'::json)::text FROM relation r WHERE r.endpoint_id = ${row}.endpoint_id AND r.kind = '${kind}' AND r.from_id = ${row}.native_id)`;
}

function selectOfPg(type: EntityType, [field, column, spec]: FieldEntry): string {
  return spec.refs ? relationJsonPg(`${type}.${field}` as RelationKind, 't') : column;
}

/** Rows per round trip: larger than SQLite's page, each query costs a round trip here. */
const PG_PAGE = 2000;

/**
 * The live inventory of a PostgreSQL store (soft-deleted rows left out), read on `client`, which
 * the caller holds in one transaction (see {@link inPgTransaction}) for a consistent state.
 */
export async function openLivePg(
  client: pg.ClientBase,
  opts: { endpoint?: string; now?: Date } = {},
): Promise<AsyncSource> {
  const rows = (
    await client.query<{
      id: number;
      name: string;
      kind: string;
      host: string;
      port: number;
      about: string | null;
    }>('SELECT id, name, kind, host, port, about FROM endpoint ORDER BY name')
  ).rows;
  const keyed = keyEndpoints(rows);
  const byId = new Map<number, SourceEndpoint>();
  rows.forEach((r, i) => byId.set(r.id, keyed[i]!));
  let ids = rows.map((r) => r.id);
  if (opts.endpoint !== undefined) {
    const hit = rows.find((r) => r.name.toLowerCase() === opts.endpoint!.toLowerCase());
    if (!hit) throw new AppError('NOT_FOUND', `No endpoint named "${opts.endpoint}"`);
    ids = [hit.id];
  }
  const endpoints = ids.map((id) => byId.get(id)!);
  return {
    label: null,
    createdAt: (opts.now ?? new Date()).toISOString(),
    endpoints,
    fieldsOf: (type) => fieldNames(type),
    async alerts() {
      const open = await client.query<{
        rule: string;
        severity: string;
        endpoint_id: number;
        entity_name: string | null;
        message: string;
      }>(
        `SELECT rule, severity, endpoint_id, entity_name, message FROM alert WHERE state <> 'cleared' AND endpoint_id = ANY($1::bigint[]) ORDER BY raised_at, id`,
        [ids],
      );
      return open.rows.map((a) => ({
        ep: byId.get(a.endpoint_id)!,
        rule: a.rule,
        severity: a.severity,
        entityName: a.entity_name,
        message: a.message,
      }));
    },
    async count(type) {
      const r = await client.query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM ${tableOf(type)} WHERE deleted_at IS NULL AND endpoint_id = ANY($1::bigint[])`,
        [ids],
      );
      return r.rows[0]!.n;
    },
    async *pages(type) {
      const entries = fieldEntries(type);
      const text = `SELECT id, endpoint_id, native_id, name${entries.map((e) => `, ${selectOfPg(type, e)}`).join('')} FROM ${tableOf(type)} t WHERE deleted_at IS NULL AND endpoint_id = ANY($1::bigint[]) AND id > $2 ORDER BY id LIMIT ${PG_PAGE}`;
      const decode = rowDecoder(entries);
      const names = entries.map(([f]) => f);
      let after = 0;
      for (;;) {
        const page = (
          await client.query<unknown[]>({ text, values: [ids, after], rowMode: 'array' })
        ).rows;
        if (page.length === 0) return;
        after = page[page.length - 1]![0] as number;
        yield page.map(
          (row): EntityRecord =>
            new ValuesRecord(
              type,
              byId.get(row[1] as number)!,
              row[2] as string,
              row[3] as string,
              decode(row, 4),
              names,
            ),
        );
        if (page.length < PG_PAGE) return;
      }
    },
  };
}
