import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One value of the store's key-value setting table, or null when it was never set. */
export async function readSetting(db: Kysely<Database>, key: string): Promise<string | null> {
  const row = await db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value ?? null;
}

/** Sets one value of the setting table, replacing what was there. */
export async function writeSetting(
  db: Kysely<Database>,
  key: string,
  value: string,
): Promise<void> {
  await db
    .insertInto('setting')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
