import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { EventMap, EventName } from '../shared/contract.js';
import type { Core } from '../core/core.js';
import { isAppUrl } from './window.js';

/**
 * The one IPC handler: the sender frame must be our own top-level page (model: VS Code's
 * validatedIpcMain); the input is validated against the contract inside `core.request`.
 */
export function isTrustedSender(event: Pick<IpcMainInvokeEvent, 'senderFrame'>): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  if (frame.parent !== null) return false;
  return isAppUrl(frame.url);
}

export function registerIpc(ipcMain: IpcMain, core: Core, actor: string): () => void {
  ipcMain.handle('infrascope:request', async (event, channel: unknown, input: unknown) => {
    if (!isTrustedSender(event)) {
      core.log.warn({ url: event.senderFrame?.url }, 'rejected IPC from an untrusted frame');
      return {
        ok: false,
        error: { code: 'FORBIDDEN', message: 'Request from an untrusted frame' },
      };
    }
    return core.request(channel, input, { actor });
  });
  return () => ipcMain.removeHandler('infrascope:request');
}

/** Forwards the core's push events to one window. */
export function forwardEvents(core: Core, contents: () => WebContents | null): () => void {
  return core.events.subscribe(<E extends EventName>(event: E, payload: EventMap[E]) => {
    const wc = contents();
    if (wc && !wc.isDestroyed()) wc.send(`infrascope:event:${event}`, payload);
  });
}
