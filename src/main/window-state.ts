import type { BrowserWindow, Rectangle } from 'electron';

/*
 * The main window's size, position and maximized state, kept in the shell's own electron-store
 * (shell-only state: serve and the CLI have no window) and restored at the next start — clamped
 * onto a display that is still there.
 */

export interface WindowState {
  readonly x?: number;
  readonly y?: number;
  readonly width: number;
  readonly height: number;
  readonly maximized: boolean;
}

/** The part of electron-store the shell uses; tests pass a Map-backed double. */
export interface ShellStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

export const DEFAULT_SIZE = { width: 1400, height: 900 } as const;
export const MIN_SIZE = { width: 900, height: 600 } as const;
const KEY = 'window';

function isRect(v: unknown): v is WindowState {
  const r = v as Partial<WindowState> | null;
  const n = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);
  return (
    typeof r === 'object' &&
    r !== null &&
    n(r.width) &&
    n(r.height) &&
    (r.x === undefined || n(r.x)) &&
    (r.y === undefined || n(r.y))
  );
}

/**
 * Where the window opens: the saved bounds when they still overlap a display's work area
 * (shrunk to fit it and moved fully onto it), else the default size centred on the primary
 * display — the display it was on went away (a laptop undocked) or the file is damaged.
 */
export function restoreWindowState(
  saved: unknown,
  workAreas: readonly Rectangle[],
  primary: Rectangle,
): WindowState {
  const fallback = (): WindowState => {
    const width = Math.min(DEFAULT_SIZE.width, primary.width);
    const height = Math.min(DEFAULT_SIZE.height, primary.height);
    return {
      x: primary.x + Math.round((primary.width - width) / 2),
      y: primary.y + Math.round((primary.height - height) / 2),
      width,
      height,
      maximized: false,
    };
  };
  if (!isRect(saved) || saved.x === undefined || saved.y === undefined) return fallback();
  const { x, y } = saved;
  const overlap = (a: Rectangle): number =>
    Math.max(0, Math.min(x + saved.width, a.x + a.width) - Math.max(x, a.x)) *
    Math.max(0, Math.min(y + saved.height, a.y + a.height) - Math.max(y, a.y));
  const best = [...workAreas].sort((p, q) => overlap(q) - overlap(p))[0];
  // A sliver on screen is not "there": at least a 100 × 50 corner must be visible.
  if (!best || overlap(best) < 100 * 50) return fallback();
  const width = Math.min(Math.max(saved.width, MIN_SIZE.width), best.width);
  const height = Math.min(Math.max(saved.height, MIN_SIZE.height), best.height);
  return {
    x: Math.min(Math.max(x, best.x), best.x + best.width - width),
    y: Math.min(Math.max(y, best.y), best.y + best.height - height),
    width,
    height,
    maximized: saved.maximized === true,
  };
}

export function readWindowState(
  store: ShellStore,
  workAreas: readonly Rectangle[],
  primary: Rectangle,
): WindowState {
  return restoreWindowState(store.get(KEY), workAreas, primary);
}

/**
 * Saves the window's normal (unmaximized) bounds and whether it is maximized as it moves,
 * resizes and closes; the write is coalesced so a drag writes once.
 */
export function trackWindowState(
  win: Pick<BrowserWindow, 'on' | 'getNormalBounds' | 'isMaximized' | 'isDestroyed'>,
  store: ShellStore,
  delayMs = 500,
): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const save = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    store.set(KEY, {
      x: b.x,
      y: b.y,
      width: b.width,
      height: b.height,
      maximized: win.isMaximized(),
    } satisfies WindowState);
  };
  const later = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(save, delayMs);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('maximize', save);
  win.on('unmaximize', save);
  win.on('close', save);
}
