import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { Core } from '../core/core.js';

const handlers = new Map<string, (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown>();
const windows: {
  options: Electron.BrowserWindowConstructorOptions;
  contents: FakeContents;
  maximized?: boolean;
  shown?: boolean;
}[] = [];

interface FakeContents {
  listeners: Map<string, (...args: unknown[]) => void>;
  openHandler?: (details: { url: string }) => { action: string };
  permission?: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void;
  loaded?: string;
}

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: Record<string, unknown>;
    constructor(options: Electron.BrowserWindowConstructorOptions) {
      const contents: FakeContents = { listeners: new Map() };
      windows.push({ options, contents });
      this.webContents = {
        session: {
          setPermissionRequestHandler: (fn: FakeContents['permission']) => {
            contents.permission = fn;
          },
          setPermissionCheckHandler: () => undefined,
        },
        on: (name: string, fn: (...args: unknown[]) => void) => contents.listeners.set(name, fn),
        setWindowOpenHandler: (fn: FakeContents['openHandler']) => {
          contents.openHandler = fn;
        },
      };
    }
    once(): void {}
    show(): void {
      windows.at(-1)!.shown = true;
    }
    maximize(): void {
      windows.at(-1)!.maximized = true;
    }
    loadURL(url: string): Promise<void> {
      windows.at(-1)!.contents.loaded = url;
      return Promise.resolve();
    }
  }
  return {
    BrowserWindow,
    shell: { openExternal: vi.fn(() => Promise.resolve()) },
    ipcMain: {},
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    net: { fetch: vi.fn() },
  };
});

const { createMainWindow } = await import('./window.js');
const { registerIpc, isTrustedSender } = await import('./ipc.js');

function fakeIpc(): IpcMain {
  return {
    handle: (channel: string, fn: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) =>
      handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as IpcMain;
}

function event(url: string, parent: unknown = null): IpcMainInvokeEvent {
  return { senderFrame: { url, parent } } as unknown as IpcMainInvokeEvent;
}

beforeEach(() => {
  handlers.clear();
  windows.length = 0;
});

describe('main window', () => {
  it('uses the locked-down web preferences', () => {
    createMainWindow('/x');
    const prefs = windows[0]!.options.webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      preload: '/x/preload/index.cjs',
    });
  });

  it('opens at once at the restored size and place, maximized when it was', () => {
    createMainWindow('/x', { x: 40, y: 50, width: 1200, height: 800, maximized: true });
    expect(windows[0]!.options).toMatchObject({ x: 40, y: 50, width: 1200, height: 800 });
    expect(windows[0]!.maximized).toBe(true);
    expect(windows[0]!.shown).toBe(true);
    createMainWindow('/x');
    expect(windows[1]!.options).toMatchObject({ width: 1400, height: 900 });
    expect(windows[1]!.options.x).toBeUndefined();
    expect(windows[1]!.maximized).toBeUndefined();
  });

  it('loads our custom protocol, denies navigation, new windows, webviews and permissions', () => {
    createMainWindow('/out');
    const { contents } = windows[0]!;
    expect(contents.loaded).toBe('app://infrascope/index.html');
    const nav = { preventDefault: vi.fn() };
    contents.listeners.get('will-navigate')!(nav, 'https://evil.example/');
    expect(nav.preventDefault).toHaveBeenCalled();
    const own = { preventDefault: vi.fn() };
    contents.listeners.get('will-navigate')!(own, 'app://infrascope/index.html#/vms');
    expect(own.preventDefault).not.toHaveBeenCalled();
    const web = { preventDefault: vi.fn() };
    contents.listeners.get('will-attach-webview')!(web);
    expect(web.preventDefault).toHaveBeenCalled();
    expect(contents.openHandler!({ url: 'https://docs.example/' })).toEqual({ action: 'deny' });
    let granted: boolean | undefined;
    contents.permission!(null, 'notifications', (ok) => {
      granted = ok;
    });
    expect(granted).toBe(false);
  });
});

describe('IPC bridge', () => {
  const calls: unknown[][] = [];
  const core = {
    request: (channel: unknown, input: unknown, ctx: unknown) => {
      calls.push([channel, input, ctx]);
      return Promise.resolve({ ok: true, result: 'fine' });
    },
    log: { warn: vi.fn() },
  } as unknown as Core;

  it('registers exactly one request channel', () => {
    registerIpc(fakeIpc(), core, 'desktop:tester');
    expect([...handlers.keys()]).toEqual(['infrascope:request']);
  });

  it('accepts our own top frame and passes the actor', async () => {
    registerIpc(fakeIpc(), core, 'desktop:tester');
    calls.length = 0;
    const reply = await handlers.get('infrascope:request')!(
      event('app://infrascope/index.html'),
      'app:info',
      {},
    );
    expect(reply).toEqual({ ok: true, result: 'fine' });
    expect(calls).toEqual([['app:info', {}, { actor: 'desktop:tester', host: 'desktop' }]]);
  });

  it("holds the window's first requests until the core has opened", async () => {
    let open: (c: Core) => void = () => undefined;
    registerIpc(fakeIpc(), new Promise<Core>((resolve) => (open = resolve)), 'desktop:tester');
    calls.length = 0;
    let replied = false;
    const reply = Promise.resolve(
      handlers.get('infrascope:request')!(event('app://infrascope/index.html'), 'app:info', {}),
    ).then((r) => {
      replied = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 0));
    expect(replied).toBe(false);
    open(core);
    await expect(reply).resolves.toEqual({ ok: true, result: 'fine' });
    expect(calls).toHaveLength(1);
  });

  it('refuses other origins and subframes without reaching the core', async () => {
    registerIpc(fakeIpc(), core, 'desktop:tester');
    calls.length = 0;
    for (const e of [
      event('https://evil.example/'),
      event('file:///etc/passwd'),
      event('app://infrascope/x', {}),
      { senderFrame: null } as unknown as IpcMainInvokeEvent,
    ]) {
      const reply = await handlers.get('infrascope:request')!(e, 'app:info', {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(calls).toEqual([]);
    expect(isTrustedSender(event('app://infrascope.evil/'))).toBe(false);
  });
});
