import type { App } from 'electron';
import type { ShellStore } from './window-state.js';

/*
 * What closing the window and quitting do. With background collection on (the default) closing
 * the window leaves Infrascope running in the tray, still syncing and alerting; Quit (menu, tray,
 * Cmd+Q) stops the scheduler and logs out of every endpoint before the process exits.
 */

const BACKGROUND_KEY = 'background';

/** Background collection: on unless the user turned it off. */
export function backgroundEnabled(store: ShellStore): boolean {
  return store.get(BACKGROUND_KEY) !== false;
}

export function setBackground(store: ShellStore, on: boolean): void {
  store.set(BACKGROUND_KEY, on);
}

export interface LifecycleDeps {
  readonly app: Pick<App, 'on' | 'quit'>;
  readonly store: ShellStore;
  /** Shows (or re-creates) the main window: macOS dock click, a second launch. */
  readonly showWindow: () => void;
  /** Stops syncs and logs out of every endpoint; null until the core has opened. */
  readonly dispose: () => Promise<void> | null;
  /** Runs after dispose, right before the process exits (closes the log file...). */
  readonly afterDispose?: () => void;
}

/** Registers the app's window and quit handlers. */
export function installLifecycle(deps: LifecycleDeps): void {
  let quitting = false;
  let disposed = false;
  deps.app.on('window-all-closed', () => {
    if (quitting) return;
    if (!backgroundEnabled(deps.store)) deps.app.quit();
  });
  deps.app.on('activate', () => deps.showWindow());
  deps.app.on('second-instance', () => deps.showWindow());
  deps.app.on('before-quit', (event) => {
    quitting = true;
    if (disposed) return;
    const running = deps.dispose();
    if (running === null) {
      disposed = true;
      deps.afterDispose?.();
      return;
    }
    // Stop syncs and log out of every endpoint first: vCenter sessions linger otherwise.
    event.preventDefault();
    disposed = true;
    void running.finally(() => {
      deps.afterDispose?.();
      deps.app.quit();
    });
  });
}
