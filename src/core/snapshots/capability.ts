import { basename } from 'node:path';
import type { Kysely } from 'kysely';
import type { EntityType } from '../../shared/entities.js';
import type { DiffSide, SnapshotDiff, SnapshotInfo, SnapshotRef } from '../../shared/export.js';
import { DIFF_TYPES } from '../../shared/export.js';
import { AppError } from '../../shared/errors.js';
import type { HandlerSlice } from '../contract/handlers.js';
import { documentSource, readJsonSnapshot } from '../export/json-snapshot.js';
import type { SourceEndpoint } from '../export/records.js';
import { openLiveSource } from '../export/source.js';
import { asyncOf, freshStatistics, inPgTransaction, openLivePg } from '../export/source-pg.js';
import type { InventorySource } from '../export/source.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import type { PostgresStore, Store } from '../store/sqlite.js';
import type { DiffInput } from './diff.js';
import { diffSnapshots, sqliteDiffReader } from './diff.js';
import type { PgSide } from './diff-pg.js';
import { pgDiffReader } from './diff-pg.js';
import { snapshotRows, snapshotRowsPg } from './rows.js';
import {
  captureNowPg,
  deleteSnapshotPg,
  listSnapshotsPg,
  resolveSnapshotRefPg,
  saveSnapshotPg,
  snapshotRowPg,
  saveSnapshotOn,
} from './store-pg.js';
import type { ImportControl, ImportRuns } from './import-runs.js';
import { readRvtoolsWorkbook } from './rvtools-import.js';
import {
  captureNow,
  clearNow,
  deleteSnapshot,
  listSnapshots,
  resolveSnapshotRef,
  saveSnapshot,
  snapshotRow,
} from './store.js';
import type { SaveMeta, SnapshotRow } from './store.js';

export type SnapshotChannels =
  | 'snapshots:list'
  | 'snapshots:save'
  | 'snapshots:delete'
  | 'snapshots:diff'
  | 'snapshots:import'
  | 'snapshots:cancelImport'
  | 'snapshots:rows';

export interface SnapshotDeps {
  readonly store: Store;
  readonly imports: ImportRuns;
  readonly log: Logger;
  readonly now: () => Date;
}

/**
 * Runs `fn` while holding kysely's connection mutex: no kysely transaction of the sync engine or
 * a request can be open on the shared better-sqlite3 connection meanwhile, and `fn` runs to the
 * end without yielding.
 */
export async function exclusive<T>(db: Kysely<Database>, fn: () => T | Promise<T>): Promise<T> {
  return db.connection().execute(() => Promise.resolve().then(fn));
}

export interface SaveOptions {
  readonly label?: string | null;
  /** manual, before-sync, after-sync, schedule. */
  readonly origin?: string;
}

/**
 * Saves a snapshot of the live inventory. The sync engine calls this before and after a sync
 * when the user asked for it.
 *
 * @example
 * await saveInventorySnapshot(core.store, { label: 'before sync vc1', origin: 'before-sync' });
 */
export async function saveInventorySnapshot(
  store: Store,
  opts: SaveOptions = {},
  now: Date = new Date(),
): Promise<SnapshotInfo> {
  const meta: SaveMeta = {
    label: opts.label ?? null,
    createdAt: now.toISOString(),
    source: 'local',
    origin: opts.origin ?? 'manual',
    readOnly: false,
  };
  if (store.engine === 'postgres') {
    await freshStatistics(store);
    // Read and written in one transaction on one connection: the snapshot is one state.
    return inPgTransaction(store, async (client) =>
      saveSnapshotOn(client, await openLivePg(client, { now }), meta),
    );
  }
  return exclusive(store.db, async () => {
    const source = openLiveSource(store.sqlite, ':memory:', { now });
    try {
      return await saveSnapshot(store.sqlite, source, meta);
    } finally {
      source.close();
    }
  });
}

/** Saves `source` on either engine (an import's workbook or document). */
async function saveSource(
  store: Store,
  source: InventorySource,
  meta: SaveMeta,
  ctl: ImportControl,
): Promise<SnapshotInfo> {
  if (store.engine === 'postgres') return saveSnapshotPg(store, asyncOf(source), meta, ctl);
  return exclusive(store.db, () => saveSnapshot(store.sqlite, source, meta, ctl));
}

/**
 * Imports an exported JSON snapshot or an RVTools workbook as a read-only snapshot. `signal`
 * stops it with `CANCELLED` (nothing saved); `onProgress` hears the read and save phases.
 */
export async function importSnapshot(
  store: Store,
  file: string,
  opts: { format?: 'json' | 'rvtools'; label?: string } & ImportControl = {},
): Promise<SnapshotInfo> {
  const format = opts.format ?? (/\.xlsx$/i.test(file) ? 'rvtools' : 'json');
  const ctl: ImportControl = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
  };
  let source: InventorySource;
  let label: string | null;
  if (format === 'rvtools') {
    source = await readRvtoolsWorkbook(file, ctl);
    label = opts.label ?? basename(file);
  } else {
    ctl.onProgress?.({ phase: 'read', done: 0 });
    const doc = await readJsonSnapshot(file, ctl.limits);
    source = documentSource(doc);
    label = opts.label ?? doc.label ?? basename(file);
  }
  if (ctl.signal?.aborted) throw new AppError('CANCELLED', 'Import cancelled');
  return saveSource(
    store,
    source,
    { label, createdAt: source.createdAt, source: 'import', origin: format, readOnly: true },
    ctl,
  );
}

interface SideMeta {
  readonly fields: Record<string, string[]>;
  readonly endpoints: SourceEndpoint[];
  readonly side: DiffSide;
}

function sideOf(row: SnapshotRow): SideMeta {
  return {
    fields: JSON.parse(row.fields) as Record<string, string[]>,
    endpoints: JSON.parse(row.endpoints) as SourceEndpoint[],
    side: { id: row.id, label: row.label, createdAt: row.created_at },
  };
}

interface DiffOptions {
  types?: readonly EntityType[];
  limit?: number;
  now?: Date;
}

/** Diffs two snapshots, either of which may be `now`. */
export async function diffSnapshotRefs(
  store: Store,
  from: SnapshotRef,
  to: SnapshotRef,
  opts: DiffOptions = {},
): Promise<SnapshotDiff> {
  if (store.engine === 'postgres') return diffSnapshotRefsPg(store, from, to, opts);
  const sqlite = store.sqlite;
  const types = opts.types ?? DIFF_TYPES;
  return exclusive(store.db, async () => {
    const a = resolveSnapshotRef(sqlite, from);
    const b = resolveSnapshotRef(sqlite, to);
    let nowInput: DiffInput | null = null;
    if (a === 'now' || b === 'now') {
      const at = opts.now ?? new Date();
      const source = openLiveSource(sqlite, ':memory:', { now: at });
      try {
        const { table, fields } = await captureNow(sqlite, source);
        nowInput = {
          table,
          fields,
          endpoints: source.endpoints,
          side: { id: null, label: 'now', createdAt: at.toISOString() },
        };
      } finally {
        source.close();
      }
    }
    const side = (ref: number | 'now'): DiffInput =>
      ref === 'now'
        ? nowInput!
        : {
            table: { table: 'main.snapshot_entity', id: ref },
            ...sideOf(snapshotRow(sqlite, ref)),
          };
    try {
      const A = side(a);
      const B = side(b);
      return await diffSnapshots(
        A,
        B,
        types,
        opts.limit ?? 100_000,
        sqliteDiffReader(sqlite, A.table, B.table),
      );
    } finally {
      if (nowInput) clearNow(sqlite);
    }
  });
}

/** The same diff on PostgreSQL, in one transaction that holds `now` when it is a side. */
async function diffSnapshotRefsPg(
  store: PostgresStore,
  from: SnapshotRef,
  to: SnapshotRef,
  opts: DiffOptions,
): Promise<SnapshotDiff> {
  await freshStatistics(store);
  return inPgTransaction(store, async (client) => {
    const a = await resolveSnapshotRefPg(client, from);
    const b = await resolveSnapshotRefPg(client, to);
    let now: SideMeta | null = null;
    if (a === 'now' || b === 'now') {
      const at = opts.now ?? new Date();
      const source = await openLivePg(client, { now: at });
      now = {
        fields: (await captureNowPg(client, source)) as Record<string, string[]>,
        endpoints: [...source.endpoints],
        side: { id: null, label: 'now', createdAt: at.toISOString() },
      };
    }
    const side = async (ref: number | 'now'): Promise<DiffInput & { pg: PgSide }> =>
      ref === 'now'
        ? { ...now!, table: NOW_SIDE, pg: { table: 'snapshot_now', id: 0 } }
        : {
            ...sideOf(await snapshotRowPg(client, ref)),
            table: { table: 'main.snapshot_entity', id: ref },
            pg: { table: 'snapshot_entity', id: ref },
          };
    const A = await side(a);
    const B = await side(b);
    return diffSnapshots(
      A,
      B,
      opts.types ?? DIFF_TYPES,
      opts.limit ?? 100_000,
      pgDiffReader(client, A.pg, B.pg),
    );
  });
}

const NOW_SIDE = { table: 'temp.snapshot_now', id: 0 } as const;

/** The snapshots, newest first. */
export function listStoreSnapshots(store: Store): Promise<SnapshotInfo[]> {
  if (store.engine === 'postgres') return listSnapshotsPg(store.pool);
  return exclusive(store.db, () => listSnapshots(store.sqlite));
}

/** Deletes snapshot `id` (NOT_FOUND when there is none). */
export function deleteStoreSnapshot(store: Store, id: number): Promise<void> {
  if (store.engine === 'postgres') return deleteSnapshotPg(store, id);
  return exclusive(store.db, () => deleteSnapshot(store.sqlite, id));
}

export function createSnapshotsCapability(deps: SnapshotDeps): HandlerSlice<SnapshotChannels> {
  const { store, log, now, imports } = deps;
  return {
    'snapshots:list': () => listStoreSnapshots(store),
    'snapshots:save': async (input) => {
      const info = await saveInventorySnapshot(
        store,
        { label: input.label ?? null, origin: 'manual' },
        now(),
      );
      log.info({ id: info.id, counts: info.counts }, 'snapshot saved');
      return info;
    },
    'snapshots:delete': async (input) => {
      await deleteStoreSnapshot(store, input.id);
      return { deleted: true as const };
    },
    'snapshots:diff': (input) =>
      diffSnapshotRefs(store, input.from, input.to, {
        types: input.types ?? DIFF_TYPES,
        limit: input.limit,
        now: now(),
      }),
    'snapshots:import': async (input) => {
      const info = await imports.run(input.importId, (ctl) =>
        importSnapshot(store, input.file, {
          ...(input.format ? { format: input.format } : {}),
          ...(input.label ? { label: input.label } : {}),
          ...ctl,
        }),
      );
      log.info({ id: info.id, origin: info.origin }, 'snapshot imported');
      return info;
    },
    'snapshots:cancelImport': (input) =>
      Promise.resolve({ cancelled: imports.cancel(input.importId) }),
    'snapshots:rows': (input) =>
      store.engine === 'postgres'
        ? snapshotRowsPg(store.pool, input)
        : exclusive(store.db, () => snapshotRows(store.sqlite, input)),
  };
}
