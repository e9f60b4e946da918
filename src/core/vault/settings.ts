import type { Kysely } from 'kysely';
import { writeAudit } from '../endpoints/audit.js';
import type { Database } from '../store/schema.js';

/**
 * Setting recording that the user chose to store passwords although Electron's safeStorage on
 * Linux has no keyring (`basic_text`: a hard-coded key, barely better than plain text).
 */
export const ALLOW_BASIC_TEXT_SETTING = 'vault.allowBasicText';

export async function readBasicTextOptIn(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('setting')
    .select('value')
    .where('key', '=', ALLOW_BASIC_TEXT_SETTING)
    .executeTakeFirst();
  return row?.value === 'true';
}

/** Records the user's explicit choice (and who made it) in the setting table and the audit log. */
export async function recordBasicTextOptIn(
  db: Kysely<Database>,
  allow: boolean,
  actor: string,
  now: Date,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('setting')
      .values({ key: ALLOW_BASIC_TEXT_SETTING, value: String(allow) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: String(allow) }))
      .execute();
    await writeAudit(trx, {
      actor,
      action: allow ? 'vault.allow-basic-text' : 'vault.deny-basic-text',
      target: null,
      at: now,
    });
  });
}
