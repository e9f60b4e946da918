import { create } from 'zustand';
import { preferences } from './preferences.js';

export const PAGES = [
  'dashboard',
  'vms',
  'hosts',
  'clusters',
  'datastores',
  'networks',
  'resource-pools',
  'snapshots',
  'changes',
  'history',
  'alerts',
  'capacity',
  'endpoints',
  'activity',
  'users',
  'settings',
] as const;
export type Page = (typeof PAGES)[number];

export type Theme = 'light' | 'dark';

interface UiState {
  page: Page;
  theme: Theme;
  setPage(page: Page): void;
  toggleTheme(): void;
}

function initialTheme(): Theme {
  const saved = preferences.getItem('infrascope.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

function initialPage(): Page {
  const hash = location.hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(hash) ? (hash as Page) : 'vms';
}

export const useUi = create<UiState>((set, get) => ({
  page: initialPage(),
  theme: initialTheme(),
  setPage(page) {
    location.hash = `/${page}`;
    set({ page });
  },
  toggleTheme() {
    const theme = get().theme === 'dark' ? 'light' : 'dark';
    preferences.setItem('infrascope.theme', theme);
    set({ theme });
  },
}));
