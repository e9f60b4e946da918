import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { InventoryVersion } from '../../shared/details.js';
import type { Database } from '../store/schema.js';

/**
 * A token that changes whenever the inventory does: the newest change-log row, the newest
 * finished sync and the endpoints. Cheap (three index lookups), so the renderer can poll it.
 */
export async function inventoryVersion(db: Kysely<Database>): Promise<InventoryVersion> {
  const row = await sql<{ c: number | null; s: number | null; e: number | null; u: string | null }>`
    SELECT (SELECT MAX(id) FROM change_log) AS c,
           (SELECT MAX(id) FROM sync_run WHERE ended_at IS NOT NULL) AS s,
           (SELECT COUNT(*) FROM endpoint) AS e,
           (SELECT MAX(updated_at) FROM endpoint) AS u`.execute(db);
  const r = row.rows[0];
  return { version: `${r?.c ?? 0}.${r?.s ?? 0}.${r?.e ?? 0}.${r?.u ?? ''}` };
}
