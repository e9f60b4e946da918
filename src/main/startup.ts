import type { Dialog } from 'electron';
import { join } from 'node:path';
import { BACKUP_DIR } from '../core/store/recovery.js';
import { logDir } from '../core/log-file.js';
import { serializeError } from '../shared/errors.js';

/*
 * When the store cannot be opened at start (a newer schema, a failed migration, a full disk, a
 * read-only folder), the user gets a dialog that says what happened, what to do and where the
 * backups are — never a silent exit or an unhandled rejection.
 */

export interface StartupFailure {
  readonly title: string;
  readonly message: string;
  readonly detail: string;
}

/** What went wrong, in words, with the next step for each kind of failure. */
export function describeStartupFailure(error: unknown, dataDir: string): StartupFailure {
  const e = serializeError(error);
  const backups = join(dataDir, BACKUP_DIR);
  const where =
    `\n\nData folder: ${dataDir}\nBackups (taken before every migration and daily): ${backups}` +
    `\nLogs: ${logDir(dataDir)}`;
  const advice: Record<string, string> = {
    DB_NEWER_THAN_APP:
      'A newer version of Infrascope has upgraded this data. Install that version again (or a newer one), or start this one with another data folder (INFRASCOPE_DATA_DIR).',
    MIGRATION_FAILED:
      'Upgrading the data failed and was rolled back, so nothing was lost. Report the log file with the error below; the copy taken before the upgrade is in the backups folder.',
    DISK_FULL:
      'The disk holding the data folder is full. Free some space and start Infrascope again.',
    STORE_READ_ONLY:
      'Infrascope cannot write to its data folder. Check that your account may write to it (and that the disk is not mounted read-only), then start again.',
    STORE_CORRUPT:
      'The data file is damaged and no backup could be restored. Move the damaged file aside and start again, or restore a file from the backups folder.',
    STORE_UNREACHABLE:
      'The team store (PostgreSQL) does not answer. Check that its server runs and that this machine can reach it, then start again; or open the local store.',
    STORE_AUTH_FAILED:
      'The team store refused the user or password. Choose the team store again in Settings with the right password, or open the local store.',
    STORE_DATABASE_MISSING:
      "The team store's database does not exist. Ask its administrator, or open the local store.",
    STORE_KEY_INVALID:
      'The team store key this app was given cannot be used. Give it again in Settings → Store (open without the saved key first), or correct INFRASCOPE_STORE_KEY or INFRASCOPE_STORE_KEY_FILE.',
    STORE_TLS_FAILED:
      'TLS to the team store failed. Check its certificate and the sslmode in the store URL, or open the local store.',
  };
  return {
    title: 'Infrascope cannot start',
    message: `Infrascope could not open its data: ${e.message}`,
    detail:
      (advice[e.code] ??
        'Something unexpected stopped Infrascope from opening its data. The log file has the details; start again, and report it if it happens again.') +
      `\n\nError code: ${e.code}` +
      where,
  };
}

/**
 * Opens the core and, if that fails, shows the failure dialog and resolves null (the caller
 * quits). Never rejects.
 */
export async function openOrExplain<T>(
  open: () => Promise<T>,
  deps: {
    readonly dialog: Pick<Dialog, 'showMessageBox'>;
    readonly dataDir: string;
    readonly onError?: (error: unknown) => void;
    /**
     * For this failure, a second button besides Quit (e.g. open the local store instead) and
     * what it does; null for none.
     */
    readonly fallback?: (
      error: unknown,
    ) => { readonly label: string; readonly run: () => void } | null;
  },
): Promise<T | null> {
  try {
    return await open();
  } catch (error) {
    deps.onError?.(error);
    const f = describeStartupFailure(error, deps.dataDir);
    const fallback = deps.fallback?.(error) ?? null;
    try {
      const { response } = await deps.dialog.showMessageBox({
        type: 'error',
        title: f.title,
        message: f.message,
        detail: f.detail,
        buttons: fallback ? [fallback.label, 'Quit'] : ['Quit'],
        defaultId: 0,
        cancelId: fallback ? 1 : 0,
        noLink: true,
      });
      if (fallback && response === 0) fallback.run();
    } catch {
      // No dialog possible (no display): the log has it; the caller still quits cleanly.
    }
    return null;
  }
}
