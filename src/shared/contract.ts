import type { z } from 'zod';
import { accountChannels } from './accounts.js';
import type { AlertsChangedEvent, AlertsRaisedEvent, WebhookDelivery } from './alerts.js';
import { alertChannels } from './alerts.js';
import { appChannels } from './app.js';
import type { StoreStatus } from './app.js';
import type { CallerHost, ChannelSpec, Returns } from './channel.js';
import { detailChannels } from './details.js';
import { endpointChannels } from './endpoints.js';
import type { SerializedError } from './errors.js';
import type {
  ExportProgressEvent,
  ExportResult,
  ExportSaveRequest,
  SnapshotImportProgressEvent,
  SnapshotInfo,
} from './export.js';
import { exportChannels } from './export.js';
import { preferenceChannels } from './preferences.js';
import { inventoryChannels } from './query.js';
import { scheduleChannels } from './schedules.js';
import type { InventoryChangedEvent, SyncProgressEvent } from './sync.js';
import { syncChannels } from './sync.js';
import type { TeamServerProbe } from './team-client.js';

/*
 * The one contract between the core and every client (Electron preload, the serve bridge, the
 * CLI's in-process calls). Channels are `domain:verb`. Each capability declares its slice beside
 * its DTOs in `shared/` (input schema, output type, the hosts that may call it); this file merges
 * the slices. Each push event has a payload type.
 */

export type { AppInfo } from './app.js';
export type { CallerHost } from './channel.js';
export { CALLER_HOSTS } from './channel.js';
export type { InventoryChangedEvent, SyncProgressEvent, SyncStarted } from './sync.js';

/** Every request channel: the capabilities' slices merged. */
export const CONTRACT = {
  ...appChannels,
  ...inventoryChannels,
  ...detailChannels,
  ...endpointChannels,
  ...syncChannels,
  ...alertChannels,
  ...exportChannels,
  ...scheduleChannels,
  ...preferenceChannels,
  ...accountChannels,
} as const satisfies Record<`${string}:${string}`, ChannelSpec>;

export type Contract = typeof CONTRACT;
export type Channel = keyof Contract;
/** Every request channel's name, at run time. */
export const CHANNELS = Object.keys(CONTRACT) as Channel[];
/** What a caller sends (before defaults). */
export type RequestInput<C extends Channel> = z.input<Contract[C]['input']>;
/** The input after validation (defaults applied): what a handler gets. */
export type ParsedInput<C extends Channel> = z.output<Contract[C]['input']>;
export type RequestOutput<C extends Channel> =
  Contract[C]['output'] extends Returns<infer O> ? O : never;

/** Each channel's input schema (the contract's, by channel). */
export const requestSchemas = Object.fromEntries(CHANNELS.map((c) => [c, CONTRACT[c].input])) as {
  readonly [C in Channel]: Contract[C]['input'];
};

/** Whether callers of `host` may use `channel`: the rule every transport's dispatcher applies. */
export function allowedOn(channel: Channel, host: CallerHost): boolean {
  return CONTRACT[channel].hosts.includes(host);
}

/**
 * What the desktop app's menu and tray ask the page to do: open an existing dialog or page. Only
 * the Electron shell sends it (serve has no menu).
 */
export const APP_COMMANDS = ['export', 'import-snapshot', 'settings', 'search'] as const;
export type AppCommand = (typeof APP_COMMANDS)[number];

export interface EventMap {
  'sync:progress': SyncProgressEvent;
  'inventory:changed': InventoryChangedEvent;
  'endpoints:changed': { readonly ids: readonly number[] };
  'alerts:raised': AlertsRaisedEvent;
  'alerts:changed': AlertsChangedEvent;
  'webhooks:delivered': WebhookDelivery;
  'export:progress': ExportProgressEvent;
  'snapshots:importProgress': SnapshotImportProgressEvent;
  'app:command': { readonly command: AppCommand };
  'store:status': StoreStatus;
}
export type EventName = keyof EventMap;
export { EVENT_NAMES } from './event-names.js';
export { DESKTOP_CHANNELS, IPC_CHANNELS, ipcEventChannel } from './ipc-names.js';

/** The reply shape on every transport. */
export type Reply<C extends Channel> =
  { ok: true; result: RequestOutput<C> } | { ok: false; error: SerializedError };

/** What the preload exposes as `window.infrascope`, and what the serve bridge implements. */
export interface InfrascopeApi {
  invoke<C extends Channel>(channel: C, input: RequestInput<C>): Promise<RequestOutput<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}

/** A desktop action's reply: the same shape as `Reply`, for the few actions main owns. */
export type DesktopReply<T> = { ok: true; result: T } | { ok: false; error: SerializedError };

/**
 * Actions only the Electron main process can do, because they need the OS: it opens the file
 * dialog itself (so every path it reads came from the user, never from the page) and shows in
 * the file manager only files it saw an export produce.
 */
export interface DesktopBridge {
  /**
   * Opens the OS file dialog and imports the chosen file; `null` when the user cancelled the
   * dialog. `importId` names the run for `snapshots:importProgress` and `snapshots:cancelImport`.
   */
  importSnapshot(importId?: string): Promise<DesktopReply<SnapshotInfo | null>>;
  /**
   * Opens the OS save dialog (starting at the proposed `fileName`, a name and never a path) and
   * exports to the file the user chose; `null` when the user cancelled the dialog.
   */
  saveExport(request: ExportSaveRequest): Promise<DesktopReply<ExportResult | null>>;
  /** Shows the file the export `exportId` wrote in the OS file manager. */
  showExportInFolder(exportId: string): Promise<DesktopReply<{ shown: true }>>;
  /**
   * Switches the desktop app to a team store (a postgres:// URL, checked before it is saved) or
   * back to the local store (null), and restarts it onto that store.
   */
  setStore(location: string | null): Promise<DesktopReply<{ restarting: true }>>;
  /**
   * Looks at a team server (`https://host:port`) without trusting it yet: its certificate's
   * facts and SHA-256 fingerprint, for the user to confirm or compare with a pin.
   */
  probeTeamServer(url: string): Promise<DesktopReply<TeamServerProbe>>;
  /**
   * Connects the app to the team server at `url` trusting only the certificate `fingerprint`
   * (checked again first: a different one is refused): the window then shows the server's page.
   */
  connectTeamServer(url: string, fingerprint: string): Promise<DesktopReply<{ origin: string }>>;
  /**
   * Gives the desktop app the team store's key (pasted text, or a key file's path), checked
   * against the open team store and sealed by the OS before it is saved, or forgets it (null);
   * restarts so the core opens with it. The key only ever travels towards main.
   */
  setStoreKey(key: DesktopStoreKey | null): Promise<DesktopReply<{ restarting: true }>>;
}

/** The team store key as the Settings page gives it: its text (base64 or hex), or a key file. */
export type DesktopStoreKey = { readonly text: string } | { readonly file: string };

/** What the Electron preload exposes as `window.infrascope`: replies stay serialized across the bridge. */
export interface PreloadBridge {
  request<C extends Channel>(channel: C, input: RequestInput<C>): Promise<Reply<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  readonly desktop: DesktopBridge;
}

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CONTRACT, value);
}
