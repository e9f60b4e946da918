import type { InfrascopeApi } from '../../../shared/contract.js';

/*
 * Where the renderer keeps the user's preferences (table layouts, theme, scope). They live in
 * the core's settings (`preferences:get` / `preferences:set`), so the desktop app and `serve` on
 * any port see the same ones; the page's localStorage would change with serve's origin on every
 * run. Reads are synchronous from a copy loaded once before the app renders; writes update the
 * copy at once and reach the core shortly after (coalesced per key: dragging a column width
 * writes once, not per pixel).
 */

/** The synchronous storage the stores use: the shape of the part of `Storage` they need. */
export interface PreferenceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const cache = new Map<string, string>();
const pending = new Map<string, string | null>();
let core: Pick<InfrascopeApi, 'invoke'> | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
const FLUSH_MS = 250;

/** The keys the renderer stores; older builds kept them in localStorage. */
const PREFIX = 'infrascope.';
/** Not preferences: the serve run's token lives in sessionStorage, but never copy it anyway. */
const NOT_PREFERENCES = new Set(['infrascope.token']);

function localStorageOrNull(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Sends the queued writes to the core; returns when they are stored. */
export async function flushPreferences(): Promise<void> {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (!core) return;
  const writes = [...pending];
  pending.clear();
  await Promise.all(
    writes.map(([key, value]) =>
      core!.invoke('preferences:set', { key, value }).then(
        () => undefined,
        () => undefined, // A refused or lost write: the value lasts for this session.
      ),
    ),
  );
}

function queue(key: string, value: string | null): void {
  if (!core) {
    // No core (a unit test, or before connectPreferences): the page's own storage.
    const ls = localStorageOrNull();
    try {
      if (value === null) ls?.removeItem(key);
      else ls?.setItem(key, value);
    } catch {
      // Storage full or disabled: the value lasts for this session.
    }
    return;
  }
  pending.set(key, value);
  if (timer === null) timer = setTimeout(() => void flushPreferences(), FLUSH_MS);
}

export const preferences: PreferenceStorage = {
  getItem(key) {
    if (core) return cache.get(key) ?? null;
    try {
      return localStorageOrNull()?.getItem(key) ?? null;
    } catch {
      return null;
    }
  },
  setItem(key, value) {
    cache.set(key, value);
    queue(key, value);
  },
  removeItem(key) {
    cache.delete(key);
    queue(key, null);
  },
};

/**
 * Loads the preferences from the core before the app renders. The first time (the core has
 * none), the values an older build left in this page's localStorage are carried over. When the
 * core cannot be reached the app still starts, on defaults.
 */
export async function connectPreferences(api: Pick<InfrascopeApi, 'invoke'>): Promise<void> {
  let stored: Readonly<Record<string, string>>;
  try {
    stored = await api.invoke('preferences:get', {});
  } catch {
    return;
  }
  core = api;
  cache.clear();
  for (const [k, v] of Object.entries(stored)) cache.set(k, v);
  window.addEventListener('pagehide', () => void flushPreferences());
  if (cache.size > 0) return;
  const ls = localStorageOrNull();
  if (!ls) return;
  for (let i = 0; i < ls.length; i++) {
    const key = ls.key(i);
    if (key === null || !key.startsWith(PREFIX) || NOT_PREFERENCES.has(key)) continue;
    const value = ls.getItem(key);
    if (value !== null) preferences.setItem(key, value);
  }
}
