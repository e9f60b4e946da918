import { safeStorage as electronSafeStorage } from 'electron';
import type { VaultBackend } from '../core/vault/vault.js';
import { AppError } from '../shared/errors.js';

/** The part of Electron's safeStorage the vault uses (injected in tests). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(cipher: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export interface SafeStorageVaultOptions {
  /**
   * The user chose to store passwords although Linux has no keyring (`basic_text`: a hard-coded
   * key). The caller reads it from, and records it in, the setting table
   * (core/vault/settings.ts: readBasicTextOptIn / recordBasicTextOptIn).
   */
  readonly allowBasicText?: boolean;
  readonly platform?: NodeJS.Platform;
}

/** Where the key lives, for the stable backend id: `safeStorage:<backend>`. */
function backendOf(storage: SafeStorageLike, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'keychain';
  if (platform === 'win32') return 'dpapi';
  return storage.getSelectedStorageBackend?.() ?? 'unknown';
}

/**
 * The desktop vault over Electron's safeStorage (OS keychain, DPAPI, libsecret/kwallet). Call it
 * after the app is `ready`: before that, safeStorage cannot say which backend it uses.
 *
 * On Linux without a keyring safeStorage falls back to `basic_text`, a hard-coded key: this vault
 * refuses to seal there unless the user opted in explicitly (`allowBasicText`).
 *
 * @example
 * await app.whenReady();
 * const vault = safeStorageVault(safeStorage, { allowBasicText: await readBasicTextOptIn(db) });
 */
export function safeStorageVault(
  storage: SafeStorageLike = electronSafeStorage,
  opts: SafeStorageVaultOptions = {},
): VaultBackend & { readonly backend: string; readonly weak: boolean } {
  const platform = opts.platform ?? process.platform;
  const backend = backendOf(storage, platform);
  const weak = backend === 'basic_text';
  const unavailableReason = (): string | null => {
    if (!storage.isEncryptionAvailable()) {
      return platform === 'linux'
        ? 'No OS keyring is available (install and unlock GNOME Keyring or KWallet), so passwords cannot be stored safely.'
        : 'The operating system refused to provide encryption for stored passwords.';
    }
    if (weak && !opts.allowBasicText) {
      return (
        'No OS keyring was found, so Electron would protect passwords with a hard-coded key (basic_text), ' +
        'which anyone with your files can undo. Install and unlock a keyring (GNOME Keyring, KWallet), ' +
        'or explicitly allow weak storage in Settings.'
      );
    }
    return null;
  };
  return {
    id: `safeStorage:${backend}`,
    backend,
    weak,
    description: weak
      ? 'Electron safeStorage without a keyring (weak: hard-coded key)'
      : `OS keychain (${backend})`,
    canSeal: () => unavailableReason() === null,
    seal(plain) {
      const reason = unavailableReason();
      if (reason !== null) throw new AppError('VAULT_UNAVAILABLE', reason, { backend });
      return storage.encryptString(plain);
    },
    open(cipher) {
      if (!storage.isEncryptionAvailable()) {
        throw new AppError(
          'VAULT_UNAVAILABLE',
          'The OS keyring is not available right now; unlock it and try again.',
          {
            backend,
          },
        );
      }
      try {
        return storage.decryptString(cipher);
      } catch (e) {
        throw new AppError(
          'VAULT_LOCKED',
          'The stored secret does not open with this keyring.',
          { backend },
          { cause: e },
        );
      }
    },
  };
}
