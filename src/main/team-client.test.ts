import { mkdtempSync, readFileSync, rmSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpcMain, IpcMainInvokeEvent, MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoreHarness } from '../../tests/doubles/core-harness.js';
import { makeCore } from '../../tests/doubles/core-harness.js';
import { makeSelfSigned } from '../../tests/doubles/self-signed.js';
import { serveSmallUi } from '../../tests/hardening/serve-fuzz.js';
import { addAccount } from '../core/accounts/accounts.js';
import type { ServeHandle } from '../core/serve/server.js';
import { selfSignedInDataDir } from '../core/serve/self-signed.js';
import type { DesktopReply } from '../shared/contract.js';
import { AppError } from '../shared/errors.js';
import { SESSION_COOKIE } from '../shared/roles.js';
import type { TeamServerConnection, TeamServerProbe } from '../shared/team-client.js';

/*
 * The desktop app as a team server's client, with Electron's objects replaced by doubles at the
 * edge and a real team server (serve in accounts mode over TLS with the self-signed certificate
 * `serve --tls-self-signed` makes) on the other side: the probe and trust on first use, a pin
 * that does not match, the pinned window's certificate check, its navigation and preferences,
 * the title naming who is signed in where, and the one click back to the local store.
 */

interface FakeSession {
  verify?: (
    request: { hostname: string; certificate: { data: string } },
    cb: (n: number) => void,
  ) => void;
  listeners: Map<string, (...args: unknown[]) => void>;
  cookie: string | null;
  cleared: number;
}
interface FakeWindow {
  options: Electron.BrowserWindowConstructorOptions;
  listeners: Map<string, (...args: unknown[]) => void>;
  winListeners: Map<string, (...args: unknown[]) => void>;
  openHandler?: (details: { url: string }) => { action: string };
  loaded?: string;
  title?: string;
  titled: Promise<string>;
  destroyed: boolean;
}

const partitions = new Map<string, FakeSession>();
const windows: FakeWindow[] = [];
const titleWaiters: ((t: string) => void)[] = [];

function fakeSession(): FakeSession {
  return { listeners: new Map(), cookie: null, cleared: 0 };
}

vi.mock('electron', () => {
  const sessionApi = (s: FakeSession): Record<string, unknown> => ({
    setPermissionRequestHandler: () => undefined,
    setPermissionCheckHandler: () => undefined,
    setCertificateVerifyProc: (fn: FakeSession['verify']) => {
      s.verify = fn;
    },
    removeAllListeners: (name: string) => s.listeners.delete(name),
    on: (name: string, fn: (...args: unknown[]) => void) => s.listeners.set(name, fn),
    cookies: {
      get: (filter: { url: string; name: string }) =>
        Promise.resolve(
          s.cookie && filter.name === SESSION_COOKIE
            ? [{ name: filter.name, value: s.cookie }]
            : [],
        ),
    },
    clearStorageData: () => {
      s.cleared += 1;
      return Promise.resolve();
    },
  });
  const partition = (name: string): FakeSession => {
    let s = partitions.get(name);
    if (!s) partitions.set(name, (s = fakeSession()));
    return s;
  };
  class BrowserWindow {
    webContents: Record<string, unknown>;
    private w: FakeWindow;
    constructor(options: Electron.BrowserWindowConstructorOptions) {
      const name = options.webPreferences?.partition ?? '(default)';
      let resolveTitle: (t: string) => void = () => undefined;
      this.w = {
        options,
        listeners: new Map(),
        winListeners: new Map(),
        titled: new Promise<string>((r) => (resolveTitle = r)),
        destroyed: false,
      };
      titleWaiters.push(resolveTitle);
      windows.push(this.w);
      const w = this.w;
      this.webContents = {
        session: sessionApi(partition(name)),
        on: (event: string, fn: (...args: unknown[]) => void) => w.listeners.set(event, fn),
        setWindowOpenHandler: (fn: FakeWindow['openHandler']) => {
          w.openHandler = fn;
        },
      };
    }
    on(event: string, fn: (...args: unknown[]) => void): void {
      this.w.winListeners.set(event, fn);
    }
    setTitle(title: string): void {
      // The first title is the one set before the page loaded; the next says what the server said.
      if (this.w.title !== undefined) titleWaiters[windows.indexOf(this.w)]?.(title);
      this.w.title = title;
    }
    isDestroyed(): boolean {
      return this.w.destroyed;
    }
    show(): void {}
    maximize(): void {}
    loadURL(url: string): Promise<void> {
      this.w.loaded = url;
      return Promise.resolve();
    }
  }
  return {
    BrowserWindow,
    session: { fromPartition: (name: string) => sessionApi(partition(name)) },
    shell: { openExternal: vi.fn(() => Promise.resolve()) },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    net: { fetch: vi.fn() },
  };
});

const { probeTeamServer, readTeamServerSetting, TEAM_SERVER_SETTING_FILE } =
  await import('./team-server.js');
const { createTeamClient } = await import('./team-client.js');
const { TEAM_PARTITION, openAppWindow } = await import('./team-window.js');
const { buildMenuTemplate } = await import('./menu.js');

let h: CoreHarness;
let serve: ServeHandle;
let certDir: string;
/** What `serve --tls-self-signed` made and printed. */
let made: { cert: string; fingerprint256: string };
const other = makeSelfSigned('127.0.0.1');
let plain: Server;
let plainPort = 0;

const origin = (): string => `https://127.0.0.1:${serve.port}`;

beforeAll(async () => {
  h = await makeCore();
  await addAccount(
    h.core.store.db,
    { name: 'alice', role: 'operator', password: 'alice password' },
    { actor: 'cli:test', at: new Date() },
  );
  certDir = mkdtempSync(join(tmpdir(), 'infrascope-serve-cert-'));
  const own = selfSignedInDataDir(certDir, ['127.0.0.1', 'localhost']);
  made = own;
  serve = await serveSmallUi(h.core, undefined, {
    tls: { cert: own.cert, key: own.key },
    loginBackoff: () => Promise.resolve(),
  });
  // An HTTPS server that is not Infrascope.
  plain = createServer({ cert: other.cert, key: other.key }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<h1>hello</h1>');
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  plainPort = (plain.address() as AddressInfo).port;
});
afterAll(async () => {
  await serve?.close();
  await h?.close();
  await new Promise((r) => plain?.close(r));
  rmSync(certDir, { recursive: true, force: true });
});

let dataDir: string;
beforeEach(() => {
  windows.length = 0;
  titleWaiters.length = 0;
  partitions.clear();
  dataDir = mkdtempSync(join(tmpdir(), 'infrascope-team-client-'));
  return () => rmSync(dataDir, { recursive: true, force: true });
});

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;
function fakeIpc(): IpcMain & { handlers: Map<string, Handler> } {
  const handlers = new Map<string, Handler>();
  return {
    handlers,
    handle: (channel: string, fn: Handler) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as IpcMain & { handlers: Map<string, Handler> };
}
function from(url: string, parent: unknown = null): IpcMainInvokeEvent {
  return { senderFrame: { url, parent } } as unknown as IpcMainInvokeEvent;
}
const LOCAL_PAGE = 'app://infrascope/index.html';

function client(over: { response?: number } = {}): {
  team: ReturnType<typeof createTeamClient>;
  ipc: ReturnType<typeof fakeIpc>;
  log: string[];
  dialogs: Electron.MessageBoxOptions[];
} {
  const ipc = fakeIpc();
  const log: string[] = [];
  const dialogs: Electron.MessageBoxOptions[] = [];
  const team = createTeamClient(ipc, {
    dataDir,
    dialog: {
      showMessageBox: (opts: Electron.MessageBoxOptions) => {
        dialogs.push(opts);
        return Promise.resolve({ response: over.response ?? 0, checkboxChecked: false });
      },
    } as never,
    log: { info: (_o, m) => log.push(`info:${m}`), warn: (_o, m) => log.push(`warn:${m}`) },
    reopen: () => log.push('reopen'),
    quit: () => log.push('quit'),
    forget: async () => {
      log.push('forget');
    },
    defer: (run) => run(),
  });
  return { team, ipc, log, dialogs };
}

async function call<T>(
  ipc: ReturnType<typeof fakeIpc>,
  channel: string,
  event: IpcMainInvokeEvent,
  ...args: unknown[]
): Promise<DesktopReply<T>> {
  return (await ipc.handlers.get(channel)!(event, ...args)) as DesktopReply<T>;
}

function windowOptions(): Parameters<typeof openAppWindow>[1] & { failures: unknown[] } {
  const failures: unknown[] = [];
  return {
    failures,
    outDir: '/out',
    saveFolder: () => '/home/me/Documents',
    onLoadFailed: (f) => failures.push(f),
    log: { warn: () => undefined },
  };
}

/** Signs in on the real server; the session cookie's value. */
function signIn(name: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${origin()}/auth/login`,
      { method: 'POST', ca: made.cert, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        const set = String(res.headers['set-cookie'] ?? '');
        const m = new RegExp(`${SESSION_COOKIE}=([^;]+)`).exec(set);
        if (res.statusCode === 200 && m) resolve(m[1]!);
        else reject(new Error(`sign-in answered ${res.statusCode}`));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ username: name, password }));
  });
}

describe('connecting to a team server', () => {
  it('shows for trust on first use the very fingerprint serve --tls-self-signed printed', async () => {
    const { ipc } = client();
    const reply = await call<TeamServerProbe>(
      ipc,
      'infrascope:desktop:probe-team-server',
      from(LOCAL_PAGE),
      `127.0.0.1:${serve.port}/some/page`,
    );
    expect(reply.ok).toBe(true);
    const probe = (reply as { result: TeamServerProbe }).result;
    expect(probe.fingerprint256).toBe(made.fingerprint256);
    expect(probe).toMatchObject({ origin: origin(), selfSigned: true, trustedByCa: false });
    expect(probe.subject).toContain('127.0.0.1');
    // Nothing is saved by looking.
    expect(existsSync(join(dataDir, TEAM_SERVER_SETTING_FILE))).toBe(false);
  });

  it('saves the confirmed server and its pin (0600) after checking it again, then shows it', async () => {
    const { team, ipc, log } = client();
    const reply = await call<{ origin: string }>(
      ipc,
      'infrascope:desktop:connect-team-server',
      from(LOCAL_PAGE),
      origin(),
      made.fingerprint256.replace(/:/g, '').toLowerCase(),
    );
    expect(reply).toEqual({ ok: true, result: { origin: origin() } });
    const file = join(dataDir, TEAM_SERVER_SETTING_FILE);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      origin: origin(),
      fingerprint256: made.fingerprint256,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(team.connection()).toEqual({ origin: origin(), fingerprint256: made.fingerprint256 });
    expect(log).toContain('reopen');
    // The next start shows the same server.
    expect(readTeamServerSetting(dataDir)).toEqual(team.connection());
  });

  it('refuses a pin the server does not match, and saves nothing', async () => {
    const { team, ipc, log } = client();
    const reply = await call(
      ipc,
      'infrascope:desktop:connect-team-server',
      from(LOCAL_PAGE),
      origin(),
      other.fingerprint256,
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'TLS_PIN_MISMATCH' } });
    const error = (reply as { error: { message: string } }).error;
    expect(error.message).toContain(made.fingerprint256);
    expect(existsSync(join(dataDir, TEAM_SERVER_SETTING_FILE))).toBe(false);
    expect(team.connection()).toBeNull();
    expect(log).not.toContain('reopen');
  });

  it('refuses what is not an Infrascope team server over https, and plain http', async () => {
    await expect(probeTeamServer(`https://127.0.0.1:${plainPort}`)).rejects.toMatchObject({
      code: 'PROTOCOL_ERROR',
    });
    await expect(probeTeamServer(`http://127.0.0.1:${serve.port}`)).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(probeTeamServer('https://bob:pw@127.0.0.1:1')).rejects.toBeInstanceOf(AppError);
  });

  it('takes the probe and the connect only from the local page', async () => {
    const { ipc } = client();
    for (const e of [from(`${origin()}/`), from(LOCAL_PAGE, {}), from('https://evil.example/')]) {
      expect(
        await call(ipc, 'infrascope:desktop:connect-team-server', e, origin(), made.fingerprint256),
      ).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      expect(await call(ipc, 'infrascope:desktop:probe-team-server', e, origin())).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    }
    expect(existsSync(join(dataDir, TEAM_SERVER_SETTING_FILE))).toBe(false);
  });

  it('shows the local store when the saved setting is unusable, and says why in the log', () => {
    writeFileSync(join(dataDir, TEAM_SERVER_SETTING_FILE), '{"version":1,"origin":"http://x"}');
    expect(() => readTeamServerSetting(dataDir)).toThrow(/cannot be used/);
    const { team, log } = client();
    expect(team.connection()).toBeNull();
    expect(log.some((l) => l.startsWith('warn:'))).toBe(true);
  });
});

describe("the team server's window", () => {
  const connection = (): TeamServerConnection => ({
    origin: origin(),
    fingerprint256: made.fingerprint256,
  });

  it('is locked down, in its own partition, with the leave-only preload and not the contract', () => {
    openAppWindow(connection(), windowOptions());
    const w = windows[0]!;
    expect(w.options.webPreferences).toMatchObject({
      partition: TEAM_PARTITION,
      preload: '/out/preload/team.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(w.options.webPreferences!.preload).not.toContain('index.cjs');
    expect(w.loaded).toBe(`${origin()}/`);
  });

  it("accepts for the server's host only the pinned certificate", () => {
    const o = windowOptions();
    openAppWindow(connection(), o);
    const verify = partitions.get(TEAM_PARTITION)!.verify!;
    const results: number[] = [];
    verify({ hostname: '127.0.0.1', certificate: { data: made.cert } }, (n) => results.push(n));
    verify({ hostname: '127.0.0.1', certificate: { data: other.cert } }, (n) => results.push(n));
    verify({ hostname: '127.0.0.1', certificate: { data: 'not a PEM' } }, (n) => results.push(n));
    // Another host: Chromium's own verification, never the pin's acceptance.
    verify({ hostname: 'cdn.example', certificate: { data: made.cert } }, (n) => results.push(n));
    expect(results).toEqual([0, -2, -2, -3]);
    // Once the pinned certificate is back, a failed load is no longer a changed certificate.
    verify({ hostname: '127.0.0.1', certificate: { data: made.cert } }, () => undefined);
    windows[0]!.listeners.get('did-fail-load')!({}, -102, 'ERR_CONNECTION_REFUSED', '', true);
    expect(o.failures).toMatchObject([{ certificateChanged: null }]);
  });

  it('reports a changed certificate when the page fails to load, and leaves from the dialog', async () => {
    const { team, log, dialogs } = client();
    await team.connect(origin(), made.fingerprint256);
    const o = windowOptions();
    openAppWindow(team.connection(), o);
    const w = windows[0]!;
    partitions.get(TEAM_PARTITION)!.verify!(
      { hostname: '127.0.0.1', certificate: { data: other.cert } },
      () => undefined,
    );
    w.listeners.get('did-fail-load')!({}, -202, 'ERR_CERT_AUTHORITY_INVALID', `${origin()}/`, true);
    // A retry Chromium answers from its cache (no new check) is still the changed certificate.
    w.listeners.get('did-fail-load')!({}, -202, 'ERR_CERT_AUTHORITY_INVALID', `${origin()}/`, true);
    expect(o.failures).toEqual(
      Array(2).fill({
        connection: connection(),
        certificateChanged: { seen: other.fingerprint256 },
        description: 'ERR_CERT_AUTHORITY_INVALID',
      }),
    );
    await team.loadFailed(o.failures[0] as never);
    expect(dialogs[0]!.title).toMatch(/certificate changed/);
    expect(dialogs[0]!.detail).toContain(other.fingerprint256);
    expect(dialogs[0]!.detail).toContain(made.fingerprint256);
    // "Use the local store" was chosen (response 0).
    expect(team.connection()).toBeNull();
    expect(existsSync(join(dataDir, TEAM_SERVER_SETTING_FILE))).toBe(false);
    expect(log.filter((l) => !l.includes(':')).slice(-2)).toEqual(['forget', 'reopen']);
  });

  it('offers to try again when the server does not answer', async () => {
    const { team, log, dialogs } = client({ response: 1 });
    await team.connect(origin(), made.fingerprint256);
    await team.loadFailed({
      connection: connection(),
      certificateChanged: null,
      description: 'ERR_CONNECTION_REFUSED',
    });
    expect(dialogs[0]!.buttons).toEqual(['Use the local store', 'Try again']);
    expect(team.connection()).not.toBeNull();
    expect(log.at(-1)).toBe('reopen');
  });

  it('stays on the server: other origins, redirects away and new windows are refused', () => {
    openAppWindow(connection(), windowOptions());
    const w = windows[0]!;
    const go = (event: string, url: string): boolean => {
      const e = { preventDefault: vi.fn() };
      w.listeners.get(event)!(e, url);
      return e.preventDefault.mock.calls.length === 0;
    };
    expect(go('will-navigate', `${origin()}/#/vms`)).toBe(true);
    expect(go('will-navigate', 'https://evil.example/')).toBe(false);
    expect(go('will-navigate', `https://127.0.0.1:${plainPort}/`)).toBe(false);
    expect(go('will-navigate', `https://x:y@127.0.0.1:${serve.port}/`)).toBe(false);
    expect(go('will-navigate', 'app://infrascope/index.html')).toBe(false);
    expect(go('will-redirect', 'https://evil.example/')).toBe(false);
    expect(w.openHandler!({ url: `${origin()}/x` })).toEqual({ action: 'deny' });
  });

  it('sends downloads of its pages through the save dialog and cancels any other', () => {
    openAppWindow(connection(), windowOptions());
    const onDownload = partitions.get(TEAM_PARTITION)!.listeners.get('will-download')!;
    const item = (url: string) => ({
      getURL: () => url,
      getFilename: () => '../../infrascope-export.xlsx',
      cancel: vi.fn(),
      setSaveDialogOptions: vi.fn(),
    });
    const ours = item(`blob:${origin()}/4f1c`);
    onDownload({}, ours);
    expect(ours.cancel).not.toHaveBeenCalled();
    expect(ours.setSaveDialogOptions).toHaveBeenCalledWith(
      expect.objectContaining({ defaultPath: '/home/me/Documents/infrascope-export.xlsx' }),
    );
    const foreign = item('https://evil.example/x.exe');
    onDownload({}, foreign);
    expect(foreign.cancel).toHaveBeenCalled();
  });

  it('says in its title which account is signed in on which server, as the server answers', async () => {
    openAppWindow(connection(), windowOptions());
    const w = windows[0]!;
    expect(w.title).toBe(`Infrascope — signed out @ 127.0.0.1:${serve.port}`);
    // The page's own <title> does not replace it.
    const e = { preventDefault: vi.fn() };
    w.winListeners.get('page-title-updated')!(e, 'Something else');
    expect(e.preventDefault).toHaveBeenCalled();
    partitions.get(TEAM_PARTITION)!.cookie = await signIn('alice', 'alice password');
    w.listeners.get('did-finish-load')!();
    expect(await w.titled).toBe(`Infrascope — alice @ 127.0.0.1:${serve.port}`);
  });

  it('a forged cookie names nobody', async () => {
    openAppWindow(connection(), windowOptions());
    const w = windows[0]!;
    partitions.get(TEAM_PARTITION)!.cookie = 'forged-session-value';
    w.listeners.get('did-finish-load')!();
    expect(await w.titled).toBe(`Infrascope — signed out @ 127.0.0.1:${serve.port}`);
  });
});

describe('back to the local store', () => {
  it("takes one click on the server's page: the setting goes and the local renderer opens", async () => {
    const { team, ipc, log } = client();
    await team.connect(origin(), made.fingerprint256);
    const store = join(dataDir, 'infrascope.db');
    writeFileSync(store, 'the local store');
    // Another origin, or a frame inside the page, may not do it.
    for (const e of [from('https://evil.example/'), from(`${origin()}/`, {})]) {
      expect(await call(ipc, 'infrascope:team:leave', e)).toMatchObject({ ok: false });
    }
    expect(team.connection()).not.toBeNull();
    expect(await call(ipc, 'infrascope:team:leave', from(`${origin()}/#/vms`))).toEqual({
      ok: true,
      result: null,
    });
    expect(team.connection()).toBeNull();
    expect(existsSync(join(dataDir, TEAM_SERVER_SETTING_FILE))).toBe(false);
    expect(log.filter((l) => !l.includes(':')).slice(-2)).toEqual(['forget', 'reopen']);
    // What reopen opens now: the local renderer, with the contract's preload.
    openAppWindow(team.connection(), windowOptions());
    expect(windows[0]!.loaded).toBe('app://infrascope/index.html');
    expect(windows[0]!.options.webPreferences).toMatchObject({
      preload: '/out/preload/index.cjs',
    });
    expect(windows[0]!.options.webPreferences!.partition).toBeUndefined();
    // The local store was never touched.
    expect(readFileSync(store, 'utf8')).toBe('the local store');
  });

  it('is in the File menu while a team server is shown', () => {
    const used: string[] = [];
    const base = {
      command: () => undefined,
      syncAll: () => undefined,
      openDocs: () => undefined,
      openLogFolder: () => undefined,
      about: () => undefined,
      quit: () => undefined,
      background: { checked: true, set: () => undefined },
      startAtLogin: null,
      checkForUpdates: null,
    };
    const file = (useLocalStore: (() => void) | null): MenuItemConstructorOptions[] =>
      buildMenuTemplate({ platform: 'linux', dev: false, actions: { ...base, useLocalStore } })[0]!
        .submenu as MenuItemConstructorOptions[];
    expect(file(null).find((i) => i.label === 'Use the Local Store')).toBeUndefined();
    const item = file(() => used.push('leave')).find((i) => i.label === 'Use the Local Store')!;
    (item.click as () => void)();
    expect(used).toEqual(['leave']);
  });
});
