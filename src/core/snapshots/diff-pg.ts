import type pg from 'pg';
import type { EntityType, FieldValue } from '../../shared/entities.js';
import type { ChangedRow, DiffReader, FullRow, OnlyRow } from './diff.js';
import { rowKey } from './diff.js';
import type { PgSnapshotTable } from './store-pg.js';

/** One side of a diff on PostgreSQL: its table and its snapshot id there (0 for `now`). */
export interface PgSide {
  readonly table: PgSnapshotTable;
  readonly id: number;
}

const key = (type: string, ep: string, id: string): string => `${type}\u0000${ep}\u0000${id}`;

/**
 * PostgreSQL's diff reader, on `client` (the transaction that may hold `now`): the same join as
 * SQLite's, and the names of the references the changed rows hold fetched in one statement per
 * side and type instead of one lookup per field.
 */
export function pgDiffReader(client: pg.ClientBase, A: PgSide, B: PgSide): DiffReader {
  const only = async (x: PgSide, y: PgSide, type: EntityType): Promise<OnlyRow[]> =>
    (
      await client.query<OnlyRow>(
        `SELECT x.endpoint AS e, x.native_id AS id, x.name AS n FROM ${x.table} x
         WHERE x.snapshot_id = $1 AND x.entity_type = $2 AND NOT EXISTS (
           SELECT 1 FROM ${y.table} y WHERE y.snapshot_id = $3 AND y.entity_type = x.entity_type
             AND y.endpoint = x.endpoint AND y.native_id = x.native_id)`,
        [x.id, type, y.id],
      )
    ).rows;
  const names = async (
    side: PgSide,
    wanted: Map<string, [string, string, string]>,
  ): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    if (wanted.size === 0) return out;
    const cols: string[][] = [[], [], []];
    for (const [t, e, i] of wanted.values()) {
      cols[0]!.push(t);
      cols[1]!.push(e);
      cols[2]!.push(i);
    }
    const rows = await client.query<{ t: string; e: string; i: string; name: string }>(
      `SELECT s.entity_type AS t, s.endpoint AS e, s.native_id AS i, s.name
       FROM unnest($2::text[], $3::text[], $4::text[]) AS w(t, e, i)
       JOIN ${side.table} s ON s.snapshot_id = $1 AND s.entity_type = w.t AND s.endpoint = w.e AND s.native_id = w.i`,
      [side.id, ...cols],
    );
    for (const r of rows.rows) out.set(key(r.t, r.e, r.i), r.name);
    return out;
  };
  return async (type, refs) => {
    const changed = (
      await client.query<{ e: string; id: string; an: string; bn: string; ad: string; bd: string }>(
        `SELECT a.endpoint AS e, a.native_id AS id, a.name AS an, b.name AS bn, a.data AS ad, b.data AS bd
         FROM ${A.table} a JOIN ${B.table} b
           ON b.snapshot_id = $1 AND b.entity_type = a.entity_type AND b.endpoint = a.endpoint AND b.native_id = a.native_id
         WHERE a.snapshot_id = $2 AND a.entity_type = $3 AND a.hash <> b.hash`,
        [B.id, A.id, type],
      )
    ).rows.map(({ ad, bd, ...r }): ChangedRow => ({
      ...r,
      va: JSON.parse(ad) as FieldValue[],
      vb: JSON.parse(bd) as FieldValue[],
    }));
    // Every reference value of the changed rows, by side: what the comparison may ask for.
    const wantA = new Map<string, [string, string, string]>();
    const wantB = new Map<string, [string, string, string]>();
    for (const r of changed) {
      for (const { i, j, ref } of refs) {
        const x = r.va[i];
        const y = r.vb[j];
        if (typeof x === 'string') wantA.set(key(ref, r.e, x), [ref, r.e, x]);
        if (typeof y === 'string') wantB.set(key(ref, r.e, y), [ref, r.e, y]);
      }
    }
    // One connection answers one statement at a time: in turn.
    const inA = await names(A, wantA);
    const inB = await names(B, wantB);
    return {
      added: await only(B, A, type),
      removed: await only(A, B, type),
      changed,
      nameA: (t, e, i) => inA.get(key(t, e, i)) ?? null,
      nameB: (t, e, i) => inB.get(key(t, e, i)) ?? null,
      async rows(side, which) {
        const t = side === 'a' ? A : B;
        const out = new Map<string, FullRow>();
        if (which.length === 0) return out;
        const rows = await client.query<FullRow & { e: string; i: string }>(
          `SELECT s.endpoint AS e, s.native_id AS i, s.name, s.hash, s.data
           FROM unnest($3::text[], $4::text[]) AS w(e, i)
           JOIN ${t.table} s ON s.snapshot_id = $1 AND s.entity_type = $2 AND s.endpoint = w.e AND s.native_id = w.i`,
          [t.id, type, which.map((r) => r.e), which.map((r) => r.id)],
        );
        for (const { e, i, ...full } of rows.rows) out.set(rowKey({ e, id: i, n: '' }), full);
        return out;
      },
    };
  };
}
