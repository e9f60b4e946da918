import type { Kysely } from 'kysely';
import type {
  CollectedEvent,
  EntityType,
  FieldValue,
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
import { sqliteIo } from './writer-io.js';
import { loadPostgresIo } from './writer-pg.js';
import type { WriteSet } from './writer-specs.js';
import { specOf, typesOf, writeSetOf } from './writer-specs.js';
import { naturalKey } from './natural-key.js';

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

    // A full write compares against every row of the endpoint; a delta only against its own.
    const existing = new Map<string, Row>();
    const rows = io.existing(
      spec.table,
      full ? null : [...incoming.map((e) => e.id), ...(removing ?? [])],
    );
    for (const r of rows) existing.set(r['native_id'] as string, r);
    // Relation kinds with no rows yet (a first sync) need no delete before each insert.
    const emptyKinds = new Set<string>();
    for (const r of spec.relations) {
      if (!io.hasRelations(r.kind)) emptyKinds.add(r.kind);
    }
    const rewrite = (from: string, kind: string, ids: readonly string[]): void => {
      if (!emptyKinds.has(kind)) io.unrelate(kind, from);
      for (const to of ids) io.relate(kind, from, to);
    };
    // What the relation table lists now: for a full write every list of the endpoint at once.
    const stored = new Map<string, Map<string, string[]>>();
    if (full && existing.size > 0) {
      for (const r of spec.relations) {
        const lists = new Map<string, string[]>();
        if (!emptyKinds.has(r.kind)) {
          for (const [from, to] of io.relationsOfKind(r.kind)) {
            const list = lists.get(from);
            if (list) list.push(to);
            else lists.set(from, [to]);
          }
        }
        stored.set(r.kind, lists);
      }
    }
    const storedIds = (kind: string, from: string): string[] => {
      if (emptyKinds.has(kind)) return [];
      const lists = stored.get(kind);
      if (lists) return lists.get(from) ?? [];
      return io.relationsOf(kind, from);
    };

    const seenIds = new Set<string>();
    for (const e of incoming) {
      const fields = fieldBag(e);
      if (seenIds.has(e.id)) throw new AppError('VALIDATION', `Duplicate ${type} id ${e.id}`);
      for (const r of spec.relations) validateIds(fields[r.field], `${type}.${r.field}`);
      seenIds.add(e.id);
      const old = existing.get(e.id);
      const user = userOf(type, e.id);
      if (!old) {
        // Fields a delta leaves out are NULL, as they would be without a column in the INSERT.
        const params: ColumnValue[] = [opts.endpointId, e.id, e.name, naturalKey(e.name)];
        for (const f of spec.fields) {
          const v = full || f.field in fields ? fields[f.field] : undefined;
          params.push(encodeField(v, f.spec, `${type}.${f.field}`));
        }
        params.push(at, at, null);
        io.insert(spec, params);
        counts.created++;
        log(type, e.id, e.name, 'created', null, null, null, user);
        for (const r of spec.relations) {
          const ids = idsOf(fields[r.field]);
          if (ids.length > 0) rewrite(e.id, r.kind, ids);
        }
        continue;
      }
      const columns: string[] = [];
      const values: ColumnValue[] = [];
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
      for (const f of spec.fields) {
        if (!full && !(f.field in fields)) continue;
        const v = fields[f.field];
        const next = encodeField(v, f.spec, `${type}.${f.field}`);
        const prev = old[f.column] ?? null;
        if (next === prev) continue;
        columns.push(f.column);
        values.push(next);
        if (f.spec.volatile) continue;
        changed = true;
        log(type, e.id, e.name, 'updated', f.field, stringify(prev), stringify(next), user);
      }
      for (const r of spec.relations) {
        if (!full && !(r.field in fields)) continue;
        // A soft delete dropped the entity's relation rows: a revived entity gets them back.
        const prev = revived ? [] : storedIds(r.kind, e.id);
        const next = idsOf(fields[r.field]);
        if (sameIds(prev, next)) continue;
        rewrite(e.id, r.kind, next);
        if (revived) continue;
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
      }
      if (changed && !revived) counts.updated++;
      if (columns.length > 0 || !full) {
        columns.push('last_seen');
        values.push(at);
        io.update(spec, columns, values, old['id'] as number);
      }
    }

    const deleteIds: string[] = [];
    for (const [id, old] of existing) {
      if (old['deleted_at'] !== null) continue;
      const gone = full ? !seenIds.has(id) : removing?.has(id) === true;
      if (!gone) continue;
      deleteIds.push(id);
      counts.deleted++;
      log(type, id, old['name'] as string, 'deleted', null, null, null, userOf(type, id));
    }
    if (deleteIds.length > 0) io.softDelete(spec, at, deleteIds);
    // Everything the collection saw is alive now; one statement instead of a row each.
    if (full) io.touch(spec, at);
  }

  io.events(events.map((e) => eventRow(opts.endpointId, e)));
  return counts;
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
    try {
      return await db.transaction().execute(async (trx) => {
        const io = await loadPostgresIo(trx, set, endpointId);
        const result = write(io);
        await io.flush();
        return result;
      });
    } catch (e) {
      throw storeError(e, doing);
    }
  }
  // The write's own failure is the one to report: after SQLITE_FULL SQLite may have rolled the
  // transaction back already, and kysely's ROLLBACK then fails with "no transaction is active".
  let failure: unknown;
  try {
    const io = sqliteIo(connectionOf(db), endpointId);
    return await db.transaction().execute(() => {
      try {
        return Promise.resolve(write(io));
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
    const counts = writeEntities(io, opts, set, inv.entities.length, inv.events ?? []);
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
