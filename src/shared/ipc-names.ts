import type { DesktopBridge, EventName } from './contract.js';

/*
 * The Electron IPC channel names main and the preload share. Dependency-free (types only), so the
 * sandboxed preload bundles no schemas.
 */

/** The one IPC channel every contract request travels on, and the prefix of push events. */
export const IPC_CHANNELS = {
  request: 'infrascope:request',
  eventPrefix: 'infrascope:event:',
} as const;

/** The IPC channel that carries push event `event` to the page. */
export function ipcEventChannel(event: EventName): string {
  return `${IPC_CHANNELS.eventPrefix}${event}`;
}

/** The IPC channels of the desktop actions (main handles them; the preload calls them). */
export const DESKTOP_CHANNELS = {
  importSnapshot: 'infrascope:desktop:import-snapshot',
  saveExport: 'infrascope:desktop:save-export',
  showExportInFolder: 'infrascope:desktop:show-export',
  setStore: 'infrascope:desktop:set-store',
  probeTeamServer: 'infrascope:desktop:probe-team-server',
  connectTeamServer: 'infrascope:desktop:connect-team-server',
  setStoreKey: 'infrascope:desktop:set-store-key',
} as const satisfies Record<keyof DesktopBridge, string>;
