import type { VaultBackend } from '../core/vault/vault.js';
import { AppError } from '../shared/errors.js';

// TEMPORARY (lead): replaced by the key-file vault once it lands.
export function createHostVault(_dataDir: string): VaultBackend {
  const no = (): never => {
    throw new AppError('VAULT_UNAVAILABLE', 'pending');
  };
  return { id: 'keyfile', description: 'key file', canSeal: () => false, seal: no, open: no };
}
