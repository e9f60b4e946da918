import {
  Menu,
  Tray,
  app,
  dialog,
  ipcMain,
  nativeImage,
  safeStorage,
  screen,
  session,
  shell,
} from 'electron';
import type { BrowserWindow } from 'electron';
import Store from 'electron-store';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCore } from '../core/core.js';
import type { Core } from '../core/core.js';
import { logDir, logFile, rotatingLogFile } from '../core/log-file.js';
import { createLogger } from '../core/logger.js';
import { readPreferences } from '../core/preferences/service.js';
import { readBasicTextOptIn } from '../core/vault/settings.js';
import type { VaultBackend } from '../core/vault/vault.js';
import type { AppCommand } from '../shared/contract.js';
import { createExportLedger, registerDesktopActions } from './desktop-actions.js';
import { ipcEventChannel } from '../shared/ipc-names.js';
import { forwardEvents, registerIpc } from './ipc.js';
import { backgroundEnabled, installLifecycle, setBackground } from './lifecycle.js';
import { buildMenuTemplate } from './menu.js';
import { handleAppProtocol, registerAppScheme } from './protocol.js';
import { openOrExplain } from './startup.js';
import type { StoreSource } from './store-setting.js';
import { chooseDesktopStore, writeStoreSetting } from './store-setting.js';
import type { StoreKeySource } from './store-key-setting.js';
import {
  chooseDesktopStoreKey,
  savedKeyFailed,
  writeStoreKeySetting,
} from './store-key-setting.js';
import { registerStoreKeyAction } from './store-key-action.js';
import { isPostgresLocation } from '../core/store/location.js';
import { probePostgres } from '../core/store/postgres.js';
import { startTray } from './tray.js';
import type { TeamClient } from './team-client.js';
import { createTeamClient } from './team-client.js';
import { TEAM_CLIENT_CHANNELS } from '../shared/team-client.js';
import { TEAM_PARTITION, openAppWindow } from './team-window.js';
import type { UpdaterHandle } from './updater.js';
import {
  UPDATE_FEED_PREFERENCE,
  adminConfigPath,
  chooseFeed,
  loadElectronUpdater,
  readIfExists,
  startUpdater,
} from './updater.js';
import { safeStorageVault } from './vault-safe-storage.js';
import type { ShellStore } from './window-state.js';
import { readWindowState, trackWindowState } from './window-state.js';
import { electronNotifier } from './notifier.js';
import { nativeBindingPath } from './native.js';

/*
 * The Electron shell: window, menu, tray, IPC bridge, safeStorage, single instance. Everything
 * the product does lives in the core; this file only wires it to Electron. The window appears
 * at once (its page shows a start-up note) while the store opens, migrates or recovers; the
 * page's first request waits for the core.
 */

const APP_ID = 'app.infrascope.desktop';
const DOCS_URL = 'https://infrascope.app/docs';

export async function bootstrap(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  // Windows ties notifications and the taskbar to this id (the installer's appId).
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');
  const iconDir = app.isPackaged
    ? join(process.resourcesPath, 'icons')
    : join(outDir, '..', 'build', 'icons');
  let win: BrowserWindow | null = null;
  let core: Core | null = null;
  let updater: UpdaterHandle | null = null;
  const shellStore = new Store({ name: 'shell' }) as unknown as ShellStore;
  // Set once the data folder is known (after ready): which the window shows, local or a team server.
  let team: TeamClient | null = null;

  const openWindow = (): BrowserWindow => {
    const primary = screen.getPrimaryDisplay().workArea;
    const areas = screen.getAllDisplays().map((d) => d.workArea);
    const state = readWindowState(shellStore, areas, primary);
    const icon = join(iconDir, '256x256.png');
    const w = openAppWindow(team?.connection() ?? null, {
      outDir,
      state,
      icon,
      saveFolder: () => app.getPath('documents'),
      onLoadFailed: (failure) => void team?.loadFailed(failure),
      log: { warn: (obj, msg) => logger?.warn(obj, msg) },
    });
    trackWindowState(w, shellStore);
    w.on('closed', () => {
      if (win === w) win = null;
    });
    return w;
  };
  /** Shows the other choice (local store or team server): the new window first, then the old goes. */
  const reopen = (): void => {
    const old = win;
    win = openWindow();
    if (old && !old.isDestroyed()) old.destroy();
    installMenu();
  };
  /** The local page's webContents; null while the window shows a team server (remote content). */
  const localContents = (): Electron.WebContents | null =>
    team?.connection() ? null : (win?.webContents ?? null);
  const showWindow = (): void => {
    if (!app.isReady()) return;
    if (!win) {
      win = openWindow();
      return;
    }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  const command = (c: AppCommand): void => {
    showWindow();
    // The team server's page gets the menu's commands through its own bridge (src/preload/team.ts).
    if (team?.connection()) win?.webContents.send(TEAM_CLIENT_CHANNELS.command, { command: c });
    else localContents()?.send(ipcEventChannel('app:command'), { command: c });
  };
  const syncAll = (): void => {
    void core
      ?.request('sync:start', {}, { actor: `desktop:${userInfo().username}`, host: 'desktop' })
      .then((r) => {
        if (!r.ok) core?.log.warn({ error: r.error }, 'sync all from the menu failed');
      });
  };

  let logOut: ReturnType<typeof rotatingLogFile> | null = null;
  let logger: ReturnType<typeof createLogger> | null = null;
  installLifecycle({
    app,
    store: shellStore,
    showWindow,
    dispose: () => {
      const c = core;
      core = null;
      return c ? c.dispose() : null;
    },
    afterDispose: () => logOut?.close(),
  });

  await app.whenReady();
  // Packaged, the Hyper-V scripts are extra resources beside the ASAR (build/electron-builder.yml).
  if (app.isPackaged) process.env['INFRASCOPE_RESOURCES_DIR'] ??= process.resourcesPath;
  const dataDir = process.env['INFRASCOPE_DATA_DIR'] ?? app.getPath('userData');
  logOut = rotatingLogFile({ file: logFile(dataDir, 'desktop') });
  const log = createLogger({ destination: logOut });
  logger = log;
  process.on('unhandledRejection', (e) => log.error({ err: String(e) }, 'unhandled rejection'));
  handleAppProtocol(join(outDir, 'renderer'));

  const loginItems = process.platform === 'win32' || process.platform === 'darwin';
  const installMenu = (): void =>
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        buildMenuTemplate({
          platform: process.platform,
          dev: !app.isPackaged,
          actions: {
            command,
            syncAll,
            // A constant https URL of our documentation, opened in the OS browser.
            openDocs: () => void shell.openExternal(DOCS_URL), // eng-disable OPEN_EXTERNAL_JS_CHECK
            openLogFolder: () => void shell.openPath(logDir(dataDir)),
            about: () => app.showAboutPanel(),
            quit: () => app.quit(),
            background: {
              checked: backgroundEnabled(shellStore),
              set: (on) => setBackground(shellStore, on),
            },
            startAtLogin: loginItems
              ? {
                  checked: app.getLoginItemSettings().openAtLogin,
                  set: (on) => app.setLoginItemSettings({ openAtLogin: on }),
                }
              : null,
            checkForUpdates: updater?.feed.url ? () => void updater?.check() : null,
            useLocalStore: team?.connection() ? () => void team?.leave() : null,
          },
        }),
      ),
    );
  installMenu();
  app.setAboutPanelOptions({ applicationName: 'Infrascope', applicationVersion: app.getVersion() });

  // The page's requests wait for the core; the window shows at once.
  let coreOpened: (c: Core) => void = () => undefined;
  const coreReady = new Promise<Core>((resolve) => {
    coreOpened = resolve;
  });
  const ledger = createExportLedger();
  const actor = `desktop:${userInfo().username}`;
  registerIpc(ipcMain, coreReady, actor);
  team = createTeamClient(ipcMain, {
    dataDir,
    dialog,
    log,
    reopen,
    quit: () => app.quit(),
    forget: () => session.fromPartition(TEAM_PARTITION).clearStorageData(),
  });
  win = openWindow();
  // Again now that the team choice is known: File → Use the Local Store while on a team server.
  installMenu();

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
    seal: (plain, aad) => current().seal(plain, aad),
    open: (cipher, aad) => current().open(cipher, aad),
    unbound: (cipher) => current().unbound?.(cipher) ?? false,
  };
  const relaunch = (): void => {
    app.relaunch();
    app.exit(0);
  };
  const saveStore = (location: string | null): void =>
    writeStoreSetting(dataDir, safeStorage, location);
  // What chose the store: only a choice saved in Settings (or an unreadable one) can be undone
  // from the failure dialog; INFRASCOPE_STORE and --store are the user's to change.
  let source: StoreSource | null = null;
  let keySource: StoreKeySource = 'none';
  const opened = await openOrExplain(
    () => {
      // Inside the guarded open: an unreadable setting is a startup failure with its way out.
      const choice = chooseDesktopStore({
        env: process.env,
        argv: process.argv,
        dataDir,
        sealer: safeStorage,
      });
      source = choice.source;
      // A team store's secrets key: the environment's, else the one given in Settings → Store.
      const team =
        choice.location !== undefined && isPostgresLocation(choice.location)
          ? chooseDesktopStoreKey({ env: process.env, dataDir, sealer: safeStorage })
          : null;
      keySource = team?.source ?? 'none';
      return createCore({
        dataDir,
        host: 'desktop',
        vault,
        log,
        notifier: electronNotifier(() => showWindow()),
        ...(binding ? { nativeBinding: binding } : {}),
        ...(choice.location ? { store: choice.location } : {}),
        storeKey: team?.key ?? null,
      });
    },
    {
      dialog,
      dataDir,
      onError: (e) => log.error({ err: String(e) }, 'the store could not be opened'),
      // A team store chosen in Settings that cannot be opened must not lock the user out, nor
      // must a key saved in Settings that cannot be used (its store still opens without it).
      fallback: (e) =>
        savedKeyFailed(e, process.env)
          ? {
              label: 'Open without the saved key',
              run: () => {
                writeStoreKeySetting(dataDir, safeStorage, null);
                relaunch();
              },
            }
          : source === null || source === 'settings'
            ? {
                label: 'Open the local store',
                run: () => {
                  saveStore(null);
                  relaunch();
                },
              }
            : null,
    },
  );
  if (!opened) {
    app.quit();
    return;
  }
  core = opened;
  allowBasicText = await readBasicTextOptIn(opened.store.db);
  coreOpened(opened);
  registerDesktopActions(ipcMain, {
    core: opened,
    dialog,
    shell,
    window: () => win,
    ledger,
    actor,
    saveFolder: () => app.getPath('documents'),
    storeSwitch: { probe: probePostgres, save: saveStore, relaunch },
  });
  registerStoreKeyAction(ipcMain, {
    core: opened,
    source: keySource,
    save: (input) => writeStoreKeySetting(dataDir, safeStorage, input),
    relaunch,
  });
  forwardEvents(opened, localContents);
  try {
    await opened.start();
  } catch (e) {
    log.error({ err: String(e) }, 'background services did not start');
  }

  const tray = startTray({
    tray: new Tray(nativeImage.createFromPath(join(iconDir, '32x32.png'))),
    buildMenu: (template) => Menu.buildFromTemplate(template),
    core: opened,
    open: showWindow,
    syncAll,
    quit: () => app.quit(),
  });
  app.on('will-quit', () => tray.dispose());

  const prefs = await readPreferences(opened.store.db);
  updater = await startUpdater({
    feed: chooseFeed(prefs[UPDATE_FEED_PREFERENCE], () => readIfExists(adminConfigPath()), log),
    load: loadElectronUpdater,
    log,
    packaged: app.isPackaged,
  });
  installMenu();
}

bootstrap().catch((e: unknown) => {
  dialog.showErrorBox('Infrascope cannot start', e instanceof Error ? e.message : String(e));
  app.exit(1);
});
