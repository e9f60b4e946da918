import { create } from 'zustand';
import type { SyncProgressEvent } from '../../../shared/contract.js';
import type { EndpointDto } from '../../../shared/endpoints.js';
import { api } from '../transport.js';
import { errorText } from '../format.js';

interface EndpointsState {
  readonly endpoints: readonly EndpointDto[];
  readonly loaded: boolean;
  readonly error: string | null;
  /** The latest `sync:progress` of each endpoint, by id; terminal ones go on the next refresh. */
  readonly progress: Readonly<Record<number, SyncProgressEvent>>;
  refresh(): Promise<void>;
  applyProgress(event: SyncProgressEvent): void;
}

let generation = 0;

/** The endpoints as the core last described them, plus live sync progress. */
export const useEndpoints = create<EndpointsState>((set) => ({
  endpoints: [],
  loaded: false,
  error: null,
  progress: {},
  async refresh() {
    // A slower, older answer must not overwrite a newer one.
    const mine = ++generation;
    try {
      const endpoints = await api.invoke('endpoints:list', {});
      if (mine !== generation) return;
      set((s) => ({
        endpoints,
        loaded: true,
        error: null,
        progress: Object.fromEntries(
          Object.entries(s.progress).filter(([, p]) => p.state === 'running'),
        ),
      }));
    } catch (e) {
      if (mine !== generation) return;
      set({ loaded: true, error: errorText(e) });
    }
  },
  applyProgress(event) {
    set((s) => ({ progress: { ...s.progress, [event.endpointId]: event } }));
  },
}));

export function isTerminal(event: SyncProgressEvent): boolean {
  return event.state !== 'running';
}

/**
 * Keeps the store current: refetches on `endpoints:changed` and when a sync ends, and records
 * progress as it arrives. Returns the unsubscribe function (use it as an effect's cleanup).
 */
export function connectEndpointEvents(onProgress?: (event: SyncProgressEvent) => void): () => void {
  const { refresh, applyProgress } = useEndpoints.getState();
  const offChanged = api.on('endpoints:changed', () => void refresh());
  const offProgress = api.on('sync:progress', (event) => {
    applyProgress(event);
    if (isTerminal(event)) void refresh();
    onProgress?.(event);
  });
  void refresh();
  return () => {
    offChanged();
    offProgress();
  };
}

/** "vm 1,200 / 11,000": the phase and the real counts; the total only when the core knows it. */
export function progressText(event: SyncProgressEvent): string {
  const parts = [event.phase];
  if (event.done !== undefined) {
    parts.push(
      event.total !== undefined
        ? `${event.done.toLocaleString()} / ${event.total.toLocaleString()}`
        : event.done.toLocaleString(),
    );
  }
  return parts.join(' ');
}
