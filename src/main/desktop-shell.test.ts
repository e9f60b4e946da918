import { EventEmitter } from 'node:events';
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import type { Core } from '../core/core.js';
import { createEventHub } from '../core/contract/handlers.js';
import { silentLogger } from '../core/logger.js';
import type { Logger } from '../core/logger.js';
import type { AppCommand } from '../shared/contract.js';
import { AppError } from '../shared/errors.js';
import { backgroundEnabled, installLifecycle, setBackground } from './lifecycle.js';
import type { MenuActions } from './menu.js';
import { buildMenuTemplate } from './menu.js';
import { describeStartupFailure, openOrExplain } from './startup.js';
import { describeStatus, startTray } from './tray.js';
import type { UpdaterLike } from './updater.js';
import { chooseFeed, startUpdater, validFeedUrl } from './updater.js';
import type { ShellStore } from './window-state.js';
import { readWindowState, restoreWindowState, trackWindowState } from './window-state.js';

/*
 * The desktop habits of the shell, with Electron's objects replaced by small doubles at the
 * edge: the menu template, window state, the tray, background mode and quitting, the start-up
 * failure dialog and the updater wiring. (Electron's binary cannot run here.)
 */

function memoryStore(
  initial: Record<string, unknown> = {},
): ShellStore & { data: Map<string, unknown> } {
  const data = new Map(Object.entries(initial));
  return { data, get: (k) => data.get(k), set: (k, v) => void data.set(k, v) };
}

type Item = MenuItemConstructorOptions;
function items(menu: Item[], label: string): Item[] {
  const top = menu.find((m) => m.label?.replace('&', '') === label);
  if (!top) throw new Error(`no menu ${label}`);
  return top.submenu as Item[];
}
function find(list: Item[], label: string): Item | undefined {
  return list.find((i) => i.label === label);
}

function actions(over: Partial<MenuActions> = {}): MenuActions & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    command: (c: AppCommand) => log.push(`command:${c}`),
    syncAll: () => log.push('syncAll'),
    openDocs: () => log.push('docs'),
    openLogFolder: () => log.push('logs'),
    about: () => log.push('about'),
    quit: () => log.push('quit'),
    background: { checked: true, set: (on) => log.push(`background:${on}`) },
    startAtLogin: { checked: false, set: (on) => log.push(`login:${on}`) },
    checkForUpdates: null,
    useLocalStore: null,
    ...over,
  };
}

const click = (item: Item | undefined, checked = false): void =>
  (item!.click as unknown as (i: { checked: boolean }) => void)({ checked });

describe('application menu', () => {
  it('has File, Edit, View, Window and Help with the usual accelerators, wired to existing actions', () => {
    const a = actions();
    const menu = buildMenuTemplate({ platform: 'linux', dev: false, actions: a });
    expect(menu.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
    const file = items(menu, 'File');
    expect(find(file, 'Export…')?.accelerator).toBe('CmdOrCtrl+E');
    expect(find(file, 'Import Snapshot…')?.accelerator).toBe('CmdOrCtrl+O');
    expect(find(file, 'Settings')?.accelerator).toBe('CmdOrCtrl+,');
    expect(find(file, 'E&xit')?.accelerator).toBe('Ctrl+Q');
    click(find(file, 'Export…'));
    click(find(file, 'Import Snapshot…'));
    click(find(file, 'Settings'));
    click(find(file, 'Sync All Now'));
    click(find(file, 'Keep Collecting When the Window Closes'), false);
    click(find(file, 'Start at Login'), true);
    click(find(file, 'E&xit'));
    const help = items(menu, 'Help');
    click(find(help, 'Documentation'));
    click(find(help, 'Open Log Folder'));
    click(find(help, 'About Infrascope'));
    click(find(items(menu, 'Edit'), 'Find…'));
    expect(a.log).toEqual([
      'command:export',
      'command:import-snapshot',
      'command:settings',
      'syncAll',
      'background:false',
      'login:true',
      'quit',
      'docs',
      'logs',
      'about',
      'command:search',
    ]);
    expect(
      items(menu, 'Edit')
        .map((i) => i.role)
        .filter(Boolean),
    ).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']);
  });

  it('offers Reload and DevTools only in development; zoom and full screen always', () => {
    const roles = (dev: boolean): unknown[] =>
      items(buildMenuTemplate({ platform: 'win32', dev, actions: actions() }), 'View').map(
        (i) => i.role,
      );
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).toEqual(
      expect.arrayContaining(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']),
    );
    expect(roles(true)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('on macOS puts About, Settings and Quit in the app menu', () => {
    const a = actions({ startAtLogin: null, checkForUpdates: () => a.log.push('update') });
    const menu = buildMenuTemplate({ platform: 'darwin', dev: false, actions: a });
    expect(menu.map((m) => m.label)).toEqual([
      'Infrascope',
      '&File',
      '&Edit',
      '&View',
      '&Window',
      '&Help',
    ]);
    const appMenu = items(menu, 'Infrascope');
    expect(find(appMenu, 'Quit Infrascope')?.accelerator).toBe('Cmd+Q');
    expect(find(appMenu, 'Settings…')?.accelerator).toBe('CmdOrCtrl+,');
    expect(find(appMenu, 'Start at Login')).toBeUndefined();
    click(find(appMenu, 'Check for Updates…'));
    expect(a.log).toEqual(['update']);
    expect(find(items(menu, 'File'), 'E&xit')).toBeUndefined();
  });
});

describe('window state', () => {
  const primary = { x: 0, y: 0, width: 1920, height: 1040 };
  const right = { x: 1920, y: 0, width: 2560, height: 1400 };

  it('restores size, place and maximized on a display that is still there', () => {
    const store = memoryStore({
      window: { x: 2100, y: 100, width: 1600, height: 1000, maximized: true },
    });
    expect(readWindowState(store, [primary, right], primary)).toEqual({
      x: 2100,
      y: 100,
      width: 1600,
      height: 1000,
      maximized: true,
    });
  });

  it('comes back centred on the primary display when its display went away', () => {
    const saved = { x: 2100, y: 100, width: 1600, height: 1000, maximized: false };
    expect(restoreWindowState(saved, [primary], primary)).toEqual({
      x: 260,
      y: 70,
      width: 1400,
      height: 900,
      maximized: false,
    });
  });

  it('moves a window half off screen back on, and shrinks one larger than the display', () => {
    expect(
      restoreWindowState(
        { x: 1500, y: 800, width: 1000, height: 700, maximized: false },
        [primary],
        primary,
      ),
    ).toEqual({ x: 920, y: 340, width: 1000, height: 700, maximized: false });
    const small = { x: 0, y: 0, width: 1280, height: 720 };
    expect(
      restoreWindowState(
        { x: 10, y: 10, width: 1900, height: 1000, maximized: false },
        [small],
        small,
      ),
    ).toEqual({ x: 0, y: 0, width: 1280, height: 720, maximized: false });
  });

  it('falls back on nothing saved or a damaged value', () => {
    for (const bad of [undefined, null, 'x', { width: 'a' }, { width: 800, height: 600 }]) {
      expect(restoreWindowState(bad, [primary], primary)).toMatchObject({
        width: 1400,
        height: 900,
      });
    }
  });

  it('saves the normal bounds and maximized state as the window changes', () => {
    vi.useFakeTimers();
    try {
      const win = Object.assign(new EventEmitter(), {
        getNormalBounds: () => ({ x: 5, y: 6, width: 1000, height: 700 }),
        isMaximized: (): boolean => false,
        isDestroyed: () => false,
      });
      const store = memoryStore();
      trackWindowState(win as never, store, 100);
      win.emit('resize');
      win.emit('resize');
      expect(store.data.has('window')).toBe(false);
      vi.advanceTimersByTime(100);
      expect(store.data.get('window')).toEqual({
        x: 5,
        y: 6,
        width: 1000,
        height: 700,
        maximized: false,
      });
      win.isMaximized = () => true;
      win.emit('maximize');
      expect(store.data.get('window')).toMatchObject({ maximized: true, width: 1000 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('background mode and quitting', () => {
  function fakeApp(): EventEmitter & { quit: ReturnType<typeof vi.fn> } {
    return Object.assign(new EventEmitter(), { quit: vi.fn() });
  }

  it('keeps running when the window closes (on by default), quits when turned off', () => {
    const app = fakeApp();
    const store = memoryStore();
    const showWindow = vi.fn();
    installLifecycle({ app: app as never, store, showWindow, dispose: () => null });
    expect(backgroundEnabled(store)).toBe(true);
    app.emit('window-all-closed');
    expect(app.quit).not.toHaveBeenCalled();
    setBackground(store, false);
    app.emit('window-all-closed');
    expect(app.quit).toHaveBeenCalledTimes(1);
    // macOS dock click and a second launch bring the window back.
    app.emit('activate');
    app.emit('second-instance');
    expect(showWindow).toHaveBeenCalledTimes(2);
  });

  it('quitting waits for the core to stop syncs and log out, then quits once', async () => {
    const app = fakeApp();
    let release: () => void = () => undefined;
    const dispose = vi.fn(() => new Promise<void>((r) => (release = r)));
    const afterDispose = vi.fn();
    installLifecycle({
      app: app as never,
      store: memoryStore(),
      showWindow: vi.fn(),
      dispose,
      afterDispose,
    });
    const event = { preventDefault: vi.fn() };
    app.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalled();
    expect(dispose).toHaveBeenCalledTimes(1);
    expect(app.quit).not.toHaveBeenCalled();
    release();
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(1));
    expect(afterDispose).toHaveBeenCalledTimes(1);
    // The second before-quit (from that quit) goes through.
    const again = { preventDefault: vi.fn() };
    app.emit('before-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
    expect(dispose).toHaveBeenCalledTimes(1);
  });
});

describe('tray', () => {
  function fakeCore(state: {
    failing: boolean;
    critical: number;
  }): Pick<Core, 'request' | 'events' | 'log'> {
    const events = createEventHub(silentLogger());
    return {
      events,
      log: silentLogger(),
      request: (channel) => {
        if (channel === 'endpoints:list') {
          return Promise.resolve({
            ok: true,
            result: [
              {
                enabled: true,
                status: { lastStatus: state.failing ? 'failed' : 'succeeded', circuitOpen: false },
              },
              { enabled: true, status: { lastStatus: 'succeeded', circuitOpen: false } },
            ],
          } as never);
        }
        return Promise.resolve({
          ok: true,
          result: {
            open: { critical: state.critical, warning: 3, info: 0 },
            snoozed: 0,
            entities: [],
          },
        } as never);
      },
    };
  }

  it('shows syncing, failing endpoints and open critical alerts, and offers Open / Sync all / Quit', async () => {
    const state = { failing: false, critical: 0 };
    const core = fakeCore(state);
    const tips: string[] = [];
    let menu: Item[] = [];
    const did: string[] = [];
    const tray = startTray({
      tray: {
        setToolTip: (t: string) => void tips.push(t),
        setContextMenu: () => undefined,
        on: () => undefined as never,
        destroy: () => did.push('destroyed'),
      } as never,
      buildMenu: (t) => {
        menu = t;
        return null as never;
      },
      core,
      open: () => did.push('open'),
      syncAll: () => did.push('sync'),
      quit: () => did.push('quit'),
    });
    await tray.refresh();
    expect(tips.at(-1)).toBe('Infrascope: all quiet');
    state.failing = true;
    state.critical = 2;
    core.events.emit('sync:progress', {
      endpointId: 1,
      endpoint: 'vc1',
      runId: 1,
      state: 'running',
      phase: 'collect',
    });
    await vi.waitFor(() =>
      expect(tips.at(-1)).toBe(
        'Infrascope: syncing 1 endpoint, 1 endpoint failing, 2 critical alerts open',
      ),
    );
    expect(menu[0]).toMatchObject({ label: tips.at(-1), enabled: false });
    click(find(menu, 'Open Infrascope'));
    click(find(menu, 'Sync All Now'));
    click(find(menu, 'Quit Infrascope'));
    tray.dispose();
    expect(did).toEqual(['open', 'sync', 'quit', 'destroyed']);
    expect(describeStatus({ syncing: 2, failing: 0, critical: 1 })).toBe(
      'Infrascope: syncing 2 endpoints, 1 critical alert open',
    );
  });
});

describe('start-up failure', () => {
  it('shows a dialog that says what happened, what to do and where the backups are', async () => {
    const showMessageBox = vi.fn(() => Promise.resolve({ response: 0, checkboxChecked: false }));
    const errors: unknown[] = [];
    const result = await openOrExplain(
      () =>
        Promise.reject(
          new AppError('DB_NEWER_THAN_APP', 'This store was upgraded by a newer Infrascope'),
        ),
      {
        dialog: { showMessageBox } as never,
        dataDir: '/data/infrascope',
        onError: (e) => errors.push(e),
      },
    );
    expect(result).toBeNull();
    expect(errors).toHaveLength(1);
    expect(showMessageBox).toHaveBeenCalledTimes(1);
    const opts = (showMessageBox.mock.calls[0] as unknown as [Electron.MessageBoxOptions])[0];
    expect(opts.type).toBe('error');
    expect(opts.message).toContain('upgraded by a newer Infrascope');
    expect(opts.detail).toMatch(/Install that version again/);
    expect(opts.detail).toContain('/data/infrascope/backups');
    expect(opts.detail).toContain('DB_NEWER_THAN_APP');
  });

  it('offers the way out the caller gives for this failure, and takes it only when chosen', async () => {
    const unreachable = new AppError('STORE_UNREACHABLE', 'no PostgreSQL answers at db:5432');
    for (const [response, taken] of [
      [0, 1],
      [1, 0],
    ] as const) {
      const showMessageBox = vi.fn(() => Promise.resolve({ response, checkboxChecked: false }));
      const run = vi.fn();
      const result = await openOrExplain(() => Promise.reject(unreachable), {
        dialog: { showMessageBox } as never,
        dataDir: '/d',
        fallback: (e) =>
          (e as AppError).code === 'STORE_UNREACHABLE'
            ? { label: 'Open the local store', run }
            : null,
      });
      expect(result).toBeNull();
      const opts = (showMessageBox.mock.calls[0] as unknown as [Electron.MessageBoxOptions])[0];
      expect(opts.buttons).toEqual(['Open the local store', 'Quit']);
      expect(opts.cancelId).toBe(1);
      expect(opts.detail).toMatch(/team store \(PostgreSQL\) does not answer/);
      expect(run).toHaveBeenCalledTimes(taken);
    }
    // No way out for this failure: Quit alone.
    const showMessageBox = vi.fn(() => Promise.resolve({ response: 0, checkboxChecked: false }));
    await openOrExplain(() => Promise.reject(new AppError('DISK_FULL', 'full')), {
      dialog: { showMessageBox } as never,
      dataDir: '/d',
      fallback: () => null,
    });
    const opts = (showMessageBox.mock.calls[0] as unknown as [Electron.MessageBoxOptions])[0];
    expect(opts.buttons).toEqual(['Quit']);
  });

  it('never rejects, even when no dialog can be shown; passes the core through when it opens', async () => {
    const failing = { showMessageBox: () => Promise.reject(new Error('no display')) };
    await expect(
      openOrExplain(() => Promise.reject(new Error('disk on fire')), {
        dialog: failing as never,
        dataDir: '/d',
      }),
    ).resolves.toBeNull();
    await expect(
      openOrExplain(() => Promise.resolve(42), { dialog: failing as never, dataDir: '/d' }),
    ).resolves.toBe(42);
    expect(describeStartupFailure(new AppError('DISK_FULL', 'full'), '/d').detail).toMatch(
      /Free some space/,
    );
    expect(describeStartupFailure(new Error('boom'), '/d').detail).toMatch(/Error code: INTERNAL/);
  });
});

describe('updater', () => {
  function fakeUpdater(): UpdaterLike & { feeds: unknown[]; checks: number } {
    const u = {
      autoDownload: false,
      autoInstallOnAppQuit: false,
      logger: null as unknown,
      feeds: [] as unknown[],
      checks: 0,
      setFeedURL(o: unknown) {
        u.feeds.push(o);
      },
      checkForUpdatesAndNotify() {
        u.checks++;
        return Promise.resolve(null);
      },
      on() {
        return u;
      },
    };
    return u;
  }
  const log = silentLogger() as Logger;

  it('is off until a feed is set, and never loads electron-updater then', async () => {
    const load = vi.fn(() => Promise.resolve(fakeUpdater()));
    const h = await startUpdater({
      feed: chooseFeed(undefined, () => null),
      load,
      log,
      packaged: true,
    });
    expect(h.feed).toEqual({ url: null, source: 'none' });
    expect(load).not.toHaveBeenCalled();
    await expect(h.check()).resolves.toBe(false);
  });

  it("points electron-updater at the user's generic feed and checks", async () => {
    const u = fakeUpdater();
    const h = await startUpdater({
      feed: chooseFeed('https://updates.example.com/infrascope/', () => null),
      load: () => Promise.resolve(u),
      log,
      packaged: true,
    });
    expect(u.feeds).toEqual([
      { provider: 'generic', url: 'https://updates.example.com/infrascope/' },
    ]);
    expect(u.autoDownload).toBe(true);
    expect(u.checks).toBe(1);
    await h.check();
    expect(u.checks).toBe(2);
  });

  it("lets an administrator's config file set (and override) the feed; refuses unsafe URLs", () => {
    const admin = JSON.stringify({ updateFeedUrl: 'https://mirror.corp.example/infrascope' });
    expect(chooseFeed('https://user.example/feed', () => admin)).toEqual({
      url: 'https://mirror.corp.example/infrascope',
      source: 'administrator',
    });
    expect(chooseFeed('https://user.example/feed', () => '{not json')).toEqual({
      url: 'https://user.example/feed',
      source: 'user',
    });
    for (const bad of [
      'http://updates.example.com/',
      'file:///etc/passwd',
      'https://u:p@x.example/',
      42,
      '',
    ]) {
      expect(validFeedUrl(bad)).toBeNull();
    }
    expect(validFeedUrl('http://127.0.0.1:8080/feed')).toBe('http://127.0.0.1:8080/feed');
  });

  it('stays off in development builds and when electron-updater is missing', async () => {
    const feed = chooseFeed('https://updates.example.com/', () => null);
    const load = vi.fn(() => Promise.resolve(fakeUpdater()));
    await startUpdater({ feed, load, log, packaged: false });
    expect(load).not.toHaveBeenCalled();
    const missing = await startUpdater({
      feed,
      load: () => Promise.resolve(null),
      log,
      packaged: true,
    });
    await expect(missing.check()).resolves.toBe(false);
  });
});
