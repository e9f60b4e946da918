import { create } from 'zustand';
import type { DetailKind } from '../../../shared/details.js';

/** What the detail panel shows: an entity by kind, endpoint (id or name) and native id. */
export interface DetailTarget {
  readonly kind: DetailKind;
  readonly id: string;
  readonly endpointId?: number;
  readonly endpoint?: string;
  /** Shown while the details load. */
  readonly name?: string;
}

interface DetailsState {
  readonly target: DetailTarget | null;
  /** Earlier targets, for Back after following a link. */
  readonly trail: readonly DetailTarget[];
  open(target: DetailTarget): void;
  /** Follows a link from the open panel, keeping the way back. */
  follow(target: DetailTarget): void;
  back(): void;
  close(): void;
}

/** The detail side panel's state: which entity it shows and how we got there. */
export const useDetails = create<DetailsState>((set, get) => ({
  target: null,
  trail: [],
  open(target) {
    set({ target, trail: [] });
  },
  follow(target) {
    const current = get().target;
    set({ target, trail: current ? [...get().trail, current].slice(-20) : [] });
  },
  back() {
    const trail = get().trail;
    const prev = trail.at(-1);
    if (prev) set({ target: prev, trail: trail.slice(0, -1) });
  },
  close() {
    set({ target: null, trail: [] });
  },
}));
