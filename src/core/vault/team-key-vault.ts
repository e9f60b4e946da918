import type { Kysely } from 'kysely';
import type { StoreKeyInfo } from '../../shared/app.js';
import { AppError } from '../../shared/errors.js';
import type { Database } from '../store/schema.js';
import { readSetting } from '../store/setting.js';
import { aesGcmSealer } from './key-file-vault.js';
import type { StoreKey } from './store-key.js';
import { STORE_KEY_HINT, keyCheckOf, keyIdOf, keyMatches } from './store-key.js';
import type { VaultBackend } from './vault.js';

/*
 * The vault of a team store (PostgreSQL): endpoint secrets sealed with the key the collector
 * hosts hold (see store-key.ts), in the key file vault's AES-256-GCM format. The store keeps the
 * key's check value in its setting table, written by the first host that seals with its key, so
 * every later host is told plainly when its key is another one; a host without the key still
 * reads inventory, and is told what to do when it tries to sync or handle a password.
 */

export const TEAM_KEY_VAULT_ID = 'teamkey';
/** The setting holding the store's key check value (hex HMAC of a fixed label; not a secret). */
export const STORE_KEY_CHECK_SETTING = 'store.keyCheck';

export interface TeamKeyVault extends VaultBackend {
  /** Throws STORE_KEY_MISSING / STORE_KEY_MISMATCH; the first key to seal claims the store. */
  prepare(db: Kysely<Database>): Promise<void>;
  /** What this host can do with the store's secrets, read without claiming anything. */
  status(db: Kysely<Database>): Promise<StoreKeyInfo>;
}

function storedCheck(db: Kysely<Database>): Promise<string | null> {
  return readSetting(db, STORE_KEY_CHECK_SETTING);
}

/** Records `key` as the store's key unless one is recorded already (then that one stands). */
export async function claimStoreKey(db: Kysely<Database>, key: Buffer): Promise<string> {
  await db
    .insertInto('setting')
    .values({ key: STORE_KEY_CHECK_SETTING, value: keyCheckOf(key) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await storedCheck(db)) ?? keyCheckOf(key);
}

export function storeKeyMissing(): AppError {
  return new AppError(
    'STORE_KEY_MISSING',
    'The endpoint passwords of this team store are sealed with the team store key, and this host has none: ' +
      'it can read the inventory, but not sync, test endpoints or change passwords. ' +
      STORE_KEY_HINT,
  );
}

/** STORE_KEY_MISMATCH: the key from `source` (id `mine`) is not the store's (id `theirs`). */
export function storeKeyMismatch(source: string, mine: string, theirs: string): AppError {
  return new AppError(
    'STORE_KEY_MISMATCH',
    `The team store key from ${source} (id ${mine}) is not this store's key (id ${theirs}): ` +
      "its passwords were sealed with another. Give this host the store's key (the one the first " +
      'collector host used); nothing was changed.',
    { keyId: mine, storeKeyId: theirs, source },
  );
}

/**
 * The team store's vault over `given` (null: this host has no key).
 *
 * @example
 * const vault = teamKeyVault(loadStoreKey({ env: process.env }));
 * await vault.prepare(store.db); // STORE_KEY_MISSING, STORE_KEY_MISMATCH, or ready
 */
export function teamKeyVault(given: StoreKey | null): TeamKeyVault {
  // What the last look at the store found: a known mismatch refuses at once, without a query.
  let verdict: 'unknown' | 'ok' | 'mismatch' = 'unknown';
  let storeKeyId: string | null = null;
  const getKey = (): Buffer => {
    if (!given) throw storeKeyMissing();
    if (verdict === 'mismatch')
      throw storeKeyMismatch(given.source, keyIdOf(given.key), storeKeyId ?? '');
    return given.key;
  };
  const judge = (check: string | null): void => {
    if (!given || check === null) return;
    storeKeyId = check.slice(0, 12);
    verdict = keyMatches(given.key, check) ? 'ok' : 'mismatch';
  };
  return {
    id: TEAM_KEY_VAULT_ID,
    description: given
      ? `the team store key from ${given.source} (id ${keyIdOf(given.key)})`
      : 'the team store key (not given to this host)',
    canSeal: () => given !== null && verdict !== 'mismatch',
    ...aesGcmSealer(getKey, 'the team store key (the key is not the one it was sealed with'),
    async prepare(db) {
      if (!given) throw storeKeyMissing();
      if (verdict !== 'ok') judge(await claimStoreKey(db, given.key));
      getKey();
    },
    async status(db) {
      const check = await storedCheck(db);
      judge(check);
      const keyId = given ? keyIdOf(given.key) : null;
      const storeId = check?.slice(0, 12) ?? null;
      const state = !given
        ? 'missing'
        : check === null
          ? 'unclaimed'
          : verdict === 'ok'
            ? 'ok'
            : 'mismatch';
      const message =
        state === 'missing'
          ? storeKeyMissing().message
          : state === 'mismatch'
            ? storeKeyMismatch(given!.source, keyId!, storeId!).message
            : null;
      return { state, keyId, storeKeyId: storeId, source: given?.source ?? null, message };
    },
  };
}
