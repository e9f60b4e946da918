import { z } from 'zod';
import { request, returns } from './channel.js';

/* The app slice of the contract: what runs, where its data lives, and how the store started. */

/**
 * What this host can do with a team store's secrets: `ok` (its key is the store's), `unclaimed`
 * (it has a key and no secret was sealed yet: the first one claims the store), `missing` (no key:
 * inventory reads, no syncs or passwords) or `mismatch` (another key). Ids, never keys.
 */
export interface StoreKeyInfo {
  readonly state: 'ok' | 'unclaimed' | 'missing' | 'mismatch';
  /** Short id of this host's key, if it has one. */
  readonly keyId: string | null;
  /** Short id of the key the store's secrets are sealed with, once one sealed a secret. */
  readonly storeKeyId: string | null;
  /** Where this host's key came from (INFRASCOPE_STORE_KEY, key file PATH). */
  readonly source: string | null;
  /** What to do, for `missing` and `mismatch`. */
  readonly message: string | null;
}

/**
 * Who backs the store up: the app (SQLite: daily online backups into `dir`, and before every
 * migration), or the PostgreSQL server's operator (pg_dump, base backups), `note` saying so.
 */
export type StoreBackups =
  | { readonly by: 'app'; readonly dir: string | null }
  | { readonly by: 'server'; readonly note: string };

export interface AppInfo {
  readonly name: 'Infrascope';
  readonly version: string;
  readonly host: 'desktop' | 'serve' | 'cli';
  readonly dataDir: string;
  /** Where the store is: the SQLite file, or a team store's URL with its password as `***`. */
  readonly store: { readonly engine: 'sqlite' | 'postgres'; readonly location: string };
  readonly vaultBackend: string;
  readonly schemaVersion: string;
  /** A team store's secrets key, as this host holds it; null on a SQLite store (the vault's). */
  readonly storeKey: StoreKeyInfo | null;
  readonly backups: StoreBackups;
  /** Set when the store was found damaged at start: what was restored and what was lost. */
  readonly recovery: {
    readonly reason: string;
    readonly movedTo: string;
    readonly restoredFrom: string | null;
    readonly backupTakenAt: string | null;
    readonly dataLostSince: string | null;
  } | null;
}

/**
 * Whether the store answers. A team store (PostgreSQL) can become unavailable while the app
 * runs: the UI then keeps what it shows under a banner until it is back.
 */
export type StoreReachability =
  | { readonly state: 'available' }
  | {
      readonly state: 'unavailable';
      /** When the connection was found lost. */
      readonly since: string;
      /** Why (the driver's message; never a secret: the URL's password is redacted). */
      readonly message: string;
      /** Probes that failed since. */
      readonly attempts: number;
      readonly nextProbeAt: string;
    };

/**
 * How another process's changes to the store reach this host's pages. `pushed`: a team store
 * whose notifications this process hears now (LISTEN is up), so every change arrives as an event
 * and pages need not poll. `polled`: a SQLite store (a CLI sync beside the app writes without
 * telling anyone) or a team store whose listener is reconnecting: pages poll `inventory:version`.
 * Going from `polled` back to `pushed` means changes may have been missed: pages reload once.
 */
export type StoreChanges = 'pushed' | 'polled';

/** The store as the pages see it: whether it answers, and how its changes reach them. */
export type StoreStatus = StoreReachability & { readonly changes: StoreChanges };

export const appChannels = {
  'app:info': request(z.object({}).strict(), returns<AppInfo>()),
  'app:storeStatus': request(z.object({}).strict(), returns<StoreStatus>()),
};
