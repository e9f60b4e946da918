import { create } from 'zustand';
import type { StoreStatus } from '../../../shared/app.js';
import { api } from '../transport.js';

/*
 * Keeps the renderer current. The core pushes `inventory:changed` for the syncs it runs itself;
 * a sync by another process (the CLI writing into the same store) sends nothing, so the renderer
 * also polls the cheap `inventory:version` token. The poll doubles as the connection heartbeat.
 * A team store can be unavailable while the core answers: `store:status` says so, and says when
 * it is back, which reloads what the pages show.
 */

export const POLL_MS = 3000;

interface LiveState {
  /** Bumps whenever the inventory changed; tables and panels refetch on it. */
  readonly tick: number;
  readonly online: boolean;
  readonly lastContact: number | null;
  readonly version: string | null;
  /** Whether the core's store answers (a team store can go away while the core runs). */
  readonly store: StoreStatus;
  bump(): void;
}

export const useLive = create<LiveState>((set) => ({
  tick: 0,
  online: true,
  lastContact: null,
  version: null,
  store: { state: 'available' },
  bump() {
    set((s) => ({ tick: s.tick + 1 }));
  },
}));

let started = false;

/** Starts the poll and the event subscription once; returns a stop function. */
export function startLive(pollMs = POLL_MS): () => void {
  if (started) return () => undefined;
  started = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  // A sync sends bursts of events; one refetch per burst is enough.
  const bumpSoon = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(() => useLive.getState().bump(), 250);
  };
  const off = api.on('inventory:changed', bumpSoon);
  const offStore = api.on('store:status', (store) => {
    const wasDown = useLive.getState().store.state === 'unavailable';
    useLive.setState({ store });
    if (wasDown && store.state === 'available') bumpSoon();
  });
  void api.invoke('app:storeStatus', {}).then(
    (store) => useLive.setState({ store }),
    () => undefined,
  );
  const poll = async (): Promise<void> => {
    try {
      const { version } = await api.invoke('inventory:version', {});
      const prev = useLive.getState();
      useLive.setState({ online: true, lastContact: Date.now(), version });
      if (prev.version !== null && prev.version !== version) bumpSoon();
      else if (!prev.online) bumpSoon();
    } catch {
      useLive.setState({ online: false });
    }
    if (!stopped) timer = setTimeout(() => void poll(), pollMs);
  };
  void poll();
  return () => {
    stopped = true;
    started = false;
    clearTimeout(timer);
    clearTimeout(debounce);
    off();
    offStore();
  };
}
