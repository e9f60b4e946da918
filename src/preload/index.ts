import { contextBridge, ipcRenderer } from 'electron';
import type {
  Channel,
  DesktopBridge,
  DesktopReply,
  DesktopStoreKey,
  EventMap,
  EventName,
  PreloadBridge,
  Reply,
  RequestInput,
} from '../shared/contract.js';
import { DESKTOP_CHANNELS, IPC_CHANNELS, ipcEventChannel } from '../shared/ipc-names.js';
import type { ExportResult, ExportSaveRequest, SnapshotInfo } from '../shared/export.js';
import { EVENT_NAMES } from '../shared/event-names.js';
import type { TeamServerProbe } from '../shared/team-client.js';

/*
 * Exposes the contract — and nothing else — as window.infrascope. ipcRenderer itself never
 * reaches the page. Replies cross the bridge as data ({ ok, result } | { ok: false, error }); the
 * renderer's transport turns errors back into typed AppErrors (class identity does not survive
 * contextBridge).
 */

const desktop = {
  importSnapshot(importId?: string): Promise<DesktopReply<SnapshotInfo | null>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.importSnapshot, importId) as Promise<
      DesktopReply<SnapshotInfo | null>
    >;
  },
  saveExport(request: ExportSaveRequest): Promise<DesktopReply<ExportResult | null>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.saveExport, request) as Promise<
      DesktopReply<ExportResult | null>
    >;
  },
  showExportInFolder(exportId: string): Promise<DesktopReply<{ shown: true }>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.showExportInFolder, exportId) as Promise<
      DesktopReply<{ shown: true }>
    >;
  },
  setStore(location: string | null): Promise<DesktopReply<{ restarting: true }>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.setStore, location) as Promise<
      DesktopReply<{ restarting: true }>
    >;
  },
  probeTeamServer(url: string): Promise<DesktopReply<TeamServerProbe>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.probeTeamServer, url) as Promise<
      DesktopReply<TeamServerProbe>
    >;
  },
  connectTeamServer(url: string, fingerprint: string): Promise<DesktopReply<{ origin: string }>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.connectTeamServer, url, fingerprint) as Promise<
      DesktopReply<{ origin: string }>
    >;
  },
  setStoreKey(key: DesktopStoreKey | null): Promise<DesktopReply<{ restarting: true }>> {
    return ipcRenderer.invoke(DESKTOP_CHANNELS.setStoreKey, key) as Promise<
      DesktopReply<{ restarting: true }>
    >;
  },
} satisfies DesktopBridge;

const bridge = {
  desktop,
  request<C extends Channel>(channel: C, input: RequestInput<C>): Promise<Reply<C>> {
    return ipcRenderer.invoke(IPC_CHANNELS.request, channel, input) as Promise<Reply<C>>;
  },
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void {
    if (!(EVENT_NAMES as readonly string[]).includes(event))
      throw new Error(`Unknown event ${String(event)}`);
    const wrapped = (_e: unknown, payload: EventMap[E]): void => listener(payload);
    ipcRenderer.on(ipcEventChannel(event), wrapped);
    return () => {
      ipcRenderer.removeListener(ipcEventChannel(event), wrapped);
    };
  },
} satisfies PreloadBridge;

contextBridge.exposeInMainWorld('infrascope', bridge);
