import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { EventMap, EventName } from '../shared/contract.js';
import { IPC_CHANNELS, ipcEventChannel } from '../shared/ipc-names.js';
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

/**
 * Registers the request channel. `core` may still be opening (a promise): the window shows at
 * once and its first requests wait for the store.
 */
export function registerIpc(
  ipcMain: IpcMain,
  coreOrOpening: Core | Promise<Core>,
  actor: string,
): () => void {
  ipcMain.handle(IPC_CHANNELS.request, async (event, channel: unknown, input: unknown) => {
    const core = await coreOrOpening;
    if (!isTrustedSender(event)) {
      core.log.warn({ url: event.senderFrame?.url }, 'rejected IPC from an untrusted frame');
      return {
        ok: false,
        error: { code: 'FORBIDDEN', message: 'Request from an untrusted frame' },
      };
    }
    // The contract says which channels the desktop page may call; the dispatcher enforces it.
    return core.request(channel, input, { actor, host: 'desktop' });
  });
  return () => ipcMain.removeHandler(IPC_CHANNELS.request);
}

/** Forwards the core's push events to one window. */
export function forwardEvents(core: Core, contents: () => WebContents | null): () => void {
  return core.events.subscribe(<E extends EventName>(event: E, payload: EventMap[E]) => {
    const wc = contents();
    if (wc && !wc.isDestroyed()) wc.send(ipcEventChannel(event), payload);
  });
}
