import type BetterSqlite3 from 'better-sqlite3';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import type { DiffEntry, DiffField, DiffSide, SnapshotDiff } from '../../shared/export.js';
import type { SourceEndpoint } from '../export/records.js';
import { fieldSpec, stableJson } from '../export/records.js';
import type { SnapshotTable } from './store.js';

/** One side of a diff: where its rows are, its field lists, its endpoints, what to call it. */
export interface DiffInput {
  readonly table: SnapshotTable;
  readonly fields: Readonly<Record<string, readonly string[]>>;
  readonly endpoints: readonly SourceEndpoint[];
  readonly side: DiffSide;
}

export interface ChangedRow {
  e: string;
  id: string;
  an: string;
  bn: string;
  /** Each side's values, parsed. */
  va: FieldValue[];
  vb: FieldValue[];
}

export interface OnlyRow {
  e: string;
  id: string;
  n: string;
}

/** A stored row of one side, as a natural-key pairing reads it. */
export interface FullRow {
  name: string;
  hash: string;
  data: string;
}

/**
 * Kinds an RVTools workbook lists without the key vSphere gives them: a NIC has no device key
 * there, a snapshot no moref, a license's key is masked (our id for it is a digest of the full
 * key), and a datastore cluster is only the "Cluster name" of its datastores' rows. A row imported from a workbook cannot carry the collector's id, so rows a diff
 * leaves unpaired by id are paired by this natural key instead: the endpoint, the name (a NIC's
 * label, a snapshot's or a license's name) and these fields. Two collected snapshots still pair
 * every row by id; only what id pairing leaves over is tried this way.
 */
export const NATURAL_KEYS: Partial<Record<EntityType, readonly string[]>> = {
  vmNic: ['vmId'],
  snapshot: ['vmId', 'createdAt'],
  license: ['maskedKey'],
  datastoreCluster: [],
};

/** A reference field both sides hold: its position in each side's values and what it names. */
export interface RefPair {
  readonly i: number;
  readonly j: number;
  readonly ref: EntityType;
}

/** What a diff reads of one type: rows only in `b`, only in `a`, in both with other hashes. */
export interface TypeRows {
  readonly added: OnlyRow[];
  readonly removed: OnlyRow[];
  readonly changed: ChangedRow[];
  /** Name of entity `id` of `type` on side a (b), for a reference field's old (new) value. */
  nameA(type: EntityType, ep: string, id: string): string | null;
  nameB(type: EntityType, ep: string, id: string): string | null;
  /** The stored rows of side a (b) of this type, by `endpoint\u0000native id`. */
  rows(side: 'a' | 'b', which: readonly OnlyRow[]): Promise<Map<string, FullRow>>;
}

/** The key of a row in {@link TypeRows.rows}' answer. */
export const rowKey = (r: OnlyRow): string => `${r.e}\u0000${r.id}`;

/** Reads one type's rows of a diff: SQLite's prepared statements, or PostgreSQL's queries. */
export type DiffReader = (
  type: EntityType,
  refs: readonly RefPair[],
) => TypeRows | Promise<TypeRows>;

/** One side of a natural-key pairing: its unpaired rows, its field order, a row's stored data. */
interface PairSide {
  readonly rows: readonly OnlyRow[];
  readonly fields: readonly string[];
  readonly read: (r: OnlyRow) => FullRow;
}

/** A natural-key part: times to the second (a workbook's date may not keep milliseconds). */
function keyPart(v: FieldValue | undefined): string {
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return String(Math.floor(t / 1000));
  }
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : stableJson(v);
}

/**
 * Pairs `a`'s and `b`'s unpaired rows by natural key (rows with the same key pair in id order);
 * a pair whose hashes differ becomes a changed row. Sides lacking a key field pair nothing.
 */
function pairByNaturalKey(
  natural: readonly string[],
  a: PairSide,
  b: PairSide,
): { removed: OnlyRow[]; added: OnlyRow[]; changed: ChangedRow[] } {
  const positions = (side: PairSide): number[] | null => {
    const at = natural.map((f) => side.fields.indexOf(f));
    return at.every((i) => i >= 0) ? at : null;
  };
  const pa = positions(a);
  const pb = positions(b);
  if (!pa || !pb) return { removed: [...a.rows], added: [...b.rows], changed: [] };
  const keyed = (side: PairSide, at: number[]): Map<string, { r: OnlyRow; full: FullRow }[]> => {
    const out = new Map<string, { r: OnlyRow; full: FullRow }[]>();
    for (const r of [...side.rows].sort((x, y) => cmp(x.id, y.id))) {
      const full = side.read(r);
      const values = JSON.parse(full.data) as FieldValue[];
      const key = [r.e, r.n, ...at.map((i) => keyPart(values[i]))].join('\u0000');
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      list.push({ r, full });
    }
    return out;
  };
  const byA = keyed(a, pa);
  const removed: OnlyRow[] = [];
  const added: OnlyRow[] = [];
  const changed: ChangedRow[] = [];
  for (const [key, list] of keyed(b, pb)) {
    const mates = byA.get(key) ?? [];
    list.forEach((y, i) => {
      const x = mates[i];
      if (!x) {
        added.push(y.r);
        return;
      }
      if (x.full.hash !== y.full.hash) {
        changed.push({
          e: y.r.e,
          id: y.r.id,
          an: x.r.n,
          bn: y.r.n,
          va: JSON.parse(x.full.data) as FieldValue[],
          vb: JSON.parse(y.full.data) as FieldValue[],
        });
      }
    });
    if (mates.length > list.length) removed.push(...mates.slice(list.length).map((x) => x.r));
    byA.delete(key);
  }
  for (const list of byA.values()) removed.push(...list.map((x) => x.r));
  return { removed, added, changed };
}

/**
 * SQLite's reader: a join of the two sides on the primary key, the rows whose hashes differ;
 * names of references looked up one by one (prepared, in the same file). Synchronous: the caller
 * holds the connection.
 */
export function sqliteDiffReader(
  sqlite: BetterSqlite3.Database,
  A: SnapshotTable,
  B: SnapshotTable,
): DiffReader {
  const changedStmt = sqlite.prepare(
    `SELECT a.endpoint AS e, a.native_id AS id, a.name AS an, b.name AS bn, a.data AS ad, b.data AS bd
     FROM ${A.table} a JOIN ${B.table} b
       ON b.snapshot_id = ? AND b.entity_type = a.entity_type AND b.endpoint = a.endpoint AND b.native_id = a.native_id
     WHERE a.snapshot_id = ? AND a.entity_type = ? AND a.hash <> b.hash`,
  );
  const onlyStmt = (x: SnapshotTable, y: SnapshotTable): BetterSqlite3.Statement =>
    sqlite.prepare(
      `SELECT x.endpoint AS e, x.native_id AS id, x.name AS n FROM ${x.table} x
       WHERE x.snapshot_id = ? AND x.entity_type = ? AND NOT EXISTS (
         SELECT 1 FROM ${y.table} y WHERE y.snapshot_id = ? AND y.entity_type = x.entity_type
           AND y.endpoint = x.endpoint AND y.native_id = x.native_id)`,
    );
  const removedStmt = onlyStmt(A, B);
  const addedStmt = onlyStmt(B, A);
  const nameStmt = (x: SnapshotTable): BetterSqlite3.Statement =>
    sqlite.prepare(
      `SELECT name FROM ${x.table} WHERE snapshot_id = ? AND entity_type = ? AND endpoint = ? AND native_id = ?`,
    );
  const nameA = nameStmt(A);
  const nameB = nameStmt(B);
  const rowStmt = (x: SnapshotTable): BetterSqlite3.Statement =>
    sqlite.prepare(
      `SELECT name, hash, data FROM ${x.table} WHERE snapshot_id = ? AND entity_type = ? AND endpoint = ? AND native_id = ?`,
    );
  const rowA = rowStmt(A);
  const rowB = rowStmt(B);
  const lookup =
    (stmt: BetterSqlite3.Statement, t: SnapshotTable) =>
    (type: EntityType, ep: string, id: string): string | null =>
      (stmt.get(t.id, type, ep, id) as { name: string } | undefined)?.name ?? null;
  return (type) => ({
    added: addedStmt.all(B.id, type, A.id) as OnlyRow[],
    removed: removedStmt.all(A.id, type, B.id) as OnlyRow[],
    changed: (
      changedStmt.all(B.id, A.id, type) as (Omit<ChangedRow, 'va' | 'vb'> & {
        ad: string;
        bd: string;
      })[]
    ).map(({ ad, bd, ...r }) => ({
      ...r,
      va: JSON.parse(ad) as FieldValue[],
      vb: JSON.parse(bd) as FieldValue[],
    })),
    nameA: lookup(nameA, A),
    nameB: lookup(nameB, B),
    rows: (side, which) => {
      const [stmt, t] = side === 'a' ? [rowA, A] : [rowB, B];
      return Promise.resolve(
        new Map(which.map((r) => [rowKey(r), stmt.get(t.id, type, r.e, r.id) as FullRow])),
      );
    },
  });
}

/**
 * Compares two snapshots: entities only in `b` are added, only in `a` removed, and those in both
 * whose hashes differ are compared field by field (name and every non-volatile field both sides
 * hold; a field one side never collected is not a change). `read` fetches each type's rows.
 */
export async function diffSnapshots(
  a: DiffInput,
  b: DiffInput,
  types: readonly EntityType[],
  limit: number,
  read: DiffReader,
): Promise<SnapshotDiff> {
  const epName = new Map<string, string>();
  for (const e of a.endpoints) epName.set(e.key, e.name);
  for (const e of b.endpoints) epName.set(e.key, e.name);
  const endpointOf = (key: string): string => epName.get(key) ?? key;

  const summary: Record<string, { added: number; removed: number; changed: number }> = {};
  const entries: DiffEntry[] = [];
  let truncated = false;
  const push = (e: DiffEntry): void => {
    if (entries.length < limit) entries.push(e);
    else truncated = true;
  };

  for (const type of types) {
    const s = { added: 0, removed: 0, changed: 0 };
    const fa = a.fields[type] ?? [];
    const fb = b.fields[type] ?? [];
    const indexB = new Map(fb.map((f, i) => [f, i]));
    // Fields both sides hold, never volatile: pairs of positions in each side's array.
    const common: [string, number, number][] = [];
    const refs: RefPair[] = [];
    fa.forEach((f, i) => {
      const j = indexB.get(f);
      const spec = fieldSpec(type, f);
      if (j !== undefined && spec && !spec.volatile) {
        common.push([f, i, j]);
        if (spec.ref) refs.push({ i, j, ref: spec.ref });
      }
    });
    const rows = await read(type, refs);
    let { added, removed } = rows;
    const natural = NATURAL_KEYS[type];
    if (natural && removed.length > 0 && added.length > 0) {
      const [fullA, fullB] = [await rows.rows('a', removed), await rows.rows('b', added)];
      const paired = pairByNaturalKey(
        natural,
        { rows: removed, fields: fa, read: (r) => fullA.get(rowKey(r))! },
        { rows: added, fields: fb, read: (r) => fullB.get(rowKey(r))! },
      );
      removed = paired.removed;
      added = paired.added;
      rows.changed.push(...paired.changed);
    }
    for (const r of sortRows(added)) {
      s.added++;
      push({ type, endpoint: endpointOf(r.e), id: r.id, name: r.n, change: 'added' });
    }
    for (const r of sortRows(removed)) {
      s.removed++;
      push({ type, endpoint: endpointOf(r.e), id: r.id, name: r.n, change: 'removed' });
    }
    const changed = rows.changed.sort((x, y) => cmp(x.bn, y.bn) || cmp(x.id, y.id));
    for (const r of changed) {
      const { va, vb } = r;
      const fields: DiffField[] = [];
      if (r.an !== r.bn) fields.push({ field: 'name', old: r.an, new: r.bn });
      for (const [f, i, j] of common) {
        const x = va[i] ?? null;
        const y = vb[j] ?? null;
        if (same(f, x, y)) continue;
        const ref = fieldSpec(type, f)?.ref;
        if (!ref) {
          fields.push({ field: f, old: x, new: y });
          continue;
        }
        const oldName = typeof x === 'string' ? rows.nameA(ref, r.e, x) : null;
        const newName = typeof y === 'string' ? rows.nameB(ref, r.e, y) : null;
        if (oldName !== null && oldName === newName) continue;
        fields.push({ field: f, old: x, new: y, oldName, newName });
      }
      // Different field lists hash differently; equal values are no change.
      if (fields.length === 0) continue;
      s.changed++;
      push({ type, endpoint: endpointOf(r.e), id: r.id, name: r.bn, change: 'changed', fields });
    }
    summary[type] = s;
  }
  return { from: a.side, to: b.side, types, summary, entries, truncated };
}

// Code-point order: fast on 100,000 rows, and the same on every machine.
const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

function sortRows(rows: OnlyRow[]): OnlyRow[] {
  return rows.sort((x, y) => cmp(x.n, y.n) || cmp(x.id, y.id));
}

const MIB = 2 ** 20;

/**
 * Lists whose order says nothing: a guest's addresses, a license's features and labels. An RVTools
 * workbook writes them joined (a NIC's IPv4 and IPv6 addresses in two columns), so an import reads
 * them back in another order than the server listed them.
 */
const UNORDERED = new Set(['ipAddresses', 'features', 'labels']);

/**
 * An empty list, map or text says no more than a missing one (a workbook writes both as an empty
 * cell: a server's empty costUnit comes back from vLicense as nothing).
 */
function empty(v: FieldValue): boolean {
  if (v === '') return true;
  if (v === null || typeof v !== 'object') return false;
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

/**
 * Whether two values of a field are the same for a diff: byte counts within a MiB are (RVTools
 * rounds to MiB), and references to differently keyed entities of the same name are (an RVTools
 * workbook knows a VM's host by name only).
 */
function same(field: string, x0: FieldValue, y0: FieldValue): boolean {
  const x = empty(x0) ? null : x0;
  const y = empty(y0) ? null : y0;
  if (x === y) return true;
  if (typeof x === 'number' && typeof y === 'number' && field.endsWith('Bytes')) {
    return Math.abs(x - y) < MIB;
  }
  if (UNORDERED.has(field) && Array.isArray(x) && Array.isArray(y)) {
    return stableJson(x.map(stableJson).sort()) === stableJson(y.map(stableJson).sort());
  }
  if ((x !== null && typeof x === 'object') || (y !== null && typeof y === 'object')) {
    return stableJson(x) === stableJson(y);
  }
  return false;
}
