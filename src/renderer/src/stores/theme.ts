import { create } from 'zustand';
import { useUi } from './ui.js';
import { preferences } from './preferences.js';

/*
 * The theme preference: light, dark or follow the system. The shell's `useUi.theme` stays the
 * resolved theme that the document uses (the settings page sets it directly, which we honour as
 * an explicit choice).
 */

export type ThemePref = 'light' | 'dark' | 'system';
const KEY = 'infrascope.themePref';

function readPref(): ThemePref {
  try {
    const v = preferences.getItem(KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    // No storage: follow the system.
  }
  return 'system';
}

export function systemTheme(): 'light' | 'dark' {
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

interface ThemeState {
  readonly pref: ThemePref;
  setPref(pref: ThemePref): void;
}

function apply(pref: ThemePref): void {
  const theme = pref === 'system' ? systemTheme() : pref;
  if (useUi.getState().theme !== theme) {
    try {
      preferences.setItem('infrascope.theme', theme);
    } catch {
      // As above.
    }
    useUi.setState({ theme });
  }
}

export const useThemePref = create<ThemeState>((set) => ({
  pref: readPref(),
  setPref(pref) {
    try {
      preferences.setItem(KEY, pref);
    } catch {
      // As above.
    }
    set({ pref });
    apply(pref);
  },
}));

/** Follows the system theme while the preference says so; returns the cleanup. */
export function connectTheme(): () => void {
  apply(useThemePref.getState().pref);
  const mq = window.matchMedia?.('(prefers-color-scheme: light)');
  const onChange = (): void => {
    if (useThemePref.getState().pref === 'system') apply('system');
  };
  mq?.addEventListener('change', onChange);
  // A choice made elsewhere (the settings page) is an explicit preference.
  const off = useUi.subscribe((s, prev) => {
    if (s.theme === prev.theme) return;
    const pref = useThemePref.getState().pref;
    const expected = pref === 'system' ? systemTheme() : pref;
    if (s.theme !== expected) {
      try {
        preferences.setItem(KEY, s.theme);
      } catch {
        // As above.
      }
      useThemePref.setState({ pref: s.theme });
    }
  });
  return () => {
    mq?.removeEventListener('change', onChange);
    off();
  };
}
