import type { IpcMain, IpcMainInvokeEvent } from 'electron';

/*
 * Electron's ipcMain for main-process tests: the handlers a module registers, called as the
 * page (`own`, the app's frame) or a foreign frame (`stranger`) would call them.
 */

type IpcHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

export const OWN_FRAME = { senderFrame: { url: 'app://infrascope/index.html', parent: null } };
export const STRANGER_FRAME = { senderFrame: { url: 'https://evil.example/', parent: null } };

export interface FakeIpc {
  readonly ipc: IpcMain;
  readonly handlers: Map<string, IpcHandler>;
  /** Calls `channel`'s handler as `event`'s frame with `args`. */
  call(channel: string, event: object, ...args: unknown[]): Promise<unknown>;
}

export function fakeIpc(): FakeIpc {
  const handlers = new Map<string, IpcHandler>();
  const ipc = {
    handle: (channel: string, fn: IpcHandler) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as IpcMain;
  return {
    ipc,
    handlers,
    call: (channel, event, ...args) =>
      Promise.resolve(handlers.get(channel)!(event as IpcMainInvokeEvent, ...args)),
  };
}
