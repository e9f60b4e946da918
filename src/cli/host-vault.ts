import type { VaultBackend } from '../core/vault/vault.js';
import { keyFileVault } from '../core/vault/key-file-vault.js';

/**
 * The vault of the CLI and serve hosts: AES-256-GCM with a key file in the data directory. The
 * OS keychain (Electron safeStorage) is only reachable from the desktop app.
 */
export function createHostVault(dataDir: string): VaultBackend {
  return keyFileVault(dataDir);
}
