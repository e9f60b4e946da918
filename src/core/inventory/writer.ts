import type { Kysely } from 'kysely';
import type {
  CollectedEntity,
  CollectedEvent,
  EntityType,
  FieldValue,
  FileListing,
  FullInventory,
  InventoryDelta,
  UsageSample,
} from '../../shared/entities.js';
import { fieldBag } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { ChangeLogTable, Database } from '../store/schema.js';
import type { ColumnValue } from '../store/columns.js';
import { encodeField } from '../store/columns.js';
import { connectionOf, engineOf, storeError } from '../store/sqlite.js';
import type { Row, WriterIo } from './writer-io.js';
import { sqliteIo, withWriteCache } from './writer-io.js';
import { loadPostgresIo } from './writer-pg.js';
import { analyzeStale } from '../store/pg-statistics.js';
import type { WriteSet } from './writer-specs.js';
import { specOf, typesOf, writeSetOf } from './writer-specs.js';
import { naturalKey } from './natural-key.js';
import { rowHash } from './row-hash.js';

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

/** The ids a reference field names, sorted and unique (the collector's array; else none). */
function idsOf(value: FieldValue | undefined): string[] {
  const ids = Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
  return [...new Set(ids)].sort();
}

/**
 * Writes collected inventory and computes the change log through `io`, inside the caller's
 * transaction. Shared by full collections (entities missing from the set are soft-deleted) and
 * incremental updates (only the given fields are compared; removals are explicit). Synchronous:
 * on SQLite `io` runs prepared statements (better-sqlite3 is synchronous, and one prepared
 * statement per row beats compiling multi-row INSERTs); on PostgreSQL it answers reads from
 * what was loaded before and collects the writes for multi-row statements (writer-pg.ts).
 */
function writeEntities(
  io: WriterIo,
  opts: WriteOptions,
  set: WriteSet,
  seen: number,
  events: readonly CollectedEvent[],
  fileListing?: FileListing,
): WriteCounts {
  const at = opts.now.toISOString();
  const { byType, removalsByType, full } = set;
  const counts: WriteCounts = { seen, created: 0, updated: 0, deleted: 0 };
  const userOf = linkEventsToUsers(events);
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
    io.log([
      at,
      opts.syncRunId,
      opts.endpointId,
      type,
      id,
      name,
      kind,
      field,
      oldValue,
      newValue,
      user,
    ]);
  };

  for (const type of typesOf(set)) {
    const spec = specOf(type);
    const incoming = byType.get(type) ?? [];
    const removing = removalsByType.get(type);
    const kept = full ? unlistedRows(type, byType, fileListing) : null;
    // A collection that did not list files says nothing about them: the rows stay as they are.
    if (kept === 'all' && incoming.length === 0) continue;

    // A full write reads ids, digests and the volatile columns of the endpoint's rows, and a
    // whole row only where the digest differs (row-hash.ts); a delta reads its own rows whole.
    const hashed = io.hashed(spec.table);
    const existing = new Map<string, Row>();
    const volatileColumns = spec.volatile.map((i) => spec.fields[i]!.column);
    // unlistedRows decides a stored file's fate by its datastore.
    const keepBy = kept && kept !== 'all' ? ['datastore_id'] : [];
    const rows = full
      ? io.existing(spec.table, null, [
          'id',
          'native_id',
          'name',
          'deleted_at',
          ...volatileColumns,
          ...keepBy,
        ])
      : io.existing(spec.table, [...incoming.map((e) => e.id), ...(removing ?? [])]);
    for (const r of rows) existing.set(r['native_id'] as string, r);
    const wholeRow = (slim: Row): Row => (full ? io.wholeRow(spec.table, slim) : slim);
    // Relation kinds with no rows yet (a first sync) need no delete before each insert.
    const emptyKinds = new Set<string>();
    for (const r of spec.relations) {
      if (!io.hasRelations(r.kind)) emptyKinds.add(r.kind);
    }
    const rewrite = (from: string, kind: string, ids: readonly string[]): void => {
      if (!emptyKinds.has(kind)) io.unrelate(kind, from);
      for (const to of ids) io.relate(kind, from, to);
    };
    const storedIds = storedRelations(io, emptyKinds);

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
        const params: ColumnValue[] = [opts.endpointId, e.id, e.name, naturalKey(e.name)];
        for (const v of encoded) params.push(v ?? null);
        params.push(at, at, null);
        if (hashed) params.push(digest);
        io.insert(spec, params, hashed);
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
        if (columns.length > 0)
          io.update(spec, [...columns, 'last_seen'], [...values, at], slim['id'] as number);
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
      if (columns.length > 0 || !full) {
        columns.push('last_seen');
        values.push(at);
        io.update(spec, columns, values, old['id'] as number);
      }
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
    if (deleteIds.length > 0) io.softDelete(spec, at, deleteIds);
    // Everything the collection saw is alive now; one statement instead of a row each. A partial
    // listing: only what it saw was seen now; the rows it kept keep their last_seen.
    if (full) io.touch(spec, at, kept === null ? undefined : [...seenIds]);
  }

  io.events(events.map((e) => eventRow(opts.endpointId, e)));
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

/** Rows compared one by one before a kind's relation lists are read all at once. */
const LOOKUPS_BEFORE_BULK = 200;

/**
 * The ids the relation table lists for (kind, from). Few rows differ in most syncs, so each is
 * looked up alone; once a kind has needed many (a first sync after the digest column came, a
 * changed estate), all of its lists are read in one statement instead.
 */
function storedRelations(
  io: WriterIo,
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
      if (n <= LOOKUPS_BEFORE_BULK) return io.relationsOf(kind, from);
      lists = new Map();
      for (const [id, to] of io.relationsOfKind(kind)) {
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

function eventRow(endpointId: number, e: CollectedEvent): ColumnValue[] {
  return [
    endpointId,
    e.key,
    new Date(e.at).toISOString(),
    e.eventType,
    e.user,
    e.message,
    e.entityType,
    e.entityId,
  ];
}

function sampleRow(endpointId: number, s: UsageSample): ColumnValue[] {
  return [
    endpointId,
    s.entityType,
    s.entityId,
    new Date(s.at).toISOString(),
    s.cpuMhz ?? null,
    s.memoryBytes ?? null,
    s.storageUsedBytes ?? null,
    s.storageCapacityBytes ?? null,
  ];
}

/**
 * Runs one write in one transaction on `db`'s engine: on SQLite synchronously over prepared
 * statements on the store's connection (BEGIN IMMEDIATE: nothing interleaves, a throw rolls it all
 * back); on PostgreSQL the rows the write compares against are loaded first, then its statements
 * go out as multi-row batches.
 */
async function inTransaction<T>(
  db: Kysely<Database>,
  doing: string,
  set: WriteSet,
  endpointId: number,
  write: (io: WriterIo) => T,
): Promise<T> {
  if (engineOf(db) === 'postgres') {
    let result: T;
    try {
      result = await db.transaction().execute(async (trx) => {
        const io = await loadPostgresIo(trx, set, endpointId);
        const written = write(io);
        await io.flush();
        return written;
      });
    } catch (e) {
      throw storeError(e, doing);
    }
    // A first sync loads a table from nothing: its statistics, not autovacuum's later, plan the
    // pages the UI reads next. Best effort: the write has landed either way.
    if (set.full)
      await analyzeStale(db, ['relation', ...typesOf(set).map((t) => specOf(t).table)]).catch(
        () => undefined,
      );
    return result;
  }
  // The write's own failure is the one to report: after SQLITE_FULL SQLite may have rolled the
  // transaction back already, and kysely's ROLLBACK then fails with "no transaction is active".
  let failure: unknown;
  try {
    const sqlite = connectionOf(db);
    const io = sqliteIo(sqlite, endpointId);
    return await db.transaction().execute(() => {
      try {
        return Promise.resolve(set.full ? withWriteCache(sqlite, () => write(io)) : write(io));
      } catch (e) {
        failure = e;
        throw e;
      }
    });
  } catch (e) {
    throw storeError(failure ?? e, doing);
  }
}

const NO_WRITES: WriteSet = { byType: new Map(), removalsByType: new Map(), full: false };

/** Stores usage samples in one transaction; a sample already stored for that time is kept. */
export async function writeSamples(
  db: Kysely<Database>,
  endpointId: number,
  samples: readonly UsageSample[],
): Promise<void> {
  await inTransaction(db, 'save the samples', NO_WRITES, endpointId, (io) =>
    io.samples(samples.map((s) => sampleRow(endpointId, s))),
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
  const set = writeSetOf(inv.entities, [], true);
  return inTransaction(db, 'save the inventory', set, opts.endpointId, (io) => {
    const counts = writeEntities(
      io,
      opts,
      set,
      inv.entities.length,
      inv.events ?? [],
      inv.fileListing,
    );
    io.samples((inv.samples ?? []).map((s) => sampleRow(opts.endpointId, s)));
    if (inv.about) io.about(JSON.stringify(inv.about));
    return counts;
  });
}

/** Stores one incremental update set as one transaction. */
export async function writeInventoryDelta(
  db: Kysely<Database>,
  delta: InventoryDelta,
  opts: WriteOptions,
): Promise<WriteCounts> {
  const set = writeSetOf(delta.upserts, delta.removals, false);
  return inTransaction(db, 'save the update', set, opts.endpointId, (io) =>
    writeEntities(io, opts, set, delta.upserts.length, delta.events ?? []),
  );
}
