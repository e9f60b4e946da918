import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import { ENTITY_TYPES } from '../../shared/entities.js';
import { AppError } from '../../shared/errors.js';
import type { SnapshotInfo, SnapshotRef, SnapshotSource } from '../../shared/export.js';
import type { EntityRecord, SourceEndpoint } from '../export/records.js';
import { fieldSpec } from '../export/records.js';
import type { InventorySource } from '../export/source.js';
import { PAGE } from '../export/source.js';
import type { ImportControl } from './import-runs.js';

/*
 * The snapshot store: `snapshot_set` (one row per snapshot) and `snapshot_entity` (one row per
 * entity: its field values as a JSON array in the snapshot's field order, and a hash of its name
 * and non-volatile fields). Per-entity rows rather than one compressed blob per snapshot: a diff
 * of two 100,000-VM snapshots is then an indexed join that decodes only the rows whose hash
 * differs, instead of inflating and parsing two whole inventories. Raw better-sqlite3 (these
 * tables are this capability's own): prepared statements in one synchronous transaction write
 * 300,000 rows in about a second, and nothing else can interleave with it.
 */

export interface SnapshotRow {
  id: number;
  label: string | null;
  created_at: string;
  source: SnapshotSource;
  origin: string;
  read_only: number;
  counts: string;
  endpoints: string;
  fields: string;
}

export interface SaveMeta {
  readonly label: string | null;
  readonly createdAt: string;
  readonly source: SnapshotSource;
  readonly origin: string;
  readonly readOnly: boolean;
}

/** Where a snapshot's entities live: the table, and its id there (0 for the transient `now`). */
export interface SnapshotTable {
  readonly table: 'main.snapshot_entity' | 'temp.snapshot_now';
  readonly id: number;
}

const NOW_TABLE = `CREATE TEMP TABLE IF NOT EXISTS snapshot_now (
  snapshot_id INTEGER NOT NULL,
  entity_type TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  native_id TEXT NOT NULL,
  name TEXT NOT NULL,
  hash TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (snapshot_id, entity_type, endpoint, native_id)
) WITHOUT ROWID`;

export function toInfo(row: SnapshotRow): SnapshotInfo {
  const endpoints = JSON.parse(row.endpoints) as SourceEndpoint[];
  return {
    id: row.id,
    label: row.label,
    createdAt: row.created_at,
    source: row.source,
    origin: row.origin,
    endpoints: endpoints.map((e) => e.name),
    counts: JSON.parse(row.counts) as SnapshotInfo['counts'],
    readOnly: row.read_only === 1,
  };
}

export function volatileMask(type: EntityType, names: readonly string[]): boolean[] {
  return names.map((f) => fieldSpec(type, f)?.volatile === true);
}

/** Hash of what a diff compares: the name and the non-volatile fields, in the given order. */
export function entityHash(
  name: string,
  values: readonly FieldValue[],
  volatile: readonly boolean[],
): string {
  const stable: FieldValue[] = [name];
  for (let i = 0; i < values.length; i++) if (!volatile[i]) stable.push(values[i] ?? null);
  // Plain JSON: a map whose keys come back in another order only costs a field-level compare
  // (which sorts keys), never a false change.
  return createHash('sha1').update(JSON.stringify(stable)).digest('base64').slice(0, 22);
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Writes every entity of `source` under snapshot `id` of `table`, page by page, letting the
 * event loop run between pages (100,000 VMs take seconds; the app's window must not freeze
 * meanwhile). The caller holds the connection (see `exclusive`) and the transaction.
 */
async function writeEntities(
  sqlite: BetterSqlite3.Database,
  source: InventorySource,
  target: SnapshotTable,
  ctl: ImportControl = {},
): Promise<Partial<Record<EntityType, number>>> {
  const { signal, onProgress } = ctl;
  const total = onProgress ? ENTITY_TYPES.reduce((n, t) => n + source.count(t), 0) : 0;
  let written = 0;
  onProgress?.({ phase: 'save', done: 0, total });
  const insert = sqlite.prepare(
    `INSERT OR IGNORE INTO ${target.table} (snapshot_id, entity_type, endpoint, native_id, name, hash, data) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const counts: Partial<Record<EntityType, number>> = {};
  for (const type of ENTITY_TYPES) {
    const names = source.fieldsOf(type);
    const volatile = volatileMask(type, names);
    let n = 0;
    for (const page of source.pages(type)) {
      for (const r of page) {
        const values = r.values ?? names.map((f) => r.fields[f] ?? null);
        const res = insert.run(
          target.id,
          type,
          r.ep.key,
          r.id,
          r.name,
          entityHash(r.name, values, volatile),
          JSON.stringify(values),
        );
        n += res.changes;
      }
      written += page.length;
      onProgress?.({ phase: 'save', done: written, total });
      await yieldToLoop();
      if (signal?.aborted) throw new AppError('CANCELLED', 'Import cancelled');
    }
    if (n > 0) counts[type] = n;
  }
  return counts;
}

/** Runs `fn` in one transaction spanning its awaits (the caller holds the connection). */
async function inTransaction<T>(sqlite: BetterSqlite3.Database, fn: () => Promise<T>): Promise<T> {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    const result = await fn();
    sqlite.exec('COMMIT');
    return result;
  } catch (e) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw e;
  }
}

export function manifest(
  source: Pick<InventorySource, 'fieldsOf'>,
): Record<string, readonly string[]> {
  return Object.fromEntries(ENTITY_TYPES.map((t) => [t, source.fieldsOf(t)]));
}

/**
 * Saves `source` as a new snapshot in one transaction; returns it. `ctl` reports entities written
 * of the total (phase `save`); its signal rolls the transaction back with `CANCELLED`.
 */
export async function saveSnapshot(
  sqlite: BetterSqlite3.Database,
  source: InventorySource,
  meta: SaveMeta,
  ctl: ImportControl = {},
): Promise<SnapshotInfo> {
  const id = await inTransaction(sqlite, async () => {
    const res = sqlite
      .prepare(
        'INSERT INTO snapshot_set (label, created_at, source, origin, read_only, counts, endpoints, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        meta.label,
        meta.createdAt,
        meta.source,
        meta.origin,
        meta.readOnly ? 1 : 0,
        '{}',
        JSON.stringify(source.endpoints),
        JSON.stringify(manifest(source)),
      );
    const id = Number(res.lastInsertRowid);
    const counts = await writeEntities(sqlite, source, { table: 'main.snapshot_entity', id }, ctl);
    sqlite
      .prepare('UPDATE snapshot_set SET counts = ? WHERE id = ?')
      .run(JSON.stringify(counts), id);
    return id;
  });
  return getSnapshot(sqlite, id);
}

/** Captures `source` into the transient `now` table (emptied first); returns its manifest. */
export async function captureNow(
  sqlite: BetterSqlite3.Database,
  source: InventorySource,
): Promise<{ table: SnapshotTable; fields: Record<string, readonly string[]> }> {
  sqlite.exec(NOW_TABLE);
  const table: SnapshotTable = { table: 'temp.snapshot_now', id: 0 };
  await inTransaction(sqlite, async () => {
    sqlite.exec('DELETE FROM temp.snapshot_now');
    await writeEntities(sqlite, source, table);
  });
  return { table, fields: manifest(source) };
}

export function clearNow(sqlite: BetterSqlite3.Database): void {
  sqlite.exec(NOW_TABLE);
  sqlite.exec('DELETE FROM temp.snapshot_now');
}

export function listSnapshots(sqlite: BetterSqlite3.Database): SnapshotInfo[] {
  const rows = sqlite
    .prepare('SELECT * FROM snapshot_set ORDER BY created_at DESC, id DESC')
    .all() as SnapshotRow[];
  return rows.map(toInfo);
}

export function snapshotRow(sqlite: BetterSqlite3.Database, id: number): SnapshotRow {
  const row = sqlite.prepare('SELECT * FROM snapshot_set WHERE id = ?').get(id) as
    SnapshotRow | undefined;
  if (!row) throw new AppError('NOT_FOUND', `No snapshot ${id}`, { id });
  return row;
}

export function getSnapshot(sqlite: BetterSqlite3.Database, id: number): SnapshotInfo {
  return toInfo(snapshotRow(sqlite, id));
}

export function deleteSnapshot(sqlite: BetterSqlite3.Database, id: number): void {
  const run = sqlite.transaction(() => {
    snapshotRow(sqlite, id);
    sqlite.prepare('DELETE FROM snapshot_entity WHERE snapshot_id = ?').run(id);
    sqlite.prepare('DELETE FROM snapshot_set WHERE id = ?').run(id);
  });
  run();
}

/**
 * A snapshot by id (a number, or digits), by label (the newest with that label), or `now`.
 */
export function resolveSnapshotRef(
  sqlite: BetterSqlite3.Database,
  ref: SnapshotRef,
): number | 'now' {
  if (typeof ref === 'number') return snapshotRow(sqlite, ref).id;
  const text = ref.trim();
  if (text.toLowerCase() === 'now') return 'now';
  if (/^\d+$/.test(text)) {
    const hit = sqlite.prepare('SELECT id FROM snapshot_set WHERE id = ?').get(Number(text)) as
      { id: number } | undefined;
    if (hit) return hit.id;
  }
  const byLabel = sqlite
    .prepare(
      'SELECT id FROM snapshot_set WHERE label = ? ORDER BY created_at DESC, id DESC LIMIT 1',
    )
    .get(text) as { id: number } | undefined;
  if (!byLabel)
    throw new AppError('NOT_FOUND', `No snapshot with id or label "${text}"`, { ref: text });
  return byLabel.id;
}

/** A saved snapshot as an inventory source (for export, or a diff's "now" capture). */
export function openSnapshotSource(sqlite: BetterSqlite3.Database, id: number): InventorySource {
  const row = snapshotRow(sqlite, id);
  const endpoints = JSON.parse(row.endpoints) as SourceEndpoint[];
  const byKey = new Map(endpoints.map((e) => [e.key, e]));
  const fields = JSON.parse(row.fields) as Record<string, string[]>;
  const unknownEp = (key: string): SourceEndpoint => {
    const ep: SourceEndpoint = { key, name: key, kind: 'vcenter', host: key, port: null };
    byKey.set(key, ep);
    return ep;
  };
  const countStmt = sqlite.prepare(
    'SELECT COUNT(*) AS n FROM snapshot_entity WHERE snapshot_id = ? AND entity_type = ?',
  );
  const pageStmt = sqlite.prepare(
    `SELECT endpoint, native_id, name, data FROM snapshot_entity WHERE snapshot_id = ? AND entity_type = ? AND (endpoint, native_id) > (?, ?) ORDER BY endpoint, native_id LIMIT ${PAGE}`,
  );
  return {
    label: row.label,
    createdAt: row.created_at,
    endpoints,
    fieldsOf: (type) => (fields[type] ?? []).filter((f) => fieldSpec(type, f) !== undefined),
    count: (type) => (countStmt.get(id, type) as { n: number }).n,
    *pages(type) {
      const names = fields[type] ?? [];
      let after: [string, string] = ['', ''];
      for (;;) {
        const page = pageStmt.all(id, type, after[0], after[1]) as {
          endpoint: string;
          native_id: string;
          name: string;
          data: string;
        }[];
        if (page.length === 0) return;
        const last = page[page.length - 1]!;
        after = [last.endpoint, last.native_id];
        yield page.map((r): EntityRecord => {
          const values = JSON.parse(r.data) as FieldValue[];
          const f: Record<string, FieldValue> = {};
          names.forEach((name, i) => {
            if (fieldSpec(type, name) !== undefined) f[name] = values[i] ?? null;
          });
          return {
            type,
            ep: byKey.get(r.endpoint) ?? unknownEp(r.endpoint),
            id: r.native_id,
            name: r.name,
            fields: f,
          };
        });
        if (page.length < PAGE) return;
      }
    },
    close: () => undefined,
  };
}
