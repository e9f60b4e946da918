import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Channel, EventMap, EventName, Reply } from '../shared/contract.js';
import type { Core } from '../core/core.js';
import type { ExportLedger } from './desktop-actions.js';
import { isAppUrl } from './window.js';

/**
 * Channels the page may not call in the desktop: `snapshots:import` reads a path it names, and
 * there main reads only what its own open dialog returned (see desktop-actions.ts).
 */
const NOT_FROM_PAGE: ReadonlySet<string> = new Set<Channel>(['snapshots:import']);

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
  ledger?: ExportLedger,
): () => void {
  ipcMain.handle('infrascope:request', async (event, channel: unknown, input: unknown) => {
    const core = await coreOrOpening;
    if (!isTrustedSender(event)) {
      core.log.warn({ url: event.senderFrame?.url }, 'rejected IPC from an untrusted frame');
      return {
        ok: false,
        error: { code: 'FORBIDDEN', message: 'Request from an untrusted frame' },
      };
    }
    if (typeof channel === 'string' && NOT_FROM_PAGE.has(channel)) {
      return {
        ok: false,
        error: { code: 'FORBIDDEN', message: `${channel} is not available to the window` },
      };
    }
    const reply = await core.request(channel, input, { actor });
    // The file an export wrote, as the core reports it: the only paths "Show in folder" opens.
    if (ledger && channel === 'export:run' && reply.ok) {
      const result = (reply as Reply<'export:run'> & { ok: true }).result;
      ledger.record(result.exportId, result.file);
    }
    return reply;
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
