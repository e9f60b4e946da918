import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { DesktopStoreKey } from '../shared/contract.js';
import { AppError } from '../shared/errors.js';
import type { StoreKey } from '../core/vault/store-key.js';
import {
  STORE_KEY_ENV,
  STORE_KEY_FILE_ENV,
  loadStoreKey,
  readStoreKeyFile,
  storeKeyFromText,
} from '../core/vault/store-key.js';
import type { Sealer } from './store-setting.js';
import { writePrivateSetting } from './store-setting.js';

/*
 * The team store's key on the desktop (Settings → Store), so a desktop pointed at a team store can
 * sync, not only read. INFRASCOPE_STORE_KEY and INFRASCOPE_STORE_KEY_FILE win, as for the CLI and
 * serve; else the key given in Settings: pasted text, kept sealed by the OS (Electron safeStorage)
 * like the store's password, or a key file's path, read at every start (the file stays the team's
 * to rotate). The setting file never holds the key in the clear.
 */

export const STORE_KEY_SETTING_FILE = 'store-key.json';

/** The source a pasted key is named by in messages and in Settings (never the key). */
export const SAVED_KEY_SOURCE = 'the key given in Settings';

interface KeySettingFile {
  readonly version: 1;
  /** The key's base64 text sealed by the OS, base64; or null when a key file is named. */
  readonly sealedKey: string | null;
  /** An absolute path to a key file; or null. */
  readonly keyFile: string | null;
}

/** Where this desktop's team store key comes from. */
export type StoreKeySource = 'environment' | 'settings' | 'none';

function settingPath(dataDir: string): string {
  return join(dataDir, STORE_KEY_SETTING_FILE);
}

/** The key `input` gives (a key file is read now, with its permission check); typed errors. */
export function storeKeyOfInput(input: DesktopStoreKey): StoreKey {
  if ('file' in input) {
    if (!isAbsolute(input.file))
      throw new AppError('VALIDATION', 'A key file is given by its full path.');
    return readStoreKeyFile(input.file);
  }
  return storeKeyFromText(input.text, SAVED_KEY_SOURCE);
}

/** The key saved in Settings, or null; a setting that cannot be used is STORE_KEY_INVALID. */
export function readStoreKeySetting(dataDir: string, sealer: Sealer): StoreKey | null {
  const file = settingPath(dataDir);
  if (!existsSync(file)) return null;
  const unusable = (why: string): AppError =>
    new AppError(
      'STORE_KEY_INVALID',
      `The team store key saved in ${file} cannot be used (${why}). Give the key again in Settings → Store, or delete the file.`,
      { file },
    );
  let parsed: Partial<KeySettingFile>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<KeySettingFile>;
  } catch {
    throw unusable('not JSON');
  }
  if (parsed.version !== 1) throw unusable('not a key setting');
  if (typeof parsed.keyFile === 'string') return readStoreKeyFile(parsed.keyFile);
  if (typeof parsed.sealedKey !== 'string') throw unusable('not a key setting');
  let text: string;
  try {
    text = sealer.decryptString(Buffer.from(parsed.sealedKey, 'base64'));
  } catch {
    throw unusable('it was sealed by another user or machine');
  }
  return storeKeyFromText(text, SAVED_KEY_SOURCE);
}

/**
 * Saves `input` as the desktop's team store key (a pasted key sealed by the OS, a key file by its
 * path), or forgets it (null). Checks it first: a bad key is STORE_KEY_INVALID and saves nothing.
 */
export function writeStoreKeySetting(
  dataDir: string,
  sealer: Sealer,
  input: DesktopStoreKey | null,
): void {
  const file = settingPath(dataDir);
  if (input === null) {
    rmSync(file, { force: true });
    return;
  }
  const key = storeKeyOfInput(input);
  let body: KeySettingFile;
  if ('file' in input) {
    body = { version: 1, sealedKey: null, keyFile: input.file };
  } else {
    if (!sealer.isEncryptionAvailable())
      throw new AppError(
        'VAULT_UNAVAILABLE',
        `The OS cannot seal the team store key here (no keyring). Give a key file instead, or set ${STORE_KEY_FILE_ENV}.`,
      );
    const sealed = sealer.encryptString(key.key.toString('base64'));
    body = { version: 1, sealedKey: sealed.toString('base64'), keyFile: null };
  }
  key.key.fill(0);
  writePrivateSetting(file, body);
}

/** The key the desktop opens its team store with, and what gave it. */
export function chooseDesktopStoreKey(opts: {
  readonly env: NodeJS.ProcessEnv;
  readonly dataDir: string;
  readonly sealer: Sealer;
}): { readonly key: StoreKey | null; readonly source: StoreKeySource } {
  const fromEnv = loadStoreKey({ env: opts.env });
  if (fromEnv) return { key: fromEnv, source: 'environment' };
  const saved = readStoreKeySetting(opts.dataDir, opts.sealer);
  return saved ? { key: saved, source: 'settings' } : { key: null, source: 'none' };
}

/**
 * Whether a start-up failure is the key saved in Settings being unusable (not the environment's:
 * that one is the user's to change), so the failure dialog can offer to open without it.
 */
export function savedKeyFailed(error: unknown, env: NodeJS.ProcessEnv): boolean {
  const fromEnv = Boolean(env[STORE_KEY_ENV]?.trim()) || Boolean(env[STORE_KEY_FILE_ENV]);
  return !fromEnv && error instanceof AppError && error.code === 'STORE_KEY_INVALID';
}
