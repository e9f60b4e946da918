import BetterSqlite3 from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { OpenStoreOptions, Store } from './sqlite.js';
import { backupTo, openStore } from './sqlite.js';
import { isPostgresLocation } from './location.js';

/** What happened when the store at start was damaged, for the UI and CLI to tell the user. */
export interface RecoveryNotice {
  readonly reason: string;
  /** Where the damaged file was moved (kept for forensics, never deleted). */
  readonly movedTo: string;
  /** The backup restored, and when it was taken; null when none was usable (empty store). */
  readonly restoredFrom: string | null;
  readonly backupTakenAt: string | null;
  /** Everything written after this moment is lost until the endpoints are synced again. */
  readonly dataLostSince: string | null;
}

export interface RecoveredStore {
  readonly store: Store;
  readonly recovery: RecoveryNotice | null;
}

export const BACKUP_DIR = 'backups';

/** SQLite error codes that mean "this file is damaged", as opposed to busy, full or read-only. */
function isCorruption(e: unknown): boolean {
  if (e instanceof AppError) return e.code === 'STORE_CORRUPT';
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT_INDEX';
}

function checkedOk(file: string): boolean {
  try {
    const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    try {
      return db.pragma('integrity_check', { simple: true }) === 'ok';
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** Backups newest first, by the time stamp in their names. */
export function listBackups(dataFile: string): string[] {
  const dir = join(dirname(dataFile), BACKUP_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('infrascope-') && f.endsWith('.db'))
    .sort()
    .reverse()
    .map((f) => join(dir, f));
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/**
 * Opens the store; when the file is damaged, moves it aside, restores the newest backup that
 * passes `integrity_check` (through the online backup API) and says what was lost. Never loops,
 * never silently starts empty: the notice is returned for the host to show.
 */
export async function openStoreWithRecovery(
  opts: OpenStoreOptions,
  now = new Date(),
): Promise<RecoveredStore> {
  try {
    return { store: await openStore(opts), recovery: null };
  } catch (e) {
    if (!isCorruption(e) || opts.file === ':memory:' || isPostgresLocation(opts.file)) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    const corruptDir = join(dirname(opts.file), 'corrupt');
    mkdirSync(corruptDir, { recursive: true });
    const movedTo = join(corruptDir, `${basename(opts.file, '.db')}-${stamp(now)}.db`);
    renameSync(opts.file, movedTo);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(opts.file + suffix)) renameSync(opts.file + suffix, movedTo + suffix);
    }
    const good = listBackups(opts.file).find(checkedOk) ?? null;
    if (good) {
      const src = new BetterSqlite3(good, { readonly: true });
      try {
        await backupTo(src, opts.file);
      } finally {
        src.close();
      }
    }
    const store = await openStore(opts);
    const takenAt = good ? statSync(good).mtime.toISOString() : null;
    return {
      store,
      recovery: {
        reason,
        movedTo,
        restoredFrom: good,
        backupTakenAt: takenAt,
        dataLostSince: takenAt,
      },
    };
  }
}
