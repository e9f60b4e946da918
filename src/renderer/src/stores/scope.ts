import { useMemo } from 'react';
import { create } from 'zustand';
import type { Scope } from '../../../shared/query.js';
import { preferences } from './preferences.js';

/*
 * The workspace scope: one endpoint and/or one tag that every inventory page, the dashboard and
 * the search honour. Kept across restarts with the user's preferences (see preferences.ts).
 */

const KEY = 'infrascope.scope';

interface ScopeState {
  readonly endpoint: string | null;
  readonly tag: string | null;
  set(next: { endpoint?: string | null; tag?: string | null }): void;
  clear(): void;
}

function read(): { endpoint: string | null; tag: string | null } {
  try {
    const v = JSON.parse(preferences.getItem(KEY) ?? '{}') as Record<string, unknown>;
    const text = (x: unknown): string | null =>
      typeof x === 'string' && x.length > 0 && x.length <= 200 ? x : null;
    return { endpoint: text(v['endpoint']), tag: text(v['tag']) };
  } catch {
    return { endpoint: null, tag: null };
  }
}

function save(endpoint: string | null, tag: string | null): void {
  try {
    preferences.setItem(KEY, JSON.stringify({ endpoint, tag }));
  } catch {
    // No storage: the scope lasts for this session.
  }
}

export const useScope = create<ScopeState>((set, get) => ({
  ...read(),
  set(next) {
    const endpoint = next.endpoint === undefined ? get().endpoint : next.endpoint || null;
    const tag = next.tag === undefined ? get().tag : next.tag || null;
    save(endpoint, tag);
    set({ endpoint, tag });
  },
  clear() {
    save(null, null);
    set({ endpoint: null, tag: null });
  },
}));

/** The query engine's `scope` for these choices, or undefined when nothing is scoped. */
export function toScope(endpoint: string | null, tag: string | null): Scope | undefined {
  if (endpoint === null && tag === null) return undefined;
  return { ...(endpoint !== null ? { endpoint } : {}), ...(tag !== null ? { tag } : {}) };
}

/** A short description for empty states and headers: "vc-lab · tag prod". */
export function describeScope(endpoint: string | null, tag: string | null): string {
  return [endpoint, tag === null ? null : `tag ${tag}`].filter((x) => x !== null).join(' · ');
}

/** The current scope as a query parameter; the same object while the choices do not change. */
export function useQueryScope(): Scope | undefined {
  const endpoint = useScope((s) => s.endpoint);
  const tag = useScope((s) => s.tag);
  return useMemo(() => toScope(endpoint, tag), [endpoint, tag]);
}
