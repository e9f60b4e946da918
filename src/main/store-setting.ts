import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../shared/errors.js';
import { isPostgresLocation, parsePostgresLocation } from '../core/store/location.js';

/*
 * Which store the desktop app opens. INFRASCOPE_STORE or `--store=URL` win (as for the CLI and
 * serve); else the setting saved from Settings → Store; else the SQLite file in the data folder.
 * The setting keeps the team store's URL without its password, and the password sealed by the OS
 * (Electron safeStorage), so the file holds nothing that opens the database by itself.
 */

export const STORE_SETTING_FILE = 'store-location.json';

/** Electron safeStorage's shape (injected: tests pass a fake, main passes the real one). */
export interface Sealer {
  isEncryptionAvailable(): boolean;
  encryptString(text: string): Buffer;
  decryptString(sealed: Buffer): string;
}

interface SettingFile {
  readonly version: 1;
  /** The URL without its password. */
  readonly url: string;
  /** The password sealed by the OS, base64; null when the URL has none. */
  readonly sealedPassword: string | null;
}

export type StoreSource = 'environment' | 'command line' | 'settings' | 'default';

export interface DesktopStoreChoice {
  /** A postgres:// URL, or undefined for the SQLite file in the data folder. */
  readonly location: string | undefined;
  readonly source: StoreSource;
}

function settingPath(dataDir: string): string {
  return join(dataDir, STORE_SETTING_FILE);
}

/** The saved team store, or undefined; a file that cannot be read is a typed error naming it. */
export function readStoreSetting(dataDir: string, sealer: Sealer): string | undefined {
  const file = settingPath(dataDir);
  if (!existsSync(file)) return undefined;
  const unreadable = (why: string): AppError =>
    new AppError(
      'VALIDATION',
      `The store setting ${file} cannot be used (${why}). Delete the file to open the local store, then choose the team store again in Settings.`,
    );
  let parsed: Partial<SettingFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SettingFile>;
  } catch {
    throw unreadable('not JSON');
  }
  if (parsed.version !== 1 || typeof parsed.url !== 'string' || !isPostgresLocation(parsed.url))
    throw unreadable('not a store setting');
  if (parsed.sealedPassword === null || parsed.sealedPassword === undefined) return parsed.url;
  if (typeof parsed.sealedPassword !== 'string') throw unreadable('not a store setting');
  let password: string;
  try {
    password = sealer.decryptString(Buffer.from(parsed.sealedPassword, 'base64'));
  } catch {
    throw unreadable('the password was sealed by another user or machine');
  }
  const url = new URL(parsed.url);
  url.password = encodeURIComponent(password);
  return url.toString();
}

/**
 * Saves `location` (a postgres:// URL) as the desktop's store, or removes the setting (null: the
 * local store). Written to a temporary file and renamed, so a crash leaves the old setting.
 */
export function writeStoreSetting(dataDir: string, sealer: Sealer, location: string | null): void {
  const file = settingPath(dataDir);
  if (location === null) {
    rmSync(file, { force: true });
    return;
  }
  // Refuses what is not a store URL, with the reason (a typed VALIDATION error).
  parsePostgresLocation(location);
  const url = new URL(location.trim());
  const password = url.password
    ? decodeURIComponent(url.password)
    : (url.searchParams.get('password') ?? '');
  url.searchParams.delete('password');
  if (password && !sealer.isEncryptionAvailable())
    throw new AppError(
      'VAULT_UNAVAILABLE',
      'The OS cannot seal the store password here (no keyring). Leave the password out of the URL and set PGPASSWORD, or use a ~/.pgpass file.',
    );
  url.password = '';
  const body: SettingFile = {
    version: 1,
    url: url.toString(),
    sealedPassword: password ? sealer.encryptString(password).toString('base64') : null,
  };
  writePrivateSetting(file, body);
}

/**
 * Writes a setting file readable by this user only, to a temporary file renamed into place, so a
 * crash leaves the old setting.
 */
export function writePrivateSetting(file: string, body: object): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(body, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

/** The store the desktop opens, and what chose it. */
export function chooseDesktopStore(opts: {
  readonly env: NodeJS.ProcessEnv;
  readonly argv: readonly string[];
  readonly dataDir: string;
  readonly sealer: Sealer;
}): DesktopStoreChoice {
  const fromEnv = opts.env['INFRASCOPE_STORE'];
  if (fromEnv) return { location: fromEnv, source: 'environment' };
  const arg = opts.argv.find((a) => a.startsWith('--store='));
  if (arg) return { location: arg.slice('--store='.length), source: 'command line' };
  const saved = readStoreSetting(opts.dataDir, opts.sealer);
  return saved
    ? { location: saved, source: 'settings' }
    : { location: undefined, source: 'default' };
}
