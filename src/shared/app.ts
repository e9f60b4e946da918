import { z } from 'zod';
import { request, returns } from './channel.js';

/* The app slice of the contract: what runs, where its data lives, and how the store started. */

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
  readonly vaultBackend: string;
  readonly schemaVersion: string;
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

export const appChannels = {
  'app:info': request(z.object({}).strict(), returns<AppInfo>()),
};
