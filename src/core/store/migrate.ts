import type { Kysely, MigrationProvider } from 'kysely';
import { Migrator } from 'kysely';
import { AppError } from '../../shared/errors.js';
import type { Database } from './schema.js';

/*
 * What both engines do with their migration sets: refuse a store that a newer app migrated
 * (it names migrations this app does not know), and apply the pending ones, reporting a failure
 * (rolled back) as a typed error.
 */

/** Throws DB_NEWER_THAN_APP when `done` names a migration outside `known`. */
export function refuseNewer(
  done: readonly string[],
  known: ReadonlySet<string>,
  elsewhere: string,
): void {
  const unknown = done.filter((m) => !known.has(m));
  if (unknown.length > 0)
    throw new AppError(
      'DB_NEWER_THAN_APP',
      `This store was upgraded by a newer Infrascope (migration ${unknown.join(', ')}). Update the app, or point it at ${elsewhere}.`,
      { unknown },
    );
}

/** Applies pending migrations; the names applied, or MIGRATION_FAILED naming the one that failed. */
export async function migrateToLatest(
  db: Kysely<Database>,
  provider: MigrationProvider,
  details: Readonly<Record<string, unknown>> = {},
): Promise<string[]> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new AppError(
      'MIGRATION_FAILED',
      `Migration ${failed} failed and was rolled back; the store is unchanged: ${(error as Error).message ?? String(error)}`,
      { migration: failed, ...details },
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
