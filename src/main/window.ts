// eng-disable AUXCLICK_JS_CHECK: middle-click and window.open both end in setWindowOpenHandler, which denies them.
import type { BrowserWindow as BrowserWindowType, Session } from 'electron';
import { BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { APP_ORIGIN } from './protocol.js';
import type { WindowState } from './window-state.js';
import { DEFAULT_SIZE, MIN_SIZE } from './window-state.js';

/** Denies every permission request (camera, notifications from the page, geolocation...). */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function isAppUrl(url: string): boolean {
  try {
    // URL.origin is "null" for custom schemes outside Electron, so compare the parts.
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/** The main window, at `state` (the restored size and place) or the default size. */
export function createMainWindow(
  outDir: string,
  state?: WindowState,
  icon?: string,
): BrowserWindowType {
  return openLockedWindow({
    // Our own bundled preload, which exposes only the contract (see src/preload).
    preload: join(outDir, 'preload', 'index.cjs'),
    allowed: isAppUrl,
    url: `${APP_ORIGIN}/index.html`,
    ...(state ? { state } : {}),
    ...(icon ? { icon } : {}),
  });
}

/** What differs between the app's windows; every security setting is the same for all. */
export interface LockedWindowOptions {
  /** The bundled preload of this window (src/preload): each exposes only its own bridge. */
  readonly preload: string;
  /** A session partition of its own (the team server's sign-in); the default session otherwise. */
  readonly partition?: string;
  /** The only URLs the window may navigate or redirect to. */
  readonly allowed: (url: string) => boolean;
  /** The page it opens. */
  readonly url: string;
  readonly state?: WindowState;
  readonly icon?: string;
}

/** A window with the locked-down preferences, kept on its own pages, shown at once. */
export function openLockedWindow(o: LockedWindowOptions): BrowserWindowType {
  const { state, icon } = o;
  // Every security-relevant setting is written out here, where Electronegativity (and a reader)
  // can see it; shell.test.ts asserts them on the options the window is built with.
  // Middle-click and window.open both end in setWindowOpenHandler below, which denies them.
  const win = new BrowserWindow({
    width: state?.width ?? DEFAULT_SIZE.width,
    height: state?.height ?? DEFAULT_SIZE.height,
    ...(state?.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    ...(icon ? { icon } : {}),
    title: 'Infrascope',
    backgroundColor: '#111418',
    webPreferences: {
      preload: o.preload, // eng-disable PRELOAD_JS_CHECK
      ...(o.partition ? { partition: o.partition } : {}),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      spellcheck: false,
      navigateOnDragDrop: false,
    },
  });
  lockDownSession(win.webContents.session);
  const contents = win.webContents;
  // Only its own pages: no navigation away, no new windows (links open in the OS browser).
  contents.on('will-navigate', (event, url) => {
    if (!o.allowed(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!o.allowed(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Only https links leave the app, to the OS browser; everything else is dropped.
    if (/^https:\/\//.test(url)) void shell.openExternal(url); // eng-disable OPEN_EXTERNAL_JS_CHECK
    return { action: 'deny' };
  });
  // Shown at once (not on ready-to-show): the page's start-up note is there while the store opens.
  if (state?.maximized) win.maximize();
  win.show();
  void win.loadURL(o.url);
  return win;
}
