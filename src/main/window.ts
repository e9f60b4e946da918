import type { BrowserWindow as BrowserWindowType, BrowserWindowConstructorOptions, Session } from 'electron';
import { BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { APP_ORIGIN } from './protocol.js';

/** Every security-relevant setting of the one window, in one place the tests read. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1400,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Infrascope',
    backgroundColor: '#111418',
    webPreferences: {
      preload: preloadPath,
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
  };
}

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

export function createMainWindow(outDir: string): BrowserWindowType {
  const win = new BrowserWindow(windowOptions(join(outDir, 'preload', 'index.cjs')));
  lockDownSession(win.webContents.session);
  const contents = win.webContents;
  // Only our own pages: no navigation away, no new windows (links open in the OS browser).
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}
