import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type {
  CollectedEntity,
  CollectedEvent,
  EntityType,
  FieldSpec,
  FieldValue,
  FileListing,
  FullInventory,
  InventoryDelta,
  UsageSample,
} from '../../shared/entities.js';
import { ENTITY_TYPES, fieldBag, fieldSpecsOf } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { ChangeLogTable, Database } from '../store/schema.js';
import { columnOf, tableOf } from '../store/schema.js';
import type { ColumnValue } from '../store/columns.js';
import { encodeField } from '../store/columns.js';
import { prepared } from '../store/prepared.js';
import { connectionOf, storeError } from '../store/sqlite.js';
import { naturalKey } from './natural-key.js';
import { hasRowHash, rowHash } from './row-hash.js';

/** Counts of one write, recorded on the sync run and sent with the `inventory:changed` event. */
export interface WriteCounts {
  seen: number;
  created: number;
  updated: number;
  deleted: number;
}

export interface WriteOptions {
  readonly endpointId: number;
  readonly syncRunId: number | null;
  /** Time stamped on rows and changes; injected for tests. */
  readonly now: Date;
}

type Row = Record<string, ColumnValue>;
type Sqlite = BetterSqlite3.Database;

/** Rows per chunk of the statements that name ids in an IN list. */
const CHUNK = 500;

interface FieldOf {
  readonly field: string;
  readonly column: string;
  readonly spec: FieldSpec;
}

/** A field listing other entities: stored only as rows of the relation table, never a column. */
interface RelationOf {
  readonly field: string;
  readonly kind: string;
}

interface TypeSpec {
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
  /** Indexes into `fields` of the volatile ones: they change no log and are not in the digest. */
  readonly volatile: readonly number[];
  /** Per field: true where it is in the digest (every stored field but the volatile ones). */
  readonly digested: readonly boolean[];
}

const SPECS: ReadonlyMap<EntityType, TypeSpec> = new Map(
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
    return [
      type,
      {
        type,
        table,
        fields,
        relations,
        insertSql: insertOf(columns),
        insertHashSql: insertOf([...columns, 'row_hash']),
        volatile: fields.flatMap((f, i) => (f.spec.volatile ? [i] : [])),
        digested: fields.map((f) => !f.spec.volatile),
      },
    ];
  }),
);

function specOf(type: EntityType): TypeSpec {
  const spec = SPECS.get(type);
  if (!spec) throw new AppError('VALIDATION', `Unknown entity type ${String(type)}`);
  return spec;
}

function validateEntity(e: CollectedEntity): void {
  if (typeof e.id !== 'string' || e.id.length === 0) {
    throw new AppError('VALIDATION', `An ${String(e.type)} entity has no id`);
  }
  if (typeof e.name !== 'string') {
    throw new AppError('VALIDATION', `Entity ${e.type} ${e.id} has no name`);
  }
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const CHANGE_SQL = `INSERT INTO change_log (at, sync_run_id, endpoint_id, entity_type, entity_id, entity_name, kind, field, old_value, new_value, user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const RELATION_SQL = 'INSERT INTO relation (endpoint_id, kind, from_id, to_id) VALUES (?, ?, ?, ?)';
const UNRELATE_SQL = 'DELETE FROM relation WHERE endpoint_id = ? AND kind = ? AND from_id = ?';
const HAS_RELATIONS_SQL = 'SELECT 1 FROM relation WHERE endpoint_id = ? AND kind = ? LIMIT 1';
const RELATIONS_OF_KIND_SQL =
  'SELECT from_id, to_id FROM relation WHERE endpoint_id = ? AND kind = ? ORDER BY from_id, to_id';
const RELATIONS_OF_SQL =
  'SELECT to_id FROM relation WHERE endpoint_id = ? AND kind = ? AND from_id = ? ORDER BY to_id';

/** The ids a reference field names, sorted and unique (the collector's array; else none). */
function idsOf(value: FieldValue | undefined): string[] {
  const ids = Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
  return [...new Set(ids)].sort();
}

/**
 * Writes collected inventory and computes the change log, inside the caller's transaction on
 * `sqlite`. Shared by full collections (entities missing from the set are soft-deleted) and
 * incremental updates (only the given fields are compared; removals are explicit). Synchronous:
 * better-sqlite3 is, and one prepared statement per row beats compiling multi-row INSERTs.
 */
function writeEntities(
  sqlite: Sqlite,
  opts: WriteOptions,
  upserts: readonly CollectedEntity[],
  removals: readonly { type: EntityType; id: string }[],
  full: boolean,
  events: readonly CollectedEvent[],
  fileListing?: FileListing,
): WriteCounts {
  const at = opts.now.toISOString();
  const ep = opts.endpointId;
  const counts: WriteCounts = { seen: upserts.length, created: 0, updated: 0, deleted: 0 };
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
  const userOf = linkEventsToUsers(events);
  const logStmt = prepared(sqlite, CHANGE_SQL);
  const log = (
    type: EntityType,
    id: string,
    name: string,
    kind: ChangeLogTable['kind'],
    field: string | null,
    oldValue: string | null,
    newValue: string | null,
    user: string | null,
  ): void => {
    logStmt.run(at, opts.syncRunId, ep, type, id, name, kind, field, oldValue, newValue, user);
  };
  const relate = prepared(sqlite, RELATION_SQL);
  const unrelate = prepared(sqlite, UNRELATE_SQL);
  const hasRelations = prepared(sqlite, HAS_RELATIONS_SQL);

  for (const type of ENTITY_TYPES) {
    const spec = specOf(type);
    const incoming = byType.get(type) ?? [];
    const removing = removalsByType.get(type);
    if (!full && incoming.length === 0 && !removing) continue;
    const kept = full ? unlistedRows(type, byType, fileListing) : null;
    // A collection that did not list files says nothing about them: the rows stay as they are.
    if (kept === 'all' && incoming.length === 0) continue;

    // A full write reads ids, digests and the volatile columns of the endpoint's rows, and a
    // whole row only where the digest differs (row-hash.ts); a delta reads its own rows whole.
    const hashed = hasRowHash(sqlite, spec.table);
    const existing = new Map<string, Row>();
    if (full) {
      const volatileColumns = spec.volatile.map((i) => spec.fields[i]!.column);
      // unlistedRows decides a stored file's fate by its datastore.
      const keepBy = kept && kept !== 'all' ? ['datastore_id'] : [];
      const cols = ['id', 'native_id', 'name', 'deleted_at', ...volatileColumns, ...keepBy];
      const all = prepared(
        sqlite,
        `SELECT ${cols.join(', ')}, ${hashed ? 'row_hash' : 'NULL AS row_hash'} FROM ${spec.table} WHERE endpoint_id = ?`,
      );
      for (const r of all.all(ep) as Row[]) existing.set(r['native_id'] as string, r);
    } else {
      const one = prepared(
        sqlite,
        `SELECT * FROM ${spec.table} WHERE endpoint_id = ? AND native_id = ?`,
      );
      for (const id of [...incoming.map((e) => e.id), ...(removing ?? [])]) {
        const r = one.get(ep, id) as Row | undefined;
        if (r) existing.set(id, r);
      }
    }
    const wholeRow = (slim: Row): Row =>
      full
        ? (prepared(sqlite, `SELECT * FROM ${spec.table} WHERE id = ?`).get(slim['id']) as Row)
        : slim;
    // Relation kinds with no rows yet (a first sync) need no delete before each insert.
    const emptyKinds = new Set<string>();
    for (const r of spec.relations) {
      if (hasRelations.get(ep, r.kind) === undefined) emptyKinds.add(r.kind);
    }
    const rewrite = (from: string, kind: string, ids: readonly string[]): void => {
      if (!emptyKinds.has(kind)) unrelate.run(ep, kind, from);
      for (const to of ids) relate.run(ep, kind, from, to);
    };
    const storedIds = storedRelations(sqlite, ep, emptyKinds);

    const insert = prepared(sqlite, hashed ? spec.insertHashSql : spec.insertSql);
    const seenIds = new Set<string>();
    for (const e of incoming) {
      const fields = fieldBag(e);
      if (seenIds.has(e.id)) throw new AppError('VALIDATION', `Duplicate ${type} id ${e.id}`);
      for (const r of spec.relations) validateIds(fields[r.field], `${type}.${r.field}`);
      seenIds.add(e.id);
      const slim = existing.get(e.id);
      const user = userOf(type, e.id);
      // Fields a delta leaves out are undefined: NULL in an INSERT, not compared in an UPDATE.
      const encoded = spec.fields.map((f) =>
        full || f.field in fields
          ? encodeField(fields[f.field], f.spec, `${type}.${f.field}`)
          : undefined,
      );
      const relationIds = spec.relations.map((r) => idsOf(fields[r.field]));
      // A delta holds part of a row: its digest is unknown (NULL) until the next full write.
      const digest =
        full && hashed
          ? rowHash(
              e.name,
              encoded.filter((_, i) => spec.digested[i]),
              relationIds,
            )
          : null;
      if (!slim) {
        const params: ColumnValue[] = [ep, e.id, e.name, naturalKey(e.name)];
        for (const v of encoded) params.push(v ?? null);
        params.push(at, at, null);
        if (hashed) params.push(digest);
        insert.run(params);
        counts.created++;
        log(type, e.id, e.name, 'created', null, null, null, user);
        spec.relations.forEach((r, i) => {
          const ids = relationIds[i]!;
          if (ids.length > 0) rewrite(e.id, r.kind, ids);
        });
        continue;
      }
      const columns: string[] = [];
      const values: ColumnValue[] = [];
      if (digest !== null && slim['row_hash'] === digest && slim['deleted_at'] === null) {
        // Unchanged but for the volatile columns, which change no log.
        for (const i of spec.volatile) {
          const column = spec.fields[i]!.column;
          const next = encoded[i] ?? null;
          if (next === (slim[column] ?? null)) continue;
          columns.push(column);
          values.push(next);
        }
        if (columns.length > 0) updateRow(sqlite, spec.table, columns, values, at, slim);
        continue;
      }
      const old = wholeRow(slim);
      const revived = old['deleted_at'] !== null;
      if (revived) {
        columns.push('deleted_at');
        values.push(null);
        counts.created++;
        log(type, e.id, e.name, 'created', null, null, null, user);
      }
      let changed = false;
      if (old['name'] !== e.name) {
        columns.push('name');
        values.push(e.name);
        columns.push('name_key');
        values.push(naturalKey(e.name));
        changed = true;
        log(type, e.id, e.name, 'updated', 'name', old['name'] as string, e.name, user);
      }
      spec.fields.forEach((f, i) => {
        const next = encoded[i];
        if (next === undefined) return;
        const prev = old[f.column] ?? null;
        if (next === prev) return;
        columns.push(f.column);
        values.push(next);
        if (f.spec.volatile) return;
        changed = true;
        log(type, e.id, e.name, 'updated', f.field, stringify(prev), stringify(next), user);
      });
      spec.relations.forEach((r, i) => {
        if (!full && !(r.field in fields)) return;
        // A soft delete dropped the entity's relation rows: a revived entity gets them back.
        const prev = revived ? [] : storedIds(r.kind, e.id);
        const next = relationIds[i]!;
        if (sameIds(prev, next)) return;
        rewrite(e.id, r.kind, next);
        if (revived) return;
        changed = true;
        log(
          type,
          e.id,
          e.name,
          'updated',
          r.field,
          JSON.stringify(prev),
          JSON.stringify(next),
          user,
        );
      });
      if (changed && !revived) counts.updated++;
      if (hashed && old['row_hash'] !== digest) {
        columns.push('row_hash');
        values.push(digest);
      }
      if (columns.length > 0 || !full) updateRow(sqlite, spec.table, columns, values, at, old);
    }

    const deleteIds: string[] = [];
    for (const [id, old] of existing) {
      if (old['deleted_at'] !== null) continue;
      const gone = full
        ? !seenIds.has(id) && kept !== 'all' && !(kept?.(old) ?? false)
        : removing?.has(id) === true;
      if (!gone) continue;
      deleteIds.push(id);
      counts.deleted++;
      log(type, id, old['name'] as string, 'deleted', null, null, null, userOf(type, id));
    }
    const softDelete = prepared(
      sqlite,
      `UPDATE ${spec.table} SET deleted_at = ? WHERE endpoint_id = ? AND native_id = ?`,
    );
    for (const id of deleteIds) softDelete.run(at, ep, id);
    for (const part of chunks(deleteIds)) {
      prepared(
        sqlite,
        `DELETE FROM relation WHERE endpoint_id = ? AND from_id IN (${part.map(() => '?').join(', ')}) AND kind LIKE ?`,
      ).run(ep, ...part, `${type}.%`);
    }
    if (full && kept === null) {
      // Everything the collection saw is alive now; one statement instead of a row each. Rows
      // written just now have this last_seen already: rewriting them would cost an index update.
      prepared(
        sqlite,
        `UPDATE ${spec.table} SET last_seen = ? WHERE endpoint_id = ? AND deleted_at IS NULL AND last_seen <> ?`,
      ).run(at, ep, at);
    } else if (full) {
      // A partial listing: only what it saw was seen now; the rows it kept keep their last_seen.
      for (const part of chunks([...seenIds])) {
        prepared(
          sqlite,
          `UPDATE ${spec.table} SET last_seen = ? WHERE endpoint_id = ? AND last_seen <> ? AND native_id IN (${part.map(() => '?').join(', ')})`,
        ).run(at, ep, at, ...part);
      }
    }
  }

  writeEvents(sqlite, ep, events);
  return counts;
}

/**
 * Which stored rows of `type` a full write keeps although the collection did not report them:
 * null for none (everything missing is gone). Only datastore files: a collection without a file
 * listing keeps them `all`; one with a partial listing keeps the files of datastores it did not
 * list whole, unless the datastore itself is gone.
 */
function unlistedRows(
  type: EntityType,
  byType: ReadonlyMap<EntityType, readonly CollectedEntity[]>,
  listing: FileListing | undefined,
): 'all' | ((row: Row) => boolean) | null {
  if (type !== 'datastoreFile') return null;
  if (!listing) return 'all';
  const complete = new Set(listing.completeDatastoreIds);
  const live = new Set((byType.get('datastore') ?? []).map((d) => d.id));
  return (row) => {
    const ds = row['datastore_id'];
    return typeof ds === 'string' && live.has(ds) && !complete.has(ds);
  };
}

/** UPDATE of `columns` and last_seen on the row `old` (by its id). */
function updateRow(
  sqlite: Sqlite,
  table: string,
  columns: readonly string[],
  values: readonly ColumnValue[],
  at: string,
  old: Row,
): void {
  const set = [...columns, 'last_seen'].map((c) => `${c} = ?`).join(', ');
  prepared(sqlite, `UPDATE ${table} SET ${set} WHERE id = ?`).run(...values, at, old['id']);
}

/** Rows compared one by one before a kind's relation lists are read all at once. */
const LOOKUPS_BEFORE_BULK = 200;

/**
 * The ids the relation table lists for (kind, from). Few rows differ in most syncs, so each is
 * looked up alone; once a kind has needed many (a first sync after the digest column came, a
 * changed estate), all of its lists are read in one statement instead.
 */
function storedRelations(
  sqlite: Sqlite,
  ep: number,
  emptyKinds: ReadonlySet<string>,
): (kind: string, from: string) => string[] {
  const bulk = new Map<string, Map<string, string[]>>();
  const lookups = new Map<string, number>();
  return (kind, from) => {
    if (emptyKinds.has(kind)) return [];
    let lists = bulk.get(kind);
    if (!lists) {
      const n = (lookups.get(kind) ?? 0) + 1;
      lookups.set(kind, n);
      if (n <= LOOKUPS_BEFORE_BULK) {
        return prepared(sqlite, RELATIONS_OF_SQL).pluck(true).all(ep, kind, from) as string[];
      }
      lists = new Map();
      const rows = prepared(sqlite, RELATIONS_OF_KIND_SQL).raw(true).all(ep, kind);
      for (const [id, to] of rows as [string, string][]) {
        const list = lists.get(id);
        if (list) list.push(to);
        else lists.set(id, [to]);
      }
      bulk.set(kind, lists);
    }
    return lists.get(from) ?? [];
  };
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A relation field is a list of ids, or null (none reported). */
function validateIds(value: FieldValue | undefined, where: string): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value) && value.every((x) => typeof x === 'string')) return;
  throw new AppError('VALIDATION', `Field ${where} expects a list of ids`);
}

function stringify(v: ColumnValue): string | null {
  return v === null ? null : String(v);
}

/**
 * The most recent event naming an entity tells who changed it, when the endpoint knows. Events
 * arrive with the inventory they explain.
 */
function linkEventsToUsers(
  events: readonly CollectedEvent[],
): (type: EntityType, id: string) => string | null {
  const latest = new Map<string, CollectedEvent>();
  for (const ev of events) {
    if (!ev.entityType || !ev.entityId || !ev.user) continue;
    const key = `${ev.entityType}:${ev.entityId}`;
    const prev = latest.get(key);
    if (!prev || prev.at < ev.at) latest.set(key, ev);
  }
  if (latest.size === 0) return () => null;
  return (type, id) => latest.get(`${type}:${id}`)?.user ?? null;
}

/** One prepared INSERT per item; `ON CONFLICT DO NOTHING` keeps a row already stored. */
function insertEach<T>(
  sqlite: Sqlite,
  sql: string,
  items: readonly T[],
  params: (item: T) => ColumnValue[],
): void {
  if (items.length === 0) return;
  const stmt = prepared(sqlite, sql);
  for (const item of items) stmt.run(params(item));
}

function writeEvents(sqlite: Sqlite, endpointId: number, events: readonly CollectedEvent[]): void {
  insertEach(
    sqlite,
    `INSERT INTO event (endpoint_id, event_key, at, event_type, user, message, entity_type, entity_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    events,
    (e) => [
      endpointId,
      e.key,
      new Date(e.at).toISOString(),
      e.eventType,
      e.user,
      e.message,
      e.entityType,
      e.entityId,
    ],
  );
}

function insertSamples(sqlite: Sqlite, endpointId: number, samples: readonly UsageSample[]): void {
  insertEach(
    sqlite,
    `INSERT INTO sample (endpoint_id, entity_type, entity_id, at, cpu_mhz, memory_bytes, storage_used_bytes, storage_capacity_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    samples,
    (s) => [
      endpointId,
      s.entityType,
      s.entityId,
      new Date(s.at).toISOString(),
      s.cpuMhz ?? null,
      s.memoryBytes ?? null,
      s.storageUsedBytes ?? null,
      s.storageCapacityBytes ?? null,
    ],
  );
}

/**
 * Runs `write` on the store's connection inside one kysely transaction (BEGIN IMMEDIATE): the
 * transaction holds the connection, so nothing else interleaves, and a throw rolls it all back.
 */
async function inTransaction<T>(
  db: Kysely<Database>,
  doing: string,
  write: (sqlite: Sqlite) => T,
): Promise<T> {
  // The write's own failure is the one to report: after SQLITE_FULL SQLite may have rolled the
  // transaction back already, and kysely's ROLLBACK then fails with "no transaction is active".
  let failure: unknown;
  try {
    const sqlite = connectionOf(db);
    return await db.transaction().execute(() => {
      try {
        return Promise.resolve(write(sqlite));
      } catch (e) {
        failure = e;
        throw e;
      }
    });
  } catch (e) {
    throw storeError(failure ?? e, doing);
  }
}

/** Page cache (KiB) while a full write runs. */
const WRITE_CACHE_KIB = 16 * 1024;

/**
 * Runs a full write with a smaller page cache than the store's readers keep. A first sync of
 * 11,000 VMs dirties ~50 MB of pages, and the 64 MiB cache that keeps the UI's sorts fast held
 * them all until the commit: ~30 MB of the sync's peak RSS, for no measurable speed (SQLite
 * writes the surplus to the WAL early instead). The readers' size is back once it is done.
 */
function withWriteCache<T>(sqlite: Sqlite, write: () => T): T {
  const size = sqlite.pragma('cache_size', { simple: true }) as number;
  if (size >= 0 || -size <= WRITE_CACHE_KIB) return write();
  sqlite.pragma(`cache_size = -${WRITE_CACHE_KIB}`);
  try {
    return write();
  } finally {
    sqlite.pragma(`cache_size = ${size}`);
  }
}

/** Stores usage samples in one transaction; a sample already stored for that time is kept. */
export async function writeSamples(
  db: Kysely<Database>,
  endpointId: number,
  samples: readonly UsageSample[],
): Promise<void> {
  await inTransaction(db, 'save the samples', (sqlite) =>
    insertSamples(sqlite, endpointId, samples),
  );
}

/**
 * Stores a full collection as one transaction: new, changed and vanished entities, the change
 * log, events, usage samples and what the server said it is. Either all of it lands or none of it does.
 */
export async function writeFullInventory(
  db: Kysely<Database>,
  inv: FullInventory,
  opts: WriteOptions,
): Promise<WriteCounts> {
  return inTransaction(db, 'save the inventory', (sqlite) =>
    withWriteCache(sqlite, () => {
      const counts = writeEntities(
        sqlite,
        opts,
        inv.entities,
        [],
        true,
        inv.events ?? [],
        inv.fileListing,
      );
      insertSamples(sqlite, opts.endpointId, inv.samples ?? []);
      if (inv.about) {
        sqlite
          .prepare('UPDATE endpoint SET about = ? WHERE id = ?')
          .run(JSON.stringify(inv.about), opts.endpointId);
      }
      return counts;
    }),
  );
}

/** Stores one incremental update set as one transaction. */
export async function writeInventoryDelta(
  db: Kysely<Database>,
  delta: InventoryDelta,
  opts: WriteOptions,
): Promise<WriteCounts> {
  return inTransaction(db, 'save the update', (sqlite) =>
    writeEntities(sqlite, opts, delta.upserts, delta.removals, false, delta.events ?? []),
  );
}
