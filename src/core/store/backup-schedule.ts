import { basename } from 'node:path';
import type { Logger } from '../logger.js';
import { listBackups } from './recovery.js';
import type { SqliteStore } from './sqlite.js';
import { backupNow } from './sqlite.js';

export interface BackupScheduleOptions {
  readonly store: Pick<SqliteStore, 'sqlite' | 'file'>;
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
  const schedule = (ms: number): void => {
    if (stopped) return;
    handle = timers.setTimeout(() => void run(), Math.max(0, ms));
  };
  const run = async (): Promise<void> => {
    try {
      const file = await backupNow(opts.store, opts.keep ?? 7, now());
      opts.log.info({ file }, 'store backup written');
    } catch (e) {
      opts.log.error({ err: e instanceof Error ? e.message : String(e) }, 'store backup failed');
    }
    schedule(interval);
  };
  return {
    start() {
      if (opts.store.file === ':memory:' || handle !== null) return;
      const newest = listBackups(opts.store.file)[0];
      const stamp = newest ? /^infrascope-(.+)\.db$/.exec(basename(newest))?.[1] : undefined;
      const last = stamp
        ? Date.parse(stamp.replace(/T(\d+)-(\d+)-(\d+)-(\d+)Z$/, 'T$1:$2:$3.$4Z'))
        : NaN;
      schedule(Number.isNaN(last) ? 60_000 : last + interval - now().getTime());
    },
    dispose() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
    },
  };
}
