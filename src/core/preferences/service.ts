import type { Kysely } from 'kysely';
import type { Preferences } from '../../shared/preferences.js';
import { MAX_PREFERENCES } from '../../shared/preferences.js';
import { AppError } from '../../shared/errors.js';
import type { HandlerSlice } from '../contract/handlers.js';
import type { Database } from '../store/schema.js';

/** Preferences live in the setting table under this prefix, apart from the app's own settings. */
const PREFIX = 'pref.';

export async function readPreferences(db: Kysely<Database>): Promise<Preferences> {
  const rows = await db
    .selectFrom('setting')
    .select(['key', 'value'])
    .where('key', 'like', `${PREFIX}%`)
    .orderBy('key')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.key.slice(PREFIX.length), r.value]));
}

/**
 * Sets (or, with `null`, removes) one preference. A new key beyond `MAX_PREFERENCES` is refused
 * with VALIDATION and changes nothing: the renderer writes a handful, so many more is a bug or abuse.
 */
export async function writePreference(
  db: Kysely<Database>,
  key: string,
  value: string | null,
): Promise<void> {
  const stored = PREFIX + key;
  await db.transaction().execute(async (trx) => {
    if (value === null) {
      await trx.deleteFrom('setting').where('key', '=', stored).execute();
      return;
    }
    const exists = await trx
      .selectFrom('setting')
      .select('key')
      .where('key', '=', stored)
      .executeTakeFirst();
    if (!exists) {
      const { n } = await trx
        .selectFrom('setting')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('key', 'like', `${PREFIX}%`)
        .executeTakeFirstOrThrow();
      if (Number(n) >= MAX_PREFERENCES) {
        throw new AppError(
          'VALIDATION',
          `At most ${MAX_PREFERENCES} preferences are kept; "${key}" was not saved.`,
        );
      }
    }
    await trx
      .insertInto('setting')
      .values({ key: stored, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  });
}

/** The `preferences:*` slice of the contract. */
export function createPreferencesCapability(
  db: Kysely<Database>,
): HandlerSlice<'preferences:get' | 'preferences:set'> {
  return {
    'preferences:get': () => readPreferences(db),
    'preferences:set': async (input) => {
      await writePreference(db, input.key, input.value);
      return { saved: true as const };
    },
  };
}
