import { create } from 'zustand';
import type { StoreStatus } from '../../../shared/app.js';
import { api } from '../transport.js';

/*
 * Keeps the renderer current. The core pushes `inventory:changed` for the syncs it runs itself,
 * and on a team store for every other process's too (LISTEN/NOTIFY): `store:status` says so
 * (`changes: 'pushed'`), and then pushed events are all the renderer relies on. On SQLite a sync
 * by another process (the CLI writing into the same file) sends nothing, and a team store's
 * listener can be reconnecting: then (`changes: 'polled'`) the renderer polls the cheap
 * `inventory:version` token. When changes are pushed again after a gap, or the store is back
 * after being unavailable, the pages reload once: what happened meanwhile was not heard.
 * The poll doubles as the connection heartbeat; while changes are pushed the heartbeat asks only
 * for the store's status, which the core answers from memory.
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
  // Polled until the core says otherwise: nothing is missed before its first answer.
  store: { state: 'available', changes: 'polled' },
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
  let statusSeen = false;
  const storeStatus = (store: StoreStatus): void => {
    const prev = useLive.getState().store;
    useLive.setState({ store });
    // The first answer only says how things stand; after it, a gap ending means a reload.
    const first = !statusSeen;
    statusSeen = true;
    if (first) return;
    if (prev.state === 'unavailable' && store.state === 'available') bumpSoon();
    else if (prev.changes === 'polled' && store.changes === 'pushed') bumpSoon();
  };
  const offStore = api.on('store:status', storeStatus);
  // Pushed changes: a heartbeat that touches no table. Polled: the inventory's version token.
  const contact = async (): Promise<boolean> => {
    if (useLive.getState().store.changes === 'pushed') {
      storeStatus(await api.invoke('app:storeStatus', {}));
      return false;
    }
    const { version } = await api.invoke('inventory:version', {});
    const prev = useLive.getState().version;
    useLive.setState({ version });
    return prev !== null && prev !== version;
  };
  const poll = async (): Promise<void> => {
    try {
      const changed = await contact();
      const wasOffline = !useLive.getState().online;
      useLive.setState({ online: true, lastContact: Date.now() });
      if (changed || wasOffline) bumpSoon();
    } catch {
      useLive.setState({ online: false });
    }
    if (!stopped) timer = setTimeout(() => void poll(), pollMs);
  };
  // How changes reach this page decides the first contact: no version poll on a team store.
  void api
    .invoke('app:storeStatus', {})
    .then(storeStatus, () => undefined)
    .then(() => poll());
  return () => {
    stopped = true;
    started = false;
    clearTimeout(timer);
    clearTimeout(debounce);
    off();
    offStore();
  };
}
