import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/**
 * A vault seals secrets at rest. Backends: Electron safeStorage (desktop) and an AES-256-GCM key
 * file (CLI/serve). Each sealed secret records the backend id that sealed it, so a host that
 * cannot open it can say why instead of failing obscurely.
 */
export interface VaultBackend {
  /** Stable id stored with each secret, e.g. `safeStorage:gnome_libsecret` or `keyfile`. */
  readonly id: string;
  /** Human description for the UI and README ("OS keychain", "key file in the data directory"). */
  readonly description: string;
  /** True when this backend can seal new secrets right now. */
  canSeal(): boolean;
  /**
   * Seals `plain`. `aad` (associated data, e.g. the endpoint the secret belongs to) is bound to
   * the ciphertext where the backend supports it: it then opens only with the same `aad`.
   */
  seal(plain: string, aad?: string): Buffer;
  /** Throws AppError('VAULT_LOCKED') when the ciphertext does not open (or not with `aad`). */
  open(cipher: Buffer, aad?: string): string;
  /** True for a ciphertext sealed without associated data by an older version: re-seal it. */
  unbound?(cipher: Buffer): boolean;
  /**
   * Checks, before secrets are sealed or opened, that this backend can do so for this store (the
   * team store key: present, and the store's own); throws the typed error saying what to do.
   */
  prepare?(db: Kysely<Database>): Promise<void>;
}
