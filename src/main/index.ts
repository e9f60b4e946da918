import { app, dialog, ipcMain, safeStorage, shell } from 'electron';
import type { BrowserWindow } from 'electron';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/core.js';
import type { Core } from '../core/core.js';
import { logFile, rotatingLogFile } from '../core/log-file.js';
import { createLogger } from '../core/logger.js';
import { readBasicTextOptIn } from '../core/vault/settings.js';
import type { VaultBackend } from '../core/vault/vault.js';
import { createExportLedger, registerDesktopActions } from './desktop-actions.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { handleAppProtocol, registerAppScheme } from './protocol.js';
import { safeStorageVault } from './vault-safe-storage.js';
import { createMainWindow } from './window.js';
import { electronNotifier } from './notifier.js';
import { nativeBindingPath } from './native.js';

/*
 * The Electron shell: window, IPC bridge, safeStorage, single instance. Everything the product
 * does lives in the core; this file only wires it to Electron.
 */
export async function bootstrap(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  let win: BrowserWindow | null = null;
  let core: Core | null = null;
  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  await app.whenReady();
  // Packaged, the Hyper-V scripts are extra resources beside the ASAR (build/electron-builder.yml).
  if (app.isPackaged) process.env['INFRASCOPE_RESOURCES_DIR'] ??= process.resourcesPath;
  const dataDir = process.env['INFRASCOPE_DATA_DIR'] ?? app.getPath('userData');
  const log = createLogger({ destination: rotatingLogFile({ file: logFile(dataDir, 'desktop') }) });
  handleAppProtocol(join(outDir, 'renderer'));
  const binding = nativeBindingPath();
  // Weak (basic_text) storage is refused until the user opts in; the choice lives in the store,
  // which opens after the vault is handed to the core, so the vault reads it through a getter.
  let allowBasicText = false;
  const current = (): ReturnType<typeof safeStorageVault> =>
    safeStorageVault(safeStorage, { platform: process.platform, allowBasicText });
  const vault: VaultBackend = {
    get id() {
      return current().id;
    },
    get description() {
      return current().description;
    },
    canSeal: () => current().canSeal(),
    seal: (plain) => current().seal(plain),
    open: (cipher) => current().open(cipher),
  };
  core = await createCore({
    dataDir,
    host: 'desktop',
    vault,
    log,
    notifier: electronNotifier(() => {
      if (!win) return;
      if (win.isMinimized()) win.restore();
      win.focus();
    }),
    ...(binding ? { nativeBinding: binding } : {}),
  });
  allowBasicText = await readBasicTextOptIn(core.store.db);
  const ledger = createExportLedger();
  registerIpc(ipcMain, core, `desktop:${userInfo().username}`, ledger);
  registerDesktopActions(ipcMain, { core, dialog, shell, window: () => win, ledger });
  forwardEvents(core, () => win?.webContents ?? null);
  await core.start();
  win = createMainWindow(outDir);
  win.on('closed', () => {
    win = null;
  });
  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !core) return;
    // Stop syncs and log out of every endpoint before exiting: vCenter sessions linger otherwise.
    event.preventDefault();
    quitting = true;
    const c = core;
    core = null;
    void c.dispose().finally(() => app.quit());
  });
}

void bootstrap();
