import type {
  Channel,
  DesktopStoreKey,
  EventMap,
  EventName,
  InfrascopeApi,
  PreloadBridge,
  Reply,
  RequestInput,
  RequestOutput,
} from '../../shared/contract.js';
import { AppError } from '../../shared/errors.js';
import type { ExportResult, ExportSaveRequest, SnapshotInfo } from '../../shared/export.js';
import { EXPORT_DOWNLOAD_PATH, SNAPSHOT_UPLOAD_PATH } from '../../shared/export.js';
import type { TeamClientBridge, TeamServerProbe } from '../../shared/team-client.js';
import { unwrapReply, unwrapResult } from '../../shared/transport.js';

/*
 * The renderer's only way to the core. In Electron the preload provides `window.infrascope`; in
 * `infrascope serve` the same contract travels over a WebSocket guarded by the run's token. The
 * rest of the renderer sees one `InfrascopeApi` and never knows which.
 */

declare global {
  interface Window {
    infrascope?: PreloadBridge;
    /** In the desktop app's window on a team server: the way back to the local store. */
    infrascopeTeam?: TeamClientBridge;
  }
}

function fromPreload(bridge: PreloadBridge): InfrascopeApi {
  return {
    invoke: async (channel, input) => unwrapReply(await bridge.request(channel, input)),
    on: (event, listener) => bridge.on(event, listener),
  };
}

type Listener = (payload: unknown) => void;

/** The serve run's token: from the URL serve printed (then hidden), or this tab's session. */
function serveToken(): string {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem('infrascope.token', fromUrl);
    // Keep the token out of the address bar and history once read.
    history.replaceState(null, '', location.pathname + location.hash);
  }
  return fromUrl ?? sessionStorage.getItem('infrascope.token') ?? '';
}

function fromWebSocket(token: string): InfrascopeApi {
  const pending = new Map<number, (reply: Reply<Channel>) => void>();
  const listeners = new Map<EventName, Set<Listener>>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;

  const open = (): Promise<WebSocket> => {
    if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
    if (opening) return opening;
    opening = new Promise<WebSocket>((resolve, reject) => {
      // On a team server the session cookie goes with the upgrade; the per-run token is local serve's.
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const query = token ? `?token=${encodeURIComponent(token)}` : '';
      const ws = new WebSocket(`${scheme}://${location.host}/api${query}`);
      ws.onopen = () => {
        socket = ws;
        opening = null;
        resolve(ws);
      };
      ws.onerror = () => {
        opening = null;
        reject(
          new AppError(
            'FORBIDDEN',
            'Cannot reach Infrascope. Open the URL that infrascope serve printed (it carries the token).',
          ),
        );
      };
      ws.onclose = () => {
        socket = null;
        for (const [id, done] of pending) {
          done({
            ok: false,
            error: {
              code: 'CONNECTION_LOST',
              message: 'The connection to infrascope serve closed',
            },
          });
          pending.delete(id);
        }
      };
      ws.onmessage = (msg: MessageEvent<string>) => {
        const data = JSON.parse(msg.data) as {
          id?: number;
          reply?: Reply<Channel>;
          event?: EventName;
          payload?: unknown;
        };
        if (data.event) {
          for (const l of listeners.get(data.event) ?? []) l(data.payload);
        } else if (typeof data.id === 'number' && data.reply) {
          pending.get(data.id)?.(data.reply);
          pending.delete(data.id);
        }
      };
    });
    return opening;
  };

  return {
    async invoke<C extends Channel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>> {
      const ws = await open();
      const id = nextId++;
      const reply = await new Promise<Reply<Channel>>((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, channel, input }));
      });
      return unwrapReply(reply as Reply<C>);
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const l = listener as Listener;
      set.add(l);
      void open().catch(() => undefined);
      return () => set.delete(l);
    },
  };
}

const token = window.infrascope ? '' : serveToken();
/** Whether this page holds local serve's per-run token (then there are no accounts). */
export const hasServeToken = token !== '';

/**
 * In the desktop app's window on a team server the menu's commands come from main through the
 * team bridge (the server sends none): `app:command` listens there.
 */
function withMenuCommands(base: InfrascopeApi, bridge: TeamClientBridge): InfrascopeApi {
  return {
    invoke: (channel, input) => base.invoke(channel, input),
    on: (event, listener) =>
      event === 'app:command'
        ? bridge.onCommand((command) => listener({ command } as EventMap[typeof event]))
        : base.on(event, listener),
  };
}

const teamBridge = window.infrascopeTeam;
const transport: InfrascopeApi = window.infrascope
  ? fromPreload(window.infrascope)
  : fromWebSocket(token);
export const api: InfrascopeApi = teamBridge ? withMenuCommands(transport, teamBridge) : transport;

/**
 * How a snapshot file gets imported: in the desktop main opens its own dialog and reads the file
 * the user picked; in `serve` the page uploads the bytes of a file chosen with `<input type=file>`.
 */
export type SnapshotImporter =
  | { readonly kind: 'dialog'; pick(importId: string): Promise<SnapshotInfo | null> }
  | { readonly kind: 'upload'; upload(file: File, importId: string): Promise<SnapshotInfo> };

async function uploadSnapshot(file: File, importId: string): Promise<SnapshotInfo> {
  let response: Response;
  try {
    response = await fetch(SNAPSHOT_UPLOAD_PATH, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/octet-stream',
        'X-Infrascope-Token': token,
        'X-Infrascope-Filename': encodeURIComponent(file.name),
        'X-Infrascope-Import-Id': importId,
      },
      body: file,
    });
  } catch (e) {
    throw new AppError(
      'CONNECTION_LOST',
      `The upload did not reach infrascope serve: ${String(e)}`,
    );
  }
  const reply = (await response.json().catch(() => null)) as Reply<'snapshots:import'> | null;
  if (!reply) throw new AppError('INTERNAL', `The upload failed (HTTP ${response.status})`);
  return unwrapReply(reply);
}

const desktop = window.infrascope?.desktop;

export const snapshotImporter: SnapshotImporter = desktop
  ? {
      kind: 'dialog',
      pick: async (importId) => unwrapResult(await desktop.importSnapshot(importId)),
    }
  : { kind: 'upload', upload: uploadSnapshot };

/**
 * Switches the desktop app's store (a postgres:// URL, or null for the local one) and restarts
 * it; desktop only (null in `serve`, whose store is its `--store`).
 */
export const switchStore: ((location: string | null) => Promise<void>) | null = desktop
  ? async (location) => {
      unwrapResult(await desktop.setStore(location));
    }
  : null;

/**
 * Settings → "Connect to a team server" (desktop, local store only): main looks at the server's
 * certificate, then trusts only the fingerprint the user confirmed or pinned, and shows its page.
 */
export const teamServerConnector: {
  probe(url: string): Promise<TeamServerProbe>;
  connect(url: string, fingerprint: string): Promise<{ origin: string }>;
} | null = desktop
  ? {
      probe: async (url) => unwrapResult(await desktop.probeTeamServer(url)),
      connect: async (url, fingerprint) =>
        unwrapResult(await desktop.connectTeamServer(url, fingerprint)),
    }
  : null;

/** The desktop app showing this team server's page: its way back to the local store. */
export const leaveTeamServer: (() => Promise<void>) | null = teamBridge
  ? () => teamBridge.leave()
  : null;

/**
 * Gives the desktop app the team store's key (pasted text or a key file path), or forgets it
 * (null), and restarts it; desktop only (null in `serve`, whose key is its host's environment).
 * Main answers only whether it took the key: it never sends a key back.
 */
export const setStoreKey: ((key: DesktopStoreKey | null) => Promise<void>) | null = desktop
  ? async (key) => {
      unwrapResult(await desktop.setStoreKey(key));
    }
  : null;

/** Shows an export's file in the OS file manager: desktop only (null in `serve`). */
export const showExportInFolder: ((exportId: string) => Promise<void>) | null = desktop
  ? async (exportId) => {
      unwrapResult(await desktop.showExportInFolder(exportId));
    }
  : null;

/**
 * Where an export goes; the page proposes a file name, never a path. In the desktop main opens
 * its own save dialog and writes where the user chose (`null`: cancelled); in `serve` the core
 * writes into the data folder's exports/ and the page downloads the file.
 */
export type ExportSaver =
  | {
      readonly kind: 'dialog';
      save(request: ExportSaveRequest): Promise<ExportResult | null>;
    }
  | {
      readonly kind: 'download';
      save(request: ExportSaveRequest): Promise<ExportResult>;
      /** Hands the browser the file of a finished export as a download. */
      download(result: ExportResult): Promise<void>;
    };

async function downloadExport(result: ExportResult): Promise<void> {
  let response: Response;
  try {
    response = await fetch(EXPORT_DOWNLOAD_PATH, {
      method: 'POST',
      headers: { 'X-Infrascope-Token': token, 'X-Infrascope-Export-Id': result.exportId },
    });
  } catch (e) {
    throw new AppError(
      'CONNECTION_LOST',
      `The download did not reach infrascope serve: ${String(e)}`,
    );
  }
  if (!response.ok) {
    const reply = (await response.json().catch(() => null)) as Reply<'export:save'> | null;
    if (reply && !reply.ok) unwrapReply(reply);
    throw new AppError('INTERNAL', `The download failed (HTTP ${response.status})`);
  }
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = result.file.split(/[\\/]/).pop() ?? 'export';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // After the click has handed the blob to the download.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

export const exportSaver: ExportSaver = desktop
  ? {
      kind: 'dialog',
      save: async (request) => unwrapResult(await desktop.saveExport(request)),
    }
  : {
      kind: 'download',
      save: (request) => api.invoke('export:save', request),
      download: downloadExport,
    };
