import { contextBridge, ipcRenderer } from 'electron';
import type { AppCommand } from '../shared/contract.js';
import type { TeamClientBridge } from '../shared/team-client.js';
import { TEAM_CLIENT_CHANNELS } from '../shared/team-client.js';

/*
 * The preload of the team server's window (remote content): the way back to the local store and
 * the desktop menu's commands, nothing else. The page talks to its server over the server's
 * WebSocket, as in a browser; the local store's contract (src/preload/index.ts) is never exposed
 * here.
 */

const team = {
  async leave(): Promise<void> {
    await ipcRenderer.invoke(TEAM_CLIENT_CHANNELS.leave);
  },
  onCommand(listener: (command: AppCommand) => void): () => void {
    // Only main sends on this channel (a page cannot send to itself through ipcRenderer).
    const wrapped = (_e: unknown, payload: { command: AppCommand }): void =>
      listener(payload.command);
    ipcRenderer.on(TEAM_CLIENT_CHANNELS.command, wrapped);
    return () => {
      ipcRenderer.removeListener(TEAM_CLIENT_CHANNELS.command, wrapped);
    };
  },
} satisfies TeamClientBridge;

contextBridge.exposeInMainWorld('infrascopeTeam', team);
