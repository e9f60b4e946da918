import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { VaultBackend } from './vault.js';

export const KEY_FILE = 'vault.key';
export const KEY_FILE_VAULT_ID = 'keyfile';

/** Sealed without associated data (before secrets were bound to their endpoint). */
const VERSION_UNBOUND = 1;
/** Sealed with associated data (the endpoint the secret belongs to). */
const VERSION = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface KeyFileVaultOptions {
  /** Platform whose permission rules apply; injected for tests. */
  readonly platform?: NodeJS.Platform;
}

/**
 * Reads the key, creating it (0600, exclusive create so two processes never race each other into
 * two keys) when missing. Refuses a key file that other users can read: a readable key is no
 * better than a plain-text password.
 */
function loadKey(file: string, platform: NodeJS.Platform): Buffer {
  let created = false;
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(KEY_BYTES));
      created = true;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new AppError(
        'VAULT_UNAVAILABLE',
        `Cannot create the vault key file ${file}: ${(e as Error).message}`,
        { file },
        { cause: e },
      );
    }
  }
  if (!created && platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new AppError(
        'VAULT_UNAVAILABLE',
        `The vault key file ${file} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); ` +
          `refusing to use it. Restrict it with \`chmod 600 ${file}\` and try again.`,
        { file, mode: mode.toString(8).padStart(4, '0') },
      );
    }
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) {
    throw new AppError(
      'VAULT_UNAVAILABLE',
      `The vault key file ${file} is damaged (${key.length} bytes, expected ${KEY_BYTES}). ` +
        'Move it aside; a new key is created on the next start and each endpoint will need its ' +
        'password again (`infrascope endpoint set NAME --password-env VAR`).',
      { file },
    );
  }
  return key;
}

/**
 * The CLI/serve vault: AES-256-GCM with a random key kept in `<dataDir>/vault.key` (mode 0600).
 * Weaker than the OS keychain: anyone who can read the data directory as this user can open the
 * secrets. The key is loaded on first use, so a host that only queries never needs it.
 *
 * Ciphertext layout: version byte | IV (12) | GCM tag (16) | ciphertext. Version 2 binds the
 * associated data given to `seal` (an endpoint's id), so a ciphertext copied onto another
 * endpoint's row does not open; version 1, without it, still opens (`unbound` says to re-seal).
 *
 * @example
 * const vault = keyFileVault(dataDir);
 * const sealed = vault.seal('s3cret');
 * vault.open(sealed); // 's3cret'
 */
export function keyFileVault(dataDir: string, opts: KeyFileVaultOptions = {}): VaultBackend {
  const file = join(dataDir, KEY_FILE);
  const platform = opts.platform ?? process.platform;
  let key: Buffer | null = null;
  const getKey = (): Buffer => {
    if (key === null) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      // mkdir's mode does nothing to a folder that already exists: the key's folder is made
      // private here too.
      if (platform !== 'win32' && (statSync(dataDir).mode & 0o077) !== 0) {
        chmodSync(dataDir, statSync(dataDir).mode & 0o700);
      }
      key = loadKey(file, platform);
    }
    return key;
  };
  return {
    id: KEY_FILE_VAULT_ID,
    description: `AES-256-GCM key file ${file} (weaker than the OS keychain)`,
    canSeal() {
      try {
        getKey();
        return true;
      } catch {
        return false;
      }
    },
    ...aesGcmSealer(getKey, 'this vault key (the key file changed'),
  };
}

/**
 * Seal, open and unbound over an AES-256-GCM key that `getKey` hands out (and may refuse with a
 * typed error): the key file vault's format, shared by the team store's key.
 * `keyChanged` starts the sentence saying why a ciphertext does not open.
 */
export function aesGcmSealer(
  getKey: () => Buffer,
  keyChanged: string,
): Pick<VaultBackend, 'seal' | 'open' | 'unbound'> {
  return {
    seal(plain, aad) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', getKey(), iv);
      if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
      // The plaintext bytes are zeroed after use; the JS string itself cannot be (immutable).
      const bytes = Buffer.from(plain, 'utf8');
      try {
        const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
        const version = aad === undefined ? VERSION_UNBOUND : VERSION;
        return Buffer.concat([Buffer.from([version]), iv, cipher.getAuthTag(), body]);
      } finally {
        bytes.fill(0);
      }
    },
    unbound: (sealed) => sealed[0] === VERSION_UNBOUND,
    open(sealed, aad) {
      const k = getKey();
      const version = sealed[0];
      if (
        sealed.length < 1 + IV_BYTES + TAG_BYTES ||
        (version !== VERSION && version !== VERSION_UNBOUND)
      ) {
        throw new AppError(
          'VAULT_LOCKED',
          'The stored secret is not in a format this vault knows.',
        );
      }
      const iv = sealed.subarray(1, 1 + IV_BYTES);
      const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
      const body = sealed.subarray(1 + IV_BYTES + TAG_BYTES);
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, iv);
        // A bound secret opens only with the data it was bound to (none given: it cannot).
        if (version === VERSION) decipher.setAAD(Buffer.from(aad ?? '', 'utf8'));
        decipher.setAuthTag(tag);
        const bytes = Buffer.concat([decipher.update(body), decipher.final()]);
        try {
          return bytes.toString('utf8');
        } finally {
          bytes.fill(0);
        }
      } catch (e) {
        throw new AppError(
          'VAULT_LOCKED',
          `The stored secret does not open with ${keyChanged}, the secret is damaged, or it belongs to another endpoint).`,
          undefined,
          { cause: e },
        );
      }
    },
  };
}
