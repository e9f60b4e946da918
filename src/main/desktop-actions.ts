import type { BrowserWindow, Dialog, IpcMain, Shell } from 'electron';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DesktopReply } from '../shared/contract.js';
import { DESKTOP_CHANNELS } from '../shared/contract.js';
import { AppError, serializeError } from '../shared/errors.js';
import { isPostgresLocation, redactLocation } from '../core/store/location.js';
import type { ExportResult, SnapshotInfo } from '../shared/export.js';
import { IMPORT_ID, exportSaveSchema } from '../shared/export.js';
import type { Core } from '../core/core.js';
import { exportExtension } from '../core/export/capability.js';
import type { ExportLedger } from '../core/export/ledger.js';
import { createExportLedger } from '../core/export/ledger.js';
import { importSnapshotFile } from '../core/snapshots/upload.js';
import { isTrustedSender } from './ipc.js';

/*
 * The desktop actions that need the OS, handled in main so that no path ever comes from the
 * page: the import reads only the file the user picked in main's own open dialog, an export
 * writes only where the user chose in main's own save dialog (the page proposes a file name),
 * and "Show in folder" shows only a file main saw an export of this session write (the ledger).
 */

export type { ExportLedger };
export { createExportLedger };

export interface DesktopActionDeps {
  readonly core: Pick<Core, 'store' | 'log' | 'imports' | 'invoke'>;
  readonly dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;
  readonly shell: Pick<Shell, 'showItemInFolder'>;
  readonly window: () => BrowserWindow | null;
  readonly ledger: ExportLedger;
  /** Who the audit log names for the desktop user's exports. */
  readonly actor: string;
  /** The folder the save dialog starts in (the user's documents). */
  readonly saveFolder: () => string;
  /** Settings → Store: where the choice is checked, saved and acted on (main's index.ts). */
  readonly storeSwitch: StoreSwitch;
}

/** What switching the desktop's store needs from the shell. */
export interface StoreSwitch {
  /** Checks that a team store answers and may be opened by this app, changing nothing. */
  probe(location: string): Promise<unknown>;
  /** Saves the choice (null: the local store) for the next start. */
  save(location: string | null): void;
  /** Restarts the app, which opens the saved store. */
  relaunch(): void;
}

/** A store URL is short; anything longer is not one. */
const MAX_STORE_URL = 2048;

const EXPORT_ID = /^[A-Za-z0-9_-]{1,64}$/;

function refuse(message: string): DesktopReply<never> {
  return { ok: false, error: { code: 'FORBIDDEN', message } };
}

/** Registers the desktop actions' IPC handlers; returns their removal. */
export function registerDesktopActions(ipcMain: IpcMain, deps: DesktopActionDeps): () => void {
  const { core, ledger } = deps;
  ipcMain.handle(
    DESKTOP_CHANNELS.importSnapshot,
    async (event, importId: unknown): Promise<DesktopReply<SnapshotInfo | null>> => {
      if (!isTrustedSender(event)) return refuse('Request from an untrusted frame');
      const win = deps.window();
      const options: Electron.OpenDialogOptions = {
        title: 'Import a snapshot',
        buttonLabel: 'Import',
        properties: ['openFile'],
        filters: [
          { name: 'RVTools workbook or Infrascope snapshot', extensions: ['xlsx', 'gz'] },
          { name: 'All files', extensions: ['*'] },
        ],
      };
      const picked = win
        ? await deps.dialog.showOpenDialog(win, options)
        : await deps.dialog.showOpenDialog(options);
      const file = picked.filePaths[0];
      if (picked.canceled || file === undefined) return { ok: true, result: null };
      try {
        const id = typeof importId === 'string' && IMPORT_ID.test(importId) ? importId : undefined;
        const info = await core.imports.run(id, (ctl) =>
          importSnapshotFile(core.store, file, { name: basename(file), ...ctl }),
        );
        core.log.info({ id: info.id, origin: info.origin }, 'snapshot imported from a picked file');
        return { ok: true, result: info };
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
    },
  );
  ipcMain.handle(
    DESKTOP_CHANNELS.saveExport,
    async (event, request: unknown): Promise<DesktopReply<ExportResult | null>> => {
      if (!isTrustedSender(event)) return refuse('Request from an untrusted frame');
      const parsed = exportSaveSchema.strict().safeParse(request);
      if (!parsed.success) {
        return {
          ok: false,
          error: {
            code: 'VALIDATION',
            message: `Invalid export: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`,
          },
        };
      }
      const { fileName, ...selection } = parsed.data;
      const ext = exportExtension(selection.format, selection.types?.length);
      const name = fileName ?? `infrascope-export${ext}`;
      const options: Electron.SaveDialogOptions = {
        title: 'Save the export',
        buttonLabel: 'Save',
        // Only the proposed name's last part: the folder is the user's to choose.
        defaultPath: join(deps.saveFolder(), basename(name)),
        filters: [{ name: 'Export', extensions: [ext.slice(1)] }],
        properties: ['showOverwriteConfirmation', 'createDirectory'],
      };
      const win = deps.window();
      const picked = win
        ? await deps.dialog.showSaveDialog(win, options)
        : await deps.dialog.showSaveDialog(options);
      if (picked.canceled || !picked.filePath) return { ok: true, result: null };
      // The path comes from main's own dialog: main calls the core as the process itself.
      try {
        const result = await core.invoke(
          'export:run',
          { ...selection, out: picked.filePath },
          { actor: deps.actor, host: 'cli' },
        );
        ledger.record(result.exportId, result.file);
        return { ok: true, result };
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
    },
  );
  ipcMain.handle(
    DESKTOP_CHANNELS.showExportInFolder,
    (event, exportId: unknown): DesktopReply<{ shown: true }> => {
      if (!isTrustedSender(event)) return refuse('Request from an untrusted frame');
      const file =
        typeof exportId === 'string' && EXPORT_ID.test(exportId)
          ? ledger.fileOf(exportId)
          : undefined;
      if (file === undefined) {
        core.log.warn({ exportId: String(exportId).slice(0, 80) }, 'show-in-folder refused');
        return refuse('Only a file an export of this session wrote can be shown');
      }
      if (!existsSync(file)) {
        return { ok: false, error: { code: 'NOT_FOUND', message: `${file} no longer exists` } };
      }
      deps.shell.showItemInFolder(file);
      return { ok: true, result: { shown: true } };
    },
  );
  ipcMain.handle(
    DESKTOP_CHANNELS.setStore,
    async (event, location: unknown): Promise<DesktopReply<{ restarting: true }>> => {
      if (!isTrustedSender(event)) return refuse('Request from an untrusted frame');
      if (
        location !== null &&
        (typeof location !== 'string' || location.length === 0 || location.length > MAX_STORE_URL)
      ) {
        return {
          ok: false,
          error: {
            code: 'VALIDATION',
            message: 'A store is a postgres:// URL, or null for the local store',
          },
        };
      }
      try {
        if (location !== null) {
          if (!isPostgresLocation(location))
            throw new AppError('VALIDATION', 'A team store is a postgres:// or postgresql:// URL');
          await deps.storeSwitch.probe(location);
        }
        deps.storeSwitch.save(location);
      } catch (e) {
        return { ok: false, error: serializeError(e) };
      }
      core.log.info(
        { store: location === null ? 'local' : redactLocation(location) },
        'the desktop store was switched; restarting',
      );
      // The reply reaches the page before the app goes.
      setTimeout(() => deps.storeSwitch.relaunch(), 200);
      return { ok: true, result: { restarting: true } };
    },
  );
  return () => {
    ipcMain.removeHandler(DESKTOP_CHANNELS.setStore);
    ipcMain.removeHandler(DESKTOP_CHANNELS.importSnapshot);
    ipcMain.removeHandler(DESKTOP_CHANNELS.saveExport);
    ipcMain.removeHandler(DESKTOP_CHANNELS.showExportInFolder);
  };
}
