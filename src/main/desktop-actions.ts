import type { BrowserWindow, Dialog, IpcMain, Shell } from 'electron';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { DesktopReply } from '../shared/contract.js';
import { DESKTOP_CHANNELS } from '../shared/contract.js';
import { serializeError } from '../shared/errors.js';
import type { SnapshotInfo } from '../shared/export.js';
import { IMPORT_ID } from '../shared/export.js';
import type { Core } from '../core/core.js';
import { importSnapshotFile } from '../core/snapshots/upload.js';
import { isTrustedSender } from './ipc.js';

/*
 * The desktop actions that need the OS, handled in main so that no path ever comes from the
 * page: the import reads only the file the user picked in main's own open dialog, and "Show in
 * folder" shows only a file main saw an export of this session write (the ledger below).
 */

/** The files exports of this session wrote, by export id; main records them off the replies. */
export interface ExportLedger {
  record(exportId: string, file: string): void;
  fileOf(exportId: string): string | undefined;
}

/** Keeps the newest `max` exports (a session exports a handful; the bound is a guard). */
export function createExportLedger(max = 200): ExportLedger {
  const files = new Map<string, string>();
  return {
    record(exportId, file) {
      files.delete(exportId);
      files.set(exportId, file);
      if (files.size > max) files.delete(files.keys().next().value!);
    },
    fileOf: (exportId) => files.get(exportId),
  };
}

export interface DesktopActionDeps {
  readonly core: Pick<Core, 'store' | 'log' | 'imports'>;
  readonly dialog: Pick<Dialog, 'showOpenDialog'>;
  readonly shell: Pick<Shell, 'showItemInFolder'>;
  readonly window: () => BrowserWindow | null;
  readonly ledger: ExportLedger;
}

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
  return () => {
    ipcMain.removeHandler(DESKTOP_CHANNELS.importSnapshot);
    ipcMain.removeHandler(DESKTOP_CHANNELS.showExportInFolder);
  };
}
