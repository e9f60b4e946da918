import type { MenuItemConstructorOptions } from 'electron';
import type { AppCommand } from '../shared/contract.js';

/** What the menu's items do: each one is an existing page action or desktop action. */
export interface MenuActions {
  /** Asks the page to open one of its own dialogs or pages (`app:command`). */
  command(command: AppCommand): void;
  syncAll(): void;
  openDocs(): void;
  openLogFolder(): void;
  about(): void;
  quit(): void;
  /** The shell-only switches (electron-store), shown as checkboxes. */
  readonly background: { readonly checked: boolean; set(on: boolean): void };
  readonly startAtLogin: { readonly checked: boolean; set(on: boolean): void } | null;
  /** Checks for an update now; null while no update feed is configured. */
  readonly checkForUpdates: (() => void) | null;
  /** Leaves the team server the window shows for the local store; null while on the local store. */
  readonly useLocalStore: (() => void) | null;
}

export interface MenuOptions {
  readonly platform: NodeJS.Platform;
  /** Development build: Reload and DevTools are offered only then. */
  readonly dev: boolean;
  readonly actions: MenuActions;
}

/**
 * The application menu (File, Edit, View, Window, Help) with the usual accelerators. Electron's
 * default menu, with Reload and Toggle DevTools, never ships: the shell always installs this one.
 */
export function buildMenuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const mac = o.platform === 'darwin';
  const a = o.actions;
  const separator: MenuItemConstructorOptions = { type: 'separator' };
  const settings: MenuItemConstructorOptions = {
    label: mac ? 'Settings…' : 'Settings',
    accelerator: 'CmdOrCtrl+,',
    click: () => a.command('settings'),
  };
  const switches: MenuItemConstructorOptions[] = [
    {
      label: 'Keep Collecting When the Window Closes',
      type: 'checkbox',
      checked: a.background.checked,
      click: (item) => a.background.set(item.checked),
    },
    ...(a.startAtLogin
      ? [
          {
            label: 'Start at Login',
            type: 'checkbox' as const,
            checked: a.startAtLogin.checked,
            click: (item: Electron.MenuItem) => a.startAtLogin!.set(item.checked),
          },
        ]
      : []),
  ];
  const about: MenuItemConstructorOptions = { label: 'About Infrascope', click: () => a.about() };
  const updates: MenuItemConstructorOptions[] = a.checkForUpdates
    ? [{ label: 'Check for Updates…', click: () => a.checkForUpdates?.() }]
    : [];

  const appMenu: MenuItemConstructorOptions = {
    label: 'Infrascope',
    submenu: [
      about,
      ...updates,
      separator,
      settings,
      ...switches,
      separator,
      { role: 'services' },
      separator,
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      separator,
      { label: 'Quit Infrascope', accelerator: 'Cmd+Q', click: () => a.quit() },
    ],
  };
  const team: MenuItemConstructorOptions[] = a.useLocalStore
    ? [{ label: 'Use the Local Store', click: () => a.useLocalStore?.() }, separator]
    : [];
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      ...team,
      { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => a.command('export') },
      {
        label: 'Import Snapshot…',
        accelerator: 'CmdOrCtrl+O',
        click: () => a.command('import-snapshot'),
      },
      separator,
      { label: 'Sync All Now', accelerator: 'CmdOrCtrl+Shift+S', click: () => a.syncAll() },
      ...(mac
        ? [separator, { role: 'close' as const }]
        : [
            separator,
            settings,
            ...switches,
            separator,
            { label: 'E&xit', accelerator: 'Ctrl+Q', click: () => a.quit() },
          ]),
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
      separator,
      { label: 'Find…', accelerator: 'CmdOrCtrl+K', click: () => a.command('search') },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(o.dev
        ? [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }, separator]
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
    ],
  };
  const windowMenu: MenuItemConstructorOptions = {
    label: '&Window',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: '&Help',
    submenu: [
      { label: 'Documentation', click: () => a.openDocs() },
      { label: 'Open Log Folder', click: () => a.openLogFolder() },
      ...(mac ? [] : [separator, ...updates, about]),
    ],
  };
  return [...(mac ? [appMenu] : []), file, edit, view, windowMenu, help];
}
