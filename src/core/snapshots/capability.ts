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
import type { InventorySource } from '../export/source.js';
import type { Logger } from '../logger.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/sqlite.js';
import { sqliteOf } from '../store/sqlite.js';
import type { DiffInput } from './diff.js';
import { diffSnapshots } from './diff.js';
import { snapshotRows } from './rows.js';
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
  return exclusive(store.db, async () => {
    const source = openLiveSource(sqliteOf(store, 'use snapshots').sqlite, ':memory:', { now });
    try {
      return await saveSnapshot(sqliteOf(store, 'use snapshots').sqlite, source, {
        label: opts.label ?? null,
        createdAt: now.toISOString(),
        source: 'local',
        origin: opts.origin ?? 'manual',
        readOnly: false,
      });
    } finally {
      source.close();
    }
  });
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
  return exclusive(store.db, () =>
    saveSnapshot(
      sqliteOf(store, 'use snapshots').sqlite,
      source,
      {
        label,
        createdAt: source.createdAt,
        source: 'import',
        origin: format,
        readOnly: true,
      },
      ctl,
    ),
  );
}

/** Diffs two snapshots, either of which may be `now`. */
export async function diffSnapshotRefs(
  store: Store,
  from: SnapshotRef,
  to: SnapshotRef,
  opts: { types?: readonly EntityType[]; limit?: number; now?: Date } = {},
): Promise<SnapshotDiff> {
  const sqlite = sqliteOf(store, 'use snapshots').sqlite;
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
    const side = (ref: number | 'now'): DiffInput => {
      if (ref === 'now') return nowInput!;
      const row = snapshotRow(sqlite, ref);
      const s: DiffSide = { id: row.id, label: row.label, createdAt: row.created_at };
      return {
        table: { table: 'main.snapshot_entity', id: row.id },
        fields: JSON.parse(row.fields) as Record<string, string[]>,
        endpoints: JSON.parse(row.endpoints) as SourceEndpoint[],
        side: s,
      };
    };
    try {
      return diffSnapshots(sqlite, side(a), side(b), types, opts.limit ?? 100_000);
    } finally {
      if (nowInput) clearNow(sqlite);
    }
  });
}

export function createSnapshotsCapability(deps: SnapshotDeps): HandlerSlice<SnapshotChannels> {
  const { store, log, now, imports } = deps;
  return {
    'snapshots:list': () =>
      exclusive(store.db, () => listSnapshots(sqliteOf(store, 'use snapshots').sqlite)),
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
      await exclusive(store.db, () =>
        deleteSnapshot(sqliteOf(store, 'use snapshots').sqlite, input.id),
      );
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
      exclusive(store.db, () => snapshotRows(sqliteOf(store, 'use snapshots').sqlite, input)),
  };
}
