import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { AppError } from '../../shared/errors.js';
import { KEY_BYTES } from './key-file-vault.js';

/*
 * The team store's secrets key: 32 random bytes the collector hosts hold, never the database.
 * Given as INFRASCOPE_STORE_KEY (base64 or hex text), or a key file (`--store-key-file FILE`,
 * INFRASCOPE_STORE_KEY_FILE) holding that text or the raw bytes. The store keeps only a check
 * value (an HMAC of a fixed label under the key), so a wrong key is told apart from a damaged
 * secret without the check opening anything.
 */

export const STORE_KEY_ENV = 'INFRASCOPE_STORE_KEY';
export const STORE_KEY_FILE_ENV = 'INFRASCOPE_STORE_KEY_FILE';

/** A team store key and where it came from (for messages: the source, never the key). */
export interface StoreKey {
  readonly key: Buffer;
  /** `INFRASCOPE_STORE_KEY` or `key file PATH`. */
  readonly source: string;
}

const CHECK_LABEL = 'infrascope:store-key-check:v1';

/** Where to say the key goes, in every message that asks for it. */
export const STORE_KEY_HINT =
  `Give this host the team store's key: ${STORE_KEY_ENV} (base64 or hex of 32 bytes) or ` +
  `--store-key-file FILE (or ${STORE_KEY_FILE_ENV}). \`infrascope store key generate --out FILE\` ` +
  'makes a new one for a new store.';

/** Decodes key text: 64 hex digits, or base64 of 32 bytes. Null when it is neither. */
function decodeKeyText(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === KEY_BYTES) return b;
  }
  return null;
}

function invalid(source: string, why: string): AppError {
  return new AppError(
    'STORE_KEY_INVALID',
    `The team store key from ${source} is unusable: ${why}. ${STORE_KEY_HINT}`,
    { source },
  );
}

/** Reads a key file: its text (base64/hex) or its 32 raw bytes; refuses one others can read. */
export function readStoreKeyFile(
  file: string,
  platform: NodeJS.Platform = process.platform,
): StoreKey {
  const source = `key file ${file}`;
  let bytes: Buffer;
  try {
    if (platform !== 'win32') {
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0)
        throw invalid(
          source,
          `it is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); restrict it with \`chmod 600 ${file}\``,
        );
    }
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw invalid(source, `it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  // 32 bytes can only be the raw key: its base64 or hex text is longer.
  const key =
    bytes.length === KEY_BYTES ? Buffer.from(bytes) : decodeKeyText(bytes.toString('utf8'));
  bytes.fill(0);
  if (!key) throw invalid(source, `it holds neither ${KEY_BYTES} bytes nor their base64 or hex`);
  return { key, source };
}

/**
 * The key this process was given: `file` (the `--store-key-file` option) first, then
 * INFRASCOPE_STORE_KEY, then INFRASCOPE_STORE_KEY_FILE; null when none. A key given but
 * unusable is a STORE_KEY_INVALID error (it names where it came from, never its text).
 */
export function loadStoreKey(opts: {
  readonly env: NodeJS.ProcessEnv;
  readonly file?: string | undefined;
}): StoreKey | null {
  if (opts.file) return readStoreKeyFile(opts.file);
  const text = opts.env[STORE_KEY_ENV];
  if (text !== undefined && text.trim() !== '') return storeKeyFromText(text, STORE_KEY_ENV);
  const file = opts.env[STORE_KEY_FILE_ENV];
  if (file) return readStoreKeyFile(file);
  return null;
}

/**
 * The key in `text` (64 hex digits or base64 of 32 bytes), said to come from `source`; anything
 * else is a STORE_KEY_INVALID error naming the source, never the text.
 */
export function storeKeyFromText(text: string, source: string): StoreKey {
  const key = decodeKeyText(text);
  if (!key) throw invalid(source, `it is neither 64 hex digits nor base64 of ${KEY_BYTES} bytes`);
  return { key, source };
}

/** A new key as the text a key file or INFRASCOPE_STORE_KEY holds (base64). */
export function newStoreKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** Writes a new key file (0600, never over an existing file); returns the key id. */
export function writeNewStoreKeyFile(file: string): string {
  const text = newStoreKeyText();
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'EEXIST' ? 'CONFLICT' : 'VALIDATION',
      code === 'EEXIST'
        ? `${file} exists; a key file is never overwritten (the secrets sealed with it would be lost). Choose another path.`
        : `Cannot create the key file ${file} (${code ?? 'error'}).`,
      { file },
    );
  }
  try {
    writeSync(fd, `${text}\n`);
  } finally {
    closeSync(fd);
  }
  return keyIdOf(decodeKeyText(text)!);
}

/** The check value a store keeps for its key: HMAC-SHA256 of a fixed label, hex. */
export function keyCheckOf(key: Buffer): string {
  return createHmac('sha256', key).update(CHECK_LABEL).digest('hex');
}

/** A short id of the key (the check's first 12 hex digits): what messages and the UI show. */
export function keyIdOf(key: Buffer): string {
  return keyCheckOf(key).slice(0, 12);
}

/** True when `check` (from the store) is the check of `key`, compared in constant time. */
export function keyMatches(key: Buffer, check: string): boolean {
  const mine = Buffer.from(keyCheckOf(key), 'hex');
  const theirs = Buffer.from(check, 'hex');
  return mine.length === theirs.length && timingSafeEqual(mine, theirs);
}
