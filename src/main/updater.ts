import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
export { UPDATE_FEED_PREFERENCE } from '../shared/preferences.js';

/*
 * Updates through electron-updater from a generic feed (a folder of installers and the
 * latest*.yml electron-builder writes beside them). Off until a feed is set: by an administrator
 * (a config file, which wins) or by the user (the shell store). electron-updater checks what it
 * downloads as it always does: the SHA-512 in the feed's yml, and on Windows the installer's
 * Authenticode publisher against the running app's.
 */

/** The part of electron-updater's `autoUpdater` the shell drives. */
export interface UpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  logger: unknown;
  setFeedURL(options: { provider: 'generic'; url: string; channel?: string }): void;
  checkForUpdatesAndNotify(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Where an administrator's config file lives, per platform. */
export function adminConfigPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'win32')
    return join(env['ProgramData'] ?? 'C:\\ProgramData', 'Infrascope', 'config.json');
  if (platform === 'darwin') return '/Library/Application Support/Infrascope/config.json';
  return '/etc/infrascope/config.json';
}

/** A feed must be an https URL (http only on loopback, for a local test feed). */
export function validFeedUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  try {
    const u = new URL(value);
    const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost';
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) return null;
    if (u.username || u.password) return null;
    return u.toString();
  } catch {
    return null;
  }
}

export interface FeedChoice {
  readonly url: string | null;
  readonly source: 'administrator' | 'user' | 'none';
}

/**
 * The feed to use: the administrator's `updateFeedUrl` when their config file sets one (users
 * cannot override it), else the user's, else none (updates off).
 */
export function chooseFeed(
  userValue: unknown,
  readAdminFile: () => string | null,
  log?: Pick<Logger, 'warn'>,
): FeedChoice {
  const text = readAdminFile();
  if (text !== null) {
    try {
      const admin = validFeedUrl((JSON.parse(text) as { updateFeedUrl?: unknown }).updateFeedUrl);
      if (admin) return { url: admin, source: 'administrator' };
    } catch {
      log?.warn('the administrator config file is not valid JSON; ignored');
    }
  }
  const user = validFeedUrl(userValue);
  return user ? { url: user, source: 'user' } : { url: null, source: 'none' };
}

/** Reads a file, or null when it is not there. */
export function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export interface UpdaterHandle {
  readonly feed: FeedChoice;
  /** Checks now; resolves false when updates are off or the check failed (logged). */
  check(): Promise<boolean>;
}

/**
 * Points electron-updater at the feed and checks once; does nothing while no feed is set.
 * `load` returns the updater (electron-updater's `autoUpdater`), or null when it is not
 * installed (development checkouts), which also leaves updates off.
 */
export async function startUpdater(deps: {
  readonly feed: FeedChoice;
  readonly load: () => Promise<UpdaterLike | null>;
  readonly log: Logger;
  readonly packaged: boolean;
}): Promise<UpdaterHandle> {
  const off: UpdaterHandle = { feed: deps.feed, check: () => Promise.resolve(false) };
  if (deps.feed.url === null) {
    deps.log.info('updates are off: no update feed is set');
    return off;
  }
  if (!deps.packaged) {
    deps.log.info('updates are off in a development build');
    return off;
  }
  let updater: UpdaterLike | null;
  try {
    updater = await deps.load();
  } catch (e) {
    deps.log.warn({ err: String(e) }, 'electron-updater could not be loaded; updates are off');
    return off;
  }
  if (!updater) return off;
  const u = updater;
  u.logger = deps.log;
  u.autoDownload = true;
  u.autoInstallOnAppQuit = true;
  u.setFeedURL({ provider: 'generic', url: deps.feed.url });
  u.on('error', (e) => deps.log.warn({ err: e.message }, 'update check failed'));
  const handle: UpdaterHandle = {
    feed: deps.feed,
    check: async () => {
      try {
        await u.checkForUpdatesAndNotify();
        return true;
      } catch (e) {
        deps.log.warn({ err: String(e) }, 'update check failed');
        return false;
      }
    },
  };
  deps.log.info({ feed: deps.feed.url, source: deps.feed.source }, 'updates from a generic feed');
  await handle.check();
  return handle;
}

/**
 * Loads electron-updater's `autoUpdater` if the package is installed. The name is a variable so
 * that neither the build nor the type check requires it; see the README (Updates).
 */
export async function loadElectronUpdater(): Promise<UpdaterLike | null> {
  const name = 'electron-updater';
  try {
    const mod = (await import(/* @vite-ignore */ name)) as {
      autoUpdater?: UpdaterLike;
      default?: { autoUpdater?: UpdaterLike };
    };
    return mod.autoUpdater ?? mod.default?.autoUpdater ?? null;
  } catch {
    return null;
  }
}
