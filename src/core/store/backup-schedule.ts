import { basename, dirname, join } from 'node:path';
import type { StoreBackups } from '../../shared/app.js';
import { AppError } from '../../shared/errors.js';
import type { Logger } from '../logger.js';
import { BACKUP_DIR, listBackups } from './recovery.js';
import type { SqliteStore, Store } from './sqlite.js';
import { backupNow } from './sqlite.js';

/** Who backs `store` up, as the UI and the CLI say it. */
export function backupPolicy(store: Store): StoreBackups {
  if (store.engine === 'sqlite')
    return {
      by: 'app',
      dir: store.file === ':memory:' ? null : join(dirname(store.file), BACKUP_DIR),
    };
  return {
    by: 'server',
    note: `Backups of the team store ${store.location} are the PostgreSQL server's: pg_dump or the base backups its administrator runs. Infrascope writes none of its own.`,
  };
}

/**
 * A verified backup now, as the schedule writes them. On PostgreSQL a typed `BACKUP_BY_SERVER`
 * that says whose job it is: the app's online backup is SQLite's.
 */
export function backupStore(store: Store, keep = 7, now = new Date()): Promise<string> {
  if (store.engine === 'sqlite') return backupNow(store, keep, now);
  const policy = backupPolicy(store);
  return Promise.reject(
    new AppError('BACKUP_BY_SERVER', policy.by === 'server' ? policy.note : '', {
      engine: store.engine,
    }),
  );
}

export interface BackupScheduleOptions {
  /** SQLite: backed up on the schedule. PostgreSQL: nothing to do but say so once at start. */
  readonly store: Store;
  readonly log: Logger;
  /** Default: daily. */
  readonly intervalMs?: number;
  /** Backups kept (newest first). Default 7. */
  readonly keep?: number;
  readonly now?: () => Date;
  readonly timers?: {
    setTimeout(fn: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
  };
}

export interface BackupSchedule {
  start(): void;
  dispose(): void;
}

/**
 * Verified online backups of the store on a schedule (daily by default), keeping the newest N, so
 * a damaged file at start can be restored. The first backup is due one interval after the newest
 * existing one, so an app opened briefly every day still gets its daily backup.
 */
export function createBackupSchedule(opts: BackupScheduleOptions): BackupSchedule {
  const interval = opts.intervalMs ?? 86_400_000;
  const now = opts.now ?? ((): Date => new Date());
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number): unknown => {
      const t = setTimeout(fn, ms);
      t.unref();
      return t;
    },
    clearTimeout: (h: unknown): void => clearTimeout(h as NodeJS.Timeout),
  };
  let handle: unknown = null;
  let stopped = false;
  const schedule = (ms: number, sqlite: Pick<SqliteStore, 'sqlite' | 'file'>): void => {
    if (stopped) return;
    handle = timers.setTimeout(() => void run(sqlite), Math.max(0, ms));
  };
  const store = opts.store;
  const run = async (sqlite: Pick<SqliteStore, 'sqlite' | 'file'>): Promise<void> => {
    try {
      const file = await backupNow(sqlite, opts.keep ?? 7, now());
      opts.log.info({ file }, 'store backup written');
    } catch (e) {
      opts.log.error({ err: e instanceof Error ? e.message : String(e) }, 'store backup failed');
    }
    schedule(interval, sqlite);
  };
  return {
    start() {
      if (store.engine !== 'sqlite') {
        // Not a failure: a team store's backups are someone else's job, said once.
        const policy = backupPolicy(store);
        if (!stopped && policy.by === 'server') opts.log.info({ backups: 'server' }, policy.note);
        return;
      }
      if (store.file === ':memory:' || handle !== null) return;
      const newest = listBackups(store.file)[0];
      const stamp = newest ? /^infrascope-(.+)\.db$/.exec(basename(newest))?.[1] : undefined;
      const last = stamp
        ? Date.parse(stamp.replace(/T(\d+)-(\d+)-(\d+)-(\d+)Z$/, 'T$1:$2:$3.$4Z'))
        : NaN;
      schedule(Number.isNaN(last) ? 60_000 : last + interval - now().getTime(), store);
    },
    dispose() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
    },
  };
}
