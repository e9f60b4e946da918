import BetterSqlite3 from 'better-sqlite3';
import type { EntityType, FieldValue, RelationKind } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import { tableOf } from '../store/schema.js';
import { relationJsonSql } from '../inventory/relations.js';
import type { EntityRecord, FieldEntry, SourceEndpoint } from './records.js';
import type { RecordOf } from './records.js';
import { ValuesRecord, fieldEntries, fieldNames, keyEndpoints, rowDecoder } from './records.js';

/**
 * What an export reads: the live inventory, a saved snapshot, or either seen through a filter or
 * the anonymizer. Rows come in pages, so nothing holds a statement open across an `await` (on a
 * shared better-sqlite3 connection that would make every other query fail until it ends) and
 * memory stays flat however many rows there are.
 */
export interface InventorySource {
  readonly label: string | null;
  readonly createdAt: string;
  readonly endpoints: readonly SourceEndpoint[];
  /** The fields this source holds for a type (a subset for imported workbooks). */
  fieldsOf(type: EntityType): readonly string[];
  count(type: EntityType): number;
  pages(type: EntityType): Iterable<readonly EntityRecord[]>;
  /**
   * The open alerts on the source's endpoints (the live store only; snapshots and imports hold
   * none). Readers keep only those whose `ep` is one of `endpoints`: a wrapper that replaces the
   * endpoints (anonymized, one endpoint) thereby drops the others.
   */
  alerts?(): readonly SourceAlert[];
  close(): void;
}

/** An open alert as RVTools' vHealth lists it. */
export interface SourceAlert {
  readonly ep: SourceEndpoint;
  readonly rule: string;
  readonly severity: string;
  readonly entityName: string | null;
  readonly message: string;
}

/** The SELECT expression of one field: its column, or its list in the relation table. */
function selectOf(type: EntityType, [field, column, spec]: FieldEntry): string {
  return spec.refs ? relationJsonSql(`${type}.${field}` as RelationKind, 't') : column;
}

/**
 * Rows per page: small enough that a page alive across an `await` (a full zip buffer) does not
 * get promoted to the old generation wholesale, which is what made RSS grow with row count.
 */
export const PAGE = 500;

export interface LiveOptions {
  /** Only this endpoint, by name. */
  readonly endpoint?: string;
  /** better-sqlite3 binary for a non-Node ABI, for the reader connection. */
  readonly nativeBinding?: string;
  readonly now?: Date;
}

/**
 * The live inventory (soft-deleted rows left out). A file-backed store is read through a second,
 * read-only connection inside one read transaction: the export sees one consistent state while a
 * sync writes, and the app's own connection stays free. An in-memory store (tests) has only the
 * one connection.
 */
export function openLiveSource(
  main: BetterSqlite3.Database,
  file: string,
  opts: LiveOptions = {},
): InventorySource {
  let db = main;
  let own = false;
  if (file !== ':memory:') {
    db = new BetterSqlite3(file, {
      readonly: true,
      fileMustExist: true,
      ...(opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {}),
    });
    own = true;
    db.pragma('busy_timeout = 10000');
    db.exec('BEGIN');
  }
  try {
    const rows = db
      .prepare('SELECT id, name, kind, host, port, about FROM endpoint ORDER BY name')
      .all() as {
      id: number;
      name: string;
      kind: string;
      host: string;
      port: number;
      about: string | null;
    }[];
    const keyed = keyEndpoints(rows);
    const byId = new Map<number, SourceEndpoint>();
    rows.forEach((r, i) => byId.set(r.id, keyed[i]!));
    let ids = rows.map((r) => r.id);
    if (opts.endpoint !== undefined) {
      const hit = rows.find((r) => r.name.toLowerCase() === opts.endpoint!.toLowerCase());
      if (!hit) throw new AppError('NOT_FOUND', `No endpoint named "${opts.endpoint}"`);
      ids = [hit.id];
    }
    // Endpoint ids are integers read from the store: safe to inline.
    const inList = ids.length > 0 ? ids.join(',') : '-1';
    const endpoints = ids.map((id) => byId.get(id)!);
    return {
      label: null,
      createdAt: (opts.now ?? new Date()).toISOString(),
      endpoints,
      fieldsOf: (type) => fieldNames(type),
      alerts() {
        const open = db
          .prepare(
            `SELECT rule, severity, endpoint_id, entity_name, message FROM alert WHERE state <> 'cleared' AND endpoint_id IN (${inList}) ORDER BY raised_at, id`,
          )
          .all() as {
          rule: string;
          severity: string;
          endpoint_id: number;
          entity_name: string | null;
          message: string;
        }[];
        return open.map((a) => ({
          ep: byId.get(a.endpoint_id)!,
          rule: a.rule,
          severity: a.severity,
          entityName: a.entity_name,
          message: a.message,
        }));
      },
      count(type) {
        // Across all endpoints the count is a scan of the (deleted_at, name) index alone.
        const where = ids.length === rows.length ? '' : ` AND endpoint_id IN (${inList})`;
        const r = db
          .prepare(`SELECT COUNT(*) AS n FROM ${tableOf(type)} WHERE deleted_at IS NULL${where}`)
          .get() as { n: number };
        return r.n;
      },
      *pages(type) {
        const entries = fieldEntries(type);
        // The unary + keeps SQLite off the (deleted_at, name) index: a rowid range is the fast
        // path for paging, where that index would sort the whole table for every page.
        const stmt = db
          .prepare(
            `SELECT id, endpoint_id, native_id, name${entries.map((e) => `, ${selectOf(type, e)}`).join('')} FROM ${tableOf(type)} t WHERE +deleted_at IS NULL AND +endpoint_id IN (${inList}) AND id > ? ORDER BY id LIMIT ${PAGE}`,
          )
          .raw(true);
        const decode = rowDecoder(entries);
        const names = entries.map(([f]) => f);
        let after = 0;
        for (;;) {
          const page = stmt.all(after) as unknown[][];
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
          if (page.length < PAGE) return;
        }
      },
      close() {
        if (own) {
          db.exec('COMMIT');
          db.close();
        }
      },
    };
  } catch (e) {
    if (own) db.close();
    throw e;
  }
}

/** Keeps only matching VMs, and the disks, NICs, snapshots and guest partitions of those VMs. */
export function filterVms(source: InventorySource, keep: ReadonlySet<string>): InventorySource {
  const key = (ep: SourceEndpoint, id: string): string => `${ep.key}\u0000${id}`;
  const child = new Set<EntityType>(['vmDisk', 'vmNic', 'snapshot', 'guestPartition']);
  const passes = (r: EntityRecord): boolean => {
    if (r.type === 'vm') return keep.has(key(r.ep, r.id));
    if (child.has(r.type)) return keep.has(key(r.ep, String(r.fields['vmId'] ?? '')));
    return true;
  };
  const counts = new Map<EntityType, number>();
  return {
    ...source,
    fieldsOf: (type) => source.fieldsOf(type),
    count(type) {
      if (type !== 'vm' && !child.has(type)) return source.count(type);
      let n = counts.get(type);
      if (n === undefined) {
        n = 0;
        for (const page of source.pages(type)) for (const r of page) if (passes(r)) n++;
        counts.set(type, n);
      }
      return n;
    },
    *pages(type) {
      for (const page of source.pages(type)) {
        const kept = page.filter(passes);
        if (kept.length > 0) yield kept;
      }
    },
    close: () => source.close(),
  };
}

/** Every record of a type, page by page (for small types and lookups). */
export function* records<T extends EntityType>(
  source: InventorySource,
  type: T,
): Iterable<RecordOf<T>> {
  // A source's pages of `type` hold records of that type.
  for (const page of source.pages(type)) yield* page as readonly RecordOf<T>[];
}

/** Names of the small entity types by (endpoint, type, id), for resolving references. */
export interface Lookups {
  name(ep: SourceEndpoint, type: EntityType, id: FieldValue | undefined): string | null;
  record<T extends EntityType>(
    ep: SourceEndpoint,
    type: T,
    id: FieldValue | undefined,
  ): RecordOf<T> | undefined;
}

export const LOOKUP_TYPES: readonly EntityType[] = [
  'datacenter',
  'folder',
  'cluster',
  'host',
  'resourcePool',
  'datastore',
  'network',
  'dvSwitch',
  'datastoreCluster',
];

export function buildLookups(
  source: InventorySource,
  types: readonly EntityType[] = LOOKUP_TYPES,
): Lookups {
  // endpoint → type → id → record: no key strings built per lookup (vInfo makes a dozen a row).
  const map = new Map<SourceEndpoint, Map<EntityType, Map<string, EntityRecord>>>();
  for (const type of types) {
    for (const r of records(source, type)) {
      let byType = map.get(r.ep);
      if (!byType) map.set(r.ep, (byType = new Map()));
      let byId = byType.get(type);
      if (!byId) byType.set(type, (byId = new Map()));
      byId.set(r.id, r);
    }
  }
  const record = <T extends EntityType>(
    ep: SourceEndpoint,
    type: T,
    id: FieldValue | undefined,
  ): RecordOf<T> | undefined =>
    // Records are filed under their own type.
    typeof id === 'string'
      ? (map.get(ep)?.get(type)?.get(id) as RecordOf<T> | undefined)
      : undefined;
  return {
    record,
    name: (ep, type, id) => record(ep, type, id)?.name ?? null,
  };
}
