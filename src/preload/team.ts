import { contextBridge, ipcRenderer } from 'electron';
import type { TeamClientBridge } from '../shared/team-client.js';
import { TEAM_CLIENT_CHANNELS } from '../shared/team-client.js';

/*
 * The preload of the team server's window (remote content): the way back to the local store and
 * nothing else. The page talks to its server over the server's WebSocket, as in a browser; the
 * local store's contract (src/preload/index.ts) is never exposed here.
 */

const team = {
  async leave(): Promise<void> {
    await ipcRenderer.invoke(TEAM_CLIENT_CHANNELS.leave);
  },
} satisfies TeamClientBridge;

contextBridge.exposeInMainWorld('infrascopeTeam', team);
