import type { Kysely, Transaction } from 'kysely';
import type {
  CollectedEntity,
  CollectedEvent,
  EntityType,
  FieldSpec,
  FieldValue,
  FullInventory,
  InventoryDelta,
  UsageSample,
} from '../../shared/entities.js';
import { ENTITY_FIELDS, ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { Insertable } from 'kysely';
import type { ChangeLogTable, Database } from '../store/schema.js';

type NewChange = Insertable<ChangeLogTable>;
import { columnOf, tableOf } from '../store/schema.js';
import { storeError } from '../store/sqlite.js';

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

type ColumnValue = string | number | null;
type Row = Record<string, ColumnValue>;
type Db = Kysely<Database> | Transaction<Database>;

const CHUNK = 200;

interface TypeSpec {
  readonly type: EntityType;
  readonly table: string;
  readonly fields: readonly (readonly [field: string, column: string, spec: FieldSpec])[];
}

const SPECS: ReadonlyMap<EntityType, TypeSpec> = new Map(
  ENTITY_TYPES.map((type) => [
    type,
    {
      type,
      table: tableOf(type),
      fields: Object.entries(ENTITY_FIELDS[type] as Record<string, FieldSpec>).map(
        ([f, s]) => [f, columnOf(f), s] as const,
      ),
    },
  ]),
);

function specOf(type: EntityType): TypeSpec {
  const spec = SPECS.get(type);
  if (!spec) throw new AppError('VALIDATION', `Unknown entity type ${String(type)}`);
  return spec;
}

/** Converts a collector's value to the column's storage form; rejects values of the wrong shape. */
export function toColumn(
  value: FieldValue | undefined,
  spec: FieldSpec,
  where: string,
): ColumnValue {
  if (value === null || value === undefined) return null;
  switch (spec.kind) {
    case 'text':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      break;
    case 'int':
      if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value);
      break;
    case 'real':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      break;
    case 'bool':
      if (typeof value === 'boolean') return value ? 1 : 0;
      break;
    case 'json':
      return JSON.stringify(value);
    case 'time':
      if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
        return new Date(value).toISOString();
      }
      break;
  }
  throw new AppError('VALIDATION', `Field ${where} expects ${spec.kind}, got ${typeof value}`);
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

/**
 * Writes collected inventory and computes the change log in the same transaction. The function
 * is shared by full collections (entities missing from the set are soft-deleted) and incremental
 * updates (only the given fields are compared; removals are explicit).
 */
async function writeEntities(
  trx: Transaction<Database>,
  opts: WriteOptions,
  upserts: readonly CollectedEntity[],
  removals: readonly { type: EntityType; id: string }[],
  full: boolean,
  events: readonly CollectedEvent[],
): Promise<WriteCounts> {
  const at = opts.now.toISOString();
  const counts: WriteCounts = { seen: upserts.length, created: 0, updated: 0, deleted: 0 };
  const changes: NewChange[] = [];
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
  const anyTrx = trx as unknown as Kysely<Record<string, Row>>;

  for (const type of ENTITY_TYPES) {
    const spec = specOf(type);
    const incoming = byType.get(type) ?? [];
    const removing = removalsByType.get(type);
    if (!full && incoming.length === 0 && !removing) continue;

    const existingRows = (await anyTrx
      .selectFrom(spec.table)
      .selectAll()
      .where('endpoint_id', '=', opts.endpointId)
      .execute()) as Row[];
    const existing = new Map<string, Row>(existingRows.map((r) => [r['native_id'] as string, r]));
    const inserts: Row[] = [];
    const seenIds = new Set<string>();
    const relationRewrites: { from: string; kind: string; to: string[] }[] = [];

    for (const e of incoming) {
      if (seenIds.has(e.id)) throw new AppError('VALIDATION', `Duplicate ${type} id ${e.id}`);
      seenIds.add(e.id);
      const old = existing.get(e.id);
      const values: Row = {};
      for (const [field, column, fspec] of spec.fields) {
        if (!full && !(field in e.fields)) continue;
        values[column] = toColumn(e.fields[field], fspec, `${type}.${field}`);
      }
      const user = userOf(type, e.id);
      if (!old) {
        const row: Row = {
          endpoint_id: opts.endpointId,
          native_id: e.id,
          name: e.name,
          ...values,
          first_seen: at,
          last_seen: at,
          deleted_at: null,
        };
        inserts.push(row);
        counts.created++;
        changes.push(change(opts, at, type, e.id, e.name, 'created', null, null, null, user));
        for (const [field, column, fspec] of spec.fields) {
          if (fspec.refs && values[column] != null) {
            relationRewrites.push({
              from: e.id,
              kind: `${type}.${field}`,
              to: parseIds(values[column]),
            });
          }
        }
        continue;
      }
      const set: Row = {};
      const revived = old['deleted_at'] !== null;
      if (revived) {
        set['deleted_at'] = null;
        counts.created++;
        changes.push(change(opts, at, type, e.id, e.name, 'created', null, null, null, user));
      }
      let changed = false;
      if (old['name'] !== e.name) {
        set['name'] = e.name;
        changed = true;
        changes.push(
          change(
            opts,
            at,
            type,
            e.id,
            e.name,
            'updated',
            'name',
            old['name'] as string,
            e.name,
            user,
          ),
        );
      }
      for (const [field, column, fspec] of spec.fields) {
        if (!(column in values)) continue;
        const next = values[column] ?? null;
        const prev = old[column] ?? null;
        if (next === prev) continue;
        set[column] = next;
        if (fspec.refs)
          relationRewrites.push({ from: e.id, kind: `${type}.${field}`, to: parseIds(next) });
        if (fspec.volatile) continue;
        changed = true;
        changes.push(
          change(
            opts,
            at,
            type,
            e.id,
            e.name,
            'updated',
            field,
            stringify(prev),
            stringify(next),
            user,
          ),
        );
      }
      if (changed && !revived) counts.updated++;
      if (Object.keys(set).length > 0 || !full) {
        set['last_seen'] = at;
        await anyTrx
          .updateTable(spec.table)
          .set(set)
          .where('id', '=', old['id'] as number)
          .execute();
      }
    }

    for (const part of chunks(inserts)) {
      await anyTrx.insertInto(spec.table).values(part).execute();
    }

    const deleteIds: string[] = [];
    for (const [id, old] of existing) {
      if (old['deleted_at'] !== null) continue;
      const gone = full ? !seenIds.has(id) : removing?.has(id) === true;
      if (!gone) continue;
      deleteIds.push(id);
      counts.deleted++;
      changes.push(
        change(
          opts,
          at,
          type,
          id,
          old['name'] as string,
          'deleted',
          null,
          null,
          null,
          userOf(type, id),
        ),
      );
    }
    for (const part of chunks(deleteIds, 500)) {
      await anyTrx
        .updateTable(spec.table)
        .set({ deleted_at: at })
        .where('endpoint_id', '=', opts.endpointId)
        .where('native_id', 'in', part)
        .execute();
      await trx
        .deleteFrom('relation')
        .where('endpoint_id', '=', opts.endpointId)
        .where('from_id', 'in', part)
        .where('kind', 'like', `${type}.%`)
        .execute();
    }
    if (full) {
      // Everything the collection saw is alive now; one statement instead of a row each.
      await anyTrx
        .updateTable(spec.table)
        .set({ last_seen: at })
        .where('endpoint_id', '=', opts.endpointId)
        .where('deleted_at', 'is', null)
        .execute();
    }
    await rewriteRelations(trx, opts.endpointId, relationRewrites);
  }

  for (const part of chunks(changes, 500)) {
    await trx.insertInto('change_log').values(part).execute();
  }
  await writeEvents(trx, opts.endpointId, events);
  return counts;
}

function parseIds(value: ColumnValue): string[] {
  if (typeof value !== 'string') return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

function stringify(v: ColumnValue): string | null {
  return v === null ? null : String(v);
}

function change(
  opts: WriteOptions,
  at: string,
  type: EntityType,
  id: string,
  name: string,
  kind: NewChange['kind'],
  field: string | null,
  oldValue: string | null,
  newValue: string | null,
  user: string | null,
): NewChange {
  return {
    at,
    sync_run_id: opts.syncRunId,
    endpoint_id: opts.endpointId,
    entity_type: type,
    entity_id: id,
    entity_name: name,
    kind,
    field,
    old_value: oldValue,
    new_value: newValue,
    user,
  };
}

async function rewriteRelations(
  trx: Transaction<Database>,
  endpointId: number,
  rewrites: readonly { from: string; kind: string; to: string[] }[],
): Promise<void> {
  if (rewrites.length === 0) return;
  const byKind = new Map<string, string[]>();
  for (const r of rewrites) {
    let list = byKind.get(r.kind);
    if (!list) byKind.set(r.kind, (list = []));
    list.push(r.from);
  }
  for (const [kind, froms] of byKind) {
    for (const part of chunks(froms, 500)) {
      await trx
        .deleteFrom('relation')
        .where('endpoint_id', '=', endpointId)
        .where('kind', '=', kind)
        .where('from_id', 'in', part)
        .execute();
    }
  }
  const rows = rewrites.flatMap((r) =>
    [...new Set(r.to)].map((to) => ({
      endpoint_id: endpointId,
      kind: r.kind,
      from_id: r.from,
      to_id: to,
    })),
  );
  for (const part of chunks(rows, 500)) {
    await trx.insertInto('relation').values(part).execute();
  }
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
  return (type, id) => latest.get(`${type}:${id}`)?.user ?? null;
}

async function writeEvents(
  trx: Transaction<Database>,
  endpointId: number,
  events: readonly CollectedEvent[],
): Promise<void> {
  const rows = events.map((e) => ({
    endpoint_id: endpointId,
    event_key: e.key,
    at: new Date(e.at).toISOString(),
    event_type: e.eventType,
    user: e.user,
    message: e.message,
    entity_type: e.entityType,
    entity_id: e.entityId,
  }));
  for (const part of chunks(rows, 300)) {
    await trx
      .insertInto('event')
      .values(part)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function writeSamples(
  db: Db,
  endpointId: number,
  samples: readonly UsageSample[],
): Promise<void> {
  const rows = samples.map((s) => ({
    endpoint_id: endpointId,
    entity_type: s.entityType,
    entity_id: s.entityId,
    at: new Date(s.at).toISOString(),
    cpu_mhz: s.cpuMhz ?? null,
    memory_bytes: s.memoryBytes ?? null,
    storage_used_bytes: s.storageUsedBytes ?? null,
    storage_capacity_bytes: s.storageCapacityBytes ?? null,
  }));
  for (const part of chunks(rows, 300)) {
    await db
      .insertInto('sample')
      .values(part)
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/**
 * Stores a full collection as one transaction: new, changed and vanished entities, the change
 * log, events and usage samples. Either all of it lands or none of it does.
 */
export async function writeFullInventory(
  db: Kysely<Database>,
  inv: FullInventory,
  opts: WriteOptions,
): Promise<WriteCounts> {
  try {
    return await db.transaction().execute(async (trx) => {
      const counts = await writeEntities(trx, opts, inv.entities, [], true, inv.events ?? []);
      await writeSamples(trx, opts.endpointId, inv.samples ?? []);
      return counts;
    });
  } catch (e) {
    throw storeError(e, 'save the inventory');
  }
}

/** Stores one incremental update set as one transaction. */
export async function writeInventoryDelta(
  db: Kysely<Database>,
  delta: InventoryDelta,
  opts: WriteOptions,
): Promise<WriteCounts> {
  try {
    return await db
      .transaction()
      .execute((trx) =>
        writeEntities(trx, opts, delta.upserts, delta.removals, false, delta.events ?? []),
      );
  } catch (e) {
    throw storeError(e, 'save the update');
  }
}
